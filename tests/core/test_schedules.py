"""Every installed schedule: its job importable and callable, its timing given in words and in a rule."""

from __future__ import annotations

import importlib

import pytest
from croniter import croniter
from django_q.models import Schedule

from apps.core.schedules import all_schedules, schedules_install

SPECS = all_schedules()


def test_there_are_schedules_from_every_app_that_runs_jobs():
    apps = {spec.func.split(".")[1] for spec in SPECS}
    assert {"employees", "integrations", "payroll", "support", "implementations"} <= apps


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_schedule_names_an_importable_job_and_says_when_it_runs(spec):
    module, _, name = spec.func.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert spec.when.strip()
    # one naming style: the schedule is called <app>.<its task function>, the function verb first
    app = spec.func.split(".")[1]
    assert spec.func == f"apps.{app}.tasks.{name}"
    assert spec.name == f"{app}.{name}"
    assert not name.endswith("_task")
    if spec.schedule_type == Schedule.CRON:
        assert croniter.is_valid(spec.cron)
    else:
        assert spec.minutes and spec.minutes > 0


def test_schedule_names_are_unique():
    names = [spec.name for spec in SPECS]
    assert len(names) == len(set(names))


@pytest.mark.django_db
def test_installing_removes_a_recurring_schedule_of_ours_that_is_no_longer_defined():
    # given a schedule installed under an old name, and a one-off schedule (the demo's first syncs)
    Schedule.objects.create(
        name="integrations: sweep sync runs",
        func="apps.integrations.tasks.sync_runs_sweep_task",
        schedule_type=Schedule.MINUTES,
        minutes=5,
        repeats=-1,
    )
    Schedule.objects.create(
        name="demo: first syncs",
        func="apps.demo.first_syncs.demo_first_syncs",
        schedule_type=Schedule.ONCE,
        repeats=1,
    )
    # when the schedules are installed
    lines = schedules_install()
    # then the old one is gone, said so, and the one-off stays
    assert "removed: integrations: sweep sync runs (no longer defined)" in lines
    names = set(Schedule.objects.values_list("name", flat=True))
    assert "integrations: sweep sync runs" not in names
    assert {"demo: first syncs", "integrations.sweep_sync_runs"} <= names

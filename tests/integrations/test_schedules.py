"""Every installed schedule: its job importable and callable, its timing given in words and in a rule."""

from __future__ import annotations

import importlib

import pytest
from django_q.models import Schedule

from apps.core.schedules import all_schedules

SPECS = all_schedules()


def test_there_are_schedules_from_every_app_that_runs_jobs():
    apps = {spec.func.split(".")[1] for spec in SPECS}
    assert {"employees", "integrations", "payroll", "support", "implementations"} <= apps


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_schedule_names_an_importable_job_and_says_when_it_runs(spec):
    module, _, name = spec.func.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert spec.when.strip()
    if spec.schedule_type == Schedule.CRON:
        from croniter import croniter

        assert croniter.is_valid(spec.cron)
    else:
        assert spec.minutes and spec.minutes > 0


def test_schedule_names_are_unique():
    names = [spec.name for spec in SPECS]
    assert len(names) == len(set(names))

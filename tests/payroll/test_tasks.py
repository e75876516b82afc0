"""Schedules, sync kinds and dispatch: Ongoing every 15 minutes, Sync on weekends unless configured."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.schedules import all_schedules
from apps.integrations.models import SyncRun
from apps.integrations.services import sync_kinds
from apps.payroll import services, tasks
from apps.payroll.models import PayrollSettings

pytestmark = pytest.mark.django_db

SATURDAY = timezone.make_aware(dt.datetime(2025, 3, 15, 2, 0))
WEDNESDAY = timezone.make_aware(dt.datetime(2025, 3, 12, 2, 0))


def test_both_payroll_kinds_are_registered_for_the_sync_command():
    kinds = sync_kinds()
    assert kinds["payroll-ongoing"] is tasks.payroll_ongoing and kinds["payroll-sync"] is tasks.payroll_sync


def test_both_schedules_are_registered_and_say_when_they_run():
    names = {s.name: s for s in all_schedules()}
    assert names["payroll.dispatch_ongoing_imports"].minutes == 5
    assert "15 minutes" in names["payroll.dispatch_ongoing_imports"].when
    assert "Saturdays and Sundays" in names["payroll.dispatch_batch_syncs"].when


def test_the_ongoing_process_is_due_every_15_minutes_by_default(prism_connection):
    now = timezone.now()
    first = services.payroll_ongoing_due(now=now)
    assert [r.kind for r in first] == ["payroll-ongoing"]
    SyncRun.objects.filter(pk=first[0].pk).update(state="succeeded", created_at=now)
    assert services.payroll_ongoing_due(now=now + dt.timedelta(minutes=10)) == []
    assert len(services.payroll_ongoing_due(now=now + dt.timedelta(minutes=15))) == 1


def test_the_sync_runs_on_weekends_only_by_default(prism_connection):
    assert services.payroll_sync_due(now=WEDNESDAY) == []
    runs = services.payroll_sync_due(now=SATURDAY)
    assert [r.kind for r in runs] == ["payroll-sync"]
    SyncRun.objects.filter(pk=runs[0].pk).update(state="succeeded")
    assert services.payroll_sync_due(now=SATURDAY + dt.timedelta(hours=3)) == []  # once a day


def test_the_sync_days_and_hour_are_configurable_per_connection(prism_connection):
    services.payroll_settings_set(connection=prism_connection, sync_weekdays="wed", sync_hour=3)
    assert services.payroll_sync_due(now=SATURDAY) == []
    assert services.payroll_sync_due(now=WEDNESDAY) == []  # 02:00, before 03:00
    assert len(services.payroll_sync_due(now=WEDNESDAY + dt.timedelta(hours=1))) == 1


def test_settings_refuse_unknown_days_and_normalise_names(prism_connection):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.payroll_settings_set(connection=prism_connection, sync_weekdays="caturday")
    saved = services.payroll_settings_set(connection=prism_connection, sync_weekdays="Sunday, Saturday")
    assert PayrollSettings.objects.get(pk=saved.pk).sync_weekdays == "sat,sun"


def test_paused_or_testing_connections_are_not_dispatched(prism_connection):
    prism_connection.state = "paused"
    prism_connection.save()
    assert services.payroll_ongoing_due() == [] and services.payroll_sync_due(now=SATURDAY) == []


def test_the_dispatch_task_enqueues_the_runs_it_requested(prism_connection, monkeypatch):
    enqueued = []
    monkeypatch.setattr("apps.payroll.tasks.enqueue_sync_run", enqueued.append)
    assert tasks.dispatch_ongoing_imports() == 1
    assert enqueued == [SyncRun.objects.get(kind="payroll-ongoing").pk]

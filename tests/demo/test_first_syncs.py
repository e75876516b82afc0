"""The demo end to end: seed_demo, then the first syncs over real HTTP against the sandbox on a live server."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from apps.demo.first_syncs import SCHEDULE_NAME, demo_first_syncs, demo_first_syncs_schedule
from apps.employees.models import Employee
from apps.integrations.models import ApiCall, SyncRun

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_seed_demo_then_first_syncs_fill_the_hub_from_the_sandbox(live_server, settings, migration_data):
    # given the demo loaded for a hub served at the live server's address
    settings.HUB_PUBLIC_URL = live_server.url
    call_command("seed_demo", stdout=io.StringIO())
    assert Schedule.objects.filter(name=SCHEDULE_NAME, schedule_type=Schedule.ONCE).exists()
    # when the worker runs the scheduled first syncs
    outcome = demo_first_syncs()
    # then every demo connection synced through its provider client over HTTP
    assert all(line.endswith("succeeded") for line in outcome), outcome
    assert SyncRun.objects.filter(state="succeeded").count() == 5
    assert ApiCall.objects.filter(connection__slug="beacon-prismhr-sandbox").exists()
    assert Employee.objects.filter(company__external_id="AFF100").exists()
    from apps.payroll.models import PayrollBatch

    assert PayrollBatch.objects.filter(company__external_id="100100").exists()
    # and it is not scheduled again once the demo has synced
    assert demo_first_syncs_schedule() is False

"""Support desk schedules and their thin task functions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.schedules import all_schedules
from apps.support import tasks
from apps.support.models import State, Ticket
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_schedules_are_registered_hourly_and_daily():
    specs = {s.name: s for s in all_schedules()}
    assert specs["support.resolve_quiet_tickets"].cron == "23 * * * *"
    assert specs["support.check_expiring_secrets"].cron == "10 6 * * *"
    assert specs["support.resolve_quiet_tickets"].func == "apps.support.tasks.resolve_quiet_tickets"


def test_auto_resolve_task_resolves_quiet_automatic_tickets(customer):
    quiet = TicketFactory(
        customer=customer,
        origin="automatic",
        automatic_key="a",
        opened_at=timezone.now() - dt.timedelta(days=2),
    )
    assert tasks.resolve_quiet_tickets() == 1
    quiet.refresh_from_db()
    assert quiet.state == State.RESOLVED
    # running it twice is safe
    assert tasks.resolve_quiet_tickets() == 0


def test_secret_expiry_task_raises_a_ticket(customer, django_capture_on_commit_callbacks):
    ConnectionFactory(customer=customer, secret_expires_at=timezone.now() + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_expiring_secrets() == 1
    assert Ticket.objects.get().category == "connection"

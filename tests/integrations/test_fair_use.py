"""Fair use and health tickets: crossings recorded once per period, shown, and raised to support."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
from django.utils import timezone

from apps.integrations.models import ApiCall, FairUseCrossing
from apps.integrations.services import api_calls_prune, fair_use_check, fair_use_check_all, fair_use_usage
from apps.integrations.services.fair_use import period_starts
from apps.integrations.transport import provider_http
from apps.support.models import Ticket
from tests.integrations.factories import ApiCallFactory, ConnectionFactory
from tests.integrations.test_providers import PCTY

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 10, 14, 30, tzinfo=dt.UTC)


def calls(conn, n, at):
    ApiCall.objects.bulk_create(
        [
            ApiCall(connection=conn, method="GET", uri="http://h/x", status_code=200, created_at=at)
            for _ in range(n)
        ]
    )


def test_usage_counts_the_current_hour_and_day(customer):
    conn = ConnectionFactory(customer=customer)
    calls(conn, 3, NOW - dt.timedelta(minutes=10))  # this hour
    calls(conn, 2, NOW - dt.timedelta(hours=3))  # earlier today
    calls(conn, 4, NOW - dt.timedelta(days=1))  # yesterday
    assert fair_use_usage(connection=conn, now=NOW) == {"hour": 3, "day": 5}


def test_crossing_a_threshold_is_recorded_once_per_period_and_raises_one_ticket(
    customer, django_capture_on_commit_callbacks
):
    conn = ConnectionFactory(customer=customer, fair_use_per_hour=5, fair_use_per_day=1000)
    calls(conn, 6, NOW - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        first = fair_use_check(connection=conn, now=NOW)
        again = fair_use_check(connection=conn, now=NOW + dt.timedelta(minutes=5))
    assert [(c.window, c.calls, c.threshold) for c in first] == [("hour", 6, 5)]
    assert again == []
    assert FairUseCrossing.objects.get().period_start == period_starts(NOW)["hour"]
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.category == "fair_use" and "6 API calls" in ticket.title


def test_the_next_hour_is_a_new_period(customer):
    conn = ConnectionFactory(customer=customer, fair_use_per_hour=2, fair_use_per_day=1000)
    calls(conn, 3, NOW)
    fair_use_check(connection=conn, now=NOW)
    calls(conn, 3, NOW + dt.timedelta(hours=1))
    fair_use_check(connection=conn, now=NOW + dt.timedelta(hours=1))
    assert FairUseCrossing.objects.count() == 2


def test_under_the_threshold_nothing_is_recorded(customer):
    conn = ConnectionFactory(customer=customer, fair_use_per_hour=10, fair_use_per_day=10)
    calls(conn, 10, NOW)
    assert fair_use_check(connection=conn, now=NOW) == []


def test_the_check_of_all_connections_only_looks_at_active_ones(customer):
    busy = ConnectionFactory(customer=customer, fair_use_per_hour=1)
    ConnectionFactory(customer=customer, fair_use_per_hour=1)
    calls(busy, 2, timezone.now())
    assert fair_use_check_all() == 1


def test_defaults_come_from_the_provider_family(customer):
    conn = ConnectionFactory(customer=customer)
    assert conn.effective_fair_use == (50_000, 400_000)


def test_old_call_rows_are_pruned(customer):
    conn = ConnectionFactory(customer=customer)
    ApiCallFactory(connection=conn, created_at=timezone.now() - dt.timedelta(days=91))
    ApiCallFactory(connection=conn)
    assert api_calls_prune() == 1 and ApiCall.objects.count() == 1


@responses.activate
def test_refused_credentials_raise_a_connection_ticket(customer, django_capture_on_commit_callbacks):
    from apps.integrations.providers import client_for

    conn = ConnectionFactory(customer=customer, base_url=PCTY)
    responses.post(f"{PCTY}/IdentityServer/connect/token", status=403)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="refused"):
        client_for(conn).authenticate()
    assert Ticket.objects.get(customer=customer).category == "connection"


@responses.activate
def test_an_opening_circuit_raises_a_connection_ticket(customer, django_capture_on_commit_callbacks):
    conn = ConnectionFactory(customer=customer, circuit_threshold=1)
    url = f"{PCTY}/api/v2/companies/1/employees"
    responses.get(url, status=500)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="500"):
        provider_http(conn, sleep=lambda s: None).request("GET", url)
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.category == "connection" and "circuit open" in ticket.title

"""Processing the inbox: GET before anything changes, disagreements, retries, dead rows, replay, sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from apps.companies.models import Provider
from apps.employees.models import Employee, StatusEvent
from apps.integrations.models import ApiCall, Connection, WebhookEvent
from apps.integrations.services import (
    inbox,
    webhook_event_process,
    webhook_event_replay,
    webhook_events_due,
)
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory, WebhookEventFactory
from tests.integrations.test_providers import AFF, PCTY, aff_employee, pcty_detail, token_ok

pytestmark = pytest.mark.django_db

DETAIL = f"{PCTY}/api/v2/companies/6700/employees/1001"


@pytest.fixture
def conn(company_set):
    company = CompanyFactory(company_set=company_set, external_id="6700")
    connection = ConnectionFactory(customer=company_set.customer, base_url=PCTY)
    connection.companies.add(company)
    return connection


def event_for(conn, **kw):
    kw.setdefault("object_id", "1001")
    return WebhookEventFactory(connection=conn, **kw)


@responses.activate
def test_processing_gets_the_employee_and_applies_it_as_a_webhook_observation(conn):
    token_ok()
    detail = responses.get(DETAIL, json=pcty_detail())
    event = event_for(conn)
    processed = webhook_event_process(event_id=event.pk)
    assert processed.state == WebhookEvent.State.PROCESSED and processed.attempts == 1
    assert detail.call_count == 1
    employee = Employee.objects.get(company__external_id="6700", employee_id="1001")
    assert employee.status_code == "A" and employee.first_name == "Ada"
    assert StatusEvent.objects.get(employee=employee).source == "webhook"
    assert ApiCall.objects.filter(webhook_event=event, uri=DETAIL).count() == 1


@responses.activate
def test_processing_twice_changes_nothing_the_second_time(conn):
    token_ok()
    responses.get(DETAIL, json=pcty_detail())
    event = event_for(conn)
    webhook_event_process(event_id=event.pk)
    assert webhook_event_process(event_id=event.pk) is None  # already processed: not claimable
    webhook_event_replay(event=WebhookEvent.objects.get(pk=event.pk))
    webhook_event_process(event_id=event.pk)
    assert StatusEvent.objects.filter(employee__employee_id="1001").count() == 1


@responses.activate
def test_a_hook_that_disagrees_with_the_get_is_recorded(conn):
    token_ok()
    responses.get(DETAIL, json=pcty_detail(code="A", status_type="A"))
    event = event_for(conn, event_type="employee.terminated")
    processed = webhook_event_process(event_id=event.pk)
    assert processed.state == WebhookEvent.State.PROCESSED
    assert "terminated" in processed.disagreement and "A" in processed.disagreement
    assert Employee.objects.get(employee_id="1001").status_code == "A"  # the GET is the truth


@responses.activate
def test_a_legacy_termination_confirmed_by_the_get_has_no_disagreement(conn):
    token_ok()
    detail = pcty_detail(code="T", status_type="T")
    detail["status"]["terminationDate"] = "2024-04-30T00:00:00"
    responses.get(DETAIL, json=detail)
    event = event_for(conn, event_type="Termination")
    assert webhook_event_process(event_id=event.pk).disagreement == ""


@responses.activate
def test_an_employee_the_get_cannot_find_changes_nothing(conn):
    token_ok()
    responses.get(DETAIL, status=404, json=[{"message": "not found"}])
    processed = webhook_event_process(event_id=event_for(conn).pk)
    assert processed.state == WebhookEvent.State.PROCESSED and "does not find" in processed.disagreement
    assert not Employee.objects.exists()


def test_a_company_that_is_not_the_connections_is_ignored(conn):
    processed = webhook_event_process(event_id=event_for(conn, company_external_id="9999").pk)
    assert processed.state == WebhookEvent.State.IGNORED and "9999" in processed.last_error


def test_payroll_events_without_a_processor_are_ignored(conn):
    processed = webhook_event_process(event_id=event_for(conn, object_kind="unknownkind").pk)
    assert processed.state == WebhookEvent.State.IGNORED


@responses.activate
def test_a_provider_outage_schedules_a_retry_then_the_event_dies_and_can_be_replayed(conn, settings):
    token_ok()
    responses.get(DETAIL, status=500)
    conn.circuit_threshold = 100
    conn.save()
    event = event_for(conn)
    first = webhook_event_process(event_id=event.pk)
    assert first.state == WebhookEvent.State.FAILED and first.attempts == 1
    assert first.next_attempt_at > timezone.now() + timedelta(seconds=20)
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        last = webhook_event_process(event_id=event.pk)
    assert last.state == WebhookEvent.State.DEAD and last.next_attempt_at is None
    assert webhook_event_process(event_id=event.pk) is None
    replayed = webhook_event_replay(event=last)
    assert (replayed.state, replayed.attempts, replayed.last_error) == (WebhookEvent.State.PENDING, 0, "")


@responses.activate
def test_repeated_hooks_for_one_employee_are_coalesced_into_one_get(conn):
    token_ok()
    detail = responses.get(DETAIL, json=pcty_detail())
    first, second, third = (event_for(conn) for _ in range(3))
    other = event_for(conn, object_id="2002")
    webhook_event_process(event_id=second.pk)
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert states[second.pk] == WebhookEvent.State.PROCESSED
    assert states[first.pk] == states[third.pk] == WebhookEvent.State.COALESCED
    assert states[other.pk] == WebhookEvent.State.PENDING
    assert WebhookEvent.objects.get(pk=first.pk).coalesced_into_id == second.pk
    assert detail.call_count == 1


def test_the_sweeper_finds_due_retries_and_rows_abandoned_by_a_dead_worker(conn):
    now = timezone.now()
    due = event_for(conn, next_attempt_at=now - timedelta(seconds=1))
    event_for(conn, next_attempt_at=now + timedelta(minutes=5))  # not yet
    failed_due = event_for(conn, state=WebhookEvent.State.FAILED, next_attempt_at=now - timedelta(minutes=1))
    abandoned = event_for(conn, state=WebhookEvent.State.PROCESSING, locked_until=now - timedelta(seconds=1))
    event_for(conn, state=WebhookEvent.State.PROCESSING, locked_until=now + timedelta(minutes=5))
    event_for(conn, state=WebhookEvent.State.DEAD)
    assert set(webhook_events_due(now=now)) == {due.pk, failed_due.pk, abandoned.pk}
    conn.state = Connection.State.PAUSED
    conn.save()
    assert webhook_events_due(now=now) == []


@responses.activate
def test_an_abandoned_row_is_claimed_again_once_its_lease_expired(conn):
    token_ok()
    responses.get(DETAIL, json=pcty_detail())
    now = timezone.now()
    live = event_for(conn, state=WebhookEvent.State.PROCESSING, locked_until=now + timedelta(minutes=5))
    assert webhook_event_process(event_id=live.pk) is None  # its worker is still within its lease
    dead = event_for(
        conn, state=WebhookEvent.State.PROCESSING, locked_until=now - timedelta(seconds=1), attempts=1
    )
    processed = webhook_event_process(event_id=dead.pk)
    assert processed.state == WebhookEvent.State.PROCESSED and processed.attempts == 2


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)])
def test_retry_delay_doubles_up_to_an_hour(attempts, seconds):
    assert inbox.retry_delay(attempts) == timedelta(seconds=seconds)


@responses.activate
def test_a_disagreeing_hook_opens_one_webhook_ticket_with_the_event_as_evidence(
    conn, django_capture_on_commit_callbacks
):
    from apps.support.models import Ticket

    token_ok()
    responses.get(DETAIL, json=pcty_detail(code="A", status_type="A"))
    for _ in range(2):  # the same disagreement twice: one ticket
        with django_capture_on_commit_callbacks(execute=True):
            webhook_event_process(event_id=event_for(conn, event_type="employee.terminated").pk)
    ticket = Ticket.objects.get(category="webhook")
    assert ticket.origin == "automatic" and "1001" in ticket.title
    assert ticket.evidence.count() == 2


@responses.activate
def test_each_provider_s_implied_status_map_is_the_one_read(customer):
    # given an Affinity connection (its map: employee.terminated claims terminated) and an employee the GET
    # shows active
    company = CompanyFactory(
        company_set=CompanySetFactory(customer=customer, provider=Provider.AFFINITY), external_id="AFF100"
    )
    connection = ConnectionFactory(customer=customer, provider=Provider.AFFINITY, base_url=AFF)
    connection.companies.add(company)
    responses.post(f"{AFF}/oauth/token", json={"access_token": "a1", "expires_in": 3600})
    responses.get(f"{AFF}/v1/companies/AFF100/employees/E1", json=aff_employee("E1", code="A"))
    # when an Affinity termination hook is processed, then a Paylocity-only event type
    claimed = event_for(
        connection, company_external_id="AFF100", object_id="E1", event_type="employee.terminated"
    )
    claimed = webhook_event_process(event_id=claimed.pk)
    unknown = event_for(connection, company_external_id="AFF100", object_id="E1", event_type="Termination")
    unknown = webhook_event_process(event_id=unknown.pk)
    # then Affinity's claim is checked against the GET; Paylocity's legacy type means nothing for Affinity
    assert "implies terminated" in claimed.disagreement
    assert (unknown.state, unknown.disagreement) == (WebhookEvent.State.PROCESSED, "")

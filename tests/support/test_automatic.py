"""Automatic tickets through the problem bus: each real producer reports, support tickets it by the catalogue.

One test per producer (driving the sync, webhook, delivery, check, ... that notices the problem) asserting
the ticket's key, category, priority, customer and evidence; and the fixes: each one logs who and what on
the ticket and resolves it when nothing of the problem is left. The payroll-import producer's test lives
with the fake PrismHR in ``tests/payroll/test_services.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
import responses

from apps.core import problems
from apps.core.http import reset_process_state
from apps.employees import delivery
from apps.employees import services as employee_services
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, StatusEvent
from apps.employees.services import employee_records_apply
from apps.integrations.models import ApiCall, FairUseCrossing, WebhookEvent
from apps.integrations.providers import client_for
from apps.integrations.services import fair_use_check, inbox, webhook_event_process, webhook_event_replay
from apps.integrations.transport import provider_http
from apps.support import services
from apps.support.models import Category, Origin, Priority, State, Ticket, TicketLogEntry
from apps.support.ticket_texts import CATALOGUE
from tests.companies.factories import CompanyFactory
from tests.employees.factories import record
from tests.integrations.factories import ConnectionFactory, WebhookEventFactory
from tests.integrations.test_providers import PCTY, pcty_detail, token_ok

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DETAIL = f"{PCTY}/api/v2/companies/6700/employees/1001"


@pytest.fixture(autouse=True)
def _fresh_http_state():
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the bus's after-commit deliveries (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def apply(company):
    def run(records, *, today=TODAY):
        return employee_records_apply(company=company, records=records, source="sync", today=today)

    return run


@pytest.fixture
def pcty_conn(company_set):
    company = CompanyFactory(company_set=company_set, external_id="6700")
    connection = ConnectionFactory(customer=company_set.customer, base_url=PCTY, slug="acme-pcty")
    connection.companies.add(company)
    return connection


def the_ticket(key: str) -> Ticket:
    ticket = Ticket.objects.get(automatic_key=key)
    assert ticket.origin == Origin.AUTOMATIC
    return ticket


def evidence_of(ticket: Ticket) -> set:
    return {e.item for e in ticket.evidence.all()}


def log_texts(ticket: Ticket, kind: str) -> list[str]:
    return list(ticket.log_entries.filter(kind=kind).order_by("pk").values_list("text", flat=True))


# --- the catalogue -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_every_catalogued_title_names_no_customer(kind, customer):
    # Given facts as the producers send them (ids, slugs, codes); the customer is never one of them
    entry = CATALOGUE[kind]
    facts = {
        "company_set_id": 3,
        "code": "S",
        "companies": "6700",
        "batch_id": 9,
        "removals": 30,
        "customer_id": 4,
        "connection_id": 5,
        "slug": "acme-pcty",
        "company_id": 6,
        "employee_id": "1001",
        "company_external_id": "6700",
        "calls": 6,
        "window": "hour",
        "threshold": 5,
        "batch_reference": "41001",
        "expires_on": "2026-06-10",
    }
    # Then the title, key and expected result build from them and name no customer or company set
    title = entry.title_for(facts)
    assert entry.key_for(facts).partition(":")[0] in CATALOGUE  # a key's prefix names a catalogued kind
    assert customer.name not in title and "Acme set" not in title
    assert entry.expected_for(facts)


def test_an_unknown_problem_kind_is_logged_by_the_bus_and_opens_nothing(customer, on_commit, caplog):
    with on_commit():
        problems.report(problems.Problem(kind="no-such-kind", key="no-such-kind:1", customer=customer))
    assert not Ticket.objects.exists()
    assert "could not handle no-such-kind:1" in caplog.text


# --- one test per producer -----------------------------------------------------------------------------


def test_a_sync_holding_an_unmapped_code_opens_the_mapping_ticket(apply, company_set, company, on_commit):
    # Given an active employee; when a sync brings the unmapped custom code S
    apply([record("1001", "A", "2026-01-05")])
    with on_commit():
        apply([record("1001", "S", "2026-02-01")])
    # Then one "mapping needed" ticket links the held employee and names no customer
    ticket = the_ticket(f"mapping-needed:{company_set.pk}:S")
    employee = Employee.objects.get()
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.MAPPING_NEEDED,
        Priority.HIGH,
        company_set.customer,
    )
    assert list(ticket.employees.all()) == [employee] and list(ticket.companies.all()) == [company]
    assert ticket.title == f"Status code S needs a mapping (company set {company_set.pk}: 123)"
    assert "1 status event(s) are held" in ticket.actual_result


def test_a_mass_change_hold_opens_an_urgent_ticket_with_the_batch(apply, customer, on_commit):
    # Given 100 active people; when 30 are terminated at once
    apply([record(str(n), "A", "2026-01-05") for n in range(100)])
    with on_commit():
        apply([record(str(n), "T", "2026-05-01") for n in range(30)])
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    # Then the held batch has its urgent ticket with the batch as evidence
    ticket = the_ticket(f"mass-change:{batch.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (Category.OTHER, Priority.URGENT, customer)
    assert ticket.title == f"30 removals held for approval (change batch {batch.pk})"
    assert evidence_of(ticket) == {batch}
    assert ticket.employees.count() == 30


def test_a_dead_downstream_action_opens_the_delivery_ticket(apply, customer, on_commit):
    # Given a target that allows one attempt and refuses it
    employee_services.downstream_target_set(
        customer=customer, url="https://downstream.example.com/hook", signing_secret="whsec_x", max_attempts=1
    )
    apply([record("1001", "A", "2026-01-05")])
    with on_commit():
        delivery.actions_drain(send=lambda url, body, headers: (500, "HTTP 500"))
    action = DownstreamAction.objects.get()
    assert action.state == DownstreamAction.State.DEAD
    # Then the customer's delivery ticket has the action as evidence
    ticket = the_ticket(f"action-dead:{customer.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (Category.OTHER, Priority.HIGH, customer)
    assert evidence_of(ticket) == {action}
    assert list(ticket.employees.all()) == [action.employee]


@responses.activate
def test_refused_credentials_open_the_connection_ticket(pcty_conn, customer, on_commit):
    responses.post(f"{PCTY}/IdentityServer/connect/token", status=403)
    with on_commit(), pytest.raises(Exception, match="refused"):
        client_for(pcty_conn).authenticate()
    ticket = the_ticket(f"connection-auth:{pcty_conn.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.CONNECTION,
        Priority.HIGH,
        customer,
    )
    assert ticket.connection == pcty_conn and ticket.title == "Connection acme-pcty fails authentication"
    assert list(ticket.companies.all()) == list(pcty_conn.companies.all())


@responses.activate
def test_an_opening_circuit_opens_the_circuit_ticket(pcty_conn, customer, on_commit):
    pcty_conn.circuit_threshold = 1
    pcty_conn.save()
    url = f"{PCTY}/api/v2/companies/6700/employees"
    responses.get(url, status=500)
    with on_commit(), pytest.raises(Exception, match="500"):
        provider_http(pcty_conn, sleep=lambda s: None).request("GET", url)
    ticket = the_ticket(f"circuit-open:{pcty_conn.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.CONNECTION,
        Priority.HIGH,
        customer,
    )
    assert ticket.connection == pcty_conn and "(circuit open)" in ticket.title


def _kill_an_event(conn) -> WebhookEvent:
    """A provider outage: the event fails every attempt and dies."""
    token_ok()
    responses.get(DETAIL, status=500)
    conn.circuit_threshold = 100
    conn.save()
    event = WebhookEventFactory(connection=conn, object_id="1001", company_external_id="6700")
    for _ in range(inbox.MAX_ATTEMPTS):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.DEAD
    return event


@responses.activate
def test_a_dead_webhook_event_opens_the_webhook_ticket(pcty_conn, customer, on_commit):
    with on_commit():
        event = _kill_an_event(pcty_conn)
    ticket = the_ticket(f"webhook-dead:{pcty_conn.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.WEBHOOK,
        Priority.NORMAL,
        customer,
    )
    assert evidence_of(ticket) == {event} and ticket.connection == pcty_conn
    assert f"Event {event.pk}" in ticket.actual_result


@responses.activate
def test_a_hook_the_get_contradicts_opens_the_mismatch_ticket(pcty_conn, customer, on_commit):
    token_ok()
    responses.get(DETAIL, json=pcty_detail(code="A", status_type="A"))
    event = WebhookEventFactory(
        connection=pcty_conn, object_id="1001", company_external_id="6700", event_type="employee.terminated"
    )
    with on_commit():
        webhook_event_process(event_id=event.pk)
    company = pcty_conn.companies.get()
    ticket = the_ticket(f"webhook-mismatch:{company.pk}:1001")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.WEBHOOK,
        Priority.NORMAL,
        customer,
    )
    assert evidence_of(ticket) == {event}
    assert list(ticket.employees.values_list("employee_id", flat=True)) == ["1001"]
    assert ticket.title == "Webhook for employee 1001 of company 6700 disagreed with the GET"


def test_a_fair_use_crossing_opens_the_fair_use_ticket(pcty_conn, customer, on_commit):
    pcty_conn.fair_use_per_hour = 2
    pcty_conn.save()
    ApiCall.objects.bulk_create(
        [
            ApiCall(connection=pcty_conn, method="GET", uri="http://h/x", status_code=200, created_at=NOW)
            for _ in range(3)
        ]
    )
    with on_commit():
        fair_use_check(connection=pcty_conn, now=NOW)
    ticket = the_ticket(f"fair-use:{pcty_conn.pk}")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.FAIR_USE,
        Priority.NORMAL,
        customer,
    )
    assert evidence_of(ticket) == {FairUseCrossing.objects.get()}
    assert ticket.title == "Connection acme-pcty: 3 API calls this hour, over the fair-use threshold of 2"


def test_the_daily_secret_check_opens_the_expiring_secret_ticket(customer, on_commit):
    soon = ConnectionFactory(
        customer=customer, slug="acme-soon", secret_expires_at=NOW + dt.timedelta(days=5)
    )
    with on_commit():
        assert services.connections_secret_expiry_check(now=NOW) == 1
    ticket = the_ticket(f"secret-expiring:{soon.pk}:2026-06-06")
    assert (ticket.category, ticket.priority, ticket.customer) == (
        Category.CONNECTION,
        Priority.HIGH,
        customer,
    )
    assert (
        ticket.connection == soon
        and ticket.title == "Client secret of connection acme-soon expires on 2026-06-06"
    )


# --- tickets follow their fix --------------------------------------------------------------------------


def test_mapping_the_code_logs_who_on_the_ticket_and_resolves_it(apply, company_set, admin_user, on_commit):
    # Given a "mapping needed" ticket for S
    apply([record("1001", "A", "2026-01-05")])
    with on_commit():
        apply([record("1001", "S", "2026-02-01")])
    # When a consultant maps S
    with on_commit():
        employee_services.status_mapping_set(
            company_set=company_set, code="S", status_type="terminated", acting_user=admin_user, today=TODAY
        )
    # Then the ticket says who mapped it to what, and is resolved
    ticket = the_ticket(f"mapping-needed:{company_set.pk}:S")
    assert log_texts(ticket, TicketLogEntry.Kind.FIXED) == [
        f"Fixed by {admin_user}: status code S mapped to Terminated."
    ]
    assert ticket.log_entries.get(kind=TicketLogEntry.Kind.FIXED).author == admin_user
    assert ticket.state == State.RESOLVED and ticket.resolved_at is not None


def test_a_code_mapped_for_one_company_leaves_the_ticket_open_while_others_hold_it(
    company_set, company, admin_user, on_commit
):
    # Given S held in two companies of the set
    other = CompanyFactory(company_set=company_set, external_id="456")
    with on_commit():
        for target in (company, other):
            employee_records_apply(
                company=target,
                records=[record("1001", "S", "2026-02-01", company=target.external_id)],
                source="sync",
                today=TODAY,
            )
    # When S is mapped for one company only
    with on_commit():
        employee_services.status_mapping_set(
            company_set=company_set, code="S", status_type="leave", company=other, acting_user=admin_user
        )
    # Then the fix is logged, the ticket stays open and says what is left
    ticket = the_ticket(f"mapping-needed:{company_set.pk}:S")
    assert ticket.state == State.NEW
    assert log_texts(ticket, TicketLogEntry.Kind.FIXED) == [
        f"Fixed by {admin_user}: status code S mapped to Leave for company 456."
    ]
    assert "Still open: 1 status event(s) with code S are still held." in log_texts(
        ticket, TicketLogEntry.Kind.STATE
    )
    # And mapping it set-wide resolves it
    with on_commit():
        employee_services.status_mapping_set(
            company_set=company_set, code="S", status_type="leave", acting_user=admin_user
        )
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert not StatusEvent.objects.filter(held=True).exists()


@pytest.mark.parametrize(("approve", "verdict"), [(True, "approved"), (False, "rejected")])
def test_deciding_a_mass_change_logs_the_decision_and_resolves_the_ticket(
    apply, admin_user, on_commit, approve, verdict
):
    apply([record(str(n), "A", "2026-01-05") for n in range(100)])
    with on_commit():
        apply([record(str(n), "T", "2026-05-01") for n in range(30)])
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    with on_commit():
        employee_services.change_batch_decide(
            batch=batch, approve=approve, acting_user=admin_user, reason="HR confirmed"
        )
    ticket = the_ticket(f"mass-change:{batch.pk}")
    assert log_texts(ticket, TicketLogEntry.Kind.FIXED) == [
        f"Fixed by {admin_user}: change batch {batch.pk} {verdict} (HR confirmed)."
    ]
    assert ticket.state == State.RESOLVED


@responses.activate
def test_a_connection_that_authenticates_again_resolves_its_ticket(pcty_conn, on_commit):
    refused = responses.post(f"{PCTY}/IdentityServer/connect/token", status=403)
    with on_commit(), pytest.raises(Exception, match="refused"):
        client_for(pcty_conn).authenticate()
    responses.remove(refused)
    token_ok()
    with on_commit():
        client_for(pcty_conn).authenticate()
        client_for(pcty_conn).authenticate()  # a healthy connection reports nothing more
    ticket = the_ticket(f"connection-auth:{pcty_conn.pk}")
    fixes = log_texts(ticket, TicketLogEntry.Kind.FIXED)
    assert len(fixes) == 1 and fixes[0].startswith(
        "Fixed by the system: connection acme-pcty authenticated again"
    )
    assert ticket.state == State.RESOLVED


@responses.activate
def test_a_circuit_that_closes_again_resolves_its_ticket(pcty_conn, on_commit):
    pcty_conn.circuit_threshold = 1
    pcty_conn.circuit_cooldown_seconds = 0
    pcty_conn.save()
    url = f"{PCTY}/api/v2/companies/6700/employees"
    failing = responses.get(url, status=500)
    with on_commit(), pytest.raises(Exception, match="500"):
        provider_http(pcty_conn, sleep=lambda s: None).request("GET", url)
    responses.remove(failing)
    responses.get(url, json=[])
    with on_commit():
        provider_http(pcty_conn, sleep=lambda s: None).request("GET", url)
    ticket = the_ticket(f"circuit-open:{pcty_conn.pk}")
    assert log_texts(ticket, TicketLogEntry.Kind.FIXED) == [
        "Fixed by the system: a probe to connection acme-pcty succeeded; the circuit closed."
    ]
    assert ticket.state == State.RESOLVED


@responses.activate
def test_replaying_the_dead_events_logs_who_and_resolves_when_none_is_dead(pcty_conn, admin_user, on_commit):
    # Given two dead events of the connection
    with on_commit():
        first = _kill_an_event(pcty_conn)
        second = WebhookEventFactory(connection=pcty_conn, state=WebhookEvent.State.DEAD)
    ticket = the_ticket(f"webhook-dead:{pcty_conn.pk}")
    # When one is replayed, the ticket logs it and stays open: one is still dead
    with on_commit():
        webhook_event_replay(event=first, acting_user=admin_user)
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    assert log_texts(ticket, TicketLogEntry.Kind.FIXED) == [
        f"Fixed by {admin_user}: dead webhook event {first.pk} ({first.event_type}) replayed."
    ]
    # Then replaying the other resolves it
    with on_commit():
        webhook_event_replay(event=second, acting_user=admin_user)
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED


def test_a_fix_for_a_ticket_that_is_not_open_changes_nothing(customer, on_commit):
    with on_commit():
        problems.report_fixed(problems.Fixed(key="mass-change:999", what="approved"))
    assert not Ticket.objects.exists()
    assert services.ticket_fixed(fixed=problems.Fixed(key="mass-change:999", what="approved")) == []

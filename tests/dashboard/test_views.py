"""The admin home dashboard: who sees which section, scoping to customers, and a flat number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import CircuitState, Connection
from apps.integrations.selectors import connection_health
from apps.payroll.models import EmployeeCount, ImportQueueRecord, PayrollBatch
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.dashboard.factories import fill_dashboard
from tests.integrations.factories import ApiCallFactory, ConnectionFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/"


def get(client, user, url=DASHBOARD):
    client.force_login(user)
    return client.get(url)


def test_anonymous_users_are_sent_to_the_admin_login(client):
    # when someone not signed in opens the dashboard
    response = client.get(DASHBOARD)
    # then they are sent to the admin login
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_is_the_dashboard_and_keeps_the_app_list(client, admin_user, customer):
    # given a customer with data in every section
    data = fill_dashboard(customer, 2)
    # when an admin opens the admin home
    response = get(client, admin_user)
    # then it is the dashboard, every section is there, and the workbench still lists the models
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("connections", "lifecycle", "support", "implementations", "payroll"):
        assert f'id="section-{key}"' in html
    assert 'id="workbench"' in html and reverse("admin:employees_employee_changelist") in html
    # and the held code links to its map page, the running sync to its live page
    assert reverse("admin:mappings_statuscode_map", args=[data["code"].pk]) in html
    assert "/hub/sync-runs/" in html
    assert data["projects"][0].name in html


@pytest.mark.parametrize(
    ("persona", "sections"),
    [
        ("admin_user", {"connections", "lifecycle", "support", "implementations", "payroll"}),
        ("consultant", {"connections", "lifecycle", "support", "implementations", "payroll"}),
        ("support_agent", {"connections", "lifecycle", "support", "implementations", "payroll"}),
        ("no_role_user", set()),
    ],
)
def test_each_role_sees_the_sections_its_permissions_open(client, request, customer, persona, sections):
    user = request.getfixturevalue(persona)
    response = get(client, user)
    assert response.status_code == 200
    shown = {s.key for s in response.context["dashboard"]}
    assert shown == sections


def test_only_those_who_may_map_codes_get_the_map_button(client, consultant, support_agent, customer):
    # given an unmapped code on the dashboard
    data = fill_dashboard(customer, 1)
    map_url = reverse("admin:mappings_statuscode_map", args=[data["code"].pk])
    # when a consultant and then a support agent open it, then only the consultant gets the map button
    assert map_url in get(client, consultant).content.decode()
    client.logout()
    assert map_url not in get(client, support_agent).content.decode()


def test_an_outsider_sees_none_of_the_customers_rows(client, outsider, customer, other_customer):
    # given data for both customers
    mine = fill_dashboard(customer, 2)
    theirs = fill_dashboard(other_customer, 1)
    # when the outsider (a consultant of the other customer) opens the dashboard
    html = get(client, outsider).content.decode()
    # then only the other customer's rows are there
    assert theirs["connections"][0].name in html
    assert mine["connections"][0].name not in html
    assert mine["code"].code not in html.replace(theirs["code"].code, "")
    assert mine["projects"][0].name not in html
    sections = {s.key: s.data for s in get(client, outsider).context["dashboard"]}
    assert sections["support"]["matrix"].total == 1
    assert sections["lifecycle"]["employees"]["total"] == 1


def test_connection_health_counts_backlog_dead_calls_and_names_the_problems(client, admin_user, customer):
    # given one connection with a pending and a dead webhook, three calls, a running and a finished sync
    data = fill_dashboard(customer, 1)
    Connection.objects.filter(pk=data["connections"][0].pk).update(circuit_state=CircuitState.OPEN)
    # when the admin opens the dashboard
    section = next(s for s in get(client, admin_user).context["dashboard"] if s.key == "connections")
    row = section.data["rows"][0]
    # then
    assert (row.webhook_backlog, row.webhooks_dead, row.calls_24h) == (1, 1, 3)
    assert row.active_run is not None and row.last_run is not None and row.active_run != row.last_run
    assert row.secret_state == "expiring"
    assert "circuit open (not calling)" in row.problems and "1 dead webhook event(s)" in row.problems
    assert 'role="img"' in str(row.chart)


def test_api_volume_is_counted_per_hour_with_the_current_hour_last(admin_user, customer):
    # given calls at known distances from "now" (half past an hour, in the past so the rows are plausible)
    now = timezone.now().replace(minute=30, second=0, microsecond=0) - dt.timedelta(hours=1)
    conn = ConnectionFactory(customer=customer)
    for minutes in (1, 2, 61, 23 * 60 + 20, 30 * 60, -5):  # 30 h ago and 5 min after "now" are not counted
        ApiCallFactory(connection=conn, created_at=now - dt.timedelta(minutes=minutes))
    # when the health is read
    hourly = connection_health(admin_user, now=now)[0].hourly_calls
    # then 24 hourly buckets, the current hour last, the oldest whole hour first
    assert len(hourly) == 24 and sum(hourly) == 4
    assert (hourly[-1], hourly[-2], hourly[0]) == (2, 1, 1)


def test_the_support_matrix_counts_open_tickets_by_category_state_and_origin(client, support_agent, customer):
    # given four open tickets, automatic and by agents, in three categories
    fill_dashboard(customer, 4)
    # when a support agent opens the dashboard
    section = next(s for s in get(client, support_agent).context["dashboard"] if s.key == "support")
    matrix = section.data["matrix"]
    # then the support matrix counts them by origin and category, the oldest listed first
    assert matrix.total == 4 and (matrix.automatic, matrix.agent) == (2, 2)
    assert {row["category"]: row["total"] for row in matrix.rows} == {
        "feed_pull": 2,
        "mapping_needed": 1,
        "connection": 1,
    }
    oldest = section.data["oldest"]
    assert [t.opened_at for t in oldest] == sorted(t.opened_at for t in oldest)


def test_the_board_has_one_column_per_phase_and_a_card_per_open_project(client, consultant, customer):
    # given three projects, two in discovery and one in testing
    data = fill_dashboard(customer, 3)
    # when the consultant opens the dashboard
    section = next(s for s in get(client, consultant).context["dashboard"] if s.key == "implementations")
    columns = {c["phase"]: [card.project.pk for card in c["cards"]] for c in section.data["columns"]}
    # then the board has a column per phase in order, each holding its projects as cards with progress
    assert list(columns) == [
        "discovery",
        "implementation",
        "testing",
        "move_to_production",
        "ongoing_support",
    ]
    assert sorted(columns["discovery"]) == sorted([data["projects"][0].pk, data["projects"][2].pk])
    assert columns["testing"] == [data["projects"][1].pk]
    card = next(c for c in section.data["columns"][0]["cards"])
    assert card.total > 0 and 0 <= card.percent <= 100


def test_the_payroll_section_compares_active_and_paid_per_client(client, admin_user, customer):
    # given a client with two completed regular batches and a failed import
    today = timezone.localdate()
    company = CompanyFactory(
        company_set=CompanySetFactory(customer=customer, provider="prismhr"), external_id="100100"
    )
    for n, (active, paid) in enumerate([(40, 38), (42, 45)]):
        batch = PayrollBatch.objects.create(
            company=company,
            batch_id=f"B{n}",
            pay_date=today - dt.timedelta(days=14 * (1 - n)),
            status_code="COMP",
        )
        EmployeeCount.objects.create(
            batch=batch,
            as_of=batch.pay_date,
            full_time_active=active - 5,
            part_time_active=5,
            paid_employees=paid,
        )
    ImportQueueRecord.objects.create(
        connection=ConnectionFactory(customer=customer, provider="prismhr"),
        client_number="100999",
        batch_number="B9",
        source="ongoing",
        state="failed",
        message="Unknown client number",
    )
    # when the admin opens the dashboard
    response = get(client, admin_user)
    section = next(s for s in response.context["dashboard"] if s.key == "payroll")
    # then the client's pay dates are compared, batches counted by status, the failed import listed
    client_row = section.data["clients"][0]
    assert [(p["active"], p["paid"]) for p in client_row["points"]] == [(40, 38), (42, 45)]
    assert section.data["batches"]["statuses"][0]["count"] == 2
    assert [r.message for r in section.data["failed"]] == ["Unknown client number"]
    html = response.content.decode()
    assert "Active vs paid employees of client 100100" in html and "Unknown client number" in html
    # and more paid than active on the last pay date reads as such (not "-3 active not paid")
    assert '<span class="hub-badge hub-badge-warn">3 paid but not active</span>' in html


def test_the_payroll_counts_imports_completed_with_a_message_apart_from_failures(
    client, admin_user, customer
):
    from apps.payroll.models import (
        ImportQueueRecord,
        PayrollBatch,
    )  # the payroll app is above the dashboard's own imports

    # given one batch that failed and one that completed with seed 004's pay-date message
    company = CompanyFactory(
        company_set=CompanySetFactory(customer=customer, provider="prismhr"), external_id="100100"
    )
    connection = ConnectionFactory(customer=customer, provider="prismhr")
    for batch_id, state, message in [
        ("41002", "failed", "PrismHR refused: HTTP 400"),
        ("41003", "completed_with_message", "Pay date is required to import payroll batches"),
    ]:
        batch = PayrollBatch.objects.create(
            company=company, batch_id=batch_id, status_code="COMP", import_state=state, import_message=message
        )
        ImportQueueRecord.objects.create(
            connection=connection,
            company=company,
            batch=batch,
            client_number="100100",
            batch_number=batch_id,
            source="import",
            state=state,
            message=message,
        )
    # when the admin opens the dashboard
    response = get(client, admin_user)
    section = next(s for s in response.context["dashboard"] if s.key == "payroll")
    # then each is counted as what it is, and both are listed with their outcome
    counts = {value: n for value, _label, n in section.data["batches"]["imports"]}
    assert (counts["failed"], counts["completed_with_message"], counts["completed"]) == (1, 1, 0)
    assert [r.batch_number for r in section.data["failed"]] == ["41003", "41002"]
    html = response.content.decode()
    assert "completed with a message 1" in html and "failed 1" in html
    assert "Pay date is required to import payroll batches" in html


def _dashboard_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["admin_user", "consultant"])
def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_data_size(
    client, request, customer, persona, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    # given little data
    fill_dashboard(customer, 1)
    small = _dashboard_queries(client, user)
    with django_assert_max_num_queries(small):
        client.get(DASHBOARD)
    # when there is five times more of everything
    fill_dashboard(customer, 5)
    # then the page runs no more queries than before
    with django_assert_max_num_queries(small):
        assert client.get(DASHBOARD).status_code == 200
    assert _dashboard_queries(client, user) == small

"""The employee timeline page, the sync run page with its progress JSON, and the links that lead to them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.employees.models import DownstreamAction, Person, StatusEvent
from apps.integrations.models import SyncRun
from apps.support.models import Ticket
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory, SyncRunFactory
from tests.support.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_with_two_records(customer, company, company_set):
    """A person transferred from company 123 to 456: history on both records and actions."""
    today = timezone.localdate()
    other = CompanyFactory(company_set=company_set, external_id="456", name="Acme Two")
    person = Person.objects.create(customer=customer, display_name="Ada Lovelace", status_type="active")
    first = EmployeeFactory(
        company=company, employee_id="1001", person=person, status_code="XT", status_type="terminated"
    )
    second = EmployeeFactory(company=other, employee_id="1001", person=person)
    rows = [
        (first, "A", "active", today - dt.timedelta(days=200), {}),
        (first, "XT", "terminated", today - dt.timedelta(days=30), {"transition": "transfer_out"}),
        (second, "A", "active", today - dt.timedelta(days=30), {"transition": "new_hire"}),
        (second, "L", "leave", today - dt.timedelta(days=60), {"retroactive": True}),
        (second, "SAB", None, today - dt.timedelta(days=5), {"held": True}),
        (second, "T", "terminated", today + dt.timedelta(days=20), {}),
    ]
    for employee, code, status_type, on, extra in rows:
        StatusEvent.objects.create(
            employee=employee,
            code=code,
            status_type=status_type,
            effective_date=on,
            recorded_at=timezone.now(),
            source="sync",
            **extra,
        )
    DownstreamAction.objects.create(
        customer=customer,
        person=person,
        employee=first,
        action="transfer",
        effective_date=today - dt.timedelta(days=30),
        key=f"{person.pk}:transfer",
        seq=1,
        state="delivered",
    )
    return person, first, second


def timeline_url(employee) -> str:
    return reverse("hub-employee-timeline", args=[employee.pk])


def test_the_timeline_shows_every_record_of_the_person_on_one_axis(
    client, consultant, person_with_two_records
):
    # given a person with a record in two companies, one moved there by a transfer
    _, first, second = person_with_two_records
    # when the consultant opens the first record's timeline over the whole history
    client.force_login(consultant)
    response = client.get(timeline_url(first) + "?range=all")
    # then both records are on one axis, with the marks, the action and the legend spelled out
    assert response.status_code == 200
    html = response.content.decode()
    # one lane per record, the record we came from highlighted, both in the SVG and in the tables
    svg = html[html.index('<svg class="hub-timeline"') :]
    svg = svg[: svg.index("</svg>")]
    assert ">123 / 1001</text>" in svg and ">456 / 1001</text>" in svg and "hub-lane-current" in svg
    assert f'id="timeline-events-{first.pk}"' in html and f'id="timeline-events-{second.pk}"' in html
    # the marks are written out, not only drawn
    for words in ("retro-active", "held: unmapped code", "future-dated", "(scheduled)"):
        assert words in html
    # the action under it
    assert "transfer effective" in html and 'id="timeline-actions"' in html
    # the legend names every colour
    for words in ("Active", "Leave", "Terminated", "Unmapped code (held, hatched)"):
        assert words in html


def test_the_timeline_defaults_to_the_last_year_for_a_long_history(client, consultant, company):
    # given an employee active for years and on leave lately
    employee = EmployeeFactory(company=company)
    today = timezone.localdate()
    for code, days in (("A", 2000), ("L", 100)):
        StatusEvent.objects.create(
            employee=employee,
            code=code,
            status_type="active" if code == "A" else "leave",
            effective_date=today - dt.timedelta(days=days),
            recorded_at=timezone.now(),
            source="sync",
        )
    # when the timeline is opened without a range, then it shows the last year
    client.force_login(consultant)
    assert client.get(timeline_url(employee)).context["window"] == "1y"
    # when the whole range is asked for, then it shows everything
    assert client.get(timeline_url(employee) + "?range=all").context["window"] == "all"


def test_the_timeline_runs_the_same_number_of_queries_whatever_the_history(
    client, consultant, person_with_two_records, django_assert_max_num_queries
):
    person, first, second = person_with_two_records
    client.force_login(consultant)
    with CaptureQueriesContext(connection) as small:
        client.get(timeline_url(first))
    # given ten times more history
    for n in range(40):
        StatusEvent.objects.create(
            employee=second,
            code="A" if n % 2 else "L",
            status_type="active" if n % 2 else "leave",
            effective_date=timezone.localdate() - dt.timedelta(days=300 - n),
            recorded_at=timezone.now(),
            source="webhook",
        )
        DownstreamAction.objects.create(
            customer=person.customer,
            person=person,
            employee=second,
            action="restore",
            effective_date=timezone.localdate(),
            key=f"k{n}",
            seq=100 + n,
        )
    with django_assert_max_num_queries(len(small)):
        assert client.get(timeline_url(first)).status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"),
    [("no_role_user", 403), ("outsider", 404), ("support_agent", 200), ("admin_user", 200)],
)
def test_timeline_access_follows_roles_and_customers(
    client, request, person_with_two_records, persona, status
):
    _, first, _ = person_with_two_records
    client.force_login(request.getfixturevalue(persona))
    assert client.get(timeline_url(first)).status_code == status


def test_anonymous_users_go_to_the_login_for_the_timeline(client, person_with_two_records):
    # given a person's record
    _, first, _ = person_with_two_records
    # when someone not signed in opens its timeline
    response = client.get(timeline_url(first))
    # then they are sent to the admin login
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_employee_admin_page_and_the_ticket_page_link_the_timeline(
    client, support_agent, customer, person_with_two_records
):
    # given a person with two records and a ticket about the second
    _, first, second = person_with_two_records
    ticket = Ticket.objects.create(
        customer=customer, title="Transfer not on the feed", category="multiple_companies"
    )
    ticket.employees.add(second)
    # when a support agent opens the first record's admin page and the ticket's page
    client.force_login(support_agent)
    employee_page = client.get(reverse("admin:employees_employee_change", args=[first.pk])).content.decode()
    # then each links the timeline of its record
    assert timeline_url(first) in employee_page
    ticket_page = client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    assert timeline_url(second) in ticket_page


# --- sync run page -------------------------------------------------------------------------------------


@pytest.fixture
def running_run(customer):
    return SyncRunFactory(
        connection=ConnectionFactory(customer=customer, name="Acme Paylocity"),
        state=SyncRun.State.RUNNING,
        fetched=400,
        details_fetched=140,
        created=3,
        updated=12,
        unchanged=124,
        failed=1,
        progress_done=140,
        progress_total=400,
        errors=[{"employee_id": "1188", "error": "No effective date"}, "plain text error"],
        started_at=timezone.now(),
    )


def test_the_sync_run_page_shows_counts_percentage_errors_and_polls_while_running(
    client, consultant, running_run
):
    # given a sync run part way through, with row errors
    # when the consultant opens its page
    client.force_login(consultant)
    response = client.get(reverse("hub-sync-run", args=[running_run.pk]))
    assert response.status_code == 200
    # then it shows the progress in numbers and words, the errors, and polls the progress while running
    html = response.content.decode()
    assert "35%" in html and "140 of 400 employees" in html
    assert "employee id 1188" in html and "No effective date" in html and "plain text error" in html
    assert reverse("hub-sync-run-progress", args=[running_run.pk]) in html
    assert "hub/sync_run.js" in html and 'data-finished="false"' in html


def test_the_progress_json_follows_the_run_to_its_end(client, consultant, running_run):
    client.force_login(consultant)
    url = reverse("hub-sync-run-progress", args=[running_run.pk])
    data = client.get(url).json()
    assert (data["state"], data["percent"], data["finished"]) == ("running", 35, False)
    assert data["counts"] == {
        "fetched": 400,
        "details_fetched": 140,
        "created": 3,
        "updated": 12,
        "unchanged": 124,
        "failed": 1,
    }
    assert data["errors"][0] == {"where": "employee id 1188", "error": "No effective date"}
    # when the run finishes
    SyncRun.objects.filter(pk=running_run.pk).update(
        state=SyncRun.State.PARTIAL, progress_done=400, finished_at=timezone.now()
    )
    data = client.get(url).json()
    assert (data["state"], data["percent"], data["finished"]) == ("partial", 100, True)


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 401), ("no_role_user", 403), ("outsider", 404), ("support_agent", 200)],
)
def test_progress_json_access(client, request, running_run, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("hub-sync-run-progress", args=[running_run.pk]))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_the_sync_run_page_and_json_run_a_fixed_number_of_queries(
    client, consultant, running_run, django_assert_max_num_queries
):
    # given a running sync run
    client.force_login(consultant)
    # when its progress is read with a few errors and then with a hundred, then both stay in one query budget
    with django_assert_max_num_queries(6):
        client.get(reverse("hub-sync-run-progress", args=[running_run.pk]))
    SyncRun.objects.filter(pk=running_run.pk).update(
        errors=[{"employee_id": str(n), "error": "x"} for n in range(100)]
    )
    with django_assert_max_num_queries(6):
        client.get(reverse("hub-sync-run-progress", args=[running_run.pk]))


def test_the_sync_run_admin_page_links_the_live_page(client, admin_user, running_run):
    # given a sync run
    # when an admin opens it in the admin
    client.force_login(admin_user)
    html = client.get(reverse("admin:integrations_syncrun_change", args=[running_run.pk])).content.decode()
    # then the page links its live page
    assert reverse("hub-sync-run", args=[running_run.pk]) in html


def test_a_failed_run_shows_its_error_and_no_full_bar_for_nothing_done(client, consultant, customer):
    run = SyncRunFactory(
        connection=ConnectionFactory(customer=customer),
        state=SyncRun.State.FAILED,
        message="Paylocity token: HTTP 403 invalid_client",
        finished_at=timezone.now(),
    )
    client.force_login(consultant)
    data = client.get(reverse("hub-sync-run-progress", args=[run.pk])).json()
    assert (data["percent"], data["failed"]) == (None, True)
    assert data["progress_text"] == "Failed: Paylocity token: HTTP 403 invalid_client"
    html = client.get(reverse("hub-sync-run", args=[run.pk])).content.decode()
    assert "100%" not in html and "This run failed:" in html
    assert "Paylocity token: HTTP 403 invalid_client" in html
    assert '<progress id="run-progress" max="100" hidden' in html


def test_a_run_waiting_on_the_providers_retry_after_says_so_with_the_time_left(
    client, consultant, running_run
):
    SyncRun.objects.filter(pk=running_run.pk).update(
        progress_total=0,
        progress_done=0,
        waiting_until=timezone.now() + dt.timedelta(seconds=20),
        waiting_reason="the provider answered HTTP 429 and asked us to retry after 20 s",
    )
    client.force_login(consultant)
    data = client.get(reverse("hub-sync-run-progress", args=[running_run.pk])).json()
    assert 18 <= data["waiting"]["seconds_left"] <= 20
    assert data["progress_text"].startswith("Waiting for the provider: the provider answered HTTP 429")
    html = client.get(reverse("hub-sync-run", args=[running_run.pk])).content.decode()
    assert "counting the employees" not in html and "Waiting for the provider" in html
    # a wait that is over is not shown
    SyncRun.objects.filter(pk=running_run.pk).update(waiting_until=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(reverse("hub-sync-run-progress", args=[running_run.pk])).json()["waiting"] is None

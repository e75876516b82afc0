"""Sync runs: the claim, routine vs full, the weekly refresh, failures that conclude nothing from absence."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.employees.models import Employee, StatusEvent
from apps.integrations.models import ApiCall, Connection, SyncRun
from apps.integrations.services import (
    SyncConflict,
    SyncContext,
    sync_run_execute,
    sync_run_request,
    sync_runs_nightly,
    sync_runs_reap_stale,
)
from apps.integrations.services.syncs import DETAILS_MAX_AGE, FULL_SYNC_WEEKDAY, needs_details
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory
from tests.integrations.test_providers import PCTY, pcty_detail, token_ok

pytestmark = pytest.mark.django_db

LIST = f"{PCTY}/api/v2/companies/6700/employees"


@pytest.fixture
def conn(company_set):
    company = CompanyFactory(company_set=company_set, external_id="6700")
    connection = ConnectionFactory(customer=company_set.customer, base_url=PCTY, slug="acme-pcty")
    connection.companies.add(company)
    return connection


def provider(employees: dict[str, str], *, fail_detail: set[str] = frozenset(), list_status: int = 200):
    """Register a Paylocity with ``employees`` (id -> status code); return the detail-call counter."""
    token_ok()
    items = [{"employeeId": i, "statusCode": c, "statusTypeCode": c} for i, c in employees.items()]
    responses.get(LIST, json=items, status=list_status, headers={"X-Pcty-Total-Count": str(len(items))})
    seen = {"details": 0}

    def detail(request):
        employee_id = request.url.rsplit("/", 1)[-1]
        seen["details"] += 1
        if employee_id in fail_detail:
            return (503, {}, "")
        import json

        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(pcty_detail(employee_id, employees[employee_id])),
        )

    responses.add_callback(responses.GET, responses.matchers.re.compile(rf"{LIST}/\w+$"), callback=detail)
    return seen


def run_sync(conn, **kw) -> SyncRun:
    run = sync_run_request(connection=conn, trigger=SyncRun.Trigger.COMMAND, **kw)
    return sync_run_execute(run_id=run.pk, context=SyncContext(http_options={"sleep": lambda s: None}))


@responses.activate
def test_a_first_sync_creates_every_employee_through_the_apply(conn):
    seen = provider({"1001": "A", "1002": "A", "1003": "T"})
    run = run_sync(conn)
    assert run.state == SyncRun.State.SUCCEEDED
    assert (run.fetched, run.details_fetched, run.created, run.failed) == (3, 3, 3, 0)
    assert run.progress_done == run.progress_total == 3
    assert seen["details"] == 3
    assert set(Employee.objects.values_list("employee_id", flat=True)) == {"1001", "1002", "1003"}
    assert ApiCall.objects.filter(sync_run=run).count() == 5  # token + list + 3 details


@responses.activate
def test_a_routine_sync_fetches_details_only_for_changes_and_reuses_the_token(conn):
    seen = provider({"1001": "A", "1002": "A"})
    run_sync(conn)
    # the provider now shows 1002 terminated and a new 1003
    responses.reset()
    seen = provider({"1001": "A", "1002": "T", "1003": "A"})
    run = run_sync(conn)
    assert seen["details"] == 2  # 1002 (code changed) and 1003 (new); 1001 unchanged
    assert (run.created, run.updated, run.unchanged) == (1, 1, 1)
    assert Employee.objects.get(employee_id="1002").status_code == "T"
    token_posts = [c for c in responses.calls if c.request.method == "POST"]
    assert token_posts == []  # the second sync used the cached token


@responses.activate
def test_a_full_sync_fetches_every_detail(conn):
    provider({"1001": "A", "1002": "A"})
    run_sync(conn)
    responses.reset()
    seen = provider({"1001": "A", "1002": "A"})
    run = run_sync(conn, full=True)
    assert seen["details"] == 2 and run.unchanged == 2 and run.full


@responses.activate
def test_an_outage_mid_sync_fails_the_run_and_concludes_nothing_from_absence(conn):
    # given employees synced before
    provider({"1001": "A", "1002": "A", "1003": "A"})
    run_sync(conn)
    before = list(
        Employee.objects.order_by("employee_id").values("employee_id", "status_code", "status_type")
    )
    events_before = StatusEvent.objects.count()
    # when the provider fails in the middle of the next full sync (1002 answers 503 every time)
    responses.reset()
    provider({"1001": "A", "1002": "A", "1003": "A"}, fail_detail={"1002"})
    run = run_sync(conn, full=True)
    # then the run failed and no employee changed (1003, never fetched, is not treated as gone)
    assert run.state == SyncRun.State.FAILED and "503" in run.message
    after = list(Employee.objects.order_by("employee_id").values("employee_id", "status_code", "status_type"))
    assert after == before and StatusEvent.objects.count() == events_before


@responses.activate
def test_a_list_outage_fails_the_run_and_changes_nothing(conn):
    provider({"1001": "A"})
    run_sync(conn)
    responses.reset()
    provider({}, list_status=500)
    run = run_sync(conn)
    assert run.state == SyncRun.State.FAILED
    assert Employee.objects.get(employee_id="1001").status_code == "A"


@responses.activate
def test_an_employee_whose_detail_is_gone_makes_the_run_partial(conn):
    token_ok()
    responses.get(LIST, json=[{"employeeId": "1001", "statusCode": "A", "statusTypeCode": "A"}])
    responses.get(f"{LIST}/1001", status=404, json=[{"message": "gone"}])
    run = run_sync(conn)
    assert run.state == SyncRun.State.PARTIAL and run.failed == 1
    assert run.errors[0]["employee_id"] == "1001"


def test_only_one_sync_per_connection_and_kind_can_be_pending_or_running(conn):
    first = sync_run_request(connection=conn)
    with pytest.raises(SyncConflict) as info:
        sync_run_request(connection=conn)
    assert info.value.status_code == 409 and info.value.extra["sync_run"] == first.pk


def test_a_second_worker_cannot_run_a_claimed_run(conn):
    run = sync_run_request(connection=conn)
    SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.RUNNING)
    assert sync_run_execute(run_id=run.pk) is None


def test_a_paused_connection_does_not_sync(conn):
    conn.state = Connection.State.PAUSED
    conn.save()
    with pytest.raises(Exception, match="paused"):
        sync_run_request(connection=conn)


def test_an_unknown_kind_is_refused(conn):
    with pytest.raises(Exception, match="Unknown sync kind"):
        sync_run_request(connection=conn, kind="payroll-everything")


def test_nightly_requests_one_sync_per_live_connection(conn, customer):
    conn.state = Connection.State.LIVE
    conn.save()
    ConnectionFactory(customer=customer, state=Connection.State.TESTING)
    runs = sync_runs_nightly()
    assert [r.connection_id for r in runs] == [conn.pk]
    assert runs[0].trigger == SyncRun.Trigger.SCHEDULE
    assert sync_runs_nightly() == []  # already pending: skipped, not duplicated


@pytest.mark.parametrize(("day", "full"), [(dt.date(2025, 3, 9), True), (dt.date(2025, 3, 10), False)])
def test_the_nightly_sync_is_full_on_sunday_nights_and_routine_otherwise(conn, day, full):
    conn.state = Connection.State.LIVE
    conn.save()
    at_two = timezone.make_aware(dt.datetime.combine(day, dt.time(2, 0)))
    (run,) = sync_runs_nightly(now=at_two)
    assert run.full is full


def test_a_run_whose_worker_died_is_failed_by_the_reaper(conn):
    run = sync_run_request(connection=conn)
    SyncRun.objects.filter(pk=run.pk).update(
        state=SyncRun.State.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert sync_runs_reap_stale() == 1
    assert SyncRun.objects.get(pk=run.pk).state == SyncRun.State.FAILED
    sync_run_request(connection=conn)  # the claim is free again


@responses.activate
def test_the_sync_command_prints_the_run_and_its_counts(conn, capsys):
    provider({"1001": "A"})
    call_command("sync", "acme-pcty", "--kind", "employees")
    out = capsys.readouterr().out
    run = SyncRun.objects.get()
    assert f"Sync run {run.pk}" in out and "created 1" in out and "succeeded" in out


@responses.activate
def test_the_sync_command_exits_1_when_the_run_fails(conn):
    provider({}, list_status=500)
    with pytest.raises(SystemExit) as info:
        call_command("sync", str(conn.pk), "--kind", "employees")
    assert info.value.code == 1


# --- which details a routine sync fetches (pure) --------------------------------------------------------------

NOW = dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("known", "listed", "expected"),
    [
        (None, "A", True),  # new
        (("A", NOW - dt.timedelta(hours=1)), "T", True),  # code changed
        (("A", None), "A", True),  # never detailed
        (("A", NOW - DETAILS_MAX_AGE), "A", True),  # the weekly full sync was missed
        (("A", NOW - dt.timedelta(days=6)), "A", False),  # unchanged: no request, however old in the week
        (("A", NOW - dt.timedelta(hours=1)), "A", False),  # fresh and unchanged
        (("a", NOW - dt.timedelta(hours=1)), "A", False),  # case does not matter
    ],
)
def test_needs_details(known, listed, expected):
    assert needs_details(listed_code=listed, known=known, now=NOW, list_has_status=True) is expected


def test_without_a_status_in_the_list_every_detail_is_fetched():
    known = ("A", NOW - dt.timedelta(hours=1))
    assert needs_details(listed_code="", known=known, now=NOW, list_has_status=False)


@settings(max_examples=30, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60, unique=True),
    changes=st.lists(st.tuples(st.integers(1, 28), st.integers(0, 59)), max_size=20),
)
def test_nightly_syncs_detail_everyone_weekly_and_only_changes_on_routine_nights(ids, changes):
    # given every employee detailed on day 0, then a nightly sync for four weeks (full on Sundays)
    refreshed = dict.fromkeys(ids, NOW)
    ours = dict.fromkeys(ids, "A")
    listed = dict(ours)
    longest = dt.timedelta(0)
    for day in range(1, 29):
        now = NOW + dt.timedelta(days=day)
        changed_today = {ids[i % len(ids)] for d, i in changes if d == day}
        for employee_id in changed_today:
            listed[employee_id] = "T" if listed[employee_id] == "A" else "A"
        full = now.weekday() == FULL_SYNC_WEEKDAY
        fetched = [
            i
            for i in ids
            if full
            or needs_details(
                listed_code=listed[i], known=(ours[i], refreshed[i]), now=now, list_has_status=True
            )
        ]
        if not full:  # a routine night costs a request only for an employee whose listed status changed
            assert set(fetched) == {i for i in changed_today if listed[i] != ours[i]}
        for i in fetched:
            longest = max(longest, now - refreshed[i])
            refreshed[i], ours[i] = now, listed[i]
    # then nobody's details are older than a week
    assert longest <= dt.timedelta(days=7)


def distinct_people(employees: dict[str, str]) -> None:
    """A Paylocity whose employees are different people (own national ID and email), unlike ``provider``."""
    import json
    from urllib.parse import parse_qs, urlsplit

    token_ok()
    items = [{"employeeId": i, "statusCode": c, "statusTypeCode": c} for i, c in employees.items()]

    def listing(request):  # honours pagesize and the 0-based pagenumber
        query = parse_qs(urlsplit(request.url).query)
        size, number = int(query["pagesize"][0]), int(query["pagenumber"][0])
        page = items[size * number : size * (number + 1)]
        return (
            200,
            {"Content-Type": "application/json", "X-Pcty-Total-Count": str(len(items))},
            json.dumps(page),
        )

    responses.add_callback(responses.GET, responses.matchers.re.compile(rf"{LIST}(\?.*)?$"), callback=listing)

    def detail(request):
        employee_id = request.url.rsplit("/", 1)[-1]
        body = pcty_detail(employee_id, employees[employee_id])
        body["ssn"] = f"900-00-{employee_id}"
        body["workAddress"]["emailAddress"] = f"e{employee_id}@example.com"
        if employees[employee_id] == "T":
            body["status"]["effectiveDate"] = "2024-06-01T00:00:00"
        return (200, {"Content-Type": "application/json"}, json.dumps(body))

    responses.add_callback(responses.GET, responses.matchers.re.compile(rf"{LIST}/\w+$"), callback=detail)


@responses.activate
def test_a_sync_run_is_one_cause_for_the_mass_change_safeguard_across_pages(conn):
    from apps.employees.models import ChangeBatch, DownstreamAction

    # given 40 active employees (40 persons), synced
    distinct_people({f"{n:04d}": "A" for n in range(40)})
    run_sync(conn, full=True)
    # when the provider terminates 12 of them and the sync applies them page by page (pages of 5)
    responses.reset()
    distinct_people({f"{n:04d}": ("T" if n < 12 else "A") for n in range(40)})
    run = sync_run_request(connection=conn, trigger=SyncRun.Trigger.COMMAND, full=True)
    sync_run_execute(run_id=run.pk, context=SyncContext(page_size=5, http_options={"sleep": lambda s: None}))
    # then all 12 deprovisions wait together for approval (30% of 40 active persons)
    held = DownstreamAction.objects.filter(action="deprovision")
    assert held.count() == 12 and set(held.values_list("state", flat=True)) == {"awaiting_approval"}
    assert ChangeBatch.objects.get(state="awaiting_approval").cause.startswith(f"sync run {run.pk}")


@responses.activate
def test_a_run_records_its_wait_on_the_providers_retry_after_while_it_waits(conn):
    # given a provider that answers the list with 429 and Retry-After: 7 once
    token_ok()
    responses.get(LIST, status=429, headers={"Retry-After": "7"})
    responses.get(LIST, json=[], headers={"X-Pcty-Total-Count": "0"})
    seen = []

    def sleep(seconds):
        # while the run sleeps, its row says it waits, why, and until when
        seen.append(SyncRun.objects.values_list("waiting_until", "waiting_reason").get())

    run = sync_run_request(connection=conn, trigger=SyncRun.Trigger.COMMAND)
    before = timezone.now()
    run = sync_run_execute(run_id=run.pk, context=SyncContext(http_options={"sleep": sleep}))
    [(until, reason)] = seen
    assert dt.timedelta(seconds=6) < until - before < dt.timedelta(seconds=9)
    assert "retry after 7 s" in reason
    # and once done, the run no longer waits
    run.refresh_from_db()
    assert run.state == SyncRun.State.SUCCEEDED and run.waiting_until is None and run.waiting_reason == ""

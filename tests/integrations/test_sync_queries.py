"""A sync page's queries do not grow with its size: detail calls are booked in bulk, written ahead."""

from __future__ import annotations

import json
import threading
import time

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from apps.integrations.models import ApiCall, SyncRun
from apps.integrations.transport import UNLOGGED_OUTCOME, planned_calls, provider_http
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory
from tests.integrations.test_providers import PCTY, pcty_detail, token_ok
from tests.integrations.test_syncs import run_sync

pytestmark = pytest.mark.django_db


def paylocity_company(company_set, external_id: str, size: int, on_detail=None):
    """A connection to a Paylocity company of ``size`` different people, listed in one page."""
    company = CompanyFactory(company_set=company_set, external_id=external_id)
    conn = ConnectionFactory(customer=company_set.customer, base_url=PCTY, slug=f"pcty-{external_id}")
    conn.companies.add(company)
    listing = f"{PCTY}/api/v2/companies/{external_id}/employees"
    ids = [f"{external_id}{n:03d}" for n in range(size)]
    items = [{"employeeId": i, "statusCode": "A", "statusTypeCode": "A"} for i in ids]
    responses.get(listing, json=items, headers={"X-Pcty-Total-Count": str(size)})

    def detail(request):
        employee_id = request.url.rsplit("/", 1)[-1]
        if on_detail:
            on_detail(employee_id)
        n = ids.index(employee_id)
        body = {
            **pcty_detail(employee_id, "A"),
            "companyId": external_id,
            "ssn": f"123-45-{n:04d}",
            "workAddress": {"emailAddress": f"p{external_id}-{n}@example.com"},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    responses.add_callback(responses.GET, responses.matchers.re.compile(rf"{listing}/\w+$"), callback=detail)
    return conn


@responses.activate
def test_the_queries_of_a_sync_page_do_not_grow_with_its_size(
    company_set, monkeypatch, django_assert_num_queries
):
    # the breaker's view of the connection is re-read once a second: pinned, so a slow machine reads it once too
    monkeypatch.setattr("apps.integrations.transport.BREAKER_CACHE_SECONDS", 3600)
    token_ok()
    small = paylocity_company(company_set, "6701", 4)
    large = paylocity_company(company_set, "6702", 12)
    with CaptureQueriesContext(db) as first:
        run = run_sync(small, full=True)
    assert run.state == SyncRun.State.SUCCEEDED and run.created == 4
    with django_assert_num_queries(len(first.captured_queries)):
        run = run_sync(large, full=True)
    assert run.state == SyncRun.State.SUCCEEDED and run.created == 12
    # every request is in the call log, each with its outcome: 1 token + 1 list page + 12 details
    calls = ApiCall.objects.filter(sync_run=run)
    assert calls.count() == 14
    assert calls.filter(status_code=200, method="GET").count() == 13
    assert not calls.filter(error=UNLOGGED_OUTCOME).exists()


@responses.activate
def test_a_page_s_call_rows_are_written_before_its_requests(company_set):
    # given a worker that would die during the page's third detail call
    seen_during: list[tuple[int, int]] = []

    def look(employee_id):
        if len(seen_during) == 2:
            rows = ApiCall.objects.filter(uri="", error=UNLOGGED_OUTCOME)
            seen_during.append((rows.count(), ApiCall.objects.filter(method="GET").count()))
        else:
            seen_during.append((0, 0))

    token_ok()
    conn = paylocity_company(company_set, "6703", 5, on_detail=look)
    run = run_sync(conn, full=True)
    # then at that moment all five detail rows were already stored, the three not yet made as "no outcome
    # recorded" (what would stay if the worker died), besides the list page's row
    assert seen_during[2] == (5, 1)
    assert ApiCall.objects.filter(sync_run=run, method="GET").count() == 6
    assert not ApiCall.objects.filter(error=UNLOGGED_OUTCOME).exists()


@responses.activate
def test_fewer_requests_than_planned_leave_no_planned_rows(company_set):
    token_ok()
    conn = paylocity_company(company_set, "6704", 1)
    http = provider_http(conn, sleep=lambda s: None)
    with planned_calls(http, 3):
        http.request("GET", f"{PCTY}/api/v2/companies/6704/employees")
    assert list(ApiCall.objects.values_list("method", "status_code", "error")) == [("GET", 200, "")]


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_detail_calls_run_several_at_a_time_and_are_all_logged(company_set, settings):
    settings.SYNC_DETAIL_CONCURRENCY = 4
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(employee_id):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1

    token_ok()
    conn = paylocity_company(company_set, "6705", 8, on_detail=slow)
    run = run_sync(conn, full=True)
    assert run.state == SyncRun.State.SUCCEEDED and run.created == 8
    assert most[0] > 1
    calls = ApiCall.objects.filter(sync_run=run, method="GET")
    assert calls.count() == 9 and calls.filter(status_code=200).count() == 9

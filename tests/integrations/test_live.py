"""End to end over real sockets: the sandbox on a live server, webhooks in, and a real qcluster worker."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time

import pytest
import requests
from django.conf import settings
from django.db import connection as db

from apps.core import signing
from apps.employees.models import Employee, StatusEvent
from apps.integrations.models import ApiCall, Connection, SyncRun, WebhookEvent
from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request
from apps.sandbox.models import FaultMode, SandboxCompany
from apps.sandbox.services import companies as sandbox_companies
from apps.sandbox.services import employees as sandbox_employees
from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory
from tests.integrations.factories import ConnectionFactory
from tests.live import running_worker, stop_process_group, wait_for
from tests.sandbox.factories import SandboxCompanyFactory, SandboxCredentialFactory, SandboxEmployeeFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_" + base64.b64encode(b"live-secret-0123456789abcdefghij").decode()


@pytest.fixture
def world(live_server):
    """A sandbox Paylocity company with 12 employees, and the hub's connection pointing at it."""
    sandbox = SandboxCompanyFactory(external_id="6700", rate_limit=0)
    credential = SandboxCredentialFactory(
        client_id="live-client", client_secret="live-secret", companies=[sandbox]
    )
    for n in range(12):
        SandboxEmployeeFactory(company=sandbox, employee_id=f"{1000 + n}")
    customer = CustomerFactory()
    company = CompanyFactory(company_set=CompanySetFactory(customer=customer), external_id="6700")
    conn = ConnectionFactory(
        customer=customer,
        base_url=f"{live_server.url}/sandbox/paylocity",
        client_id=credential.client_id,
        client_secret="live-secret",
        webhook_auth=Connection.WebhookAuth.HMAC,
        webhook_secret=SECRET,
    )
    conn.companies.add(company)
    return conn, sandbox, company


def sync(conn, **kw) -> SyncRun:
    run = sync_run_request(connection=conn, trigger=SyncRun.Trigger.COMMAND, full=kw.pop("full", False))
    return sync_run_execute(run_id=run.pk, context=SyncContext(**kw))


def test_a_sync_through_real_sockets_creates_every_employee_with_one_token(world):
    conn, _sandbox, _ = world
    first = sync(conn, page_size=5)
    assert first.state == SyncRun.State.SUCCEEDED, first.message
    assert (first.fetched, first.created) == (12, 12)
    assert Employee.objects.filter(company__external_id="6700").count() == 12
    second = sync(conn, page_size=5)
    assert second.state == SyncRun.State.SUCCEEDED and second.details_fetched == 0 and second.unchanged == 12
    token_calls = ApiCall.objects.filter(connection=conn, method="POST", uri__endswith="/connect/token")
    assert token_calls.count() == 1  # two syncs, one token


def test_the_rate_limiter_is_never_exceeded_in_a_sandbox_sync(world):
    # given the sandbox enforces 8 requests per second and the connection is told the same
    conn, sandbox, _ = world
    sandbox_companies.company_rate_limit_set(company=sandbox, limit=8, window_seconds=1)
    sandbox_companies.company_counters_reset(company=sandbox)
    Connection.objects.filter(pk=conn.pk).update(rate_limit_per_second=8.0)
    conn.refresh_from_db()
    # when a full sync makes ~15 requests
    run = sync(conn, full=True, page_size=6)
    # then no request was refused for exceeding the limit
    sandbox.refresh_from_db()
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    assert sandbox.request_count >= 14 and sandbox.rate_limited_count == 0
    assert not ApiCall.objects.filter(connection=conn, status_code=429).exists()


def test_retry_after_is_honoured_against_a_real_socket(world):
    conn, sandbox, _ = world
    sandbox_companies.company_fault_set(
        company=sandbox, mode=FaultMode.RATE_LIMIT, remaining=1, retry_after=1
    )
    run = sync(conn, page_size=20)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    refused = ApiCall.objects.get(connection=conn, status_code=429)
    retried = ApiCall.objects.filter(connection=conn, uri=refused.uri, attempt=2).get()
    assert retried.status_code == 200
    gap = (retried.created_at - refused.created_at).total_seconds() - refused.duration_ms / 1000
    assert gap >= 1.0 and gap < 3.0


def test_an_outage_mid_sync_changes_no_employee(world):
    # given the hub in step with the sandbox
    conn, sandbox, _company = world
    assert sync(conn, page_size=4).state == SyncRun.State.SUCCEEDED
    before = list(Employee.objects.order_by("employee_id").values())
    events_before = StatusEvent.objects.count()
    # and, in the sandbox, an employee of the last page is terminated
    sandbox_employees.employee_terminate(employee=sandbox.employees.get(employee_id="1011"))

    # when the provider starts failing after the first page of a full sync
    def outage_after_first_page(run):
        if run.progress_done == 4:
            sandbox_companies.company_fault_set(
                company=SandboxCompany.objects.get(pk=sandbox.pk), mode=FaultMode.ERROR_500
            )

    Connection.objects.filter(pk=conn.pk).update(circuit_threshold=50)
    run = sync(conn, full=True, page_size=4, on_progress=outage_after_first_page)
    # then the run failed, and no employee changed: not the unreached one, and nothing by absence
    assert run.state == SyncRun.State.FAILED
    after = list(Employee.objects.order_by("employee_id").values())
    strip = ("last_seen_at", "details_refreshed_at", "updated_at")
    assert [{k: v for k, v in e.items() if k not in strip} for e in after] == [
        {k: v for k, v in e.items() if k not in strip} for e in before
    ]
    assert StatusEvent.objects.count() == events_before


def test_a_sandbox_termination_arrives_as_a_signed_webhook_and_is_applied_after_a_get(world, live_server):
    conn, sandbox, _ = world
    assert sync(conn).state == SyncRun.State.SUCCEEDED
    SandboxCompany.objects.filter(pk=sandbox.pk).update(
        webhook_url=f"{live_server.url}{conn.webhook_path}", webhook_auth="hmac", webhook_secret=SECRET
    )
    sandbox.refresh_from_db()
    sandbox_employees.employee_terminate(employee=sandbox.employees.get(employee_id="1003"))
    event = wait_for(
        lambda: WebhookEvent.objects.filter(connection=conn, state="processed").first(), timeout=20
    )
    assert event is not None and event.event_type == "employee.terminated" and event.disagreement == ""
    employee = Employee.objects.get(employee_id="1003", company__external_id="6700")
    assert employee.status_code == "T"
    assert StatusEvent.objects.filter(employee=employee, source="webhook").count() == 1


def _post_hook(live_server, conn, payload: dict) -> requests.Response:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        **signing.standard_headers(SECRET, payload["eventId"], body),
    }
    return requests.post(f"{live_server.url}{conn.webhook_path}", data=body, headers=headers, timeout=10)


def test_a_worker_killed_mid_task_leaves_the_event_processed_exactly_once(world, live_server, monkeypatch):
    # given the hub in step with the sandbox, and a real worker whose tasks time out fast
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # enqueue for the real worker, not inline
    conn, sandbox, _ = world
    assert sync(conn).state == SyncRun.State.SUCCEEDED
    sandbox_employees.employee_terminate(employee=sandbox.employees.get(employee_id="1005"))
    # the provider's next GET hangs (the worker will be killed while it waits)
    sandbox_companies.company_fault_set(company=sandbox, mode=FaultMode.SLOW, remaining=1, delay_seconds=6)
    hung_until = time.monotonic() + 7
    worker_env = {"Q_TIMEOUT": "3", "Q_RETRY": "6", "Q_WORKERS": "1"}
    hook = {
        "eventId": "evt-kill",
        "eventType": "employee.terminated",
        "companyId": "6700",
        "employeeId": "1005",
    }

    with running_worker(**worker_env) as first:
        assert _post_hook(live_server, conn, hook).status_code == 200
        claimed = wait_for(
            lambda: WebhookEvent.objects.filter(delivery_key="id:evt-kill", state="processing").exists(),
            timeout=30,
        )
        assert claimed
        # when the worker dies in the middle of the task
        os.killpg(first.pid, signal.SIGKILL)
        stop_process_group(first, grace=0)
    # then a fresh worker picks the task up again once the broker re-offers it, and finishes it (its own
    # timeout is roomier: the provider may still be busy with the hung request for a few seconds)
    with running_worker(Q_TIMEOUT="20", Q_RETRY="30", Q_WORKERS="1"):
        if settings.REDIS_URL:
            # Redis hands a task out once, so the dead worker's copy is gone: the inbox row is the guarantee,
            # and the sweeper re-enqueues it once its lease has run out.
            from django.utils import timezone

            from apps.integrations.services.inbox import webhook_events_sweep

            wait_for(
                lambda: WebhookEvent.objects.filter(
                    delivery_key="id:evt-kill", locked_until__lt=timezone.now()
                ).exists(),
                timeout=20,
            )
            assert webhook_events_sweep() == 1
        event = wait_for(
            lambda: WebhookEvent.objects.filter(delivery_key="id:evt-kill", state="processed").first(),
            timeout=45,
        )
    assert event is not None, WebhookEvent.objects.values("state", "attempts", "last_error").first()
    assert event.attempts == 2
    employee = Employee.objects.get(employee_id="1005", company__external_id="6700")
    assert employee.status_code == "T"
    assert StatusEvent.objects.filter(employee=employee, source="webhook").count() == 1
    assert WebhookEvent.objects.filter(delivery_key="id:evt-kill").count() == 1
    # let the hung request of the dead worker end before the live server's database goes away
    time.sleep(max(0.0, hung_until - time.monotonic()))


@pytest.mark.postgres
def test_concurrent_identical_deliveries_store_one_row(world, live_server):
    from django_q.conf import Conf

    conn, _, _ = world
    hook = {"eventId": "evt-race", "eventType": "employee.updated", "companyId": "6700", "employeeId": "1001"}
    body = json.dumps(hook).encode()
    headers = {"Content-Type": "application/json", **signing.standard_headers(SECRET, "evt-race", body)}
    barrier = threading.Barrier(8)
    statuses = []
    previous, Conf.SYNC = Conf.SYNC, False  # store only; no worker needed to count rows
    try:

        def deliver():
            barrier.wait()
            statuses.append(
                requests.post(
                    f"{live_server.url}{conn.webhook_path}", data=body, headers=headers, timeout=10
                ).status_code
            )

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        Conf.SYNC = previous
    assert statuses == [200] * 8
    assert WebhookEvent.objects.filter(connection=conn, delivery_key="id:evt-race").count() == 1
    db.close()


def test_duplicate_deliveries_over_http_store_one_row(world, live_server, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    conn, _, _ = world
    hook = {"eventId": "evt-dup", "eventType": "employee.updated", "companyId": "6700", "employeeId": "1001"}
    first = _post_hook(live_server, conn, hook)
    second = _post_hook(live_server, conn, hook)
    assert (first.json(), second.json()) == (
        {"received": 1, "duplicates": 0},
        {"received": 0, "duplicates": 1},
    )
    assert WebhookEvent.objects.filter(delivery_key="id:evt-dup").count() == 1

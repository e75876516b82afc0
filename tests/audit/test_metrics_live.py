"""Live: a sync over real sockets against the sandbox, webhooks in, then a scrape of /metrics."""

from __future__ import annotations

import json

import pytest
import requests
from django.test import override_settings

from apps.core import signing
from apps.core.http import reset_process_state
from apps.integrations.models import ApiCall, Connection, SyncRun, WebhookEvent
from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request
from tests.audit.test_metrics import parse
from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory
from tests.integrations.factories import ConnectionFactory
from tests.sandbox.factories import SandboxCompanyFactory, SandboxCredentialFactory, SandboxEmployeeFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_bGl2ZS1tZXRyaWNzLXNlY3JldC0wMTIzNDU2Nzg5YWI="
TOKEN = "live-metrics-token-0123456789"


@pytest.fixture(autouse=True)
def _fresh_http_state():
    """Close the HTTP door's kept-alive sessions after the test: an open keep-alive connection holds a live
    server thread, and its database session, past the test (PostgreSQL then cannot drop the test database)."""
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def conn(live_server):
    sandbox = SandboxCompanyFactory(external_id="6800", rate_limit=0)
    credential = SandboxCredentialFactory(
        client_id="metrics-client", client_secret="metrics-secret", companies=[sandbox]
    )
    for n in range(7):
        SandboxEmployeeFactory(company=sandbox, employee_id=f"{2000 + n}")
    customer = CustomerFactory()
    company = CompanyFactory(company_set=CompanySetFactory(customer=customer), external_id="6800")
    connection = ConnectionFactory(
        customer=customer,
        base_url=f"{live_server.url}/sandbox/paylocity",
        client_id=credential.client_id,
        client_secret="metrics-secret",
        webhook_auth=Connection.WebhookAuth.HMAC,
        webhook_secret=SECRET,
    )
    connection.companies.add(company)
    return connection


def _hook(client, conn, payload: dict, secret: str = SECRET):
    """Deliver a webhook through the test client: its processing (inline under test settings) then runs in
    this thread, on this test's database connection, and calls the sandbox over a real socket."""
    body = json.dumps(payload).encode()
    headers = signing.standard_headers(secret, payload["eventId"], body)
    return client.post(conn.webhook_path, data=body, content_type="application/json", headers=headers)


@override_settings(METRICS_TOKEN=TOKEN)
def test_scrape_after_a_live_sync_reports_the_run_the_calls_and_the_webhooks(conn, live_server, client):
    # given a sync over real sockets against the sandbox
    run = sync_run_request(connection=conn, trigger=SyncRun.Trigger.COMMAND)
    run = sync_run_execute(run_id=run.pk, context=SyncContext(page_size=3))
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    # and a webhook delivered twice, and one with a wrong signature
    hook = {
        "eventId": "evt-metrics-1",
        "eventType": "employee.updated",
        "companyId": "6800",
        "employeeId": "2001",
    }
    assert _hook(client, conn, hook).status_code == 200
    assert _hook(client, conn, hook).status_code == 200
    forged = {**hook, "eventId": "evt-forged"}
    assert _hook(client, conn, forged, secret="whsec_" + "QUJD" * 11).status_code == 401
    # and the stored event processed inline (its GET to the sandbox is an API call too)
    assert WebhookEvent.objects.filter(connection=conn, state="processed").exists()

    # when Prometheus scrapes the endpoint (closing its sockets, so that no server thread keeps a session)
    refused = requests.get(f"{live_server.url}/metrics", headers={"Connection": "close"}, timeout=10)
    response = requests.get(
        f"{live_server.url}/metrics",
        headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"},
        timeout=30,
    )

    # then the figures match what happened
    assert refused.status_code == 401
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    m = parse(response.text)
    labels = (("kind", "employees"), ("outcome", "succeeded"), ("provider", "paylocity"))
    assert m[("hub_sync_runs_total", labels)] == 1
    assert m[("hub_sync_run_duration_seconds_count", (("kind", "employees"), ("provider", "paylocity")))] == 1
    duration = m[("hub_sync_run_duration_seconds_sum", (("kind", "employees"), ("provider", "paylocity")))]
    run.refresh_from_db()
    assert duration == pytest.approx(run.duration_seconds, abs=0.01)
    ok_calls = ApiCall.objects.filter(connection=conn, status_code__gte=200, status_code__lt=300).count()
    assert ok_calls >= 4  # a token, three pages, the details
    assert m[("hub_api_calls_total", (("provider", "paylocity"), ("status_class", "2xx")))] == ok_calls
    assert m[("hub_webhooks_received_total", (("provider", "paylocity"),))] == 1
    assert WebhookEvent.objects.filter(connection=conn).count() == 1
    assert m[("hub_webhooks_duplicate_total", (("provider", "paylocity"),))] == 1
    assert m[("hub_webhooks_rejected_total", (("provider", "paylocity"), ("status", "401")))] == 1
    assert ("hub_worker_up", ()) in m

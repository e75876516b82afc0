"""Webhooks in: the check before anything is stored, the inbox row before the 2xx, duplicates, parsing."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest

from apps.companies.models import Provider
from apps.core import signing
from apps.integrations.models import Connection, WebhookEvent
from apps.integrations.views import MAX_BODY_BYTES
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enqueued")]

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def enqueued(monkeypatch):
    """The event IDs the view queues for processing after its response (nothing is processed here)."""
    queued: list[int] = []
    monkeypatch.setattr("apps.integrations.views.webhook_events_enqueue", queued.extend)
    return queued


@pytest.fixture
def hmac_conn(customer):
    return ConnectionFactory(
        customer=customer, webhook_auth=Connection.WebhookAuth.HMAC, webhook_secret=SECRET
    )


def body_of(payload) -> bytes:
    return json.dumps(payload).encode()


def new_hook(employee_id="1001", event_id="evt-1", event_type="employee.updated"):
    return {
        "eventId": event_id,
        "eventType": event_type,
        "companyId": "6700",
        "employeeId": employee_id,
        "occurredAt": "2024-05-01T10:00:00Z",
    }


def post(client, conn, body: bytes, **headers):
    return client.post(conn.webhook_path, data=body, content_type="application/json", headers=headers)


def signed(body: bytes, msg_id="evt-1", **kw):
    return signing.standard_headers(SECRET, msg_id, body, **kw)


def test_a_signed_hook_is_stored_then_acknowledged_and_processing_is_enqueued_after(
    client, hmac_conn, enqueued
):
    body = body_of(new_hook())
    response = post(client, hmac_conn, body, **signed(body))
    assert response.status_code == 200 and response.json() == {"received": 1, "duplicates": 0}
    event = WebhookEvent.objects.get()
    assert (event.delivery_key, event.event_type, event.company_external_id, event.object_id) == (
        "id:evt-1",
        "employee.updated",
        "6700",
        "1001",
    )
    assert event.state == WebhookEvent.State.PENDING and event.next_attempt_at is not None
    assert enqueued == [event.pk]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "evt-1", "webhook-timestamp": str(int(time.time()))},
        {"webhook-id": "evt-1", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"},
        "stale",
        "future",
        "other body",
    ],
    ids=["nothing", "no signature", "wrong signature", "stale", "future", "signature of another body"],
)
def test_a_failed_check_is_401_and_nothing_is_stored_but_an_audit_line(client, hmac_conn, caplog, headers):
    body = body_of(new_hook())
    if headers == "stale":
        headers = signed(body, timestamp=int(time.time()) - 600)
    elif headers == "future":
        headers = signed(body, timestamp=int(time.time()) + 600)
    elif headers == "other body":
        headers = signed(b"{}")
    with caplog.at_level(logging.WARNING, logger="apps.integrations.webhooks.audit"):
        response = post(client, hmac_conn, body, **headers)
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert any(str(hmac_conn.uuid) in r.getMessage() for r in caplog.records)
    assert "employee" not in response.content.decode()


def test_one_bad_and_one_good_signature_pass(client, hmac_conn):
    body = body_of(new_hook())
    headers = signed(body)
    headers["webhook-signature"] = "v1,bm90IHRoZSBzaWduYXR1cmU= " + headers["webhook-signature"]
    assert post(client, hmac_conn, body, **headers).status_code == 200


def test_a_github_style_raw_signature_in_a_configured_header_passes(client, customer):
    conn = ConnectionFactory(
        customer=customer,
        webhook_auth=Connection.WebhookAuth.HMAC,
        webhook_secret="plain-secret",
        webhook_signature_header="X-Hub-Signature-256",
        webhook_signature_encoding="hex",
        webhook_signature_scheme="raw",
    )
    body = body_of(new_hook())
    ok = post(client, conn, body, **{"X-Hub-Signature-256": signing.sign_raw("plain-secret", body)})
    assert ok.status_code == 200
    bad = post(client, conn, body, **{"X-Hub-Signature-256": signing.sign_raw("other", body)})
    assert bad.status_code == 401


def test_a_duplicate_delivery_is_a_2xx_that_does_nothing(client, hmac_conn, enqueued):
    body = body_of(new_hook())
    post(client, hmac_conn, body, **signed(body))
    again = post(client, hmac_conn, body, **signed(body))
    assert again.status_code == 200 and again.json() == {"received": 0, "duplicates": 1}
    assert WebhookEvent.objects.count() == 1 and len(enqueued) == 1


def test_an_oversized_body_is_refused_before_anything(client, hmac_conn):
    body = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    assert post(client, hmac_conn, body, **signed(body)).status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_an_unknown_address_is_404(client):
    assert (
        client.post(
            "/webhooks/00000000-0000-0000-0000-000000000000/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_a_verified_body_that_is_not_a_hook_is_400_and_not_stored(client, hmac_conn):
    for body in (b"not json", body_of({"eventType": "employee.updated"}), body_of([1, 2])):
        assert post(client, hmac_conn, body, **signed(body)).status_code == 400
    assert WebhookEvent.objects.count() == 0


@pytest.fixture
def basic_conn(customer):
    return ConnectionFactory(
        customer=customer,
        webhook_auth=Connection.WebhookAuth.BASIC,
        webhook_username="pcty",
        webhook_password="hook-pass",
    )


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_paylocity_legacy_hooks_need_the_basic_credentials(client, basic_conn):
    body = body_of({"eventType": "Termination", "companyId": "6700", "employeeId": "1001"})
    refused = post(client, basic_conn, body, **basic("pcty", "wrong"))
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Basic")
    assert post(client, basic_conn, body).status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert post(client, basic_conn, body, **basic("pcty", "hook-pass")).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.event_type == "Termination" and event.delivery_key.startswith("sha256:")


def test_the_ip_allow_list_is_checked_first(client, basic_conn):
    basic_conn.webhook_allowed_ips = ["10.0.0.0/8"]
    basic_conn.save()
    body = body_of({"eventType": "NewHire", "companyId": "6700", "employeeId": "1"})
    assert post(client, basic_conn, body, **basic("pcty", "hook-pass")).status_code == 401
    basic_conn.webhook_allowed_ips = ["127.0.0.1"]
    basic_conn.save()
    assert post(client, basic_conn, body, **basic("pcty", "hook-pass")).status_code == 200


@pytest.fixture
def prism_conn(customer):
    return ConnectionFactory(
        customer=customer, provider=Provider.PRISMHR, webhook_auth=Connection.WebhookAuth.NONE
    )


def test_prismhr_validation_token_is_echoed_as_plain_text(client, prism_conn):
    response = client.get(prism_conn.webhook_path, {"validationToken": "abc"})
    assert response.status_code == 200 and response.content == b"abc"
    assert response["Content-Type"].startswith("text/plain")


def test_get_without_a_validation_token_or_for_other_providers_is_refused(client, prism_conn, hmac_conn):
    assert client.get(prism_conn.webhook_path).status_code == 405
    assert client.get(hmac_conn.webhook_path, {"validationToken": "abc"}).status_code == 405


def test_prismhr_events_each_get_an_inbox_row(client, prism_conn):
    body = body_of(
        {
            "events": [
                {
                    "eventId": "p-1",
                    "schemaName": "Employee",
                    "className": "Employee",
                    "clientId": "C100",
                    "objectId": "E1",
                    "action": "UPDATE",
                    "timestamp": "2024-05-01T10:00:00Z",
                },
                {
                    "eventId": "p-2",
                    "schemaName": "Payroll",
                    "className": "PayrollBatch",
                    "clientId": "C100",
                    "objectId": "B77",
                    "action": "DELETE",
                    "timestamp": "2024-05-01T10:00:01Z",
                },
            ]
        }
    )
    assert post(client, prism_conn, body).json() == {"received": 2, "duplicates": 0}
    rows = {e.delivery_key: (e.object_kind, e.event_type, e.object_id) for e in WebhookEvent.objects.all()}
    assert rows == {
        "id:p-1": ("employee", "Employee.UPDATE", "E1"),
        "id:p-2": ("payroll", "PayrollBatch.DELETE", "B77"),
    }


def test_affinity_hooks_use_their_id_as_delivery_key(client, customer):
    conn = ConnectionFactory(customer=customer, provider=Provider.AFFINITY, webhook_secret=SECRET)
    body = body_of(
        {
            "id": "evt_9",
            "type": "employee.terminated",
            "company_code": "AFF100",
            "employee_id": "E1",
            "occurred_at": "2024-01-01T00:00:00Z",
        }
    )
    assert post(client, conn, body, **signed(body, msg_id="evt_9")).status_code == 200
    assert WebhookEvent.objects.get().delivery_key == "id:evt_9"


def test_event_types_the_connection_does_not_digest_are_kept_as_ignored(client, hmac_conn, enqueued):
    hmac_conn.webhook_digest_types = ["employee.terminated"]
    hmac_conn.save()
    body = body_of(new_hook(event_type="employee.updated"))
    assert post(client, hmac_conn, body, **signed(body)).status_code == 200
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED and enqueued == []


def test_a_coalescing_window_defers_processing_to_the_sweeper(client, hmac_conn, enqueued):
    hmac_conn.webhook_coalesce_seconds = 120
    hmac_conn.save()
    body = body_of(new_hook())
    post(client, hmac_conn, body, **signed(body))
    event = WebhookEvent.objects.get()
    assert enqueued == []
    assert 100 < (event.next_attempt_at - event.created_at).total_seconds() <= 121


def test_webhook_company_need_not_exist_to_store(client, hmac_conn):
    # the check is about who sends, not what: storing never depends on our data
    CompanyFactory(external_id="9999")
    body = body_of(new_hook())
    assert post(client, hmac_conn, body, **signed(body)).status_code == 200

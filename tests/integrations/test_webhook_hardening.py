"""Webhooks hold against a careless or hostile sender: scheme per connection, no replays, caps, bad JSON.

Findings of the hardening issue (13): raw-body signatures accepted on a Standard Webhooks connection and
replayed with ``webhook-timestamp: 1, 2, 3`` as three rows; one unauthenticated 244 KB request made 3,708
inbox rows; deeply nested JSON or a NUL character was a 500; ``none`` accepted for any provider.
"""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from django.core.exceptions import ValidationError

from apps.companies.models import Provider
from apps.core import signing
from apps.integrations import services
from apps.integrations.models import Connection, WebhookEvent
from tests.integrations.factories import ConnectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_enqueue")]

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
LEGACY = {"eventType": "Termination", "companyId": "6700", "employeeId": "1001"}


@pytest.fixture
def no_enqueue(monkeypatch):
    monkeypatch.setattr("apps.integrations.views.webhook_events_enqueue", lambda ids: None)


def post(client, conn, body: bytes, **headers):
    return client.post(conn.webhook_path, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def standard_conn(customer):
    return ConnectionFactory(customer=customer, webhook_auth="hmac", webhook_secret=SECRET)


@pytest.fixture
def raw_conn(customer):
    return ConnectionFactory(
        customer=customer,
        webhook_auth="hmac",
        webhook_secret="plain-secret",
        webhook_signature_header="X-Hub-Signature-256",
        webhook_signature_encoding="hex",
        webhook_signature_scheme="raw",
    )


@pytest.fixture
def prism_conn(customer):
    return ConnectionFactory(customer=customer, provider=Provider.PRISMHR, webhook_auth="none")


# --- signature scheme and replays ------------------------------------------------------------------------------


def test_a_standard_webhooks_connection_refuses_a_raw_body_signature(client, customer):
    # given a connection set up for timestamped Standard Webhooks, whose header a raw signature could use
    conn = ConnectionFactory(
        customer=customer, webhook_auth="hmac", webhook_secret=SECRET, webhook_signature_header="X-Signature"
    )
    body = json.dumps(LEGACY).encode()
    # when a body arrives signed over the raw body only
    response = post(client, conn, body, **{"X-Signature": signing.sign_raw(SECRET, body)})
    # then it is refused: nothing would bind it to a time
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_a_raw_signed_body_replayed_with_other_timestamps_is_stored_once(client, raw_conn):
    body = json.dumps(LEGACY).encode()
    signature = {"X-Hub-Signature-256": signing.sign_raw("plain-secret", body)}
    answers = [
        post(client, raw_conn, body, **signature, **{"webhook-timestamp": ts, "webhook-id": f"m{ts}"})
        for ts in ("1", "2", "3")
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["received"] for a in answers] == [1, 0, 0]
    assert WebhookEvent.objects.count() == 1


def test_basic_authenticated_hooks_do_not_trust_the_id_header_either(client, customer):
    conn = ConnectionFactory(
        customer=customer, webhook_auth="basic", webhook_username="pcty", webhook_password="hook-pass"
    )
    body = json.dumps(LEGACY).encode()
    auth = "Basic " + base64.b64encode(b"pcty:hook-pass").decode()
    for msg_id in ("a", "b", "c"):
        assert post(client, conn, body, Authorization=auth, **{"webhook-id": msg_id}).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_signed_standard_webhook_ids_still_tell_deliveries_apart(client, standard_conn):
    body = json.dumps(LEGACY).encode()
    for msg_id in ("msg-1", "msg-2"):
        headers = signing.standard_headers(SECRET, msg_id, body)
        assert post(client, standard_conn, body, **headers).status_code == 200
    assert WebhookEvent.objects.count() == 2


def test_the_timestamp_tolerance_is_a_setting(client, standard_conn, settings):
    body = json.dumps(LEGACY).encode()
    headers = signing.standard_headers(SECRET, "msg-1", body, timestamp=int(time.time()) - 120)
    settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 60
    assert post(client, standard_conn, body, **headers).status_code == 401
    settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300
    assert post(client, standard_conn, body, **headers).status_code == 200


# --- caps -----------------------------------------------------------------------------------------------------


def _prism_events(count: int) -> bytes:
    return json.dumps(
        {
            "events": [
                {"eventId": f"p-{i}", "schemaName": "Employee", "clientId": "C1", "objectId": f"E{i}"}
                for i in range(count)
            ]
        }
    ).encode()


def test_an_unauthenticated_request_may_carry_only_a_few_events(client, prism_conn, settings, caplog):
    settings.WEBHOOK_MAX_EVENTS_UNAUTHENTICATED = 25
    with caplog.at_level(logging.WARNING, logger="apps.integrations.webhooks.audit"):
        response = post(client, prism_conn, _prism_events(26))
    assert response.status_code == 413
    assert "26 events" in response.json()["message"]
    assert WebhookEvent.objects.count() == 0
    assert "26 events" in caplog.text
    assert post(client, prism_conn, _prism_events(25)).json()["received"] == 25


def test_an_authenticated_delivery_has_its_own_cap(client, customer, settings):
    conn = ConnectionFactory(
        customer=customer, provider=Provider.PRISMHR, webhook_auth="hmac", webhook_secret=SECRET
    )
    settings.WEBHOOK_MAX_EVENTS_PER_DELIVERY = 30
    body = _prism_events(31)
    assert post(client, conn, body, **signing.standard_headers(SECRET, "m1", body)).status_code == 413
    body = _prism_events(30)
    assert post(client, conn, body, **signing.standard_headers(SECRET, "m2", body)).status_code == 200
    assert WebhookEvent.objects.count() == 30


# --- malformed bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (b'{"events": [{"clientId": "C1", "objectId": "E\\u00001", "eventId": "x"}]}', "NUL"),
        (b'{"events": [{"clientId": "C1", "objectId": "E1", "eventId": "x", "n\\u0000": 1}]}', "NUL"),
        (b'{"events": []}\x00', "NUL"),
    ],
    ids=["deep", "nul in a value", "nul in a key", "nul byte"],
)
def test_deep_or_nul_bearing_json_is_a_400_with_the_reason(client, prism_conn, body, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="apps.integrations.webhooks.audit"):
        response = post(client, prism_conn, body)
    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert reason in caplog.text
    assert WebhookEvent.objects.count() == 0


def test_moderately_nested_payloads_are_still_accepted(client, prism_conn):
    event = {"clientId": "C1", "objectId": "E1", "eventId": "x", "extra": {"a": [{"b": [1, [2]]}]}}
    assert post(client, prism_conn, json.dumps({"events": [event]}).encode()).status_code == 200


# --- "none" is PrismHR's only -----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", [Provider.PAYLOCITY, Provider.AFFINITY])
def test_no_webhook_check_is_refused_for_providers_that_sign(customer, provider):
    conn = ConnectionFactory(customer=customer, provider=provider, webhook_auth="hmac")
    with pytest.raises(ValidationError) as raised:
        services.connection_update(connection=conn, webhook_auth="none")
    assert "only for PrismHR" in str(raised.value.message_dict["webhook_auth"])


def test_a_stored_none_on_another_provider_lets_nothing_in(client, customer):
    conn = ConnectionFactory(customer=customer, webhook_auth="none")  # saved before the rule
    response = post(client, conn, json.dumps(LEGACY).encode())
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_prismhr_may_go_without_a_check(customer):
    conn = ConnectionFactory(customer=customer, provider=Provider.PRISMHR, webhook_auth="hmac")
    services.connection_update(connection=conn, webhook_auth="none")
    assert Connection.objects.get(pk=conn.pk).webhook_auth == "none"

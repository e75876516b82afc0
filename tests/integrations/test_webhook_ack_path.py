"""The webhook ack path: the short middleware stack, cached check material, the inbox insert as the only write."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware

from apps.core import signing
from apps.core.fields import plain_text
from apps.integrations.models import Connection, WebhookEvent
from apps.integrations.services import connection_update
from apps.integrations.services.inbox import BackgroundEnqueuer, _enqueue_batch
from apps.integrations.tasks import fan_out_webhook_events
from apps.integrations.views import delivery_connections
from tests.integrations.factories import ConnectionFactory

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    delivery_connections.clear()
    monkeypatch.setattr("apps.integrations.views.webhook_events_enqueue", lambda ids: None)
    yield
    delivery_connections.clear()


@pytest.fixture
def hmac_conn(customer):
    return ConnectionFactory(
        customer=customer, webhook_auth=Connection.WebhookAuth.HMAC, webhook_secret=SECRET
    )


def deliver(client, conn, event_id: str, secret: str = SECRET):
    body = json.dumps(
        {"eventId": event_id, "eventType": "employee.updated", "companyId": "6700", "employeeId": "1001"}
    ).encode()
    return client.post(
        conn.webhook_path,
        data=body,
        content_type="application/json",
        headers=signing.standard_headers(secret, event_id, body),
    )


class Calls:
    def __init__(self):
        self.paths: list[str] = []

    def wrap(self, original):
        def recorded(middleware, request, *args, **kwargs):
            self.paths.append(request.path)
            return original(middleware, request, *args, **kwargs)

        return recorded


@pytest.mark.django_db
def test_webhooks_skip_the_session_and_csrf_middleware_other_urls_do_not(client, hmac_conn, monkeypatch):
    calls = Calls()
    monkeypatch.setattr(SessionMiddleware, "process_request", calls.wrap(SessionMiddleware.process_request))
    monkeypatch.setattr(CsrfViewMiddleware, "process_view", calls.wrap(CsrfViewMiddleware.process_view))
    response = deliver(client, hmac_conn, "evt-short")
    assert response.status_code == 200
    assert WebhookEvent.objects.filter(delivery_key="id:evt-short").exists()
    assert calls.paths == []
    client.get("/healthz")
    assert "/healthz" in calls.paths


@pytest.mark.django_db
def test_the_short_stack_keeps_the_security_headers(client, hmac_conn, settings):
    response = deliver(client, hmac_conn, "evt-headers")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_a_path_under_webhooks_that_is_not_the_receiver_goes_through_the_whole_stack(client):
    response = client.post("/webhooks/not-a-uuid/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_secrets_are_decrypted_once_per_process_not_per_delivery(client, hmac_conn, monkeypatch):
    decrypted: list[str] = []

    def counting(stored):
        decrypted.append(stored)
        return plain_text(stored)

    monkeypatch.setattr("apps.integrations.views.plain_text", counting)
    for n in range(3):
        assert deliver(client, hmac_conn, f"evt-{n}").status_code == 200
        hmac_conn.name = f"Renamed {n}"  # the row changes (read again next time), its secret does not
        hmac_conn.save(update_fields=["name", "updated_at"])
    assert len(decrypted) == 2  # the webhook secret and the (empty) Basic password, on the first read only
    assert WebhookEvent.objects.filter(connection=hmac_conn).count() == 3


@pytest.mark.django_db
def test_a_changed_secret_is_used_from_the_next_delivery(client, hmac_conn, admin_user):
    assert deliver(client, hmac_conn, "evt-before").status_code == 200
    connection_update(connection=hmac_conn, webhook_secret=NEW_SECRET, acting_user=admin_user)
    assert deliver(client, hmac_conn, "evt-old-secret").status_code == 401
    assert deliver(client, hmac_conn, "evt-new-secret", secret=NEW_SECRET).status_code == 200
    assert set(WebhookEvent.objects.values_list("delivery_key", flat=True)) == {
        "id:evt-before",
        "id:evt-new-secret",
    }


@pytest.mark.django_db
def test_a_secret_changed_behind_the_services_back_is_used_too(client, hmac_conn):
    assert deliver(client, hmac_conn, "evt-1").status_code == 200
    # A bulk update does not touch updated_at: the cache is keyed by the stored ciphertext, not by a timestamp.
    Connection.objects.filter(pk=hmac_conn.pk).update(webhook_secret=NEW_SECRET)
    assert deliver(client, hmac_conn, "evt-2").status_code == 401
    assert deliver(client, hmac_conn, "evt-3", secret=NEW_SECRET).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_delivery_to_a_known_address_is_one_insert(client, customer, django_assert_num_queries):
    conn = ConnectionFactory(
        customer=customer, webhook_auth=Connection.WebhookAuth.HMAC, webhook_secret=SECRET
    )
    with django_assert_num_queries(2) as first:
        assert deliver(client, conn, "evt-first").status_code == 200
    assert [q["sql"].split()[0].upper() for q in first.captured_queries] == ["SELECT", "INSERT"]
    with django_assert_num_queries(1) as captured:
        response = deliver(client, conn, "evt-counted")
    assert response.status_code == 200 and response.json() == {"received": 1, "duplicates": 0}
    assert captured.captured_queries[0]["sql"].upper().startswith("INSERT")
    assert WebhookEvent.objects.filter(delivery_key="id:evt-counted").exists()


@pytest.mark.django_db
def test_a_duplicate_to_a_known_address_is_still_a_2xx_that_does_nothing(client, hmac_conn):
    assert deliver(client, hmac_conn, "evt-dup").json() == {"received": 1, "duplicates": 0}
    assert deliver(client, hmac_conn, "evt-dup").json() == {"received": 0, "duplicates": 1}
    assert WebhookEvent.objects.filter(delivery_key="id:evt-dup").count() == 1


@pytest.mark.django_db
def test_a_paused_connection_is_seen_at_once_on_a_known_address(client, hmac_conn, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr("apps.integrations.views.webhook_events_enqueue", queued.extend)
    deliver(client, hmac_conn, "evt-live")
    assert len(queued) == 1
    hmac_conn.state = Connection.State.PAUSED
    hmac_conn.save(update_fields=["state", "updated_at"])
    assert deliver(client, hmac_conn, "evt-paused").status_code == 200
    assert len(queued) == 1  # stored, held for the sweeper, as a paused connection's events are


@pytest.mark.django_db
def test_a_delivery_with_several_events_takes_the_ordinary_way(client, customer):
    prism = ConnectionFactory(customer=customer, provider="prismhr", webhook_auth=Connection.WebhookAuth.NONE)
    event = {"schemaName": "Employee", "className": "Employee", "clientId": "C100", "action": "UPDATE"}
    body = json.dumps(
        {
            "events": [
                {**event, "eventId": f"p-{n}", "objectId": f"E{n}", "timestamp": "2024-05-01T10:00:00Z"}
                for n in range(3)
            ]
        }
    ).encode()
    for _ in range(2):  # the second time the address is known
        client.post(prism.webhook_path, data=body, content_type="application/json")
    assert WebhookEvent.objects.filter(connection=prism).count() == 3


@pytest.mark.django_db
def test_the_background_enqueuer_queues_what_is_waiting_in_one_message():
    sent: list[list[int]] = []
    release = threading.Event()

    def slow_send(ids):
        sent.append(list(ids))
        release.wait(5)

    enqueuer = BackgroundEnqueuer(send=slow_send)
    enqueuer.submit([1])
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    enqueuer.submit([2, 3])  # arrive while the first message is being sent
    enqueuer.submit([4])
    release.set()
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent == [[1], [2, 3, 4]]


@pytest.mark.django_db  # flush() first drops its thread's stale database connection
def test_the_background_enqueuer_survives_a_broker_failure(monkeypatch):
    calls: list[list[int]] = []
    logged: list[str] = []

    def failing_then_fine(ids):
        calls.append(list(ids))
        if len(calls) == 1:
            raise ConnectionError("broker down")

    monkeypatch.setattr(
        "apps.integrations.services.inbox.logger.exception",
        lambda message, *args: logged.append(message % args),
    )
    enqueuer = BackgroundEnqueuer(send=failing_then_fine)
    enqueuer.flush([7])
    enqueuer.flush([8])
    assert calls == [[7], [8]]
    assert logged == ["could not enqueue webhook events [7]; the sweeper will"]


@pytest.mark.django_db
def test_a_batch_message_is_fanned_out_one_task_per_event(monkeypatch):
    queued: list[tuple] = []
    monkeypatch.setattr(
        "apps.integrations.services.inbox.async_task", lambda *args, **kwargs: queued.append(args)
    )
    _enqueue_batch([5])
    _enqueue_batch([6, 7])
    assert queued == [
        ("apps.integrations.tasks.webhook_event_task", 5),
        ("apps.integrations.tasks.fan_out_webhook_events", [6, 7]),
    ]
    queued.clear()
    fan_out_webhook_events([6, 7])
    assert queued == [
        ("apps.integrations.tasks.webhook_event_task", 6),
        ("apps.integrations.tasks.webhook_event_task", 7),
    ]


@pytest.mark.django_db
def test_a_check_field_changed_by_a_bulk_update_is_seen_at_once(client, hmac_conn):
    assert deliver(client, hmac_conn, "evt-open").status_code == 200
    # .update() leaves updated_at alone: the remembered version covers every field the check reads.
    Connection.objects.filter(pk=hmac_conn.pk).update(webhook_allowed_ips=["10.9.9.0/24"])
    assert deliver(client, hmac_conn, "evt-closed").status_code == 401
    assert not WebhookEvent.objects.filter(delivery_key="id:evt-closed").exists()

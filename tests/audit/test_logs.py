"""Structured logs: with LOG_FORMAT=json one JSON line per significant event, ids only, no personal data."""

from __future__ import annotations

import json
import logging

import pytest

from apps.core.logs import JsonFormatter, log_event
from apps.employees import delivery
from apps.employees.models import ChangeBatch, DownstreamAction, DownstreamTarget, Person

pytestmark = pytest.mark.django_db


class Capture(logging.Handler):
    """Format records with the JSON formatter, as the console handler does under LOG_FORMAT=json."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))

    def events(self, name: str) -> list[dict]:
        return [line for line in self.lines if line.get("event") == name]


@pytest.fixture
def capture():
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_json_formatter_writes_one_object_per_line_with_the_event_fields(capture):
    # when an event is logged with a connection id and a state
    log_event(logging.getLogger("x"), "thing.happened", connection_id=4, state="ok")
    # then one JSON line carries the fields, the level, a readable message and the time
    (line,) = capture.events("thing.happened")
    assert line["connection_id"] == 4
    assert line["state"] == "ok"
    assert line["level"] == "INFO"
    assert line["message"] == "thing.happened connection_id=4 state=ok"
    assert "T" in line["time"]


def test_the_settings_pick_the_json_formatter():
    from django.conf import settings

    assert settings.LOGGING["formatters"]["json"]["()"] == "apps.core.logs.JsonFormatter"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == settings.LOG_FORMAT


def test_a_rejected_webhook_logs_its_reason_and_connection(client, capture, customer):
    from tests.integrations.factories import ConnectionFactory

    # given a connection that signs its webhooks
    conn = ConnectionFactory(customer=customer, webhook_auth="hmac")
    # when an unsigned webhook arrives
    response = client.post(conn.webhook_path, data=b"{}", content_type="application/json")
    # then it is rejected and the log names the connection, customer, status and a reason
    assert response.status_code == 401
    (line,) = capture.events("webhook.rejected")
    assert (line["connection_id"], line["customer_id"], line["status"]) == (conn.pk, customer.pk, 401)
    assert line["reason"]


def test_a_finished_sync_logs_its_counts(capture, customer):
    from apps.integrations.services.syncs import _finish
    from tests.integrations.factories import ConnectionFactory, SyncRunFactory

    # given a running sync that has created two records
    run = SyncRunFactory(
        connection=ConnectionFactory(customer=customer), state="running", fetched=3, created=2
    )
    # when it finishes
    _finish(run, "succeeded", "done")
    # then the log carries its counts and outcome
    (line,) = capture.events("sync.finished")
    assert (line["run_id"], line["customer_id"], line["state"], line["records_created"]) == (
        run.pk,
        customer.pk,
        "succeeded",
        2,
    )


@pytest.mark.parametrize(
    ("status", "attempts", "event"), [(204, 1, "action.delivered"), (500, 8, "action.dead")]
)
def test_delivered_and_dead_actions_are_logged_without_personal_data(
    capture, customer, status, attempts, event
):
    # given a downstream target and an action for a named person
    DownstreamTarget.objects.create(
        customer=customer, url="http://127.0.0.1:9/hook", signing_secret="whsec_QUJD"
    )
    person = Person.objects.create(customer=customer, display_name="Jane Doe", work_email="jane@example.com")
    action = DownstreamAction.objects.create(
        customer=customer,
        person=person,
        action="deprovision",
        effective_date="2026-01-05",
        key="log-1",
        attempts=attempts,
    )
    # when the action is delivered, or fails its last attempt
    delivery.action_deliver(action_id=action.pk, send=lambda url, body, headers: (status, "boom"))
    # then the outcome is logged by ids, and neither the person's name nor email appears in any line
    (line,) = capture.events(event)
    assert (line["action_id"], line["customer_id"], line["action"]) == (action.pk, customer.pk, "deprovision")
    dump = json.dumps(capture.lines)
    assert "Jane" not in dump
    assert "jane@example.com" not in dump


def test_a_safeguard_decision_is_logged_with_the_deciders_id(capture, customer, admin_user):
    from apps.audit.context import audit_context
    from apps.employees.services import change_batch_decide

    # given a batch held by the safeguard, which logs that it is held
    batch = ChangeBatch.objects.create(customer=customer, cause="test", state="awaiting_approval", removals=9)
    assert capture.events("batch.held")
    # when an admin rejects it
    with audit_context(channel="admin", user=admin_user):
        change_batch_decide(batch=batch, approve=False, acting_user=admin_user, reason="too many at once")
    # then the rejection is logged with the batch, the customer, the admin's id, the removals and the channel
    (line,) = capture.events("batch.rejected")
    assert (
        line["batch_id"],
        line["customer_id"],
        line["decided_by_id"],
        line["removals"],
        line["channel"],
    ) == (
        batch.pk,
        customer.pk,
        admin_user.pk,
        9,
        "admin",
    )

"""Delivering downstream actions: Standard Webhooks signatures, retries, dead, replay, concurrent drainers."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections

from apps.core.signing import verify_standard
from apps.employees import delivery, services
from apps.employees.models import DownstreamAction
from tests.employees.factories import record
from tests.receiver import start_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()


@pytest.fixture
def target(customer, receiver):
    return services.downstream_target_set(
        customer=customer, url=receiver.url, signing_secret=SECRET, max_attempts=3
    )


def _due_now():
    DownstreamAction.objects.update(next_attempt_at=None)


@pytest.mark.django_db
def test_delivery_is_signed_so_a_receiver_can_verify_it(apply, target, receiver):
    # given a downstream target and a new hire synced with a national id
    apply([record("1001", "A", "2026-01-05", national_id="123-45-6789", birth_date=None)])
    # when the outbox is drained
    assert delivery.actions_drain() == 1
    # then the receiver can verify the Standard Webhooks signature
    got = receiver.requests[0]
    verify_standard(
        SECRET,
        msg_id=got.headers["webhook-id"],
        timestamp=got.headers["webhook-timestamp"],
        signature=got.headers["webhook-signature"],
        body=got.body,
    )
    # and the body is the provision keyed by the action, without the national id, and the action is delivered
    body = json.loads(got.body)
    action = DownstreamAction.objects.get()
    assert got.headers["webhook-id"] == action.key
    assert body == {
        "type": "person.provision",
        "person": action.person_id,
        "employee": {"company_id": "123", "employee_id": "1001"},
        "effective_date": "2026-01-05",
        "status": {"code": "A", "type": "active"},
    }
    assert "6789" not in got.body.decode()
    assert action.state == "delivered" and action.attempts == 1


@pytest.mark.django_db
def test_retry_uses_the_same_webhook_id_and_dead_after_max_attempts_then_replay(apply, target, receiver):
    # given a receiver failing three times and a new hire's provision waiting
    receiver.statuses = [500, 503, 502]
    apply([record("1001", "A", "2026-01-05")])
    # when the outbox is drained three times, each retry made due at once
    for _ in range(3):
        delivery.actions_drain()
        _due_now()
    # then every attempt carried the same webhook id, and the action is dead after the third
    action = DownstreamAction.objects.get()
    assert {r.headers["webhook-id"] for r in receiver.requests} == {action.key}
    assert len(receiver.requests) == 3
    assert (action.state, action.attempts, action.last_status_code) == ("dead", 3, 502)
    # dead actions are not retried by the drain
    # when the outbox is drained again, then the dead action is not retried
    assert delivery.actions_drain() == 0
    # replay sends it again with the same key
    # when the action is replayed and drained
    delivery.action_replay(action=action)
    # then it is delivered again under the same webhook id
    assert delivery.actions_drain() == 1
    action.refresh_from_db()
    assert action.state == "delivered"
    assert receiver.requests[-1].headers["webhook-id"] == action.key


@pytest.mark.django_db
def test_failed_delivery_waits_for_its_backoff(apply, target, receiver):
    # given a receiver failing once and a new hire's provision waiting
    receiver.statuses = [500]
    apply([record("1001", "A", "2026-01-05")])
    # when the outbox is drained
    delivery.actions_drain()
    # then the action failed and waits for its next attempt
    action = DownstreamAction.objects.get()
    assert action.state == "failed" and action.next_attempt_at is not None
    # when it is drained again at once, then nothing is sent before the backoff
    assert delivery.actions_drain() == 0  # not due yet
    assert len(receiver.requests) == 1


def test_backoff_is_capped_exponential_with_jitter():
    import random

    rng = random.Random(7)
    delays = [delivery.backoff(n, rng=rng).total_seconds() for n in range(1, 20)]
    assert 15 <= delays[0] <= 30
    assert all(d <= delivery.MAX_DELAY_SECONDS for d in delays)
    assert delays[-1] >= delivery.MAX_DELAY_SECONDS / 2


@pytest.mark.django_db
def test_customer_without_a_target_keeps_actions_pending_for_export(apply):
    # given a customer without a downstream target and a new hire
    apply([record("1001", "A", "2026-01-05")])
    # when the outbox is drained, then nothing is delivered
    assert delivery.actions_drain() == 0
    # and the action stays pending for the export
    assert DownstreamAction.objects.get().state == "pending"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_drainers_deliver_each_action_exactly_once(apply, customer, receiver):
    # given 60 pending actions (written before the target exists, so nothing drains them yet)
    apply([record(str(n), "A", "2026-01-05") for n in range(60)])
    services.downstream_target_set(customer=customer, url=receiver.url, signing_secret=SECRET)
    assert DownstreamAction.objects.filter(state="pending").count() == 60
    barrier = threading.Barrier(2)

    def drain():
        barrier.wait()
        try:
            delivery.actions_drain(limit=100)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert DownstreamAction.objects.filter(state="delivered", attempts=1).count() == 60

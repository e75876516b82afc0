"""/metrics: refused without the bearer token; figures computed from the database at scrape time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.core.counters import counter_incr
from apps.employees.models import DownstreamAction, Person
from apps.integrations.models import SyncRun
from apps.support.models import Ticket
from tests.integrations.factories import (
    ApiCallFactory,
    ConnectionFactory,
    SyncRunFactory,
    WebhookEventFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"


def scrape(client, token=TOKEN) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_without_a_configured_token(client):
    # given no metrics token configured
    with override_settings(METRICS_TOKEN=""):
        # when /metrics is scraped with any bearer token, then it does not exist
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_refuse_a_missing_or_wrong_token(client):
    # given a metrics token configured
    # when /metrics is scraped without it, with a wrong one, or with the wrong scheme, then it is refused
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    # when it is scraped with the right bearer token, then it answers
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@override_settings(METRICS_TOKEN=TOKEN)
def test_figures_come_from_the_database(client, customer, django_assert_max_num_queries):
    # given a connection with finished and running syncs, calls, inbox events, outbox actions and tickets
    now = timezone.now()
    conn = ConnectionFactory(customer=customer)
    # sync runs: two succeeded (10 s and 30 s), one failed, one running
    for state, seconds in (("succeeded", 10), ("succeeded", 30), ("failed", 5)):
        SyncRunFactory(
            connection=conn,
            state=state,
            started_at=now - dt.timedelta(seconds=seconds),
            finished_at=now,
        )
    SyncRunFactory(connection=conn, state=SyncRun.State.RUNNING, kind="payroll-sync")
    # API calls: three 2xx, one 429, one network error
    for status in (200, 200, 204, 429, None):
        ApiCallFactory(connection=conn, status_code=status)
    # inbox: one processed, two pending (the oldest an hour old), one dead
    WebhookEventFactory(connection=conn, state="processed", delivery_key="a")
    old = WebhookEventFactory(connection=conn, state="pending", delivery_key="b")
    WebhookEventFactory(connection=conn, state="pending", delivery_key="c")
    WebhookEventFactory(connection=conn, state="dead", delivery_key="d")
    type(old).objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=1))
    counter_incr("webhooks_rejected", provider="paylocity", status="401")
    counter_incr("webhooks_rejected", provider="paylocity", status="401")
    counter_incr("webhooks_duplicate", provider="paylocity")
    # outbox: a pending deprovision two hours old, a delivered provision
    person = Person.objects.create(customer=customer)
    pending = DownstreamAction.objects.create(
        customer=customer, person=person, action="deprovision", effective_date=now.date(), key="m1", seq=1
    )
    DownstreamAction.objects.filter(pk=pending.pk).update(created_at=now - dt.timedelta(hours=2))
    DownstreamAction.objects.create(
        customer=customer,
        person=person,
        action="provision",
        effective_date=now.date(),
        key="m2",
        state="delivered",
        seq=2,
    )
    Ticket.objects.create(
        customer=customer, title="t", category="mapping_needed", origin="automatic", automatic_key="k1"
    )
    Ticket.objects.create(customer=customer, title="t", category="mapping_needed", origin="agent")

    # when /metrics is scraped
    with django_assert_max_num_queries(20):
        m = scrape(client)

    # then each figure is computed from those rows within a fixed number of queries
    assert (
        m[
            (
                "hub_sync_runs_total",
                (("kind", "employees"), ("outcome", "succeeded"), ("provider", "paylocity")),
            )
        ]
        == 2
    )
    assert (
        m[("hub_sync_runs_total", (("kind", "employees"), ("outcome", "failed"), ("provider", "paylocity")))]
        == 1
    )
    assert m[("hub_sync_run_duration_seconds_count", (("kind", "employees"), ("provider", "paylocity")))] == 3
    assert m[
        ("hub_sync_run_duration_seconds_sum", (("kind", "employees"), ("provider", "paylocity")))
    ] == pytest.approx(45, abs=0.5)
    assert (
        m[
            (
                "hub_sync_runs_active",
                (("kind", "payroll-sync"), ("provider", "paylocity"), ("state", "running")),
            )
        ]
        == 1
    )
    assert m[("hub_api_calls_total", (("provider", "paylocity"), ("status_class", "2xx")))] == 3
    assert m[("hub_api_calls_total", (("provider", "paylocity"), ("status_class", "4xx")))] == 1
    assert m[("hub_api_calls_total", (("provider", "paylocity"), ("status_class", "error")))] == 1
    assert m[("hub_webhooks_received_total", (("provider", "paylocity"),))] == 4
    assert m[("hub_webhooks_rejected_total", (("provider", "paylocity"), ("status", "401")))] == 2
    assert m[("hub_webhooks_duplicate_total", (("provider", "paylocity"),))] == 1
    assert m[("hub_inbox_backlog", (("state", "pending"),))] == 2
    assert m[("hub_inbox_backlog", (("state", "dead"),))] == 1
    assert m[("hub_inbox_oldest_age_seconds", ())] == pytest.approx(3600, abs=120)
    assert m[("hub_downstream_actions", (("action", "deprovision"), ("state", "pending")))] == 1
    assert m[("hub_downstream_actions", (("action", "provision"), ("state", "delivered")))] == 1
    assert m[("hub_outbox_backlog", ())] == 1
    assert m[("hub_outbox_oldest_age_seconds", ())] == pytest.approx(7200, abs=120)
    assert m[("hub_open_automatic_tickets", (("category", "mapping_needed"),))] == 1
    assert m[("hub_held_events", ())] == 0
    assert m[("hub_worker_up", ())] == 0
    assert (
        "hub_sync_last_success_timestamp_seconds",
        (("connection", conn.slug), ("kind", "employees"), ("provider", "paylocity")),
    ) in m

"""PrismHR subscription events polled with getNewEvents over real HTTP, into the same inbox as the webhooks."""

from __future__ import annotations

import json

import pytest
import requests

from apps.integrations.models import Connection, WebhookEvent
from apps.integrations.services.inbox import prismhr_events_poll, prismhr_events_poll_all
from apps.sandbox.services.seed import sandbox_seed
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prism(live_server, customer):
    sandbox_seed()  # client 100100 with payroll batches whose moves were recorded as subscription events
    company = CompanyFactory(
        company_set=CompanySetFactory(customer=customer, provider="prismhr"), external_id="100100"
    )
    connection = ConnectionFactory(
        customer=customer,
        provider="prismhr",
        base_url=f"{live_server.url}/sandbox/prismhr/prismhr-api/services/rest",
        username="sandbox-prism-user",
        password="sandbox-prism-password",
        peo_id="SANDBOXPEO",
        webhook_auth=Connection.WebhookAuth.NONE,
        prismhr_subscription_id="hub-subscription",
    )
    connection.companies.add(company)
    return connection


def test_polling_stores_each_event_once_and_a_second_poll_finds_nothing_new(prism):
    # when the hub polls the subscription
    first = prismhr_events_poll(connection=prism)
    # then the events are in the inbox, as if they had been pushed
    stored = WebhookEvent.objects.filter(connection=prism)
    assert first > 0 and stored.count() == first
    assert {e.object_kind for e in stored} <= {"employee", "payroll"}
    assert all(e.delivery_key.startswith("id:") for e in stored)
    # and polling again brings nothing new
    assert prismhr_events_poll(connection=prism) == 0
    assert prismhr_events_poll_all() == 0


def test_an_event_both_pushed_and_polled_is_stored_once(prism, live_server):
    prismhr_events_poll(connection=prism)
    event = WebhookEvent.objects.filter(connection=prism).first()
    before = WebhookEvent.objects.count()
    # when PrismHR also pushes the same event as a webhook
    response = requests.post(
        f"{live_server.url}/webhooks/{prism.uuid}/",
        data=json.dumps({"events": [event.payload]}),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    # then it is acknowledged and changes nothing
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == before


def test_a_connection_without_a_subscription_is_not_polled(prism):
    prism.prismhr_subscription_id = ""
    prism.save(update_fields=["prismhr_subscription_id"])
    assert prismhr_events_poll(connection=prism) == 0

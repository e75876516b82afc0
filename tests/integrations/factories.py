from __future__ import annotations

import factory
from django.utils import timezone

from apps.companies.models import Provider
from apps.integrations.models import ApiCall, Connection, SyncRun, WebhookEvent
from tests.companies.factories import CustomerFactory


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Connection {n}")
    slug = factory.Sequence(lambda n: f"connection-{n}")
    provider = Provider.PAYLOCITY
    base_url = "http://127.0.0.1:9/sandbox/paylocity"
    client_id = "abcdefg-client-0001234567"
    client_secret = "s3cret-value"
    webhook_secret = "whsec_test_secret"
    # Unit tests must not wait for the limiter; tests of the limiter set their own rates.
    rate_limit_per_second = 100000.0


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    connection = factory.SubFactory(ConnectionFactory)
    kind = SyncRun.Kind.EMPLOYEES


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    connection = factory.SubFactory(ConnectionFactory)
    delivery_key = factory.Sequence(lambda n: f"id:evt-{n}")
    event_type = "employee.updated"
    object_kind = "employee"
    company_external_id = "6700"
    object_id = factory.Sequence(lambda n: f"{1000 + n}")


class ApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiCall

    connection = factory.SubFactory(ConnectionFactory)
    method = "GET"
    uri = "http://127.0.0.1:9/sandbox/paylocity/api/v2/companies/6700/employees"
    status_code = 200
    duration_ms = 12
    created_at = factory.LazyFunction(timezone.now)

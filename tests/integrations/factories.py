from __future__ import annotations

import factory

from apps.companies.models import Provider
from apps.integrations.models import Connection
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

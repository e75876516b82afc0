"""API throttles per token / user and per anonymous address (finding of the hardening issue 13: none)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def throttled(settings):
    settings.API_THROTTLE_ENABLED = True
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_an_api_token_over_its_rate_gets_429_with_retry_after(throttled, consultant, support_agent):
    client = _token_client(consultant)
    answers = [client.get("/api/v1/customers/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    last = client.get("/api/v1/customers/")
    assert last.status_code == 429
    assert int(last["Retry-After"]) > 0
    assert "throttled" in last.json()["message"]
    # another token has its own allowance
    assert _token_client(support_agent).get("/api/v1/customers/").status_code == 200


def test_anonymous_requests_are_throttled_per_address(throttled):
    # The schema is the API's one view open to anonymous callers (and costly to build).
    client = APIClient()
    answers = [client.get("/api/schema/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_the_webhook_receiver_is_not_an_api_view_and_keeps_its_own_checks(throttled, client):
    answers = [
        client.post(
            "/webhooks/00000000-0000-0000-0000-000000000000/", data=b"{}", content_type="application/json"
        ).status_code
        for _ in range(3)
    ]
    assert answers == [404, 404, 404]

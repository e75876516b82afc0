"""Fault modes per sandbox company, for every provider: 429, 500, slow, malformed JSON, expired token."""

from __future__ import annotations

import json
import time

import pytest
import requests

from apps.core.errors import ApplicationError
from apps.sandbox import services
from apps.sandbox.models import FaultMode, SandboxCompany
from apps.sandbox.services import sandbox_seed
from tests.sandbox.conftest import AFFINITY, PAYLOCITY, PRISM

# (client fixture, data URL, company external ID)
PROVIDERS = [
    pytest.param("paylocity", f"{PAYLOCITY}/api/v2/companies/6700/employees", "6700", id="paylocity"),
    pytest.param("prism", f"{PRISM}/employee/v1/getEmployeeList?clientId=100100", "100100", id="prismhr"),
    pytest.param("affinity", f"{AFFINITY}/v1/companies/AFF100/employees", "AFF100", id="affinity"),
]


def _set(external_id: str, mode: str, **kwargs) -> SandboxCompany:
    company = SandboxCompany.objects.get(external_id=external_id)
    return services.company_fault_set(company=company, mode=mode, **kwargs)


def _error_text(provider: str, response) -> str:
    body = response.json()
    if provider == "paylocity":
        return body[0]["message"]
    if provider == "prism":
        return body["errorMessage"]
    return body["message"]


@pytest.mark.parametrize(("client_name", "url", "external_id"), PROVIDERS)
def test_rate_limit_fault_answers_429_with_retry_after(request, client_name, url, external_id):
    client = request.getfixturevalue(client_name)
    _set(external_id, FaultMode.RATE_LIMIT, retry_after=7)

    response = client.get(url)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert _error_text(client_name, response)


@pytest.mark.parametrize(("client_name", "url", "external_id"), PROVIDERS)
def test_error_500_fault_answers_500_in_the_providers_error_shape(request, client_name, url, external_id):
    client = request.getfixturevalue(client_name)
    _set(external_id, FaultMode.ERROR_500)

    response = client.get(url)

    assert response.status_code == 500
    assert _error_text(client_name, response)


@pytest.mark.parametrize(("client_name", "url", "external_id"), PROVIDERS)
def test_malformed_json_fault_answers_200_with_a_body_that_does_not_parse(
    request, client_name, url, external_id
):
    client = request.getfixturevalue(client_name)
    _set(external_id, FaultMode.MALFORMED_JSON)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@pytest.mark.parametrize(("client_name", "url", "external_id"), PROVIDERS)
def test_expired_token_fault_answers_as_the_provider_does_for_an_expired_token(
    request, client_name, url, external_id
):
    client = request.getfixturevalue(client_name)
    _set(external_id, FaultMode.EXPIRED_TOKEN)

    response = client.get(url)

    if client_name == "prism":
        assert response.json()["errorMessage"] == "session has expired"
    else:
        assert response.status_code == 401
        assert "expired" in _error_text(client_name, response).lower()


@pytest.mark.parametrize(("client_name", "url", "external_id"), PROVIDERS)
def test_slow_fault_delays_then_answers(request, client_name, url, external_id):
    client = request.getfixturevalue(client_name)
    _set(external_id, FaultMode.SLOW, delay_seconds=0.3)

    started = time.monotonic()
    response = client.get(url)

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_a_fault_budget_hits_exactly_that_many_requests(paylocity):
    _set("6700", FaultMode.ERROR_500, remaining=2)
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"

    statuses = [paylocity.get(url).status_code for _ in range(4)]

    assert statuses == [500, 500, 200, 200]
    assert SandboxCompany.objects.get(external_id="6700").fault_remaining == 0


def test_a_fault_hits_only_its_own_company(paylocity):
    _set("6700", FaultMode.ERROR_500)

    assert paylocity.get(f"{PAYLOCITY}/api/v2/companies/6701/employees").status_code == 200


def test_switching_the_fault_off_restores_normal_answers(paylocity):
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"
    _set("6700", FaultMode.ERROR_500)
    assert paylocity.get(url).status_code == 500

    company = _set("6700", FaultMode.NONE)

    assert paylocity.get(url).status_code == 200
    assert company.fault_remaining is None


def test_token_endpoints_are_not_faulted(seeded):
    from django.test import Client

    _set("6700", FaultMode.ERROR_500)
    response = Client().post(
        f"{PAYLOCITY}/IdentityServer/connect/token",
        {
            "grant_type": "client_credentials",
            "client_id": "sandbox-paylocity-client",
            "client_secret": "sandbox-paylocity-secret",
            "scope": "WebLinkAPI",
        },
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"mode": "explode"}, "Unknown fault mode"), ({"mode": "error_500", "remaining": 0}, "remaining")],
)
def test_fault_set_refuses_nonsense(seeded, kwargs, message):
    company = SandboxCompany.objects.get(external_id="6700")

    with pytest.raises(ApplicationError, match=message):
        services.company_fault_set(company=company, **kwargs)


@pytest.mark.live
def test_slow_fault_outlasts_a_real_clients_read_timeout(live_server):
    # given the seeded sandbox on a real socket and a slow 6700
    sandbox_seed()
    _set("6700", FaultMode.SLOW, delay_seconds=1.5)
    token = requests.post(
        f"{live_server.url}{PAYLOCITY}/IdentityServer/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-paylocity-client",
            "client_secret": "sandbox-paylocity-secret",
            "scope": "WebLinkAPI",
        },
        timeout=5,
    ).json()["access_token"]

    # when a client with a 0.5 s read timeout asks, then it times out
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            f"{live_server.url}{PAYLOCITY}/api/v2/companies/6700/employees",
            headers={"Authorization": f"Bearer {token}"},
            timeout=(2, 0.5),
        )
    # and the other company answers at once
    fast = requests.get(
        f"{live_server.url}{PAYLOCITY}/api/v2/companies/6701/employees",
        headers={"Authorization": f"Bearer {token}"},
        timeout=(2, 2),
    )
    assert fast.status_code == 200
    # let the slow handler finish before the test database goes away
    time.sleep(1.5)

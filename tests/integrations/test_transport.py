"""The connection's books: credentials results kept on the connection and reported, the circuit reported."""

from __future__ import annotations

import pytest
import responses

from apps.core import problems
from apps.core.errors import AuthenticationError, ProviderError
from apps.integrations.models import CircuitState, Connection
from apps.integrations.providers import client_for
from apps.integrations.transport import provider_http
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory
from tests.integrations.test_providers import PCTY

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(monkeypatch):
    """The problems delivered on the bus (instead of support's handler)."""
    seen: list[problems.Problem] = []
    monkeypatch.setattr(problems, "_problem_handlers", [seen.append])
    return seen


@pytest.fixture
def fixed(monkeypatch):
    """The fixes delivered on the bus."""
    seen: list[problems.Fixed] = []
    monkeypatch.setattr(problems, "_fixed_handlers", [seen.append])
    return seen


@responses.activate
def test_refused_credentials_are_kept_on_the_connection_and_reported(
    customer, reported, django_capture_on_commit_callbacks
):
    # given a Paylocity connection of a company whose provider refuses the client secret
    conn = ConnectionFactory(customer=customer, base_url=PCTY)
    company = CompanyFactory(company_set__customer=customer)
    conn.companies.add(company)
    responses.post(f"{PCTY}/IdentityServer/connect/token", status=401)
    # when the connection authenticates
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AuthenticationError):
        client_for(conn).authenticate()
    # then the reason is on the connection and one problem is reported with the connection's key and facts
    assert (
        Connection.objects.get(pk=conn.pk).last_auth_error == "Paylocity refused the credentials (HTTP 401)."
    )
    [problem] = reported
    assert (problem.kind, problem.key, problem.customer, problem.connection) == (
        "connection-auth",
        f"connection-auth:{conn.pk}",
        customer,
        conn,
    )
    assert problem.facts == {"connection_id": conn.pk, "slug": conn.slug, "name": conn.name}
    assert problem.detail == "Paylocity refused the credentials (HTTP 401)."
    assert problem.companies == (company,)


@responses.activate
def test_accepted_credentials_clear_the_last_refusal_and_report_it_fixed_once(
    customer, reported, fixed, django_capture_on_commit_callbacks
):
    # given a connection whose last authentication was refused
    conn = ConnectionFactory(customer=customer, base_url=PCTY, last_auth_error="refused before")
    responses.post(f"{PCTY}/IdentityServer/connect/token", json={"access_token": "t", "expires_in": 3600})
    # when it authenticates twice
    with django_capture_on_commit_callbacks(execute=True):
        client_for(conn).authenticate()
        client_for(conn).authenticate()
    # then the refusal is gone, and only the first success is a recovery
    stored = Connection.objects.get(pk=conn.pk)
    assert stored.last_auth_error == "" and stored.last_authenticated_at is not None
    assert reported == []
    assert [f.key for f in fixed] == [f"connection-auth:{conn.pk}"]


@responses.activate
def test_a_successful_probe_closes_the_circuit_and_reports_it_fixed(
    customer, fixed, django_capture_on_commit_callbacks
):
    # given a half-open circuit (the cool-down passed; this process takes the probe)
    conn = ConnectionFactory(customer=customer, circuit_state=CircuitState.OPEN, circuit_opened_at=None)
    url = f"{PCTY}/api/v2/companies/1/employees"
    responses.get(url, json=[])
    # when the probe succeeds
    with django_capture_on_commit_callbacks(execute=True):
        provider_http(conn, sleep=lambda s: None).request("GET", url)
    # then the circuit is closed and its ticket hears of it
    assert Connection.objects.get(pk=conn.pk).circuit_state == CircuitState.CLOSED
    assert [f.key for f in fixed] == [f"circuit-open:{conn.pk}"]


@responses.activate
def test_an_opening_circuit_is_reported_once_with_its_figures(
    customer, reported, django_capture_on_commit_callbacks
):
    # given a connection that opens its circuit after two failed requests
    conn = ConnectionFactory(customer=customer, circuit_threshold=2, circuit_cooldown_seconds=60)
    url = f"{PCTY}/api/v2/companies/1/employees"
    responses.get(url, status=500)
    door = provider_http(conn, sleep=lambda s: None)
    # when three requests fail (the third is refused by the open circuit)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            with pytest.raises(ProviderError):
                door.request("GET", url)
    # then one circuit-open problem carries the threshold, the cool-down and the last failure
    [problem] = reported
    assert (problem.kind, problem.key) == ("circuit-open", f"circuit-open:{conn.pk}")
    assert problem.facts["threshold"] == 2 and problem.facts["cooldown_seconds"] == 60
    assert problem.facts["reason"] == "HTTP 500"
    assert len(responses.calls) == 2

"""Self-service sandbox companies: free IDs, generated employees, credentials, linking a connection, roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.companies.models import Company
from apps.core.errors import ApplicationError
from apps.integrations.models import Connection
from apps.sandbox.models import SandboxCompany, SandboxEmployee
from apps.sandbox.selectors import credential_by_client, credential_by_login
from apps.sandbox.services import free_external_id, sandbox_company_provision
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory


@pytest.fixture
def sandbox_connection(customer, seeded):
    return ConnectionFactory(
        customer=customer,
        provider="paylocity",
        environment=Connection.Environment.SANDBOX,
        client_id="",
        client_secret="",
    )


def test_a_free_id_skips_ids_used_in_the_sandbox_or_by_a_hub_company(seeded, company_set):
    # given the seeded sandbox (6700, 6701) and hub companies 7000 and 7001 (another customer's, say)
    CompanyFactory(company_set=company_set, external_id="7000")
    CompanyFactory(company_set=company_set, external_id="7001")
    assert free_external_id("paylocity") == "7002"
    assert free_external_id("prismhr") == "200100"
    assert free_external_id("affinity") == "AFF200"


def test_a_company_is_made_with_generated_employees_and_credentials_the_sandbox_accepts(seeded):
    made = sandbox_company_provision(provider="paylocity", name="Training Co", employees=12)
    assert made.company.external_id == "7000" and made.employees == 12
    assert SandboxEmployee.objects.filter(company=made.company).count() == 12
    assert made.company.status_codes.filter(code="A").exists()
    found = credential_by_client(
        provider="paylocity", client_id=made.credential.client_id, client_secret=made.secret
    )
    assert found == made.credential and list(found.companies.all()) == [made.company]


def test_a_prismhr_company_gets_a_login_with_the_peo_id(seeded):
    made = sandbox_company_provision(provider="prismhr", name="Staffing Co", employees=3)
    assert made.company.external_id == "200100"
    login = credential_by_login(
        provider="prismhr", username=made.credential.username, password=made.secret, peo_id="SANDBOXPEO"
    )
    assert login == made.credential


def test_from_a_connection_the_company_joins_it_and_the_connection_signs_in_with_the_credentials(
    sandbox_connection,
):
    made = sandbox_company_provision(
        provider="paylocity", name="Training Co", employees=5, connection=sandbox_connection
    )
    sandbox_connection.refresh_from_db()
    hub = Company.objects.get(external_id=made.company.external_id, provider="paylocity")
    assert made.hub_company == hub and list(sandbox_connection.companies.all()) == [hub]
    assert hub.company_set.customer == sandbox_connection.customer
    assert (sandbox_connection.client_id, sandbox_connection.client_secret) == (
        made.credential.client_id,
        made.secret,
    )


def test_a_second_company_of_the_same_connection_shares_its_credentials_and_company_set(sandbox_connection):
    first = sandbox_company_provision(provider="paylocity", name="One", connection=sandbox_connection)
    second = sandbox_company_provision(provider="paylocity", name="Two", connection=sandbox_connection)
    assert second.credential == first.credential and second.secret == ""
    assert set(first.credential.companies.values_list("external_id", flat=True)) == {"7000", "7001"}
    assert second.hub_company.company_set == first.hub_company.company_set
    assert sandbox_connection.companies.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"external_id": "6700"}, "external_id"),  # the seeded sandbox company
        ({"employees": 0}, "employees"),
        ({"employees": 501}, "employees"),
        ({"provider": "adp"}, "provider"),
    ],
)
def test_refusals_name_the_field(seeded, kwargs, field):
    with pytest.raises(ApplicationError) as info:
        sandbox_company_provision(**{"provider": "paylocity", "name": "X", **kwargs})
    assert info.value.extra["field"] == field
    assert not SandboxCompany.objects.filter(name="X").exists()


def test_a_hub_companys_id_is_refused_too(seeded, customer):
    CompanyFactory(company_set=CompanySetFactory(customer=customer), external_id="7777")
    with pytest.raises(ApplicationError, match="7777 is already used"):
        sandbox_company_provision(provider="paylocity", name="X", external_id="7777")


def test_only_sandbox_connections_of_the_same_provider_are_linked(customer, seeded):
    production = ConnectionFactory(customer=customer, environment=Connection.Environment.PRODUCTION)
    with pytest.raises(ApplicationError, match="not a sandbox connection"):
        sandbox_company_provision(provider="paylocity", name="X", connection=production)
    with pytest.raises(ApplicationError, match="Paylocity connection"):
        sandbox_company_provision(
            provider="prismhr",
            name="X",
            connection=ConnectionFactory(customer=customer, environment=Connection.Environment.SANDBOX),
        )


# --- the page ----------------------------------------------------------------------------------------------


def test_a_consultant_creates_one_from_the_connection_page(client, consultant, sandbox_connection):
    client.force_login(consultant)
    page = client.get(reverse("admin:integrations_connection_change", args=[sandbox_connection.pk]))
    url = f"{reverse('admin:sandbox_sandboxcompany_provision')}?connection={sandbox_connection.pk}"
    assert url in page.content.decode()
    response = client.post(url, {"provider": "paylocity", "name": "Training Co", "employees": 4})
    assert response.status_code == 200
    html = response.content.decode()
    sandbox_connection.refresh_from_db()
    assert sandbox_connection.client_id in html and sandbox_connection.client_secret in html
    assert "7000" in html and "http://testserver/sandbox/paylocity" in html
    assert sandbox_connection.companies.get().external_id == "7000"


def test_the_page_refuses_who_may_not_and_a_connection_not_seen(
    client, support_agent, consultant, outsider, sandbox_connection
):
    url = reverse("admin:sandbox_sandboxcompany_provision")
    client.force_login(support_agent)
    assert client.get(url).status_code == 403
    assert (
        "Create a sandbox company"
        not in client.get(
            reverse("admin:integrations_connection_change", args=[sandbox_connection.pk])
        ).content.decode()
    )
    client.force_login(consultant)
    assert client.get(url).status_code == 200
    client.force_login(outsider)  # a consultant of another customer does not even find the connection
    assert client.get(f"{url}?connection={sandbox_connection.pk}").status_code == 404


def test_a_production_connection_offers_no_sandbox_company(client, consultant, customer):
    production = ConnectionFactory(customer=customer, environment=Connection.Environment.PRODUCTION)
    client.force_login(consultant)
    html = client.get(reverse("admin:integrations_connection_change", args=[production.pk])).content.decode()
    assert "Create a sandbox company" not in html


def test_the_sandbox_company_list_offers_the_self_service_page_to_consultants(client, consultant, seeded):
    client.force_login(consultant)
    html = client.get(reverse("admin:sandbox_sandboxcompany_changelist")).content.decode()
    assert reverse("admin:sandbox_sandboxcompany_provision") in html

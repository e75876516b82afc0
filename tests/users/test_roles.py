"""Role x endpoint permission table for every endpoint of the foundation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.users.roles import ADMINS, CONSULTANTS, ROLE_NAMES, SUPPORT
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(customer, company_set, company):
    connection = ConnectionFactory(customer=customer, slug="acme-conn")
    return {
        "customers": customer,
        "company-sets": company_set,
        "companies": company,
        "connections": connection,
    }


def _create_body(resource, objects):
    return {
        "customers": {"name": "New customer"},
        "company-sets": {"customer": objects["customers"].pk, "name": "New set", "provider": "paylocity"},
        "companies": {"company_set": objects["company-sets"].pk, "external_id": "9999", "name": "New co"},
        "connections": {
            "customer": objects["customers"].pk,
            "name": "New conn",
            "provider": "paylocity",
            "base_url": "http://127.0.0.1:9/sandbox/paylocity",
        },
    }[resource]


RESOURCES = ["customers", "company-sets", "companies", "connections"]
# persona -> (can list/read, can create)
TABLE = {
    "anonymous": (401, 401),
    "no_role_user": (403, 403),
    "support_agent": (200, 403),
    "consultant": (200, 201),
    "admin_user": (200, 201),
}


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", list(TABLE))
def test_role_endpoint_table(request, api, objects, persona, resource):
    # given a persona
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = api(user)
    read_status, create_status = TABLE[persona]
    # when it lists, reads and creates
    listing = client.get(f"/api/v1/{resource}/")
    detail = client.get(f"/api/v1/{resource}/{objects[resource].pk}/")
    created = client.post(f"/api/v1/{resource}/", _create_body(resource, objects), format="json")
    # then the role table decides
    assert listing.status_code == read_status, listing.content
    assert detail.status_code == read_status, detail.content
    assert created.status_code == create_status, created.content
    if read_status == 200:
        assert listing.json()["count"] >= 1


@pytest.mark.parametrize("resource", RESOURCES)
def test_user_of_another_customer_sees_nothing_of_this_one(api, objects, outsider, resource):
    client = api(outsider)
    listing = client.get(f"/api/v1/{resource}/")
    assert listing.status_code == 200
    ids = {row["id"] for row in listing.json()["results"]}
    assert objects[resource].pk not in ids
    assert client.get(f"/api/v1/{resource}/{objects[resource].pk}/").status_code == 404


def test_support_agent_cannot_change_a_company(api, support_agent, company):
    response = api(support_agent).patch(f"/api/v1/companies/{company.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403


def test_role_groups_exist_with_view_permissions():
    for role in ROLE_NAMES:
        group = Group.objects.get(name=role)
        codenames = set(group.permissions.values_list("codename", flat=True))
        assert "view_company" in codenames
    assert "add_company" not in set(
        Group.objects.get(name=SUPPORT).permissions.values_list("codename", flat=True)
    )
    assert "delete_connection" in set(
        Group.objects.get(name=ADMINS).permissions.values_list("codename", flat=True)
    )
    assert "delete_connection" not in set(
        Group.objects.get(name=CONSULTANTS).permissions.values_list("codename", flat=True)
    )


def test_token_authentication_works(client, consultant):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=consultant)
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200

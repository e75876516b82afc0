"""Connections: secrets encrypted at rest, write-only in the API and the admin."""

from __future__ import annotations

import pytest
from django.db import connection as db

from apps.integrations.models import Connection
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _raw(column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_secret_is_ciphertext_in_the_database(customer):
    conn = ConnectionFactory(customer=customer, client_secret="plain-client-secret")
    raw = _raw("client_secret", conn.pk)
    assert "plain-client-secret" not in raw
    assert raw.startswith("fernet:")
    assert Connection.objects.get(pk=conn.pk).client_secret == "plain-client-secret"


def test_api_never_returns_secret_values(api, consultant, customer):
    conn = ConnectionFactory(customer=customer, client_secret="plain-client-secret", webhook_secret="whsec_x")
    body = api(consultant).get(f"/api/v1/connections/{conn.pk}/").json()
    text = str(body)
    assert "plain-client-secret" not in text and "whsec_x" not in text
    assert "client_secret" not in body
    assert body["secrets_set"]["client_secret"] is True
    assert body["secrets_set"]["password"] is False


def test_api_writes_secret_and_blank_keeps_it(api, consultant, customer):
    client = api(consultant)
    created = client.post(
        "/api/v1/connections/",
        {
            "customer": customer.pk,
            "name": "P",
            "provider": "paylocity",
            "base_url": "http://127.0.0.1:9/x",
            "client_secret": "first",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    client.patch(f"/api/v1/connections/{pk}/", {"client_secret": "", "state": "live"}, format="json")
    conn = Connection.objects.get(pk=pk)
    assert conn.client_secret == "first" and conn.state == "live"
    client.patch(f"/api/v1/connections/{pk}/", {"client_secret": "second"}, format="json")
    assert Connection.objects.get(pk=pk).client_secret == "second"


def test_generate_webhook_secret_is_shown_once(api, consultant, customer):
    conn = ConnectionFactory(customer=customer)
    response = api(consultant).post(f"/api/v1/connections/{conn.pk}/webhook-secret/")
    secret = response.json()["webhook_secret"]
    assert secret.startswith("whsec_")
    assert Connection.objects.get(pk=conn.pk).webhook_secret == secret
    assert secret not in str(api(consultant).get(f"/api/v1/connections/{conn.pk}/").json())


def test_support_agent_cannot_generate_webhook_secret(api, support_agent, customer):
    conn = ConnectionFactory(customer=customer)
    assert api(support_agent).post(f"/api/v1/connections/{conn.pk}/webhook-secret/").status_code == 403


def test_companies_of_another_customer_are_refused(api, consultant, customer, other_customer):
    from tests.companies.factories import CompanyFactory

    foreign = CompanyFactory(company_set__customer=other_customer)
    response = api(consultant).post(
        "/api/v1/connections/",
        {
            "customer": customer.pk,
            "name": "P",
            "provider": "paylocity",
            "base_url": "http://127.0.0.1:9/x",
            "companies": [foreign.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "companies" in response.json()["extra"]["fields"]


def test_invalid_allowed_ip_is_refused(api, consultant, customer):
    response = api(consultant).post(
        "/api/v1/connections/",
        {
            "customer": customer.pk,
            "name": "P",
            "provider": "paylocity",
            "base_url": "http://127.0.0.1:9/x",
            "webhook_allowed_ips": ["not-an-ip"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "webhook_allowed_ips" in response.json()["extra"]["fields"]


def test_admin_change_page_shows_no_secret_and_keeps_it_on_blank(client, admin_user, customer):
    admin_user.is_superuser = True
    admin_user.save()
    conn = ConnectionFactory(customer=customer, client_secret="plain-client-secret")
    client.force_login(admin_user)
    page = client.get(f"/admin/integrations/connection/{conn.pk}/change/").content.decode()
    assert "plain-client-secret" not in page
    assert "Set. Leave blank" in page


def test_admin_generate_secret_shows_it_once(client, admin_user, customer):
    admin_user.is_superuser = True
    admin_user.save()
    conn = ConnectionFactory(customer=customer)
    client.force_login(admin_user)
    response = client.post(f"/admin/integrations/connection/{conn.pk}/generate-webhook-secret/", follow=True)
    secret = Connection.objects.get(pk=conn.pk).webhook_secret
    assert secret in response.content.decode()
    again = client.get(f"/admin/integrations/connection/{conn.pk}/change/").content.decode()
    assert secret not in again


# The read-only inlines of the connection page (fair-use crossings, sync runs) post empty management forms.
INLINE_MANAGEMENT = {
    f"{prefix}-{key}": "0"
    for prefix in ("fair_use_crossings", "sync_runs")
    for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
}


def test_admin_creates_and_edits_a_connection_through_the_services(client, admin_user, customer, company):
    from apps.integrations.services import EDITABLE_FIELDS

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    form = {
        "customer": customer.pk,
        "companies": [company.pk],
        "name": "Admin made",
        "slug": "admin-made",
        "provider": "paylocity",
        "environment": "sandbox",
        "base_url": "http://127.0.0.1:9/x",
        "state": "testing",
        "client_secret": "first-secret",
        "webhook_auth": "hmac",
        "webhook_signature_header": "webhook-signature",
        "webhook_signature_encoding": "base64",
        "webhook_signature_scheme": "standard",
        "webhook_allowed_ips": "[]",
        "webhook_digest_types": "[]",
        "webhook_coalesce_seconds": "0",
        "circuit_threshold": "5",
        "circuit_cooldown_seconds": "60",
        "sftp_port": "22",
        **INLINE_MANAGEMENT,
    }
    assert "name" in EDITABLE_FIELDS
    created = client.post("/admin/integrations/connection/add/", form)
    assert created.status_code == 302, created.context["errors"]
    conn = Connection.objects.get(slug="admin-made")
    assert conn.client_secret == "first-secret" and list(conn.companies.all()) == [company]
    # a blank secret on edit keeps the stored one
    edited = client.post(
        f"/admin/integrations/connection/{conn.pk}/change/", {**form, "client_secret": "", "state": "live"}
    )
    assert edited.status_code == 302
    conn.refresh_from_db()
    assert conn.client_secret == "first-secret" and conn.state == "live"
    # and emptied JSON boxes (allowed IPs, digested types) are saved as empty lists, not refused with a 500
    emptied = client.post(
        f"/admin/integrations/connection/{conn.pk}/change/",
        {**form, "webhook_allowed_ips": "", "webhook_digest_types": ""},
    )
    assert emptied.status_code == 302
    conn.refresh_from_db()
    assert (conn.webhook_allowed_ips, conn.webhook_digest_types) == ([], [])


def test_admin_refuses_a_company_of_another_customer_with_a_form_error(
    client, admin_user, customer, other_customer
):
    from tests.companies.factories import CompanyFactory

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    foreign = CompanyFactory(company_set__customer=other_customer)
    conn = ConnectionFactory(customer=customer)
    page = client.get(f"/admin/integrations/connection/{conn.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/integrations/connection/{conn.pk}/change/",
        {
            "customer": customer.pk,
            "companies": [foreign.pk],
            "name": conn.name,
            "slug": conn.slug,
            "provider": "paylocity",
            "environment": "sandbox",
            "base_url": conn.base_url,
            "state": "testing",
            "webhook_auth": "hmac",
            "webhook_signature_header": "webhook-signature",
            "webhook_signature_encoding": "base64",
            "webhook_signature_scheme": "standard",
            "webhook_allowed_ips": "[]",
            "webhook_digest_types": "[]",
            "webhook_coalesce_seconds": "0",
            "circuit_threshold": "5",
            "circuit_cooldown_seconds": "60",
            "sftp_port": "22",
        },
    )
    assert response.status_code == 200
    assert "belongs to another customer" in response.content.decode()

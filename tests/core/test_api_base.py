from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_schema_and_docs_are_served(client, admin_user):
    client.force_login(admin_user)
    assert b"openapi" in client.get("/api/schema/").content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the sidecar package, not a CDN.
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
def test_not_found_has_the_error_shape(api, admin_user):
    response = api(admin_user).get("/api/v1/companies/999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}


@pytest.mark.django_db
def test_unauthenticated_has_the_error_shape(api):
    response = api().get("/api/v1/companies/")
    assert response.status_code == 401
    assert "credentials" in response.json()["message"].lower()

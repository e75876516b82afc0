"""The emulated Affinity REST surface (our own design, /tmp/contracts.md)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sandbox.conftest import AFFINITY

TOKEN = f"{AFFINITY}/oauth/token"
FORM = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-affinity-client",
    "client_secret": "sandbox-affinity-secret",
}


def test_token_answers_bearer_with_expiry(seeded):
    body = Client().post(TOKEN, FORM).json()

    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "x"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_refusals(seeded, change, status, error):
    response = Client().post(TOKEN, {**FORM, **change})

    assert response.status_code == status
    assert response.json()["error"] == error


def test_list_pages_from_one_with_meta(affinity):
    url = f"{AFFINITY}/v1/companies/AFF100/employees"

    first = affinity.get(url, {"page": 1, "per_page": 4}).json()
    second = affinity.get(url, {"page": 2, "per_page": 4}).json()

    assert first["meta"] == {"page": 1, "per_page": 4, "total": 6}
    assert [e["employee_id"] for e in first["data"] + second["data"]] == [f"E{1000 + n}" for n in range(1, 7)]


def test_detail_has_the_contract_fields(affinity):
    body = affinity.get(f"{AFFINITY}/v1/companies/AFF100/employees/E1005").json()

    assert body == {
        "employee_id": "E1005",
        "first_name": "Jane",
        "last_name": "Fawcett",
        "work_email": "jane.fawcett@affinity.example",
        "national_id": "900005005",
        "birth_date": "1985-05-06",
        "employment_type": "full_time",
        "benefit_class": "STANDARD",
        "pay_group": "MONTHLY",
        "status": {"code": "SUS", "effective_date": "2025-01-13", "reason": "Suspended"},
        "hire_date": "2020-05-04",
        "termination_date": None,
    }


def test_errors_are_error_and_message(affinity):
    missing = affinity.get(f"{AFFINITY}/v1/companies/AFF100/employees/E9")
    anonymous = Client().get(f"{AFFINITY}/v1/companies/AFF100/employees")

    assert missing.status_code == 404
    assert set(missing.json()) == {"error", "message"}
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_token"

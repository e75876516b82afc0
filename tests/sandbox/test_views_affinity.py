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
    # given the seeded sandbox
    # when a client asks for a token with its credentials
    body = Client().post(TOKEN, FORM).json()

    # then it gets a bearer token valid for an hour
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
    # given the seeded sandbox
    # when a token is asked for with a wrong secret or an unsupported grant
    response = Client().post(TOKEN, {**FORM, **change})

    # then it is refused with the OAuth error for that case
    assert response.status_code == status
    assert response.json()["error"] == error


def test_list_pages_from_one_with_meta(affinity):
    # given the Affinity company with six employees
    url = f"{AFFINITY}/v1/companies/AFF100/employees"

    # when its employees are read four to a page
    first = affinity.get(url, {"page": 1, "per_page": 4}).json()
    second = affinity.get(url, {"page": 2, "per_page": 4}).json()

    # then pages count from one, the meta gives the total, and the two pages hold all six in order
    assert first["meta"] == {"page": 1, "per_page": 4, "total": 6}
    assert [e["employee_id"] for e in first["data"] + second["data"]] == [f"E{1000 + n}" for n in range(1, 7)]


def test_detail_has_the_contract_fields(affinity):
    # when the suspended employee is read
    body = affinity.get(f"{AFFINITY}/v1/companies/AFF100/employees/E1005").json()

    # then every field of the contract is there, with the status as code, date and reason
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
    # when an unknown employee is read, and a list is read without a token
    missing = affinity.get(f"{AFFINITY}/v1/companies/AFF100/employees/E9")
    anonymous = Client().get(f"{AFFINITY}/v1/companies/AFF100/employees")

    # then each error is a body of error and message with its status
    assert missing.status_code == 404
    assert set(missing.json()) == {"error", "message"}
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_token"

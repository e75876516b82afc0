"""The emulated Paylocity WebLink endpoints: token, list with paging and total, detail, errors, auth."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.sandbox.models import SandboxToken
from tests.sandbox.conftest import PAYLOCITY
from tests.sandbox.factories import SandboxCompanyFactory

TOKEN = f"{PAYLOCITY}/IdentityServer/connect/token"
FORM = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-paylocity-client",
    "client_secret": "sandbox-paylocity-secret",
    "scope": "WebLinkAPI",
}


def test_token_answers_a_bearer_token_with_its_lifetime(seeded):
    response = Client().post(TOKEN, FORM)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert SandboxToken.objects.filter(token=body["access_token"]).exists()


def test_token_accepts_client_credentials_in_http_basic(seeded):
    basic = base64.b64encode(b"sandbox-paylocity-client:sandbox-paylocity-secret").decode()
    form = {"grant_type": "client_credentials", "scope": "WebLinkAPI"}

    response = Client().post(TOKEN, form, HTTP_AUTHORIZATION=f"Basic {basic}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 403, "invalid_client"),
        ({"client_id": "nobody"}, 403, "invalid_client"),
        ({"scope": "OtherAPI"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_refuses_bad_requests(seeded, change, status, error):
    response = Client().post(TOKEN, {**FORM, **change})

    assert response.status_code == status
    assert response.json() == {"error": error}


def test_token_is_post_only(seeded):
    assert Client().get(TOKEN).status_code == 405


def test_list_is_an_array_of_id_and_status_in_employee_id_order(paylocity):
    response = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees", {"pagesize": 3, "pagenumber": 0})

    assert response.status_code == 200
    assert response.json() == [
        {"employeeId": "1001", "statusCode": "A", "statusTypeCode": "A"},
        {"employeeId": "1002", "statusCode": "T", "statusTypeCode": "T"},
        {"employeeId": "1003", "statusCode": "D", "statusTypeCode": "T"},
    ]
    assert "X-Pcty-Total-Count" not in response.headers


def test_list_pages_are_zero_based_and_the_total_comes_in_a_header(paylocity):
    # given 16 employees in 6700, pages of 5
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"
    pages = [
        paylocity.get(url, {"pagesize": 5, "pagenumber": n, "includetotalcount": "true"}) for n in range(5)
    ]

    ids = [row["employeeId"] for page in pages for row in page.json()]
    assert ids == [f"{1001 + i}" for i in range(16)]
    assert [len(p.json()) for p in pages] == [5, 5, 5, 1, 0]
    assert {p.headers["X-Pcty-Total-Count"] for p in pages} == {"16"}


def test_list_shows_custom_codes_with_their_type(paylocity):
    rows = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees", {"pagesize": 100}).json()

    by_id = {r["employeeId"]: r for r in rows}
    assert by_id["1007"] == {"employeeId": "1007", "statusCode": "S", "statusTypeCode": "L"}
    assert by_id["1008"]["statusCode"] == "FML"
    assert by_id["1006"]["statusCode"] == "XT"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"pagesize": "x"}, "pagesize"), ({"pagesize": 0}, "pagesize"), ({"pagenumber": -1}, "pagenumber")],
)
def test_list_refuses_bad_paging_with_paylocity_errors(paylocity, params, field):
    response = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees", params)

    assert response.status_code == 400
    [error] = response.json()
    assert set(error) == {"field", "message"}
    assert field in error["message"]


def test_detail_has_every_field_the_hub_reads(paylocity):
    body = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees/1014").json()

    assert body["employeeId"] == "1014"
    assert (body["firstName"], body["lastName"]) == ("Tim", "Berners-Lee")
    assert body["ssn"] == "900-00-1014"
    assert body["birthDate"] == "1975-06-08T00:00:00"
    assert body["status"] == {
        "employeeStatus": "A",
        "statusType": "A",
        "effectiveDate": "2023-05-01T00:00:00",
        "changeReason": "Rehire",
        "hireDate": "2015-01-05T00:00:00",
        "reHireDate": "2023-05-01T00:00:00",
        "terminationDate": "2022-03-31T00:00:00",
    }
    assert body["departmentPosition"]["employeeType"] == "RFT"
    assert body["departmentPosition"]["payGroup"] == "BW"
    assert body["benefitSetup"] == {"benefitClass": "FT-BEN"}
    assert body["workAddress"]["emailAddress"] == "tim.bernerslee@acme.example"


def test_detail_of_an_unknown_employee_is_a_404_with_a_field_error(paylocity):
    response = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees/9999")

    assert response.status_code == 404
    assert response.json()[0]["field"] == "employeeId"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, 401),
        ({"HTTP_AUTHORIZATION": "Basic abc"}, 401),
    ],
)
def test_data_endpoints_need_a_valid_bearer_token(seeded, headers, status):
    response = Client().get(f"{PAYLOCITY}/api/v2/companies/6700/employees", **headers)

    assert response.status_code == status
    assert response.json()[0]["message"]


def test_an_expired_token_is_refused_as_expired(paylocity):
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees")

    assert response.status_code == 401
    assert "expired" in response.json()[0]["message"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_company_outside_the_credentials_is_forbidden_and_an_unknown_one_not_found(paylocity):
    SandboxCompanyFactory(external_id="7777")

    assert paylocity.get(f"{PAYLOCITY}/api/v2/companies/7777/employees").status_code == 403
    assert paylocity.get(f"{PAYLOCITY}/api/v2/companies/0000/employees").status_code == 404


def test_a_token_of_another_provider_is_not_accepted(seeded, prism):
    session = prism.defaults["HTTP_SESSIONID"]

    response = Client().get(
        f"{PAYLOCITY}/api/v2/companies/6700/employees", HTTP_AUTHORIZATION=f"Bearer {session}"
    )

    assert response.status_code == 401


def test_an_inactive_credential_loses_its_tokens(paylocity):
    from apps.sandbox.models import SandboxCredential

    SandboxCredential.objects.filter(client_id="sandbox-paylocity-client").update(active=False)

    assert paylocity.get(f"{PAYLOCITY}/api/v2/companies/6700/employees").status_code == 401


def test_list_costs_a_fixed_number_of_queries(paylocity, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = paylocity.get(
            f"{PAYLOCITY}/api/v2/companies/6700/employees", {"pagesize": 500, "includetotalcount": "true"}
        )
    assert response.status_code == 200

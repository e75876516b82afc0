"""Provider clients against recorded provider answers (``responses``): auth, paging, detail, errors."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
from responses import matchers

from apps.companies.models import Provider
from apps.core.errors import AuthenticationError, ProviderError
from apps.integrations.models import ApiCall, Connection
from apps.integrations.providers import client_for
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

PCTY = "http://127.0.0.1:9/sandbox/paylocity"
PRISM = "http://127.0.0.1:9/sandbox/prismhr/prismhr-api/services/rest"
AFF = "http://127.0.0.1:9/sandbox/affinity"


def pcty_detail(employee_id="1001", code="A", status_type="A"):
    return {
        "employeeId": employee_id,
        "companyId": "6700",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "ssn": "123-45-6789",
        "birthDate": "1990-12-10T00:00:00",
        "status": {
            "employeeStatus": code,
            "statusType": status_type,
            "effectiveDate": "2024-03-01T00:00:00",
            "changeReason": "New hire",
            "hireDate": "2024-03-01T00:00:00",
            "reHireDate": None,
            "terminationDate": None,
        },
        "departmentPosition": {"employeeType": "RFT", "payGroup": "BW1", "jobTitle": "Engineer"},
        "benefitSetup": {"benefitClass": "FT"},
        "workAddress": {"emailAddress": "ada@example.com"},
    }


@pytest.fixture
def paylocity(customer):
    return client_for(ConnectionFactory(customer=customer, base_url=PCTY))


def token_ok(**kwargs):
    return responses.post(
        f"{PCTY}/IdentityServer/connect/token",
        json={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600},
        **kwargs,
    )


@responses.activate
def test_paylocity_token_is_requested_once_and_reused(paylocity):
    token = token_ok(
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "client_credentials",
                    "client_id": "abcdefg-client-0001234567",
                    "client_secret": "s3cret-value",
                    "scope": "WebLinkAPI",
                }
            )
        ]
    )
    detail = responses.get(
        f"{PCTY}/api/v2/companies/6700/employees/1001",
        json=pcty_detail(),
        match=[matchers.header_matcher({"Authorization": "Bearer tok-1"})],
    )
    paylocity.get_employee("6700", "1001")
    # a second client of the same connection (another sync, another process) uses the cached token
    client_for(Connection.objects.get(pk=paylocity.connection.pk)).get_employee("6700", "1001")
    assert token.call_count == 1 and detail.call_count == 2
    assert Connection.objects.get(pk=paylocity.connection.pk).last_authenticated_at is not None


@responses.activate
def test_paylocity_refreshes_the_token_once_on_401(paylocity):
    token_ok()
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/1001", status=401)
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/1001", json=pcty_detail())
    record = paylocity.get_employee("6700", "1001")
    assert record.employee_id == "1001"
    assert len([c for c in responses.calls if c.request.method == "POST"]) == 2


@responses.activate
def test_paylocity_gives_up_after_one_refresh(paylocity):
    token_ok()
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/1001", status=401)
    with pytest.raises(AuthenticationError):
        paylocity.get_employee("6700", "1001")


@responses.activate
def test_paylocity_bad_credentials_are_an_authentication_error(paylocity):
    responses.post(f"{PCTY}/IdentityServer/connect/token", status=403, json={"error": "invalid_client"})
    with pytest.raises(AuthenticationError) as info:
        paylocity.authenticate()
    assert info.value.permanent
    assert "refused" in Connection.objects.get(pk=paylocity.connection.pk).last_auth_error


@responses.activate
def test_paylocity_list_pages_are_zero_based_until_the_total(paylocity):
    token_ok()
    for page, ids in enumerate([["1", "2"], ["3", "4"], ["5"]]):
        responses.get(
            f"{PCTY}/api/v2/companies/6700/employees",
            json=[{"employeeId": i, "statusCode": "A", "statusTypeCode": "A"} for i in ids],
            headers={"X-Pcty-Total-Count": "5"},
            match=[
                matchers.query_param_matcher(
                    {"pagesize": "2", "pagenumber": str(page), "includetotalcount": "true"}
                )
            ],
        )
    pages = list(paylocity.list_employees("6700", page_size=2))
    assert [[e.employee_id for e in p.entries] for p in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert pages[0].total == 5 and pages[0].entries[0].status_code == "A"


@responses.activate
def test_paylocity_detail_becomes_an_employee_record(paylocity):
    token_ok()
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/1001", json=pcty_detail())
    record = paylocity.get_employee("6700", "1001")
    assert record.company_external_id == "6700"
    assert (record.status_code, record.status_effective_date) == ("A", dt.date(2024, 3, 1))
    assert (record.first_name, record.last_name, record.work_email) == ("Ada", "Lovelace", "ada@example.com")
    assert (record.employment_type, record.pay_group, record.benefit_class) == ("RFT", "BW1", "FT")
    assert record.national_id == "123-45-6789" and record.birth_date == dt.date(1990, 12, 10)
    assert record.hire_date == dt.date(2024, 3, 1) and record.rehire_date is None
    assert record.provider_status_type == "active"


@responses.activate
def test_paylocity_missing_employee_is_none_and_errors_carry_the_message(paylocity):
    token_ok()
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/404", status=404, json=[{"message": "nope"}])
    responses.get(
        f"{PCTY}/api/v2/companies/6700/employees/1",
        status=403,
        json=[{"field": "companyId", "message": "no access"}],
    )
    assert paylocity.get_employee("6700", "404") is None
    with pytest.raises(ProviderError, match="companyId: no access") as info:
        paylocity.get_employee("6700", "1")
    assert info.value.permanent


@responses.activate
def test_malformed_json_is_a_retryable_provider_error(paylocity):
    token_ok()
    responses.get(f"{PCTY}/api/v2/companies/6700/employees/1", body='{"employeeId": ["A", ')
    with pytest.raises(ProviderError, match="malformed JSON") as info:
        paylocity.get_employee("6700", "1")
    assert not info.value.permanent


# --- PrismHR -----------------------------------------------------------------------------------------------


@pytest.fixture
def prismhr(customer):
    conn = ConnectionFactory(
        customer=customer,
        provider=Provider.PRISMHR,
        base_url=PRISM,
        username="api-user",
        password="pw",
        peo_id="PEO1",
        client_id="",
    )
    return client_for(conn)


def prism_login(session="sess-1"):
    return responses.post(
        f"{PRISM}/login/v1/createPeoSession",
        json={"sessionId": session, "errorCode": "0", "errorMessage": ""},
        match=[
            matchers.urlencoded_params_matcher({"username": "api-user", "password": "pw", "peoId": "PEO1"})
        ],
    )


def prism_employee(employee_id, code="A"):
    return {
        "id": employee_id,
        "person": {
            "firstName": "Grace",
            "lastName": "Hopper",
            "ssn": "987-65-4321",
            "birthDate": "1980-01-02",
        },
        "client": {
            "clientId": "C100",
            "employeeStatus": code,
            "statusClass": "A" if code == "A" else "T",
            "statusDate": "2024-05-06",
            "statusReason": "",
            "employeeType": "FT",
            "hireDate": "2020-01-01",
            "lastHireDate": "2024-05-06",
            "termDate": None,
            "benefitGroup": "B1",
            "payGroup": "W",
            "workEmail": "grace@example.com",
        },
    }


@responses.activate
def test_prismhr_logs_in_and_sends_the_session_header(prismhr):
    login = prism_login()
    responses.get(
        f"{PRISM}/employee/v1/getEmployeeList",
        json={"errorCode": "0", "employeeList": {"employeeId": ["E1", "E2", "E3"]}},
        match=[
            matchers.header_matcher({"sessionId": "sess-1"}),
            matchers.query_param_matcher({"clientId": "C100"}),
        ],
    )
    pages = list(prismhr.list_employees("C100", page_size=2))
    assert [[e.employee_id for e in p.entries] for p in pages] == [["E1", "E2"], ["E3"]]
    assert login.call_count == 1


@responses.activate
def test_prismhr_relogs_in_once_when_the_session_expired(prismhr):
    prism_login("old")
    responses.get(
        f"{PRISM}/employee/v1/getEmployeeList", json={"errorCode": "1", "errorMessage": "session has expired"}
    )
    prism_login("new")
    responses.get(
        f"{PRISM}/employee/v1/getEmployeeList",
        json={"errorCode": "0", "employeeList": {"employeeId": ["E1"]}},
        match=[matchers.header_matcher({"sessionId": "new"})],
    )
    assert [e.employee_id for p in prismhr.list_employees("C100") for e in p.entries] == ["E1"]


@responses.activate
def test_prismhr_empty_list_may_be_a_404(prismhr):
    prism_login()
    responses.get(f"{PRISM}/employee/v1/getEmployeeList", status=404, json={"errorCode": "404"})
    assert list(prismhr.list_employees("C100")) == []


@responses.activate
def test_prismhr_details_take_twenty_ids_per_call(prismhr):
    prism_login()
    ids = [f"E{i}" for i in range(25)]
    for chunk in (ids[:20], ids[20:]):
        responses.get(
            f"{PRISM}/employee/v1/getEmployee",
            json={"errorCode": "0", "employee": [prism_employee(i) for i in chunk if i != "E3"]},
            match=[
                matchers.query_string_matcher(
                    "clientId=C100&" + "&".join(f"employeeId={i}" for i in chunk) + "&options=Person%2CClient"
                )
            ],
        )
    result = prismhr.get_employees("C100", ids)
    assert len(result.records) == 24 and result.missing == ["E3"]
    record = result.records[0]
    assert (record.status_code, record.status_effective_date, record.employment_type) == (
        "A",
        dt.date(2024, 5, 6),
        "FT",
    )
    assert (record.first_name, record.national_id, record.work_email) == (
        "Grace",
        "987-65-4321",
        "grace@example.com",
    )
    assert record.rehire_date == dt.date(2024, 5, 6) and record.hire_date == dt.date(2020, 1, 1)


@responses.activate
def test_prismhr_refused_login_is_an_authentication_error_in_our_words(prismhr, caplog):
    responses.post(
        f"{PRISM}/login/v1/createPeoSession",
        json={"errorCode": "LOGIN_FAILED", "errorMessage": "Invalid user"},
    )
    with pytest.raises(AuthenticationError) as raised:
        prismhr.authenticate()
    # Their text is logged, never returned nor stored where API users read it.
    assert str(raised.value) == "PrismHR refused the login."
    prismhr.connection.refresh_from_db()
    assert prismhr.connection.last_auth_error == "PrismHR refused the login."
    assert "Invalid user" in caplog.text


@responses.activate
def test_prismhr_error_envelope_is_a_provider_error(prismhr):
    prism_login()
    responses.get(
        f"{PRISM}/employee/v1/getEmployee", json={"errorCode": "20", "errorMessage": "clientId is invalid"}
    )
    with pytest.raises(ProviderError, match="clientId is invalid"):
        prismhr.get_employees("C100", ["E1"])


# --- Affinity ----------------------------------------------------------------------------------------------


@pytest.fixture
def affinity(customer):
    return client_for(ConnectionFactory(customer=customer, provider=Provider.AFFINITY, base_url=AFF))


def aff_employee(employee_id, code="A"):
    return {
        "employee_id": employee_id,
        "first_name": "Alan",
        "last_name": "Turing",
        "work_email": "alan@example.com",
        "national_id": "AB123456C",
        "birth_date": "1985-06-23",
        "employment_type": "FT",
        "benefit_class": "STD",
        "pay_group": "M",
        "status": {"code": code, "effective_date": "2024-01-15", "reason": "Joined"},
        "hire_date": "2024-01-15",
        "termination_date": None,
    }


@responses.activate
def test_affinity_lists_full_employees_page_by_page(affinity):
    token = responses.post(
        f"{AFF}/oauth/token", json={"access_token": "a1", "token_type": "Bearer", "expires_in": 3600}
    )
    for page, ids in ((1, ["E1", "E2"]), (2, ["E3"])):
        responses.get(
            f"{AFF}/v1/companies/AFF100/employees",
            json={"data": [aff_employee(i) for i in ids], "meta": {"page": page, "per_page": 2, "total": 3}},
            match=[
                matchers.query_param_matcher({"page": str(page), "per_page": "2"}),
                matchers.header_matcher({"Authorization": "Bearer a1"}),
            ],
        )
    pages = list(affinity.list_employees("AFF100", page_size=2))
    records = [e.record for p in pages for e in p.entries]
    assert [r.employee_id for r in records] == ["E1", "E2", "E3"]
    assert records[0].status_effective_date == dt.date(2024, 1, 15) and records[0].change_reason == "Joined"
    assert token.call_count == 1


@responses.activate
def test_affinity_invalid_client_is_an_authentication_error(affinity):
    responses.post(f"{AFF}/oauth/token", status=401, json={"error": "invalid_client"})
    with pytest.raises(AuthenticationError):
        affinity.authenticate()


@responses.activate
def test_every_provider_request_is_in_the_call_log(affinity):
    responses.post(f"{AFF}/oauth/token", json={"access_token": "a1", "expires_in": 3600})
    responses.get(f"{AFF}/v1/companies/AFF100/employees/E1", json=aff_employee("E1"))
    affinity.get_employee("AFF100", "E1")
    logged = list(
        ApiCall.objects.filter(connection=affinity.connection).order_by("id").values_list("method", "uri")
    )
    assert logged == [
        ("POST", f"{AFF}/oauth/token"),
        ("GET", f"{AFF}/v1/companies/AFF100/employees/E1"),
    ]

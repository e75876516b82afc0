"""The emulated PrismHR REST methods: session, errorCode envelope, employees, clients, codes, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.sandbox import services
from apps.sandbox.models import SandboxEmployee, SandboxToken
from tests.sandbox.conftest import PRISM

LOGIN = f"{PRISM}/login/v1/createPeoSession"
GOOD = {"username": "sandbox-prism-user", "password": "sandbox-prism-password", "peoId": "SANDBOXPEO"}


def test_create_peo_session_answers_a_session_id_in_the_envelope(seeded):
    # given the seeded sandbox
    # when a PEO user logs in with good credentials
    body = Client().post(LOGIN, GOOD).json()

    # then a live session id comes back in a clean envelope
    assert body["errorCode"] == "0"
    assert body["errorMessage"] == ""
    assert SandboxToken.objects.filter(token=body["sessionId"]).exists()


@pytest.mark.parametrize("field", ["username", "password", "peoId"])
def test_create_peo_session_refuses_any_wrong_field(seeded, field):
    # given the seeded sandbox
    # when one login field is wrong
    response = Client().post(LOGIN, {**GOOD, field: "wrong"})

    # then the login is refused with an error envelope
    assert response.status_code == 401
    assert response.json()["errorCode"] != "0"


def test_a_missing_or_unknown_session_is_a_401_with_the_envelope(seeded):
    # given the seeded sandbox
    url = f"{PRISM}/employee/v1/getEmployeeList?clientId=100100"

    # when the employee list is asked for with no session or an unknown one
    for headers in ({}, {"HTTP_SESSIONID": "nope"}):
        response = Client().get(url, **headers)
        # then each is a 401 in the envelope
        assert response.status_code == 401
        assert response.json()["errorCode"] == "401"


def test_an_expired_session_says_session_has_expired(prism):
    # given a session that has just expired
    SandboxToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    # when the employee list is asked for
    body = prism.get(f"{PRISM}/employee/v1/getEmployeeList", {"clientId": "100100"}).json()

    # then the envelope says the session has expired
    assert body["errorCode"] != "0"
    assert body["errorMessage"] == "session has expired"


def test_get_employee_list_gives_ids_only(prism):
    # when the employee list of the seeded client is asked for
    body = prism.get(f"{PRISM}/employee/v1/getEmployeeList", {"clientId": "100100"}).json()

    # then only the employee ids come back
    assert body["errorCode"] == "0"
    assert body["employeeList"] == {"employeeId": [f"P{n:04d}" for n in range(1, 9)]}


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"statusClass": "T"}, ["P0003"]),
        ({"statusClass": "L"}, ["P0004", "P0005"]),
        ({"statusClass": "LT"}, ["P0003", "P0004", "P0005"]),
        ({"typeClass": "P", "statusClass": "A"}, ["P0002", "P0008"]),
    ],
)
def test_get_employee_list_filters_by_status_and_type_class(prism, params, ids):
    body = prism.get(f"{PRISM}/employee/v1/getEmployeeList", {"clientId": "100100", **params}).json()

    assert body["employeeList"]["employeeId"] == ids


def test_get_employee_list_of_an_empty_client_is_a_404(prism):
    # given a client whose employees are all gone
    SandboxEmployee.objects.filter(company__external_id="100900").delete()

    # when its employee list is asked for
    response = prism.get(f"{PRISM}/employee/v1/getEmployeeList", {"clientId": "100900"})

    # then it is a 404 in the envelope
    assert response.status_code == 404
    assert response.json()["errorCode"] == "404"


def test_get_employee_takes_repeated_ids_and_the_client_option(prism):
    # when two employees are asked for by repeated ids with the person and client classes
    response = prism.get(
        f"{PRISM}/employee/v1/getEmployee?clientId=100100&employeeId=P0004&employeeId=P0001&options=Person,Client"
    )

    # then they come back in the order asked, the one on leave with her person and client details
    body = response.json()
    assert body["errorCode"] == "0"
    assert [e["id"] for e in body["employee"]] == ["P0004", "P0001"]
    leave = body["employee"][0]
    assert leave["person"]["firstName"] == "Betty"
    assert leave["person"]["ssn"] == "900-00-3004"
    assert leave["client"]["employeeStatus"] == "L"
    assert leave["client"]["statusClass"] == "L"
    assert leave["client"]["statusDate"] == "2025-01-20"
    assert leave["client"]["typeClass"] == "F"
    assert leave["client"]["payGroup"] == "BW2"


def test_get_employee_without_the_client_option_gives_the_person_class_only(prism):
    # when an employee is asked for without options
    body = prism.get(f"{PRISM}/employee/v1/getEmployee", {"clientId": "100100", "employeeId": "P0001"}).json()

    # then only the person class comes back
    assert set(body["employee"][0]) == {"id", "person"}


@pytest.mark.parametrize("count", [0, 21])
def test_get_employee_takes_between_1_and_20_ids(prism, count):
    # given no ids, or more than twenty
    ids = "&".join(f"employeeId=P{n:04d}" for n in range(1, count + 1))

    # when the employees are asked for
    response = prism.get(f"{PRISM}/employee/v1/getEmployee?clientId=100100&{ids}")

    # then the call is refused
    assert response.status_code == 400


def test_get_employee_of_unknown_ids_is_a_404(prism):
    # when an unknown employee id is asked for
    response = prism.get(f"{PRISM}/employee/v1/getEmployee", {"clientId": "100100", "employeeId": "ZZZ"})

    # then it is a 404
    assert response.status_code == 404


def test_client_list_and_client_codes(prism):
    # when the client list, its status codes and its pay groups are asked for
    clients = prism.get(f"{PRISM}/clientMaster/v1/getClientList").json()
    codes = prism.get(
        f"{PRISM}/clientMaster/v1/getClientCodes", {"clientId": "100100", "options": "Status"}
    ).json()
    groups = prism.get(
        f"{PRISM}/clientMaster/v1/getClientCodes", {"clientId": "100100", "options": "PGroups"}
    ).json()

    # then both clients are listed, custom codes carry their class, and each option gives only its codes
    assert [c["clientId"] for c in clients["clientListResult"]["clientList"]] == ["100100", "100900"]
    statuses = {c["code"]: c["statusClass"] for c in codes["clientCodes"]["employeeStatusCode"]}
    assert statuses["SEAS"] == "L"
    assert statuses["XT"] == "T"
    assert "payGroupCode" not in codes["clientCodes"]
    assert [g["code"] for g in groups["clientCodes"]["payGroupCode"]] == ["BW1", "BW2"]


def test_missing_client_id_is_a_400(prism):
    # when the employee list is asked for without a client id, then it is refused
    assert prism.get(f"{PRISM}/employee/v1/getEmployeeList").status_code == 400


def test_get_new_events_hands_out_each_event_once_per_subscription(prism, seeded):
    # given a subscription that has read the seeded payroll events
    url = f"{PRISM}/subscription/v1/getNewEvents"
    first = prism.get(url, {"subscriptionId": "sub-1"}).json()
    # when it reads again, an employee is terminated, and a second subscription reads two events
    again = prism.get(url, {"subscriptionId": "sub-1"}).json()
    employee = SandboxEmployee.objects.get(company__external_id="100100", employee_id="P0001")
    services.employee_terminate(employee=employee)
    after = prism.get(url, {"subscriptionId": "sub-1"}).json()
    other = prism.get(url, {"subscriptionId": "sub-2", "numberOfEvents": 2}).json()

    # then each event is handed out once to each subscription, the termination as an employee update
    assert {e["className"] for e in first["events"]} == {"PayrollBatch"}
    assert again["events"] == []
    assert again["replayId"] == first["replayId"]
    [event] = after["events"]
    assert event | {"eventId": "", "timestamp": ""} == {
        "eventId": "",
        "schemaName": "Employee",
        "className": "Employee",
        "clientId": "100100",
        "objectId": "P0001",
        "action": "UPDATE",
        "timestamp": "",
    }
    assert len(other["events"]) == 2


def test_get_new_events_needs_a_subscription_id(prism):
    # when new events are asked for without a subscription id, then it is refused
    assert prism.get(f"{PRISM}/subscription/v1/getNewEvents").status_code == 400

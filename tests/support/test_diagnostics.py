"""Check this employee now: the provider's record beside ours, stored minimised, attached as evidence."""

from __future__ import annotations

import datetime as dt

import pytest
import responses

from apps.core.http import reset_process_state
from apps.employees.models import DownstreamAction, StatusEvent
from apps.employees.records import EmployeeRecord
from apps.integrations.models import ApiCall
from apps.support import services
from apps.support.diagnostics import compare_records, link_reasons, provider_record_minimised
from apps.support.models import DiagnosticResult, TicketLogEntry
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import EmployeeFactory, PersonFactory, TicketFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

PCTY = "http://127.0.0.1:9/sandbox/paylocity"


@pytest.fixture(autouse=True)
def _fresh_http_state():
    reset_process_state()
    yield
    reset_process_state()


def test_provider_record_is_minimised_before_it_is_stored():
    record = EmployeeRecord(
        company_external_id="123",
        employee_id="1001",
        status_code="T",
        status_effective_date=dt.date(2026, 5, 1),
        national_id="123-45-6789",
        birth_date=dt.date(1990, 1, 2),
        extra={"jobTitle": "Engineer", "ssnLast": "6789", "birthPlace": "x"},
    )
    data = provider_record_minimised(record)
    assert "national_id" not in data and "birth_date" not in data
    assert data["national_id_last4"] == "6789"
    assert data["extra"] == {"jobTitle": "Engineer"}
    assert data["status_effective_date"] == "2026-05-01"


@pytest.mark.parametrize(
    ("provider", "ours", "differing"),
    [
        ({"status_code": "T"}, {"status_code": "A"}, ["status_code"]),
        ({"status_code": "A", "hire_date": None}, {"status_code": "A", "hire_date": ""}, []),
        (None, {"status_code": "A"}, []),
    ],
)
def test_compare_records_marks_the_differences(provider, ours, differing):
    rows = compare_records(provider, ours)
    assert [r["field"] for r in rows if r["differs"]] == differing


def test_link_reasons_follow_the_linking_rules(company):
    other_company = CompanyFactory(company_set=company.company_set)
    a = EmployeeFactory(company=company, employee_id="7", identity_key="k1", work_email="x@y.example")
    b = EmployeeFactory(company=other_company, employee_id="7", identity_key="k1", work_email="X@y.example")
    assert link_reasons(a, b) == [
        "same employee ID in the company set",
        "same identity key (keyed hash of the national ID)",
        "same work email",
    ]


@pytest.fixture
def setup(customer, company):
    conn = ConnectionFactory(customer=customer, base_url=PCTY, state="live")
    conn.companies.add(company)
    person = PersonFactory(customer=customer, display_name="Ada Lovelace")
    employee = EmployeeFactory(
        company=company,
        employee_id="1001",
        person=person,
        status_code="A",
        status_type="active",
        employment_type="RFT",
        pay_group="BW1",
    )
    twin = EmployeeFactory(
        company=CompanyFactory(company_set=company.company_set), employee_id="1001", person=person
    )
    StatusEvent.objects.create(
        employee=employee,
        code="A",
        status_type="active",
        effective_date=dt.date(2024, 3, 1),
        recorded_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        source="sync",
        transition="new_hire",
    )
    hook = WebhookEventFactory(
        connection=conn, company_external_id=company.external_id, object_id="1001", state="processed"
    )
    DownstreamAction.objects.create(
        customer=customer,
        person=person,
        employee=employee,
        action="provision",
        effective_date=dt.date(2024, 3, 1),
        key="p-provision-2024-03-01",
        state="delivered",
    )
    ticket = TicketFactory(customer=customer)
    return {"conn": conn, "employee": employee, "twin": twin, "hook": hook, "ticket": ticket}


def pcty_detail(company_id: str, code: str = "T") -> dict:
    return {
        "employeeId": "1001",
        "companyId": company_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "ssn": "123-45-6789",
        "birthDate": "1990-12-10T00:00:00",
        "status": {"employeeStatus": code, "statusType": code, "effectiveDate": "2026-05-01T00:00:00"},
        "departmentPosition": {"employeeType": "RFT", "payGroup": "BW1"},
        "workAddress": {"emailAddress": "ada@example.com"},
    }


@responses.activate
def test_diagnosis_gets_the_employee_now_and_attaches_the_result(setup, company, support_agent):
    # given the provider says the employee is terminated while we say active
    responses.post(f"{PCTY}/IdentityServer/connect/token", json={"access_token": "t", "expires_in": 3600})
    responses.get(
        f"{PCTY}/api/v2/companies/{company.external_id}/employees/1001", json=pcty_detail(company.external_id)
    )
    ticket, employee = setup["ticket"], setup["employee"]
    # when an agent checks the employee now
    result = services.employee_diagnose(employee=employee, ticket=ticket, acting_user=support_agent)
    # then the provider's record sits beside ours, with the difference marked, and no national ID / birth date
    assert result.ok
    data = result.result
    assert data["provider_record"]["status_code"] == "T"
    assert "national_id" not in data["provider_record"] and "birth_date" not in data["provider_record"]
    assert "1990-12-10" not in str(data) and "123-45-6789" not in str(data)
    assert [r["field"] for r in data["comparison"] if r["differs"]] == [
        "status_code",
        "status_effective_date",
        "work_email",
    ]
    # and the context is gathered
    assert data["last_webhook"]["id"] == setup["hook"].pk
    assert data["status_chronology"][0]["code"] == "A"
    assert data["scope"]["in_scope"] is True
    assert data["person"]["records"][0]["linked_because"] == ["same employee ID in the company set"]
    assert data["downstream_actions"][0]["action"] == "provision"
    get_call = ApiCall.objects.get(method="GET")
    assert data["recent_api_calls"][0]["id"] == get_call.pk
    # and the result and the GET it made are the ticket's evidence, with a log line naming the fields only
    items = {e.item for e in ticket.evidence.all()}
    assert result in items and get_call in items
    assert employee in ticket.employees.all()
    line = ticket.log_entries.get(kind=TicketLogEntry.Kind.DIAGNOSTICS).text
    assert "differs from ours on status_code" in line and "Ada" not in line


@responses.activate
def test_a_provider_failure_is_recorded_not_raised(setup, company, support_agent):
    responses.post(f"{PCTY}/IdentityServer/connect/token", json={"access_token": "t", "expires_in": 3600})
    responses.get(
        f"{PCTY}/api/v2/companies/{company.external_id}/employees/1001",
        status=403,
        json=[{"message": "Access denied for host internal-7"}],
    )
    result = services.employee_diagnose(
        employee=setup["employee"], ticket=setup["ticket"], acting_user=support_agent
    )
    assert not result.ok and "could not be asked" in result.error
    # Their text stays in the log; the answer is ours (hardening issue 13).
    assert "internal-7" not in result.error
    assert result.result["our_record"]["employee_id"] == "1001"
    assert DiagnosticResult.objects.count() == 1


def test_an_employee_without_a_connection_is_reported(customer, company, support_agent):
    employee = EmployeeFactory(company=company)
    result = services.employee_diagnose(employee=employee, acting_user=support_agent)
    assert not result.ok and "No connection" in result.error


@responses.activate
def test_diagnose_endpoint_checks_an_employee_of_the_tickets_customer(
    api, setup, company, support_agent, consultant
):
    responses.post(f"{PCTY}/IdentityServer/connect/token", json={"access_token": "t", "expires_in": 3600})
    responses.get(
        f"{PCTY}/api/v2/companies/{company.external_id}/employees/1001",
        json=pcty_detail(company.external_id, code="A"),
    )
    url = f"/api/v1/tickets/{setup['ticket'].pk}/diagnose/"
    assert api(consultant).post(url, {"employee": setup["employee"].pk}, format="json").status_code == 403
    response = api(support_agent).post(url, {"employee": setup["employee"].pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["result"]["provider_record"]["status_code"] == "A"


def test_diagnose_endpoint_refuses_another_customers_employee(api, setup, other_customer, support_agent):
    from tests.companies.factories import CompanySetFactory

    foreign = EmployeeFactory(company=CompanyFactory(company_set=CompanySetFactory(customer=other_customer)))
    response = api(support_agent).post(
        f"/api/v1/tickets/{setup['ticket'].pk}/diagnose/", {"employee": foreign.pk}, format="json"
    )
    assert response.status_code == 400

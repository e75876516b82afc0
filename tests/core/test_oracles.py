"""No existence oracles: another customer's object and an absent one get the same answer.

Findings of the hardening issue (13): a filter naming another customer's object returned an empty 200 but an
absent one a 400; the duplicate-company error named the other customer's company set and its id; ``assign``
named any user; ``diagnose`` answered differently for a foreign and an absent employee.
"""

from __future__ import annotations

import pytest

from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import EmployeeFactory, PersonFactory, TicketFactory

pytestmark = pytest.mark.django_db

ABSENT = 987654


@pytest.fixture
def foreign(other_customer):
    """Objects of Globex, which the consultant of Acme may not see."""
    company_set = CompanySetFactory(customer=other_customer, name="Globex set")
    company = CompanyFactory(company_set=company_set, external_id="555", name="Globex One")
    connection = ConnectionFactory(customer=other_customer)
    person = PersonFactory(customer=other_customer)
    employee = EmployeeFactory(company=company, person=person)
    return {
        "customer": other_customer,
        "company_set": company_set,
        "company": company,
        "connection": connection,
        "person": person,
        "employee": employee,
    }


@pytest.mark.parametrize(
    ("url", "param", "kind"),
    [
        ("/api/v1/connections/", "customer", "customer"),
        ("/api/v1/company-sets/", "customer", "customer"),
        ("/api/v1/sync-runs/", "connection", "connection"),
        ("/api/v1/webhook-events/", "connection", "connection"),
        ("/api/v1/api-calls/", "connection", "connection"),
        ("/api/v1/status-codes/", "company_set", "company_set"),
        ("/api/v1/status-mappings/", "company", "company"),
        ("/api/v1/filter-rules/", "company_set", "company_set"),
        ("/api/v1/persons/", "customer", "customer"),
    ],
)
def test_a_filter_naming_a_foreign_object_answers_like_an_absent_one(
    api, consultant, customer, foreign, url, param, kind
):
    # given a consultant of Acme and an object of Globex of the filtered kind
    client = api(consultant)
    # when the consultant filters by the Globex object and by an id that does not exist
    foreign_answer = client.get(url, {param: foreign[kind].pk})
    absent_answer = client.get(url, {param: ABSENT})
    # then both answers are the same 400
    assert foreign_answer.status_code == absent_answer.status_code == 400
    assert foreign_answer.json() == absent_answer.json()


def test_a_filter_naming_an_own_object_still_filters(api, consultant, customer, foreign):
    # given a connection of the consultant's own customer
    own = ConnectionFactory(customer=customer)
    # when the consultant filters connections by that customer
    response = api(consultant).get("/api/v1/connections/", {"customer": customer.pk})
    # then the connection is listed
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_standard_status_codes_stay_visible_when_filtering_by_own_company_set(api, consultant, company_set):
    # when the consultant filters status codes by an own company set
    response = api(consultant).get("/api/v1/status-codes/", {"company_set": company_set.pk})
    # then it is answered, standard codes included
    assert response.status_code == 200


def test_the_duplicate_company_error_names_no_other_customer_and_no_id(api, consultant, company_set, foreign):
    # given a Globex company whose provider id the consultant reuses
    # when the consultant creates a company with that id in an own set
    response = api(consultant).post(
        "/api/v1/companies/",
        {"company_set": company_set.pk, "external_id": foreign["company"].external_id, "name": "Mine"},
        format="json",
    )
    # then the error says the id is taken, without naming Globex or the other company's id
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == f"Company ID {foreign['company'].external_id} is already used for Paylocity."
    text = str(body)
    assert "Globex" not in text
    assert str(foreign["company"].pk) not in str(body["extra"])


def test_assign_answers_the_same_for_an_absent_user_and_one_who_is_not_an_agent(
    api, support_agent, consultant, customer
):
    # given a ticket of the agent's customer
    ticket = TicketFactory(customer=customer)
    client = api(support_agent)
    # when it is assigned to a consultant, and to a user who does not exist
    not_an_agent = client.post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": consultant.pk}, format="json"
    )
    absent = client.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": ABSENT}, format="json")
    # then both answers are the same 400 and the consultant is not named
    assert not_an_agent.status_code == absent.status_code == 400
    assert not_an_agent.json() == absent.json()
    assert consultant.username not in str(not_an_agent.json())


def test_assign_refuses_an_agent_of_another_customer(api, support_agent, customer, other_customer):
    from apps.users.roles import SUPPORT
    from tests.conftest import _persona

    # given a support agent of Globex and a ticket of Acme
    elsewhere = _persona("globex-agent", SUPPORT, customers=[other_customer])
    ticket = TicketFactory(customer=customer)
    # when the Acme agent assigns the ticket to the Globex agent
    response = api(support_agent).post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": elsewhere.pk}, format="json"
    )
    # then it is refused without naming the other agent
    assert response.status_code == 400
    assert "globex-agent" not in str(response.json())
    # when the Acme agent assigns the ticket to herself, then it is accepted
    ok = api(support_agent).post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": support_agent.pk}, format="json"
    )
    assert ok.status_code == 200


def test_diagnose_answers_the_same_for_a_foreign_and_an_absent_employee(
    api, support_agent, customer, foreign
):
    # given a ticket of Acme and an employee of Globex
    ticket = TicketFactory(customer=customer)
    client = api(support_agent)
    url = f"/api/v1/tickets/{ticket.pk}/diagnose/"
    # when the ticket is diagnosed against the Globex employee and against one who does not exist
    foreign_answer = client.post(url, {"employee": foreign["employee"].pk}, format="json")
    absent_answer = client.post(url, {"employee": ABSENT}, format="json")
    # then both answers are the same 400
    assert foreign_answer.status_code == absent_answer.status_code == 400
    assert foreign_answer.json() == absent_answer.json()

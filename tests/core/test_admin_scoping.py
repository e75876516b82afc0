"""Admin permission parity with the API, and filter sidebars that name only the user's customers' objects.

Findings of the hardening issue (13): "mark reviewed" let support agents clear ``needs_review`` (the API's
``review`` answers them 403); 13 changelists' related-field filters listed every customer's names.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from apps.employees.models import Employee
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import EmployeeFactory, PersonFactory, TicketFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "companies/companyset",
    "companies/company",
    "mappings/statuscode",
    "mappings/statusmapping",
    "mappings/filterrule",
    "employees/employee",
    "employees/person",
    "employees/downstreamaction",
    "employees/changebatch",
    "employees/fileimport",
    "integrations/connection",
    "support/ticket",
    "support/escalation",
]


@pytest.fixture
def two_customers(customer, company_set, company, other_customer):
    """Acme (the consultant's) and Globex (not theirs), each with a set, a company, a connection, a ticket."""
    globex_set = CompanySetFactory(customer=other_customer, name="Globex set")
    globex_company = CompanyFactory(company_set=globex_set, external_id="999", name="Globex One")
    for owner, _owned_set, owned_company in (
        (customer, company_set, company),
        (other_customer, globex_set, globex_company),
    ):
        ConnectionFactory(customer=owner, name=f"{owner.name} connection")
        TicketFactory(customer=owner, title=f"{owner.name} ticket")
        person = PersonFactory(customer=owner)
        EmployeeFactory(company=owned_company, person=person)
    return globex_set, globex_company


def _filter_labels(response) -> list[str]:
    labels = []
    for spec in response.context["cl"].filter_specs:
        for choice in getattr(spec, "lookup_choices", []) or []:
            labels.append(str(choice[1]) if isinstance(choice, tuple | list) else str(choice))
    return labels


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_a_user_limited_to_one_customer_sees_no_other_customers_names_in_the_filters(
    client, consultant, two_customers, changelist
):
    # given a consultant of Acme, and Globex with its own sets, companies, connections and tickets
    client.force_login(consultant)
    # when the consultant opens the changelist
    response = client.get(f"/admin/{changelist}/")
    # then no filter choice and nothing on the page names Globex
    assert response.status_code == 200
    labels = _filter_labels(response)
    assert not [label for label in labels if "Globex" in label]
    assert "Globex" not in response.content.decode()


def test_the_scoped_filters_still_offer_the_users_own_objects(client, consultant, two_customers):
    # given a consultant of Acme with two company sets
    client.force_login(consultant)
    # Acme has two company sets here, so the company-set filter has something to offer.
    CompanySetFactory(customer=consultant.customers.get(), name="Acme second set")
    # when the consultant opens the status codes
    response = client.get("/admin/mappings/statuscode/")
    # then the company-set filter offers both of Acme's sets
    labels = _filter_labels(response)
    assert "Acme second set" in " ".join(labels)
    assert "Acme set" in " ".join(labels)


def test_an_admin_of_every_customer_still_filters_by_any_customer(client, admin_user, two_customers):
    # given an admin of every customer
    client.force_login(admin_user)
    # when the admin opens the companies
    labels = _filter_labels(client.get("/admin/companies/company/"))
    # then the customer filter offers Acme and Globex
    assert "Globex" in labels and "Acme" in labels


# --- actions and custom views ask for what their API twins ask for ----------------------------------------------


def test_a_support_agent_cannot_mark_a_fringe_change_reviewed_in_the_admin(client, support_agent, company):
    # given a fringe change waiting for review and a support agent without change permission
    employee = EmployeeFactory(company=company, needs_review=True)
    client.force_login(support_agent)
    # when the agent marks it reviewed in the admin
    response = client.post(
        "/admin/employees/employee/", {"action": "mark_reviewed", "_selected_action": [employee.pk]}
    )
    # then it still needs review
    assert response.status_code == 200  # the action is not among the agent's choices: the form is shown again
    assert Employee.objects.get(pk=employee.pk).needs_review is True


def test_a_user_with_change_permission_marks_it_reviewed(client, support_agent, company):
    # given a support agent with change permission on employees and a change waiting for review
    support_agent.user_permissions.add(Permission.objects.get(codename="change_employee"))
    employee = EmployeeFactory(company=company, needs_review=True)
    # when the agent marks it reviewed in the admin
    client.force_login(support_agent)
    client.post("/admin/employees/employee/", {"action": "mark_reviewed", "_selected_action": [employee.pk]})
    # then it no longer needs review
    assert Employee.objects.get(pk=employee.pk).needs_review is False


def test_the_admin_sync_action_asks_for_add_syncrun_like_the_api(client, consultant, customer, monkeypatch):
    from apps.integrations.models import SyncRun

    # given a consultant who may view and change connections but not start syncs
    monkeypatch.setattr("apps.integrations.tasks.enqueue_sync_run", lambda run_id: None)
    conn = ConnectionFactory(customer=customer)
    consultant.groups.clear()
    consultant.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_connection", "change_connection"])
    )
    # when the consultant runs the sync action in the admin
    client.force_login(consultant)
    client.post(
        "/admin/integrations/connection/", {"action": "sync_employees", "_selected_action": [conn.pk]}
    )
    # then no sync starts, just as the API refuses it
    assert not SyncRun.objects.exists()
    assert (
        client.post(f"/api/v1/connections/{conn.pk}/sync/", {}, content_type="application/json").status_code
        == 403
    )


def test_the_escalation_page_asks_for_view_ticket_too(client, support_agent, customer):
    # given a support agent who may add escalations but not view tickets
    ticket = TicketFactory(customer=customer)
    support_agent.groups.clear()
    support_agent.user_permissions.add(Permission.objects.get(codename="add_escalation"))
    # when the agent opens a ticket's escalation page, then it is forbidden
    client.force_login(support_agent)
    assert client.get(f"/admin/support/ticket/{ticket.pk}/escalation/").status_code == 403


def test_the_evidence_refresh_asks_for_change_deliverable_like_the_api(client, consultant, customer):
    from tests.implementations.factories import make_project

    # given a consultant who may view and change projects but not deliverables
    project = make_project(customer, template_slug="deliverables-by-phase", name="Acme feed")
    consultant.groups.clear()
    consultant.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_implementationproject", "change_implementationproject"]
        )
    )
    # when the consultant refreshes the evidence on the admin page and through the API
    client.force_login(consultant)
    page = client.post(f"/admin/implementations/implementationproject/{project.pk}/refresh/")
    # then both are forbidden
    assert page.status_code == 403
    api = client.post(f"/api/v1/implementations/{project.pk}/refresh-evidence/")
    assert api.status_code == 403


def test_sandbox_actions_ask_for_change_like_the_sandbox_api(client, consultant):
    from apps.sandbox.models import SandboxCompany
    from tests.sandbox.factories import SandboxCompanyFactory

    # given a sandbox company with seven requests counted, and a consultant who may only view it
    company = SandboxCompanyFactory(request_count=7)
    consultant.groups.clear()
    consultant.user_permissions.add(Permission.objects.get(codename="view_sandboxcompany"))
    # when the consultant resets its counters in the admin
    client.force_login(consultant)
    client.post(
        "/admin/sandbox/sandboxcompany/", {"action": "reset_counters", "_selected_action": [company.pk]}
    )
    # then the count is untouched
    assert SandboxCompany.objects.get(pk=company.pk).request_count == 7

"""A support agent opens an automatic ticket, runs the diagnostics against the sandbox, previews the
escalation and sends it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from apps.core.http import reset_process_state
from apps.employees.models import Employee
from apps.employees.services import employee_records_apply
from apps.integrations.models import ApiCall
from apps.support.models import DiagnosticResult, Escalation, Ticket
from apps.support.services import ticket_raise_automatic
from tests.browser.pw import expect
from tests.companies.factories import CompanyFactory
from tests.employees.factories import record
from tests.integrations.factories import ConnectionFactory
from tests.sandbox.factories import SandboxCompanyFactory, SandboxCredentialFactory, SandboxEmployeeFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: a flush by an earlier transactional test recreates content types with other
    # ids than the serialized copy holds. ``migration_data`` restores what data migrations create instead.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


@pytest.fixture
def sandbox_world(live_server, customer, company_set):
    """Paylocity company 6700 in the sandbox with employee 1001, and the hub's connection to it.

    The hub's per-process HTTP sessions, tokens and breaker views are reset before and after: a kept-alive
    connection to the live server would hold one of its threads (and its database connection) open.
    """
    reset_process_state()
    sandbox = SandboxCompanyFactory(external_id="6700", rate_limit=0)
    credential = SandboxCredentialFactory(
        client_id="browser-client-0001", client_secret="browser-secret", companies=[sandbox]
    )
    SandboxEmployeeFactory(company=sandbox, employee_id="1001", first_name="Grace", last_name="Hopper")
    company = CompanyFactory(company_set=company_set, external_id="6700", name="Acme Clinics")
    connection = ConnectionFactory(
        customer=customer,
        name="Acme Paylocity (sandbox)",
        base_url=f"{live_server.url}/sandbox/paylocity",
        client_id=credential.client_id,
        client_secret="browser-secret",
    )
    connection.companies.add(company)
    today = dt.date.today()
    employee_records_apply(
        company=company,
        records=[
            record(
                "1001",
                "A",
                today - dt.timedelta(days=200),
                company="6700",
                first_name="Grace",
                last_name="Hopper",
            )
        ],
        source="sync",
        today=today,
    )
    yield connection, Employee.objects.get(company=company, employee_id="1001")
    reset_process_state()


def test_an_agent_diagnoses_an_automatic_ticket_and_sends_the_escalation(
    page, login, support_agent, customer, sandbox_world
):
    connection, employee = sandbox_world
    # given a ticket the system opened about the employee
    ticket = ticket_raise_automatic(
        key=f"webhook-mismatch:{employee.pk}",
        category="webhook",
        customer=customer,
        title="Webhook said terminated, the provider says active: 6700/1001",
        expected_result="The hub shows the status the provider has.",
        actual_result="A webhook announced a termination the provider's record does not show.",
        employees=[employee],
        connection=connection,
    )

    # when the agent opens it from the dashboard's support section
    login(support_agent)
    oldest = page.locator("#oldest-tickets")
    expect(oldest.get_by_role("row", name=f"#{ticket.pk}")).to_contain_text("System")
    oldest.get_by_role("link", name=f"#{ticket.pk}").click()
    expect(page.get_by_role("link", name="Timeline: 1001 Grace Hopper")).to_be_visible()

    # and checks the employee with the provider now
    page.get_by_role("link", name="Check an employee now").click()
    page.get_by_role("button", name="Check now").click()
    expect(page.locator(".messagelist")).to_contain_text("Checked with the provider")
    result = DiagnosticResult.objects.get(ticket=ticket)
    assert result.ok, result.error
    assert ApiCall.objects.filter(connection=connection, uri__contains="/employees/1001").exists()

    # and previews the Level 2 escalation, then sends it
    page.goto(f"/admin/support/ticket/{ticket.pk}/change/")
    page.get_by_role("link", name="Preview / edit / send the Level 2 escalation").click()
    body = page.get_by_label("Body:")
    expect(body).to_contain_text("6700")
    expect(body).not_to_contain_text("Grace")  # no personal data in an escalation
    page.get_by_role("button", name="Send to webservices@paylocity.com").click()

    # then the ticket is escalated and the mail is out
    expect(page.locator(".messagelist")).to_contain_text("Escalation sent to webservices@paylocity.com")
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.sent_by == support_agent
    assert Ticket.objects.get(pk=ticket.pk).state == "escalated"
    assert [m.to for m in mail.outbox] == [["webservices@paylocity.com"]]

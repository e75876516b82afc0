"""A support agent edits a Level 2 escalation in the browser: an employee's name is refused with the
message shown, a sentence of their own is sent (issue 14)."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.support.models import Category, Escalation, Ticket
from apps.support.services import ticket_create
from tests.browser.pw import expect
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import EmployeeFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

THANKS = "Thank you for looking into this."


@pytest.fixture
def ticket(customer, company_set):
    """Issue 14's ticket: reported by the customer's HRIS team, on a connection whose client ID holds
    "paylocity", about employee 1001 Grace Hopper."""
    company = CompanyFactory(company_set=company_set, external_id="6700", name="Acme Clinics")
    connection = ConnectionFactory(customer=customer, client_id="sandbox-paylocity-client")
    connection.companies.add(company)
    employee = EmployeeFactory(company=company, employee_id="1001", first_name="Grace", last_name="Hopper")
    return ticket_create(
        customer=customer,
        title="Terminated employee still active in the feed",
        category=Category.FEED_PULL,
        companies=[company],
        employees=[employee],
        connection=connection,
        reporter_name="Customer HRIS team",
        expected_result="The customer's team terminated employee 1001 on 2026-05-15.",
        actual_result="The GET still returns status A.",
    )


def type_at_the_end(page, text: str) -> None:
    body = page.get_by_label("Body:")
    body.click()
    body.press("Control+End")
    body.press_sequentially(text)


def test_an_agent_adds_a_sentence_to_the_escalation_and_sends_it(page, login, support_agent, ticket):
    # given the agent on the ticket's page
    login(support_agent)
    page.goto(f"/admin/support/ticket/{ticket.pk}/change/")
    page.get_by_role("link", name="Preview / edit / send the Level 2 escalation").click()
    body = page.get_by_label("Body:")
    expect(body).to_contain_text("Hello Paylocity support team,")
    expect(body).not_to_contain_text("Grace")
    draft_lines = body.input_value().count("\n")

    # when they add the employee's name, the send is refused, saying what and where, masked
    type_at_the_end(page, "Please compare Grace Hopper's record.")
    page.get_by_role("button", name="Send to webservices@paylocity.com").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "What you added to the escalation contains personal data; remove it and send again"
    )
    findings = page.locator("#escalation-findings")
    expect(findings).to_contain_text(f"Name \u201cG**** H*****\u201d on line {draft_lines + 1}")
    expect(findings).not_to_contain_text("Grace")
    # and their text stays in the box to fix
    assert page.get_by_label("Body:").input_value().endswith("Please compare Grace Hopper's record.")
    assert not Escalation.objects.exists() and mail.outbox == []

    # when they replace it with a sentence of their own and send
    edited = page.get_by_label("Body:").input_value().replace("Please compare Grace Hopper's record.", THANKS)
    page.get_by_label("Body:").fill(edited)
    page.get_by_role("button", name="Send to webservices@paylocity.com").click()

    # then the escalation is sent and recorded with the sentence
    expect(page.locator(".messagelist")).to_contain_text("Escalation sent to webservices@paylocity.com")
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.edited and escalation.sent_by == support_agent
    assert escalation.body.rstrip().endswith(THANKS) and "Grace" not in escalation.body
    assert Ticket.objects.get(pk=ticket.pk).state == "escalated"
    assert [m.body for m in mail.outbox] == [escalation.body]


def test_an_internal_ticket_says_why_it_is_not_escalated(page, login, support_agent, customer):
    ticket = ticket_create(
        customer=customer, title="Status code S needs a mapping", category=Category.MAPPING_NEEDED
    )
    login(support_agent)
    page.goto(f"/admin/support/ticket/{ticket.pk}/change/")
    page.get_by_role("link", name="Why this ticket is not escalated").click()
    expect(page.locator("#escalation-refusal")).to_contain_text("A custom status code needs a mapping")
    expect(page.get_by_role("button", name="Send to webservices@paylocity.com")).to_have_count(0)

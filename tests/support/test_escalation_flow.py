"""Editing and sending an escalation through the service, the API and the admin, as issue 14 found them:
a team as reporter, the demo's client ID, a sentence added; and tickets that are not for the provider."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command

from apps.core.errors import ApplicationError
from apps.support import services
from apps.support.escalation import escalation_body_check, escalation_draft_build
from apps.support.models import Category, Escalation, Level, State, Ticket
from apps.support.selectors import escalation_draft_for, escalation_input_for, escalation_refusal_for
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import ApiCallFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

THANKS = "Thank you for looking into this."


@pytest.fixture
def ticket(customer, company, support_agent):
    """Issue 14's ticket: reported by "Customer HRIS team", on a connection whose client ID holds
    "paylocity", about employee Grace Hopper."""
    connection = ConnectionFactory(customer=customer, client_id="sandbox-paylocity-client")
    connection.companies.add(company)
    employee = EmployeeFactory(company=company, employee_id="1001", first_name="Grace", last_name="Hopper")
    ticket = services.ticket_create(
        customer=customer,
        title="Terminated employee still active in the feed",
        category=Category.FEED_PULL,
        companies=[company],
        employees=[employee],
        connection=connection,
        reporter_name="Customer HRIS team",
        reporter_email="hris@acme.example",
        expected_result="The customer's team terminated the employee on 2026-05-15.",
        actual_result=f"The GET for {customer.name} still returns status A.",
        acting_user=support_agent,
    )
    services.ticket_log_add(ticket=ticket, text="Our team compared the GET.", acting_user=support_agent)
    services.ticket_evidence_attach(
        ticket=ticket,
        item=ApiCallFactory(
            connection=connection, uri="https://api.paylocity.com/api/v2/companies/123/employees/1001"
        ),
    )
    return ticket


@pytest.fixture
def internal_ticket(customer, support_agent):
    return services.ticket_raise_automatic(
        key="mapping-needed:1:S",
        category=Category.MAPPING_NEEDED,
        customer=customer,
        title="Status code S needs a mapping",
        actual_result="Custom code S is unmapped.",
    )


def add_line(body: str, sentence: str) -> str:
    lines = body.split("\n")
    lines.insert(2, sentence)
    return "\n".join(lines)


def test_an_agent_adds_a_sentence_and_sends_it(ticket, support_agent):
    body = add_line(escalation_draft_for(ticket).body, THANKS)
    escalation = services.escalation_send(ticket=ticket, acting_user=support_agent, body=body)
    assert escalation.edited and THANKS in escalation.body and mail.outbox[0].body == escalation.body
    ticket.refresh_from_db()
    assert (ticket.level, ticket.state) == (Level.LEVEL_2, State.ESCALATED)


def test_the_reporting_team_s_words_stay_usable_one_by_one(ticket, support_agent):
    body = add_line(escalation_draft_for(ticket).body, "Customer support re-ran the HRIS export.")
    assert services.escalation_send(ticket=ticket, acting_user=support_agent, body=body).edited
    # but the team's name whole is the end user who reported it (seed 000): refused
    ticket.state = State.TRIAGING
    ticket.save(update_fields=["state"])
    body = add_line(escalation_draft_for(ticket).body, "Customer HRIS team reported it.")
    with pytest.raises(ApplicationError, match=re.escape("name “C******* H*** t***” on line 3")):
        services.escalation_send(ticket=ticket, acting_user=support_agent, body=body)


def test_an_added_employee_name_is_refused_masked_with_its_line(ticket, support_agent):
    body = add_line(escalation_draft_for(ticket).body, "Please look at Grace Hopper's record.")
    with pytest.raises(ApplicationError) as refused:
        services.escalation_send(ticket=ticket, acting_user=support_agent, body=body)
    assert refused.value.extra["findings"] == [
        {
            "kind": "name",
            "text": "G**** H*****",
            "line": 3,
            "excerpt": "Please look at G**** H*****'s record.",
        }
    ]
    assert "Grace" not in refused.value.message
    assert "name \u201cG**** H*****\u201d on line 3" in refused.value.message
    assert not Escalation.objects.exists() and mail.outbox == []


def test_the_draft_names_neither_the_customer_nor_the_team_that_reported(ticket, customer):
    body = escalation_draft_for(ticket).body
    assert customer.name not in body and "HRIS" not in body and "Grace" not in body
    assert "The GET for [customer] still returns status A." in body
    assert "The customer's team terminated the employee on 2026-05-15." in body  # their words, unharmed
    assert "Hello Paylocity support team," in body  # the provider's name, though the client ID holds it


def test_an_internal_only_ticket_is_refused_with_the_reason(internal_ticket, support_agent):
    with pytest.raises(ApplicationError, match="not escalated to the provider: A custom status code needs"):
        services.escalation_send(ticket=internal_ticket, acting_user=support_agent)
    internal_ticket.refresh_from_db()
    assert internal_ticket.level == Level.LEVEL_1 and not Escalation.objects.exists()


def test_the_api_says_why_an_internal_only_ticket_has_no_draft(api, support_agent, internal_ticket):
    client = api(support_agent)
    for url in ("escalation/", "escalation/send/"):
        response = client.post(f"/api/v1/tickets/{internal_ticket.pk}/{url}", {}, format="json")
        assert response.status_code == 400
        assert response.json()["message"].startswith("This ticket is not escalated to the provider: ")
        assert response.json()["extra"] == {"field": "category"}


def test_the_api_returns_the_findings_of_an_edit(api, support_agent, ticket):
    client = api(support_agent)
    draft = client.post(f"/api/v1/tickets/{ticket.pk}/escalation/").json()
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/escalation/send/",
        {"body": draft["body"] + "\nHopper was born 1980-04-02."},
        format="json",
    )
    assert response.status_code == 400
    findings = response.json()["extra"]["findings"]
    assert [(f["kind"], f["text"]) for f in findings] == [
        ("name", "H*****"),
        ("date of birth", "b*** 1***-0*-0*"),
    ]
    sent = client.post(
        f"/api/v1/tickets/{ticket.pk}/escalation/send/",
        {"body": draft["body"] + "\n" + THANKS},
        format="json",
    )
    assert sent.status_code == 201 and sent.json()["body"].endswith(THANKS)


def test_the_admin_page_explains_instead_of_offering_to_send(client, support_agent, internal_ticket):
    client.force_login(support_agent)
    page = client.get(f"/admin/support/ticket/{internal_ticket.pk}/escalation/").content.decode()
    assert "This ticket is not escalated to the provider" in page and "A custom status code needs" in page
    assert "Send to" not in page and "id_body" not in page
    # and a POST sends nothing
    client.post(f"/admin/support/ticket/{internal_ticket.pk}/escalation/", {"body": "x"})
    assert not Escalation.objects.exists()
    ticket_page = client.get(f"/admin/support/ticket/{internal_ticket.pk}/change/").content.decode()
    assert "Why this ticket is not escalated" in ticket_page
    assert "Preview / edit / send the Level 2 escalation" not in ticket_page


def test_the_admin_page_lists_the_findings_and_keeps_the_edit(client, support_agent, ticket):
    client.force_login(support_agent)
    url = f"/admin/support/ticket/{ticket.pk}/escalation/"
    body = add_line(client.get(url).context["draft"].body, "Grace asked twice.")
    page = client.post(url, {"body": body}).content.decode()
    assert "What you added to the escalation contains personal data" in page
    assert "Name &ldquo;G****&rdquo; on line 3: &ldquo;G**** asked twice.&rdquo;" in page
    assert "Grace asked twice." in page  # the agent's text stays in the box to fix
    assert not Escalation.objects.exists()


def test_every_demo_ticket_takes_a_thank_you_or_says_why_not(support_agent):
    # given the demo's tickets (issue 14 tried them: reporter "Customer HRIS team", client IDs holding
    # "paylocity", an unmapped code in a company set named after the customer)
    call_command("seed_demo", stdout=io.StringIO())
    tickets = list(Ticket.objects.select_related("customer"))
    checked = [t for t in tickets if not escalation_refusal_for(t)]
    assert "Customer HRIS team" in {t.reporter_name for t in checked}
    for ticket in checked:
        # when the agent adds a sentence to the draft
        data = escalation_input_for(ticket)
        draft = escalation_draft_build(data)
        # then it reads without the customer's name and the sentence passes
        assert ticket.customer.name not in draft.body, ticket.title
        assert escalation_body_check(add_line(draft.body, THANKS), data, draft) == [], ticket.title

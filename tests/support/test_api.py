"""Tickets and knowledge-articles endpoints: permission table, filters, actions and query counts."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.support import services
from apps.support.models import Category, KnowledgeArticle, Level, State
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import ApiCallFactory, EmployeeFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, company):
    conn = ConnectionFactory(customer=customer, client_id="ABCDEFGHIJKLMNOP")
    conn.companies.add(company)
    ticket = services.ticket_create(
        customer=customer,
        title="Status wrong",
        category=Category.FEED_PULL,
        companies=[company],
        connection=conn,
        expected_result="T",
        actual_result="A",
    )
    services.ticket_evidence_attach(ticket=ticket, item=ApiCallFactory(connection=conn))
    return ticket


# persona -> (list/read, create, escalation draft, escalation send, state change)
TABLE = {
    "anonymous": (401, 401, 401, 401, 401),
    "no_role_user": (403, 403, 403, 403, 403),
    "consultant": (200, 403, 403, 403, 403),
    "support_agent": (200, 201, 200, 201, 200),
    "admin_user": (200, 201, 200, 201, 200),
}


@pytest.mark.parametrize("persona", list(TABLE))
def test_ticket_permission_table(request, api, ticket, customer, persona):
    # given a persona
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = api(user)
    read, create, draft, send, state = TABLE[persona]
    # when it reads, creates, drafts, sends and moves a ticket
    listing = client.get("/api/v1/tickets/")
    detail = client.get(f"/api/v1/tickets/{ticket.pk}/")
    created = client.post("/api/v1/tickets/", {"customer": customer.pk, "title": "New"}, format="json")
    drafted = client.post(f"/api/v1/tickets/{ticket.pk}/escalation/")
    moved = client.post(f"/api/v1/tickets/{ticket.pk}/state/", {"state": "triaging"}, format="json")
    sent = client.post(f"/api/v1/tickets/{ticket.pk}/escalation/send/", {}, format="json")
    # then each answers as the table says
    assert (listing.status_code, detail.status_code) == (read, read)
    assert created.status_code == create, created.content
    assert drafted.status_code == draft
    assert moved.status_code == state
    assert sent.status_code == send, sent.content
    if read == 200:
        assert listing.json()["count"] >= 1


def test_outsider_sees_none_of_the_customers_tickets(api, outsider, ticket, customer):
    client = api(outsider)
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/api/v1/tickets/{ticket.pk}/escalation/").status_code in (403, 404)
    created = client.post("/api/v1/tickets/", {"customer": customer.pk, "title": "x"}, format="json")
    assert created.status_code == 403


def test_support_agent_cannot_open_a_ticket_for_an_invisible_customer(api, support_agent, other_customer):
    response = api(support_agent).post(
        "/api/v1/tickets/", {"customer": other_customer.pk, "title": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "customer" in response.json()["extra"]["fields"]


def test_ticket_shows_log_evidence_checklist_api_calls_and_articles(api, support_agent, ticket):
    body = api(support_agent).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert body["troubleshooting"][0]["kind"] == "opened"
    assert body["api_calls"] == [int(ticket.evidence.get().object_id)]
    assert body["evidence"][0]["type"] == "integrations.apicall"
    assert len(body["checklist"]) == len(
        KnowledgeArticle.objects.get(category="feed_pull", primary=True).checklist
    )
    assert body["knowledge_articles"] == list(
        KnowledgeArticle.objects.filter(category="feed_pull").values_list("pk", flat=True)
    )


def test_escalation_draft_returns_to_subject_and_body(api, support_agent, ticket):
    response = api(support_agent).post(f"/api/v1/tickets/{ticket.pk}/escalation/")
    assert response.status_code == 200
    draft = response.json()
    assert set(draft) == {"to", "subject", "body"}
    assert draft["subject"] == "PCTY x Payroll Integration Hub -- API Concerns"
    assert "ABCDEFG" in draft["body"] and "HIJKLMN" not in draft["body"]


def test_escalation_send_with_pii_is_a_400_naming_it(api, support_agent, ticket):
    client = api(support_agent)
    draft = client.post(f"/api/v1/tickets/{ticket.pk}/escalation/").json()
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/escalation/send/",
        {"body": draft["body"] + "\nSSN 123-45-6789, mail jo@example.com"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "SSN-like number" in body["message"] and "email address" in body["message"]
    assert {f["kind"] for f in body["extra"]["findings"]} == {"SSN-like number", "email address"}
    assert mail.outbox == []


def test_escalation_send_moves_the_ticket_to_level_2(api, support_agent, ticket):
    response = api(support_agent).post(f"/api/v1/tickets/{ticket.pk}/escalation/send/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["sent_by"] == str(support_agent)
    ticket.refresh_from_db()
    assert (ticket.level, ticket.state) == (Level.LEVEL_2, State.ESCALATED)
    assert len(mail.outbox) == 1


def test_log_checklist_assign_and_evidence_actions(api, support_agent, ticket, customer):
    client = api(support_agent)
    logged = client.post(
        f"/api/v1/tickets/{ticket.pk}/log/",
        {"text": "Customer re-ran payroll", "customer_troubleshooting": True},
        format="json",
    )
    assert logged.status_code == 201
    assert logged.json()["troubleshooting"][-1]["customer_troubleshooting"] is True
    item = ticket.checklist_items.first()
    ticked = client.post(f"/api/v1/tickets/{ticket.pk}/checklist/{item.pk}/", {"done": True}, format="json")
    assert ticked.status_code == 200 and ticked.json()["checklist"][0]["done"] is True
    assigned = client.post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": support_agent.pk}, format="json"
    )
    assert assigned.json()["assignee"] == support_agent.pk
    call = ApiCallFactory(connection=ticket.connection)
    attached = client.post(
        f"/api/v1/tickets/{ticket.pk}/evidence/",
        {"type": "integrations.apicall", "id": call.pk},
        format="json",
    )
    assert attached.status_code == 201 and call.pk in attached.json()["api_calls"]


def test_evidence_of_another_customer_is_refused(api, support_agent, ticket, other_customer):
    foreign = ApiCallFactory(connection=ConnectionFactory(customer=other_customer))
    response = api(support_agent).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/",
        {"type": "integrations.apicall", "id": foreign.pk},
        format="json",
    )
    assert response.status_code == 400


def test_patch_updates_fields_and_employees(api, support_agent, ticket, company):
    employee = EmployeeFactory(company=company)
    response = api(support_agent).patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"title": "Better title", "employees": [employee.pk], "category": "webhook"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["employees"] == [employee.pk] and response.json()["category"] == "webhook"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=webhook", {"hook"}),
        ("state=triaging", {"triaged"}),
        ("level=2", {"escalated"}),
        ("origin=automatic", {"auto"}),
    ],
)
def test_ticket_filters(api, support_agent, customer, other_customer, admin_user, query, expected):
    TicketFactory(customer=customer, title="hook", category="webhook")
    TicketFactory(customer=customer, title="triaged", state="triaging")
    TicketFactory(customer=customer, title="escalated", level=2, state="escalated")
    TicketFactory(customer=customer, title="auto", origin="automatic", automatic_key="k")
    rows = api(support_agent).get(f"/api/v1/tickets/?{query}").json()["results"]
    assert {r["title"] for r in rows} == expected


def test_ticket_filter_by_customer(api, admin_user, customer, other_customer):
    TicketFactory(customer=customer, title="mine")
    TicketFactory(customer=other_customer, title="theirs")
    rows = api(admin_user).get(f"/api/v1/tickets/?customer={other_customer.pk}").json()["results"]
    assert [r["title"] for r in rows] == ["theirs"]


def test_ticket_list_is_oldest_first_with_flat_query_count(
    api, support_agent, customer, company, django_assert_max_num_queries
):
    # given 30 tickets, each with companies, an employee, log entries, evidence and a checklist
    conn = ConnectionFactory(customer=customer)
    for i in range(30):
        t = services.ticket_create(
            customer=customer,
            title=f"t{i}",
            category=Category.WEBHOOK,
            companies=[company],
            employees=[EmployeeFactory(company=company)],
        )
        services.ticket_log_add(ticket=t, text="note")
        services.ticket_evidence_attach(ticket=t, item=ApiCallFactory(connection=conn))
    client = api(support_agent)
    # then the list takes a fixed number of queries
    with django_assert_max_num_queries(14):
        body = client.get("/api/v1/tickets/?page_size=100").json()
    assert body["count"] == 30
    assert [r["title"] for r in body["results"]][:2] == ["t0", "t1"]


# --- knowledge articles --------------------------------------------------------------------------------

KB_TABLE = {
    "anonymous": (401, 401),
    "no_role_user": (403, 403),
    "consultant": (200, 403),
    "support_agent": (200, 201),
    "admin_user": (200, 201),
}


@pytest.mark.parametrize("persona", list(KB_TABLE))
def test_knowledge_article_permission_table(request, api, persona):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = api(user)
    read, create = KB_TABLE[persona]
    assert client.get("/api/v1/knowledge-articles/").status_code == read
    created = client.post(
        "/api/v1/knowledge-articles/",
        {"category": "other", "title": "T", "body": "B", "checklist": ["a"]},
        format="json",
    )
    assert created.status_code == create


def test_every_level_1_category_has_a_seeded_article_with_a_checklist(api, consultant):
    rows = api(consultant).get("/api/v1/knowledge-articles/?primary=true&page_size=50").json()["results"]
    assert {r["category"] for r in rows} == set(Category.values)
    assert all(len(r["checklist"]) >= 3 for r in rows)


def test_knowledge_search_and_category_filter(api, consultant):
    client = api(consultant)
    found = client.get("/api/v1/knowledge-articles/?search=coalesc").json()["results"]
    assert {r["category"] for r in found} >= {"webhook"}
    only = client.get("/api/v1/knowledge-articles/?category=fair_use").json()["results"]
    assert {r["category"] for r in only} == {"fair_use"}


def test_knowledge_list_query_count_is_flat(api, consultant, django_assert_max_num_queries):
    client = api(consultant)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/knowledge-articles/").json()
    assert body["count"] == KnowledgeArticle.objects.count()


def test_an_employee_named_in_the_text_but_not_linked_is_redacted_from_the_draft(
    api, support_agent, ticket, company
):
    # given two employees of the customer, neither linked to the ticket, one named in the ticket's texts,
    # and another customer's employee with the same name pattern
    EmployeeFactory(company=company, first_name="Grace", last_name="Hopper")
    EmployeeFactory(company=company, first_name="Mary Ann", last_name="Evans")
    ticket.actual_result = "Grace Hopper was terminated but still shows as active; HOPPER, GRACE too."
    ticket.save()
    services.ticket_log_add(ticket=ticket, text="Checked with Mary Ann Evans' manager.")
    # when the Level 2 draft is built
    draft = api(support_agent).post(f"/api/v1/tickets/{ticket.pk}/escalation/").json()
    # then no form of their names leaves, and the rest of the text does
    for word in ("Grace", "Hopper", "HOPPER", "Mary Ann", "Evans"):
        assert word not in draft["body"]
    assert "was terminated but still shows as active" in draft["body"]


def test_an_edited_body_naming_an_unlinked_employee_is_refused(api, support_agent, ticket, company):
    EmployeeFactory(company=company, first_name="Grace", last_name="Hopper")
    client = api(support_agent)
    draft = client.post(f"/api/v1/tickets/{ticket.pk}/escalation/").json()
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/escalation/send/",
        {"body": draft["body"] + "\nSee Grace Hopper's record."},
        format="json",
    )
    assert response.status_code == 400
    assert {f["kind"] for f in response.json()["extra"]["findings"]} == {"name"}
    assert mail.outbox == []


def test_another_customers_employee_names_do_not_count(customer, other_customer):
    from apps.support.selectors import mentioned_employee_names
    from tests.companies.factories import CompanyFactory, CompanySetFactory

    mine = CompanyFactory(company_set=CompanySetFactory(customer=customer))
    theirs = CompanyFactory(company_set=CompanySetFactory(customer=other_customer))
    EmployeeFactory(company=mine, first_name="Grace", last_name="Hopper")
    EmployeeFactory(company=theirs, first_name="Alan", last_name="Turing")
    text = "grace hopper and Alan Turing; Grace alone"
    assert mentioned_employee_names(customer.pk, [text]) == ["Grace Hopper"]

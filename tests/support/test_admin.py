"""Admin: the triage queue, the ticket page, escalation preview / edit / send, diagnostics, knowledge base."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from apps.employees.models import StatusEvent
from apps.integrations.models import SyncRun
from apps.mappings.models import StatusCode
from apps.support import services
from apps.support.diagnostics import compare_records, our_record
from apps.support.models import Category, DiagnosticResult, Escalation, KnowledgeArticle, State, Ticket
from tests.integrations.factories import ConnectionFactory, SyncRunFactory
from tests.support.factories import ApiCallFactory, EmployeeFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, company):
    conn = ConnectionFactory(customer=customer)
    conn.companies.add(company)
    employee = EmployeeFactory(company=company, first_name="Zelda", last_name="Quartermaine")
    ticket = services.ticket_create(
        customer=customer,
        title="Hook not applied",
        category=Category.WEBHOOK,
        companies=[company],
        employees=[employee],
        connection=conn,
        expected_result="Terminated",
        actual_result="Still active for Zelda",
    )
    services.ticket_evidence_attach(ticket=ticket, item=ApiCallFactory(connection=conn))
    return ticket


def test_triage_queue_shows_open_tickets_oldest_first(client, support_agent, customer):
    now = timezone.now()
    TicketFactory(customer=customer, title="newer", opened_at=now - dt.timedelta(hours=1))
    TicketFactory(customer=customer, title="older", opened_at=now - dt.timedelta(days=5))
    TicketFactory(customer=customer, title="done", state=State.RESOLVED)
    client.force_login(support_agent)
    page = client.get("/admin/support/ticket/")
    assert page.status_code == 200
    titles = [t.title for t in page.context["cl"].result_list]
    assert titles == ["older", "newer"]
    # the age buckets filter
    aged = client.get("/admin/support/ticket/?age=7d")
    assert [t.title for t in aged.context["cl"].result_list] == ["older"]
    everything = client.get("/admin/support/ticket/?queue=all")
    assert len(everything.context["cl"].result_list) == 3


def test_triage_queue_filters_by_category_origin_and_customer(client, admin_user, customer, other_customer):
    TicketFactory(customer=customer, title="a", category="fair_use", origin="automatic", automatic_key="x")
    TicketFactory(customer=other_customer, title="b", category="fair_use")
    client.force_login(admin_user)
    page = client.get(
        f"/admin/support/ticket/?category=fair_use&origin=automatic&customer__id__exact={customer.pk}"
    )
    assert [t.title for t in page.context["cl"].result_list] == ["a"]


def test_triage_queue_query_count_is_flat(client, support_agent, customer, django_assert_max_num_queries):
    for i in range(30):
        TicketFactory(customer=customer, title=f"t{i}", assignee=support_agent)
    client.force_login(support_agent)
    with django_assert_max_num_queries(20):
        page = client.get("/admin/support/ticket/")
    assert page.context["cl"].result_count == 30


def test_outsider_sees_none_of_the_customers_tickets_in_admin(client, outsider, ticket):
    client.force_login(outsider)
    page = client.get("/admin/support/ticket/?queue=all")
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    assert client.get(f"/admin/support/ticket/{ticket.pk}/change/").status_code in (302, 404)


def test_ticket_page_shows_evidence_links_log_checklist_and_tools(client, support_agent, ticket):
    client.force_login(support_agent)
    page = client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode().lower()
    call = ticket.evidence.get().item
    assert f"/admin/integrations/apicall/{call.pk}/change/" in html
    assert "troubleshooting log" in html and "ticket opened." in html
    assert "checklist (from the category" in html
    assert f"/admin/support/ticket/{ticket.pk}/escalation/" in html
    assert "webhooks: which ones we act on" in html  # the category's article is linked


def test_agent_adds_a_note_and_ticks_a_step_from_the_ticket_page(client, support_agent, ticket):
    client.force_login(support_agent)
    page = client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    data = _form_data(page)
    item = ticket.checklist_items.first()
    # tick the first checklist step and write a note in the "add to the log" row
    for key, value in list(data.items()):
        if key.endswith("-id") and value == str(item.pk):
            data[key.replace("-id", "-done")] = "on"
    add_prefix = next(
        k[: -len("-TOTAL_FORMS")]
        for k in data
        if k.endswith("-TOTAL_FORMS")
        and data[k] == "1"
        and f"{k[: -len('-TOTAL_FORMS')]}-0-text" in page.content.decode()
    )
    data[f"{add_prefix}-0-text"] = "Replayed the webhook."
    response = client.post(f"/admin/support/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    item.refresh_from_db()
    assert item.done and item.done_by == support_agent
    assert ticket.log_entries.filter(text="Replayed the webhook.", author=support_agent).exists()


def _form_data(page) -> dict[str, str]:
    """The values a browser would submit for the admin change form (inputs, selects, textareas)."""
    html = page.content.decode()
    form = html[html.index('id="ticket_form"') :]
    data: dict[str, str] = {}
    for tag in re.finditer(r"<input[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind in ("submit", "button"):
            continue
        if kind == "checkbox":
            if "checked" in tag.group(0):
                data[name] = "on"
            continue
        data[name] = attrs.get("value", "")
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[match.group(1)] = match.group(2).strip()
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', match.group(2))
        if selected:
            data[match.group(1)] = selected[0]
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_escalation_preview_edit_and_send(client, support_agent, ticket):
    client.force_login(support_agent)
    url = f"/admin/support/ticket/{ticket.pk}/escalation/"
    preview = client.get(url)
    assert preview.status_code == 200
    body = preview.context["draft"].body
    assert (
        "Zelda" not in body and "PCTY x Payroll Integration Hub -- API Concerns" in preview.content.decode()
    )
    # an edit with a phone number is refused, and the edited text is kept on the page
    refused = client.post(url, {"body": body + "\nphone 555-123-4567"})
    assert refused.status_code == 200 and mail.outbox == []
    assert "phone number" in refused.content.decode()
    assert "phone 555-123-4567" in refused.content.decode()
    # a clean edit is sent and recorded
    sent = client.post(url, {"body": body + "\nThank you."})
    assert sent.status_code == 302
    escalation = Escalation.objects.get()
    assert (
        escalation.edited and escalation.sent_by == support_agent and escalation.body.endswith("Thank you.")
    )
    ticket.refresh_from_db()
    assert ticket.state == State.ESCALATED


def test_consultant_can_read_a_ticket_but_not_escalate(client, consultant, ticket):
    client.force_login(consultant)
    assert client.get(f"/admin/support/ticket/{ticket.pk}/change/").status_code == 200
    assert client.get(f"/admin/support/ticket/{ticket.pk}/escalation/").status_code == 403
    assert client.get(f"/admin/support/ticket/{ticket.pk}/diagnose/").status_code == 403


def test_diagnose_page_lists_the_linked_employees(client, support_agent, ticket):
    client.force_login(support_agent)
    page = client.get(f"/admin/support/ticket/{ticket.pk}/diagnose/")
    assert page.status_code == 200
    assert [e.pk for e in page.context["linked"]] == list(ticket.employees.values_list("pk", flat=True))
    found = client.get(f"/admin/support/ticket/{ticket.pk}/diagnose/?q=Quarter")
    assert len(found.context["found"]) == 1


def test_admin_actions_move_tickets_through_services(client, support_agent, customer):
    t = TicketFactory(customer=customer)
    client.force_login(support_agent)
    client.post(
        "/admin/support/ticket/", {"action": "start_triage", "_selected_action": [t.pk], "queue": "open"}
    )
    client.post("/admin/support/ticket/", {"action": "assign_to_me", "_selected_action": [t.pk]})
    t.refresh_from_db()
    assert t.state == State.TRIAGING and t.assignee == support_agent
    assert t.log_entries.count() == 2


def test_agent_opens_a_ticket_in_admin(client, support_agent, customer):
    client.force_login(support_agent)
    response = client.post(
        "/admin/support/ticket/add/",
        {"title": "From admin", "customer": customer.pk, "category": "fair_use", "priority": "high"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(title="From admin")
    assert ticket.checklist_items.count() > 0 and ticket.log_entries.get().author == support_agent


def test_knowledge_base_is_searchable_and_editable_in_admin(client, support_agent):
    client.force_login(support_agent)
    page = client.get("/admin/support/knowledgearticle/?q=grace+window")
    assert [a.category for a in page.context["cl"].result_list] == ["multiple_companies"]
    response = client.post(
        "/admin/support/knowledgearticle/add/",
        {
            "category": "other",
            "title": "Our new article",
            "body": "b",
            "checklist": "one\n\ntwo",
            "published": "on",
        },
    )
    assert response.status_code == 302

    assert KnowledgeArticle.objects.get(title="Our new article").checklist == ["one", "two"]


def test_support_settings_open_on_their_single_row(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.get("/admin/support/supportsettings/")
    assert response.status_code == 302 and response.url.endswith("/change/")
    assert client.get(response.url).status_code == 200


# --- the ticket page: employees beside their diagnostics, the fix link, evidence picker -----------------


def _diagnosis(ticket, employee, *, provider_code="T", at=None):
    ours = our_record(employee)
    provider = {**ours, "status_code": provider_code}
    return DiagnosticResult.objects.create(
        ticket=ticket,
        employee=employee,
        company=employee.company,
        employee_external_id=employee.employee_id,
        ok=True,
        result={
            "provider_record": provider,
            "our_record": ours,
            "comparison": compare_records(provider, ours),
            "last_webhook": {"event_type": "employee.terminated", "state": "processed", "received_at": at},
            "status_chronology": [],
            "recent_api_calls": [{"at": at, "method": "GET", "uri": "/x", "status_code": 200, "error": ""}],
        },
    )


def test_ticket_page_shows_each_employee_timeline_beside_the_diagnosis_with_a_verdict(
    client, support_agent, ticket, django_assert_max_num_queries
):
    employee = ticket.employees.get()
    StatusEvent.objects.create(
        employee=employee,
        code="A",
        effective_date=dt.date(2026, 1, 5),
        recorded_at=timezone.now(),
        source="sync",
    )
    _diagnosis(ticket, employee, provider_code="T")
    client.force_login(support_agent)
    with django_assert_max_num_queries(60):
        page = client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    html = page.content.decode()
    panel = html[html.index('class="hub-panel"') :]
    # the mini timeline and the diagnosis side by side, the differing row highlighted, one verdict line
    assert "2026-01-05" in panel and "hub-panel-diagnosis" in panel
    assert (
        '<tr class="hub-differs"><td>status_code <strong>differs</strong></td><td>T</td><td>A</td></tr>'
        in panel
    )
    assert "Verdict:</strong> The hub is behind the provider on the status (A here, T there)" in panel


def test_diagnostics_show_times_to_the_second(client, support_agent, ticket):
    result = _diagnosis(ticket, ticket.employees.get(), at="2026-06-01T12:00:05.123456+00:00")
    client.force_login(support_agent)
    html = client.get(f"/admin/support/diagnosticresult/{result.pk}/change/").content.decode()
    assert "2026-06-01 12:00:05 UTC" in html and ".123456" not in html
    assert "Verdict:" in html


def test_a_mapping_needed_ticket_links_to_the_map_page_and_the_map_page_comes_back(
    client, admin_user, customer, company_set
):
    code = StatusCode.objects.create(company_set=company_set, code="S", description="seen in a feed")
    ticket = services.ticket_raise_automatic(
        key=f"mapping-needed:{company_set.pk}:S", category="mapping_needed", customer=customer, title="t"
    )
    client.force_login(admin_user)
    html = client.get(f"/admin/support/ticket/{ticket.pk}/change/").content.decode()
    link = f"/admin/mappings/statuscode/{code.pk}/map/?next=%2Fadmin%2Fsupport%2Fticket%2F{ticket.pk}%2Fchange%2F"
    assert f'href="{link}"' in html.replace("&amp;", "&")
    saved = client.post(link, {"status_type": "leave", "save": "1"})
    assert saved.status_code == 302 and saved.url == f"/admin/support/ticket/{ticket.pk}/change/"
    # an off-site next is ignored
    elsewhere = client.post(
        f"/admin/mappings/statuscode/{code.pk}/map/?next=https://evil.example/",
        {"status_type": "leave", "save": "1"},
    )
    assert elsewhere.url == "/admin/mappings/statuscode/"


def test_evidence_is_picked_from_the_customers_records(client, support_agent, ticket, other_customer):
    mine = SyncRunFactory(connection=ticket.connection)
    theirs = SyncRunFactory(connection=ConnectionFactory(customer=other_customer))
    value = f"{ContentType.objects.get_for_model(SyncRun).pk}:{mine.pk}"
    client.force_login(support_agent)
    page = client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    html = page.content.decode()
    assert f'<option value="{value}">' in html
    assert (
        f':{theirs.pk}">#{theirs.pk} '
        not in html.split('<optgroup label="Sync runs">')[1].split("</optgroup>")[0]
    )
    data = _form_data(page)
    prefix = re.search(r'name="([^"]+)-0-record"', html).group(1)
    data[f"{prefix}-0-record"] = value
    data[f"{prefix}-0-note"] = "the failing run"
    response = client.post(f"/admin/support/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert mine in {e.item for e in ticket.evidence.all()}
    assert (
        ticket.evidence.get(object_id=str(mine.pk), content_type__model="syncrun").note == "the failing run"
    )


def test_a_knowledge_article_opens_to_be_read_and_edits_behind_a_button(client, support_agent, consultant):
    article = KnowledgeArticle.objects.filter(published=True).first()
    url = f"/admin/support/knowledgearticle/{article.pk}/change/"
    client.force_login(support_agent)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "<form" not in html.split('id="content-main"')[1]
    assert article.checklist[0] in html and f'href="{url}?edit=1"' in html
    assert 'name="title"' in client.get(f"{url}?edit=1").content.decode()
    # a consultant may only read: no edit button
    client.force_login(consultant)
    read_only = client.get(url)
    assert read_only.status_code == 200 and article.title in read_only.content.decode()
    assert "?edit=1" not in read_only.content.decode()

"""Support desk services: tickets, automatic tickets (dedup, re-open, auto-resolve) and escalations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.employees import hooks
from apps.employees.models import StatusEvent
from apps.support import services
from apps.support.models import (
    Category,
    Escalation,
    KnowledgeArticle,
    Level,
    Origin,
    State,
    Ticket,
    TicketEvidence,
    TicketLogEntry,
)
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import (
    ApiCallFactory,
    EmployeeFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def raise_problem(customer, key="problem:1", now=NOW, **kwargs):
    return services.ticket_raise_automatic(
        key=key,
        category=kwargs.pop("category", Category.CONNECTION),
        customer=customer,
        title=kwargs.pop("title", "Connection fails"),
        actual_result=kwargs.pop("actual_result", "401"),
        now=now,
        **kwargs,
    )


# --- agent tickets -------------------------------------------------------------------------------------


def test_new_ticket_copies_its_category_checklist_and_logs_who_opened_it(customer, company, support_agent):
    # given the seeded article of the category
    article = KnowledgeArticle.objects.get(category=Category.WEBHOOK, primary=True)
    # when an agent opens a ticket
    ticket = services.ticket_create(
        customer=customer,
        title="Hook ignored",
        category=Category.WEBHOOK,
        companies=[company],
        reporter_name="Pat Reporter",
        acting_user=support_agent,
    )
    # then the checklist is the article's, in order, unticked
    assert [i.text for i in ticket.checklist_items.all()] == article.checklist
    assert not ticket.checklist_items.filter(done=True).exists()
    # and the log says who opened it
    entry = ticket.log_entries.get()
    assert entry.kind == TicketLogEntry.Kind.OPENED and entry.author == support_agent
    assert ticket.origin == Origin.AGENT and ticket.level == Level.LEVEL_1 and ticket.state == State.NEW


def test_changing_category_brings_the_new_checklist_and_keeps_ticked_steps(customer, support_agent):
    ticket = services.ticket_create(customer=customer, title="x", category=Category.FEED_PULL)
    first = ticket.checklist_items.first()
    services.ticket_checklist_tick(item=first, acting_user=support_agent)
    # when the category changes
    services.ticket_update(ticket=ticket, category=Category.FAIR_USE, acting_user=support_agent)
    # then the ticked step stays and the new category's steps follow
    texts = list(ticket.checklist_items.values_list("text", flat=True))
    assert texts[0] == first.text
    assert texts[1:] == KnowledgeArticle.objects.get(category=Category.FAIR_USE, primary=True).checklist


def test_ticking_a_step_records_who_and_when(customer, support_agent):
    ticket = services.ticket_create(customer=customer, title="x", category=Category.OTHER)
    item = ticket.checklist_items.first()
    services.ticket_checklist_tick(item=item, acting_user=support_agent)
    item.refresh_from_db()
    assert item.done and item.done_by == support_agent and item.done_at is not None
    services.ticket_checklist_tick(item=item, done=False, acting_user=support_agent)
    item.refresh_from_db()
    assert not item.done and item.done_by is None


def test_companies_of_another_customer_are_refused(customer, other_customer):
    foreign = CompanyFactory(company_set=CompanySetFactory(customer=other_customer))
    with pytest.raises(ApplicationError, match="another customer"):
        services.ticket_create(customer=customer, title="x", companies=[foreign])


def test_only_support_agents_can_be_assigned(customer, consultant, support_agent):
    ticket = TicketFactory(customer=customer)
    with pytest.raises(ApplicationError, match="No such support agent"):
        services.ticket_assign(ticket=ticket, assignee=consultant)
    services.ticket_assign(ticket=ticket, assignee=support_agent, acting_user=support_agent)
    assert Ticket.objects.get(pk=ticket.pk).assignee == support_agent


def test_state_changes_are_logged_and_resolution_is_timed(customer, support_agent):
    ticket = TicketFactory(customer=customer)
    services.ticket_state_set(ticket=ticket, state=State.TRIAGING, acting_user=support_agent)
    services.ticket_state_set(ticket=ticket, state=State.RESOLVED, acting_user=support_agent, note="Fixed.")
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED and ticket.resolved_at is not None
    texts = list(ticket.log_entries.values_list("text", flat=True))
    assert texts == ["State changed from New to Triaging.", "State changed from Triaging to Resolved. Fixed."]
    with pytest.raises(ApplicationError, match="sending its escalation"):
        services.ticket_state_set(ticket=ticket, state=State.ESCALATED)


def test_evidence_of_another_customer_is_refused(customer, other_customer):
    ticket = TicketFactory(customer=customer)
    foreign_call = ApiCallFactory(connection=ConnectionFactory(customer=other_customer))
    with pytest.raises(ApplicationError, match="another customer"):
        services.ticket_evidence_attach(ticket=ticket, item=foreign_call)


def test_evidence_is_attached_once(customer):
    ticket = TicketFactory(customer=customer)
    call = ApiCallFactory(connection=ConnectionFactory(customer=customer))
    services.ticket_evidence_attach(ticket=ticket, item=call)
    services.ticket_evidence_attach(ticket=ticket, item=call)
    evidence = ticket.evidence.get()
    assert evidence.item == call
    assert ticket.log_entries.filter(kind=TicketLogEntry.Kind.EVIDENCE).count() == 1


# --- automatic tickets ---------------------------------------------------------------------------------


def test_automatic_tickets_are_not_duplicated(customer):
    # given the same problem reported three times with new evidence each time
    conn = ConnectionFactory(customer=customer)
    calls = [ApiCallFactory(connection=conn) for _ in range(3)]
    tickets = [
        raise_problem(customer, evidence=[c], now=NOW + dt.timedelta(minutes=i)) for i, c in enumerate(calls)
    ]
    # then there is one ticket, with every piece of evidence and two recurrences
    assert len({t.pk for t in tickets}) == 1
    ticket = Ticket.objects.get()
    assert ticket.origin == Origin.AUTOMATIC and ticket.recurrences == 2
    assert ticket.last_recurrence_at == NOW + dt.timedelta(minutes=2)
    assert ticket.evidence.count() == 3
    assert ticket.log_entries.filter(kind=TicketLogEntry.Kind.OPENED).count() == 1


def test_the_database_allows_one_open_ticket_per_key(customer):
    raise_problem(customer, key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(customer=customer, title="dup", origin=Origin.AUTOMATIC, automatic_key="k")


def test_a_resolved_automatic_ticket_reopens_when_the_problem_returns(customer):
    # given an automatic ticket that was resolved
    ticket = raise_problem(customer)
    services.ticket_state_set(ticket=ticket, state=State.RESOLVED)
    # when the problem happens again
    again = raise_problem(customer, now=NOW + dt.timedelta(days=2), actual_result="401 again")
    # then the same ticket is open again, and its log says so
    assert again.pk == ticket.pk
    again.refresh_from_db()
    assert again.state == State.NEW and again.resolved_at is None and again.actual_result == "401 again"
    assert again.log_entries.filter(kind=TicketLogEntry.Kind.REOPENED).count() == 1
    assert Ticket.objects.count() == 1


def test_a_closed_automatic_ticket_stays_closed_and_a_new_one_names_it(customer):
    ticket = raise_problem(customer)
    services.ticket_state_set(ticket=ticket, state=State.CLOSED)
    fresh = raise_problem(customer, now=NOW + dt.timedelta(days=1))
    assert fresh.pk != ticket.pk
    assert f"#{ticket.pk}" in fresh.log_entries.get(kind=TicketLogEntry.Kind.OPENED).text


def test_automatic_tickets_resolve_after_24_quiet_hours_and_log_it(customer):
    # given an automatic ticket last seen at NOW
    ticket = raise_problem(customer)
    # when the hourly job runs 23 hours later, nothing happens
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(hours=23)) == 0
    # and 24 hours later, it is resolved, with a log line
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(hours=24, minutes=1)) == 1
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert ticket.log_entries.filter(kind=TicketLogEntry.Kind.AUTO_RESOLVED).count() == 1


def test_a_recurrence_restarts_the_24_hours(customer):
    ticket = raise_problem(customer)
    raise_problem(customer, now=NOW + dt.timedelta(hours=20))
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(hours=30)) == 0
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(hours=44, minutes=1)) == 1
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED


def test_agent_and_escalated_tickets_never_resolve_themselves(customer):
    agent_ticket = TicketFactory(customer=customer, opened_at=NOW - dt.timedelta(days=3))
    escalated = raise_problem(customer, key="esc", now=NOW - dt.timedelta(days=3))
    Ticket.objects.filter(pk=escalated.pk).update(state=State.ESCALATED)
    assert services.tickets_auto_resolve(now=NOW) == 0
    agent_ticket.refresh_from_db()
    assert agent_ticket.state == State.NEW


def test_a_mapping_ticket_stays_open_while_events_are_held(
    customer, company_set, company, django_capture_on_commit_callbacks
):
    # given an unmapped code with a held event, reported by the lifecycle
    employee = EmployeeFactory(company=company, status_code="ZZ", status_type=None, held=True)
    StatusEvent.objects.create(
        employee=employee, code="ZZ", effective_date=NOW.date(), recorded_at=NOW, source="sync", held=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        hooks.mapping_needed(company_set, "ZZ")
    ticket = Ticket.objects.get()
    assert ticket.category == Category.MAPPING_NEEDED and list(ticket.employees.all()) == [employee]
    # then a quiet day does not resolve it while the event is held
    assert services.tickets_auto_resolve(now=timezone.now() + dt.timedelta(days=2)) == 0
    # and once released, it does
    StatusEvent.objects.update(held=False)
    assert services.tickets_auto_resolve(now=timezone.now() + dt.timedelta(days=2)) == 1


def test_secret_expiry_check_opens_one_ticket_per_expiring_connection(
    customer, django_capture_on_commit_callbacks
):
    # given one secret expiring in 5 days and one in 30
    soon = ConnectionFactory(customer=customer, secret_expires_at=NOW + dt.timedelta(days=5))
    ConnectionFactory(customer=customer, secret_expires_at=NOW + dt.timedelta(days=30))
    # when the daily check runs twice
    with django_capture_on_commit_callbacks(execute=True):
        assert services.connections_secret_expiry_check(now=NOW) == 1
        assert services.connections_secret_expiry_check(now=NOW + dt.timedelta(days=1)) == 1
    # then there is one ticket for the expiring connection, which recurred once
    ticket = Ticket.objects.get()
    assert ticket.connection == soon and ticket.category == Category.CONNECTION and ticket.recurrences == 1
    # and it does not resolve itself while the secret still expires soon
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(days=3)) == 0
    # but does once the secret was renewed
    soon.secret_expires_at = NOW + dt.timedelta(days=365)
    soon.save()
    assert services.tickets_auto_resolve(now=NOW + dt.timedelta(days=3)) == 1


# --- escalation ----------------------------------------------------------------------------------------


@pytest.fixture
def escalation_ticket(customer, company, support_agent):
    conn = ConnectionFactory(customer=customer, client_id="PCTYcli-ent-000-LASTSEV")
    conn.companies.add(company)
    employee = EmployeeFactory(company=company, employee_id="1001", first_name="Grace", last_name="Hopper")
    ticket = services.ticket_create(
        customer=customer,
        title="Termination missing",
        category=Category.FEED_PULL,
        companies=[company],
        employees=[employee],
        connection=conn,
        reporter_name="Rita Reporter",
        reporter_email="rita@acme.example",
        expected_result="Grace Hopper terminated from 2026-05-15.",
        actual_result="GET shows active.",
        acting_user=support_agent,
    )
    services.ticket_log_add(ticket=ticket, text="Compared GET with screen.", acting_user=support_agent)
    services.ticket_log_add(
        ticket=ticket, text="Rita re-keyed it.", customer_troubleshooting=True, acting_user=support_agent
    )
    call = ApiCallFactory(
        connection=conn, uri="https://api.paylocity.com/api/v2/companies/123/employees/1001"
    )
    services.ticket_evidence_attach(ticket=ticket, item=call)
    return ticket


def test_sending_an_escalation_mails_it_records_it_and_moves_the_ticket_to_level_2(
    escalation_ticket, support_agent
):
    escalation = services.escalation_send(ticket=escalation_ticket, acting_user=support_agent)
    # then one mail went to Paylocity's Level 2 with seed 000's subject
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["webservices@paylocity.com"]
    assert sent.subject == "PCTY x Payroll Integration Hub -- API Concerns"
    assert "PCTYcli" in sent.body and "LASTSEV" not in sent.body
    assert "Grace" not in sent.body and "Hopper" not in sent.body and "Rita" not in sent.body
    assert "rita@acme.example" not in sent.body
    assert "/companies/123/employees/1001" in sent.body
    # and who sent it, when, and what, is recorded
    assert escalation.sent_by == support_agent and escalation.body == sent.body and not escalation.edited
    escalation_ticket.refresh_from_db()
    assert escalation_ticket.level == Level.LEVEL_2 and escalation_ticket.state == State.ESCALATED
    assert escalation_ticket.log_entries.filter(kind=TicketLogEntry.Kind.ESCALATION).exists()


def test_an_edited_body_with_personal_data_is_refused_naming_it(escalation_ticket, support_agent):
    from apps.support.selectors import escalation_draft_for

    body = escalation_draft_for(escalation_ticket).body + "\nCall Grace on (555) 123-4567."
    with pytest.raises(ApplicationError) as refused:
        services.escalation_send(ticket=escalation_ticket, acting_user=support_agent, body=body)
    assert "phone number" in refused.value.message and "name" in refused.value.message
    assert mail.outbox == [] and not Escalation.objects.exists()
    escalation_ticket.refresh_from_db()
    assert escalation_ticket.level == Level.LEVEL_1


def test_a_clean_edit_is_sent_as_edited(escalation_ticket, support_agent):
    from apps.support.selectors import escalation_draft_for

    body = escalation_draft_for(escalation_ticket).body.replace("Hello", "Dear")
    escalation = services.escalation_send(ticket=escalation_ticket, acting_user=support_agent, body=body)
    assert escalation.edited and mail.outbox[0].body.startswith("Dear")


def test_escalation_needs_a_support_address(customer, support_agent):
    services.support_settings_update(paylocity_support_email="")
    ticket = TicketFactory(customer=customer)
    with pytest.raises(ApplicationError, match="No Level 2 support address"):
        services.escalation_send(ticket=ticket, acting_user=support_agent)


def test_settings_change_the_subject_and_the_fragment_end(escalation_ticket, support_agent):
    services.support_settings_update(our_company_name="Hub Co", client_id_fragment_end="last")
    services.escalation_send(ticket=escalation_ticket, acting_user=support_agent)
    assert mail.outbox[0].subject == "PCTY x Hub Co -- API Concerns"
    assert "LASTSEV" in mail.outbox[0].body and "PCTYcli" not in mail.outbox[0].body


def test_a_resolved_ticket_is_not_escalated(escalation_ticket, support_agent):
    services.ticket_state_set(ticket=escalation_ticket, state=State.RESOLVED)
    with pytest.raises(ApplicationError, match="Re-open"):
        services.escalation_send(ticket=escalation_ticket, acting_user=support_agent)


def test_knowledge_article_primary_moves_to_the_newest(support_agent):
    old = KnowledgeArticle.objects.get(category=Category.OTHER, primary=True)
    new = services.knowledge_article_create(
        category=Category.OTHER, title="New", body="b", checklist=[" one ", "", "two"], primary=True
    )
    old.refresh_from_db()
    assert not old.primary and new.primary and new.checklist == ["one", "two"]


def test_evidence_links_survive_as_labels(customer):
    ticket = TicketFactory(customer=customer)
    call = ApiCallFactory(connection=ConnectionFactory(customer=customer))
    services.ticket_evidence_attach(ticket=ticket, item=call)
    label = TicketEvidence.objects.get().label
    assert label.startswith("API call: GET")

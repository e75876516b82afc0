"""Tickets an agent works: open, describe, assign, move through states, log, attach evidence, tick steps."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.companies.models import Company, Customer
from apps.core.errors import ApplicationError
from apps.support import selectors

from ..models import (
    Category,
    KnowledgeArticle,
    Origin,
    Priority,
    State,
    Ticket,
    TicketChecklistItem,
    TicketEvidence,
    TicketLogEntry,
)

logger = logging.getLogger(__name__)

TICKET_EDITABLE_FIELDS = (
    "title",
    "category",
    "priority",
    "reporter_name",
    "reporter_email",
    "expected_result",
    "actual_result",
    "connection",
)


# --- helpers -------------------------------------------------------------------------------------------


def _log(
    ticket: Ticket,
    kind: str,
    text: str,
    *,
    author=None,
    customer_troubleshooting: bool = False,
    at: dt.datetime | None = None,
) -> TicketLogEntry:
    entry = TicketLogEntry(
        ticket=ticket,
        kind=kind,
        text=text,
        author=author,
        customer_troubleshooting=customer_troubleshooting,
        at=at or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    return entry


def _checklist_copy(ticket: Ticket) -> int:
    """Copy the checklist of the category's primary article into the ticket (ticked steps are kept)."""
    article = KnowledgeArticle.objects.filter(category=ticket.category, primary=True, published=True).first()
    ticket.checklist_items.filter(done=False).delete()
    if article is None:
        return 0
    kept = set(ticket.checklist_items.values_list("text", flat=True))
    start = (ticket.checklist_items.aggregate(m=models.Max("position"))["m"] or 0) + 1
    items = [
        TicketChecklistItem(ticket=ticket, position=start + i, text=str(step)[:500])
        for i, step in enumerate(article.checklist or [])
        if str(step).strip() and str(step)[:500] not in kept
    ]
    TicketChecklistItem.objects.bulk_create(items)
    return len(items)


def _check_companies(customer: Customer, companies: Iterable[Company]) -> list[Company]:
    companies = list(companies)
    foreign = [c.external_id for c in companies if c.company_set.customer_id != customer.pk]
    if foreign:
        raise ApplicationError(
            f"Companies {', '.join(foreign)} belong to another customer.", extra={"field": "companies"}
        )
    return companies


def _check_employees(customer: Customer, employees: Iterable[Any]) -> list[Any]:
    employees = list(employees)
    foreign = [e.employee_id for e in employees if e.company.company_set.customer_id != customer.pk]
    if foreign:
        raise ApplicationError(
            f"Employees {', '.join(foreign)} belong to another customer.", extra={"field": "employees"}
        )
    return employees


def _check_connection(customer: Customer, connection) -> None:
    if connection is not None and connection.customer_id != customer.pk:
        raise ApplicationError("The connection belongs to another customer.", extra={"field": "connection"})


def _evidence_label(item: Any) -> str:
    return f"{item._meta.verbose_name}: {item}"[:300]


def record_customer_id(obj: Any) -> int | None:
    """Whose record a piece of evidence is, following the usual paths to the Customer (None: cannot tell)."""
    for path in (
        "customer_id",
        "connection.customer_id",
        "company.company_set.customer_id",
        "employee.company.company_set.customer_id",
        "ticket.customer_id",
    ):
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


def _attach(ticket: Ticket, item: Any, *, acting_user=None, note: str = "") -> tuple[TicketEvidence, bool]:
    content_type = ContentType.objects.get_for_model(item, for_concrete_model=False)
    evidence, created = TicketEvidence.objects.get_or_create(
        ticket=ticket,
        content_type=content_type,
        object_id=str(item.pk),
        defaults={"label": _evidence_label(item), "note": note[:300], "added_by": acting_user},
    )
    return evidence, created


# --- tickets -------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    customer: Customer,
    title: str,
    category: str = Category.OTHER,
    priority: str = Priority.NORMAL,
    companies: Iterable[Company] = (),
    employees: Iterable[Any] = (),
    connection=None,
    reporter_name: str = "",
    reporter_email: str = "",
    expected_result: str = "",
    actual_result: str = "",
    assignee=None,
    troubleshooting: str = "",
    api_calls: Iterable[Any] = (),
    acting_user=None,
) -> Ticket:
    """Open a ticket an agent reports, copy its category's checklist and log who opened it.

    ``troubleshooting`` (what was tried, plain text) becomes the first note; ``api_calls`` of the customer
    are attached as evidence.
    """
    companies = _check_companies(customer, companies)
    employees = _check_employees(customer, employees)
    _check_connection(customer, connection)
    if assignee is not None:
        _check_assignee(assignee, customer)
    ticket = Ticket(
        customer=customer,
        title=title,
        category=category,
        priority=priority,
        connection=connection,
        reporter_name=reporter_name,
        reporter_email=reporter_email,
        expected_result=expected_result,
        actual_result=actual_result,
        assignee=assignee,
        origin=Origin.AGENT,
    )
    ticket.full_clean()
    ticket.save()
    ticket.companies.set(companies)
    ticket.employees.set(employees)
    _checklist_copy(ticket)
    _log(ticket, TicketLogEntry.Kind.OPENED, "Ticket opened.", author=acting_user)
    if troubleshooting.strip():
        _log(ticket, TicketLogEntry.Kind.NOTE, troubleshooting.strip(), author=acting_user)
    for call in api_calls:
        if record_customer_id(call) != customer.pk:
            raise ApplicationError("That API call belongs to another customer.", extra={"field": "api_calls"})
        _attach(ticket, call, acting_user=acting_user)
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    companies: Iterable[Company] | None = None,
    employees: Iterable[Any] | None = None,
    acting_user=None,
    **fields: Any,
) -> Ticket:
    """Change a ticket's description fields; a new category brings its checklist (ticked steps stay)."""
    unknown = set(fields) - set(TICKET_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These ticket fields cannot be changed here: {', '.join(sorted(unknown))}.")
    if "connection" in fields:
        _check_connection(ticket.customer, fields["connection"])
    old_category = ticket.category
    changed = [name for name, value in fields.items() if getattr(ticket, name) != value]
    for name in changed:
        setattr(ticket, name, fields[name])
    if changed:
        ticket.full_clean()
        ticket.save(update_fields=[*changed, "updated_at"])
    if companies is not None:
        ticket.companies.set(_check_companies(ticket.customer, companies))
    if employees is not None:
        ticket.employees.set(_check_employees(ticket.customer, employees))
    if ticket.category != old_category:
        _checklist_copy(ticket)
        _log(
            ticket,
            TicketLogEntry.Kind.STATE,
            f"Category changed from {Category(old_category).label} to {ticket.get_category_display()}.",
            author=acting_user,
        )
    return ticket


def _check_assignee(assignee, customer) -> None:

    if not selectors.assignable_users(customer).filter(pk=assignee.pk).exists():
        # Names nobody: the caller must not learn who exists or what role they have.
        raise ApplicationError(
            "No such support agent for this ticket's customer.", extra={"field": "assignee"}
        )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, acting_user=None) -> Ticket:
    """Give the ticket to a support agent (or to nobody with ``assignee=None``)."""
    if assignee is not None:
        _check_assignee(assignee, ticket.customer)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    _log(
        ticket,
        TicketLogEntry.Kind.STATE,
        f"Assigned to {assignee}." if assignee else "Unassigned.",
        author=acting_user,
    )
    return ticket


@transaction.atomic
def ticket_state_set(*, ticket: Ticket, state: str, acting_user=None, note: str = "") -> Ticket:
    """Move a ticket to another state and log it. Escalating goes through ``escalation_send`` only."""
    state = State(state)
    if state == State.ESCALATED:
        raise ApplicationError("A ticket is escalated by sending its escalation, not by setting its state.")
    if state == ticket.state:
        return ticket
    old = ticket.get_state_display()
    ticket.state = state
    if state in (State.RESOLVED, State.CLOSED):
        ticket.resolved_at = ticket.resolved_at or timezone.now()
    else:
        ticket.resolved_at = None
    try:
        with transaction.atomic():
            ticket.full_clean(validate_constraints=False)
            ticket.save(update_fields=["state", "resolved_at", "updated_at"])
    except IntegrityError as exc:
        raise ApplicationError(
            "Another open ticket already tracks this problem; work that one instead.",
            extra={"automatic_key": ticket.automatic_key},
        ) from exc
    text = f"State changed from {old} to {ticket.get_state_display()}."
    if note:
        text += f" {note}"
    _log(ticket, TicketLogEntry.Kind.STATE, text, author=acting_user)
    return ticket


@transaction.atomic
def ticket_log_add(
    *,
    ticket: Ticket,
    text: str,
    customer_troubleshooting: bool = False,
    at: dt.datetime | None = None,
    acting_user=None,
) -> TicketLogEntry:
    """Add a troubleshooting note (ours, or what the customer's team says they tried)."""
    if not text.strip():
        raise ApplicationError("A log entry needs some text.", extra={"field": "text"})
    return _log(
        ticket,
        TicketLogEntry.Kind.NOTE,
        text.strip(),
        author=acting_user,
        customer_troubleshooting=customer_troubleshooting,
        at=at,
    )


@transaction.atomic
def ticket_evidence_attach(*, ticket: Ticket, item: Any, note: str = "", acting_user=None) -> TicketEvidence:
    """Link any record (API call, sync run, webhook event, batch, action, diagnostics) to the ticket."""
    if item is None or item.pk is None:
        raise ApplicationError("Only a saved record can be attached as evidence.")
    owner = record_customer_id(item)
    if owner is not None and owner != ticket.customer_id:
        raise ApplicationError("That record belongs to another customer.", extra={"field": "id"})
    evidence, created = _attach(ticket, item, acting_user=acting_user, note=note)
    if created:
        _log(ticket, TicketLogEntry.Kind.EVIDENCE, f"Attached {evidence.label}.", author=acting_user)
    return evidence


@transaction.atomic
def ticket_checklist_tick(*, item: TicketChecklistItem, done: bool = True, acting_user=None):
    """Tick (or untick) one troubleshooting step, recording who and when."""
    item = TicketChecklistItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.done_by = acting_user if done else None
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_by", "done_at", "updated_at"])
    return item

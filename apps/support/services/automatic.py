"""Automatic tickets: raised from the problem bus (one open ticket per key), fixed, re-checked, auto-resolved."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.companies.models import Company, Customer
from apps.core.errors import ApplicationError
from apps.core.problems import Fixed, Problem, report
from apps.employees.models import ChangeBatch, StatusEvent
from apps.integrations.models import Connection, WebhookEvent

from ..models import (
    OPEN_STATES,
    Origin,
    Priority,
    State,
    Ticket,
    TicketLogEntry,
)
from ..ticket_texts import entry_for
from .tickets import _attach, _checklist_copy, _log

logger = logging.getLogger(__name__)

AUTO_RESOLVE_AFTER = dt.timedelta(hours=24)
SECRET_EXPIRY_WARNING = dt.timedelta(days=10)

# Tickets in these states resolve themselves after a quiet day; an escalated one waits for the provider.
AUTO_RESOLVABLE_STATES = (State.NEW, State.TRIAGING, State.WAITING_ON_CUSTOMER)


# --- automatic tickets ---------------------------------------------------------------------------------


@transaction.atomic
def ticket_raise_automatic(
    *,
    key: str,
    category: str,
    customer: Customer,
    title: str,
    actual_result: str = "",
    expected_result: str = "",
    companies: Iterable[Company] = (),
    employees: Iterable[Any] = (),
    evidence: Iterable[Any] = (),
    connection=None,
    priority: str = Priority.NORMAL,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open the one ticket for a problem the system detected, or record that it happened again.

    1. An open ticket with this key: count the recurrence, attach the new evidence.
    2. Else the latest resolved ticket with this key: re-open it and log that the problem returned.
    3. Else open a new ticket (a closed one stays closed: the log of the new one names it).
    Safe under concurrency: the partial unique index allows one open ticket per key; the loser of a race
    retries and lands in case 1.
    """
    if not key:
        raise ApplicationError("An automatic ticket needs a problem key.")
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                ticket = _raise_once(
                    key=key,
                    category=category,
                    customer=customer,
                    title=title,
                    actual_result=actual_result,
                    expected_result=expected_result,
                    connection=connection,
                    priority=priority,
                    now=now,
                )
                break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three lost races in a row
        raise ApplicationError(f"Could not record the automatic ticket {key}.")
    companies = list(companies)
    if companies:
        ticket.companies.add(*companies)
    employees = list(employees)
    if employees:
        ticket.employees.add(*employees)
    for item in evidence:
        if item is not None and item.pk is not None:
            _attach(ticket, item)
    return ticket


def _raise_once(
    *,
    key: str,
    category: str,
    customer: Customer,
    title: str,
    actual_result: str,
    expected_result: str,
    connection,
    priority: str,
    now: dt.datetime,
) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(automatic_key=key, state__in=OPEN_STATES).first()
    if ticket is not None:
        ticket.recurrences += 1
        ticket.last_recurrence_at = now
        fields = ["recurrences", "last_recurrence_at", "updated_at"]
        if actual_result and actual_result != ticket.actual_result:
            ticket.actual_result = actual_result
            fields.append("actual_result")
        ticket.save(update_fields=fields)
        return ticket

    previous = Ticket.objects.filter(automatic_key=key).order_by("-opened_at", "-id").first()
    if previous is not None and previous.state == State.RESOLVED:
        previous.state = State.NEW
        previous.resolved_at = None
        previous.recurrences += 1
        previous.last_recurrence_at = now
        if actual_result:
            previous.actual_result = actual_result
        previous.save(
            update_fields=[
                "state",
                "resolved_at",
                "recurrences",
                "last_recurrence_at",
                "actual_result",
                "updated_at",
            ]
        )
        _log(previous, TicketLogEntry.Kind.REOPENED, "Re-opened: the problem happened again.", at=now)
        return previous

    ticket = Ticket(
        customer=customer,
        title=title[:300],
        category=category,
        priority=priority,
        connection=connection,
        expected_result=expected_result,
        actual_result=actual_result,
        origin=Origin.AUTOMATIC,
        automatic_key=key,
        opened_at=now,
    )
    ticket.full_clean(validate_constraints=False)  # the partial unique index decides races
    ticket.save()
    _checklist_copy(ticket)
    text = "Opened by the system: it detected this problem."
    if previous is not None:
        text += f" The same problem was tracked before in ticket #{previous.pk} (closed)."
    _log(ticket, TicketLogEntry.Kind.OPENED, text, at=now)
    return ticket


def what_is_left(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """What of a problem the system can re-check is still there, in one line ("" when nothing is left).

    An automatic ticket with something left neither resolves itself after a quiet day nor on a reported fix:
    a "mapping needed" ticket waits until no event with its code is held in the company set (mapping the
    code for one company leaves the others' events held), a mass change until the batch is decided, an
    expiring secret until it is renewed, dead webhook events until each is replayed.
    """
    now = now or timezone.now()
    kind, _, rest = ticket.automatic_key.partition(":")
    if kind == "secret-expiring":
        connection = Connection.objects.filter(pk=rest.split(":")[0]).first()
        if (
            connection
            and connection.secret_expires_at
            and connection.secret_expires_at <= now + SECRET_EXPIRY_WARNING
            and connection.secret_expires_at.date().isoformat() == rest.split(":")[-1]
        ):
            return f"the client secret still expires at {connection.secret_expires_at:%Y-%m-%d %H:%M} UTC"
        return ""
    if kind == "mapping-needed":
        company_set_id, _, code = rest.partition(":")
        held = StatusEvent.objects.filter(
            employee__company__company_set_id=company_set_id, code=code, held=True
        ).count()
        return f"{held} status event(s) with code {code} are still held" if held else ""
    if kind == "mass-change":
        waiting = ChangeBatch.objects.filter(pk=rest, state=ChangeBatch.State.AWAITING_APPROVAL).exists()
        return f"change batch {rest} still awaits approval" if waiting else ""
    if kind == "webhook-dead":
        dead = WebhookEvent.objects.filter(connection_id=rest, state=WebhookEvent.State.DEAD).count()
        return f"{dead} webhook event(s) of the connection are still dead" if dead else ""
    return ""


def _resolve(ticket: Ticket, kind: str, text: str, *, now: dt.datetime, author=None) -> None:
    ticket.state = State.RESOLVED
    ticket.resolved_at = now
    ticket.save(update_fields=["state", "resolved_at", "updated_at"])
    _log(ticket, kind, text, author=author, at=now)


@transaction.atomic
def tickets_auto_resolve(*, now: dt.datetime | None = None) -> int:
    """Resolve automatic tickets whose problem has not recurred for 24 hours; log it on each ticket.

    Escalated tickets wait for the provider's answer, and a problem the system can still see (an unmapped
    code with employees held, a secret still about to expire, a dead webhook event) keeps its ticket open.
    """
    now = now or timezone.now()
    quiet = (
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(origin=Origin.AUTOMATIC, state__in=AUTO_RESOLVABLE_STATES)
        .annotate(seen=Coalesce("last_recurrence_at", "opened_at"))
        .filter(seen__lte=now - AUTO_RESOLVE_AFTER)
    )
    resolved = 0
    for ticket in quiet:
        if what_is_left(ticket, now):
            continue
        _resolve(
            ticket,
            TicketLogEntry.Kind.AUTO_RESOLVED,
            f"Resolved automatically: no recurrence since {ticket.last_seen_at:%Y-%m-%d %H:%M} UTC "
            "(24 hours). It re-opens if the problem returns.",
            now=now,
        )
        resolved += 1
    return resolved


# --- the problem bus: problems become tickets, fixes are logged and resolve them ------------------------


def problem_ticket(problem: Problem) -> Ticket:
    """Turn a reported Problem into its automatic ticket, worded by the catalogue (``ticket_texts``)."""
    entry = entry_for(problem.kind)
    key = entry.key_for(problem.facts)
    if key != problem.key:
        logger.error(
            "problem %s reported under key %s; the catalogue says %s", problem.kind, problem.key, key
        )
    return ticket_raise_automatic(
        key=key,
        category=entry.category,
        customer=problem.customer,
        title=entry.title_for(problem.facts),
        actual_result=problem.detail,
        expected_result=entry.expected_for(problem.facts),
        companies=problem.companies,
        employees=problem.employees,
        evidence=problem.evidence,
        connection=problem.connection,
        priority=entry.priority,
        now=problem.at,
    )


@transaction.atomic
def ticket_fixed(*, fixed: Fixed, now: dt.datetime | None = None) -> list[Ticket]:
    """Log a reported fix on each open automatic ticket of its key; resolve those with nothing left.

    The log line says who (the fix's acting user, or "the system") and what. A ticket with something left
    (see ``what_is_left``) stays open and its log says what is left.
    """
    now = now or timezone.now()
    tickets = Ticket.objects.select_for_update().filter(origin=Origin.AUTOMATIC, state__in=OPEN_STATES)
    if fixed.prefix:
        tickets = tickets.filter(automatic_key__startswith=fixed.key)
    else:
        tickets = tickets.filter(automatic_key=fixed.key)
    who = str(fixed.acting_user) if fixed.acting_user is not None else "the system"
    touched = []
    for ticket in tickets.order_by("pk"):
        _log(
            ticket,
            TicketLogEntry.Kind.FIXED,
            f"Fixed by {who}: {fixed.what}",
            author=fixed.acting_user,
            at=now,
        )
        touched.append(ticket)
        if not fixed.resolve:
            continue
        left = what_is_left(ticket, now)
        if left:
            _log(ticket, TicketLogEntry.Kind.STATE, f"Still open: {left}.", at=now)
            continue
        _resolve(
            ticket,
            TicketLogEntry.Kind.STATE,
            f"State changed from {ticket.get_state_display()} to Resolved: nothing is left of the problem. "
            "It re-opens if the problem returns.",
            now=now,
            author=fixed.acting_user,
        )
    return touched


def fixed_ticket(fixed: Fixed) -> list[Ticket]:
    """The bus's fix handler (one argument, as ``problems.subscribe`` calls it)."""
    return ticket_fixed(fixed=fixed)


def connections_secret_expiry_check(*, now: dt.datetime | None = None) -> int:
    """Report (through the problem bus) every connection whose client secret expires within 10 days."""
    now = now or timezone.now()
    expiring = Connection.objects.select_related("customer").filter(
        secret_expires_at__isnull=False,
        secret_expires_at__lte=now + SECRET_EXPIRY_WARNING,
        secret_expires_at__gte=now - SECRET_EXPIRY_WARNING,
    )
    count = 0
    for connection in expiring.exclude(state="paused"):
        expires = connection.secret_expires_at
        facts = {"connection_id": connection.pk, "slug": connection.slug, "expires_on": f"{expires:%Y-%m-%d}"}
        report(
            Problem(
                kind="secret-expiring",
                key=f"secret-expiring:{connection.pk}:{expires:%Y-%m-%d}",
                customer=connection.customer,
                facts=facts,
                detail=f"The client secret expires at {expires:%Y-%m-%d %H:%M} UTC.",
                companies=tuple(connection.companies.all()),
                connection=connection,
                at=now,
            )
        )
        count += 1
    return count

"""Writes of the support desk: tickets, their log, evidence and checklist, automatic tickets, escalations."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.companies.models import Company, Customer
from apps.core.errors import ApplicationError
from apps.core.problems import Fixed, Problem, report
from apps.employees.models import ChangeBatch, StatusEvent
from apps.integrations.models import ApiCall, Connection, WebhookEvent
from apps.support import selectors

from .conf import support_defaults
from .models import (
    OPEN_STATES,
    Category,
    Escalation,
    KnowledgeArticle,
    Level,
    Origin,
    Priority,
    State,
    SupportSettings,
    Ticket,
    TicketChecklistItem,
    TicketEvidence,
    TicketLogEntry,
)
from .ticket_texts import entry_for

logger = logging.getLogger(__name__)

AUTO_RESOLVE_AFTER = dt.timedelta(hours=24)
SECRET_EXPIRY_WARNING = dt.timedelta(days=10)

# Tickets in these states resolve themselves after a quiet day; an escalated one waits for the provider.
AUTO_RESOLVABLE_STATES = (State.NEW, State.TRIAGING, State.WAITING_ON_CUSTOMER)

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


# --- settings ------------------------------------------------------------------------------------------


def support_settings_load() -> SupportSettings:
    """Return the one settings row, creating it from the ``SUPPORT_*`` environment defaults the first time."""
    row = SupportSettings.objects.filter(singleton=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = SupportSettings(**support_defaults())
            row.full_clean()
            row.save()
    except IntegrityError:  # another process created it first
        row = SupportSettings.objects.get(singleton=True)
    return row


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


# --- diagnostics ---------------------------------------------------------------------------------------


def employee_diagnose(*, employee, ticket: Ticket | None = None, acting_user=None, client_factory=None):
    """Check the employee now: GET it from the provider, store the side-by-side result, attach it.

    The provider call happens outside any transaction (a slow provider must not hold database locks); the
    result, its evidence links and the log line are then written together.
    """
    from .diagnostics import diagnose

    if ticket is not None and employee.company.company_set.customer_id != ticket.customer_id:
        raise ApplicationError("The employee belongs to another customer than the ticket.")
    diagnosis = diagnose(employee, client_factory=client_factory)
    return _diagnosis_store(employee=employee, ticket=ticket, diagnosis=diagnosis, acting_user=acting_user)


@transaction.atomic
def _diagnosis_store(*, employee, ticket, diagnosis, acting_user):
    from .models import DiagnosticResult

    result = DiagnosticResult(
        ticket=ticket,
        employee=employee,
        company=employee.company,
        employee_external_id=employee.employee_id,
        run_by=acting_user,
        ok=diagnosis.ok,
        error=diagnosis.error,
        result=diagnosis.result,
    )
    result.full_clean()
    result.save()
    if ticket is not None:
        _attach(ticket, result, acting_user=acting_user, note="check this employee now")
        for call in ApiCall.objects.filter(pk__in=diagnosis.api_call_ids):
            _attach(ticket, call, acting_user=acting_user, note="made by diagnostics")
        ticket.employees.add(employee)
        if not diagnosis.ok:
            summary = diagnosis.error
        elif diagnosis.differing_fields:
            summary = "the provider's record differs from ours on " + ", ".join(diagnosis.differing_fields)
        else:
            summary = "the provider's record matches ours"
        _log(
            ticket,
            TicketLogEntry.Kind.DIAGNOSTICS,
            f"Checked employee {employee.employee_id} of company {employee.company.external_id} "
            f"with the provider: {summary}.",
            author=acting_user,
        )
    return result


# --- escalation ----------------------------------------------------------------------------------------


@transaction.atomic
def escalation_send(*, ticket: Ticket, acting_user, body: str | None = None) -> Escalation:
    """Send the Level 2 escalation e-mail, record who sent what and when, and move the ticket to Level 2.

    An edited body is checked for personal data again and refused, naming what was found. The mail is sent
    inside the transaction, last: if the mail server refuses it, nothing is recorded as sent.
    """
    from .escalation import escalation_body_check, escalation_draft_build
    from .selectors import escalation_input_for

    if acting_user is None:
        raise ApplicationError("An escalation is sent by a person.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.state in (State.RESOLVED, State.CLOSED):
        raise ApplicationError("Re-open the ticket before escalating it.")
    data = escalation_input_for(ticket, extra_texts=(body,) if body else ())
    draft = escalation_draft_build(data)
    if not draft.to:
        raise ApplicationError(
            f"No Level 2 support address is set for {data.provider_name}; set it in Support settings.",
            extra={"field": "to"},
        )
    edited = (
        body is not None and body.strip() != "" and body.replace("\r\n", "\n").strip() != draft.body.strip()
    )
    final_body = body.replace("\r\n", "\n") if edited else draft.body
    if edited:
        findings = escalation_body_check(final_body, data, draft)
        if findings:
            kinds = sorted({f.kind for f in findings})
            raise ApplicationError(
                f"The edited escalation contains personal data ({', '.join(kinds)}); remove it and send again.",
                extra={"findings": [{"kind": f.kind, "text": f.text} for f in findings]},
            )
    now = timezone.now()
    escalation = Escalation(
        ticket=ticket,
        to_address=draft.to,
        subject=draft.subject,
        draft_body=draft.body,
        body=final_body,
        edited=edited,
        sent_by=acting_user,
        sent_at=now,
    )
    escalation.full_clean()
    escalation.save()
    old = ticket.get_state_display()
    ticket.level = Level.LEVEL_2
    ticket.state = State.ESCALATED
    ticket.resolved_at = None
    ticket.save(update_fields=["level", "state", "resolved_at", "updated_at"])
    _log(
        ticket,
        TicketLogEntry.Kind.ESCALATION,
        f"Escalated to {data.provider_name} Level 2 ({draft.to}); state changed from {old} to Escalated.",
        author=acting_user,
    )
    message = EmailMessage(subject=draft.subject, body=final_body, to=[draft.to])
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors are many types; the caller needs one clear refusal
        logger.warning("Escalation mail for ticket %s failed: %s", ticket.pk, exc)
        raise ApplicationError(f"The mail server refused the escalation: {exc}") from exc
    return escalation


@transaction.atomic
def support_settings_update(*, acting_user=None, **fields: Any) -> SupportSettings:
    """Change the support desk settings (names and addresses used in escalations)."""
    row = support_settings_load()
    editable = {f.name for f in SupportSettings._meta.get_fields() if getattr(f, "editable", False)}
    unknown = set(fields) - editable - {"id"}
    if unknown:
        raise ApplicationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


# --- knowledge base ------------------------------------------------------------------------------------


def _clean_steps(steps: Iterable[Any]) -> list[str]:
    return [str(s).strip()[:500] for s in steps if str(s).strip()]


@transaction.atomic
def knowledge_article_create(
    *,
    category: str,
    title: str,
    body: str,
    checklist: Iterable[str] = (),
    primary: bool = False,
    published: bool = True,
    acting_user=None,
) -> KnowledgeArticle:
    """Add an article; a primary one replaces the category's previous primary article."""
    if primary:
        KnowledgeArticle.objects.filter(category=category, primary=True).update(primary=False)
    article = KnowledgeArticle(
        category=category,
        title=title,
        body=body,
        checklist=_clean_steps(checklist),
        primary=primary,
        published=published,
    )
    article.full_clean()
    article.save()
    return article


@transaction.atomic
def knowledge_article_update(
    *, article: KnowledgeArticle, acting_user=None, **fields: Any
) -> KnowledgeArticle:
    """Edit an article (new tickets copy the new checklist; existing tickets keep theirs)."""
    allowed = {"category", "title", "body", "checklist", "primary", "published"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(f"Unknown article fields: {', '.join(sorted(unknown))}.")
    if "checklist" in fields:
        fields["checklist"] = _clean_steps(fields["checklist"])
    for name, value in fields.items():
        setattr(article, name, value)
    if article.primary:
        KnowledgeArticle.objects.filter(category=article.category, primary=True).exclude(
            pk=article.pk
        ).update(primary=False)
    article.full_clean()
    article.save()
    return article

"""Reads of the support desk, scoped to what the user may see, and the data an escalation is built from."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from apps.companies.models import Provider
from apps.companies.selectors import scope_to_user
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, StatusEvent
from apps.integrations.models import ApiCall, Connection, SyncRun, WebhookEvent
from apps.mappings.models import StatusCode
from apps.users.models import User
from apps.users.roles import ADMINS, SUPPORT

from .conf import support_settings_load
from .diagnostics import verdict
from .escalation import (
    ApiCallLine,
    EmployeeRef,
    EscalationDraft,
    EscalationInput,
    EventLine,
    LogLine,
    escalation_draft_build,
    escalation_refusal,
)
from .models import (
    OPEN_STATES,
    Category,
    DiagnosticResult,
    KnowledgeArticle,
    Origin,
    Ticket,
    TicketEvidence,
    TicketLogEntry,
)
from .redaction import KnownPii, is_team_label

# Keys of provider data (diagnostics) whose values are personal: scrubbed wherever they appear in free text.
_PII_KEY_WORDS = (
    "name",
    "email",
    "phone",
    "mobile",
    "address",
    "street",
    "city",
    "zip",
    "postal",
    "salary",
    "pay_rate",
    "payrate",
    "rate",
    "wage",
    "amount",
    "ssn",
    "birth",
)


def tickets_for(user) -> QuerySet[Ticket]:
    """Tickets of the customers the user may see, with what a list shows already fetched."""
    queryset = Ticket.objects.select_related("customer", "assignee", "connection").prefetch_related(
        "companies",
        "employees__company",
        Prefetch("log_entries", queryset=TicketLogEntry.objects.select_related("author")),
        Prefetch("evidence", queryset=TicketEvidence.objects.select_related("content_type")),
        "checklist_items",
    )
    return scope_to_user(queryset, user, "customer")


def assignable_users(customer):
    """Active support agents who may see the customer's tickets (assigned to it, or to every customer)."""

    sees_customer = Q(customers=customer) | Q(all_customers=True) | Q(is_superuser=True)
    admins = User.objects.filter(groups__name=ADMINS).values("pk")
    return (
        User.objects.filter(is_active=True, groups__name=SUPPORT)
        .filter(sees_customer | Q(pk__in=admins))
        .distinct()
    )


def knowledge_articles_for(user, *, search: str = "", category: str = "") -> QuerySet[KnowledgeArticle]:
    """Published articles (all, for staff who may change them), optionally searched and filtered."""
    queryset = KnowledgeArticle.objects.all()
    if not (user and user.has_perm("support.change_knowledgearticle")):
        queryset = queryset.filter(published=True)
    if category:
        queryset = queryset.filter(category=category)
    for word in search.split():
        queryset = queryset.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return queryset


def articles_for_ticket(ticket: Ticket) -> QuerySet[KnowledgeArticle]:
    return KnowledgeArticle.objects.filter(category=ticket.category, published=True)


def evidence_objects(ticket: Ticket) -> list[tuple[TicketEvidence, Any]]:
    """Return each evidence link with its record (None if the record is gone), one query per record type."""
    links = list(ticket.evidence.select_related("content_type"))
    by_type: dict[int, list[TicketEvidence]] = defaultdict(list)
    for link in links:
        by_type[link.content_type_id].append(link)
    found: dict[tuple[int, str], Any] = {}
    for content_type_id, group in by_type.items():
        model = group[0].content_type.model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=[link.object_id for link in group]):
            found[(content_type_id, str(obj.pk))] = obj
    return [(link, found.get((link.content_type_id, link.object_id))) for link in links]


def _timestamp(obj: Any) -> dt.datetime | None:
    for name in ("timestamp", "started_at", "received_at", "finished_at", "created_at"):
        value = getattr(obj, name, None)
        if isinstance(value, dt.datetime):
            return value
    return None


def _ticket_connection(ticket: Ticket):
    """The connection the ticket concerns: its own, else one serving its companies, else the customer's only one."""
    if ticket.connection_id:
        return ticket.connection
    company_ids = [c.pk for c in ticket.companies.all()]
    candidates = Connection.objects.filter(customer_id=ticket.customer_id)
    if company_ids:
        match = candidates.filter(companies__in=company_ids).distinct().first()
        if match is not None:
            return match
    return candidates.first() if candidates.count() == 1 else None


def _provider_of(ticket: Ticket, connection) -> str:
    if connection is not None:
        return connection.provider
    company = ticket.companies.select_related("company_set").first()
    if company is not None:
        return company.provider
    company_set = ticket.customer.company_sets.first()
    return company_set.provider if company_set else Provider.PAYLOCITY


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def mentioned_employee_names(customer_id: int, texts: Iterable[str]) -> list[str]:
    """Return the names of the customer's employees whose first and last names both appear in ``texts``.

    Why: an agent may name an employee in free text without linking them to the ticket; the hub's own data
    says that name is personal data. One query: the texts' words (and pairs of words, for two-word names)
    are matched case-insensitively against first and last names of the customer's employees.
    """
    words: set[str] = set()
    for text in texts:
        # "Hopper's" names Hopper: the possessive is not part of the name.
        tokens = [re.sub(r"['\u2019]s$", "", t.lower()) for t in _WORD_RE.findall(text or "")]
        words.update(tokens)
        words.update(f"{a} {b}" for a, b in pairwise(tokens))
    if not words:
        return []

    rows = (
        Employee.objects.filter(company__company_set__customer_id=customer_id)
        .annotate(first_lower=Lower("first_name"), last_lower=Lower("last_name"))
        .filter(first_lower__in=words, last_lower__in=words)
        .values_list("first_name", "last_name")
        .distinct()
    )
    return sorted({f"{first} {last}" for first, last in rows})


def _ticket_texts(ticket: Ticket) -> list[str]:
    texts = [ticket.title, ticket.expected_result, ticket.actual_result]
    texts.extend(ticket.log_entries.values_list("text", flat=True))
    return texts


def known_pii_for(
    ticket: Ticket,
    evidence: list[tuple[TicketEvidence, Any]] | None = None,
    *,
    extra_texts: Sequence[str] = (),
) -> KnownPii:
    """Collect the personal values linked to a ticket: its employees, their persons, the reporter.

    Also the names of any other employee of the customer that the ticket's texts (or ``extra_texts``, an
    edited escalation body) mention, the names of the customer, its company sets and companies (shown as
    "[customer]" in an escalation) and personal values found in diagnostics results attached as evidence
    (the provider's record may hold phones, addresses, pay). A reporter that is a team ("Customer HRIS
    team") is a label, refused only whole; a person reporting is a name like an employee's.
    """
    names: list[str] = []
    labels: list[str] = []
    if ticket.reporter_name.strip():
        (labels if is_team_label(ticket.reporter_name) else names).append(ticket.reporter_name)
    names.extend(mentioned_employee_names(ticket.customer_id, [*_ticket_texts(ticket), *extra_texts]))
    emails: list[str] = [ticket.reporter_email] if ticket.reporter_email else []
    organisations: list[str] = [ticket.customer.name]
    organisations.extend(ticket.customer.company_sets.values_list("name", flat=True))
    for employee in ticket.employees.select_related("person"):
        names.append(f"{employee.first_name} {employee.last_name}")
        if employee.work_email:
            emails.append(employee.work_email)
        person = employee.person
        if person is not None:
            if person.work_email:
                emails.append(person.work_email)
            if person.display_name:
                names.append(person.display_name)
    organisations.extend(company.name for company in ticket.companies.all())
    extra_values: list[str] = []
    for _link, obj in evidence if evidence is not None else evidence_objects(ticket):
        result = getattr(obj, "result", None)
        if isinstance(result, dict):
            extra_values.extend(_pii_values(result))
    return KnownPii(
        names=tuple(n for n in names if n.strip()),
        emails=tuple(emails),
        phrases=tuple(p for p in extra_values if p),
        labels=tuple(labels),
        organisations=tuple(o for o in organisations if o),
    )


def _pii_values(data: Any, key: str = "") -> list[str]:
    """Walk a JSON value and return the strings stored under personal-looking keys."""
    out: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_pii_values(v, str(k).lower()))
    elif isinstance(data, list):
        for v in data:
            out.extend(_pii_values(v, key))
    elif (
        isinstance(data, str | int | float)
        and not isinstance(data, bool)
        and any(word in key for word in _PII_KEY_WORDS)
        and len(str(data).strip()) >= 3
    ):
        out.append(str(data).strip())
    return out


def escalation_input_for(
    ticket: Ticket, *, today: dt.date | None = None, extra_texts: Sequence[str] = ()
) -> EscalationInput:
    """Gather, from the ticket and its evidence, everything the Level 2 draft is made from.

    ``extra_texts`` (an edited body) are searched for employees' names too.
    """

    settings_row = support_settings_load()
    connection = _ticket_connection(ticket)
    provider = _provider_of(ticket, connection)
    evidence = evidence_objects(ticket)

    api_calls: list[ApiCallLine] = []
    events: list[EventLine] = []
    for link, obj in evidence:
        if obj is None:
            continue
        at = _timestamp(obj)
        if link.content_type.app_label == "integrations" and link.content_type.model == "apicall":
            uri = getattr(obj, "uri", "") or getattr(obj, "url", "")
            status = getattr(obj, "status", None) or getattr(obj, "status_code", None)
            api_calls.append(
                ApiCallLine(
                    method=str(getattr(obj, "method", "GET")),
                    uri=str(uri),
                    status=status if isinstance(status, int) else None,
                    at=at or link.created_at,
                )
            )
            continue
        label = str(obj._meta.verbose_name)
        state = getattr(obj, "state", "")
        if isinstance(state, str) and state:
            label += f" ({state})"
        events.append(EventLine(label=f"{label} recorded", at=at or link.created_at))
    first = "problem first detected by our system" if ticket.origin == "automatic" else "concern reported"
    events.append(EventLine(label=first, at=ticket.opened_at))
    if ticket.last_recurrence_at:
        events.append(
            EventLine(
                label=f"problem last observed ({ticket.recurrences} recurrence(s))",
                at=ticket.last_recurrence_at,
            )
        )

    log = [
        LogLine(at=entry.at, text=entry.text, customer=entry.customer_troubleshooting)
        for entry in ticket.log_entries.filter(
            kind__in=[TicketLogEntry.Kind.NOTE, TicketLogEntry.Kind.DIAGNOSTICS]
        )
    ]
    employees = list(ticket.employees.select_related("company"))
    company_ids = [c.external_id for c in ticket.companies.all()] + [e.company.external_id for e in employees]
    return EscalationInput(
        ticket_id=ticket.pk,
        provider_name=Provider(provider).label,
        provider_short_name=settings_row.short_name(provider),
        our_company_name=settings_row.our_company_name,
        to_address=settings_row.support_email(provider),
        category_label=ticket.get_category_display(),
        title=ticket.title,
        expected_result=ticket.expected_result,
        actual_result=ticket.actual_result,
        client_id=(connection.client_id or connection.username) if connection is not None else "",
        fragment_end=settings_row.client_id_fragment_end,
        log=log,
        company_ids=company_ids,
        employees=[
            EmployeeRef(company_id=e.company.external_id, employee_id=e.employee_id) for e in employees
        ],
        api_calls=api_calls,
        events=events,
        known_pii=known_pii_for(ticket, evidence, extra_texts=extra_texts),
        today=today or timezone.localdate(),
    )


def escalation_refusal_for(ticket: Ticket) -> str:
    """Why this ticket cannot be escalated to the provider ("" when it can): see ``escalation_refusal``."""
    return escalation_refusal(category=ticket.category, automatic_key=ticket.automatic_key)


def escalation_draft_for(ticket: Ticket) -> EscalationDraft:
    """Build the Level 2 draft of a ticket (nothing is saved)."""
    return escalation_draft_build(escalation_input_for(ticket))


def evidence_content_types() -> QuerySet[ContentType]:
    """Record types an agent may attach by hand (what the issue lists, plus diagnostics)."""
    wanted = [
        ("integrations", "apicall"),
        ("integrations", "syncrun"),
        ("integrations", "webhookevent"),
        ("payroll", "payrollbatch"),
        ("payroll", "importqueuerecord"),
        ("employees", "downstreamaction"),
        ("employees", "statusevent"),
        ("support", "diagnosticresult"),
    ]
    condition = Q(pk__in=[])
    for app_label, model in wanted:
        condition |= Q(app_label=app_label, model=model)
    return ContentType.objects.filter(condition)


LIST_LIMIT = 10


# --- support -------------------------------------------------------------------------------------------


@dataclass
class TicketMatrix:
    """Open tickets counted by category (rows) and state (columns), and by origin."""

    states: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    automatic: int = 0
    agent: int = 0

    @property
    def total(self) -> int:
        return self.automatic + self.agent


def open_ticket_matrix(user) -> TicketMatrix:
    """Open tickets by category x state and by origin (one query)."""
    states = [(s.value, s.label) for s in OPEN_STATES]
    matrix = TicketMatrix(states=states, totals={s: 0 for s, _ in states})
    cells: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s, _ in states})
    by_category_origin: dict[str, dict[str, int]] = defaultdict(
        lambda: {Origin.AUTOMATIC: 0, Origin.AGENT: 0}
    )
    rows = (
        scope_to_user(Ticket.objects.filter(state__in=OPEN_STATES), user)
        .values("category", "state", "origin")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        cells[row["category"]][row["state"]] += row["n"]
        by_category_origin[row["category"]][row["origin"]] += row["n"]
        matrix.totals[row["state"]] += row["n"]
        if row["origin"] == Origin.AUTOMATIC:
            matrix.automatic += row["n"]
        else:
            matrix.agent += row["n"]
    for value, label in Category.choices:
        if value not in cells:
            continue
        matrix.rows.append(
            {
                "category": value,
                "label": label,
                "cells": [cells[value][s] for s, _ in states],
                "total": sum(cells[value].values()),
                "automatic": by_category_origin[value][Origin.AUTOMATIC],
                "agent": by_category_origin[value][Origin.AGENT],
            }
        )
    return matrix


def oldest_open_tickets(user, *, limit: int = LIST_LIMIT) -> list[Ticket]:
    return list(
        scope_to_user(
            Ticket.objects.filter(state__in=OPEN_STATES).select_related("customer", "assignee"), user
        ).order_by("opened_at", "pk")[:limit]
    )


# --- the ticket page: employees' mini timelines beside their diagnostics, links to the fix ----------------

PANEL_EMPLOYEES = 5  # employees shown side by side on the ticket page (the rest: their timeline links)
PANEL_EVENTS = 8  # status events in each mini timeline (the latest ones)


def ticket_employee_panels(ticket: Ticket) -> list[dict[str, Any]]:
    """For each of the ticket's first employees: the latest status events and the latest diagnosis on the
    ticket, with its comparison rows and one-line verdict. Three queries, whatever the number of employees.
    """
    employees = list(ticket.employees.select_related("company").order_by("pk")[:PANEL_EMPLOYEES])
    ids = [e.pk for e in employees]
    events: dict[int, list[StatusEvent]] = defaultdict(list)
    for event in StatusEvent.objects.filter(employee_id__in=ids).order_by(
        "-effective_date", "-recorded_at", "-pk"
    ):
        if len(events[event.employee_id]) < PANEL_EVENTS:
            events[event.employee_id].append(event)
    latest: dict[int, DiagnosticResult] = {}
    for result in DiagnosticResult.objects.filter(ticket=ticket, employee_id__in=ids).order_by(
        "-created_at", "-pk"
    ):
        latest.setdefault(result.employee_id, result)
    panels = []
    for employee in employees:
        result = latest.get(employee.pk)
        panels.append(
            {
                "employee": employee,
                "events": list(reversed(events[employee.pk])),
                "diagnosis": result,
                "rows": (result.result or {}).get("comparison", []) if result else [],
                "verdict": verdict(result.result or {}, ok=result.ok, error=result.error) if result else "",
            }
        )
    return panels


def mapping_needed_target(ticket: Ticket) -> tuple[int | None, str, int] | None:
    """For a "mapping needed" ticket: (status code row id or None, the code, the company set id)."""
    kind, _, rest = ticket.automatic_key.partition(":")
    if kind != "mapping-needed":
        return None
    company_set_id, _, code = rest.partition(":")
    if not company_set_id.isdigit() or not code:
        return None
    row = (
        StatusCode.objects.filter(company_set_id=company_set_id, company__isnull=True, code=code)
        .values_list("pk", flat=True)
        .first()
    )
    return row, code, int(company_set_id)


EVIDENCE_PICK_LIMIT = 25  # the latest records of each kind offered in the evidence picker


def evidence_choices(ticket: Ticket) -> list[tuple[str, list[tuple[str, str]]]]:
    """Records of the ticket's customer an agent can attach, grouped by kind, latest first.

    Values are ``<content type id>:<pk>``; the ticket's employees come first, then the latest records of
    each kind (sync runs, webhook events, API calls, payroll batches, queue records, downstream actions,
    diagnostics). One query per kind, bounded by ``EVIDENCE_PICK_LIMIT``.
    """
    customer_id = ticket.customer_id
    # Payroll sits beside support in the layers (neither imports the other): its models by name.
    PayrollBatch = apps.get_model("payroll", "PayrollBatch")
    ImportQueueRecord = apps.get_model("payroll", "ImportQueueRecord")
    kinds = [
        (Employee, Employee.objects.filter(pk__in=ticket.employees.values("pk")).select_related("company")),
        (SyncRun, SyncRun.objects.filter(connection__customer_id=customer_id).select_related("connection")),
        (
            WebhookEvent,
            WebhookEvent.objects.filter(connection__customer_id=customer_id).select_related("connection"),
        ),
        (ApiCall, ApiCall.objects.filter(connection__customer_id=customer_id)),
        (PayrollBatch, PayrollBatch.objects.filter(company__company_set__customer_id=customer_id)),
        (
            ImportQueueRecord,
            ImportQueueRecord.objects.filter(connection__customer_id=customer_id),
        ),
        (DownstreamAction, DownstreamAction.objects.filter(customer_id=customer_id)),
        (ChangeBatch, ChangeBatch.objects.filter(customer_id=customer_id)),
        (DiagnosticResult, DiagnosticResult.objects.filter(ticket=ticket).select_related("company")),
    ]
    types = ContentType.objects.get_for_models(*(model for model, _ in kinds), for_concrete_models=False)
    groups = []
    for model, rows in kinds:
        content_type = types[model]
        items = rows.order_by("-pk")[:EVIDENCE_PICK_LIMIT]
        options = [(f"{content_type.pk}:{item.pk}", _evidence_option(item)) for item in items]
        if options:
            groups.append((str(model._meta.verbose_name_plural).capitalize(), options))
    return groups


def _evidence_option(item: Any) -> str:
    moment = _timestamp(item)
    when = f"{timezone.localtime(moment):%Y-%m-%d %H:%M} " if moment else ""
    return f"#{item.pk} {when}{item}"[:120]

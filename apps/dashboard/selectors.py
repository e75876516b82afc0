"""Reads behind the dashboard, the employee timeline and the sync run page, scoped to what the user may see.

Every function runs a fixed number of queries whatever the data size: counts are aggregated in the database
(``values().annotate()`` or correlated subqueries), lists are cut at a limit, and related rows come with
``select_related``. The dashboard's tests assert the same query count at two data sizes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from apps.companies.selectors import scope_to_user
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, Person, StatusEvent
from apps.implementations.models import ImplementationProject
from apps.implementations.phases import PHASE_ORDER, Phase
from apps.implementations.selectors import with_progress
from apps.integrations.models import ApiCall, Connection, SyncRun, WebhookEvent
from apps.mappings.models import StatusCode
from apps.support.models import OPEN_STATES, Category, Origin, Ticket

from . import timeline

LIST_LIMIT = 10
CONNECTION_LIMIT = 50
BOARD_LIMIT = 200
SECRET_WARNING_DAYS = 30
WEBHOOK_BACKLOG_STATES = (
    WebhookEvent.State.PENDING,
    WebhookEvent.State.PROCESSING,
    WebhookEvent.State.FAILED,
)


def _count_of(queryset: QuerySet, outer_field: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` rows whose ``outer_field`` is the outer row's pk."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- connections ---------------------------------------------------------------------------------------


@dataclass
class ConnectionHealth:
    """One connection's row on the dashboard."""

    connection: Connection
    last_run: SyncRun | None
    active_run: SyncRun | None
    webhook_backlog: int
    webhooks_dead: int
    hourly_calls: list[int]
    hour_starts: list[dt.datetime]
    per_hour: int
    per_day: int
    secret_days_left: int | None

    @property
    def calls_24h(self) -> int:
        return sum(self.hourly_calls)

    @property
    def peak_hour(self) -> int:
        return max(self.hourly_calls, default=0)

    @property
    def peak_percent_of_threshold(self) -> float:
        return 100 * self.peak_hour / self.per_hour if self.per_hour else 0.0

    @property
    def over_threshold(self) -> bool:
        return self.peak_hour > self.per_hour or self.calls_24h > self.per_day

    @property
    def secret_state(self) -> str:
        """ "expired", "expiring" (within SECRET_WARNING_DAYS), "ok" or "unknown"."""
        if self.secret_days_left is None:
            return "unknown"
        if self.secret_days_left < 0:
            return "expired"
        return "expiring" if self.secret_days_left <= SECRET_WARNING_DAYS else "ok"

    @property
    def problems(self) -> list[str]:
        """What needs a look, in words (empty when healthy)."""
        found = []
        if self.connection.circuit_state != "closed":
            found.append(f"circuit {self.connection.get_circuit_state_display().lower()}")
        if self.connection.last_auth_error:
            found.append("authentication failing")
        if self.secret_state == "expired":
            found.append("client secret expired")
        elif self.secret_state == "expiring":
            found.append(f"client secret expires in {self.secret_days_left} days")
        if self.webhooks_dead:
            found.append(f"{self.webhooks_dead} dead webhook event(s)")
        if self.last_run and self.last_run.state in (SyncRun.State.FAILED, SyncRun.State.PARTIAL):
            found.append(f"last sync {self.last_run.get_state_display().lower()}")
        if self.over_threshold:
            found.append("over the fair-use threshold")
        return found


def hour_starts(now: dt.datetime, hours: int = 24) -> list[dt.datetime]:
    """The starts of the last ``hours`` whole hours, the current one last."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - dt.timedelta(hours=hours - 1 - i) for i in range(hours)]


def connection_health(user, *, now: dt.datetime | None = None) -> list[ConnectionHealth]:
    """Connections the user may see with their last sync, webhook backlog, dead items and calls per hour.

    Three queries: the connections with correlated counts and run ids, the runs, the hourly call counts.
    """
    now = now or timezone.now()
    last_run = (
        SyncRun.objects.filter(connection=OuterRef("pk"))
        .exclude(state__in=SyncRun.ACTIVE_STATES)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    active_run = (
        SyncRun.objects.filter(connection=OuterRef("pk"), state__in=SyncRun.ACTIVE_STATES)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    connections = list(
        scope_to_user(Connection.objects.select_related("customer"), user)
        .annotate(
            last_run_id=Subquery(last_run),
            active_run_id=Subquery(active_run),
            backlog=_count_of(WebhookEvent.objects.filter(state__in=WEBHOOK_BACKLOG_STATES), "connection"),
            dead=_count_of(WebhookEvent.objects.filter(state=WebhookEvent.State.DEAD), "connection"),
        )
        .order_by("customer__name", "name")[:CONNECTION_LIMIT]
    )
    run_ids = {c.last_run_id for c in connections} | {c.active_run_id for c in connections}
    runs = {run.pk: run for run in SyncRun.objects.filter(pk__in=run_ids - {None})} if connections else {}
    starts = hour_starts(timezone.localtime(now))
    hourly: dict[int, list[int]] = defaultdict(lambda: [0] * len(starts))
    if connections:
        rows = (
            ApiCall.objects.filter(
                connection__in=[c.pk for c in connections], created_at__gte=starts[0], created_at__lte=now
            )
            .annotate(hour=TruncHour("created_at"))
            .values("connection_id", "hour")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            index = int((row["hour"] - starts[0]).total_seconds() // 3600)
            if 0 <= index < len(starts):
                hourly[row["connection_id"]][index] += row["n"]
    result = []
    for c in connections:
        per_hour, per_day = c.effective_fair_use
        days_left = (c.secret_expires_at - now).days if c.secret_expires_at else None
        result.append(
            ConnectionHealth(
                connection=c,
                last_run=runs.get(c.last_run_id),
                active_run=runs.get(c.active_run_id),
                webhook_backlog=c.backlog,
                webhooks_dead=c.dead,
                hourly_calls=list(hourly[c.pk]),
                hour_starts=starts,
                per_hour=per_hour,
                per_day=per_day,
                secret_days_left=days_left,
            )
        )
    return result


# --- lifecycle -----------------------------------------------------------------------------------------


def held_codes(user, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Unmapped codes with held events per company set (most events first), with the code's id to map it."""
    code_id = (
        StatusCode.objects.filter(
            standard=False,
            company_set_id=OuterRef("employee__company__company_set_id"),
            code=OuterRef("code"),
        )
        .order_by("company_id", "pk")
        .values("pk")[:1]
    )
    rows = (
        scope_to_user(StatusEvent.objects.filter(held=True), user, "employee__company__company_set__customer")
        .values(
            "code",
            "employee__company__company_set_id",
            "employee__company__company_set__name",
            "employee__company__company_set__customer__name",
        )
        .annotate(
            events=Count("pk"), employees=Count("employee", distinct=True), status_code_id=Subquery(code_id)
        )
        .order_by("-events", "code")[:limit]
    )
    return [
        {
            "code": row["code"],
            "company_set": row["employee__company__company_set__name"],
            "customer": row["employee__company__company_set__customer__name"],
            "events": row["events"],
            "employees": row["employees"],
            "status_code_id": row["status_code_id"],
        }
        for row in rows
    ]


def employee_counts(user) -> dict[str, int]:
    """Employees the user may see: total, held, needing review, out of scope (one query)."""
    return scope_to_user(Employee.objects.all(), user, "company__company_set__customer").aggregate(
        total=Count("pk"),
        held=Count("pk", filter=Q(held=True)),
        needs_review=Count("pk", filter=Q(needs_review=True)),
        out_of_scope=Count("pk", filter=Q(in_scope=False)),
    )


def employees_needing_review(user, *, limit: int = LIST_LIMIT) -> list[Employee]:
    return list(
        scope_to_user(
            Employee.objects.filter(needs_review=True).select_related("company"),
            user,
            "company__company_set__customer",
        ).order_by("-updated_at", "pk")[:limit]
    )


def action_counts(user) -> dict[str, int]:
    """Downstream actions by state (one query); every state present, zero when none."""
    counts = {state: 0 for state in DownstreamAction.State.values}
    rows = (
        scope_to_user(DownstreamAction.objects.all(), user).values("state").annotate(n=Count("pk")).order_by()
    )
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def batches_awaiting(user, *, limit: int = LIST_LIMIT) -> list[ChangeBatch]:
    """Mass changes held for an admin's approval, oldest first, with how many actions each holds."""
    return list(
        scope_to_user(
            ChangeBatch.objects.filter(state=ChangeBatch.State.AWAITING_APPROVAL)
            .select_related("customer")
            .annotate(
                held=Count("actions", filter=Q(actions__state=DownstreamAction.State.AWAITING_APPROVAL))
            ),
            user,
        ).order_by("created_at", "pk")[:limit]
    )


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


# --- implementations -----------------------------------------------------------------------------------


@dataclass
class BoardCard:
    project: ImplementationProject
    phase_done: int
    phase_total: int
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def implementation_board(user, *, limit: int = BOARD_LIMIT) -> list[dict[str, Any]]:
    """One column per phase, a card per open project with its progress (one query)."""
    projects = with_progress(
        scope_to_user(
            ImplementationProject.objects.exclude(state=ImplementationProject.State.CLOSED).select_related(
                "customer"
            ),
            user,
        )
    ).order_by("customer__name", "name", "pk")[:limit]
    columns = {phase: {"phase": phase, "label": Phase(phase).label, "cards": []} for phase in PHASE_ORDER}
    for project in projects:
        done = sum(getattr(project, f"progress_{phase}_done") for phase in PHASE_ORDER)
        total = sum(getattr(project, f"progress_{phase}_total") for phase in PHASE_ORDER)
        columns[project.phase]["cards"].append(
            BoardCard(
                project=project,
                phase_done=getattr(project, f"progress_{project.phase}_done"),
                phase_total=getattr(project, f"progress_{project.phase}_total"),
                done=done,
                total=total,
            )
        )
    return list(columns.values())


# --- employee timeline ---------------------------------------------------------------------------------


@dataclass
class PersonTimeline:
    """What the timeline page shows: the person (if linked), their records as lanes, and their actions."""

    employee: Employee
    person: Person | None
    lanes: list[timeline.Lane]
    actions: list[DownstreamAction]
    events_by_lane: dict[int, list[StatusEvent]]


def visible_employee(user, pk: int) -> Employee:
    """One employee of a customer the user may see (DoesNotExist otherwise), with company and person."""
    return scope_to_user(
        Employee.objects.select_related("company__company_set__customer", "person"),
        user,
        "company__company_set__customer",
    ).get(pk=pk)


def person_timeline(employee: Employee) -> PersonTimeline:
    """Every record of the employee's person (or the record alone), their events and the person's actions.

    Three queries whatever the history's length: records, events, actions.
    """
    if employee.person_id:
        records = list(
            Employee.objects.filter(person_id=employee.person_id)
            .select_related("company__company_set")
            .order_by("company__external_id", "employee_id", "pk")
        )
        actions = list(
            DownstreamAction.objects.filter(person_id=employee.person_id)
            .select_related("employee__company")
            .order_by("effective_date", "created_at", "pk")
        )
    else:
        records = [employee]
        actions = list(
            DownstreamAction.objects.filter(employee=employee)
            .select_related("employee__company")
            .order_by("effective_date", "created_at", "pk")
        )
    events: dict[int, list[StatusEvent]] = defaultdict(list)
    for event in StatusEvent.objects.filter(employee__in=[r.pk for r in records]).order_by(
        "effective_date", "recorded_at", "pk"
    ):
        events[event.employee_id].append(event)
    lanes = [
        timeline.Lane(
            pk=record.pk,
            label=f"{record.company.external_id} / {record.employee_id}",
            sublabel=record.company.name[:32],
            highlighted=record.pk == employee.pk,
            events=[
                timeline.EventPoint(
                    pk=e.pk,
                    code=e.code,
                    status_type=e.status_type,
                    effective_date=e.effective_date,
                    recorded_at=e.recorded_at,
                    held=e.held,
                    retroactive=e.retroactive,
                    released=e.released_at is not None,
                    transition=e.transition,
                    source=e.source,
                    change_reason=e.change_reason,
                )
                for e in events[record.pk]
            ],
        )
        for record in records
    ]
    return PersonTimeline(
        employee=employee,
        person=employee.person,
        lanes=lanes,
        actions=actions,
        events_by_lane={r.pk: events[r.pk] for r in records},
    )


# --- sync runs -----------------------------------------------------------------------------------------


def visible_sync_run(user, pk: int) -> SyncRun:
    """One sync run of a connection of a customer the user may see (DoesNotExist otherwise)."""
    return scope_to_user(
        SyncRun.objects.select_related("connection__customer", "company", "requested_by"),
        user,
        "connection__customer",
    ).get(pk=pk)


def sync_run_progress(run: SyncRun, *, error_limit: int = 50) -> dict[str, Any]:
    """The JSON the sync run page polls: state, counts, percentage and the last errors."""
    total = run.progress_total
    percent = None
    if total:
        percent = min(100, round(100 * run.progress_done / total))
    elif run.state not in SyncRun.ACTIVE_STATES:
        percent = 100
    errors = list(run.errors or [])[-error_limit:]
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "finished": run.state not in SyncRun.ACTIVE_STATES,
        "percent": percent,
        "progress_done": run.progress_done,
        "progress_total": total,
        "counts": {
            "fetched": run.fetched,
            "details_fetched": run.details_fetched,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "failed": run.failed,
        },
        "errors": [_error_line(entry) for entry in errors],
        "error_count": len(run.errors or []),
        "message": run.message,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
    }


def _error_line(entry: Any) -> dict[str, str]:
    """One error of a run as {where, error}: runs store dicts like {employee_id, error} or plain text."""
    if not isinstance(entry, dict):
        return {"where": "", "error": str(entry)}
    where = ", ".join(
        f"{key.replace('_', ' ')} {entry[key]}"
        for key in ("company", "employee_id", "page")
        if entry.get(key)
    )
    return {"where": where, "error": str(entry.get("error") or entry.get("reason") or entry)}

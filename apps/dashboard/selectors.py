"""Reads that only the dashboard's own pages need: the employee timeline and the sync run page.

The dashboard's sections compose the apps' own selectors (employees, integrations, support, implementations,
payroll); what stays here shapes rows for this app's pages (timeline lanes, the run's progress).

Every function runs a fixed number of queries whatever the data size: counts are aggregated in the database
(``values().annotate()`` or correlated subqueries), lists are cut at a limit, and related rows come with
``select_related``. The dashboard's tests assert the same query count at two data sizes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from apps.employees.models import DownstreamAction, Employee, Person, StatusEvent
from apps.integrations.models import SyncRun

from . import timeline

# --- employee timeline ---------------------------------------------------------------------------------


@dataclass
class PersonTimeline:
    """What the timeline page shows: the person (if linked), their records as lanes, and their actions."""

    employee: Employee
    person: Person | None
    lanes: list[timeline.Lane]
    actions: list[DownstreamAction]
    events_by_lane: dict[int, list[StatusEvent]]


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


# What a run counts, by kind (the progress line's unit).
RUN_UNITS = {"employees": "employees", "payroll-ongoing": "batches", "payroll-sync": "queue records"}


def sync_run_progress(run: SyncRun, *, error_limit: int = 50, now=None) -> dict[str, Any]:
    """The JSON the sync run page polls: state, counts, percentage, a wait on the provider, the last errors.

    A failed run has no percentage unless it had counted something (no "100%" for nothing done), and its
    error is the progress line. A run waiting on the provider's Retry-After says so, with the time left.
    """
    now = now or timezone.now()
    total = run.progress_total
    finished = run.state not in SyncRun.ACTIVE_STATES
    failed = run.state == SyncRun.State.FAILED
    percent = None
    if total:
        percent = min(100, round(100 * run.progress_done / total))
    elif finished and not failed:
        percent = 100
    waiting = None
    if not finished and run.waiting_until and run.waiting_until > now:
        left = max(1, round((run.waiting_until - now).total_seconds()))
        waiting = {"until": run.waiting_until.isoformat(), "seconds_left": left, "reason": run.waiting_reason}
    unit = RUN_UNITS.get(run.kind, "records")
    if waiting:
        progress_text = f"Waiting for the provider: {waiting['reason']}; {left} s left."
    elif failed:
        progress_text = f"Failed: {run.message}" if run.message else "Failed."
    elif total:
        progress_text = f"{run.progress_done} of {total} {unit}"
    elif finished:
        progress_text = "done"
    else:
        progress_text = f"counting the {unit}…"
    errors = list(run.errors or [])[-error_limit:]
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "finished": finished,
        "failed": failed,
        "percent": percent,
        "progress_done": run.progress_done,
        "progress_total": total,
        "progress_text": progress_text,
        "waiting": waiting,
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

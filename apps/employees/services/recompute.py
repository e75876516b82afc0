"""Recomputations without new records: future-dated events reaching their day, transfer windows expiring."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.companies.models import CompanySet

from ..lifecycle import Decision, StatusType
from ..models import (
    ChangeBatch,
    Employee,
    Person,
    StatusEvent,
    TransferWatch,
)
from ..records import ApplyResult
from ._core import (
    CHUNK_SIZE,
    _action,
    _context,
    _enqueue_drain,
    _events_for,
    _refresh,
    _state_of,
    _write_actions,
    change_batch,
)

# --- recomputations without new records -----------------------------------------------------------------


def _recompute_employees(
    *,
    company_set: CompanySet,
    employee_ids: Iterable[int],
    batch: ChangeBatch,
    cause: str,
    today: dt.date | None,
) -> ApplyResult:
    ctx = _context(company_set=company_set, batch=batch, cause=cause, today=today)
    ids = list(employee_ids)
    for start in range(0, len(ids), CHUNK_SIZE):
        employees = list(Employee.objects.filter(pk__in=ids[start : start + CHUNK_SIZE]))
        events = _events_for([e.pk for e in employees])
        histories = [(e, events.get(e.pk, [])) for e in employees]
        _refresh(ctx, histories, {e.pk: _state_of(e) for e in employees})
    return ctx.result


def status_events_activate(*, today: dt.date | None = None) -> int:
    """Let future-dated events take effect on their day: recompute employees whose status is stale.

    An employee is stale when an event effective on or before today is later than its current status
    date (or it has no current status yet). Runs daily; safe to run more often or twice.
    """
    today = today or timezone.localdate()
    stale = (
        StatusEvent.objects.filter(effective_date__lte=today, held=False)
        .filter(effective_date__gt=F("employee__status_effective_date"))
        .values_list("employee__company__company_set_id", "employee_id")
        .distinct()
    )
    none_yet = (
        StatusEvent.objects.filter(
            effective_date__lte=today, held=False, employee__status_effective_date__isnull=True
        )
        .values_list("employee__company__company_set_id", "employee_id")
        .distinct()
    )
    by_set: dict[int, set[int]] = defaultdict(set)
    for set_id, employee_id in [*stale, *none_yet]:
        by_set[set_id].add(employee_id)
    total = 0
    for set_id, ids in by_set.items():
        company_set = CompanySet.objects.select_related("customer").get(pk=set_id)
        with (
            transaction.atomic(),
            change_batch(
                customer=company_set.customer, cause=f"future-dated events effective {today}"
            ) as batch,
        ):
            result = _recompute_employees(
                company_set=company_set, employee_ids=ids, batch=batch, cause=batch.cause, today=today
            )
            total += len(ids)
            if result.actions:
                transaction.on_commit(_enqueue_drain)
    return total


def transfer_watches_expire(*, today: dt.date | None = None) -> int:
    """Deprovision persons whose transfer-out grace window passed without the matching hire."""
    today = today or timezone.localdate()
    expired = 0
    due = TransferWatch.objects.filter(state=TransferWatch.State.OPEN, expires_on__lt=today).select_related(
        "person__customer", "employee"
    )
    for watch in due:
        with transaction.atomic():
            locked = TransferWatch.objects.select_for_update().filter(
                pk=watch.pk, state=TransferWatch.State.OPEN
            )
            if not locked.exists():
                continue
            person = Person.objects.get(pk=watch.person_id)
            watch.state = TransferWatch.State.EXPIRED
            watch.resolved_at = timezone.now()
            watch.save(update_fields=["state", "resolved_at", "updated_at"])
            expired += 1
            if person.status_type == StatusType.ACTIVE:
                continue  # a hire arrived by another path; nothing to take away
            company_set = watch.employee.company.company_set
            with change_batch(
                customer=person.customer, cause=f"transfer grace expired for person {person.pk}"
            ) as b:
                ctx = _context(company_set=company_set, batch=b, cause=b.cause, today=today)
                _write_actions(
                    ctx, [_action(ctx, person, watch.employee, Decision.DEPROVISION, watch.effective_date)]
                )
    return expired

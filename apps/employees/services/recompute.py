"""Recomputations without new records: future-dated events reaching their day, transfer windows closing,
policy changes. Each recomputes what is derived and reconciles the persons (see ``reconcile.py``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.companies.models import CompanySet, Customer
from apps.core import destinations

from ..models import CauseType, ChangeBatch, DownstreamTarget, Employee, Person, StatusEvent, TransferWatch
from ..records import ApplyResult
from ._core import (
    CHUNK_SIZE,
    _context,
    _enqueue_drain,
    _events_for,
    _reconcile,
    _refresh,
    _state_of,
    change_batch,
    policy_for,
)
from .reconcile import Cause, persons_reconcile


def _recompute_employees(
    *,
    company_set: CompanySet,
    employee_ids: Iterable[int],
    batch: ChangeBatch,
    cause: str,
    today: dt.date | None,
    cause_type: str | None = None,
    cause_id: str | None = None,
    deprovision_unmanaged: frozenset[int] = frozenset(),
) -> ApplyResult:
    """Recompute the employees' derived fields, then reconcile their persons under one cause."""
    ctx = _context(
        company_set=company_set,
        batch=batch,
        cause=cause,
        today=today,
        cause_type=cause_type,
        cause_id=cause_id,
    )
    ids = list(employee_ids)
    for start in range(0, len(ids), CHUNK_SIZE):
        employees = list(Employee.objects.filter(pk__in=ids[start : start + CHUNK_SIZE]))
        events = _events_for([e.pk for e in employees])
        histories = [(e, events.get(e.pk, [])) for e in employees]
        _refresh(ctx, histories, {e.pk: _state_of(e) for e in employees})
    _reconcile(ctx, ctx.persons | deprovision_unmanaged, deprovision_unmanaged=deprovision_unmanaged)
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
                customer=company_set.customer,
                cause=f"future-dated events effective {today}",
                cause_type=CauseType.SCHEDULE,
                cause_id="employees.activate_future_events",
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
    """Reconcile persons whose transfer grace window has passed: deprovisioned unless a hire arrived.

    The window is a property of the status timeline (``lifecycle.desired_state``); this schedule only makes
    sure the persons whose window closed without any new fact are looked at again. Returns how many.
    """
    today = today or timezone.localdate()
    due = (
        TransferWatch.objects.filter(state=TransferWatch.State.OPEN, expires_on__lt=today)
        .values_list("person__customer_id", "person_id")
        .distinct()
    )
    by_customer: dict[int, set[int]] = defaultdict(set)
    for customer_id, person_id in due:
        by_customer[customer_id].add(person_id)
    for customer_id, person_ids in by_customer.items():
        persons_recheck(
            customer=Customer.objects.get(pk=customer_id),
            person_ids=person_ids,
            cause=Cause(
                CauseType.SCHEDULE, "employees.expire_transfer_windows", f"transfer grace expired {today}"
            ),
            today=today,
        )
    return sum(len(ids) for ids in by_customer.values())


def persons_recheck(
    *, customer: Customer, person_ids: Iterable[int], cause: Cause, today: dt.date | None = None
) -> ApplyResult:
    """Reconcile persons whose facts did not change (a schedule, a policy change) under one change batch."""
    result = ApplyResult()
    today = today or timezone.localdate()
    policy = policy_for(customer)
    with (
        transaction.atomic(),
        change_batch(customer=customer, cause=cause.label, cause_type=cause.type, cause_id=cause.id) as batch,
    ):
        outcome = persons_reconcile(
            customer=customer,
            person_ids=person_ids,
            today=today,
            now=timezone.now(),
            cause=cause,
            batch=batch,
            suspend_on_leave=policy.suspend_on_leave,
            grace_days=policy.transfer_grace_days,
        )
        result.actions, result.withdrawn = outcome.written, outcome.withdrawn
        if outcome.written:
            transaction.on_commit(_enqueue_drain)
    return result


def customer_persons_recheck(*, customer: Customer, cause: Cause) -> ApplyResult:
    """Reconcile every person of a customer (its leave policy or transfer window changed)."""
    ids = list(Person.objects.filter(customer=customer).values_list("pk", flat=True))
    return persons_recheck(customer=customer, person_ids=ids, cause=cause)


@transaction.atomic
def downstream_target_set(*, customer: Customer, acting_user=None, **fields) -> DownstreamTarget:
    """Create or change a customer's downstream target and policy; a policy change reconciles its persons.

    Changing the leave policy or the transfer grace window changes what every person's timeline asks for,
    so every person of the customer is reconciled (cause: policy), through the mass-change safeguard.
    """
    target, _ = DownstreamTarget.objects.get_or_create(customer=customer)
    before = (target.leave_policy, target.transfer_grace_days)
    for name, value in fields.items():
        if name == "signing_secret" and not value:
            continue
        setattr(target, name, value)
    if target.url:
        try:
            destinations.validate_url(target.url)
        except destinations.DestinationError as exc:
            raise ValidationError({"url": f"Not an allowed destination: {exc}."}) from exc
    target.full_clean()
    target.save()
    if (target.leave_policy, target.transfer_grace_days) != before:
        customer_persons_recheck(
            customer=customer,
            cause=Cause(CauseType.POLICY, str(target.pk), f"downstream policy of {customer} changed"),
        )
    return target

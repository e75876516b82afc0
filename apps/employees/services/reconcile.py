"""Reconcile persons: take the downstream from what it was last told to what the status timeline asks.

Every path that changes what the engine knows (a sync page, a webhook, a file, a mapping, a filter, an
approval, a schedule, a policy change) ends here with the persons it touched. Per person:

1. Lock the person row (two writers of one person queue up; the second reads what the first wrote).
2. Read all of the person's records and their whole history, the ledger (``Person.downstream_*``) and the
   actions written but never attempted (the pending tail).
3. ``lifecycle.desired_state`` says what the downstream should hold today; ``lifecycle.reconcile`` plans
   the withdrawal of a moot tail and the one action, if any, that closes the gap.
4. Write it: the action with the next ledger position (unique per person), its cause and driving events,
   the ledger, the person's desired state and its transfer window.

Nothing here looks at what changed in the call: the same facts give the same final actions however they were
split into calls or ordered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from apps.companies.models import Customer
from apps.core.bulk import bulk_insert_fast, bulk_update_fast

from .. import lifecycle
from ..lifecycle import Access, Decision, StatusType, Want
from ..models import (
    CauseType,
    ChangeBatch,
    DownstreamAction,
    DownstreamTarget,
    Employee,
    Person,
    StatusEvent,
    TransferWatch,
)

CHUNK = 1000
_PERSON_FIELDS = [
    "status_type",
    "status_changed_at",
    "downstream_access",
    "downstream_company",
    "downstream_since",
    "action_seq",
    "desired_access",
    "desired_since",
    "transfer_until",
    "reconciled_at",
]
_PERSON_ATTRS = [f if f != "downstream_company" else "downstream_company_id" for f in _PERSON_FIELDS[:-1]]


@dataclass(frozen=True)
class Cause:
    """What made the engine reconcile: a type (``CauseType``), the id of the object, and words for people."""

    type: str = CauseType.MANUAL
    id: str = ""
    label: str = ""


@dataclass
class ReconcileOutcome:
    written: int = 0
    staged: int = 0
    withdrawn: int = 0


def withdrawable(*, pushed: bool) -> Q:
    """Actions the downstream cannot have seen, so they may still be withdrawn.

    Staged and held actions are never visible as due. Pending ones count only when the customer's actions
    are pushed to a URL and no attempt has sent them; without a URL (export mode) a script may already have
    read a pending action through the API, so it stands and is corrected by a new action instead.
    """
    unseen = Q(state__in=[DownstreamAction.State.STAGED, DownstreamAction.State.AWAITING_APPROVAL])
    if pushed:
        unseen |= Q(state=DownstreamAction.State.PENDING)
    return unseen & Q(
        attempts=0,
        delivered_at__isnull=True,
        last_status_code__isnull=True,
        last_error="",
    )


def persons_reconcile(
    *,
    customer: Customer,
    person_ids: Iterable[int],
    today: dt.date,
    now: dt.datetime,
    cause: Cause,
    batch: ChangeBatch | None,
    suspend_on_leave: bool,
    grace_days: int,
    removals_pending: bool = False,
    deprovision_unmanaged: frozenset[int] = frozenset(),
) -> ReconcileOutcome:
    """Reconcile the given persons of one customer (see the module docstring); returns what it wrote.

    Removals (suspend, deprovision) are staged under ``batch`` for the mass-change safeguard, unless
    ``removals_pending`` (an approval, whose removals an admin has just allowed).
    """
    outcome = ReconcileOutcome()
    ids = sorted(set(person_ids))
    pushed = DownstreamTarget.objects.filter(customer=customer).exclude(url="").exists()
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            _reconcile_chunk(
                customer=customer,
                ids=ids[start : start + CHUNK],
                today=today,
                now=now,
                cause=cause,
                batch=batch,
                suspend_on_leave=suspend_on_leave,
                grace_days=grace_days,
                removals_pending=removals_pending,
                deprovision_unmanaged=deprovision_unmanaged,
                outcome=outcome,
                pushed=pushed,
            )
    return outcome


def _facts(person_ids: list[int]) -> tuple[dict, dict]:
    """The persons' records (as ``RecordFacts``) and every event of them by id."""
    records = list(
        Employee.objects.filter(person_id__in=person_ids).values_list(
            "pk", "person_id", "company_id", "in_scope"
        )
    )
    events_by_record: dict[int, list[lifecycle.Event]] = defaultdict(list)
    events_by_id: dict[int, lifecycle.Event] = {}
    rows = StatusEvent.objects.filter(employee_id__in=[r[0] for r in records]).values_list(
        "pk", "employee_id", "code", "status_type", "effective_date", "recorded_at"
    )
    for pk, employee_id, code, status_type, effective_date, recorded_at in rows:
        event = lifecycle.Event(
            code=code,
            status_type=StatusType(status_type) if status_type else None,
            effective_date=effective_date,
            recorded_at=recorded_at,
            order=pk,
            id=pk,
        )
        events_by_record[employee_id].append(event)
        events_by_id[pk] = event
    facts: dict[int, list[lifecycle.RecordFacts]] = defaultdict(list)
    for pk, person_id, company_id, in_scope in records:
        facts[person_id].append(
            lifecycle.RecordFacts(pk, company_id, in_scope, tuple(events_by_record.get(pk, ())))
        )
    return facts, events_by_id


def _reconcile_chunk(
    *,
    customer: Customer,
    ids: list[int],
    today: dt.date,
    now: dt.datetime,
    cause: Cause,
    batch: ChangeBatch | None,
    suspend_on_leave: bool,
    grace_days: int,
    removals_pending: bool,
    deprovision_unmanaged: frozenset[int],
    outcome: ReconcileOutcome,
    pushed: bool,
) -> None:
    persons = list(
        Person.objects.select_for_update()
        .filter(pk__in=ids, customer=customer)
        .order_by("pk")
        .only("pk", "customer_id", *_PERSON_FIELDS)
    )
    before = {p.pk: tuple(getattr(p, f) for f in _PERSON_ATTRS) for p in persons}
    if not persons:
        return
    person_ids = [p.pk for p in persons]
    facts, _ = _facts(person_ids)
    tails: dict[int, list[DownstreamAction]] = defaultdict(list)
    for action in (
        DownstreamAction.objects.select_for_update()
        .filter(withdrawable(pushed=pushed), person_id__in=person_ids)
        .order_by("person_id", "seq")
    ):
        tails[action.person_id].append(action)
    watches = {
        w.person_id: w
        for w in TransferWatch.objects.filter(person_id__in=person_ids, state=TransferWatch.State.OPEN)
    }
    new_actions: list[tuple[DownstreamAction, tuple[int, ...]]] = []
    withdrawn: list[DownstreamAction] = []
    reverted: list[Person] = []
    new_watches, changed_watches = [], []
    for person in persons:
        tail = tails.get(person.pk, [])
        if tail:
            baseline = (Access(tail[0].prior_access), tail[0].prior_company_id)
        else:
            baseline = (Access(person.downstream_access), person.downstream_company_id)
        records = facts.get(person.pk, [])
        desire = lifecycle.desired_state(
            records,
            today,
            suspend_on_leave=suspend_on_leave,
            grace_days=grace_days,
            ledger_company=baseline[1],
        )
        plan = lifecycle.reconcile(
            baseline,
            [lifecycle.Pending(Decision(a.action), a.effective_date, a.company_id) for a in tail],
            desire,
            deprovision_unmanaged_on=today if person.pk in deprovision_unmanaged else None,
        )
        if plan.withdraw:
            state, reason = _withdrawal(desire)
            for action in tail:
                action.state, action.withdrawn_reason, action.withdrawn_at = state, reason[:200], now
                action.next_attempt_at = None
                withdrawn.append(action)
            person.downstream_access, person.downstream_company_id = baseline
            if plan.write is None:
                reverted.append(person)  # its ledger date goes back to the last action still standing
        if plan.write is not None:
            new_actions.append(
                (
                    _action(person, plan.write, desire, customer, batch, cause, now, removals_pending),
                    desire.drivers,
                )
            )
            person.downstream_access = lifecycle.ACCESS_AFTER[plan.write.action].value
            person.downstream_company_id = plan.write.company
            person.downstream_since = plan.write.effective_date
        status = _person_status(records, today)
        if status != person.status_type:
            person.status_type, person.status_changed_at = status, now
        person.desired_access = desire.want.value
        person.desired_since = desire.since
        person.transfer_until = desire.until
        person.reconciled_at = now
        watch = watches.get(person.pk)
        if desire.want == Want.TRANSFERRING:
            if watch is None:
                new_watches.append(
                    TransferWatch(
                        person_id=person.pk,
                        employee_id=desire.record,
                        effective_date=desire.since,
                        expires_on=desire.until,
                    )
                )
            elif (watch.employee_id, watch.effective_date, watch.expires_on) != (
                desire.record,
                desire.since,
                desire.until,
            ):
                watch.employee_id, watch.effective_date, watch.expires_on = (
                    desire.record,
                    desire.since,
                    desire.until,
                )
                changed_watches.append(watch)
        elif watch is not None:
            watch.state = {
                Want.PROVISIONED: TransferWatch.State.MATCHED,
                Want.SUSPENDED: TransferWatch.State.MATCHED,
                Want.DEPROVISIONED: TransferWatch.State.EXPIRED,
            }.get(desire.want, TransferWatch.State.CANCELLED)
            watch.resolved_at = now
            changed_watches.append(watch)

    if withdrawn:
        bulk_update_fast(withdrawn, ["state", "withdrawn_reason", "withdrawn_at", "next_attempt_at"])
        outcome.withdrawn += len(withdrawn)
        _restore_since(reverted, {a.pk for a in withdrawn})
    if new_actions:
        rows = [action for action, _ in new_actions]
        bulk_insert_fast(rows)
        through = DownstreamAction.events.through
        through.objects.bulk_create(
            [
                through(downstreamaction_id=action.pk, statusevent_id=event_id)
                for action, drivers in new_actions
                for event_id in drivers
            ]
        )
        outcome.written += len(rows)
        outcome.staged += sum(a.state == DownstreamAction.State.STAGED for a in rows)
    # Only persons whose state moved are written (``reconciled_at`` alone does not make a write).
    changed = [p for p in persons if tuple(getattr(p, f) for f in _PERSON_ATTRS) != before[p.pk]]
    if changed:
        bulk_update_fast(changed, _PERSON_FIELDS)
    if new_watches:
        TransferWatch.objects.bulk_create(new_watches)
    if changed_watches:
        bulk_update_fast(
            changed_watches, ["state", "resolved_at", "employee", "effective_date", "expires_on"]
        )


def _withdrawal(desire: lifecycle.Desire) -> tuple[str, str]:
    if desire.want == Want.UNMANAGED:
        return DownstreamAction.State.CANCELLED, "no record of the person is in scope any more"
    since = f" since {desire.since.isoformat()}" if desire.since else ""
    return DownstreamAction.State.SUPERSEDED, f"moot before delivery: the person is now {desire.want}{since}"


def _restore_since(persons: list[Person], withdrawn_ids: set[int]) -> None:
    """After a withdrawal the ledger's date is that of the last action still standing."""
    last = {}
    for person_id, effective_date in (
        DownstreamAction.objects.filter(person_id__in=[p.pk for p in persons])
        .exclude(state__in=[DownstreamAction.State.SUPERSEDED, DownstreamAction.State.CANCELLED])
        .exclude(pk__in=withdrawn_ids)
        .order_by("person_id", "seq")
        .values_list("person_id", "effective_date")
    ):
        last[person_id] = effective_date
    for person in persons:
        person.downstream_since = last.get(person.pk)


def _person_status(records: list[lifecycle.RecordFacts], today: dt.date) -> str | None:
    types = []
    for record in records:
        if record.in_scope:
            events = lifecycle.effective_events(record.events, today)
            if events:
                types.append(events[-1].status_type)
    status = lifecycle.person_status(types)
    return status.value if status else None


def _action(
    person: Person,
    step: lifecycle.Step,
    desire: lifecycle.Desire,
    customer: Customer,
    batch: ChangeBatch | None,
    cause: Cause,
    now: dt.datetime,
    removals_pending: bool,
) -> DownstreamAction:
    person.action_seq += 1
    removing = step.action in lifecycle.REMOVING_DECISIONS and batch is not None and not removals_pending
    event = desire.event
    return DownstreamAction(
        customer=customer,
        person=person,
        employee_id=step.record,
        company_id=step.company,
        batch=batch,
        action=step.action.value,
        effective_date=step.effective_date,
        seq=person.action_seq,
        key=lifecycle.action_key(person.pk, person.action_seq, step.action.value, step.effective_date),
        state=DownstreamAction.State.STAGED if removing else DownstreamAction.State.PENDING,
        status_code=event.code if event and step.record else "",
        status_type=event.status_type.value if event and event.status_type and step.record else "",
        prior_access=person.downstream_access,
        prior_company_id=person.downstream_company_id,
        cause=cause.label[:200],
        cause_type=cause.type,
        cause_id=str(cause.id)[:64],
        next_attempt_at=None if removing else now,
    )

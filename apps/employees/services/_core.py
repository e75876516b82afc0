"""The one write path for employees, their history, persons and downstream actions (see __init__)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Company, CompanySet, Customer
from apps.core.bulk import bulk_insert_fast, bulk_update_fast
from apps.core.errors import ApplicationError
from apps.mappings.models import FilterRule, StatusCode, StatusMapping
from apps.mappings.rules import MappingTable, Rule, scope

from .. import delivery, hooks, lifecycle
from ..identity import identity_key, last4
from ..lifecycle import StatusType, Transition
from ..models import (
    CauseType,
    ChangeBatch,
    DownstreamAction,
    DownstreamTarget,
    Employee,
    Person,
    StatusEvent,
)
from ..records import (
    ApplyResult,
    EmployeeRecord,
    RecordRejection,
    Source,
    record_normalized,
    record_problems,
)
from .reconcile import Cause, persons_reconcile

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
EMPLOYEE_FIELDS = (
    "first_name",
    "last_name",
    "work_email",
    "employment_type",
    "benefit_class",
    "pay_group",
    "hire_date",
    "rehire_date",
    "termination_date",
)
# Fields the apply writes from a record (besides the derived ones).
WRITTEN_FIELDS = (
    *EMPLOYEE_FIELDS,
    "identity_key",
    "national_id_last4",
    "snapshot_hash",
    "last_seen_at",
    "details_refreshed_at",
)
DERIVED_FIELDS = (
    "status_code",
    "status_type",
    "status_effective_date",
    "decision_status_type",
    "decision_status_code",
    "held",
    "needs_review",
    "in_scope",
    "scope_reason",
    "person",
)


# --- policy and context ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A customer's lifecycle policy (its DownstreamTarget, or the defaults when it has none)."""

    suspend_on_leave: bool = True
    transfer_grace_days: int = 7
    mass_change_percent: int = 10
    mass_change_min_persons: int = 5


def policy_for(customer: Customer) -> Policy:
    target = DownstreamTarget.objects.filter(customer=customer).first()
    if target is None:
        return Policy()
    return Policy(
        suspend_on_leave=target.leave_policy == DownstreamTarget.LeavePolicy.SUSPEND,
        transfer_grace_days=target.transfer_grace_days,
        mass_change_percent=target.mass_change_percent,
        mass_change_min_persons=target.mass_change_min_persons,
    )


@dataclass
class _Context:
    company_set: CompanySet
    customer: Customer
    today: dt.date
    now: dt.datetime
    batch: ChangeBatch
    cause: str
    policy: Policy
    mappings: MappingTable
    rules: list[Rule]
    companies: dict[int, Company] = field(default_factory=dict)
    result: ApplyResult = field(default_factory=ApplyResult)
    held_codes: set[str] = field(default_factory=set)
    cause_type: str = CauseType.MANUAL
    cause_id: str = ""
    # Persons touched; reconciled after each chunk, or by the caller at the end when it defers.
    defer: bool = False
    persons: set[int] = field(default_factory=set)

    @property
    def cause_ref(self) -> Cause:
        return Cause(self.cause_type, self.cause_id, self.cause)


def _mapping_table(company_set: CompanySet) -> MappingTable:
    by_set, by_company = {}, {}
    for mapping in StatusMapping.objects.filter(company_set=company_set):
        if mapping.company_id:
            by_company[(mapping.company_id, mapping.code)] = StatusType(mapping.status_type)
        else:
            by_set[mapping.code] = StatusType(mapping.status_type)
    return MappingTable(by_set=by_set, by_company=by_company)


def _filter_rules(company_set: CompanySet) -> list[Rule]:
    return [
        Rule(
            id=r.pk,
            field=r.field,
            operator=r.operator,
            values=frozenset(map(str, r.values)),
            include=r.include,
        )
        for r in FilterRule.objects.filter(company_set=company_set, active=True)
    ]


def _context(
    *,
    company_set: CompanySet,
    batch: ChangeBatch,
    cause: str,
    today: dt.date | None,
    cause_type: str | None = None,
    cause_id: str | None = None,
    defer: bool = False,
) -> _Context:
    customer = company_set.customer
    return _Context(
        cause_type=cause_type or batch.cause_type,
        cause_id=str(cause_id if cause_id is not None else batch.cause_id),
        defer=defer,
        company_set=company_set,
        customer=customer,
        today=today or timezone.localdate(),
        now=timezone.now(),
        batch=batch,
        cause=cause,
        policy=policy_for(customer),
        mappings=_mapping_table(company_set),
        rules=_filter_rules(company_set),
        companies={c.pk: c for c in company_set.companies.all()},
    )


# --- change batches: the mass-change safeguard ----------------------------------------------------------


def change_batch_open(
    *, customer: Customer, cause: str, cause_type: str = CauseType.MANUAL, cause_id: str = ""
) -> ChangeBatch:
    """Open a cause of changes; removals written under it wait until it closes."""
    active = Person.objects.filter(customer=customer, status_type=StatusType.ACTIVE).count()
    return ChangeBatch.objects.create(
        customer=customer,
        cause=cause[:200],
        cause_type=cause_type,
        cause_id=str(cause_id)[:64],
        active_persons_before=active,
    )


@transaction.atomic
def change_batch_close(*, batch: ChangeBatch) -> ChangeBatch:
    """Release the batch's staged removals, or hold them all for approval when they exceed the threshold.

    The threshold is the customer's: more than ``mass_change_percent`` of its active persons (counted when
    the batch opened) and at least ``mass_change_min_persons`` persons.
    """
    staged = DownstreamAction.objects.filter(batch=batch, state=DownstreamAction.State.STAGED)
    removals = staged.values("person").distinct().count()
    policy = policy_for(batch.customer)
    over = removals >= policy.mass_change_min_persons and removals * 100 > (
        policy.mass_change_percent * batch.active_persons_before
    )
    now = timezone.now()
    if over:
        staged.update(state=DownstreamAction.State.AWAITING_APPROVAL, updated_at=now)
        batch.state = ChangeBatch.State.AWAITING_APPROVAL
        logger.warning("Mass change held for approval: %s removals in %s", removals, batch.cause)
    else:
        staged.update(state=DownstreamAction.State.PENDING, next_attempt_at=now, updated_at=now)
        batch.state = ChangeBatch.State.RELEASED
    batch.removals = removals
    batch.save(update_fields=["state", "removals", "updated_at"])
    # After the batch row says what happened: support is told (after commit), the drain delivers the rest.
    if over:
        hooks.mass_change_held(batch)
    elif removals:
        transaction.on_commit(_enqueue_drain)
    return batch


class change_batch:
    """``with change_batch(customer=..., cause=...) as batch:`` opens a batch and always closes it."""

    def __init__(self, *, customer: Customer, cause: str, cause_type: str = CauseType.MANUAL, cause_id=""):
        self.customer, self.cause, self.batch = customer, cause, None
        self.cause_type, self.cause_id = cause_type, str(cause_id)

    def __enter__(self) -> ChangeBatch:
        self.batch = change_batch_open(
            customer=self.customer, cause=self.cause, cause_type=self.cause_type, cause_id=self.cause_id
        )
        return self.batch

    def __exit__(self, exc_type, exc, tb) -> bool:
        # Whatever was applied before a failure is real and must flow (or be held) like the rest.
        change_batch_close(batch=self.batch)
        return False


@transaction.atomic
def change_batch_decide(
    *, batch: ChangeBatch, approve: bool, acting_user, reason: str = "", today: dt.date | None = None
) -> ChangeBatch:
    """Approve or reject a held mass change, recording who and why.

    Approving re-checks every held person against the facts of now: what is still desired is sent, what a
    later change made moot (a rehire meanwhile) is withdrawn as superseded with the reason. Rejecting
    settles the held actions: they are never delivered, and the engine does not propose the same change
    again until the person's desired state moves.
    """
    batch = ChangeBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != ChangeBatch.State.AWAITING_APPROVAL:
        raise ApplicationError(
            f"This change batch is {batch.get_state_display().lower()}, not awaiting approval."
        )
    if not approve and not reason.strip():
        raise ApplicationError("Say why the mass change is rejected.", extra={"field": "reason"})
    held = DownstreamAction.objects.filter(batch=batch, state=DownstreamAction.State.AWAITING_APPROVAL)
    now = timezone.now()
    if approve:
        # Re-check while they are still held (so moot ones can be withdrawn), then release the rest.
        person_ids = set(held.values_list("person_id", flat=True))
        policy = policy_for(batch.customer)
        persons_reconcile(
            customer=batch.customer,
            person_ids=person_ids,
            today=today or timezone.localdate(),
            now=now,
            cause=Cause(CauseType.APPROVAL, str(batch.pk), f"approval of change batch {batch.pk}"),
            batch=batch,
            suspend_on_leave=policy.suspend_on_leave,
            grace_days=policy.transfer_grace_days,
            removals_pending=True,
        )
        held.update(state=DownstreamAction.State.PENDING, next_attempt_at=now, updated_at=now)
        transaction.on_commit(_enqueue_drain)
    else:
        held.update(state=DownstreamAction.State.REJECTED, updated_at=now)
    batch.state = ChangeBatch.State.APPROVED if approve else ChangeBatch.State.REJECTED
    batch.decided_by = acting_user
    batch.decided_at = now
    batch.decision_reason = reason
    batch.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "updated_at"])
    hooks.mass_change_decided(batch, acting_user)
    return batch


def _enqueue_drain() -> None:
    delivery.enqueue_drain()


# --- the write path -------------------------------------------------------------------------------------


def employees_mark_seen(*, company: Company, employee_ids: Sequence[str]) -> int:
    """Record that a feed listed these employees (a routine sync that did not need their details)."""
    if not employee_ids:
        return 0
    return Employee.objects.filter(company=company, employee_id__in=list(employee_ids)).update(
        last_seen_at=timezone.now()
    )


def _cause(source: str, sync_run, webhook_event, acting_user, label: str = "") -> str:
    if label:
        return label
    if sync_run is not None:
        return f"sync run {sync_run.pk}"
    if webhook_event is not None:
        return f"webhook event {webhook_event.pk}"
    if acting_user is not None:
        return f"{source} by {acting_user}"
    return str(source)


def _snapshot_hash(record: EmployeeRecord, key: str) -> str:
    parts = [
        record.employee_id,
        record.status_code,
        str(record.status_effective_date),
        record.change_reason,
        key,
        *(str(getattr(record, name) or "") for name in EMPLOYEE_FIELDS),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _validate(index: int, record: EmployeeRecord, company: Company) -> str | None:
    if not (record.employee_id or "").strip():
        return "employee_id is required"
    if not (record.status_code or "").strip():
        return "status_code is required"
    if record.status_effective_date is None:
        return "status_effective_date is required"
    if record.company_external_id and record.company_external_id != company.external_id:
        return f"company {record.company_external_id} is not {company.external_id}"
    return record_problems(record)


def _cause_ref(sync_run, webhook_event, cause_type, cause_id) -> tuple[str | None, str | None]:
    if cause_type:
        return cause_type, str(cause_id or "")
    if sync_run is not None:
        return CauseType.SYNC_RUN, str(sync_run.pk)
    if webhook_event is not None:
        return CauseType.WEBHOOK_EVENT, str(webhook_event.pk)
    return None, None  # the batch's


def employee_records_apply(
    *,
    company: Company,
    records: Iterable[EmployeeRecord],
    source: str,
    sync_run=None,
    webhook_event=None,
    acting_user=None,
    details_fetched: bool = True,
    today: dt.date | None = None,
    batch: ChangeBatch | None = None,
    cause: str = "",
    cause_type: str | None = None,
    cause_id: str | None = None,
    reconcile: bool = True,
) -> ApplyResult:
    """Apply provider-neutral records of one company: upsert, history, persons, scope, then reconcile.

    1. Reject records without an employee ID, status code or effective date (recorded in the result).
    2. Per chunk: records whose snapshot is unchanged only touch ``last_seen_at``; the others upsert the
       employee and add a StatusEvent when (code, effective date) is new for the record.
    3. ``_refresh`` recomputes current status, transitions, scope and persons in bulk.
    4. The touched persons are reconciled (``reconcile.py``), unless the caller reconciles them itself
       once it has applied everything (``reconcile=False``: ``result.persons`` lists them).
    Runs in one transaction; removals are staged under ``batch`` (one is opened and closed here when the
    caller gives none). Applying the same records twice changes nothing.
    """
    source = Source(source)
    label = _cause(source, sync_run, webhook_event, acting_user, cause)
    kind, ref = _cause_ref(sync_run, webhook_event, cause_type, cause_id)
    records = list(records)
    with transaction.atomic():
        company = Company.objects.select_related("company_set__customer").get(pk=company.pk)
        own_batch = batch is None
        if own_batch:
            batch = change_batch_open(
                customer=company.company_set.customer,
                cause=label,
                cause_type=kind or CauseType.MANUAL,
                cause_id=ref or "",
            )
        ctx = _context(
            company_set=company.company_set,
            batch=batch,
            cause=label,
            today=today,
            cause_type=kind,
            cause_id=ref,
            defer=not reconcile,
        )
        for start in range(0, len(records), CHUNK_SIZE):
            _apply_chunk(ctx, company, records[start : start + CHUNK_SIZE], start, source, details_fetched)
        for code in sorted(ctx.held_codes):
            hooks.mapping_needed(ctx.company_set, code)
        if reconcile:
            _reconcile(ctx, ctx.persons)
        else:
            ctx.result.persons |= ctx.persons
        if own_batch:
            change_batch_close(batch=batch)
    if ctx.result.actions:
        transaction.on_commit(_enqueue_drain)
    return ctx.result


def persons_reconcile_in_batch(
    *, customer: Customer, person_ids, batch: ChangeBatch, today: dt.date | None = None
):
    """Reconcile persons under an open batch, with its cause (a file reconciles once, after all its rows)."""
    policy = policy_for(customer)
    outcome = persons_reconcile(
        customer=customer,
        person_ids=person_ids,
        today=today or timezone.localdate(),
        now=timezone.now(),
        cause=Cause(batch.cause_type, batch.cause_id, batch.cause),
        batch=batch,
        suspend_on_leave=policy.suspend_on_leave,
        grace_days=policy.transfer_grace_days,
    )
    if outcome.written:
        transaction.on_commit(_enqueue_drain)
    return outcome


def _reconcile(ctx: _Context, person_ids, *, deprovision_unmanaged: frozenset[int] = frozenset()) -> None:
    """Reconcile persons under the context's customer, policy, batch and cause; count what was written."""
    outcome = persons_reconcile(
        customer=ctx.customer,
        person_ids=person_ids,
        today=ctx.today,
        now=ctx.now,
        cause=ctx.cause_ref,
        batch=ctx.batch,
        suspend_on_leave=ctx.policy.suspend_on_leave,
        grace_days=ctx.policy.transfer_grace_days,
        deprovision_unmanaged=deprovision_unmanaged,
    )
    ctx.result.actions += outcome.written
    ctx.result.withdrawn += outcome.withdrawn


def _apply_chunk(
    ctx: _Context,
    company: Company,
    chunk: Sequence[EmployeeRecord],
    offset: int,
    source: Source,
    details_fetched: bool,
) -> None:
    result = ctx.result
    valid: list[tuple[EmployeeRecord, str, str]] = []  # (record, identity key, snapshot hash)
    for index, record in enumerate(chunk, start=offset):
        record = record_normalized(record)  # the hub's spelling of the employment type from here on
        reason = _validate(index, record, company)
        if reason:
            result.rejected.append(
                RecordRejection(index=index, employee_id=record.employee_id or "", reason=reason)
            )
            continue
        key = identity_key(record.national_id)
        valid.append((record, key, _snapshot_hash(record, key)))
    if not valid:
        return

    ids = {record.employee_id for record, _, _ in valid}
    existing = {e.employee_id: e for e in Employee.objects.filter(company=company, employee_id__in=ids)}
    per_employee: dict[str, list[tuple[EmployeeRecord, str, str]]] = defaultdict(list)
    for item in valid:
        per_employee[item[0].employee_id].append(item)

    unchanged_ids, changed = [], []
    for employee_id, items in per_employee.items():
        employee = existing.get(employee_id)
        if employee is not None and all(h == employee.snapshot_hash for _, _, h in items):
            unchanged_ids.append(employee.pk)
            result.unchanged += len(items)
        else:
            changed.append((employee_id, items))
    touch = {"last_seen_at": ctx.now}
    if details_fetched:
        touch["details_refreshed_at"] = ctx.now
    if unchanged_ids:
        Employee.objects.filter(pk__in=unchanged_ids).update(**touch)
    if not changed:
        return

    # Upsert the employees (new ones in one bulk insert, changed ones in one bulk update).
    new_employees, updated_employees = [], []
    old_state: dict[int, _Old] = {}
    for employee_id, items in changed:
        record, key, snapshot = items[-1]  # the last record of an employee in the chunk carries its fields
        employee = existing.get(employee_id)
        if employee is None:
            employee = Employee(company=company, employee_id=employee_id)
            new_employees.append(employee)
            result.created += 1
        else:
            old_state[employee.pk] = _state_of(employee)
            updated_employees.append(employee)
        for name in EMPLOYEE_FIELDS:
            setattr(employee, name, getattr(record, name) or ("" if name in _TEXT_FIELDS else None))
        if key:
            employee.identity_key = key
            employee.national_id_last4 = last4(record.national_id)
        employee.snapshot_hash = snapshot
        employee.last_seen_at = ctx.now
        if details_fetched:
            employee.details_refreshed_at = ctx.now
        existing[employee_id] = employee

    # New status events: only a (code, effective date) the record has not had yet.
    stored = _events_for([e.pk for e in updated_employees])
    histories: list[tuple[Employee, list[StatusEvent]]] = []
    new_events = []
    order = 0

    def observe(employee: Employee, history: list[StatusEvent], code: str, day: dt.date, reason: str) -> None:
        nonlocal order
        status_type = ctx.mappings.resolve(code, company.pk)
        order += 1
        event = StatusEvent(
            employee=employee,
            code=code,
            status_type=status_type.value if status_type else None,
            effective_date=day,
            recorded_at=ctx.now + dt.timedelta(microseconds=order),
            source=source,
            cause=ctx.cause[:120],
            change_reason=reason[:200],
            retroactive=latest is not None and day < latest,
            held=status_type is None,
        )
        if event.held:
            ctx.held_codes.add(code)
            result.held += 1
        history.append(event)
        new_events.append(event)

    for employee_id, items in changed:
        employee = existing[employee_id]
        history = stored.get(employee.pk, []) if employee.pk else []
        histories.append((employee, history))
        seen = {(ev.code, ev.effective_date) for ev in history}
        latest = max((ev.effective_date for ev in history), default=None)
        for record, _, _ in items:
            code = record.status_code.strip().upper()
            if (code, record.status_effective_date) in seen:
                continue
            seen.add((code, record.status_effective_date))
            observe(employee, history, code, record.status_effective_date, record.change_reason or "")
        # The last word of this call for a date must be the one in force for that date. A code seen before for
        # the same date (T entered by mistake, then A again, both dated today) is not new by (code, date), yet it
        # is news: record it again, later, so it wins the tie. Re-sending the same records adds nothing.
        last_word = {
            record.status_effective_date: record.status_code.strip().upper() for record, _, _ in items
        }
        for day, code in last_word.items():
            on_day = [ev for ev in history if ev.effective_date == day]
            in_force = max(on_day, key=lambda ev: (ev.recorded_at, ev.pk or 0), default=None)
            if in_force is not None and in_force.code != code:
                observe(
                    employee, history, code, day, "the same date's status again, after another (a correction)"
                )
    # An existing employee counts as updated when it got a new event or its fields changed.
    with_events = {ev.employee_id for ev in new_events}
    for employee in updated_employees:
        fields_changed = old_state[employee.pk].fields != tuple(getattr(employee, n) for n in EMPLOYEE_FIELDS)
        if employee.pk in with_events or fields_changed:
            result.updated += 1
        else:
            result.unchanged += 1
    result.events += len(new_events)
    if ctx.held_codes:
        _ensure_custom_codes(ctx, ctx.held_codes)
    _refresh(ctx, histories, old_state, new_events=new_events, new_employees=new_employees)


_TEXT_FIELDS = {"first_name", "last_name", "work_email", "employment_type", "benefit_class", "pay_group"}


@dataclass(frozen=True, slots=True)
class _Old:
    """What a record looked like before this change: its deciding status, scope and fields."""

    code: str
    status_type: StatusType | None
    in_scope: bool
    fields: tuple

    @property
    def scoped_type(self) -> StatusType | None:
        return self.status_type if self.in_scope else None


def _state_of(employee: Employee) -> _Old:
    return _Old(
        code=employee.decision_status_code,
        status_type=StatusType(employee.decision_status_type) if employee.decision_status_type else None,
        in_scope=employee.in_scope,
        fields=tuple(getattr(employee, n) for n in EMPLOYEE_FIELDS),
    )


def _events_for(employee_ids: list[int]) -> dict[int, list[StatusEvent]]:
    events: dict[int, list[StatusEvent]] = defaultdict(list)
    if employee_ids:
        for event in StatusEvent.objects.filter(employee_id__in=employee_ids).order_by(
            "effective_date", "recorded_at"
        ):
            events[event.employee_id].append(event)
    return events


def _ensure_custom_codes(ctx: _Context, codes: set[str]) -> None:
    """Unknown custom codes become StatusCode rows of the company set (unmapped) so people can map them."""
    known = set(
        StatusCode.objects.filter(
            company_set=ctx.company_set, company__isnull=True, code__in=codes
        ).values_list("code", flat=True)
    )
    # One save each (they are few, and only the first time a code is seen): the audit trail records them.
    for code in sorted(codes - known):
        if code not in lifecycle.STANDARD_CODES:
            StatusCode.objects.get_or_create(
                company_set=ctx.company_set,
                company=None,
                code=code,
                defaults={"description": "Seen in a feed; not yet described"},
            )


# --- recomputation: rules applied in bulk ---------------------------------------------------------------


def _as_rule_events(history: list[StatusEvent]) -> list[lifecycle.Event]:
    return [
        lifecycle.Event(
            code=ev.code,
            status_type=StatusType(ev.status_type) if ev.status_type else None,
            effective_date=ev.effective_date,
            recorded_at=ev.recorded_at,
            order=ev.pk or 0,
        )
        for ev in history
    ]


def _refresh(
    ctx: _Context,
    histories: list[tuple[Employee, list[StatusEvent]]],
    old_state: dict[int, _Old],
    new_events: list[StatusEvent] | None = None,
    new_employees: list[Employee] | None = None,
) -> None:
    """Recompute everything derived from the given employees' histories; note their persons to reconcile.

    1. Per employee: current status on ``ctx.today`` (held codes included, for display), the status that
       decides (mapped, not fringe, not future), transitions of its whole history, review flag, scope.
    2. Link employees without a person (employee ID in the set, identity key, work email, else new).
    3. Write employees and events in bulk; the persons are reconciled by the caller (``_reconcile``).
    """
    new_events = new_events or []
    new_event_ids = {id(ev) for ev in new_events}
    changed_events: list[StatusEvent] = []
    employees = [employee for employee, _ in histories]
    for employee, history in histories:
        history = sorted(history, key=lambda ev: (ev.effective_date, ev.recorded_at, ev.pk or 0))
        rule_events = _as_rule_events(history)
        transitions = lifecycle.classify_history(rule_events)
        current = lifecycle.current_event(rule_events, ctx.today)
        deciding_events = lifecycle.effective_events(rule_events, ctx.today)
        deciding = deciding_events[-1] if deciding_events else None
        for ev, transition in zip(history, transitions, strict=True):
            if ev.transition != transition:
                ev.transition = transition.value
                if ev.pk and id(ev) not in new_event_ids:
                    changed_events.append(ev)
            if transition == Transition.FRINGE and id(ev) in new_event_ids:
                employee.needs_review = True  # even a retro-dated fringe event deserves a look
        employee.status_code = current.code if current else ""
        employee.status_type = current.status_type.value if current and current.status_type else None
        employee.status_effective_date = current.effective_date if current else None
        employee.decision_status_type = deciding.status_type.value if deciding else None
        employee.decision_status_code = deciding.code if deciding else ""
        employee.held = any(ev.held for ev in history)
        in_scope, rule = scope(
            {
                "employment_type": employee.employment_type,
                "status_type": employee.decision_status_type,
                "benefit_class": employee.benefit_class,
                "company": ctx.companies[employee.company_id].external_id,
                "pay_group": employee.pay_group,
            },
            ctx.rules,
        )
        employee.in_scope = in_scope
        employee.scope_reason = (
            "" if rule is None else f"rule {rule.id}: {'include' if rule.include else 'exclude'} "
        )
        if rule is not None:
            employee.scope_reason += f"{rule.field} {rule.operator} {', '.join(sorted(rule.values))}"[:150]
    _link_persons(ctx, employees)
    # Write: new employees in one insert with every field, the others in one UPDATE ... FROM VALUES.
    new_employees = new_employees or []
    if new_employees:
        bulk_insert_fast(new_employees)
    fresh = {id(e) for e in new_employees}
    known = [e for e in employees if id(e) not in fresh]
    if known:
        bulk_update_fast(known, [*WRITTEN_FIELDS, *DERIVED_FIELDS])
    if new_events:
        bulk_insert_fast(new_events)  # with their transitions, computed above
    if changed_events:
        bulk_update_fast(changed_events, ["transition"])
    ctx.persons.update(e.person_id for e in employees)


def _link_persons(ctx: _Context, employees: list[Employee]) -> None:
    """Give every employee without a person one: same ID in the set, else identity key, else work email."""
    orphans = [e for e in employees if e.person_id is None]
    if not orphans:
        return
    set_company_ids = list(ctx.companies)
    by_employee_id: dict[str, int] = dict(
        Employee.objects.filter(
            company_id__in=set_company_ids,
            employee_id__in={e.employee_id for e in orphans},
            person__isnull=False,
        ).values_list("employee_id", "person_id")
    )
    keys = {e.identity_key for e in orphans if e.identity_key}
    emails = {e.work_email.lower() for e in orphans if e.work_email}
    by_key: dict[str, int] = {}
    by_email: dict[str, int] = {}
    if keys:
        by_key = dict(
            Person.objects.filter(customer=ctx.customer, identity_key__in=keys).values_list(
                "identity_key", "pk"
            )
        )
    if emails:
        by_email = {
            email: pk
            for email, pk in Person.objects.filter(customer=ctx.customer, work_email__in=emails).values_list(
                "work_email", "pk"
            )
        }
    to_create: list[tuple[Person, list[Employee]]] = []
    pending_by: dict[tuple[str, str], tuple[Person, list[Employee]]] = {}
    for employee in orphans:
        email = employee.work_email.lower()
        person_id = (
            by_employee_id.get(employee.employee_id)
            or (by_key.get(employee.identity_key) if employee.identity_key else None)
            or (by_email.get(email) if email else None)
        )
        if person_id:
            employee.person_id = person_id
            continue
        # Several new records of one human in the same chunk share one new person.
        match = (
            pending_by.get(("id", employee.employee_id))
            or (pending_by.get(("key", employee.identity_key)) if employee.identity_key else None)
            or (pending_by.get(("email", email)) if email else None)
        )
        if match is None:
            person = Person(
                customer=ctx.customer,
                identity_key=employee.identity_key,
                national_id_last4=employee.national_id_last4,
                work_email=email,
                display_name=f"{employee.first_name} {employee.last_name}".strip()[:200],
            )
            match = (person, [])
            to_create.append(match)
        match[1].append(employee)
        pending_by[("id", employee.employee_id)] = match
        if employee.identity_key:
            pending_by[("key", employee.identity_key)] = match
        if email:
            pending_by[("email", email)] = match
    if to_create:
        bulk_insert_fast([person for person, _ in to_create])
        for person, members in to_create:
            for employee in members:
                employee.person_id = person.pk


# --- review and targets ---------------------------------------------------------------------------------


@transaction.atomic
def employee_review_clear(*, employee: Employee, acting_user, note: str = "") -> Employee:
    """Mark a fringe change (T->L, T->XT) as reviewed."""
    employee.needs_review = False
    employee.save(update_fields=["needs_review", "updated_at"])
    return employee

"""Employee status rules as pure functions (no Django imports): the heart of who gets access.

Seed 002 defines six standard codes (A, T, D, R, L, XT), their types (Active, Leave, Terminated) and the
transition scenarios; DESIGN.md turns them into rules:

1. A record's current status is the event with the latest effective date on or before a given day; ties
   go to the latest recorded. Future-dated events wait for their day.
2. Each change of a record is classified (new hire, termination, leave, transfer out, rehire, ...). T->L and
   T->XT are fringe cases (admin error or retro-active correction): flagged for review, never acted on.
3. A person's status is the best of its in-scope records' types: Active > Leave > Terminated.
4. Decisions are level-triggered: ``desired_state`` reads the person's whole status timeline (all in-scope
   records, held, fringe and future events left out) and says what the downstream should hold today;
   ``reconcile`` compares that with the action ledger (what the downstream was last told) and returns the one
   action, if any, that takes it there. Nothing depends on how the facts were split into calls or ordered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from apps.mappings.codes import STANDARD_CODES, TRANSFER_CODE, StatusType


class Transition(StrEnum):
    NEW_HIRE = "new_hire"  # first sight of a record, Active
    FIRST_SEEN = "first_seen"  # first sight of a record in another status (history catching up)
    TERMINATION = "termination"  # A -> T (or D / R / a custom terminated code)
    LEAVE = "leave"  # A -> L
    TRANSFER_OUT = "transfer_out"  # A -> XT
    REHIRE = "rehire"  # T -> A
    RETURN_FROM_LEAVE = "return_from_leave"  # L -> A
    TERMINATION_ON_LEAVE = "termination_on_leave"  # L -> T
    TRANSFER_DURING_LEAVE = "transfer_during_leave"  # L -> XT
    REHIRE_INTO_ORIGINAL = "rehire_into_original"  # XT -> A
    FRINGE = "fringe"  # T -> L, T -> XT: review, never act
    SAME_TYPE = "same_type"  # T -> D, T -> R, A -> custom active code, ...: recorded only
    UNCHANGED = "unchanged"  # same code again (a correction of the date or reason)
    HELD = "held"  # the new code is unmapped: recorded, nothing derived


FRINGE_TRANSITIONS = frozenset({Transition.FRINGE})


class Decision(StrEnum):
    """The downstream actions (the outbox's ``action``)."""

    PROVISION = "provision"
    DEPROVISION = "deprovision"
    SUSPEND = "suspend"
    RESTORE = "restore"
    TRANSFER = "transfer"


# Actions that take access away: the mass-change safeguard counts these.
REMOVING_DECISIONS = frozenset({Decision.DEPROVISION, Decision.SUSPEND})


class Access(StrEnum):
    """What the downstream holds for a person (the action ledger's state)."""

    NONE = "none"  # never told anything
    PROVISIONED = "provisioned"
    SUSPENDED = "suspended"
    DEPROVISIONED = "deprovisioned"


class Want(StrEnum):
    """What the person's status timeline asks of the downstream today."""

    PROVISIONED = "provisioned"
    SUSPENDED = "suspended"
    DEPROVISIONED = "deprovisioned"
    TRANSFERRING = "transferring"  # last active record went XT, grace window open: keep what it holds
    UNMANAGED = "unmanaged"  # no in-scope record with a mapped status yet: the engine says nothing


# The access an action leaves the downstream in.
ACCESS_AFTER: dict[Decision, Access] = {
    Decision.PROVISION: Access.PROVISIONED,
    Decision.RESTORE: Access.PROVISIONED,
    Decision.TRANSFER: Access.PROVISIONED,
    Decision.SUSPEND: Access.SUSPENDED,
    Decision.DEPROVISION: Access.DEPROVISIONED,
}

_RANK = {StatusType.ACTIVE: 3, StatusType.LEAVE: 2, StatusType.TERMINATED: 1}


@dataclass(frozen=True, slots=True)
class Event:
    """One observed status of one record (the pure view of a StatusEvent)."""

    code: str
    status_type: StatusType | None  # None while the code is unmapped (held)
    effective_date: dt.date
    recorded_at: dt.datetime
    order: int = 0  # tie-breaker after recorded_at (insertion order within one transaction)
    id: int = 0  # the StatusEvent's pk (0 before it is saved)

    @property
    def held(self) -> bool:
        return self.status_type is None


def sort_key(event: Event) -> tuple:
    return (event.effective_date, event.recorded_at, event.order)


def current_event(events: Iterable[Event], on: dt.date, *, include_held: bool = True) -> Event | None:
    """Return the event in force on ``on``: latest effective date on or before it, ties to latest recorded."""
    best = None
    for event in events:
        if event.effective_date > on or (event.held and not include_held):
            continue
        if best is None or sort_key(event) > sort_key(best):
            best = event
    return best


def standard_type(code: str) -> StatusType | None:
    entry = STANDARD_CODES.get(code)
    return entry[1] if entry else None


def classify(
    previous_code: str | None,
    previous_type: StatusType | None,
    code: str,
    status_type: StatusType | None,
) -> Transition:
    """Classify one record's change from its previous status to a new one (seed 002's scenario table).

    Codes decide where seed 002 names them (XT is a transfer, not a plain termination); a custom code
    falls back to its mapped type. An unmapped new code is HELD. No previous status is a new hire (Active)
    or a first sighting.
    """
    if status_type is None:
        return Transition.HELD
    if previous_code is None or previous_type is None:
        return Transition.NEW_HIRE if status_type == StatusType.ACTIVE else Transition.FIRST_SEEN
    if previous_code == code:
        return Transition.UNCHANGED
    was_transfer = previous_code == TRANSFER_CODE
    is_transfer = code == TRANSFER_CODE
    active, leave, terminated = StatusType.ACTIVE, StatusType.LEAVE, StatusType.TERMINATED

    if previous_type == active:
        if is_transfer:
            return Transition.TRANSFER_OUT
        return {active: Transition.SAME_TYPE, leave: Transition.LEAVE, terminated: Transition.TERMINATION}[
            status_type
        ]
    if previous_type == leave:
        if is_transfer:
            return Transition.TRANSFER_DURING_LEAVE
        return {
            active: Transition.RETURN_FROM_LEAVE,
            leave: Transition.SAME_TYPE,
            terminated: Transition.TERMINATION_ON_LEAVE,
        }[status_type]
    # previous type is Terminated (T, D, R, XT or a custom terminated code)
    if status_type == active:
        return Transition.REHIRE_INTO_ORIGINAL if was_transfer else Transition.REHIRE
    if status_type == leave or is_transfer:
        return Transition.FRINGE
    return Transition.SAME_TYPE


def classify_history(events: Sequence[Event]) -> list[Transition]:
    """Classify every event of one record against the status it changes from (in effective-date order).

    Held events are classified HELD and fringe events FRINGE; neither becomes the "previous" status: the
    record's last mapped, non-fringe status is what a later event changes from (a T, a fringe L, then an A
    is a rehire). Returns the transitions in the order of ``sorted(events, key=sort_key)``.
    """
    result = []
    previous: Event | None = None
    for event in sorted(events, key=sort_key):
        transition = classify(
            previous.code if previous else None,
            previous.status_type if previous else None,
            event.code,
            event.status_type,
        )
        result.append(transition)
        if transition not in (Transition.HELD, Transition.FRINGE):
            previous = event
    return result


def effective_events(events: Iterable[Event], today: dt.date) -> list[Event]:
    """The events that decide: mapped, not fringe, effective on or before ``today``, in timeline order."""
    ordered = sorted(events, key=sort_key)
    return [
        event
        for event, transition in zip(ordered, classify_history(ordered), strict=True)
        if transition not in (Transition.HELD, Transition.FRINGE) and event.effective_date <= today
    ]


def person_status(types: Iterable[StatusType | None]) -> StatusType | None:
    """Return the best status over a person's in-scope records: Active > Leave > Terminated (None: none)."""
    best = None
    for status in types:
        if status is not None and (best is None or _RANK[status] > _RANK[best]):
            best = status
    return best


# --- level-triggered decisions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """One employee record of a person: where it is, whether it is in scope, and its whole history."""

    record: int
    company: int
    in_scope: bool
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Desire:
    """What the downstream should hold for a person today, and why.

    ``since`` is the first day of the status it enacts (an action's effective date); ``record`` and
    ``event`` name the record and event that enact it; ``transfer_since`` is the day the person's access
    moved away from the ledger's company (a transfer's date); ``until`` is the last day of an open transfer
    window; ``drivers`` are the ids of the events in force on every in-scope record (the facts it reads).
    """

    want: Want
    since: dt.date | None = None
    company: int | None = None
    record: int | None = None
    event: Event | None = None
    transfer_since: dt.date | None = None
    until: dt.date | None = None
    drivers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Point:
    """The person's status on one change date: the best type and the records holding it."""

    day: dt.date
    status: StatusType
    best: tuple[int, ...]  # records whose status is the person's status (sorted)
    xt: bool  # some record went XT on this day


def _record_status_at(events: Sequence[Event], day: dt.date) -> Event | None:
    current = None
    for event in events:  # in timeline order
        if event.effective_date > day:
            break
        current = event
    return current


def _changed_on(events: Sequence[Event], day: dt.date) -> Event | None:
    """The record's event on ``day`` if it changed the record's status type that day (or first showed it).

    A second XT re-dated on a record already transferred out is not a change: it must not make a person
    whose last active record was terminated otherwise look like a transfer.
    """
    current = _record_status_at(events, day)
    if current is None or current.effective_date != day:
        return None
    before = _record_status_at(events, day - dt.timedelta(days=1))
    if before is not None and before.status_type == current.status_type:
        return None
    return current


def _run_start(events: Sequence[Event], status: StatusType, day: dt.date) -> dt.date:
    """The first day of the record's current run of ``status`` as of ``day``."""
    start = day
    for event in reversed([e for e in events if e.effective_date <= day]):
        if event.status_type != status:
            break
        start = event.effective_date
    return start


def desired_state(
    records: Sequence[RecordFacts],
    today: dt.date,
    *,
    suspend_on_leave: bool = True,
    grace_days: int = 7,
    ledger_company: int | None = None,
) -> Desire:
    """Read a person's status timeline and say what the downstream should hold today.

    1. Only in-scope records count, and of their events only the effective ones (mapped, not fringe, not in
       the future). No such event: UNMANAGED.
    2. On every change date the person's status is the best of its records' (Active > Leave > Terminated).
    3. Active: PROVISIONED. Leave: SUSPENDED (or PROVISIONED when the customer keeps access on leave).
       Terminated: DEPROVISIONED from the first day of the Terminated run, unless the run began with an XT
       (a transfer out) and its grace window is still open: TRANSFERRING until ``start + grace_days``.
    4. ``since`` is where the final run of the same access began; a transfer gap closed by a hire within the
       grace window does not break a run. The company is the ledger's while one of its records still holds
       the person's status (no churn between two jobs), else the record holding it longest.
    """
    facts = {
        r.record: (r, effective_events(r.events, today)) for r in sorted(records, key=lambda r: r.record)
    }
    facts = {k: v for k, v in facts.items() if v[0].in_scope and v[1]}
    if not facts:
        return Desire(Want.UNMANAGED)
    days = sorted({e.effective_date for _, events in facts.values() for e in events})
    points: list[_Point] = []
    for day in days:
        statuses = {}
        xt = False
        for record, (_, events) in facts.items():
            current = _record_status_at(events, day)
            if current is None:
                continue
            statuses[record] = current.status_type
            changed = _changed_on(events, day)
            xt = xt or (changed is not None and changed.code == TRANSFER_CODE)
        best = person_status(statuses.values())
        points.append(_Point(day, best, tuple(r for r, t in statuses.items() if t == best), xt))

    def access(point: _Point) -> Want:
        if point.status == StatusType.ACTIVE:
            return Want.PROVISIONED
        if point.status == StatusType.LEAVE:
            return Want.SUSPENDED if suspend_on_leave else Want.PROVISIONED
        return Want.DEPROVISIONED

    # Runs: consecutive points of the same access; a Terminated run remembers whether it began with an XT.
    runs: list[tuple[dt.date, Want, bool]] = []
    for point in points:
        want = access(point)
        if not runs or runs[-1][1] != want:
            runs.append((point.day, want, point.xt))
    start, want, via_xt = runs[-1]
    last = points[-1]
    drivers = tuple(sorted(events[-1].id for _, events in facts.values()))
    if want == Want.DEPROVISIONED:
        # The record whose event began the Terminated run enacts it (an XT one when the run began with XT).
        starters = []
        for record, (_, events) in facts.items():
            event = _changed_on(events, start)
            if event is not None:
                company = facts[record][0].company
                # Not by recorded_at: which record arrived first must not decide (lowest company wins).
                starters.append((via_xt and event.code == TRANSFER_CODE, -company, -record, event))
        *_, record, event = max(starters)
        record = -record
        company = facts[record][0].company
        if via_xt and not transfer_grace_expired(start, grace_days, today):
            until = start + dt.timedelta(days=grace_days)
            return Desire(Want.TRANSFERRING, start, company, record, event, None, until, drivers)
        return Desire(Want.DEPROVISIONED, start, company, record, event, None, None, drivers)

    # Provisioned or suspended: the run may reach back over transfer gaps closed within the window.
    index = len(runs) - 1
    while index > 0:
        previous = runs[index - 1]
        if previous[1] == want:
            start, index = previous[0], index - 1
            continue
        gap_closed = (
            previous[1] == Want.DEPROVISIONED
            and previous[2]
            and index >= 2
            and runs[index - 2][1] == want
            and (runs[index][0] - previous[0]).days <= grace_days
        )
        if not gap_closed:
            break
        start, index = runs[index - 2][0], index - 2

    status = last.status
    holders = [(r, facts[r]) for r in last.best]
    by_ledger = [r for r, (f, _) in holders if f.company == ledger_company]
    if by_ledger:
        record = by_ledger[0]
    else:
        record = min(
            holders, key=lambda item: (_run_start(item[1][1], status, today), item[1][0].company, item[0])
        )[0]
    company = facts[record][0].company
    transfer_since = None
    if ledger_company is not None and company != ledger_company:
        left = None
        for point in points:
            if any(facts[r][0].company == ledger_company for r in point.best) and access(point) == want:
                left = None
            elif left is None:
                left = point.day
        transfer_since = max(left or start, start, _run_start(facts[record][1], status, today))
    event = facts[record][1][-1]
    return Desire(want, start, company, record, event, transfer_since, None, drivers)


@dataclass(frozen=True, slots=True)
class Step:
    """One action to write: what, from which day, enacted by which record and company."""

    action: Decision
    effective_date: dt.date
    company: int | None
    record: int | None


def step(access: Access, company: int | None, desire: Desire) -> Step | None:
    """The one action that takes the downstream from ``access`` (at ``company``) to ``desire``, if any.

    Never told, suspended or deprovisioned persons are not suspended or deprovisioned again: there is
    nothing to take away. A person the downstream does not hold is provisioned, not restored.
    """
    want = desire.want
    if want == Want.PROVISIONED:
        if access == Access.PROVISIONED:
            if company is not None and desire.company != company:
                return Step(Decision.TRANSFER, desire.transfer_since, desire.company, desire.record)
            return None
        action = Decision.RESTORE if access == Access.SUSPENDED else Decision.PROVISION
        return Step(action, desire.since, desire.company, desire.record)
    if want == Want.SUSPENDED and access == Access.PROVISIONED:
        return Step(Decision.SUSPEND, desire.since, desire.company, desire.record)
    if want == Want.DEPROVISIONED and access in (Access.PROVISIONED, Access.SUSPENDED):
        return Step(Decision.DEPROVISION, desire.since, desire.company, desire.record)
    return None


@dataclass(frozen=True, slots=True)
class Pending:
    """An action already written but never attempted (so it can still be withdrawn)."""

    action: Decision
    effective_date: dt.date
    company: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """What reconciling one person does: withdraw its unattempted actions, and write at most one."""

    withdraw: bool
    write: Step | None


def reconcile(
    baseline: tuple[Access, int | None],
    pending: Sequence[Pending],
    desire: Desire,
    *,
    deprovision_unmanaged_on: dt.date | None = None,
) -> Plan:
    """Compare the ledger with the desired state and plan the actions that take one to the other.

    ``baseline`` is what the downstream holds once every action it may have seen is counted (delivered,
    failing, dead, rejected); ``pending`` the actions written after it that no attempt has sent yet.
    1. A transfer window keeps everything as it is.
    2. The action needed from the baseline is computed; if the pending actions are exactly that action,
       nothing changes (retries and re-applies are idempotent); otherwise they are withdrawn and the needed
       action, if any, is written. A termination corrected before delivery is thus withdrawn, not
       followed by a provision.
    3. An unmanaged person (left scope) gets nothing, unless the consultant asked to deprovision people
       the downstream still holds (``deprovision_unmanaged_on``).
    """
    access, company = baseline
    if desire.want == Want.TRANSFERRING:
        return Plan(False, None)
    if desire.want == Want.UNMANAGED:
        needed = None
        if deprovision_unmanaged_on is not None and access in (Access.PROVISIONED, Access.SUSPENDED):
            needed = Step(Decision.DEPROVISION, deprovision_unmanaged_on, company, None)
    else:
        needed = step(access, company, desire)
    if needed is None:
        return Plan(bool(pending), None)
    if len(pending) == 1 and pending[0] == Pending(needed.action, needed.effective_date, needed.company):
        return Plan(False, None)
    return Plan(bool(pending), needed)


def transfer_grace_expired(started: dt.date, grace_days: int, today: dt.date) -> bool:
    """A transfer-out waits ``grace_days`` after its effective date for the matching hire."""
    return today > started + dt.timedelta(days=grace_days)


def action_key(person_id: int, seq: int, action: str, effective_date: dt.date) -> str:
    """The idempotency key of a downstream action: person + ledger position (+ action and date to read).

    The ledger position is unique per person, so a second deprovision after a rehire is a new action with
    a new key, while a retry of the same action keeps its key (the receiver's ``webhook-id``).
    """
    return f"p{person_id}-{seq}-{action}-{effective_date.isoformat()}"

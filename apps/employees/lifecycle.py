"""Employee status rules as pure functions (no Django imports): the heart of who gets access.

Seed 002 defines six standard codes (A, T, D, R, L, XT), their types (Active, Leave, Terminated) and the
transition scenarios; DESIGN.md turns them into rules:

1. A record's current status is the event with the latest effective date on or before a given day; ties
   go to the latest recorded. Future-dated events wait for their day.
2. Each change of a record is classified (new hire, termination, leave, transfer out, rehire, ...). T->L and
   T->XT are fringe cases (admin error or retro-active correction): flagged for review, never acted on.
3. A person's status is the best of its in-scope records' types: Active > Leave > Terminated.
4. Decisions act on persons: provision / deprovision / suspend / restore / transfer / nothing, from the
   person's status before and after, with the transfer grace rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class StatusType(StrEnum):
    ACTIVE = "active"
    LEAVE = "leave"
    TERMINATED = "terminated"


# Seed 002's standard codes: code -> (description, type).
STANDARD_CODES: dict[str, tuple[str, StatusType]] = {
    "A": ("Active", StatusType.ACTIVE),
    "T": ("Terminated", StatusType.TERMINATED),
    "D": ("Deceased", StatusType.TERMINATED),
    "R": ("Retired", StatusType.TERMINATED),
    "L": ("Leave of Absence", StatusType.LEAVE),
    "XT": ("Transferred", StatusType.TERMINATED),
}
TRANSFER_CODE = "XT"


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
    PROVISION = "provision"
    DEPROVISION = "deprovision"
    SUSPEND = "suspend"
    RESTORE = "restore"
    TRANSFER = "transfer"
    WAIT_FOR_TRANSFER = "wait_for_transfer"  # a transfer out: wait the grace window for the matching hire
    NOTHING = "nothing"


# Actions written to the outbox (WAIT_FOR_TRANSFER and NOTHING write none).
ACTING_DECISIONS = frozenset(
    {Decision.PROVISION, Decision.DEPROVISION, Decision.SUSPEND, Decision.RESTORE, Decision.TRANSFER}
)
# Actions that take access away: the mass-change safeguard counts these.
REMOVING_DECISIONS = frozenset({Decision.DEPROVISION, Decision.SUSPEND})

_RANK = {StatusType.ACTIVE: 3, StatusType.LEAVE: 2, StatusType.TERMINATED: 1}


@dataclass(frozen=True, slots=True)
class Event:
    """One observed status of one record (the pure view of a StatusEvent)."""

    code: str
    status_type: StatusType | None  # None while the code is unmapped (held)
    effective_date: dt.date
    recorded_at: dt.datetime
    order: int = 0  # tie-breaker after recorded_at (insertion order within one transaction)

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
    """Classify every event of one record against the mapped event before it (in effective-date order).

    Held events are classified HELD and skipped as "previous": the record's last mapped status is what a
    later event changes from. Returns the transitions in the order of ``sorted(events, key=sort_key)``.
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
        if not event.held:
            previous = event
    return result


def person_status(types: Iterable[StatusType | None]) -> StatusType | None:
    """Return the best status over a person's in-scope records: Active > Leave > Terminated (None: none)."""
    best = None
    for status in types:
        if status is not None and (best is None or _RANK[status] > _RANK[best]):
            best = status
    return best


@dataclass(frozen=True, slots=True)
class PersonChange:
    """What changed for one person in one apply: status before and after, and why."""

    before: StatusType | None
    after: StatusType | None
    active_companies_before: frozenset = frozenset()  # companies where the person had an Active record
    active_companies_after: frozenset = frozenset()
    transitions: frozenset[Transition] = frozenset()  # the record transitions that caused the change
    transfer_pending: bool = False  # an open transfer-out grace window exists for this person
    had_access: bool = True  # the person was provisioned before (a first sighting on leave was not)


def decide(change: PersonChange, *, suspend_on_leave: bool = True) -> Decision:
    """Decide the downstream action for one person's change.

    1. A fringe transition (T->L, T->XT) is reviewed, never acted on.
    2. Into Active: restore after leave (provision if the person never had access: first seen on leave),
       transfer if a transfer-out is waiting (the matching hire), else provision.
    3. Active to Active where a company left the active set (an XT while another record is Active):
       transfer. A second Active record alone (the hire arriving before the XT) changes nothing yet.
    4. Into Leave from Active: suspend (or nothing when the customer keeps access on leave).
    5. Into Terminated: a transfer out (XT) with no other Active record waits the grace window; else
       deprovision. Terminated with no person status before (first sight of old history): nothing.
    """
    before, after = change.before, change.after
    if change.transitions & FRINGE_TRANSITIONS:
        return Decision.NOTHING
    if after == StatusType.ACTIVE:
        if before == StatusType.ACTIVE:
            # A company left the person's active set while another remains: the person moved.
            if change.active_companies_before - change.active_companies_after:
                return Decision.TRANSFER
            return Decision.NOTHING
        if change.transfer_pending:
            return Decision.TRANSFER
        if before == StatusType.LEAVE and change.had_access:
            return Decision.RESTORE if suspend_on_leave else Decision.NOTHING
        return Decision.PROVISION
    if after == StatusType.LEAVE:
        if before == StatusType.ACTIVE:
            return Decision.SUSPEND if suspend_on_leave else Decision.NOTHING
        return Decision.NOTHING
    if after == StatusType.TERMINATED:
        if before not in (StatusType.ACTIVE, StatusType.LEAVE):
            return Decision.NOTHING
        transferring = change.transitions & {Transition.TRANSFER_OUT, Transition.TRANSFER_DURING_LEAVE}
        if transferring:
            return Decision.WAIT_FOR_TRANSFER
        return Decision.DEPROVISION
    return Decision.NOTHING


def transfer_grace_expired(started: dt.date, grace_days: int, today: dt.date) -> bool:
    """A transfer-out waits ``grace_days`` after its effective date for the matching hire."""
    return today > started + dt.timedelta(days=grace_days)


def action_key(person_id: int, action: str, effective_date: dt.date) -> str:
    """The idempotency key of a downstream action: person + action + effective date."""
    return f"p{person_id}-{action}-{effective_date.isoformat()}"

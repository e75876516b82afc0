"""The pure lifecycle rules: seed 002's scenario table row by row, person status, decisions, properties."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.employees import lifecycle
from apps.employees.lifecycle import Event, StatusType, Transition

A, L, T = StatusType.ACTIVE, StatusType.LEAVE, StatusType.TERMINATED
TYPES = {"A": A, "T": T, "D": T, "R": T, "L": L, "XT": T}

# Seed 002 "Test-case scenarios": current status -> new status, and how we classify it.
SEED_002_SCENARIOS = [
    ("A", "T", Transition.TERMINATION),  # terminated from the database
    ("A", "L", Transition.LEAVE),  # put on leave of absence
    ("A", "XT", Transition.TRANSFER_OUT),  # terminated from 123, hired into 456
    ("T", "A", Transition.REHIRE),  # rehired within the same company ID
    ("T", "L", Transition.FRINGE),  # admin error or retro-active correction
    ("T", "XT", Transition.FRINGE),  # admin error or retro-active correction
    ("L", "A", Transition.RETURN_FROM_LEAVE),  # returning from leave
    ("L", "T", Transition.TERMINATION_ON_LEAVE),  # terminated during or after leave
    ("L", "XT", Transition.TRANSFER_DURING_LEAVE),  # transferred during or after leave
    ("XT", "A", Transition.REHIRE_INTO_ORIGINAL),  # rehired into the company transferred from
]
EXTRA_SCENARIOS = [
    (None, "A", Transition.NEW_HIRE),
    (None, "T", Transition.FIRST_SEEN),
    ("A", "D", Transition.TERMINATION),  # deceased is a terminated type
    ("A", "R", Transition.TERMINATION),  # retired is a terminated type
    ("T", "D", Transition.SAME_TYPE),
    ("T", "R", Transition.SAME_TYPE),
    ("D", "A", Transition.REHIRE),
    ("A", "A", Transition.UNCHANGED),
]


@pytest.mark.parametrize(("before", "after", "expected"), SEED_002_SCENARIOS + EXTRA_SCENARIOS)
def test_transition_table(before, after, expected):
    assert lifecycle.classify(before, TYPES.get(before), after, TYPES[after]) == expected


@pytest.mark.parametrize(
    ("custom_type", "from_code", "expected"),
    [
        (A, "L", Transition.RETURN_FROM_LEAVE),  # a custom active code (e.g. "SEAS" seasonal active)
        (A, "A", Transition.SAME_TYPE),
        (L, "A", Transition.LEAVE),  # a custom leave code (e.g. "FML")
        (T, "A", Transition.TERMINATION),  # a custom terminated code (e.g. "S" seasonal layoff)
        (T, "T", Transition.SAME_TYPE),
    ],
)
def test_custom_code_of_each_type_classifies_by_its_mapped_type(custom_type, from_code, expected):
    assert lifecycle.classify(from_code, TYPES[from_code], "CUSTOM", custom_type) == expected


def test_unmapped_code_is_held():
    assert lifecycle.classify("A", A, "ZZ", None) == Transition.HELD


def test_standard_codes_are_seed_002():
    assert {code: t for code, (_, t) in lifecycle.STANDARD_CODES.items()} == TYPES


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ([A, T], A),
        ([L, T], L),
        ([T, T], T),
        ([L, A, T], A),
        ([None, T], T),
        ([], None),
        ([None], None),
    ],
)
def test_person_status_is_the_best_record(types, expected):
    assert lifecycle.person_status(types) == expected


def test_transfer_grace_window():
    start = dt.date(2026, 3, 1)
    assert not lifecycle.transfer_grace_expired(start, 7, dt.date(2026, 3, 8))
    assert lifecycle.transfer_grace_expired(start, 7, dt.date(2026, 3, 9))


# --- properties -----------------------------------------------------------------------------------------

DAY0 = dt.date(2026, 1, 1)
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
events_strategy = st.lists(
    st.builds(
        Event,
        code=st.sampled_from(list(TYPES)),
        status_type=st.none(),
        effective_date=st.integers(0, 60).map(lambda d: DAY0 + dt.timedelta(days=d)),
        recorded_at=st.integers(0, 10_000).map(lambda s: T0 + dt.timedelta(seconds=s)),
        order=st.integers(0, 5),
    ).map(lambda e: Event(e.code, TYPES[e.code], e.effective_date, e.recorded_at, e.order)),
    max_size=12,
    # Stored events never tie completely: recorded_at and the row id tell any two apart.
    unique_by=lambda e: (e.effective_date, e.recorded_at, e.order),
)


@given(events_strategy, st.integers(0, 70))
def test_current_is_latest_effective_on_or_before_the_day_ties_to_latest_recorded(events, day):
    on = DAY0 + dt.timedelta(days=day)
    current = lifecycle.current_event(events, on)
    eligible = [e for e in events if e.effective_date <= on]
    if not eligible:
        assert current is None
        return
    assert current.effective_date == max(e.effective_date for e in eligible)
    same_day = [e for e in eligible if e.effective_date == current.effective_date]
    assert (current.recorded_at, current.order) == max((e.recorded_at, e.order) for e in same_day)


@given(events_strategy, st.randoms())
def test_current_and_transitions_do_not_depend_on_arrival_order(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    on = DAY0 + dt.timedelta(days=30)
    assert lifecycle.current_event(events, on) == lifecycle.current_event(shuffled, on)
    assert lifecycle.classify_history(events) == lifecycle.classify_history(shuffled)


@given(st.lists(st.sampled_from([A, L, T, None]), max_size=6))
def test_person_is_active_when_any_record_is_active(types):
    assert (lifecycle.person_status(types) == A) == (A in types)


# --- level-triggered decisions: desired state and reconciliation ---------------------------------------

from apps.employees.lifecycle import (  # noqa: E402
    Access,
    Decision,
    Desire,
    Pending,
    RecordFacts,
    Step,
    Want,
    desired_state,
    reconcile,
)

TODAY = dt.date(2026, 6, 1)
_ids = iter(range(1, 10_000))


def rec(record: int, company: int, *events: str, in_scope: bool = True) -> RecordFacts:
    """A record from ``"A-100"``-style events (code, days before TODAY); ``"HLD-20"`` is unmapped."""
    built = []
    for n, text in enumerate(events):
        code, sign, days = re.fullmatch(r"([A-Z]+)([-+])(\d+)", text).groups()
        offset = int(days) if sign == "+" else -int(days)
        built.append(
            Event(
                code,
                TYPES.get(code),
                TODAY + dt.timedelta(days=offset),
                T0 + dt.timedelta(seconds=n),
                0,
                next(_ids),
            )
        )
    return RecordFacts(record, company, in_scope, tuple(built))


def days(value: dt.date | None) -> int | None:
    return None if value is None else (value - TODAY).days


DESIRED = [
    # (records, suspend on leave, expected want, since (days), company)
    ([rec(1, 10, "A-100")], True, Want.PROVISIONED, -100, 10),
    ([rec(1, 10, "A-100", "T-10")], True, Want.DEPROVISIONED, -10, 10),
    ([rec(1, 10, "A-100", "L-40")], True, Want.SUSPENDED, -40, 10),
    ([rec(1, 10, "A-100", "L-40")], False, Want.PROVISIONED, -100, 10),  # keep access on leave
    ([rec(1, 10, "A-100", "XT-3")], True, Want.TRANSFERRING, -3, 10),  # inside the 7-day window
    ([rec(1, 10, "A-100", "XT-30")], True, Want.DEPROVISIONED, -30, 10),  # the window has passed
    ([rec(1, 10, "A-100", "T-10"), rec(2, 20, "A-30")], True, Want.PROVISIONED, -100, 20),  # sequence 1
    ([rec(1, 10, "A-100", "HLD-20", "T-50")], True, Want.DEPROVISIONED, -50, 10),  # 2: held left out
    ([rec(1, 10, "A-100", "XT-20"), rec(2, 20, "A-20", "L-15")], True, Want.SUSPENDED, -15, 20),  # 3
    ([rec(1, 10, "A-100", "T-10"), rec(2, 20, "A-30", "T-10")], True, Want.DEPROVISIONED, -10, 10),  # 4
    ([rec(1, 10, "A-100", "L-40", "XT-10"), rec(2, 20, "L-10")], True, Want.SUSPENDED, -40, 20),  # 5
    ([rec(1, 10, "A-100", "T-30", "L-10")], True, Want.DEPROVISIONED, -30, 10),  # 6: fringe left out
    ([rec(1, 10, "A-100", "T-50", "XT-20"), rec(2, 10, "A-10")], True, Want.PROVISIONED, -10, 10),  # 7
    ([rec(1, 10, "A-100", "XT-20"), rec(2, 20, "A-15")], True, Want.PROVISIONED, -100, 20),  # gap < grace
    ([rec(1, 10, "A-100", "XT-40"), rec(2, 20, "A-15")], True, Want.PROVISIONED, -15, 20),  # gap > grace
    ([rec(1, 10, "A-100"), rec(2, 20, "T-10")], True, Want.PROVISIONED, -100, 10),  # best record wins
    ([rec(1, 10, "A-100", in_scope=False)], True, Want.UNMANAGED, None, None),  # out of scope
    ([rec(1, 10, "HLD-10")], True, Want.UNMANAGED, None, None),  # only a held code
    ([rec(1, 10, "A+5")], True, Want.UNMANAGED, None, None),  # future-dated: not yet
    ([], True, Want.UNMANAGED, None, None),
    # the last active record went D; a re-dated XT on a record already transferred out is no transfer
    (
        [rec(1, 10, "A-12", "D-4"), rec(2, 20, "A-46", "L-44", "XT-5", "XT-4")],
        True,
        Want.DEPROVISIONED,
        -4,
        10,
    ),
]


@pytest.mark.parametrize(("records", "suspend", "want", "since", "company"), DESIRED)
def test_desired_state_table(records, suspend, want, since, company):
    desire = desired_state(records, TODAY, suspend_on_leave=suspend, grace_days=7)
    assert (desire.want, days(desire.since), desire.company) == (want, since, company)


def test_a_transfer_window_says_until_when():
    desire = desired_state([rec(1, 10, "A-100", "XT-3")], TODAY, grace_days=7)
    assert (days(desire.since), days(desire.until), desire.record) == (-3, 4, 1)


def test_the_ledger_company_is_kept_while_it_still_holds_the_status():
    records = [rec(1, 10, "A-30"), rec(2, 20, "A-100")]
    assert desired_state(records, TODAY).company == 20  # held longest
    assert desired_state(records, TODAY, ledger_company=10).company == 10  # no churn between two jobs


def test_a_transfer_is_dated_when_the_old_company_stopped_holding_the_person():
    records = [rec(1, 10, "A-100", "T-10"), rec(2, 20, "A-30")]
    assert days(desired_state(records, TODAY, ledger_company=10).transfer_since) == -10
    records = [rec(1, 10, "A-100", "XT-20"), rec(2, 20, "A-15")]
    assert days(desired_state(records, TODAY, ledger_company=10).transfer_since) == -15


def test_the_drivers_are_the_events_in_force_on_every_in_scope_record():
    first, second = rec(1, 10, "A-100", "T-10"), rec(2, 20, "A-30")
    desire = desired_state([first, second], TODAY)
    assert set(desire.drivers) == {first.events[-1].id, second.events[-1].id}


P, S, X, N = Access.PROVISIONED, Access.SUSPENDED, Access.DEPROVISIONED, Access.NONE
D0 = TODAY - dt.timedelta(days=10)


def want(kind: Want, company: int = 10) -> Desire:
    return Desire(kind, D0, company, 1, None, D0, None, ())


STEPS = [
    # (ledger access, ledger company, desired, expected action or None)
    (N, None, want(Want.PROVISIONED), Decision.PROVISION),
    (X, 10, want(Want.PROVISIONED), Decision.PROVISION),  # a rehire
    (S, 10, want(Want.PROVISIONED), Decision.RESTORE),
    (P, 10, want(Want.PROVISIONED), None),
    (P, 10, want(Want.PROVISIONED, company=20), Decision.TRANSFER),
    (P, 10, want(Want.SUSPENDED), Decision.SUSPEND),
    (N, None, want(Want.SUSPENDED), None),  # first seen on leave: nothing to suspend
    (X, 10, want(Want.SUSPENDED), None),
    (P, 10, want(Want.DEPROVISIONED), Decision.DEPROVISION),
    (S, 10, want(Want.DEPROVISIONED), Decision.DEPROVISION),  # terminated on leave
    (N, None, want(Want.DEPROVISIONED), None),  # first seen terminated: never had access
    (X, 10, want(Want.DEPROVISIONED), None),
    (P, 10, want(Want.TRANSFERRING), None),
    (P, 10, want(Want.UNMANAGED), None),
]


@pytest.mark.parametrize(("access", "company", "desire", "expected"), STEPS)
def test_reconcile_table(access, company, desire, expected):
    plan = reconcile((access, company), [], desire)
    assert (plan.write.action if plan.write else None) == expected
    assert not plan.withdraw


def test_pending_actions_equal_to_the_needed_one_stay():
    plan = reconcile((P, 10), [Pending(Decision.DEPROVISION, D0, 10)], want(Want.DEPROVISIONED))
    assert plan == lifecycle.Plan(False, None)


def test_a_termination_corrected_before_delivery_is_withdrawn_not_followed_by_a_provision():
    plan = reconcile((P, 10), [Pending(Decision.DEPROVISION, D0, 10)], want(Want.PROVISIONED))
    assert plan == lifecycle.Plan(True, None)


def test_a_pending_action_with_another_date_is_replaced():
    other_day = Pending(Decision.DEPROVISION, D0 - dt.timedelta(days=1), 10)
    plan = reconcile((P, 10), [other_day], want(Want.DEPROVISIONED))
    assert plan == lifecycle.Plan(True, Step(Decision.DEPROVISION, D0, 10, 1))


def test_a_transfer_window_keeps_pending_actions():
    assert reconcile((N, None), [Pending(Decision.PROVISION, D0, 10)], want(Want.TRANSFERRING)) == (
        lifecycle.Plan(False, None)
    )


def test_unmanaged_persons_lose_their_pending_actions_and_are_deprovisioned_only_when_asked():
    pending = [Pending(Decision.PROVISION, D0, 10)]
    assert reconcile((N, None), pending, want(Want.UNMANAGED)) == lifecycle.Plan(True, None)
    assert reconcile((P, 10), [], want(Want.UNMANAGED)) == lifecycle.Plan(False, None)
    plan = reconcile((P, 10), [], want(Want.UNMANAGED), deprovision_unmanaged_on=TODAY)
    assert plan.write == Step(Decision.DEPROVISION, TODAY, 10, None)


def test_action_keys_differ_by_ledger_position():
    on = dt.date(2026, 5, 22)
    assert lifecycle.action_key(7, 2, "deprovision", on) != lifecycle.action_key(7, 4, "deprovision", on)
    assert lifecycle.action_key(7, 2, "deprovision", on) == "p7-2-deprovision-2026-05-22"


# --- properties of the desired state ---------------------------------------------------------------------

CODES = ["A", "T", "L", "XT", "D", "HLD"]
lives = st.lists(
    st.lists(
        st.tuples(st.sampled_from(CODES), st.integers(-120, 5)),
        min_size=1,
        max_size=6,
        unique_by=lambda t: t[1],
    ),
    min_size=1,
    max_size=3,
)


def _records(life, rnd=None) -> list[RecordFacts]:
    records = []
    for n, events in enumerate(life):
        events = list(events)
        if rnd is not None:
            rnd.shuffle(events)
        records.append(
            rec(n + 1, 10 * (n + 1), *(f"{code}{'+' if d > 0 else '-'}{abs(d)}" for code, d in events))
        )
    return records


def _active_on(records: list[RecordFacts], day: dt.date) -> bool:
    for record in records:
        events = lifecycle.effective_events(record.events, TODAY)
        current = [e for e in events if e.effective_date <= day]
        if current and current[-1].status_type == StatusType.ACTIVE:
            return True
    return False


@given(lives, st.booleans())
def test_never_a_removal_dated_on_a_day_the_person_is_active(life, suspend):
    records = _records(life)
    desire = desired_state(records, TODAY, suspend_on_leave=suspend)
    plan = reconcile((P, 10), [], desire)
    if plan.write and plan.write.action in lifecycle.REMOVING_DECISIONS:
        assert not _active_on(records, plan.write.effective_date)
        assert not _active_on(records, TODAY)


@given(lives, st.randoms())
def test_the_desired_state_does_not_depend_on_the_order_events_arrived_in(life, rnd):
    # recorded_at follows the arrival order; dates are distinct per record, so order must not matter
    first = desired_state(_records(life), TODAY)
    again = desired_state(_records(life, rnd), TODAY)
    assert (first.want, first.since, first.company, first.until) == (
        again.want,
        again.since,
        again.company,
        again.until,
    )


@given(lives)
def test_reconciling_twice_writes_nothing_the_second_time(life):
    records = _records(life)
    desire = desired_state(records, TODAY)
    plan = reconcile((P, 10), [], desire)
    if plan.write:
        after = (lifecycle.ACCESS_AFTER[plan.write.action], plan.write.company)
        assert reconcile(after, [], desired_state(records, TODAY, ledger_company=after[1])).write is None

"""The pure lifecycle rules: seed 002's scenario table row by row, person status, decisions, properties."""

from __future__ import annotations

import datetime as dt

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

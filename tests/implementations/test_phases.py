"""The pure phase rules: order, who may move on, how owners read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.implementations.phases import (
    PHASE_ORDER,
    OwnerJoin,
    OwnerRole,
    Phase,
    may_advance,
    next_phase,
    open_items,
    owner_label,
    phase_index,
)


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (Phase.DISCOVERY, Phase.IMPLEMENTATION),
        (Phase.IMPLEMENTATION, Phase.TESTING),
        (Phase.TESTING, Phase.MOVE_TO_PRODUCTION),
        (Phase.MOVE_TO_PRODUCTION, Phase.ONGOING_SUPPORT),
        (Phase.ONGOING_SUPPORT, None),
    ],
)
def test_phases_follow_seed_001_order(phase, expected):
    assert next_phase(phase) == expected


def test_unknown_phase_is_refused():
    with pytest.raises(ValueError, match="Unknown phase"):
        phase_index("launch")


@given(st.sampled_from(PHASE_ORDER))
def test_next_phase_is_always_one_step_later(phase):
    following = next_phase(phase)
    if following is None:
        assert phase == PHASE_ORDER[-1]
    else:
        assert phase_index(following) == phase_index(phase) + 1


@pytest.mark.parametrize(
    ("open_count", "reason", "may_override", "expected"),
    [
        (0, "", False, (True, False)),
        (0, "recorded anyway", False, (True, False)),
        (0, "", True, (True, False)),
        (2, "", True, (False, False)),
        (2, "   ", True, (False, False)),
        (2, "customer accepted the risk", False, (False, False)),
        (2, "customer accepted the risk", True, (True, True)),
        (1, "", False, (False, False)),
    ],
)
def test_advance_rule_table(open_count, reason, may_override, expected):
    assert may_advance(open_count=open_count, override_reason=reason, may_override=may_override) == expected


@given(
    open_count=st.integers(min_value=0, max_value=50),
    reason=st.text(max_size=20),
    may_override=st.booleans(),
)
def test_an_override_happens_only_with_open_lines_a_reason_and_the_right(open_count, reason, may_override):
    allowed, overridden = may_advance(
        open_count=open_count, override_reason=reason, may_override=may_override
    )
    if overridden:
        assert open_count > 0 and reason.strip() and may_override and allowed
    if open_count == 0:
        assert allowed and not overridden
    if not may_override or not reason.strip():
        assert allowed == (open_count == 0)


@given(
    st.lists(st.tuples(st.sampled_from(PHASE_ORDER), st.booleans()), max_size=30),
    st.sampled_from(PHASE_ORDER),
)
def test_open_items_are_exactly_the_undone_lines_of_the_phase(items, phase):
    result = open_items(items, phase)
    assert result == [i for i, (p, done) in enumerate(items) if p == phase and not done]


CIT, TPA, PROVIDER = OwnerRole.CUSTOMER_INTEGRATION_TEAM, OwnerRole.THIRD_PARTY, OwnerRole.PROVIDER


@pytest.mark.parametrize(
    ("roles", "join", "names", "expected"),
    [
        ([CIT], "", None, "CIT"),
        ([CIT, TPA], OwnerJoin.OR, None, "CIT or TPA"),
        ([CIT, TPA], OwnerJoin.AND, None, "CIT & TPA"),
        ([CIT, PROVIDER], OwnerJoin.AND, None, "CIT & Provider"),
        ([CIT, TPA], OwnerJoin.OR, {CIT: "Acme HR systems"}, "Acme HR systems or TPA"),
        ([PROVIDER], "", {PROVIDER: "Paylocity Web Services"}, "Paylocity Web Services"),
        ([], "", None, ""),
    ],
)
def test_owner_label_reads_like_seed_001(roles, join, names, expected):
    assert owner_label(roles, join, names=names) == expected

"""The active-vs-paid badge reads as words, whichever side is larger."""

from __future__ import annotations

import pytest

from apps.dashboard.payroll import gap_label


@pytest.mark.parametrize(
    ("active", "paid", "label"),
    [
        (40, 38, "2 active not paid"),
        (39, 42, "3 paid but not active"),
        (42, 42, ""),
        (0, 5, "5 paid but not active"),
        (5, 0, "5 active not paid"),
    ],
)
def test_the_gap_between_active_and_paid_is_said_without_a_sign(active, paid, label):
    assert gap_label(active, paid) == label

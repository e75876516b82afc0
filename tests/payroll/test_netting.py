"""Voided batches: the void's billing codes spread over the original's pay groups net it to exactly zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.payroll.netting import AllocatedLine, OriginalLine, VoidLine, allocate_void, net, split

D = Decimal


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        (D("-300.00"), [("A", D("100.00")), ("B", D("200.00"))], [("A", D("-100.00")), ("B", D("-200.00"))]),
        (
            D("1.00"),
            [("A", D("1")), ("B", D("1")), ("C", D("1"))],
            [("A", D("0.34")), ("B", D("0.33")), ("C", D("0.33"))],
        ),
        (D("10.00"), [("A", D("0")), ("B", D("0"))], [("A", D("5.00")), ("B", D("5.00"))]),
        (D("0.00"), [("A", D("5.00")), ("B", D("-5.00"))], [("A", D("-5.00")), ("B", D("5.00"))]),
        (D("-0.01"), [("A", D("1.00")), ("B", D("1.00"))], [("A", D("-0.01")), ("B", D("0.00"))]),
    ],
)
def test_split_gives_exact_parts(amount, weights, expected):
    parts = split(amount, weights)
    assert parts == expected
    assert sum(p for _, p in parts) == amount


def test_a_full_void_lands_on_exactly_the_original_pay_groups():
    # given an employee paid in two pay groups and another in one
    original = [
        OriginalLine("E1", "BW1", "GROSS", D("1000.00")),
        OriginalLine("E1", "BW2", "GROSS", D("250.00")),
        OriginalLine("E1", "BW1", "ERTAX", D("76.50")),
        OriginalLine("E2", "WK1", "GROSS", D("400.00")),
    ]
    # when the void names only employees and amounts (no pay group), one voucher per employee
    void = [
        VoidLine("V1", "E1", "GROSS", D("-1250.00")),
        VoidLine("V1", "E1", "ERTAX", D("-76.50")),
        VoidLine("V2", "E2", "GROSS", D("-400.00")),
    ]
    allocated = allocate_void(original=original, void=void)
    # then every billing code and pay group nets to zero
    assert set(net(original, allocated).values()) == {D("0.00")}
    assert AllocatedLine("V1", "E1", "BW2", "GROSS", D("-250.00")) in allocated


def test_an_employee_unknown_to_the_original_goes_to_their_current_pay_group():
    allocated = allocate_void(
        original=[OriginalLine("E1", "BW1", "GROSS", D("10.00"))],
        void=[VoidLine("V9", "E9", "GROSS", D("-5.00"))],
        fallback_pay_groups={"E9": "WK2"},
        default_pay_group="BW1",
    )
    assert allocated == [AllocatedLine("V9", "E9", "WK2", "GROSS", D("-5.00"))]


def test_a_code_the_original_did_not_pay_follows_the_employees_pay_groups():
    allocated = allocate_void(
        original=[
            OriginalLine("E1", "BW1", "GROSS", D("300.00")),
            OriginalLine("E1", "BW2", "GROSS", D("100.00")),
        ],
        void=[VoidLine("V1", "E1", "BONUS", D("-40.00"))],
    )
    assert sorted((a.pay_group, a.amount) for a in allocated) == [("BW1", D("-30.00")), ("BW2", D("-10.00"))]


cents = st.integers(min_value=-500_000, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2))
original_lines = st.lists(
    st.tuples(
        st.sampled_from(["E1", "E2", "E3", "E4", "E5"]),
        st.sampled_from(["BW1", "BW2", "WK1"]),
        st.sampled_from(["GROSS", "ERTAX", "ADMIN", "BONUS"]),
        cents,
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(original_lines, st.integers(min_value=1, max_value=4), st.randoms(use_true_random=False))
def test_any_void_nets_its_original_to_zero_per_billing_code_and_pay_group(rows, per_voucher, rnd):
    # given any original batch (amounts in cents, refunds included)
    original = [OriginalLine(e, pg, code, amount) for e, pg, code, amount in rows]
    # and a void that negates every line, grouped into vouchers in any way, without pay groups
    lines = [(o.employee_id, o.bill_code, -o.amount) for o in original]
    rnd.shuffle(lines)
    void = [
        VoidLine(f"V{i // per_voucher}-{employee}", employee, code, amount)
        for i, (employee, code, amount) in enumerate(lines)
    ]
    # when the void is allocated to pay groups
    allocated = allocate_void(original=original, void=void)
    # then original + void is exactly zero for every billing code and pay group
    assert all(value == 0 for value in net(original, allocated).values())
    # and every void voucher line keeps exactly its amount
    for voucher in {v.voucher_id for v in void}:
        assert sum(a.amount for a in allocated if a.voucher_id == voucher) == sum(
            v.amount for v in void if v.voucher_id == voucher
        )


@settings(max_examples=200, deadline=None)
@given(
    original_lines,
    st.lists(
        st.tuples(st.sampled_from(["E1", "E2", "E6"]), st.sampled_from(["GROSS", "X"]), cents), max_size=20
    ),
)
def test_a_partial_or_odd_void_never_loses_or_invents_a_cent(rows, void_rows):
    original = [OriginalLine(e, pg, code, amount) for e, pg, code, amount in rows]
    void = [VoidLine(f"V{i}", e, code, amount) for i, (e, code, amount) in enumerate(void_rows)]
    allocated = allocate_void(original=original, void=void, default_pay_group="BW1")
    assert sum((a.amount for a in allocated), D(0)) == sum((v.amount for v in void), D(0))
    assert all(a.amount == a.amount.quantize(D("0.01")) for a in allocated)
    assert all(isinstance(a.amount, Decimal) for a in allocated)

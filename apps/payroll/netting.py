"""Voided batches (seed 004) as a pure function: spread a void's billing codes over the original's pay groups.

PrismHR's void vouchers name the employee and the voucher they void, but no pay group. Seed 004: "ClientSpace
uses the list of employees to determine the pay groups that are being voided and builds that batch similar
to running a scheduled payroll batch. The billing codes are then distributed across the pay groups to
balance out the original payroll batch", so that the original and its void net to exactly zero.

Everything is Decimal (exact); a split never loses or invents a cent: the parts of an amount always add up
to the amount, and a void that negates its original lands on exactly the original's pay groups.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class OriginalLine:
    """One billing line of the batch being voided, with the pay group it was paid in."""

    employee_id: str
    pay_group: str
    bill_code: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class VoidLine:
    """One billing line of a void voucher (no pay group: that is what we determine)."""

    voucher_id: str
    employee_id: str
    bill_code: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AllocatedLine:
    voucher_id: str
    employee_id: str
    pay_group: str
    bill_code: str
    amount: Decimal


def _exponent(values: Iterable[Decimal]) -> int:
    """The finest decimal exponent among the values, and at least cents."""
    exponent = -2
    for value in values:
        exp = value.as_tuple().exponent
        if isinstance(exp, int):
            exponent = min(exponent, exp)
    return exponent


def split(amount: Decimal, weights: Sequence[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """Split ``amount`` over the keys of ``weights`` in proportion; the parts add up to ``amount`` exactly.

    1. An amount that negates the weights exactly (a full void) gets exactly the negated weights.
    2. Otherwise each key gets its proportional share rounded down to the amount's smallest unit; the units
       left over go to the largest remainders (ties: the first key). Weights that add up to zero share the
       amount equally.
    """
    if not weights:
        raise ValueError("split needs at least one key")
    total = sum((w for _, w in weights), Decimal(0))
    if amount == -total:
        return [(key, -w) for key, w in weights]
    exponent = _exponent([amount, *(w for _, w in weights)])
    unit = Decimal(1).scaleb(exponent)
    units = int((amount / unit).to_integral_value())
    if total == 0:
        shares = [Fraction(1, len(weights))] * len(weights)
    else:
        shares = [Fraction(w) / Fraction(total) for _, w in weights]
    sign = -1 if units < 0 else 1  # split the magnitude: a negative amount mirrors a positive one
    raw = [abs(units) * share for share in shares]
    floors = [math.floor(r) for r in raw]
    left = abs(units) - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(key, Decimal(sign * n) * unit) for (key, _), n in zip(weights, floors, strict=True)]


def employee_pay_groups(original: Iterable[OriginalLine]) -> dict[str, list[str]]:
    """Each employee's pay groups in the original batch (the "list of employees" of seed 004)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for line in original:
        if line.pay_group not in groups[line.employee_id]:
            groups[line.employee_id].append(line.pay_group)
    return {employee: sorted(found) for employee, found in groups.items()}


def allocate_void(
    *,
    original: Sequence[OriginalLine],
    void: Sequence[VoidLine],
    fallback_pay_groups: Mapping[str, str] | None = None,
    default_pay_group: str = "",
) -> list[AllocatedLine]:
    """Give every void billing line its pay group(s) so that the void balances the original.

    1. Weights per employee and billing code: what the original paid that employee under that code in each
       pay group. An employee voided under a code the original did not pay them under is weighted by their
       totals per pay group; an employee absent from the original goes to ``fallback_pay_groups`` (the
       employee's current pay group) or ``default_pay_group``.
    2. The void total of each employee and code is split over the weights (``split``): a full void gets
       exactly the original's amounts, negated.
    3. That employee's void vouchers share the split: each in proportion, the last one takes what is left,
       so every pay group gets exactly its share and every voucher keeps exactly its amount.
    """
    fallback_pay_groups = fallback_pay_groups or {}
    by_code: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_employee: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in original:
        by_code[(line.employee_id, line.bill_code)][line.pay_group] += line.amount
        by_employee[line.employee_id][line.pay_group] += line.amount

    merged: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for line in void:
        merged[(line.voucher_id, line.employee_id, line.bill_code)] += line.amount
    groups: dict[tuple[str, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for (voucher_id, employee_id, bill_code), amount in merged.items():
        groups[(employee_id, bill_code)].append((voucher_id, amount))

    allocated: list[AllocatedLine] = []
    for (employee_id, bill_code), lines in groups.items():
        weights = _weights(
            by_code.get((employee_id, bill_code)),
            by_employee.get(employee_id),
            fallback_pay_groups.get(employee_id) or default_pay_group,
        )
        group_total = sum((amount for _, amount in lines), Decimal(0))
        targets = split(group_total, weights)
        given: dict[str, Decimal] = defaultdict(Decimal)
        for index, (voucher_id, amount) in enumerate(lines):
            if index < len(lines) - 1:
                parts = split(amount, targets)
            else:
                parts = [(pay_group, target - given[pay_group]) for pay_group, target in targets]
            for pay_group, part in parts:
                given[pay_group] += part
            kept = [(pg, part) for pg, part in parts if part != 0] or [parts[0]]
            allocated.extend(AllocatedLine(voucher_id, employee_id, pg, bill_code, part) for pg, part in kept)
    return allocated


def _weights(
    same_code: Mapping[str, Decimal] | None, employee_totals: Mapping[str, Decimal] | None, fallback: str
) -> list[tuple[str, Decimal]]:
    if same_code:
        return sorted(same_code.items())
    if employee_totals:
        return sorted(employee_totals.items())
    return [(fallback, Decimal(1))]


def totals_by_code_and_pay_group(
    lines: Iterable[OriginalLine | AllocatedLine],
) -> dict[tuple[str, str], Decimal]:
    """Sum lines per (billing code, pay group): original + void must make every value zero."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[(line.bill_code, line.pay_group)] += line.amount
    return dict(totals)


def net(original: Iterable[OriginalLine], void: Iterable[AllocatedLine]) -> dict[tuple[str, str], Decimal]:
    """What is left per (billing code, pay group) after the void: all zeros for a full void."""
    totals = totals_by_code_and_pay_group(original)
    for key, amount in totals_by_code_and_pay_group(void).items():
        totals[key] = totals.get(key, Decimal(0)) + amount
    return totals

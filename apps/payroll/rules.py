"""Payroll batch rules as pure functions (no Django imports): status words, completion messages, headcounts.

Seed 004 names the statuses a PrismHR batch moves through and the messages an import queue record completes
with. The words are the seed's; where the seed names its own product, ours says nothing. An unknown status
code is kept verbatim and shown as itself: the provider may add codes, and guessing would hide them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

COMPLETE = "COMP"
DELETED = "DELETED"
# "Payment pending" is in the seed's list without a code; PrismHR's pending states are spelled ``*.PEND``.
PAYMENT_PENDING = "PAY.PEND"

# PrismHR batch status code -> the seed's words, in the order a batch usually moves through them.
STATUS_WORDS: dict[str, str] = {
    "TS.READY": "Payroll is ready for time sheet entry",
    "TS.ENTRY": "Time sheet entry in progress",
    "TSOKCOMP": "Payroll is ready to calculate",
    "INITIAL": "Payroll calculation in progress",
    "INITOK": "Payroll reports are ready for review",
    "INITWARN": "Payroll calculation completed with warning",
    "INITFAIL": "Payroll calculation completed with errors",
    "AP.PEND": "Payroll calculation results pending client approval",
    "AP.READY": "Payroll calculation results approved by client",
    "AP.FAIL": "Payroll calculation results rejected by client",
    "INITCOMP": "Payroll is ready to finalize",
    "POST": "Payroll finalization in progress",
    "POST.PEND": "Finalization pending approval",
    "POST.FAIL": "Payroll finalization complete with errors",
    "POSTCOMP": "Payroll is ready to print",
    "WT.PEND": "Wire transfer pending",
    PAYMENT_PENDING: "Payment pending",
    "PRINT": "Payroll printing in progress",
    "PRINTFAIL": "Payroll printed with errors",
    "PRINTCOMP": "Payroll is ready to ship",
    COMPLETE: "Payroll is complete",
    DELETED: "Deleted",
}

# Codes at which a batch is stopped and people usually want to hear about it (a default for new rules).
STOPPED_CODES = (
    "INITWARN",
    "INITFAIL",
    "AP.PEND",
    "AP.FAIL",
    "POST.PEND",
    "POST.FAIL",
    "WT.PEND",
    "PRINTFAIL",
)

REGULAR_BATCH_TYPES = frozenset({"R", "REGULAR"})
VOID_BATCH_TYPES = frozenset({"V", "VOID"})


def normalise_code(code: str | None) -> str:
    """Return the code as the provider sent it, trimmed (case kept: an unknown code is shown verbatim)."""
    return (code or "").strip()


def status_words(code: str | None) -> str:
    """Return the seed's words for a status code; an unknown code is its own words, never an error."""
    code = normalise_code(code)
    return STATUS_WORDS.get(code.upper(), code)


def is_known_status(code: str | None) -> bool:
    return normalise_code(code).upper() in STATUS_WORDS


def is_complete(code: str | None) -> bool:
    """Whether the provider says the batch is complete (only then is it flagged for the Sync)."""
    return normalise_code(code).upper() == COMPLETE


def is_regular(batch_type: str | None) -> bool:
    return (batch_type or "").strip().upper() in REGULAR_BATCH_TYPES


def is_void(batch_type: str | None) -> bool:
    return (batch_type or "").strip().upper() in VOID_BATCH_TYPES


# --- completion messages (seed 004) ---------------------------------------------------------------------


def message_no_pay_date() -> str:
    return "Pay date is required to import payroll batches"


def message_no_billing_totals(batch_id: str) -> str:
    return (
        f"Batch '{batch_id}' Unable to include Queue Record in Import file, no getBillingCodeTotalsForBatch "
        "response info, this event will not be processed"
    )


def message_no_vouchers(client_id: str, batch_id: str) -> str:
    return f'No billing vouchers found for client ID "{client_id}" and batch ID "{batch_id}"'


def message_unknown_client(client_id: str) -> str:
    return f'Client number "{client_id}" was not found; the queue record was completed without processing'


def message_deleted(batch_id: str) -> str:
    return (
        f"Batch '{batch_id}' was deleted in the provider: batch, pay groups and billing vouchers deactivated"
    )


def message_delete_unknown_batch(batch_id: str) -> str:
    return f"Batch '{batch_id}' is not in the hub: nothing to deactivate"


# --- employee counts ------------------------------------------------------------------------------------


class TimeClass(StrEnum):
    FULL = "full"
    PART = "part"


def time_class(employment_type: str | None) -> TimeClass:
    """Classify an employment type as full or part time.

    Paylocity: RFT / TFT full time, RPT / TPT part time, SNL (seasonal) part time; PrismHR sends FT / PT or
    its type class F / P. Anything else counts as full time (the usual default of a regular hire).
    """
    value = (employment_type or "").strip().upper()
    if value.endswith("PT") or value in {"SNL", "P", "PART", "PART TIME", "PART-TIME"}:
        return TimeClass.PART
    return TimeClass.FULL


HEADCOUNT_CLASSES = (
    ("full", "active"),
    ("part", "active"),
    ("full", "terminated"),
    ("part", "terminated"),
    ("full", "leave"),
    ("part", "leave"),
)


@dataclass(frozen=True, slots=True)
class Headcount:
    """The six status classifications of seed 004 plus the employees paid in the batch."""

    full_time_active: int = 0
    part_time_active: int = 0
    full_time_terminated: int = 0
    part_time_terminated: int = 0
    full_time_leave: int = 0
    part_time_leave: int = 0
    paid_employees: int = 0

    @property
    def active(self) -> int:
        return self.full_time_active + self.part_time_active


def headcount(employees: Iterable[tuple[str | None, str | None]], *, paid_employees: int) -> Headcount:
    """Count ``(employment_type, status type as of the pay date)`` pairs into the six classes.

    Employees without a status on the pay date (not yet hired, or a code still unmapped) are not counted.
    """
    counts = {f"{t}_time_{s}": 0 for t, s in HEADCOUNT_CLASSES}
    for employment_type, status_type in employees:
        if status_type not in ("active", "terminated", "leave"):
            continue
        counts[f"{time_class(employment_type).value}_time_{status_type}"] += 1
    return Headcount(**counts, paid_employees=paid_employees)


def date_window(today: dt.date, *, days_back: int, days_ahead: int) -> tuple[dt.date, dt.date]:
    """The pay-date window the Ongoing process lists batches in."""
    return today - dt.timedelta(days=days_back), today + dt.timedelta(days=days_ahead)


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(value: str) -> list[int]:
    """Parse ``"sat,sun"`` into ``[5, 6]`` (Monday is 0); raise ValueError naming a day it does not know."""
    days = []
    for part in (value or "").replace(" ", "").lower().split(","):
        if not part:
            continue
        key = part[:3]
        if key not in WEEKDAY_NAMES:
            raise ValueError(f"Unknown day {part!r}: use mon, tue, wed, thu, fri, sat, sun.")
        index = WEEKDAY_NAMES.index(key)
        if index not in days:
            days.append(index)
    return sorted(days)

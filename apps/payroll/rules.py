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


# --- what an import ended as: one meaning for the batch, its queue records, tickets and the dashboard -----


class ImportOutcome(StrEnum):
    """How one queue record's processing ended (seed 004's cases, and provider errors).

    - ``imported``: vouchers, pay groups and counts written.
    - ``nothing_to_bill``: the provider answered, but the batch has no billing (no totals and no employees,
      or no vouchers): completed, with seed 004's "No billing vouchers found ..." log line. Not a problem.
    - ``deleted``: a DELETE event deactivated the batch (or there was nothing to deactivate).
    - ``completed_with_message``: seed 004's "marked as Completed with a message" cases: unknown client, a
      batch the provider cannot give us (404 / no batch), no pay date. Nothing was imported and nothing
      will be retried by itself: a person has to look, so it tickets, but it is not a failure.
    - ``failed``: the provider refused for good (a permanent error): the import failed; it tickets; the
      next run (or a replay) tries again.
    - ``retrying``: an outage (a transient error): nothing is wrong with the batch; the next run retries.
    """

    IMPORTED = "imported"
    NOTHING_TO_BILL = "nothing_to_bill"
    DELETED = "deleted"
    COMPLETED_WITH_MESSAGE = "completed_with_message"
    FAILED = "failed"
    RETRYING = "retrying"


class Totals(StrEnum):
    """What ``getBillingCodeTotalsForBatch`` answered."""

    MISSING = "missing"  # no answer: 404, or no batch
    EMPTY = "empty"  # an answer listing no totals and no employees: nothing to bill
    PRESENT = "present"


# The state names shared by the batch's import state and its queue records (the models' choices use them).
STATE_PENDING = "pending"
STATE_COMPLETED = "completed"
STATE_COMPLETED_WITH_MESSAGE = "completed_with_message"
STATE_FAILED = "failed"

_STATE_OF_OUTCOME = {
    ImportOutcome.IMPORTED: STATE_COMPLETED,
    ImportOutcome.NOTHING_TO_BILL: STATE_COMPLETED,
    ImportOutcome.DELETED: STATE_COMPLETED,
    ImportOutcome.COMPLETED_WITH_MESSAGE: STATE_COMPLETED_WITH_MESSAGE,
    ImportOutcome.FAILED: STATE_FAILED,
    ImportOutcome.RETRYING: STATE_PENDING,
}


@dataclass(frozen=True, slots=True)
class ImportFacts:
    """What is known so far about one queue record's batch; None: not asked yet."""

    client_id: str
    batch_id: str
    client_known: bool = True
    batch_found: bool | None = None  # getBatchInfo answered with the batch
    batch_active: bool | None = None  # False: deleted in the provider (the hub keeps it deactivated)
    has_pay_date: bool | None = None
    totals: Totals | None = None
    vouchers: int | None = None
    error: str = ""  # a provider error's message
    error_permanent: bool = False
    delete_event: bool = False
    delete_found: bool | None = None  # a DELETE event: the hub had the batch to deactivate


@dataclass(frozen=True, slots=True)
class ImportVerdict:
    outcome: ImportOutcome
    message: str = ""
    log: bool = False  # also write the message as a log line of the record

    @property
    def state(self) -> str:
        """The queue record's state, and the batch's import state (the same word for both)."""
        return _STATE_OF_OUTCOME[self.outcome]

    @property
    def tickets(self) -> bool:
        """Whether a person is asked to look (an automatic ticket)."""
        return self.outcome in (ImportOutcome.COMPLETED_WITH_MESSAGE, ImportOutcome.FAILED)


def import_verdict(facts: ImportFacts) -> ImportVerdict | None:
    """Classify an import from what is known so far, in seed 004's order; None: go on, ask the provider more.

    1. a provider error decides (permanent: failed; else retrying);
    2. an unknown client completes with a message (the client validation comes first);
    3. a DELETE event ends as deleted;
    4. a batch the provider cannot give us: completed with the "no getBillingCodeTotalsForBatch response
       info" message;
    5. a batch deleted in the provider ends as deleted; one without a pay date completes with a message;
    6. a missing totals answer (404): the "no getBillingCodeTotalsForBatch response info" message again;
    7. totals that list nothing, or no vouchers: nothing to bill, with the "No billing vouchers" log line;
    8. vouchers: imported.
    """
    if facts.error:
        if facts.error_permanent:
            return ImportVerdict(ImportOutcome.FAILED, facts.error)
        return ImportVerdict(ImportOutcome.RETRYING, f"Will be retried: {facts.error}")
    if not facts.client_known:
        return ImportVerdict(
            ImportOutcome.COMPLETED_WITH_MESSAGE, message_unknown_client(facts.client_id), log=True
        )
    if facts.delete_event:
        if facts.delete_found is None:
            return None
        if facts.delete_found:
            return ImportVerdict(ImportOutcome.DELETED, message_deleted(facts.batch_id))
        return ImportVerdict(ImportOutcome.DELETED, message_delete_unknown_batch(facts.batch_id))
    if facts.batch_found is None:
        return None
    not_given = ImportVerdict(
        ImportOutcome.COMPLETED_WITH_MESSAGE, message_no_billing_totals(facts.batch_id), log=True
    )
    if not facts.batch_found:
        return not_given
    if facts.batch_active is False:
        return ImportVerdict(ImportOutcome.DELETED, message_deleted(facts.batch_id))
    if facts.has_pay_date is None:
        return None
    if not facts.has_pay_date:
        return ImportVerdict(ImportOutcome.COMPLETED_WITH_MESSAGE, message_no_pay_date(), log=True)
    if facts.totals is None:
        return None
    if facts.totals == Totals.MISSING:
        return not_given
    nothing = ImportVerdict(
        ImportOutcome.NOTHING_TO_BILL, message_no_vouchers(facts.client_id, facts.batch_id), log=True
    )
    if facts.totals == Totals.EMPTY:
        return nothing
    if facts.vouchers is None:
        return None
    if facts.vouchers == 0:
        return nothing
    return ImportVerdict(ImportOutcome.IMPORTED)


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

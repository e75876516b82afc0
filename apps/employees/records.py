"""The provider-neutral employee record: what every provider adapter produces and the write path takes.

Provider adapters (``apps/integrations/providers/<name>/records.py``) turn provider JSON into these; the
standard CSV file becomes these too. ``employees.services.employee_records_apply`` is the only consumer.
No Django imports here: adapters and benchmarks build records without a database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    """Where an observation came from (StatusEvent.source)."""

    SYNC = "sync"
    WEBHOOK = "webhook"
    FILE = "file"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    """One observation of one employee record at one provider company.

    ``national_id`` and ``birth_date`` are carried only so the write path can compute the identity key
    (keyed hash + last four) of the person; neither is ever stored.
    """

    company_external_id: str
    employee_id: str
    status_code: str
    status_effective_date: dt.date | None
    first_name: str = ""
    last_name: str = ""
    work_email: str = ""
    national_id: str = ""
    birth_date: dt.date | None = None
    employment_type: str = ""  # Paylocity RFT/RPT/SNL/TFT/TPT, PrismHR FT/PT; see employment_type_code
    benefit_class: str = ""
    pay_group: str = ""
    change_reason: str = ""
    hire_date: dt.date | None = None
    rehire_date: dt.date | None = None
    termination_date: dt.date | None = None
    provider_status_type: str = ""  # the provider's own type word, kept for diagnostics only (never trusted)
    extra: dict = field(default_factory=dict, compare=False, hash=False)  # provider fields worth showing


# The longest value the database keeps for each text field of a record (Employee, StatusEvent and StatusCode
# columns; tests/employees/test_file_hardening.py holds them equal to the models' max_length). A longer value is
# refused here, the same on SQLite (which would keep it) and PostgreSQL (which would fail the whole apply).
MAX_LENGTHS = {
    "company_external_id": 64,
    "employee_id": 64,
    "status_code": 20,
    "first_name": 100,
    "last_name": 100,
    "work_email": 254,
    "employment_type": 40,
    "benefit_class": 60,
    "pay_group": 60,
}
_TEXT_FIELDS = (*MAX_LENGTHS, "national_id", "change_reason", "provider_status_type")


# Spelled-out employment types (Affinity's "full_time", a file's "Full-Time") and the short code the hub keeps.
# PrismHR sends FT / PT and Paylocity RFT / RPT / TFT / TPT / SNL: those codes carry more (regular, temporary,
# seasonal) and are kept as they are; only the spelled-out words, which say no more than FT / PT, are folded.
_SPELLED_OUT = {"FULL_TIME": "FT", "FULLTIME": "FT", "PART_TIME": "PT", "PARTTIME": "PT"}


def employment_type_code(value: str | None) -> str:
    """Return the one spelling the hub keeps for an employment type: upper case, spelled-out words as FT / PT.

    Applied where records enter the write path and where filter rules are saved, so a filter or a list
    filter never holds both "FT" and "FULL_TIME" for the same thing.
    """
    code = (value or "").strip().upper()
    return _SPELLED_OUT.get(re.sub(r"[\s_-]+", "_", code), code)


def record_normalized(record: EmployeeRecord) -> EmployeeRecord:
    """The record with its employment type in the hub's spelling (the same record when it already is)."""
    code = employment_type_code(record.employment_type)
    return record if code == record.employment_type else dataclasses.replace(record, employment_type=code)


def record_problems(record: EmployeeRecord) -> str | None:
    """Say why the database could not keep ``record`` as it is (a NUL character, a value too long), or None.

    PostgreSQL refuses both in text columns and would fail every record applied with it; SQLite would keep
    them. Checked before anything is written, so the record is rejected alone, with the field named.
    """
    for name in _TEXT_FIELDS:
        value = getattr(record, name) or ""
        if "\x00" in value:
            return f"{name} contains a NUL character"
        limit = MAX_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            return f"{name} is {len(value)} characters long; at most {limit} are kept"
    return None


@dataclass(slots=True)
class RecordRejection:
    """A record the write path refused, with why (it is recorded, never applied half-way)."""

    index: int
    employee_id: str
    reason: str


@dataclass(slots=True)
class ApplyResult:
    """What one call of ``employee_records_apply`` did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events: int = 0
    held: int = 0
    actions: int = 0
    withdrawn: int = 0  # unattempted actions withdrawn because the facts made them moot
    rejected: list[RecordRejection] = field(default_factory=list)
    persons: set[int] = field(default_factory=set)  # persons touched (when the caller reconciles them)

    @property
    def failed(self) -> int:
        return len(self.rejected)

    def merge(self, other: ApplyResult) -> ApplyResult:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.events += other.events
        self.held += other.held
        self.actions += other.actions
        self.withdrawn += other.withdrawn
        self.persons |= other.persons
        self.rejected.extend(other.rejected)
        return self

"""The standard employee file (INTERFACE.md): parse CSV rows into EmployeeRecords, line by line.

A file without the required columns is refused whole with a message naming them; a bad row is reported
with its line number and reason while the other rows go on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from .records import EmployeeRecord

COLUMNS = (
    "company_id",
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "national_id",
    "birth_date",
    "employment_type",
    "benefit_class",
    "pay_group",
    "status_code",
    "status_effective_date",
    "change_reason",
    "hire_date",
    "termination_date",
)
REQUIRED = ("company_id", "employee_id", "status_code", "status_effective_date")
DATE_COLUMNS = ("birth_date", "status_effective_date", "hire_date", "termination_date")


class FileRefused(Exception):
    """The whole file is unusable (not UTF-8 CSV, or required columns missing)."""


@dataclass
class ParsedFile:
    rows: list[tuple[int, EmployeeRecord]] = field(default_factory=list)  # (line number, record)
    errors: list[dict] = field(default_factory=list)  # {line, employee_id, reason}
    total: int = 0


def _date(value: str, column: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{column} {value!r} is not a date (YYYY-MM-DD)") from exc


def parse(data: bytes | str) -> ParsedFile:
    """Parse a whole file; raise FileRefused for a file-level problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileRefused(f"The file is not UTF-8 text (byte {exc.start}).") from exc
    reader = csv.DictReader(io.StringIO(data, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(f"Required columns missing: {', '.join(missing)}.")
    reader.fieldnames = header
    parsed = ParsedFile()
    for row in reader:
        line = reader.line_num
        parsed.total += 1
        row = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            parsed.rows.append((line, _record(row)))
        except ValueError as exc:
            parsed.errors.append(
                {"line": line, "employee_id": row.get("employee_id", ""), "reason": str(exc)}
            )
    return parsed


def _record(row: dict[str, str]) -> EmployeeRecord:
    empty = [c for c in REQUIRED if not row.get(c)]
    if empty:
        raise ValueError(f"{', '.join(empty)} is required")
    dates = {c: _date(row.get(c, ""), c) for c in DATE_COLUMNS}
    return EmployeeRecord(
        company_external_id=row["company_id"],
        employee_id=row["employee_id"],
        status_code=row["status_code"].upper(),
        status_effective_date=dates["status_effective_date"],
        first_name=row.get("first_name", ""),
        last_name=row.get("last_name", ""),
        work_email=row.get("work_email", ""),
        national_id=row.get("national_id", ""),
        birth_date=dates["birth_date"],
        employment_type=row.get("employment_type", ""),
        benefit_class=row.get("benefit_class", ""),
        pay_group=row.get("pay_group", ""),
        change_reason=row.get("change_reason", ""),
        hire_date=dates["hire_date"],
        termination_date=dates["termination_date"],
    )


def write(rows: Iterable[dict], *, columns: Iterable[str] = COLUMNS) -> Iterable[str]:
    """Yield CSV lines (header first) in the standard format, for extracts and exports."""
    columns = list(columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()

"""Affinity Payroll JSON and standard employee files -> provider-neutral records.

REST employee object (our design, see README "Provider integrations"): ``{"employee_id", "first_name",
"last_name", "work_email", "national_id", "birth_date", "employment_type", "benefit_class", "pay_group",
"status": {"code", "effective_date", "reason"}, "hire_date", "termination_date"}``. Files dropped on SFTP use
the standard employee file (CSV with a header row; INTERFACE.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from apps.employees.records import EmployeeRecord

from ..base import ListedEmployee, parse_date, text

HOOK_IMPLIED_STATUS = {"employee.terminated": "terminated", "employee.created": "active"}

STANDARD_COLUMNS = (
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
REQUIRED_COLUMNS = ("company_id", "employee_id", "status_code", "status_effective_date")
DATE_COLUMNS = ("birth_date", "status_effective_date", "hire_date", "termination_date")


def employee_record(company_code: str, body: dict) -> EmployeeRecord:
    status = body.get("status") or {}
    return EmployeeRecord(
        company_external_id=company_code,
        employee_id=text(body.get("employee_id")),
        status_code=text(status.get("code")).upper(),
        status_effective_date=parse_date(status.get("effective_date")),
        first_name=text(body.get("first_name")),
        last_name=text(body.get("last_name")),
        work_email=text(body.get("work_email")),
        national_id=text(body.get("national_id")),
        birth_date=parse_date(body.get("birth_date")),
        employment_type=text(body.get("employment_type")).upper(),
        benefit_class=text(body.get("benefit_class")),
        pay_group=text(body.get("pay_group")),
        change_reason=text(status.get("reason")),
        hire_date=parse_date(body.get("hire_date")),
        termination_date=parse_date(body.get("termination_date")),
    )


def listed_employee(company_code: str, body: dict) -> ListedEmployee:
    record = employee_record(company_code, body)
    return ListedEmployee(employee_id=record.employee_id, status_code=record.status_code, record=record)


@dataclass
class ParsedFile:
    """A standard employee file: records per company, and the rows refused with their line numbers."""

    records: dict[str, list[EmployeeRecord]] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0


class FileRefused(ValueError):
    """The whole file is refused (missing required columns, not UTF-8, no header)."""


def parse_standard_file(content: bytes | str) -> ParsedFile:
    """Parse a standard employee file; a row that fails is reported by line number, the others are kept."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileRefused("The file is not UTF-8.") from exc
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileRefused(f"The file lacks the required column(s): {', '.join(missing)}.")
    reader.fieldnames = header
    parsed = ParsedFile()
    for row in reader:
        line = reader.line_num
        parsed.rows += 1
        values = {k: text(v) for k, v in row.items() if k}
        problem = None
        for column in REQUIRED_COLUMNS:
            if not values.get(column):
                problem = f"{column} is required"
                break
        dates = {}
        for column in DATE_COLUMNS:
            raw = values.get(column, "")
            dates[column] = parse_date(raw) if raw else None
            if raw and dates[column] is None and problem is None:
                problem = f"{column} {raw!r} is not a date (YYYY-MM-DD)"
        if problem:
            parsed.errors.append((line, problem))
            continue
        record = EmployeeRecord(
            company_external_id=values["company_id"],
            employee_id=values["employee_id"],
            status_code=values["status_code"].upper(),
            status_effective_date=dates["status_effective_date"],
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            work_email=values.get("work_email", ""),
            national_id=values.get("national_id", ""),
            birth_date=dates["birth_date"],
            employment_type=values.get("employment_type", "").upper(),
            benefit_class=values.get("benefit_class", ""),
            pay_group=values.get("pay_group", ""),
            change_reason=values.get("change_reason", ""),
            hire_date=dates["hire_date"],
            termination_date=dates["termination_date"],
        )
        parsed.records.setdefault(record.company_external_id, []).append(record)
    return parsed

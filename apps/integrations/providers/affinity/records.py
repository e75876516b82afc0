"""Affinity Payroll JSON and standard employee files -> provider-neutral records.

REST employee object (our design, see README "Provider integrations"): ``{"employee_id", "first_name",
"last_name", "work_email", "national_id", "birth_date", "employment_type", "benefit_class", "pay_group",
"status": {"code", "effective_date", "reason"}, "hire_date", "termination_date"}``. Files dropped on SFTP use
the standard employee file (CSV with a header row; INTERFACE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.employees.records import EmployeeRecord

from ..base import ListedEmployee, parse_date, text


def employee_page(body: Any, headers: Mapping[str, str]) -> tuple[list, int | None]:
    """One page of ``GET .../employees``: ``{"data": [...], "meta": {"total": n}}``."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ValueError("expected {data: [...]}")
    meta = body.get("meta") or {}
    total = meta.get("total") if isinstance(meta, dict) else None
    return data, total if isinstance(total, int) else None


def employee_record(company_external_id: str, body: dict) -> EmployeeRecord:
    """One employee object (the list's entries and ``GET .../employees/{employee_id}`` alike)."""
    status = body.get("status") or {}
    return EmployeeRecord(
        company_external_id=company_external_id,
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


def listed_employee(company_external_id: str, item: Any) -> ListedEmployee:
    """One entry of the list: the whole employee object, so the sync needs no detail call."""
    record = employee_record(company_external_id, item)
    return ListedEmployee(employee_id=record.employee_id, status_code=record.status_code, record=record)


def error_message(body: Any) -> str:
    """Affinity error bodies are ``{"message": ...}`` or ``{"error": ...}``."""
    if isinstance(body, dict):
        return text(body.get("message") or body.get("error"))
    return ""

"""Paylocity WebLink JSON -> provider-neutral records. Nothing else reads Paylocity's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.employees.records import EmployeeRecord

from ..base import ListedEmployee, parse_date, text

# Paylocity status type letters -> our words (diagnostics only; the mapping of codes decides).
STATUS_TYPE_WORDS = {"A": "active", "L": "leave", "T": "terminated"}


def employee_page(body: Any, headers: Mapping[str, str]) -> tuple[list, int | None]:
    """One page of ``GET .../employees``: a JSON array, the total in ``X-Pcty-Total-Count``."""
    if not isinstance(body, list):
        raise ValueError("expected a JSON array")
    total = text(headers.get("X-Pcty-Total-Count"))
    return body, int(total) if total.isdigit() else None


def listed_employee(company_external_id: str, item: Any) -> ListedEmployee:
    """One entry of ``GET .../employees`` (ID, status code and status type code only)."""
    return ListedEmployee(
        employee_id=text(item.get("employeeId")),
        status_code=text(item.get("statusCode")).upper(),
        status_type=text(item.get("statusTypeCode")).upper(),
    )


def employee_record(company_external_id: str, body: dict) -> EmployeeRecord:
    """The detail of ``GET .../employees/{employeeId}`` as an EmployeeRecord."""
    status = body.get("status") or {}
    position = body.get("departmentPosition") or {}
    benefits = body.get("benefitSetup") or {}
    work = body.get("workAddress") or {}
    status_type = text(status.get("statusType")).upper()
    return EmployeeRecord(
        company_external_id=text(body.get("companyId")) or company_external_id,
        employee_id=text(body.get("employeeId")),
        status_code=text(status.get("employeeStatus")).upper(),
        status_effective_date=parse_date(status.get("effectiveDate")),
        first_name=text(body.get("firstName")),
        last_name=text(body.get("lastName")),
        work_email=text(work.get("emailAddress")) or text(body.get("workEmail")),
        national_id=text(body.get("ssn")),
        birth_date=parse_date(body.get("birthDate")),
        employment_type=text(position.get("employeeType")).upper(),
        benefit_class=text(benefits.get("benefitClass")),
        pay_group=text(position.get("payGroup")) or text(body.get("payGroup")),
        change_reason=text(status.get("changeReason")),
        hire_date=parse_date(status.get("hireDate")),
        rehire_date=parse_date(status.get("reHireDate")),
        termination_date=parse_date(status.get("terminationDate")),
        provider_status_type=STATUS_TYPE_WORDS.get(status_type, status_type.lower()),
        extra={"jobTitle": text(position.get("jobTitle"))} if position.get("jobTitle") else {},
    )


def error_message(body: Any) -> str:
    """Paylocity error bodies are JSON arrays of ``{field, message}``."""
    if isinstance(body, list):
        parts = [
            f"{text(e.get('field'))}: {text(e.get('message'))}".strip(": ")
            for e in body
            if isinstance(e, dict)
        ]
        return "; ".join(p for p in parts if p) or "error"
    if isinstance(body, dict):
        return text(body.get("message") or body.get("error_description") or body.get("error")) or "error"
    return "error"

"""Affinity Payroll JSON and standard employee files -> provider-neutral records.

REST employee object (our design, see README "Provider integrations"): ``{"employee_id", "first_name",
"last_name", "work_email", "national_id", "birth_date", "employment_type", "benefit_class", "pay_group",
"status": {"code", "effective_date", "reason"}, "hire_date", "termination_date"}``. Files dropped on SFTP use
the standard employee file (CSV with a header row; INTERFACE.md).
"""

from __future__ import annotations

from apps.employees.records import EmployeeRecord

from ..base import ListedEmployee, parse_date, text

HOOK_IMPLIED_STATUS = {"employee.terminated": "terminated", "employee.created": "active"}


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

"""PrismHR JSON -> provider-neutral records. Nothing else reads PrismHR's JSON.

``getEmployee`` (``options=Person,Client``) answers ``{"employee": [{"id", "person": {...}, "client":
{...}}], "errorCode": "0"}``: names, SSN, birth date and email in ``person``; status, type, dates, benefit
group and pay group in ``client``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.employees.records import EmployeeRecord

from ..base import ListedEmployee, parse_date, text

STATUS_CLASS_WORDS = {"A": "active", "L": "leave", "T": "terminated"}


def envelope_ok(body) -> bool:
    return isinstance(body, dict) and text(body.get("errorCode")) in ("", "0")


def error_message(body: Any) -> str:
    if isinstance(body, dict):
        return text(body.get("errorMessage")) or f"errorCode {text(body.get('errorCode'))}"
    return "unexpected response"


def employee_page(body: Any, headers: Mapping[str, str]) -> tuple[list, int | None]:
    """The entries of ``getEmployeeList`` (one call, the whole list): ``{"employeeList": {"employeeId":
    [...]}}`` or a plain list; an entry is an ID or ``{"employeeId"|"id": ...}``; blank entries are left out.
    """
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    found = body.get("employeeList", body.get("employeeIds", body.get("employeeId", [])))
    if isinstance(found, dict):
        found = found.get("employeeId", found.get("employeeIds", []))
    if isinstance(found, str | dict):
        found = [found]
    if not isinstance(found, list):
        raise ValueError("expected employeeList")
    entries = [item for item in found if listed_employee("", item).employee_id]
    return entries, len(entries)


def listed_employee(company_external_id: str, item: Any) -> ListedEmployee:
    """One entry of the list: the employee ID only (the status comes with the details)."""
    value = (item.get("employeeId") or item.get("id")) if isinstance(item, dict) else item
    return ListedEmployee(employee_id=text(value))


def employee_record(company_external_id: str, body: dict) -> EmployeeRecord:
    """One ``employee`` entry of ``getEmployee`` as an EmployeeRecord."""
    person = body.get("person") or {}
    client = body.get("client") or {}
    status_class = text(client.get("statusClass")).upper()
    hire = parse_date(client.get("hireDate"))
    last_hire = parse_date(client.get("lastHireDate"))
    return EmployeeRecord(
        company_external_id=text(client.get("clientId")) or company_external_id,
        employee_id=text(body.get("id") or body.get("employeeId")),
        status_code=text(client.get("employeeStatus")).upper(),
        status_effective_date=parse_date(client.get("statusDate")),
        first_name=text(person.get("firstName")),
        last_name=text(person.get("lastName")),
        work_email=text(client.get("workEmail")) or text(person.get("emailAddress")),
        national_id=text(person.get("ssn")),
        birth_date=parse_date(person.get("birthDate")),
        employment_type=text(client.get("employeeType")).upper(),
        benefit_class=text(client.get("benefitGroup")),
        pay_group=text(client.get("payGroup")),
        change_reason=text(client.get("statusReason")) or text(client.get("termReason")),
        hire_date=hire,
        rehire_date=last_hire if last_hire and last_hire != hire else None,
        termination_date=parse_date(client.get("termDate")),
        provider_status_type=STATUS_CLASS_WORDS.get(status_class, status_class.lower()),
        extra={"typeClass": text(client.get("typeClass"))} if client.get("typeClass") else {},
    )

"""What the emulated providers put on the wire: employee, batch and webhook JSON, per provider.

Pure functions of model instances (no queries of their own), so the views stay thin and the shapes can be
read in one place. Shapes follow the providers' public documentation where it exists (Paylocity WebLink,
PrismHR REST) and ``/tmp/contracts.md`` for Affinity, whose API we designed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from apps.employees import files as employee_files

from .models import SandboxBatch, SandboxEmployee, SandboxEvent, SandboxVoucher, StatusType

# ---------------------------------------------------------------------------------------------------------
# Dates


def paylocity_date(value: dt.date | None) -> str | None:
    """Paylocity sends dates as date-times at midnight (``2021-03-01T00:00:00``)."""
    return f"{value.isoformat()}T00:00:00" if value else None


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def iso_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def money(value: Decimal | str | float) -> str:
    """Amounts as strings with two decimals, never floats."""
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def format_ssn(national_id: str) -> str:
    digits = "".join(c for c in national_id if c.isdigit())
    if len(digits) == 9:
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return national_id


# ---------------------------------------------------------------------------------------------------------
# Paylocity WebLink


def paylocity_list_item(employee_id: str, status_code: str, status_type: str) -> dict:
    return {"employeeId": employee_id, "statusCode": status_code, "statusTypeCode": status_type}


def paylocity_employee(e: SandboxEmployee) -> dict:
    """The detail of ``GET /api/v2/companies/{companyId}/employees/{employeeId}``."""
    return {
        "employeeId": e.employee_id,
        "companyId": e.company.external_id,
        "firstName": e.first_name,
        "lastName": e.last_name,
        "ssn": format_ssn(e.national_id),
        "birthDate": paylocity_date(e.birth_date),
        "status": {
            "employeeStatus": e.status_code,
            "statusType": e.status_type,
            "effectiveDate": paylocity_date(e.status_effective_date),
            "changeReason": e.change_reason,
            "hireDate": paylocity_date(e.hire_date),
            "reHireDate": paylocity_date(e.rehire_date),
            "terminationDate": paylocity_date(e.termination_date),
        },
        "departmentPosition": {
            "employeeType": e.employment_type,
            "payGroup": e.pay_group,
            "costCenter1": e.department,
            "jobTitle": e.job_title,
        },
        "benefitSetup": {"benefitClass": e.benefit_class},
        "workAddress": {"emailAddress": e.work_email},
    }


def paylocity_error(message: str, field: str = "") -> list[dict]:
    return [{"field": field, "message": message}]


def paylocity_hook(e: SandboxEmployee, kind: str, *, legacy: bool, now: dt.datetime) -> dict:
    """Paylocity webhook body: legacy flat JSON (Basic auth) or the newer HMAC-signed event."""
    if legacy:
        event_type = {"created": "NewHire", "terminated": "Termination"}.get(kind, "EmployeeChange")
        return {"eventType": event_type, "companyId": e.company.external_id, "employeeId": e.employee_id}
    return {
        "eventId": str(uuid.uuid4()),
        "eventType": f"employee.{kind}",
        "companyId": e.company.external_id,
        "employeeId": e.employee_id,
        "occurredAt": iso_datetime(now),
    }


# ---------------------------------------------------------------------------------------------------------
# PrismHR


def prism_ok(**body) -> dict:
    return {"errorCode": "0", "errorMessage": "", **body}


def prism_error(message: str, code: str = "1") -> dict:
    return {"errorCode": code, "errorMessage": message}


def prism_employee(e: SandboxEmployee, *, with_client: bool) -> dict:
    """One entry of ``getEmployee``'s ``employee`` array; the Person class always, Client on request."""
    body: dict = {
        "id": e.employee_id,
        "person": {
            "firstName": e.first_name,
            "lastName": e.last_name,
            "ssn": format_ssn(e.national_id),
            "birthDate": iso_date(e.birth_date),
            "emailAddress": e.work_email,
        },
    }
    if with_client:
        body["client"] = {
            "clientId": e.company.external_id,
            "employeeStatus": e.status_code,
            "statusClass": e.status_type,
            "statusDate": iso_date(e.status_effective_date),
            "statusReason": e.change_reason,
            "employeeType": e.employment_type,
            "typeClass": "F" if e.full_time else "P",
            "hireDate": iso_date(e.hire_date),
            "lastHireDate": iso_date(e.rehire_date or e.hire_date),
            "termDate": iso_date(e.termination_date),
            "termReason": e.change_reason if e.status_type == StatusType.TERMINATED else "",
            "benefitGroup": e.benefit_class,
            "payGroup": e.pay_group,
            "workEmail": e.work_email,
            "departmentCode": e.department,
            "jobCode": e.job_title,
        }
    return body


def prism_event(event: SandboxEvent) -> dict:
    return {
        "eventId": event.event_id,
        "schemaName": event.schema_name,
        "className": event.class_name,
        "clientId": event.company.external_id,
        "objectId": event.object_id,
        "action": event.action,
        "timestamp": iso_datetime(event.occurred_at),
    }


def prism_batch_list_item(b: SandboxBatch) -> dict:
    return {
        "batchId": b.batch_id,
        "payDate": iso_date(b.pay_date),
        "batchType": b.batch_type,
        "batchStatus": b.status,
        "payGroup": list(b.pay_groups),
    }


def prism_batch_control(b: SandboxBatch) -> dict:
    return {
        "batchId": b.batch_id,
        "batchStatus": b.status,
        "payDate": iso_date(b.pay_date),
        "batchDescription": b.description,
        "batchType": b.batch_type,
        "periodStartDate": iso_date(b.period_start),
        "periodEndDate": iso_date(b.period_end),
        "postDate": iso_date(b.post_date),
        "voidBatchId": b.voids.batch_id if b.voids_id else "",
        "payGroup": list(b.pay_groups),
    }


def prism_billing_voucher(v: SandboxVoucher, batch: SandboxBatch) -> dict:
    return {
        "voucherId": v.voucher_id,
        "batchNumber": batch.batch_id,
        "employeeId": v.employee_id,
        "payGroup": v.pay_group,
        "payDate": iso_date(batch.pay_date),
        "voidDate": iso_date(v.void_date),
        "sumBilling": [
            {
                "billCode": line["billCode"],
                "billCodeDescription": line.get("billCodeDescription", ""),
                "billAmt": money(line["billAmt"]),
            }
            for line in v.billing
        ],
    }


def prism_payroll_voucher(v: SandboxVoucher, batch: SandboxBatch) -> dict:
    return {
        "voucherId": v.voucher_id,
        "batchId": batch.batch_id,
        "employeeId": v.employee_id,
        "payGroup": v.pay_group,
        "payDate": iso_date(batch.pay_date),
        "type": v.voucher_type,
        "voidVoucherId": v.void_voucher_id,
        "totalEarnings": money(v.total_earnings),
    }


# ---------------------------------------------------------------------------------------------------------
# Affinity (our design, /tmp/contracts.md)


def affinity_employee(e: SandboxEmployee) -> dict:
    return {
        "employee_id": e.employee_id,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "work_email": e.work_email,
        "national_id": e.national_id,
        "birth_date": iso_date(e.birth_date),
        "employment_type": e.employment_type,
        "benefit_class": e.benefit_class,
        "pay_group": e.pay_group,
        "status": {
            "code": e.status_code,
            "effective_date": iso_date(e.status_effective_date),
            "reason": e.change_reason,
        },
        "hire_date": iso_date(e.hire_date),
        "termination_date": iso_date(e.termination_date),
    }


def affinity_error(code: str, message: str) -> dict:
    return {"error": code, "message": message}


def affinity_hook(e: SandboxEmployee, kind: str, *, now: dt.datetime) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": f"employee.{kind}",
        "company_code": e.company.external_id,
        "employee_id": e.employee_id,
        "occurred_at": iso_datetime(now),
    }


# ---------------------------------------------------------------------------------------------------------
# The standard employee file (INTERFACE.md), for the Affinity file drop

STANDARD_FILE_COLUMNS = employee_files.COLUMNS  # the standard employee file of INTERFACE.md


def standard_file_row(e: SandboxEmployee) -> list[str]:
    return [
        e.company.external_id,
        e.employee_id,
        e.first_name,
        e.last_name,
        e.work_email,
        e.national_id,
        iso_date(e.birth_date) or "",
        e.employment_type,
        e.benefit_class,
        e.pay_group,
        e.status_code,
        iso_date(e.status_effective_date) or "",
        e.change_reason,
        iso_date(e.hire_date) or "",
        iso_date(e.termination_date) or "",
    ]


def hook_kind(*, created: bool, status_type: str) -> str:
    """The generic kind of an employee hook: created, terminated or updated."""
    if created:
        return "created"
    return "terminated" if status_type == StatusType.TERMINATED else "updated"

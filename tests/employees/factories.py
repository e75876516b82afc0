from __future__ import annotations

import datetime as dt

from apps.employees.records import EmployeeRecord


def record(
    employee_id: str = "1001",
    code: str = "A",
    on: dt.date | str = "2026-01-01",
    *,
    company: str = "123",
    **fields,
) -> EmployeeRecord:
    """A provider-neutral record with sensible defaults (dates as ISO strings are accepted)."""
    effective = dt.date.fromisoformat(on) if isinstance(on, str) else on
    defaults = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "work_email": f"{employee_id}@example.com",
        "employment_type": "RFT",
    }
    defaults.update(fields)
    return EmployeeRecord(
        company_external_id=company,
        employee_id=employee_id,
        status_code=code,
        status_effective_date=effective,
        **defaults,
    )

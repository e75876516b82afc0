"""The employee controls: what an HR admin does in the provider, each followed by the provider's webhook.

Every control takes an ``effective_date`` (default today), so any change can be back-dated (a retro-active
correction) or future-dated (a termination scheduled for next month). The employee's status fields always
show the latest change made, whatever its date, as the providers show them; ``status_changes`` keeps the
order. The transitions follow seed 002's test-case table.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError

from .. import wire
from ..models import SandboxCompany, SandboxEmployee, SandboxStatusChange, SandboxStatusCode, StatusType
from .hooks import employee_hooks_queue

# Seed 002: Paylocity's standard codes and their types (the other providers use the same letters here).
STANDARD_CODES: dict[str, tuple[str, str]] = {
    "A": ("Active", StatusType.ACTIVE),
    "T": ("Terminated", StatusType.TERMINATED),
    "D": ("Deceased", StatusType.TERMINATED),
    "R": ("Retired", StatusType.TERMINATED),
    "L": ("Leave of Absence", StatusType.LEAVE),
    "XT": ("Transferred", StatusType.TERMINATED),
}
PART_TIME_TYPES = {"RPT", "TPT", "PT", "P", "part_time"}
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "work_email",
    "national_id",
    "birth_date",
    "employment_type",
    "full_time",
    "benefit_class",
    "pay_group",
    "department",
    "job_title",
)


def status_type_of(company: SandboxCompany, code: str, status_type: str | None = None) -> str:
    """The provider's type of a code: the company's code table, else the standard table.

    An unknown code given with a type becomes a custom code of the company (how a client admin adds one).
    """
    row = SandboxStatusCode.objects.filter(company=company, code=code).first()
    if row is not None:
        return row.status_type
    if code in STANDARD_CODES:
        return STANDARD_CODES[code][1]
    if status_type not in StatusType.values:
        raise ApplicationError(
            f"Unknown status code {code!r}: give its status type (A, L or T) to add it as a custom code.",
            extra={"field": "status_type"},
        )
    custom = SandboxStatusCode(
        company=company, code=code, description=f"Custom {code}", status_type=status_type, custom=True
    )
    custom.full_clean()
    custom.save()
    return status_type


def next_employee_id(company: SandboxCompany) -> str:
    """The next free ID in the company's own style (``1017`` after ``1016``, ``P0008`` after ``P0007``)."""
    best: tuple[int, str, int] | None = None
    for value in company.employees.values_list("employee_id", flat=True):
        match = re.fullmatch(r"(\D*)(\d+)", value)
        if match and (best is None or int(match.group(2)) > best[0]):
            best = (int(match.group(2)), match.group(1), len(match.group(2)))
    if best is None:
        return "1001"
    number, prefix, width = best
    return f"{prefix}{number + 1:0{width}d}"


def _change(
    employee: SandboxEmployee,
    *,
    code: str,
    effective_date: dt.date | None,
    reason: str,
    control: str,
    status_type: str | None = None,
    **fields,
) -> SandboxEmployee:
    """Record one status change and make it the employee's current status (plus any date fields given)."""
    effective = effective_date or timezone.localdate()
    new_type = status_type_of(employee.company, code, status_type)
    previous = employee.status_code
    employee.status_code = code
    employee.status_type = new_type
    employee.status_effective_date = effective
    employee.change_reason = reason
    for name, value in fields.items():
        setattr(employee, name, value)
    employee.full_clean()
    employee.save()
    change = SandboxStatusChange(
        employee=employee,
        status_code=code,
        status_type=new_type,
        effective_date=effective,
        change_reason=reason,
        previous_code=previous,
        control=control,
    )
    change.full_clean()
    change.save()
    return employee


def _require_type(employee: SandboxEmployee, wanted: str, action: str) -> None:
    if employee.status_type != wanted:
        raise ApplicationError(
            f"Cannot {action} {employee.employee_id}: the employee is {employee.get_status_type_display()} "
            f"({employee.status_code}). Use a status change for a fringe case."
        )


def _code_of_type(company: SandboxCompany, code: str, wanted: str) -> None:
    if status_type_of(company, code) != wanted:
        raise ApplicationError(
            f"Code {code!r} is not a {StatusType(wanted).label} code.", extra={"field": "code"}
        )


@transaction.atomic
def employee_hire(
    *,
    company: SandboxCompany,
    first_name: str,
    last_name: str,
    employee_id: str = "",
    national_id: str = "",
    birth_date: dt.date | None = None,
    work_email: str = "",
    employment_type: str = "RFT",
    full_time: bool | None = None,
    benefit_class: str = "",
    pay_group: str = "",
    department: str = "",
    job_title: str = "",
    effective_date: dt.date | None = None,
    reason: str = "New hire",
    acting_user=None,
) -> SandboxEmployee:
    """Hire a new employee (status A) and send the provider's new-hire hook."""
    employee_id = employee_id or next_employee_id(company)
    if company.employees.filter(employee_id=employee_id).exists():
        raise ApplicationError(
            f"Employee {employee_id} already exists in {company.external_id}; rehire them instead.",
            extra={"field": "employee_id"},
        )
    effective = effective_date or timezone.localdate()
    employee = SandboxEmployee(
        company=company,
        employee_id=employee_id,
        first_name=first_name,
        last_name=last_name,
        national_id=national_id,
        birth_date=birth_date,
        work_email=work_email,
        employment_type=employment_type,
        full_time=(employment_type not in PART_TIME_TYPES) if full_time is None else full_time,
        benefit_class=benefit_class,
        pay_group=pay_group,
        department=department,
        job_title=job_title,
        status_code="",
        status_type=StatusType.ACTIVE,
        status_effective_date=effective,
        hire_date=effective,
    )
    _change(employee, code="A", effective_date=effective, reason=reason, control="hire")
    employee_hooks_queue(employee=employee, kind="created")
    return employee


@transaction.atomic
def employee_terminate(
    *,
    employee: SandboxEmployee,
    code: str = "T",
    effective_date: dt.date | None = None,
    reason: str = "Terminated",
    acting_user=None,
) -> SandboxEmployee:
    """Terminate (T, or D / R / a custom terminated code) from the given date; sends the termination hook."""
    _code_of_type(employee.company, code, StatusType.TERMINATED)
    effective = effective_date or timezone.localdate()
    _change(
        employee,
        code=code,
        effective_date=effective,
        reason=reason,
        control="terminate",
        termination_date=effective,
    )
    employee_hooks_queue(employee=employee, kind="terminated")
    return employee


@transaction.atomic
def employee_leave(
    *,
    employee: SandboxEmployee,
    code: str = "L",
    effective_date: dt.date | None = None,
    reason: str = "Leave of absence",
    acting_user=None,
) -> SandboxEmployee:
    """Put the employee on leave (L or a custom leave code such as FML)."""
    _code_of_type(employee.company, code, StatusType.LEAVE)
    _change(employee, code=code, effective_date=effective_date, reason=reason, control="leave")
    employee_hooks_queue(employee=employee, kind="updated")
    return employee


@transaction.atomic
def employee_return(
    *,
    employee: SandboxEmployee,
    effective_date: dt.date | None = None,
    reason: str = "Return from leave",
    acting_user=None,
) -> SandboxEmployee:
    """Bring an employee on leave back to Active (seed 002: L -> A)."""
    _require_type(employee, StatusType.LEAVE, "return from leave")
    _change(employee, code="A", effective_date=effective_date, reason=reason, control="return")
    employee_hooks_queue(employee=employee, kind="updated")
    return employee


@transaction.atomic
def employee_rehire(
    *,
    employee: SandboxEmployee,
    effective_date: dt.date | None = None,
    reason: str = "Rehire",
    acting_user=None,
) -> SandboxEmployee:
    """Rehire a terminated employee in the same company (T -> A, or XT -> A into the original company)."""
    _require_type(employee, StatusType.TERMINATED, "rehire")
    effective = effective_date or timezone.localdate()
    _change(
        employee, code="A", effective_date=effective, reason=reason, control="rehire", rehire_date=effective
    )
    employee_hooks_queue(employee=employee, kind="updated")
    return employee


@transaction.atomic
def employee_status_set(
    *,
    employee: SandboxEmployee,
    code: str,
    effective_date: dt.date | None = None,
    reason: str = "",
    status_type: str | None = None,
    acting_user=None,
) -> SandboxEmployee:
    """Set any code (standard or custom, e.g. S seasonal layoff) on any date, fringe cases included.

    This is the control for back-dated and future-dated changes and for admin errors such as T -> L; an
    unknown code needs its type and is added to the company's codes as a custom code.
    """
    new_type = status_type_of(employee.company, code, status_type)
    effective = effective_date or timezone.localdate()
    extra = {"termination_date": effective} if new_type == StatusType.TERMINATED else {}
    _change(
        employee,
        code=code,
        effective_date=effective,
        reason=reason or f"Status {code}",
        control="status",
        **extra,
    )
    employee_hooks_queue(employee=employee, kind=wire.hook_kind(created=False, status_type=new_type))
    return employee


@transaction.atomic
def employee_transfer(
    *,
    employee: SandboxEmployee,
    to_company: SandboxCompany,
    new_employee_id: str = "",
    effective_date: dt.date | None = None,
    reason: str = "Transfer",
    acting_user=None,
) -> SandboxEmployee:
    """Move an employee to another company of the same set: XT here, hired (or rehired) there.

    The employee ID is kept unless ``new_employee_id`` is given (seed 002: the EEID "may or may not be
    preserved"). If the target company already has that ID (a transfer back), that record is rehired. Both
    companies send their hooks. Returns the record in the target company.
    """
    source = employee.company
    if to_company.pk == source.pk:
        raise ApplicationError("A transfer needs another company.", extra={"field": "to_company"})
    if (
        to_company.provider != source.provider
        or not source.company_set
        or to_company.company_set != source.company_set
    ):
        raise ApplicationError(
            f"{to_company.external_id} is not in the same company set as {source.external_id}.",
            extra={"field": "to_company"},
        )
    if employee.status_code == "XT":
        raise ApplicationError(f"{employee.employee_id} is already transferred out of {source.external_id}.")
    effective = effective_date or timezone.localdate()
    _change(
        employee,
        code="XT",
        effective_date=effective,
        reason=reason,
        control="transfer",
        termination_date=effective,
    )
    employee_hooks_queue(employee=employee, kind="terminated")

    target_id = new_employee_id or employee.employee_id
    target = to_company.employees.filter(employee_id=target_id).first()
    if target is not None:
        if target.status_type == StatusType.ACTIVE:
            raise ApplicationError(
                f"{target_id} is already active in {to_company.external_id}.",
                extra={"field": "new_employee_id"},
            )
        _change(
            target,
            code="A",
            effective_date=effective,
            reason=reason,
            control="transfer",
            rehire_date=effective,
        )
        employee_hooks_queue(employee=target, kind="updated")
        return target
    target = SandboxEmployee(
        company=to_company,
        employee_id=target_id,
        status_code="",
        status_type=StatusType.ACTIVE,
        status_effective_date=effective,
        hire_date=effective,
        **{name: getattr(employee, name) for name in EDITABLE_FIELDS},
    )
    _change(target, code="A", effective_date=effective, reason=reason, control="transfer")
    employee_hooks_queue(employee=target, kind="created")
    return target


@transaction.atomic
def employee_update(*, employee: SandboxEmployee, acting_user=None, **fields) -> SandboxEmployee:
    """Change non-status fields (email, pay group, benefit class...); sends an employee-change hook."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Fields that cannot be changed here: {', '.join(sorted(unknown))}.")
    if not fields:
        raise ApplicationError("Nothing to change.")
    for name, value in fields.items():
        setattr(employee, name, value)
    employee.full_clean()
    employee.save(update_fields=[*fields, "updated_at"])
    employee_hooks_queue(employee=employee, kind="updated")
    return employee

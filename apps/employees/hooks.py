"""What the lifecycle reports on the problem bus (``apps.core.problems``): facts, never ticket wording.

Called inside the writing transaction; the bus delivers after commit (support turns each into an automatic
ticket, worded by its catalogue). A rollback delivers nothing.
"""

from __future__ import annotations

from apps.companies.models import CompanySet
from apps.core.problems import Fixed, Problem, report, report_fixed

from .models import ChangeBatch, DownstreamAction, Employee, StatusEvent

TICKET_EMPLOYEES = 50  # at most this many employees are linked to one automatic ticket


def mapping_needed(company_set: CompanySet, code: str) -> None:
    """A custom status code with no mapping holds status events: one problem per code and company set."""
    held = StatusEvent.objects.filter(employee__company__company_set=company_set, code=code, held=True)
    employees = list(
        Employee.objects.filter(pk__in=held.values("employee_id"))
        .select_related("company")
        .order_by("pk")[:TICKET_EMPLOYEES]
    )
    companies = sorted({e.company for e in employees}, key=lambda c: c.external_id)
    report(
        Problem(
            kind="mapping-needed",
            key=f"mapping-needed:{company_set.pk}:{code}",
            customer=company_set.customer,
            facts={
                "company_set_id": company_set.pk,
                "code": code,
                "companies": ", ".join(c.external_id for c in companies) or "no company yet",
            },
            detail=(
                f"Custom code {code} is unmapped; {held.count()} status event(s) are held and drive nothing "
                "until it is mapped."
            ),
            companies=tuple(companies),
            employees=tuple(employees),
        )
    )


def mapping_set(company_set: CompanySet, code: str, status_type_label: str, company, acting_user) -> None:
    """A code was mapped: the "mapping needed" ticket logs it and resolves once no event of it is held."""
    where = f" for company {company.external_id}" if company is not None else ""
    report_fixed(
        Fixed(
            key=f"mapping-needed:{company_set.pk}:{code}",
            what=f"status code {code} mapped to {status_type_label}{where}.",
            acting_user=acting_user,
        )
    )


def mass_change_held(batch: ChangeBatch) -> None:
    """The mass-change safeguard held a batch's removals for an admin's approval."""
    actions = batch.actions.select_related("employee__company").order_by("pk")[:TICKET_EMPLOYEES]
    employees = tuple(a.employee for a in actions if a.employee)
    report(
        Problem(
            kind="mass-change",
            key=f"mass-change:{batch.pk}",
            customer=batch.customer,
            facts={"batch_id": batch.pk, "removals": batch.removals},
            detail=(
                f"{batch.removals} of {batch.active_persons_before} active persons would lose access "
                f"({batch.cause}); an admin must approve or reject the held batch."
            ),
            companies=tuple({e.company for e in employees}),
            employees=employees,
            evidence=(batch,),
        )
    )


def mass_change_decided(batch: ChangeBatch, acting_user) -> None:
    """An admin approved or rejected a held batch: its ticket logs who decided what, and resolves."""
    verdict = "approved" if batch.state == ChangeBatch.State.APPROVED else "rejected"
    why = f" ({batch.decision_reason})" if batch.decision_reason else ""
    report_fixed(
        Fixed(
            key=f"mass-change:{batch.pk}",
            what=f"change batch {batch.pk} {verdict}{why}.",
            acting_user=acting_user,
        )
    )


def action_dead(action: DownstreamAction) -> None:
    """A downstream action used up its attempts: one problem per customer collects them all."""
    employee = action.employee
    report(
        Problem(
            kind="action-dead",
            key=f"action-dead:{action.customer_id}",
            customer=action.customer,
            facts={"customer_id": action.customer_id},
            detail=f"Action {action.key} went dead after {action.attempts} attempts: {action.last_error[:300]}",
            companies=(employee.company,) if employee is not None else (),
            employees=(employee,) if employee is not None else (),
            evidence=(action,),
        )
    )

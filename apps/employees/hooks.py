"""Where lifecycle events reach the support desk: automatic tickets (called after commit)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def mapping_needed(company_set_id: int, code: str) -> None:
    """Open (or re-open) the one "mapping needed" ticket for a code in a company set."""
    from apps.companies.models import CompanySet
    from apps.support.services import ticket_raise_automatic

    from .models import Employee, StatusEvent

    company_set = CompanySet.objects.select_related("customer").get(pk=company_set_id)
    held = StatusEvent.objects.filter(employee__company__company_set=company_set, code=code, held=True)
    employees = list(Employee.objects.filter(pk__in=held.values("employee_id")).order_by("pk")[:50])
    ticket_raise_automatic(
        key=f"mapping-needed:{company_set_id}:{code}",
        category="mapping_needed",
        customer=company_set.customer,
        title=f"Status code {code} in {company_set.name} needs a mapping",
        expected_result=f"Every status code of {company_set.name} is mapped to Active, Leave or Terminated.",
        actual_result=(
            f"Custom code {code} is unmapped; {held.count()} status event(s) are held and drive nothing "
            "until it is mapped."
        ),
        companies=list({e.company for e in employees}),
        employees=employees,
    )


def mass_change_held(batch_id: int) -> None:
    """Open a ticket listing the removals the mass-change safeguard holds for approval."""
    from apps.support.services import ticket_raise_automatic

    from .models import ChangeBatch

    batch = ChangeBatch.objects.select_related("customer").get(pk=batch_id)
    actions = list(batch.actions.select_related("employee__company").order_by("pk")[:50])
    ticket_raise_automatic(
        key=f"mass-change:{batch_id}",
        category="other",
        customer=batch.customer,
        title=f"{batch.removals} removals held for approval ({batch.cause})",
        expected_result="Deprovisions and suspensions stay below the customer's mass-change threshold.",
        actual_result=(
            f"{batch.removals} of {batch.active_persons_before} active persons would lose access; "
            "an admin must approve or reject the held batch."
        ),
        employees=[a.employee for a in actions if a.employee],
        evidence=[batch],
    )


def action_dead(action_id: int) -> None:
    """Open a ticket for a downstream action that used up its attempts."""
    from apps.support.services import ticket_raise_automatic

    from .models import DownstreamAction

    action = DownstreamAction.objects.select_related("customer", "employee__company").get(pk=action_id)
    ticket_raise_automatic(
        key=f"action-dead:{action.customer_id}",
        category="other",
        customer=action.customer,
        title="Downstream deliveries are failing",
        expected_result="The customer's downstream app accepts every access decision.",
        actual_result=f"Action {action.key} went dead after {action.attempts} attempts: {action.last_error[:300]}",
        employees=[action.employee] if action.employee else [],
        evidence=[action],
    )

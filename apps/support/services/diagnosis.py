""" "Check this employee now": ask the provider, store the side-by-side result, attach it to the ticket."""

from __future__ import annotations

import logging

from django.db import transaction

from apps.core.errors import ApplicationError
from apps.integrations.models import ApiCall

from ..diagnostics import diagnose
from ..models import (
    DiagnosticResult,
    Ticket,
    TicketLogEntry,
)
from .tickets import _attach, _log

logger = logging.getLogger(__name__)

# --- diagnostics ---------------------------------------------------------------------------------------


def employee_diagnose(*, employee, ticket: Ticket | None = None, acting_user=None, client_factory=None):
    """Check the employee now: GET it from the provider, store the side-by-side result, attach it.

    The provider call happens outside any transaction (a slow provider must not hold database locks); the
    result, its evidence links and the log line are then written together.
    """
    if ticket is not None and employee.company.company_set.customer_id != ticket.customer_id:
        raise ApplicationError("The employee belongs to another customer than the ticket.")
    diagnosis = diagnose(employee, client_factory=client_factory)
    return _diagnosis_store(employee=employee, ticket=ticket, diagnosis=diagnosis, acting_user=acting_user)


@transaction.atomic
def _diagnosis_store(*, employee, ticket, diagnosis, acting_user):
    result = DiagnosticResult(
        ticket=ticket,
        employee=employee,
        company=employee.company,
        employee_external_id=employee.employee_id,
        run_by=acting_user,
        ok=diagnosis.ok,
        error=diagnosis.error,
        result=diagnosis.result,
    )
    result.full_clean()
    result.save()
    if ticket is not None:
        _attach(ticket, result, acting_user=acting_user, note="check this employee now")
        for call in ApiCall.objects.filter(pk__in=diagnosis.api_call_ids):
            _attach(ticket, call, acting_user=acting_user, note="made by diagnostics")
        ticket.employees.add(employee)
        if not diagnosis.ok:
            summary = diagnosis.error
        elif diagnosis.differing_fields:
            summary = "the provider's record differs from ours on " + ", ".join(diagnosis.differing_fields)
        else:
            summary = "the provider's record matches ours"
        _log(
            ticket,
            TicketLogEntry.Kind.DIAGNOSTICS,
            f"Checked employee {employee.employee_id} of company {employee.company.external_id} "
            f"with the provider: {summary}.",
            author=acting_user,
        )
    return result

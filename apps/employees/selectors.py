"""Reads for employees, persons, history and the outbox, scoped to the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from apps.companies.models import Company
from apps.companies.selectors import scope_to_user
from apps.mappings.models import StatusCode

from .models import ChangeBatch, DownstreamAction, Employee, Person, StatusEvent


def employee_status_index(
    *, company: Company, employee_ids: Sequence[str] | None = None
) -> dict[str, tuple[str, dt.datetime | None]]:
    """employee_id -> (current status code, when details were last fetched), in one query.

    ``employee_ids`` limits it to those employees (a sync reads it per page, not for the whole company).
    """
    rows = Employee.objects.filter(company=company)
    if employee_ids is not None:
        rows = rows.filter(employee_id__in=list(employee_ids))
    return {
        employee_id: (code, refreshed)
        for employee_id, code, refreshed in rows.values_list(
            "employee_id", "status_code", "details_refreshed_at"
        )
    }


def persons_with_state() -> QuerySet[Person]:
    """Persons with their records and the ledger's company loaded: what the API and admin show per person."""
    return Person.objects.select_related("downstream_company").prefetch_related(
        Prefetch("employees", queryset=Employee.objects.select_related("company"))
    )


STATUS_EVENT_CUSTOMER_PATH = "employee__company__company_set__customer"


def status_events_with_employee() -> QuerySet[StatusEvent]:
    """Status events across employees, newest recorded first, each with its employee and company loaded."""
    return StatusEvent.objects.select_related("employee__company").order_by("-recorded_at", "-pk")


def status_events_for(user, *, employee_id: int) -> QuerySet[StatusEvent]:
    return scope_to_user(
        StatusEvent.objects.filter(employee_id=employee_id), user, "employee__company__company_set__customer"
    ).order_by("-effective_date", "-recorded_at", "-pk")


def downstream_actions_explained() -> QuerySet[DownstreamAction]:
    """Actions with what explains them loaded: the company enacted in, the record, the driving events."""
    return DownstreamAction.objects.select_related(
        "person", "employee__company", "company", "prior_company", "batch"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=StatusEvent.objects.select_related("employee__company").order_by(
                "effective_date", "recorded_at", "pk"
            ),
        )
    )


LIST_LIMIT = 10


# --- lifecycle -----------------------------------------------------------------------------------------


def held_codes(user, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Unmapped codes with held events per company set (most events first), with the code's id to map it."""
    code_id = (
        StatusCode.objects.filter(
            standard=False,
            company_set_id=OuterRef("employee__company__company_set_id"),
            code=OuterRef("code"),
        )
        .order_by("company_id", "pk")
        .values("pk")[:1]
    )
    rows = (
        scope_to_user(StatusEvent.objects.filter(held=True), user, "employee__company__company_set__customer")
        .values(
            "code",
            "employee__company__company_set_id",
            "employee__company__company_set__name",
            "employee__company__company_set__customer__name",
        )
        .annotate(
            events=Count("pk"), employees=Count("employee", distinct=True), status_code_id=Subquery(code_id)
        )
        .order_by("-events", "code")[:limit]
    )
    return [
        {
            "code": row["code"],
            "company_set": row["employee__company__company_set__name"],
            "customer": row["employee__company__company_set__customer__name"],
            "events": row["events"],
            "employees": row["employees"],
            "status_code_id": row["status_code_id"],
        }
        for row in rows
    ]


def employee_counts(user) -> dict[str, int]:
    """Employees the user may see: total, held, needing review, out of scope (one query)."""
    return scope_to_user(Employee.objects.all(), user, "company__company_set__customer").aggregate(
        total=Count("pk"),
        held=Count("pk", filter=Q(held=True)),
        needs_review=Count("pk", filter=Q(needs_review=True)),
        out_of_scope=Count("pk", filter=Q(in_scope=False)),
    )


def employees_needing_review(user, *, limit: int = LIST_LIMIT) -> list[Employee]:
    return list(
        scope_to_user(
            Employee.objects.filter(needs_review=True).select_related("company"),
            user,
            "company__company_set__customer",
        ).order_by("-updated_at", "pk")[:limit]
    )


def action_counts(user) -> dict[str, int]:
    """Downstream actions by state (one query); every state present, zero when none."""
    counts = {state: 0 for state in DownstreamAction.State.values}
    rows = (
        scope_to_user(DownstreamAction.objects.all(), user).values("state").annotate(n=Count("pk")).order_by()
    )
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def batches_awaiting(user, *, limit: int = LIST_LIMIT) -> list[ChangeBatch]:
    """Mass changes held for an admin's approval, oldest first, with how many actions each holds."""
    return list(
        scope_to_user(
            ChangeBatch.objects.filter(state=ChangeBatch.State.AWAITING_APPROVAL)
            .select_related("customer")
            .annotate(
                held=Count("actions", filter=Q(actions__state=DownstreamAction.State.AWAITING_APPROVAL))
            ),
            user,
        ).order_by("created_at", "pk")[:limit]
    )


def visible_employee(user, pk: int) -> Employee:
    """One employee of a customer the user may see (DoesNotExist otherwise), with company and person."""
    return scope_to_user(
        Employee.objects.select_related("company__company_set__customer", "person"),
        user,
        "company__company_set__customer",
    ).get(pk=pk)

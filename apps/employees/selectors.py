"""Reads for employees, persons, history and the outbox, scoped to the user."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.companies.models import Company
from apps.companies.selectors import scope_to_user

from .models import ChangeBatch, DownstreamAction, Employee, Person, StatusEvent


def employee_status_index(*, company: Company) -> dict[str, tuple[str, dt.datetime | None]]:
    """employee_id -> (current status code, when details were last fetched), in one query."""
    return {
        employee_id: (code, refreshed)
        for employee_id, code, refreshed in Employee.objects.filter(company=company).values_list(
            "employee_id", "status_code", "details_refreshed_at"
        )
    }


def employees_for(user) -> QuerySet[Employee]:
    return scope_to_user(
        Employee.objects.select_related("company__company_set", "person"),
        user,
        "company__company_set__customer",
    )


def persons_for(user) -> QuerySet[Person]:
    return scope_to_user(persons_with_state(), user)


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


def downstream_actions_for(user) -> QuerySet[DownstreamAction]:
    return scope_to_user(downstream_actions_explained(), user)


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


def change_batches_awaiting(user) -> QuerySet[ChangeBatch]:
    return scope_to_user(
        ChangeBatch.objects.filter(state=ChangeBatch.State.AWAITING_APPROVAL).annotate(
            held=Count("actions", filter=Q(actions__state=DownstreamAction.State.AWAITING_APPROVAL))
        ),
        user,
    )


def held_events_by_code(*, company_set_id: int | None = None) -> QuerySet:
    """(company set, code) -> number of held events, for the mapping admin and the dashboard."""
    qs = StatusEvent.objects.filter(held=True)
    if company_set_id:
        qs = qs.filter(employee__company__company_set_id=company_set_id)
    return (
        qs.values("employee__company__company_set_id", "employee__company__company_set__name", "code")
        .annotate(events=Count("pk"), employees=Count("employee", distinct=True))
        .order_by("-events")
    )

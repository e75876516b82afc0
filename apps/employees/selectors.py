"""Reads for employees, persons, history and the outbox, scoped to the user."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

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
    return scope_to_user(Person.objects.prefetch_related("employees__company"), user)


def status_events_for(user, *, employee_id: int) -> QuerySet[StatusEvent]:
    return scope_to_user(
        StatusEvent.objects.filter(employee_id=employee_id), user, "employee__company__company_set__customer"
    ).order_by("-effective_date", "-recorded_at", "-pk")


def downstream_actions_for(user) -> QuerySet[DownstreamAction]:
    return scope_to_user(
        DownstreamAction.objects.select_related("person", "employee__company", "batch"), user
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

"""Reads of the audit trail, scoped to the customers a user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from apps.companies.selectors import scope_to_user

from .models import AuditEvent


def audit_events_for(
    user,
    *,
    customer: int | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events the user may see, newest first. Events without a customer (users, templates) are staff-only."""
    events = scope_to_user(AuditEvent.objects.all(), user, "customer")
    if customer is not None:
        events = events.filter(customer_id=customer)
    if actor:
        events = events.filter(actor=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if since is not None:
        events = events.filter(time__gte=since)
    if until is not None:
        events = events.filter(time__lte=until)
    return events.order_by("-time", "-id")


def object_types() -> list[str]:
    """The covered models, as ``app_label.model`` (the values of the ``object_type`` filter)."""
    from .registry import SPECS  # the registry is built from every app's models once they are loaded

    return sorted(model._meta.label_lower for model in SPECS)

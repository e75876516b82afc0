"""The triage queue's filters: state (open by default) and age buckets."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.utils import timezone

from ..models import (
    OPEN_STATES,
    State,
)

# --- filters -------------------------------------------------------------------------------------------


class QueueStateFilter(admin.SimpleListFilter):
    """State, defaulting to the open tickets (the triage queue)."""

    title = "state"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open (triage queue)"), *State.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(state__in=OPEN_STATES)
        if value == "all":
            return queryset
        return queryset.filter(state=value)

    def choices(self, changelist):
        current = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


AGE_BUCKETS = {
    "1d": ("Under a day", 0, 1),
    "3d": ("1 to 3 days", 1, 3),
    "7d": ("3 to 7 days", 3, 7),
    "old": ("Over 7 days", 7, None),
}


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in AGE_BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in AGE_BUCKETS:
            return queryset
        _, younger, older = AGE_BUCKETS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(opened_at__lte=now - dt.timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(opened_at__gt=now - dt.timedelta(days=older))
        return queryset

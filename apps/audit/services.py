"""Writes of the audit app: retention (pruning old history)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuditEvent
from .registry import SPECS


@dataclass(frozen=True)
class PruneResult:
    cutoff: dt.datetime
    history_rows: int
    events: int


@transaction.atomic
def audit_history_prune(*, now: dt.datetime | None = None, days: int | None = None) -> PruneResult:
    """Delete history rows and audit events older than the retention period (AUDIT_RETENTION_DAYS).

    Per object, the newest history row before the cutoff is kept (unless it records a deletion), so "as of"
    readings of any moment inside the retention period still see the configuration then in force.
    """
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("The audit retention period must be at least one day.")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    history_rows = 0
    for model in SPECS:
        old = model.history.filter(history_date__lt=cutoff)
        keep = old.latest_of_each().exclude(history_type="-").values("history_id")
        _, per_model = old.exclude(history_id__in=keep).delete()
        history_rows += per_model.get(model.history.model._meta.label, 0)
    events, _ = AuditEvent.objects.filter(time__lt=cutoff).delete()
    return PruneResult(cutoff=cutoff, history_rows=history_rows, events=events)

"""django-q2 entry points of the audit app (thin: they call services)."""

from __future__ import annotations

import logging

from apps.core.logs import log_event
from apps.core.schedules import ScheduleSpec, register

from . import services

logger = logging.getLogger(__name__)

register(
    ScheduleSpec(
        name="audit.prune_history",
        func="apps.audit.tasks.prune_history",
        when="every day at 03:40 UTC: history and audit events older than AUDIT_RETENTION_DAYS are deleted",
        cron="40 3 * * *",
    )
)


def prune_history() -> str:
    result = services.audit_history_prune()
    log_event(
        logger,
        "audit.pruned",
        cutoff=result.cutoff.isoformat(),
        history_rows=result.history_rows,
        events=result.events,
    )
    return (
        f"pruned {result.history_rows} history rows and {result.events} audit events before {result.cutoff}"
    )

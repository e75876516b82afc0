"""django-q2 entry points of the support desk (thin: they call services) and their schedules."""

from __future__ import annotations

import logging

from apps.core.schedules import ScheduleSpec, register

from . import services

logger = logging.getLogger(__name__)

register(
    ScheduleSpec(
        name="support.tickets_auto_resolve",
        func="apps.support.tasks.tickets_auto_resolve",
        when="every hour at minute 23: automatic tickets quiet for 24 hours resolve themselves",
        cron="23 * * * *",
    )
)
register(
    ScheduleSpec(
        name="support.secret_expiry_check",
        func="apps.support.tasks.secret_expiry_check",
        when="every day at 06:10 UTC: a ticket for each provider secret expiring within 10 days",
        cron="10 6 * * *",
    )
)


def tickets_auto_resolve() -> int:
    resolved = services.tickets_auto_resolve()
    logger.info("Automatic tickets resolved: %s", resolved)
    return resolved


def secret_expiry_check() -> int:
    raised = services.connections_secret_expiry_check()
    logger.info("Expiring provider secrets ticketed: %s", raised)
    return raised

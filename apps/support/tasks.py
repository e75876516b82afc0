"""django-q2 entry points of the support desk (thin: they call services) and their schedules."""

from __future__ import annotations

import logging

from apps.core.schedules import ScheduleSpec, register

from . import services

logger = logging.getLogger(__name__)

register(
    ScheduleSpec(
        name="support.resolve_quiet_tickets",
        func="apps.support.tasks.resolve_quiet_tickets",
        when="every hour at minute 23: automatic tickets quiet for 24 hours resolve themselves",
        cron="23 * * * *",
    )
)
register(
    ScheduleSpec(
        name="support.check_expiring_secrets",
        func="apps.support.tasks.check_expiring_secrets",
        when="every day at 06:10 UTC: a ticket for each provider secret expiring within 10 days",
        cron="10 6 * * *",
    )
)


def resolve_quiet_tickets() -> int:
    resolved = services.tickets_auto_resolve()
    logger.info("Automatic tickets resolved: %s", resolved)
    return resolved


def check_expiring_secrets() -> int:
    raised = services.connections_secret_expiry_check()
    logger.info("Expiring provider secrets ticketed: %s", raised)
    return raised

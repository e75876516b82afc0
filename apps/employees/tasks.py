"""django-q2 entry points for the lifecycle: thin wrappers around services, and their schedules."""

from __future__ import annotations

import logging

from django_q.models import Schedule

from apps.core.schedules import ScheduleSpec, register

from . import delivery, services

logger = logging.getLogger(__name__)

register(
    ScheduleSpec(
        name="employees.activate_future_events",
        func="apps.employees.tasks.activate_future_events",
        when="every day at 00:05 UTC: future-dated status events take effect on their day",
        cron="5 0 * * *",
    )
)
register(
    ScheduleSpec(
        name="employees.expire_transfer_windows",
        func="apps.employees.tasks.expire_transfer_windows",
        when="every hour at minute 17: transfers whose grace window passed without a hire are deprovisioned",
        cron="17 * * * *",
    )
)
register(
    ScheduleSpec(
        name="employees.drain_outbox",
        func="apps.employees.tasks.drain_outbox",
        when="every minute: deliver pending downstream actions (retries with backoff)",
        schedule_type=Schedule.MINUTES,
        minutes=1,
    )
)


def activate_future_events() -> int:
    return services.status_events_activate()


def expire_transfer_windows() -> int:
    return services.transfer_watches_expire()


def drain_outbox() -> int:
    return delivery.actions_drain()


def employee_file_upload_apply(upload_id: str) -> int | None:
    """Apply an employee file uploaded in the admin (stored by the web request)."""
    return services.employee_file_upload_apply(upload_id=upload_id)

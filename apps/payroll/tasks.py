"""django-q2 entry points of the payroll app (thin), its sync kinds, its webhook handler and its schedules.

Importing this module registers: the ``payroll-ongoing`` and ``payroll-sync`` sync kinds (so
``manage.py sync <connection> --kind payroll-ongoing|payroll-sync`` and the API run them), the processor
of PrismHR PayrollBatch subscription events, and the two dispatch schedules.
"""

from __future__ import annotations

from django_q.models import Schedule

from apps.core.schedules import ScheduleSpec, register
from apps.integrations.models import SyncRun, WebhookEvent
from apps.integrations.services import register_sync_kind, register_webhook_handler
from apps.integrations.tasks import enqueue_sync_run

from .services import (
    notification_send,
    payroll_event_handle,
    payroll_ongoing_due,
    payroll_ongoing_run,
    payroll_sync_due,
    payroll_sync_run,
    queue_record_process,
)


@register_sync_kind(SyncRun.Kind.PAYROLL_ONGOING)
def payroll_ongoing(run: SyncRun, context) -> None:
    payroll_ongoing_run(run, context)


@register_sync_kind(SyncRun.Kind.PAYROLL_SYNC)
def payroll_sync(run: SyncRun, context) -> None:
    payroll_sync_run(run, context)


@register_webhook_handler("payroll")
def payroll_event(event: WebhookEvent) -> None:
    payroll_event_handle(event=event)


def _enqueue(runs) -> int:
    for run in runs:
        enqueue_sync_run(run.pk)
    return len(runs)


def dispatch_ongoing_imports() -> int:
    """Request and enqueue the Ongoing runs that are due."""
    return _enqueue(payroll_ongoing_due())


def dispatch_batch_syncs() -> int:
    """Request and enqueue today's Sync runs (on each connection's Sync days)."""
    return _enqueue(payroll_sync_due())


def queue_record_task(record_id: int) -> None:
    queue_record_process(record_id=record_id)


def notification_send_task(notification_id: int) -> None:
    notification_send(notification_id=notification_id)


register(
    ScheduleSpec(
        name="payroll.dispatch_ongoing_imports",
        func="apps.payroll.tasks.dispatch_ongoing_imports",
        when=(
            "every 5 minutes: start the Ongoing process of each live PrismHR connection whose interval "
            "(default every 15 minutes) has passed"
        ),
        schedule_type=Schedule.MINUTES,
        minutes=5,
    )
)
register(
    ScheduleSpec(
        name="payroll.dispatch_batch_syncs",
        func="apps.payroll.tasks.dispatch_batch_syncs",
        when=(
            "every hour on the hour: start the Sync process of each live PrismHR connection once a day on "
            "its Sync days (default Saturdays and Sundays, from 01:00)"
        ),
        cron="0 * * * *",
    )
)

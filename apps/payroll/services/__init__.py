"""Writes of the payroll app, one module per concern, all importable from here."""

from __future__ import annotations

from .batches import (
    batch_deactivate,
    batch_status_apply,
    batch_sync_request,
    batch_upsert,
    payroll_settings_for,
    payroll_settings_set,
)
from .dispatch import payroll_ongoing_due, payroll_sync_due, queue_record_process, sync_day
from .notifications import (
    notification_rule_delete,
    notification_rule_save,
    notification_send,
    notifications_mark_read,
    notifications_raise,
)
from .ongoing import (
    delete_record_process,
    known_company,
    ongoing_record_process,
    payroll_event_handle,
    payroll_ongoing_run,
)
from .queue import (
    queue_record_claim,
    queue_record_create,
    queue_record_finish,
    queue_record_replay,
)
from .sync import (
    batch_import,
    employee_count_write,
    employee_headcount,
    import_record_process,
    payroll_sync_run,
    records_for_sync,
)

__all__ = [
    "batch_deactivate",
    "batch_import",
    "batch_status_apply",
    "batch_sync_request",
    "batch_upsert",
    "delete_record_process",
    "employee_count_write",
    "employee_headcount",
    "import_record_process",
    "known_company",
    "notification_rule_delete",
    "notification_rule_save",
    "notification_send",
    "notifications_mark_read",
    "notifications_raise",
    "ongoing_record_process",
    "payroll_event_handle",
    "payroll_ongoing_due",
    "payroll_ongoing_run",
    "payroll_settings_for",
    "payroll_settings_set",
    "payroll_sync_due",
    "payroll_sync_run",
    "queue_record_claim",
    "queue_record_create",
    "queue_record_finish",
    "queue_record_process",
    "queue_record_replay",
    "records_for_sync",
    "sync_day",
]

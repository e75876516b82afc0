"""Writes of the integrations app, one module per concern, all importable from here."""

from __future__ import annotations

from .connections import (
    EDITABLE_FIELDS,
    connection_companies_check,
    connection_create,
    connection_secret_clear,
    connection_update,
    connection_webhook_secret_generate,
)
from .fair_use import api_calls_prune, fair_use_check, fair_use_check_all, fair_use_usage
from .files import affinity_files_pull
from .health import (
    connection_test,
)
from .inbox import (
    register_webhook_handler,
    webhook_event_process,
    webhook_event_replay,
    webhook_event_store_if_current,
    webhook_events_due,
    webhook_events_enqueue,
    webhook_events_store,
    webhook_events_sweep,
)
from .syncs import (
    SyncConflict,
    SyncContext,
    register_sync_kind,
    sync_kinds,
    sync_run_cancel_pending,
    sync_run_execute,
    sync_run_request,
    sync_runs_nightly,
    sync_runs_pending_lost,
    sync_runs_reap_stale,
)

__all__ = [
    "EDITABLE_FIELDS",
    "SyncConflict",
    "SyncContext",
    "affinity_files_pull",
    "api_calls_prune",
    "connection_companies_check",
    "connection_create",
    "connection_secret_clear",
    "connection_test",
    "connection_update",
    "connection_webhook_secret_generate",
    "fair_use_check",
    "fair_use_check_all",
    "fair_use_usage",
    "register_sync_kind",
    "register_webhook_handler",
    "sync_kinds",
    "sync_run_cancel_pending",
    "sync_run_execute",
    "sync_run_request",
    "sync_runs_nightly",
    "sync_runs_pending_lost",
    "sync_runs_reap_stale",
    "webhook_event_process",
    "webhook_event_replay",
    "webhook_event_store_if_current",
    "webhook_events_due",
    "webhook_events_enqueue",
    "webhook_events_store",
    "webhook_events_sweep",
]

"""The one write path for employees, their history, persons and downstream actions.

Everything that changes an employee's status goes through ``employee_records_apply`` (syncs, webhooks,
files, manual entry) or through the recomputations below (future-dated events reaching their day, a
mapping releasing held events, a transfer window expiring). All of them end in ``_refresh``, which applies
the pure rules of ``lifecycle.py`` to a set of employees in bulk and writes the outcome in the caller's
transaction: current status, transitions, scope, person status, transfer watches and outbox rows.
"""

from __future__ import annotations

from ._core import (
    Policy,
    change_batch,
    change_batch_close,
    change_batch_decide,
    change_batch_open,
    employee_records_apply,
    employee_review_clear,
    employees_mark_seen,
    policy_for,
)
from .file_import import (
    employee_file_import,
    employee_file_upload_apply,
    employee_file_upload_enqueue,
    employee_file_upload_state,
)
from .mappings import (
    MappingOutcome,
    filter_rule_delete,
    filter_rule_effect,
    filter_rule_preview,
    filter_rule_save,
    filter_rules_reapply,
    status_mapping_preview,
    status_mapping_set,
)
from .recompute import (
    customer_persons_recheck,
    downstream_target_set,
    persons_recheck,
    status_events_activate,
    transfer_watches_expire,
)
from .reconcile import Cause, persons_reconcile

__all__ = [
    "Cause",
    "MappingOutcome",
    "Policy",
    "change_batch",
    "change_batch_close",
    "change_batch_decide",
    "change_batch_open",
    "customer_persons_recheck",
    "downstream_target_set",
    "employee_file_import",
    "employee_file_upload_apply",
    "employee_file_upload_enqueue",
    "employee_file_upload_state",
    "employee_records_apply",
    "employee_review_clear",
    "employees_mark_seen",
    "filter_rule_delete",
    "filter_rule_effect",
    "filter_rule_preview",
    "filter_rule_save",
    "filter_rules_reapply",
    "persons_recheck",
    "persons_reconcile",
    "policy_for",
    "status_events_activate",
    "status_mapping_preview",
    "status_mapping_set",
    "transfer_watches_expire",
]

"""The sandbox's writers (the only code that changes sandbox rows), one module per concern.

``companies``: tokens, fault modes, rate limits; ``employees``: the employee controls; ``hooks``: outgoing
webhooks and PrismHR events; ``payroll``: batches and vouchers; ``seed``: the deterministic demo data; ``provision``: self-service companies; ``files``: the Affinity file drop.
"""

from __future__ import annotations

from .companies import (
    company_counters_reset,
    company_fault_consume,
    company_fault_set,
    company_rate_admit,
    company_rate_limit_set,
    token_expire_all,
    token_issue,
)
from .employees import (
    employee_hire,
    employee_leave,
    employee_rehire,
    employee_return,
    employee_status_set,
    employee_terminate,
    employee_transfer,
    employee_update,
    next_employee_id,
)
from .files import company_file_drop
from .hooks import (
    batch_hooks_queue,
    company_webhook_validate,
    employee_hooks_queue,
    subscription_events_take,
    webhook_deliveries_send,
    webhook_delivery_resend,
)
from .payroll import (
    batch_advance,
    batch_create,
    batch_delete,
    batch_status_set,
    batch_totals_refresh,
    batch_void,
    batch_vouchers_generate,
)
from .provision import free_external_id, sandbox_company_provision
from .seed import sandbox_seed, seed_bulk_employees, seed_large_batch

__all__ = [
    "batch_advance",
    "batch_create",
    "batch_delete",
    "batch_hooks_queue",
    "batch_status_set",
    "batch_totals_refresh",
    "batch_void",
    "batch_vouchers_generate",
    "company_counters_reset",
    "company_fault_consume",
    "company_fault_set",
    "company_file_drop",
    "company_rate_admit",
    "company_rate_limit_set",
    "company_webhook_validate",
    "employee_hire",
    "employee_hooks_queue",
    "employee_leave",
    "employee_rehire",
    "employee_return",
    "employee_status_set",
    "employee_terminate",
    "employee_transfer",
    "employee_update",
    "free_external_id",
    "next_employee_id",
    "sandbox_company_provision",
    "sandbox_seed",
    "seed_bulk_employees",
    "seed_large_batch",
    "subscription_events_take",
    "token_expire_all",
    "token_issue",
    "webhook_deliveries_send",
    "webhook_delivery_resend",
]

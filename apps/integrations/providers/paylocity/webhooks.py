"""Paylocity webhooks: legacy flat hooks (New Hire / Termination / Employee Change) and the newer events.

Legacy: ``{"eventType": "NewHire"|"Termination"|"EmployeeChange", "companyId", "employeeId"}`` with HTTP
Basic credentials; newer: ``{"eventId", "eventType": "employee.created"|..., "companyId", "employeeId",
"occurredAt"}`` signed with HMAC-SHA256. Either way only the company ID and employee ID are used: the worker
GETs the employee before anything changes (seed 000).
"""

from __future__ import annotations

from ..base import FlatHookKeys, HookEvent, flat_employee_hook, no_subscription_check

EVENT_TYPES = (
    "NewHire",
    "Termination",
    "EmployeeChange",
    "employee.created",
    "employee.updated",
    "employee.terminated",
)

# What an event type claims about the employee's status. A claim drives nothing (seed 000: confirm with a
# GET): the inbox applies what the GET says and records a disagreement (and a ticket) when it differs.
HOOK_IMPLIED_STATUS = {
    "Termination": "terminated",
    "employee.terminated": "terminated",
    "NewHire": "active",
    "employee.created": "active",
}

# company, employee, event type, event id, occurred at
KEYS = FlatHookKeys("companyId", "employeeId", "eventType", "eventId", "occurredAt")

validation_echo = no_subscription_check  # Paylocity makes no subscription check: a GET is refused


def parse(body: bytes, headers, query, *, fallback_timestamp: str = "") -> list[HookEvent]:
    """Turn one delivery into its events; raise ValueError if it is not a Paylocity employee hook."""
    return flat_employee_hook(body, headers, KEYS, fallback_timestamp=fallback_timestamp)

"""Affinity webhooks (Standard Webhooks, HMAC-SHA256): ``{"id", "type", "company_code", "employee_id",
"occurred_at"}``. Only the company code and employee ID are used; the worker GETs the employee."""

from __future__ import annotations

from ..base import FlatHookKeys, HookEvent, flat_employee_hook, no_subscription_check

# What an event type claims about the employee's status: checked against the GET, never applied (seed 000).
HOOK_IMPLIED_STATUS = {"employee.terminated": "terminated", "employee.created": "active"}

# company, employee, event type, event id, occurred at
KEYS = FlatHookKeys("company_code", "employee_id", "type", "id", "occurred_at")

validation_echo = no_subscription_check  # Affinity makes no subscription check: a GET is refused


def parse(body: bytes, headers, query, *, fallback_timestamp: str = "") -> list[HookEvent]:
    """Turn one delivery into its event; raise ValueError if it is not an Affinity employee hook."""
    return flat_employee_hook(body, headers, KEYS, fallback_timestamp=fallback_timestamp)

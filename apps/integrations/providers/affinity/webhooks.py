"""Affinity webhooks (Standard Webhooks, HMAC-SHA256): ``{"id", "type", "company_code", "employee_id",
"occurred_at"}``. Only the company code and employee ID are used; the worker GETs the employee."""

from __future__ import annotations

from ..base import HookEvent, body_delivery_key, load_json, parse_datetime, text
from .records import HOOK_IMPLIED_STATUS


def parse(body: bytes, headers, query, *, fallback_timestamp: str = "") -> list[HookEvent]:
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    company, employee = text(payload.get("company_code")), text(payload.get("employee_id"))
    if not company or not employee:
        raise ValueError("company_code and employee_id are required")
    event_id = text(payload.get("id")) or text(headers.get("webhook-id"))
    event_type = text(payload.get("type"))
    key = (
        f"id:{event_id}"
        if event_id
        else body_delivery_key(body, text(headers.get("webhook-timestamp")) or fallback_timestamp)
    )
    return [
        HookEvent(
            delivery_key=key,
            event_type=event_type,
            object_kind="employee",
            company_external_id=company,
            object_id=employee,
            occurred_at=parse_datetime(payload.get("occurred_at")),
            payload=payload,
            implied_status_type=HOOK_IMPLIED_STATUS.get(event_type, ""),
        )
    ]

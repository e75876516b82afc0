"""Paylocity webhooks: legacy flat hooks (New Hire / Termination / Employee Change) and the newer events.

Legacy: ``{"eventType": "NewHire"|"Termination"|"EmployeeChange", "companyId", "employeeId"}`` with HTTP
Basic credentials; newer: ``{"eventId", "eventType": "employee.created"|..., "companyId", "employeeId",
"occurredAt"}`` signed with HMAC-SHA256. Either way only the company ID and employee ID are used: the worker
GETs the employee before anything changes (seed 000).
"""

from __future__ import annotations

from ..base import HookEvent, body_delivery_key, load_json, parse_datetime, text
from .records import HOOK_IMPLIED_STATUS

EVENT_TYPES = (
    "NewHire",
    "Termination",
    "EmployeeChange",
    "employee.created",
    "employee.updated",
    "employee.terminated",
)


def parse(body: bytes, headers, query, *, fallback_timestamp: str = "") -> list[HookEvent]:
    """Turn one delivery into its events; raise ValueError if it is not a Paylocity employee hook.

    Legacy hooks carry no event id and no timestamp: their delivery key hashes the body with
    ``fallback_timestamp`` (the minute of arrival), so a redelivery within the minute is a duplicate.
    """
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    company_id, employee_id = text(payload.get("companyId")), text(payload.get("employeeId"))
    if not company_id or not employee_id:
        raise ValueError("companyId and employeeId are required")
    event_type = text(payload.get("eventType"))
    event_id = text(payload.get("eventId")) or text(headers.get("webhook-id"))
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
            company_external_id=company_id,
            object_id=employee_id,
            occurred_at=parse_datetime(payload.get("occurredAt")),
            payload=payload,
            implied_status_type=HOOK_IMPLIED_STATUS.get(event_type, ""),
        )
    ]

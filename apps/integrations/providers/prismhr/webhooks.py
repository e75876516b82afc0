"""PrismHR webhooks: the ``validationToken`` echo on GET, then ``{"events": [...]}`` deliveries.

Each event names a schema/class (Employee, Payroll/PayrollBatch), the client number, the object ID and the
action (CREATE / UPDATE / DELETE). Employee events are GET-confirmed by the worker; payroll events are
stored for the payroll handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..base import HookEvent, body_delivery_key, load_json, parse_datetime, text

OBJECT_KINDS = {"employee": "employee", "payroll": "payroll", "payrollbatch": "payroll"}

# PrismHR events say CREATE / UPDATE / DELETE of an object, never a status: no event type implies one.
HOOK_IMPLIED_STATUS: dict[str, str] = {}


def validation_echo(query: Mapping[str, str]) -> str | None:
    """Return the token to echo for a subscription check (``GET ?validationToken=abc``), else None."""
    token = query.get("validationToken")
    return token if token else None


def parse(body: bytes, headers, query, *, fallback_timestamp: str = "") -> list[HookEvent]:
    payload = load_json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError('expected {"events": [...]}')
    events = []
    for index, event in enumerate(payload["events"]):
        if not isinstance(event, dict):
            raise ValueError(f"event {index} is not an object")
        client_id, object_id = text(event.get("clientId")), text(event.get("objectId"))
        if not client_id or not object_id:
            raise ValueError(f"event {index}: clientId and objectId are required")
        schema = text(event.get("schemaName"))
        klass = text(event.get("className"))
        action = text(event.get("action")).upper()
        kind = OBJECT_KINDS.get(schema.lower()) or OBJECT_KINDS.get(klass.lower()) or schema.lower()
        event_id = text(event.get("eventId"))
        key = (
            f"id:{event_id}"
            if event_id
            else body_delivery_key(
                json.dumps(event, sort_keys=True).encode(), text(event.get("timestamp")) or fallback_timestamp
            )
        )
        events.append(
            HookEvent(
                delivery_key=key,
                event_type=f"{klass or schema}.{action}",
                object_kind=kind,
                company_external_id=client_id,
                object_id=object_id,
                occurred_at=parse_datetime(event.get("timestamp")),
                payload=event,
            )
        )
    return events

"""Writes for the sandbox's outgoing webhooks and PrismHR subscription events.

A control queues its hooks inside its transaction (a ``SandboxWebhookDelivery`` row each, a ``SandboxEvent``
for PrismHR) and sends them once the transaction commits, so a rolled-back control sends nothing and
every hook that went out is on record with what came back.
"""

from __future__ import annotations

import functools
import secrets
import uuid

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Provider

from .. import sender, wire
from ..models import (
    SandboxBatch,
    SandboxCompany,
    SandboxEmployee,
    SandboxEvent,
    SandboxSubscription,
    SandboxWebhookDelivery,
    WebhookAuth,
)
from ..selectors import webhook_target_for

NO_TARGET = (
    "No webhook target: set a URL on the sandbox company, or link a hub connection to a company with this "
    "external ID (or with these credentials)."
)


def _send_on_commit(deliveries: list[SandboxWebhookDelivery]) -> None:
    ids = [d.pk for d in deliveries if d.state == SandboxWebhookDelivery.State.PENDING]
    if ids:
        transaction.on_commit(functools.partial(webhook_deliveries_send, delivery_ids=ids))


def _queue(*, company: SandboxCompany, event_type: str, payload: dict, employee=None, batch=None):
    target = webhook_target_for(company)
    delivery = SandboxWebhookDelivery(
        company=company,
        employee=employee,
        batch=batch,
        event_type=event_type,
        url=target.url if target else "",
        payload=payload,
    )
    if target is None:
        delivery.state = SandboxWebhookDelivery.State.SKIPPED
        delivery.error = NO_TARGET
    delivery.full_clean()
    delivery.save()
    return delivery


def _record_event(*, company: SandboxCompany, schema: str, class_name: str, object_id: str, action: str):
    event = SandboxEvent(
        company=company,
        event_id=uuid.uuid4().hex,
        schema_name=schema,
        class_name=class_name,
        object_id=object_id,
        action=action,
        occurred_at=timezone.now(),
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def employee_hooks_queue(*, employee: SandboxEmployee, kind: str) -> list[SandboxWebhookDelivery]:
    """Queue the provider's webhook for one employee change (``kind``: created, updated, terminated).

    Paylocity sends its legacy flat event to a Basic-auth target and the newer signed event to an HMAC one;
    PrismHR records a subscription event (also served by ``getNewEvents``) and sends it in ``{"events": []}``;
    Affinity sends its Standard-Webhooks-signed event.
    """
    company = employee.company
    now = timezone.now()
    if company.provider == Provider.PRISMHR:
        action = SandboxEvent.Action.CREATE if kind == "created" else SandboxEvent.Action.UPDATE
        event = _record_event(
            company=company,
            schema="Employee",
            class_name="Employee",
            object_id=employee.employee_id,
            action=action,
        )
        payload = {"events": [wire.prism_event(event)]}
        event_type = f"Employee.{action}"
    elif company.provider == Provider.PAYLOCITY:
        target = webhook_target_for(company)
        legacy = target is not None and target.auth != WebhookAuth.HMAC
        payload = wire.paylocity_hook(employee, kind, legacy=legacy, now=now)
        event_type = payload["eventType"]
    else:
        payload = wire.affinity_hook(employee, kind, now=now)
        event_type = payload["type"]
    if not company.webhooks_enabled:
        return []
    deliveries = [_queue(company=company, event_type=event_type, payload=payload, employee=employee)]
    _send_on_commit(deliveries)
    return deliveries


@transaction.atomic
def batch_hooks_queue(*, batch: SandboxBatch, action: str, send: bool = True) -> SandboxEvent:
    """Record a PrismHR ``PayrollBatch`` event and (unless ``send`` is off, as in seeding) send it as a hook."""
    event = _record_event(
        company=batch.company,
        schema="Payroll",
        class_name="PayrollBatch",
        object_id=batch.batch_id,
        action=action,
    )
    if send and batch.company.webhooks_enabled:
        payload = {"events": [wire.prism_event(event)]}
        _send_on_commit(
            [_queue(company=batch.company, event_type=f"PayrollBatch.{action}", payload=payload, batch=batch)]
        )
    return event


def webhook_deliveries_send(*, delivery_ids: list[int]) -> list[SandboxWebhookDelivery]:
    """Send pending deliveries now and record what came back (runs after commit; no transaction held open).

    The target is resolved again at send time for its secrets, so a secret is never stored on the row.
    """
    sent = []
    rows = SandboxWebhookDelivery.objects.filter(
        pk__in=delivery_ids, state=SandboxWebhookDelivery.State.PENDING
    ).select_related("company")
    for delivery in rows:
        target = webhook_target_for(delivery.company)
        delivery.attempts += 1
        if target is None:
            delivery.state = SandboxWebhookDelivery.State.SKIPPED
            delivery.error = NO_TARGET
        else:
            result = sender.post(target, delivery.payload)
            delivery.url = target.url
            delivery.request_headers = _masked(result.headers, target)
            delivery.status_code = result.status_code
            delivery.response_body = result.body
            delivery.error = result.error
            delivery.sent_at = timezone.now()
            delivery.state = (
                SandboxWebhookDelivery.State.DELIVERED if result.ok else SandboxWebhookDelivery.State.FAILED
            )
        delivery.full_clean()
        delivery.save(
            update_fields=[
                "attempts",
                "state",
                "url",
                "request_headers",
                "status_code",
                "response_body",
                "error",
                "sent_at",
                "updated_at",
            ]
        )
        sent.append(delivery)
    return sent


def _masked(headers: dict[str, str], target: sender.HookTarget) -> dict[str, str]:
    shown = dict(headers)
    if target.auth == WebhookAuth.BASIC:
        shown["Authorization"] = f"Basic (user {target.username!r})"
    return shown


@transaction.atomic
def webhook_delivery_resend(*, delivery: SandboxWebhookDelivery, acting_user=None) -> SandboxWebhookDelivery:
    """Send a delivery again (failed or skipped ones, after fixing the target); same payload, fresh signature."""
    SandboxWebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=SandboxWebhookDelivery.State.PENDING, error=""
    )
    delivery.refresh_from_db()
    _send_on_commit([delivery])
    return delivery


def company_webhook_validate(*, company: SandboxCompany, acting_user=None) -> SandboxWebhookDelivery:
    """Check the target the way PrismHR registers a subscription: ``GET ?validationToken=`` must echo it."""
    target = webhook_target_for(company)
    token = secrets.token_urlsafe(16)
    delivery = SandboxWebhookDelivery(
        company=company, event_type="validation", method="GET", payload={"validationToken": token}
    )
    if target is None:
        delivery.state = SandboxWebhookDelivery.State.SKIPPED
        delivery.error = NO_TARGET
    else:
        result = sender.get_validation(target, token)
        delivery.url = target.url
        delivery.status_code = result.status_code
        delivery.response_body = result.body
        delivery.error = result.error
        delivery.sent_at = timezone.now()
        delivery.attempts = 1
        delivery.state = (
            SandboxWebhookDelivery.State.DELIVERED if result.ok else SandboxWebhookDelivery.State.FAILED
        )
    delivery.full_clean()
    delivery.save()
    return delivery


@transaction.atomic
def subscription_events_take(
    *, credential, subscription_id: str, limit: int | None = None
) -> tuple[list[SandboxEvent], int]:
    """Hand out the events this subscription has not seen yet (PrismHR ``getNewEvents``) and move its replay ID.

    A subscription ID seen for the first time starts at the beginning of the stream. The row is locked
    (PostgreSQL), so two pollers of one subscription never get the same event.
    """
    subscription, _ = SandboxSubscription.objects.select_for_update().get_or_create(
        credential=credential, subscription_id=subscription_id
    )
    events = (
        SandboxEvent.objects.filter(company__credentials=credential, pk__gt=subscription.replay_id)
        .select_related("company")
        .order_by("pk")
    )
    taken = list(events[:limit] if limit else events)
    if taken:
        subscription.replay_id = taken[-1].pk
        subscription.save(update_fields=["replay_id"])
    return taken, subscription.replay_id

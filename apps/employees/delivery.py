"""Deliver downstream actions: claim, sign per Standard Webhooks, POST, record, retry with backoff.

Delivery is at least once: the receiver de-duplicates by ``webhook-id``, which is the action's key and is the
same on every retry. Attempts are counted when an action is claimed, so a worker that dies mid-POST still
used up an attempt and the action is retried after its lease.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from apps.core.errors import ApplicationError
from apps.core.http import downstream_post
from apps.core.logs import log_event
from apps.core.signing import standard_headers

from . import hooks
from .models import DownstreamAction, DownstreamTarget

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 60 * 60
DRAIN_LIMIT = 200


def enqueue_drain() -> None:
    """Ask a worker to drain the outbox now (the minute schedule ``employees.drain_outbox`` is the safety net).

    By name, not by import: the task module imports this one.
    """
    async_task("apps.employees.tasks.drain_outbox", task_name="drain-outbox", group="outbox")


def backoff(attempt: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Capped exponential backoff with full jitter: up to 30 s, 60 s, 120 s ... at most six hours."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(attempt - 1, 0))
    return dt.timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


def payload(action: DownstreamAction) -> dict:
    """The JSON body: no national ID, no birth date."""
    employee = action.employee
    return {
        "type": f"person.{action.action}",
        "person": action.person_id,
        "employee": {
            "company_id": employee.company.external_id if employee else None,
            "employee_id": employee.employee_id if employee else None,
        },
        "effective_date": action.effective_date.isoformat(),
        "status": {"code": action.status_code, "type": action.status_type},
    }


def _due(now: dt.datetime):
    return DownstreamAction.objects.filter(
        Q(state__in=[DownstreamAction.State.PENDING, DownstreamAction.State.FAILED]),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        customer__downstream_target__active=True,
    ).exclude(customer__downstream_target__url="")


def actions_claim(*, limit: int = DRAIN_LIMIT) -> list[int]:
    """Claim due actions so that no two drainers deliver the same one; count the attempt at claim.

    On PostgreSQL rows are locked with SKIP LOCKED; elsewhere each row is taken with a conditional update
    whose count says whether this drainer won it.
    """
    now = timezone.now()
    with transaction.atomic():
        candidates = _due(now).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        won = []
        for pk in ids:
            claimed = (
                _due(now)
                .filter(pk=pk)
                .update(claimed_until=now + LEASE, attempts=F("attempts") + 1, updated_at=now)
            )
            if claimed:
                won.append(pk)
    return won


def _send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    return downstream_post(url, body=body, headers=headers)


def action_deliver(*, action_id: int, send=None) -> DownstreamAction | None:
    """POST one claimed action to its customer's target and record the outcome (safe to call twice)."""
    action = (
        DownstreamAction.objects.select_related("employee__company", "customer__downstream_target")
        .filter(pk=action_id)
        .first()
    )
    if action is None or action.state in (DownstreamAction.State.DELIVERED, DownstreamAction.State.DEAD):
        return action
    target: DownstreamTarget = action.customer.downstream_target
    body = json.dumps(payload(action), separators=(",", ":"), sort_keys=True).encode()
    headers = {"content-type": "application/json"}
    headers.update(standard_headers(target.signing_secret, action.key, body))
    status, error = (send or _send)(target.url, body, headers)
    now = timezone.now()
    ok = status is not None and 200 <= status < 300
    fields = ["state", "last_status_code", "last_error", "claimed_until", "next_attempt_at", "updated_at"]
    action.last_status_code = status
    action.claimed_until = None
    if ok:
        action.state = DownstreamAction.State.DELIVERED
        action.delivered_at = now
        action.last_error = ""
        action.next_attempt_at = None
        fields.append("delivered_at")
    elif action.attempts >= target.max_attempts:
        action.state = DownstreamAction.State.DEAD
        action.last_error = error[:2000]
        action.next_attempt_at = None
    else:
        action.state = DownstreamAction.State.FAILED
        action.last_error = error[:2000]
        action.next_attempt_at = now + backoff(action.attempts)
    action.save(update_fields=fields)
    if action.state == DownstreamAction.State.DEAD:
        hooks.action_dead(action)
    if action.state != DownstreamAction.State.FAILED:
        log_event(
            logger,
            f"action.{action.state}",
            level=logging.INFO if ok else logging.WARNING,
            action_id=action.pk,
            customer_id=action.customer_id,
            action=action.action,
            attempts=action.attempts,
            status_code=status,
        )
    return action


def actions_drain(*, send=None, limit: int = DRAIN_LIMIT) -> int:
    """Claim and deliver due actions; return how many were delivered."""
    delivered = 0
    for pk in actions_claim(limit=limit):
        try:
            result = action_deliver(action_id=pk, send=send)
        except Exception:
            logger.exception("delivering downstream action %s failed", pk)
            continue
        if result is not None and result.state == DownstreamAction.State.DELIVERED:
            delivered += 1
    return delivered


@transaction.atomic
def action_replay(*, action: DownstreamAction, acting_user=None) -> DownstreamAction:
    """Send a failed, dead (or delivered) action again with the same key; attempts start over."""
    if action.state in (
        DownstreamAction.State.STAGED,
        DownstreamAction.State.AWAITING_APPROVAL,
        DownstreamAction.State.REJECTED,
        DownstreamAction.State.SUPERSEDED,
        DownstreamAction.State.CANCELLED,
    ):
        # A withdrawn action was moot when withdrawn; the person's current actions say what is due.
        raise ApplicationError(f"A {action.get_state_display().lower()} action cannot be replayed.")
    action.state = DownstreamAction.State.PENDING
    action.attempts = 0
    action.next_attempt_at = timezone.now()
    action.claimed_until = None
    action.save(update_fields=["state", "attempts", "next_attempt_at", "claimed_until", "updated_at"])
    transaction.on_commit(enqueue_drain)
    return action

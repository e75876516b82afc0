"""Writes for sandbox companies and credentials: tokens, fault modes, rate limits and their counters."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import ApplicationError

from ..models import FaultMode, SandboxCompany, SandboxCredential, SandboxToken


@transaction.atomic
def token_issue(*, credential: SandboxCredential, ttl_seconds: int | None = None) -> SandboxToken:
    """Issue an access token or PrismHR session for the credential, valid for its TTL."""
    ttl = credential.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    token = SandboxToken(
        credential=credential,
        token=secrets.token_urlsafe(32),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    token.full_clean()
    token.save()
    return token


@transaction.atomic
def token_expire_all(*, credential: SandboxCredential) -> int:
    """Expire every token of the credential now (the next call gets the provider's 'expired' answer)."""
    return credential.tokens.filter(expires_at__gt=timezone.now()).update(expires_at=timezone.now())


@transaction.atomic
def company_fault_set(
    *,
    company: SandboxCompany,
    mode: str,
    remaining: int | None = None,
    delay_seconds: float | None = None,
    retry_after: int | None = None,
    acting_user=None,
) -> SandboxCompany:
    """Switch the company's fault mode; ``remaining`` limits it to that many requests (None: until switched off)."""
    if mode not in FaultMode.values:
        raise ApplicationError(f"Unknown fault mode {mode!r}.", extra={"choices": FaultMode.values})
    if remaining is not None and remaining < 1:
        raise ApplicationError("remaining must be at least 1, or empty for 'until switched off'.")
    company.fault_mode = mode
    company.fault_remaining = None if mode == FaultMode.NONE else remaining
    fields = ["fault_mode", "fault_remaining"]
    if delay_seconds is not None:
        company.fault_delay_seconds = delay_seconds
        fields.append("fault_delay_seconds")
    if retry_after is not None:
        company.fault_retry_after = retry_after
        fields.append("fault_retry_after")
    company.full_clean()
    company.save(update_fields=[*fields, "updated_at"])
    return company


@transaction.atomic
def company_rate_limit_set(
    *, company: SandboxCompany, limit: int, window_seconds: int = 1, acting_user=None
) -> SandboxCompany:
    """Set the requests allowed per window (0 lifts the limit) and start counting afresh."""
    if limit < 0 or window_seconds < 1:
        raise ApplicationError("The limit must be 0 or more and the window at least one second.")
    company.rate_limit = limit
    company.rate_window_seconds = window_seconds
    company.rate_window_index = 0
    company.rate_window_count = 0
    company.full_clean()
    company.save(
        update_fields=[
            "rate_limit",
            "rate_window_seconds",
            "rate_window_index",
            "rate_window_count",
            "updated_at",
        ]
    )
    return company


@transaction.atomic
def company_counters_reset(*, company: SandboxCompany, acting_user=None) -> SandboxCompany:
    """Zero the request and 429 counters (before a test run that asserts on them)."""
    SandboxCompany.objects.filter(pk=company.pk).update(
        request_count=0, rate_limited_count=0, rate_window_index=0, rate_window_count=0
    )
    company.refresh_from_db()
    return company


def company_fault_consume(*, company: SandboxCompany) -> bool:
    """Take one request from the fault's budget; True if the fault applies to this request.

    A single conditional UPDATE (atomic in both databases), so concurrent requests never overspend a
    budget of N: exactly N requests see the fault.
    """
    if company.fault_remaining is None:
        return True
    taken = SandboxCompany.objects.filter(pk=company.pk, fault_remaining__gt=0).update(
        fault_remaining=F("fault_remaining") - 1
    )
    return taken == 1


def company_rate_admit(*, company: SandboxCompany, now: float) -> float | None:
    """Count one request in the company's fixed window; None if allowed, else seconds until the next window.

    One ``UPDATE ... RETURNING`` moves the window forward (or adds one to it), counts the request and reads
    the count back atomically (row lock on PostgreSQL, the write lock on SQLite): under any concurrency
    exactly ``rate_limit`` requests per window get through. The CASE is evaluated on the old row, so two
    processes never both start a fresh window at 1. A refusal is counted too (``rate_limited_count`` lets a
    test assert that a client never exceeded the limit). A limit of 0 means unlimited and costs no write
    (benchmarks lift the limit that way).
    """
    if company.rate_limit == 0:
        return None
    window = company.rate_window_seconds
    index = int(now // window)
    table = SandboxCompany._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608 - the table name is ours, values are parameters
            "rate_window_count = CASE WHEN rate_window_index = %s THEN rate_window_count + 1 ELSE 1 END, "
            "rate_window_index = %s, request_count = request_count + 1 "
            "WHERE id = %s RETURNING rate_window_count",
            [index, index, company.pk],
        )
        row = cursor.fetchone()
    if row is None or row[0] <= company.rate_limit:
        return None
    SandboxCompany.objects.filter(pk=company.pk).update(rate_limited_count=F("rate_limited_count") + 1)
    return max(1.0, math.ceil((index + 1) * window - now))

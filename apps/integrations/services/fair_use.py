"""Fair use: calls per connection per hour and per day against the connection's thresholds.

Counted from the API call log (every attempt is a row), so nothing extra is written per call. A crossing
is recorded once per connection, window and period, shown on the connection, and raised as a ticket.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.problems import Problem, report

from ..models import ApiCall, Connection, FairUseCrossing


def period_starts(now: dt.datetime) -> dict[str, dt.datetime]:
    """The start of the current hour and day (in the project's time zone)."""
    local = timezone.localtime(now)
    hour = local.replace(minute=0, second=0, microsecond=0)
    return {FairUseCrossing.Window.HOUR: hour, FairUseCrossing.Window.DAY: hour.replace(hour=0)}


def fair_use_usage(*, connection: Connection, now: dt.datetime | None = None) -> dict[str, int]:
    """Calls made so far in the current hour and day."""
    starts = period_starts(now or timezone.now())
    calls = ApiCall.objects.filter(connection=connection)
    return {window: calls.filter(created_at__gte=start).count() for window, start in starts.items()}


def fair_use_check(*, connection: Connection, now: dt.datetime | None = None) -> list[FairUseCrossing]:
    """Record a crossing for each window whose count is over the threshold (once per period); return new ones."""
    now = now or timezone.now()
    per_hour, per_day = connection.effective_fair_use
    thresholds = {FairUseCrossing.Window.HOUR: per_hour, FairUseCrossing.Window.DAY: per_day}
    usage = fair_use_usage(connection=connection, now=now)
    created = []
    for window, start in period_starts(now).items():
        calls, threshold = usage[window], thresholds[window]
        if calls <= threshold:
            continue
        crossing = _record(
            connection=connection, window=window, start=start, calls=calls, threshold=threshold
        )
        if crossing is not None:
            created.append(crossing)
    return created


@transaction.atomic
def _record(*, connection, window, start, calls, threshold) -> FairUseCrossing | None:
    if FairUseCrossing.objects.filter(connection=connection, window=window, period_start=start).exists():
        return None
    crossing = FairUseCrossing(
        connection=connection, window=window, period_start=start, calls=calls, threshold=threshold
    )
    crossing.full_clean()
    try:
        with transaction.atomic():
            crossing.save()
    except IntegrityError:  # another worker recorded the same crossing a moment ago
        return None
    report(
        Problem(
            # One ticket per connection: a later crossing re-opens it (with this crossing as new evidence).
            kind="fair-use",
            key=f"fair-use:{connection.pk}",
            customer=connection.customer,
            facts={
                "connection_id": connection.pk,
                "slug": connection.slug,
                "calls": calls,
                "window": window,
                "threshold": threshold,
            },
            detail=f"{calls} calls since {start:%Y-%m-%d %H:%M}.",
            companies=tuple(connection.companies.all()),
            evidence=(crossing,),
            connection=connection,
        )
    )
    return crossing


def fair_use_check_all(*, now: dt.datetime | None = None) -> int:
    """Check every connection that called out in the last day; return how many crossings were recorded."""
    now = now or timezone.now()
    active = Connection.objects.filter(api_calls__created_at__gte=now - dt.timedelta(days=1)).distinct()
    return sum(len(fair_use_check(connection=c, now=now)) for c in active)


def api_calls_prune(*, older_than_days: int = 90) -> int:
    """Delete API call rows older than the retention period; return how many."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _ = ApiCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted

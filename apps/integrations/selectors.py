"""Reads for connections, sync runs, the webhook inbox and the API-call log, scoped to the user.

Every function runs a fixed number of queries whatever the data size (counts aggregated in the database, lists
cut at a limit); the dashboard composes them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from apps.companies.selectors import scope_to_user

from .models import ApiCall, Connection, SyncRun, WebhookEvent

CONNECTION_LIMIT = 50
SECRET_WARNING_DAYS = 30
WEBHOOK_BACKLOG_STATES = (
    WebhookEvent.State.PENDING,
    WebhookEvent.State.PROCESSING,
    WebhookEvent.State.FAILED,
)


def _count_of(queryset: QuerySet, outer_field: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` rows whose ``outer_field`` is the outer row's pk."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- connections ---------------------------------------------------------------------------------------


@dataclass
class ConnectionHealth:
    """One connection's row on the dashboard."""

    connection: Connection
    last_run: SyncRun | None
    active_run: SyncRun | None
    webhook_backlog: int
    webhooks_dead: int
    hourly_calls: list[int]
    hour_starts: list[dt.datetime]
    per_hour: int
    per_day: int
    secret_days_left: int | None

    @property
    def calls_24h(self) -> int:
        return sum(self.hourly_calls)

    @property
    def peak_hour(self) -> int:
        return max(self.hourly_calls, default=0)

    @property
    def peak_percent_of_threshold(self) -> float:
        return 100 * self.peak_hour / self.per_hour if self.per_hour else 0.0

    @property
    def over_threshold(self) -> bool:
        return self.peak_hour > self.per_hour or self.calls_24h > self.per_day

    @property
    def secret_state(self) -> str:
        """ "expired", "expiring" (within SECRET_WARNING_DAYS), "ok" or "unknown"."""
        if self.secret_days_left is None:
            return "unknown"
        if self.secret_days_left < 0:
            return "expired"
        return "expiring" if self.secret_days_left <= SECRET_WARNING_DAYS else "ok"

    @property
    def problems(self) -> list[str]:
        """What needs a look, in words (empty when healthy)."""
        found = []
        if self.connection.circuit_state != "closed":
            found.append(f"circuit {self.connection.get_circuit_state_display().lower()}")
        if self.connection.last_auth_error:
            found.append("authentication failing")
        if self.secret_state == "expired":
            found.append("client secret expired")
        elif self.secret_state == "expiring":
            found.append(f"client secret expires in {self.secret_days_left} days")
        if self.webhooks_dead:
            found.append(f"{self.webhooks_dead} dead webhook event(s)")
        if self.last_run and self.last_run.state in (SyncRun.State.FAILED, SyncRun.State.PARTIAL):
            found.append(f"last sync {self.last_run.get_state_display().lower()}")
        if self.over_threshold:
            found.append("over the fair-use threshold")
        return found


def hour_starts(now: dt.datetime, hours: int = 24) -> list[dt.datetime]:
    """The starts of the last ``hours`` whole hours, the current one last."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - dt.timedelta(hours=hours - 1 - i) for i in range(hours)]


def connection_health(user, *, now: dt.datetime | None = None) -> list[ConnectionHealth]:
    """Connections the user may see with their last sync, webhook backlog, dead items and calls per hour.

    Three queries: the connections with correlated counts and run ids, the runs, the hourly call counts.
    """
    now = now or timezone.now()
    last_run = (
        SyncRun.objects.filter(connection=OuterRef("pk"))
        .exclude(state__in=SyncRun.ACTIVE_STATES)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    active_run = (
        SyncRun.objects.filter(connection=OuterRef("pk"), state__in=SyncRun.ACTIVE_STATES)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    connections = list(
        scope_to_user(Connection.objects.select_related("customer"), user)
        .annotate(
            last_run_id=Subquery(last_run),
            active_run_id=Subquery(active_run),
            backlog=_count_of(WebhookEvent.objects.filter(state__in=WEBHOOK_BACKLOG_STATES), "connection"),
            dead=_count_of(WebhookEvent.objects.filter(state=WebhookEvent.State.DEAD), "connection"),
        )
        .order_by("customer__name", "name")[:CONNECTION_LIMIT]
    )
    run_ids = {c.last_run_id for c in connections} | {c.active_run_id for c in connections}
    runs = {run.pk: run for run in SyncRun.objects.filter(pk__in=run_ids - {None})} if connections else {}
    starts = hour_starts(timezone.localtime(now))
    hourly: dict[int, list[int]] = defaultdict(lambda: [0] * len(starts))
    if connections:
        rows = (
            ApiCall.objects.filter(
                connection__in=[c.pk for c in connections], created_at__gte=starts[0], created_at__lte=now
            )
            .annotate(hour=TruncHour("created_at"))
            .values("connection_id", "hour")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            index = int((row["hour"] - starts[0]).total_seconds() // 3600)
            if 0 <= index < len(starts):
                hourly[row["connection_id"]][index] += row["n"]
    result = []
    for c in connections:
        per_hour, per_day = c.effective_fair_use
        days_left = (c.secret_expires_at - now).days if c.secret_expires_at else None
        result.append(
            ConnectionHealth(
                connection=c,
                last_run=runs.get(c.last_run_id),
                active_run=runs.get(c.active_run_id),
                webhook_backlog=c.backlog,
                webhooks_dead=c.dead,
                hourly_calls=list(hourly[c.pk]),
                hour_starts=starts,
                per_hour=per_hour,
                per_day=per_day,
                secret_days_left=days_left,
            )
        )
    return result


def visible_sync_run(user, pk: int) -> SyncRun:
    """One sync run of a connection of a customer the user may see (DoesNotExist otherwise)."""
    return scope_to_user(
        SyncRun.objects.select_related("connection__customer", "company", "requested_by"),
        user,
        "connection__customer",
    ).get(pk=pk)

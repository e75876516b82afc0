"""``/metrics``: Prometheus figures for operators, computed from the database at scrape time.

Every figure is read from the rows the product already keeps (sync runs, API calls, the inbox and outbox,
actions, events, tickets) or from the shared counters (refused and duplicate webhooks), so the numbers are
right whichever process (web or worker, on any machine) did the work. A scrape costs about fifteen
aggregate queries. The endpoint answers only with ``Authorization: Bearer <METRICS_TOKEN>``.
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum, Value, When
from django.db.models import CharField as CharOutput
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

from apps.core.health import worker_status
from apps.core.models import Counter
from apps.employees.models import DownstreamAction, StatusEvent
from apps.integrations.models import ApiCall, SyncRun, WebhookEvent
from apps.support.models import OPEN_STATES, Origin, Ticket


def _age(now: dt.datetime, then: dt.datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then else 0.0


def _status_class():
    return Case(
        When(status_code__isnull=True, then=Value("error")),
        When(status_code__lt=200, then=Value("1xx")),
        When(status_code__lt=300, then=Value("2xx")),
        When(status_code__lt=400, then=Value("3xx")),
        When(status_code__lt=500, then=Value("4xx")),
        default=Value("5xx"),
        output_field=CharOutput(),
    )


class HubCollector:
    """Yield every metric family; each ``_...`` method is one area."""

    def collect(self):
        now = timezone.now()
        yield from self._syncs(now)
        yield from self._api_calls()
        yield from self._webhooks(now)
        yield from self._outbox(now)
        yield from self._held_and_tickets()
        yield from self._worker(now)

    def describe(self):
        return []  # no describe-time queries: the registry must not touch the database on registration

    def _syncs(self, now):

        finished = (SyncRun.State.SUCCEEDED, SyncRun.State.PARTIAL, SyncRun.State.FAILED)
        runs = CounterMetricFamily(
            "hub_sync_runs",
            "Finished sync runs by provider, kind and outcome.",
            labels=["provider", "kind", "outcome"],
        )
        duration = SummaryMetricFamily(
            "hub_sync_run_duration_seconds",
            "Duration of finished sync runs (started to finished).",
            labels=["provider", "kind"],
        )
        active = GaugeMetricFamily(
            "hub_sync_runs_active", "Sync runs pending or running.", labels=["provider", "kind", "state"]
        )
        took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        rows = (
            SyncRun.objects.filter(state__in=finished)
            .values("connection__provider", "kind", "state")
            .annotate(n=Count("id"), took=Sum(took, filter=Q(started_at__isnull=False)))
            .order_by()
        )
        per_kind: dict[tuple[str, str], list[float]] = {}
        for row in rows:
            key = (row["connection__provider"], row["kind"])
            runs.add_metric([*key, row["state"]], row["n"])
            seconds = row["took"].total_seconds() if row["took"] else 0.0
            bucket = per_kind.setdefault(key, [0, 0.0])
            bucket[0] += row["n"]
            bucket[1] += seconds
        for key, (count, total) in sorted(per_kind.items()):
            duration.add_metric(list(key), count_value=count, sum_value=total)
        for row in (
            SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES)
            .values("connection__provider", "kind", "state")
            .annotate(n=Count("id"))
            .order_by()
        ):
            active.add_metric([row["connection__provider"], row["kind"], row["state"]], row["n"])
        last_ok = GaugeMetricFamily(
            "hub_sync_last_success_timestamp_seconds",
            "When each connection's last successful sync of each kind finished (unix time).",
            labels=["connection", "provider", "kind"],
        )
        for row in (
            SyncRun.objects.filter(state=SyncRun.State.SUCCEEDED)
            .values("connection__slug", "connection__provider", "kind")
            .annotate(last=Max("finished_at"))
            .order_by()
        ):
            if row["last"]:
                last_ok.add_metric(
                    [row["connection__slug"], row["connection__provider"], row["kind"]],
                    row["last"].timestamp(),
                )
        yield from (runs, duration, active, last_ok)

    def _api_calls(self):

        calls = CounterMetricFamily(
            "hub_api_calls",
            "Outbound provider API calls by provider and status class.",
            labels=["provider", "status_class"],
        )
        rows = (
            ApiCall.objects.annotate(status_class=_status_class())
            .values("connection__provider", "status_class")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            calls.add_metric([row["connection__provider"], row["status_class"]], row["n"])
        yield calls

    def _webhooks(self, now):

        received = CounterMetricFamily(
            "hub_webhooks_received", "Verified webhook deliveries stored in the inbox.", labels=["provider"]
        )
        for row in WebhookEvent.objects.values("connection__provider").annotate(n=Count("id")).order_by():
            received.add_metric([row["connection__provider"]], row["n"])
        rejected = CounterMetricFamily(
            "hub_webhooks_rejected",
            "Webhook deliveries refused (failed check, too large, unreadable).",
            labels=["provider", "status"],
        )
        duplicate = CounterMetricFamily(
            "hub_webhooks_duplicate",
            "Webhook deliveries already stored (acknowledged, nothing done).",
            labels=["provider"],
        )
        for counter in Counter.objects.filter(name__in=("webhooks_rejected", "webhooks_duplicate")):
            labels = counter.label_dict()
            if counter.name == "webhooks_rejected":
                rejected.add_metric([labels.get("provider", ""), labels.get("status", "")], counter.value)
            else:
                duplicate.add_metric([labels.get("provider", "")], counter.value)
        waiting = (WebhookEvent.State.PENDING, WebhookEvent.State.PROCESSING, WebhookEvent.State.FAILED)
        backlog = GaugeMetricFamily(
            "hub_inbox_backlog", "Inbox events not yet processed, by state.", labels=["state"]
        )
        oldest = Min("created_at")
        by_state = {
            row["state"]: row
            for row in WebhookEvent.objects.filter(state__in=(*waiting, WebhookEvent.State.DEAD))
            .values("state")
            .annotate(n=Count("id"), oldest=oldest)
            .order_by()
        }
        for state in (*waiting, WebhookEvent.State.DEAD):
            backlog.add_metric([state], by_state.get(state, {}).get("n", 0))
        firsts = [row["oldest"] for state, row in by_state.items() if state in waiting and row["oldest"]]
        inbox_age = GaugeMetricFamily(
            "hub_inbox_oldest_age_seconds", "Age of the oldest unprocessed inbox event (0 when none)."
        )
        inbox_age.add_metric([], _age(now, min(firsts)) if firsts else 0.0)
        yield from (received, rejected, duplicate, backlog, inbox_age)

    def _outbox(self, now):

        actions = GaugeMetricFamily(
            "hub_downstream_actions", "Downstream actions by action and state.", labels=["action", "state"]
        )
        for row in DownstreamAction.objects.values("action", "state").annotate(n=Count("id")).order_by():
            actions.add_metric([row["action"], row["state"]], row["n"])
        waiting = (DownstreamAction.State.PENDING, DownstreamAction.State.FAILED)
        summary = DownstreamAction.objects.filter(state__in=waiting).aggregate(
            n=Count("id"), oldest=Min("created_at")
        )
        backlog = GaugeMetricFamily(
            "hub_outbox_backlog", "Downstream actions waiting to be delivered (pending or failed)."
        )
        backlog.add_metric([], summary["n"])
        age = GaugeMetricFamily(
            "hub_outbox_oldest_age_seconds", "Age of the oldest undelivered downstream action (0 when none)."
        )
        age.add_metric([], _age(now, summary["oldest"]))
        yield from (actions, backlog, age)

    def _held_and_tickets(self):

        held = GaugeMetricFamily("hub_held_events", "Status events held for an unmapped code.")
        held.add_metric([], StatusEvent.objects.filter(held=True).count())
        tickets = GaugeMetricFamily(
            "hub_open_automatic_tickets",
            "Open tickets the system opened itself, by category.",
            labels=["category"],
        )
        for row in (
            Ticket.objects.filter(origin=Origin.AUTOMATIC, state__in=OPEN_STATES)
            .values("category")
            .annotate(n=Count("id"))
            .order_by()
        ):
            tickets.add_metric([row["category"]], row["n"])
        yield from (held, tickets)

    def _worker(self, now):

        status = worker_status()
        up = GaugeMetricFamily("hub_worker_up", "1 when a worker cluster's heartbeat is fresh.")
        up.add_metric([], 1.0 if status["status"] == "ok" else 0.0)
        yield up
        if status.get("last_heartbeat"):
            age = GaugeMetricFamily(
                "hub_worker_heartbeat_age_seconds", "Seconds since the newest worker heartbeat."
            )
            age.add_metric([], _age(now, dt.datetime.fromisoformat(status["last_heartbeat"])))
            yield age


def registry() -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(HubCollector())
    return reg


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The scrape endpoint: 404 when METRICS_TOKEN is unset, 401 without the right bearer token."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Metrics are off: set METRICS_TOKEN.\n", status=404, content_type="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("Bearer token required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)

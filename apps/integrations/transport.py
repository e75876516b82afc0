"""The provider-facing bookkeeping of the one HTTP door (``apps.core.http``): what a connection's calls leave
behind.

The door in core sends requests; this module decides, for one Connection, whether a call may be made (the
circuit breaker on the Connection row), when (the rate limiter shared by every worker process), and what is
kept of it (one ``ApiCall`` row per attempt, attributed to the sync run or webhook event in ``call_context``).
It also keeps the connection's own health fields when a provider accepts or refuses our credentials, and
reports what a person must look at (credentials refused, circuit opened) on the problem bus
(``apps.core.problems``): provider clients call ``auth_succeeded`` / ``auth_failed`` here, never services.

SFTP (Affinity's file drop) records its calls through the same ``ConnectionBookkeeping.record_call``.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone

from apps.core import http, problems
from apps.core.bulk import bulk_insert_fast, bulk_update_fast
from apps.core.errors import CircuitOpenError, RateLimited
from apps.core.http import CallRecord, ProviderHTTP

from .models import ApiCall, CircuitState, Connection, RateLimitSlot

logger = logging.getLogger(__name__)

RATE_SAFETY = 0.9  # send at most 90% of the provider's limit
BREAKER_CACHE_SECONDS = 1.0  # how stale this process's view of another process's breaker change may be


# --- context: which sync run / webhook event a call belongs to (for the log and for support) ----------------


WaitCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class CallContext:
    sync_run_id: int | None = None
    webhook_event_id: int | None = None
    # Told (seconds, why) before a retry's wait and (0, "") after it, so a run page can say it is waiting.
    on_wait: WaitCallback | None = None


_context: contextvars.ContextVar[CallContext] = contextvars.ContextVar(
    "api_call_context",
    default=CallContext(),  # noqa: B039 (frozen dataclass)
)


@contextmanager
def call_context(*, sync_run=None, webhook_event=None, on_wait: WaitCallback | None = None) -> Iterator[None]:
    """Attribute every API call made inside the block to this sync run or webhook event.

    ``on_wait(seconds, reason)`` hears about each wait before a retry (a provider's Retry-After, or the
    backoff), and ``on_wait(0, "")`` when the wait is over.
    """
    token = _context.set(
        CallContext(
            sync_run_id=getattr(sync_run, "pk", None),
            webhook_event_id=getattr(webhook_event, "pk", None),
            on_wait=on_wait,
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


# --- rate limiter -------------------------------------------------------------------------------------------


def _interval(connection: Connection) -> float:
    """Seconds between two requests of the connection: the stricter of its limits, less a safety margin.

    The margin absorbs network jitter: two requests sent exactly one interval apart can arrive closer
    together, and a provider counting fixed windows would then see one request too many.
    """
    per_second, per_minute = connection.effective_rate_limits
    interval = 1.0 / per_second
    if per_minute:
        interval = max(interval, 60.0 / per_minute)
    return interval / RATE_SAFETY


class DatabaseRateLimiter:
    """Hand out request slots spaced ``interval`` apart, through one row per connection.

    One atomic ``UPDATE ... RETURNING`` reserves the next slot (row lock on PostgreSQL, the write lock on
    SQLite), so no two processes get the same slot and the provider never sees more than the limit in any
    window. Strict spacing is stricter than a bucket (no bursts); the limits are per second, so it costs
    nothing that matters.
    """

    _known: set[int] = set()

    def reserve(self, connection: Connection, interval: float, now: float, count: int = 1) -> float:
        """Reserve ``count`` consecutive slots; return the first (the others follow ``interval`` apart)."""
        if connection.pk not in self._known:
            RateLimitSlot.objects.get_or_create(connection_id=connection.pk)
            self._known.add(connection.pk)
        table = RateLimitSlot._meta.db_table
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET next_at = (CASE WHEN next_at > %s THEN next_at ELSE %s END) + %s "  # noqa: S608
                "WHERE connection_id = %s RETURNING next_at",
                [now, now, interval * count, connection.pk],
            )
            row = cursor.fetchone()
        if row is None:  # the row was deleted under us: recreate it and try once more
            self._known.discard(connection.pk)
            return self.reserve(connection, interval, now, count)
        return float(row[0]) - interval * count


class RedisRateLimiter:
    """The same slot spacing in Redis (one Lua script, atomic on the server).

    Times travel as integer microseconds (formatted with ``%.0f``: Lua's ``tostring`` keeps only 14 digits,
    which would move a slot by up to 100 microseconds), and the key is the connection's UUID, unique across
    databases that share one Redis (test runs, a staging copy).
    """

    SCRIPT = """
    local now = tonumber(ARGV[1])
    local interval = tonumber(ARGV[2])
    local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
    if nxt < now then nxt = now end
    nxt = nxt + interval * tonumber(ARGV[3] or '1')
    local text = string.format('%.0f', nxt)
    redis.call('SET', KEYS[1], text, 'EX', 3600)
    return text
    """

    def __init__(self, url: str):
        import redis  # optional dependency: imported only when REDIS_URL asks for it

        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(self.SCRIPT)

    def reserve(self, connection: Connection, interval: float, now: float, count: int = 1) -> float:
        key = f"hub:ratelimit:{connection.uuid}"
        now_us, interval_us = round(now * 1_000_000), round(interval * 1_000_000)
        slot_us = int(self._script(keys=[key], args=[now_us, interval_us, count])) - interval_us * count
        return now + (slot_us - now_us) / 1_000_000  # exactly ``now`` when the first slot is free


_limiter_lock = threading.Lock()
_limiter: DatabaseRateLimiter | RedisRateLimiter | None = None


def rate_limiter() -> DatabaseRateLimiter | RedisRateLimiter:
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = RedisRateLimiter(settings.REDIS_URL) if settings.REDIS_URL else DatabaseRateLimiter()
        return _limiter


def rate_limit_wait(
    connection: Connection,
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float | None = None,
) -> float:
    """Take the connection's next request slot and sleep until it; return the seconds waited.

    With ``max_wait`` (a web request: it must not hold a worker thread), a slot further away than that
    raises RateLimited carrying ``retry_after`` instead of sleeping.
    """
    now = time.time()
    slot = rate_limiter().reserve(connection, _interval(connection), now)
    wait = slot - now
    if max_wait is not None and wait > max_wait:
        raise RateLimited(
            "The provider's rate limit for this connection is in use; try again shortly.",
            permanent=False,
            retry_after=wait,
        )
    if wait > 0:
        sleep(wait)
        return wait
    return 0.0


# --- circuit breaker ----------------------------------------------------------------------------------------


@dataclass
class _BreakerView:
    state: str
    failures: int
    opened_at: Any
    read_at: float


class CircuitBreaker:
    """Open after ``circuit_threshold`` consecutive failed requests; after the cool-down let one probe through.

    State lives on the Connection row so every process agrees; each process re-reads it at most once per
    ``BREAKER_CACHE_SECONDS`` and learns its own changes at once.
    """

    _views: dict[int, _BreakerView] = {}

    def __init__(self, connection: Connection):
        self.connection = connection

    def _view(self, fresh: bool = False) -> _BreakerView:
        view = self._views.get(self.connection.pk)
        if fresh or view is None or time.monotonic() - view.read_at > BREAKER_CACHE_SECONDS:
            row = (
                Connection.objects.filter(pk=self.connection.pk)
                .values("circuit_state", "circuit_failures", "circuit_opened_at")
                .first()
            ) or {"circuit_state": CircuitState.CLOSED, "circuit_failures": 0, "circuit_opened_at": None}
            view = _BreakerView(
                row["circuit_state"], row["circuit_failures"], row["circuit_opened_at"], time.monotonic()
            )
            self._views[self.connection.pk] = view
        return view

    def _forget(self) -> None:
        self._views.pop(self.connection.pk, None)

    def before_call(self) -> None:
        """Raise CircuitOpenError unless calling is allowed (closed, or this process won the probe)."""
        view = self._view()
        if view.state == CircuitState.CLOSED:
            return
        view = self._view(fresh=True)  # only "closed" is trusted from the cache
        if view.state == CircuitState.CLOSED:
            return
        cooldown = timedelta(seconds=self.connection.circuit_cooldown_seconds)
        now = timezone.now()
        due = view.opened_at is None or view.opened_at + cooldown <= now
        if due:
            # One process wins the probe: a conditional update that a second process cannot also win.
            won = (
                Connection.objects.filter(pk=self.connection.pk, circuit_state=view.state)
                .filter(Q(circuit_opened_at__isnull=True) | Q(circuit_opened_at__lte=now - cooldown))
                .update(circuit_state=CircuitState.HALF_OPEN, circuit_opened_at=now)
            )
            self._forget()
            if won:
                return
        retry_after = max(0.0, (view.opened_at + cooldown - now).total_seconds()) if view.opened_at else None
        raise CircuitOpenError(
            f"Circuit open for {self.connection}: too many consecutive failures; calls resume after a cool-down.",
            permanent=False,
            retry_after=retry_after,
        )

    def record_success(self) -> None:
        view = self._view()
        if view.state == CircuitState.CLOSED and view.failures == 0:
            return
        rows = Connection.objects.filter(pk=self.connection.pk)
        closed = rows.exclude(circuit_state=CircuitState.CLOSED).update(
            circuit_state=CircuitState.CLOSED, circuit_failures=0, circuit_opened_at=None
        )
        if not closed:
            rows.exclude(circuit_failures=0).update(circuit_failures=0, circuit_opened_at=None)
        self._views[self.connection.pk] = _BreakerView(CircuitState.CLOSED, 0, None, time.monotonic())
        if closed:  # the probe after an open circuit succeeded: the circuit's ticket logs it and resolves
            problems.report_fixed(
                problems.Fixed(
                    key=f"circuit-open:{self.connection.pk}",
                    what=f"a probe to connection {self.connection.slug} succeeded; the circuit closed.",
                )
            )

    def record_failure(self, reason: str) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(circuit_failures=F("circuit_failures") + 1)
        view = self._view(fresh=True)
        if view.state == CircuitState.HALF_OPEN or (
            view.state == CircuitState.CLOSED and view.failures >= self.connection.circuit_threshold
        ):
            opened = Connection.objects.filter(pk=self.connection.pk, circuit_state=view.state).update(
                circuit_state=CircuitState.OPEN, circuit_opened_at=timezone.now()
            )
            self._forget()
            if opened and view.state == CircuitState.CLOSED:
                circuit_opened(self.connection, reason)


# --- the bookkeeping the door is handed -----------------------------------------------------------------------


class ConnectionBookkeeping:
    """``apps.core.http.Bookkeeping`` for one Connection: its breaker, its rate limit, its ``ApiCall`` rows."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.key = connection.pk
        self.label = f"connection {connection.pk}"
        self.breaker = CircuitBreaker(connection)

    def before_call(self) -> None:
        self.breaker.before_call()

    def wait_for_slot(self, *, sleep: Callable[[float], None], max_wait: float | None) -> float:
        planned = self.planned()
        slot = planned.next_slot() if planned is not None else None
        if slot is None:
            return rate_limit_wait(self.connection, sleep=sleep, max_wait=max_wait)
        wait = slot - time.time()
        if wait > 0:
            sleep(wait)
            return wait
        return 0.0

    def planned(self) -> _Planned | None:
        """The ``planned_calls`` block of this door in force in this context (its threads included)."""
        current = _planned.get()
        return current[1] if current is not None and current[0] is self else None

    def record_call(self, call: CallRecord) -> None:
        context = _context.get()
        planned = self.planned()
        row = planned.next_row() if planned is not None else None
        if row is not None:  # written ahead by ``planned_calls``; its outcome is written when the block ends
            row.method, row.uri, row.status_code, row.duration_ms = (
                call.method,
                call.uri,
                call.status_code,
                call.duration_ms,
            )
            row.attempt, row.error, row.created_at = call.attempt, call.error[:300], call.started_at
            return
        ApiCall.objects.create(
            connection_id=self.connection.pk,
            sync_run_id=context.sync_run_id,
            webhook_event_id=context.webhook_event_id,
            method=call.method,
            uri=call.uri,
            status_code=call.status_code,
            duration_ms=call.duration_ms,
            attempt=call.attempt,
            error=call.error[:300],
            created_at=call.started_at,
        )

    def record_success(self) -> None:
        self.breaker.record_success()

    def record_failure(self, reason: str) -> None:
        self.breaker.record_failure(reason)

    def waiting(self, seconds: float, reason: str) -> None:
        on_wait = _context.get().on_wait
        if on_wait is not None:
            on_wait(seconds, reason)


# --- bookkeeping in bulk: the planned requests of a page ------------------------------------------------------

UNLOGGED_OUTCOME = "planned; no outcome recorded (the worker stopped before its page's calls were logged)"


@dataclass
class _Planned:
    """Rate-limit slots and API call rows taken ahead for the next requests of one connection's door."""

    rows: list[ApiCall]
    slots: list[float]
    used_rows: int = 0
    used_slots: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)  # calls may run in several threads

    def next_slot(self) -> float | None:
        with self.lock:
            if self.used_slots >= len(self.slots):
                return None
            self.used_slots += 1
            return self.slots[self.used_slots - 1]

    def next_row(self) -> ApiCall | None:
        with self.lock:
            if self.used_rows >= len(self.rows):
                return None
            self.used_rows += 1
            return self.rows[self.used_rows - 1]


# The block in force, per context: the detail calls of a page run in threads that copy the context, while the
# thread that lists the next page (same door, another context) books its request on its own.
_planned: contextvars.ContextVar[tuple[ConnectionBookkeeping, _Planned] | None] = contextvars.ContextVar(
    "planned_calls", default=None
)


@contextmanager
def planned_calls(door: ProviderHTTP, count: int) -> Iterator[None]:
    """Do the bookkeeping of the next ``count`` requests through ``door`` in a constant number of queries.

    A sync knows how many detail calls a page needs. Instead of two writes per request (its rate-limit slot,
    its ``ApiCall`` row), the block starts with one UPDATE that reserves ``count`` consecutive slots and one
    INSERT of ``count`` API call rows written *ahead* of the requests, each saying "planned; no outcome
    recorded"; each request then waits for its slot and fills its row in memory, and the block ends with one
    UPDATE of every row's outcome (and one DELETE of rows not used, when fewer requests were made).

    Why ahead and not after: if the worker dies mid-page (killed, out of memory, machine lost), the rows of
    the requests it made are already in the table, saying that their outcome was not recorded, so the
    call log (and the fair-use counts read from it) never misses a request the provider may have seen. A
    request beyond ``count`` (a retry, a token refresh) is booked on its own, as outside a block.
    """
    books = door.bookkeeping
    if count <= 0 or not isinstance(books, ConnectionBookkeeping) or books.planned() is not None:
        yield
        return
    connection = books.connection
    context = _context.get()
    now = timezone.now()
    rows = bulk_insert_fast(
        [
            ApiCall(
                connection_id=connection.pk,
                sync_run_id=context.sync_run_id,
                webhook_event_id=context.webhook_event_id,
                method="",
                uri="",
                error=UNLOGGED_OUTCOME,
                created_at=now,
            )
            for _ in range(count)
        ]
    )
    interval = _interval(connection)
    first = rate_limiter().reserve(connection, interval, time.time(), count)
    planned = _Planned(rows=rows, slots=[first + k * interval for k in range(count)])
    token = _planned.set((books, planned))
    try:
        yield
    finally:
        _planned.reset(token)
        used, unused = planned.rows[: planned.used_rows], planned.rows[planned.used_rows :]
        bulk_update_fast(
            used, ["method", "uri", "status_code", "duration_ms", "attempt", "error", "created_at"]
        )
        if unused:
            ApiCall.objects.filter(pk__in=[row.pk for row in unused]).delete()


def provider_http(connection: Connection, **options: Any) -> ProviderHTTP:
    """The door for one connection's calls (``options``: timeout, sleep, max_rate_wait)."""
    return ProviderHTTP(ConnectionBookkeeping(connection), **options)


# --- what a person must look at: the connection's health fields and the problem bus --------------------------


def _companies(connection: Connection) -> tuple:
    return tuple(connection.companies.all())


def auth_succeeded(connection: Connection) -> None:
    """The provider accepted our credentials just now: keep it on the connection; a recovery is reported fixed."""
    now = timezone.now()
    # Only a connection that was failing reports a recovery (one conditional update, no extra read).
    recovered = (
        Connection.objects.filter(pk=connection.pk)
        .exclude(last_auth_error="")
        .update(last_authenticated_at=now, last_auth_error="")
    )
    if not recovered:
        Connection.objects.filter(pk=connection.pk).update(last_authenticated_at=now)
    connection.last_authenticated_at, connection.last_auth_error = now, ""
    if recovered:
        problems.report_fixed(
            problems.Fixed(
                key=f"connection-auth:{connection.pk}",
                what=f"connection {connection.slug} authenticated again at {now:%Y-%m-%d %H:%M:%S} UTC.",
            )
        )


def auth_failed(connection: Connection, message: str) -> None:
    """The provider refused our credentials: keep the reason on the connection and report it (one ticket)."""
    Connection.objects.filter(pk=connection.pk).update(last_auth_error=message[:300])
    connection.last_auth_error = message[:300]
    problems.report(
        problems.Problem(
            kind="connection-auth",
            key=f"connection-auth:{connection.pk}",
            customer=connection.customer,
            facts={"connection_id": connection.pk, "slug": connection.slug, "name": connection.name},
            detail=message,
            companies=_companies(connection),
            connection=connection,
        )
    )


def circuit_opened(connection: Connection, reason: str) -> None:
    """The circuit breaker opened: calls stop for the cool-down; report it."""
    logger.warning("circuit opened for connection %s: %s", connection.pk, reason)
    problems.report(
        problems.Problem(
            kind="circuit-open",
            key=f"circuit-open:{connection.pk}",
            customer=connection.customer,
            facts={
                "connection_id": connection.pk,
                "slug": connection.slug,
                "name": connection.name,
                "reason": reason,
                "threshold": connection.circuit_threshold,
                "cooldown_seconds": connection.circuit_cooldown_seconds,
            },
            detail=(
                f"{connection.circuit_threshold} consecutive requests failed (last: {reason}); calls pause "
                f"for {connection.circuit_cooldown_seconds}s between probes."
            ),
            companies=_companies(connection),
            connection=connection,
        )
    )


def _forget() -> None:
    """This process's breaker views, known limiter rows and limiter (``apps.core.http.reset_process_state``)."""
    global _limiter
    CircuitBreaker._views.clear()
    DatabaseRateLimiter._known.clear()
    with _limiter_lock:
        _limiter = None


http.on_reset(_forget)

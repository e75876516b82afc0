"""The one door to the network: every outbound provider request goes through ``ProviderHTTP.request``.

Why one door: timeouts, retries, rate limits, the circuit breaker and the API call log must hold for every
request, and a support agent must be able to see every request we made (``ApiCall``) without seeing a
body, a secret or an employee's personal data.

Per request:
1. the circuit breaker (state on the Connection row, shared by all processes) may refuse at once;
2. each attempt (at most ``MAX_ATTEMPTS``) first takes a slot from the per-connection rate limiter, which
   is shared by every worker process (database row, or Redis when ``REDIS_URL`` is set);
3. each attempt is recorded as an ``ApiCall`` row;
4. timeouts, connection errors, 429 and 502-504 are retried with capped exponential backoff and jitter;
   a ``Retry-After`` is honoured up to ``RETRY_AFTER_CAP`` seconds (longer: a ProviderError carrying it);
   a non-idempotent POST (a token request) is retried only when the provider cannot have processed it:
   the connection was never made, or it answered 429/503 with a Retry-After.
"""

from __future__ import annotations

import contextvars
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from apps.core import destinations

from .errors import CircuitOpenError, ProviderError
from .models import ApiCall, CircuitState, Connection, RateLimitSlot

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)  # (connect, read) seconds
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5  # seconds before the 2nd attempt; doubles each time
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 30.0  # the longest Retry-After we wait inline
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RATE_SAFETY = 0.9  # send at most 90% of the provider's limit
BREAKER_CACHE_SECONDS = 1.0  # how stale this process's view of another process's breaker change may be
USER_AGENT = "payroll-integration-hub/1.0"

# Query parameter names whose values never reach the API call log.
SECRET_PARAM_WORDS = ("secret", "password", "token", "session", "key", "ssn", "auth", "signature")


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


# --- redaction ----------------------------------------------------------------------------------------------


def redact_uri(url: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> str:
    """Return the request URI as logged: no user info, secret-looking query values replaced by ``***``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        for key, value in items:
            values = value if isinstance(value, list | tuple) else [value]
            query.extend((str(key), str(v)) for v in values)
    cleaned = [(k, "***" if any(word in k.lower() for word in SECRET_PARAM_WORDS) else v) for k, v in query]
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(cleaned, safe=",*"), ""))[:1000]


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

    def reserve(self, connection: Connection, interval: float, now: float) -> float:
        if connection.pk not in self._known:
            RateLimitSlot.objects.get_or_create(connection_id=connection.pk)
            self._known.add(connection.pk)
        table = RateLimitSlot._meta.db_table
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET next_at = (CASE WHEN next_at > %s THEN next_at ELSE %s END) + %s "  # noqa: S608
                "WHERE connection_id = %s RETURNING next_at",
                [now, now, interval, connection.pk],
            )
            row = cursor.fetchone()
        if row is None:  # the row was deleted under us: recreate it and try once more
            self._known.discard(connection.pk)
            return self.reserve(connection, interval, now)
        return float(row[0]) - interval


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
    nxt = nxt + interval
    local text = string.format('%.0f', nxt)
    redis.call('SET', KEYS[1], text, 'EX', 3600)
    return text
    """

    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(self.SCRIPT)

    def reserve(self, connection: Connection, interval: float, now: float) -> float:
        key = f"hub:ratelimit:{connection.uuid}"
        now_us, interval_us = round(now * 1_000_000), round(interval * 1_000_000)
        slot_us = int(self._script(keys=[key], args=[now_us, interval_us])) - interval_us
        return now + (slot_us - now_us) / 1_000_000  # exactly ``now`` when the slot is free


_limiter_lock = threading.Lock()
_limiter: DatabaseRateLimiter | RedisRateLimiter | None = None


def rate_limiter() -> DatabaseRateLimiter | RedisRateLimiter:
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            _limiter = RedisRateLimiter(settings.REDIS_URL) if settings.REDIS_URL else DatabaseRateLimiter()
        return _limiter


class RateLimited(ProviderError):
    """The connection's next request slot is further away than the caller may wait (a web request)."""


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
        Connection.objects.filter(pk=self.connection.pk).exclude(
            circuit_state=CircuitState.CLOSED, circuit_failures=0
        ).update(circuit_state=CircuitState.CLOSED, circuit_failures=0, circuit_opened_at=None)
        self._views[self.connection.pk] = _BreakerView(CircuitState.CLOSED, 0, None, time.monotonic())

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
                from .services import connection_circuit_opened

                connection_circuit_opened(connection=self.connection, reason=reason)


# --- the destinations policy on every connect ----------------------------------------------------------------


class DestinationRefused(Exception):
    """The address a request connected to is not an allowed destination (see ``apps.core.destinations``).

    Deliberately not an OSError: urllib3 would take it for a network failure and retry it.
    """


class _GuardedConnectionMixin:
    """Check the address actually connected to (after DNS, on every new connection) before sending a byte."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
            destinations.check_address(peer, host=self.host)
        except (destinations.DestinationError, OSError) as exc:
            sock.close()
            raise DestinationRefused(f"destination refused: {exc}") from None
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter whose connections obey the destinations policy (no retries here: the door owns them)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }


def guarded_session() -> requests.Session:
    """A Session that calls only allowed destinations: no proxy from the environment, guarded connects."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: destinations are called directly
    session.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _refused_destination(url: str) -> str | None:
    """Why the URL is not an allowed destination (checked before each request), else None."""
    try:
        destinations.validate_url(url)
    except destinations.DestinationError as exc:
        return exc.message
    return None


# --- the door -----------------------------------------------------------------------------------------------

_sessions: dict[int, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(connection: Connection) -> requests.Session:
    """Return this process's Session of the connection (its own connection pool and cookies)."""
    with _sessions_lock:
        session = _sessions.get(connection.pk)
        if session is None:
            session = guarded_session()
            _sessions[connection.pk] = session
        return session


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def backoff_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before attempt ``attempt + 1``: capped exponential, half fixed and half jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
    return ceiling / 2 + rand() * ceiling / 2


def _never_sent(exc: Exception) -> bool:
    """True when a request error proves the provider never received the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError)
    return False


class ProviderHTTP:
    """One connection's door: ``request()`` with timeouts, retries, rate limit, breaker and call log."""

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        rate_limited: bool = True,
        max_rate_wait: float | None = None,
    ):
        self.connection = connection
        self.timeout = timeout
        self.sleep = sleep
        self.rate_limited = rate_limited
        # A web request sets this (seconds): it answers "try again" rather than wait for the rate limiter.
        self.max_rate_wait = max_rate_wait
        self.breaker = CircuitBreaker(connection)

    @property
    def session(self) -> requests.Session:
        return session_for(self.connection)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one logical request (up to MAX_ATTEMPTS attempts); return the response or raise ProviderError.

        Returns any response below 500 that is not retryable (the caller decides what a 401 or 404 means);
        raises ProviderError for 5xx, for retryable failures that outlive the attempts, and for a
        Retry-After beyond the cap.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
        uri = redact_uri(url, params)
        refused = _refused_destination(url)
        if refused:
            self._log(method, uri, None, time.monotonic(), 1, timezone.now(), "destination refused")
            logger.warning("refused %s %s for connection %s: %s", method, uri, self.connection.pk, refused)
            raise ProviderError(
                f"The connection's address is not an allowed destination: {refused}.", permanent=True
            )
        self.breaker.before_call()
        attempt = 0
        while True:
            attempt += 1
            if self.rate_limited:
                rate_limit_wait(self.connection, sleep=self.sleep, max_wait=self.max_rate_wait)
            started = timezone.now()
            t0 = time.monotonic()
            response: requests.Response | None = None
            error: Exception | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    json=json,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,  # a redirect could carry credentials elsewhere: never followed
                )
            except DestinationRefused as exc:
                self._log(method, uri, None, t0, attempt, started, "destination refused")
                logger.warning("refused %s %s for connection %s: %s", method, uri, self.connection.pk, exc)
                raise ProviderError(
                    "The connection's address resolves to a destination that is not allowed.", permanent=True
                ) from exc
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                error = exc
            except requests.exceptions.RequestException as exc:  # invalid URL and the like: not retryable
                self._log(method, uri, None, t0, attempt, started, type(exc).__name__)
                self.breaker.record_failure(type(exc).__name__)
                raise ProviderError(f"{method} {uri} failed: {type(exc).__name__}", permanent=True) from exc
            status = response.status_code if response is not None else None
            summary = (
                type(error).__name__ if error is not None else (f"HTTP {status}" if status >= 400 else "")
            )
            self._log(method, uri, status, t0, attempt, started, summary)

            if error is None and 300 <= status < 400:
                self.breaker.record_failure(summary or f"HTTP {status}")
                logger.warning(
                    "%s %s answered a redirect (HTTP %s to %s): not followed",
                    method,
                    uri,
                    status,
                    redact_uri(response.headers.get("Location", "")),
                )
                raise ProviderError(
                    f"{method} {uri} answered a redirect (HTTP {status}); redirects are not followed.",
                    permanent=True,
                    status_code=status,
                )
            if error is None and status not in RETRY_STATUSES:
                if status >= 500:
                    self.breaker.record_failure(summary)
                    raise ProviderError(
                        f"{method} {uri} answered HTTP {status}", permanent=False, status_code=status
                    )
                self.breaker.record_success()
                return response

            retry_after = (
                parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            )
            may_retry = idempotent or (error is not None and _never_sent(error))
            if not idempotent and response is not None and status in (429, 503) and retry_after is not None:
                may_retry = True  # the provider refused it and said when to come back: it did nothing
            if retry_after is not None and retry_after > RETRY_AFTER_CAP:
                self._give_up(summary, status)
                raise ProviderError(
                    f"{method} {uri}: provider asks to retry after {retry_after:.0f}s",
                    permanent=False,
                    status_code=status,
                    retry_after=retry_after,
                )
            if not may_retry or attempt >= MAX_ATTEMPTS:
                self._give_up(summary, status)
                raise ProviderError(
                    f"{method} {uri} failed after {attempt} attempt(s): {summary}",
                    permanent=False,
                    status_code=status,
                    retry_after=retry_after,
                ) from error
            delay = retry_after if retry_after is not None else backoff_delay(attempt)
            logger.info("retrying %s %s in %.2fs (attempt %d: %s)", method, uri, delay, attempt, summary)
            on_wait = _context.get().on_wait
            if on_wait is not None:
                why = (
                    f"the provider answered {summary} and asked us to retry after {retry_after:.0f} s"
                    if retry_after is not None
                    else f"the provider answered {summary}; retrying after a short backoff"
                )
                on_wait(delay, why)
            self.sleep(delay)
            if on_wait is not None:
                on_wait(0, "")

    def _give_up(self, summary: str, status: int | None) -> None:
        # A rate-limited provider is busy, not broken: 429 does not count towards opening the circuit.
        if status == 429:
            return
        self.breaker.record_failure(summary)

    def _log(
        self, method: str, uri: str, status: int | None, t0: float, attempt: int, started, error: str
    ) -> None:
        context = _context.get()
        duration_ms = int((time.monotonic() - t0) * 1000)

        ApiCall.objects.create(
            connection_id=self.connection.pk,
            sync_run_id=context.sync_run_id,
            webhook_event_id=context.webhook_event_id,
            method=method,
            uri=uri,
            status_code=status,
            duration_ms=duration_ms,
            attempt=attempt,
            error=error[:300],
            created_at=started,
        )


def provider_http(connection: Connection, **kwargs: Any) -> ProviderHTTP:
    return ProviderHTTP(connection, **kwargs)


def reset_process_state() -> None:
    """Forget this process's sessions, breaker views and limiter (tests; after a fork)."""
    global _limiter
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()
    CircuitBreaker._views.clear()
    DatabaseRateLimiter._known.clear()
    from .providers.base import TokenCache

    TokenCache._memo.clear()
    with _limiter_lock:
        _limiter = None


# --- downstream deliveries (the customer's own app, not a provider) -------------------------------------------

DOWNSTREAM_TIMEOUT: tuple[float, float] = (3.05, 10.0)
_downstream_session: requests.Session | None = None


def downstream_post(
    url: str, *, body: bytes, headers: Mapping[str, str], timeout: tuple[float, float] = DOWNSTREAM_TIMEOUT
) -> tuple[int | None, str]:
    """POST one signed downstream action; return (status code or None, error summary). Never raises.

    One attempt only: the outbox (``apps.employees.delivery``) owns retries, backoff and the dead state, so a
    retry is a new claim with a new attempt count, not a loop here.
    """
    global _downstream_session
    refused = _refused_destination(url)
    if refused:
        return None, f"Destination refused: {refused} ({redact_uri(url)})."
    if _downstream_session is None:
        _downstream_session = guarded_session()
    try:
        response = _downstream_session.post(
            url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False
        )
    except DestinationRefused:
        return None, f"Destination refused: {redact_uri(url)} resolves to an address that is not allowed."
    except requests.RequestException as exc:
        return None, f"{exc.__class__.__name__}: {redact_uri(url)}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    if 300 <= response.status_code < 400:
        return response.status_code, (
            f"HTTP {response.status_code} redirect from {redact_uri(url)}: redirects are not followed, "
            "so the payload was not delivered; set the target URL to the final address."
        )
    return response.status_code, f"HTTP {response.status_code} from {redact_uri(url)}"

"""The one door to the network: every outbound request goes through ``ProviderHTTP.request`` (providers) or
``downstream_post`` (the customer's own app). Nothing else imports ``requests``.

Why one door: timeouts, retries, redirects, the destinations policy and the redaction of secrets must hold
for every request, and a support agent must be able to see every request we made without seeing a body, a
secret or an employee's personal data.

The door knows nothing of connections, API call rows or tickets: whoever owns the calls hands it a
``Bookkeeping`` (integrations' ``transport.ConnectionBookkeeping``: the circuit breaker and rate limiter on
the Connection row, one ``ApiCall`` row per attempt). Per request:
1. ``bookkeeping.before_call()`` may refuse at once (an open circuit breaker);
2. each attempt (at most ``MAX_ATTEMPTS``) first waits for ``bookkeeping.wait_for_slot()`` (the rate limit);
3. each attempt is handed to ``bookkeeping.record_call()`` (the API call log);
4. timeouts, connection errors, 429 and 502-504 are retried with capped exponential backoff and jitter;
   a ``Retry-After`` is honoured up to ``RETRY_AFTER_CAP`` seconds (longer: a ProviderError carrying it);
   a non-idempotent POST (a token request) is retried only when the provider cannot have processed it:
   the connection was never made, or it answered 429/503 with a Retry-After;
5. the outcome goes to ``bookkeeping.record_success()`` / ``record_failure(reason)`` (the breaker).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from apps.core import destinations

from .errors import ProviderError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)  # (connect, read) seconds
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5  # seconds before the 2nd attempt; doubles each time
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 30.0  # the longest Retry-After we wait inline
RETRY_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "payroll-integration-hub/1.0"

# Query parameter names whose values never reach the API call log.
SECRET_PARAM_WORDS = ("secret", "password", "token", "session", "key", "ssn", "auth", "signature")


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


# --- what the door asks of whoever owns the calls -------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One attempt as the call log keeps it: no body, no header, the URI already redacted."""

    method: str
    uri: str
    status_code: int | None
    duration_ms: int
    attempt: int
    error: str
    started_at: dt.datetime


class Bookkeeping(Protocol):
    """The owner's side of the door: breaker, rate limit and call log (``apps.integrations.transport``)."""

    key: Hashable  # one Session (connection pool, cookies) per key and process
    label: str  # names the owner in log lines

    def before_call(self) -> None:
        """Raise a ProviderError (CircuitOpenError) when no call may be made now."""

    def wait_for_slot(self, *, sleep: Callable[[float], None], max_wait: float | None) -> float:
        """Take the next request slot and sleep until it; raise RateLimited beyond ``max_wait``."""

    def record_call(self, call: CallRecord) -> None:
        """Keep one attempt in the call log."""

    def record_success(self) -> None:
        """The request got an answer the caller can use."""

    def record_failure(self, reason: str) -> None:
        """The request failed in a way that counts towards the breaker."""

    def waiting(self, seconds: float, reason: str) -> None:
        """Told (seconds, why) before a retry's wait and (0, "") after it, so a run page can say it is waiting."""


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

_sessions: dict[Hashable, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(key: Hashable) -> requests.Session:
    """Return this process's Session of an owner (a connection: its own connection pool and cookies)."""
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = guarded_session()
            _sessions[key] = session
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
    """One owner's door: ``request()`` with timeouts and retries; breaker, rate limit and call log through
    its ``Bookkeeping``."""

    def __init__(
        self,
        bookkeeping: Bookkeeping,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        max_rate_wait: float | None = None,
    ):
        self.bookkeeping = bookkeeping
        self.timeout = timeout
        self.sleep = sleep
        # A web request sets this (seconds): it answers "try again" rather than wait for the rate limiter.
        self.max_rate_wait = max_rate_wait

    @property
    def session(self) -> requests.Session:
        return session_for(self.bookkeeping.key)

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
            logger.warning("refused %s %s for %s: %s", method, uri, self.bookkeeping.label, refused)
            raise ProviderError(
                f"The connection's address is not an allowed destination: {refused}.", permanent=True
            )
        self.bookkeeping.before_call()
        attempt = 0
        while True:
            attempt += 1
            self.bookkeeping.wait_for_slot(sleep=self.sleep, max_wait=self.max_rate_wait)
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
                logger.warning("refused %s %s for %s: %s", method, uri, self.bookkeeping.label, exc)
                raise ProviderError(
                    "The connection's address resolves to a destination that is not allowed.", permanent=True
                ) from exc
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                error = exc
            except requests.exceptions.RequestException as exc:  # invalid URL and the like: not retryable
                self._log(method, uri, None, t0, attempt, started, type(exc).__name__)
                self.bookkeeping.record_failure(type(exc).__name__)
                raise ProviderError(f"{method} {uri} failed: {type(exc).__name__}", permanent=True) from exc
            status = response.status_code if response is not None else None
            summary = (
                type(error).__name__ if error is not None else (f"HTTP {status}" if status >= 400 else "")
            )
            self._log(method, uri, status, t0, attempt, started, summary)

            if error is None and 300 <= status < 400:
                self.bookkeeping.record_failure(summary or f"HTTP {status}")
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
                    self.bookkeeping.record_failure(summary)
                    raise ProviderError(
                        f"{method} {uri} answered HTTP {status}", permanent=False, status_code=status
                    )
                self.bookkeeping.record_success()
                return response

            retry_after = (
                parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            )
            may_retry = idempotent or (error is not None and _never_sent(error))
            if not idempotent and response is not None and status in (429, 503) and retry_after is not None:
                may_retry = True  # the provider refused it and said when to come back: it did nothing
            too_long = retry_after is not None and retry_after > RETRY_AFTER_CAP
            if too_long or not may_retry or attempt >= MAX_ATTEMPTS:
                self._give_up(summary, status)
                raise ProviderError(
                    f"{method} {uri}: provider asks to retry after {retry_after:.0f}s"
                    if too_long
                    else f"{method} {uri} failed after {attempt} attempt(s): {summary}",
                    permanent=False,
                    status_code=status,
                    retry_after=retry_after,
                ) from error
            delay = retry_after if retry_after is not None else backoff_delay(attempt)
            logger.info("retrying %s %s in %.2fs (attempt %d: %s)", method, uri, delay, attempt, summary)
            why = (
                f"the provider answered {summary} and asked us to retry after {retry_after:.0f} s"
                if retry_after is not None
                else f"the provider answered {summary}; retrying after a short backoff"
            )
            self.bookkeeping.waiting(delay, why)
            self.sleep(delay)
            self.bookkeeping.waiting(0, "")

    def _give_up(self, summary: str, status: int | None) -> None:
        # A rate-limited provider is busy, not broken: 429 does not count towards opening the circuit.
        if status == 429:
            return
        self.bookkeeping.record_failure(summary)

    def _log(
        self, method: str, uri: str, status: int | None, t0: float, attempt: int, started, error: str
    ) -> None:
        self.bookkeeping.record_call(
            CallRecord(
                method=method,
                uri=uri,
                status_code=status,
                duration_ms=int((time.monotonic() - t0) * 1000),
                attempt=attempt,
                error=error[:300],
                started_at=started,
            )
        )


_resets: list[Callable[[], None]] = []


def on_reset(forget: Callable[[], None]) -> None:
    """Register what else a process keeps per owner (breaker views, limiter, tokens), for ``reset_process_state``."""
    if forget not in _resets:
        _resets.append(forget)


def reset_process_state() -> None:
    """Forget this process's sessions and whatever the owners registered with ``on_reset`` (tests; after a fork)."""
    global _downstream_session
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()
    if _downstream_session is not None:
        _downstream_session.close()
        _downstream_session = None
    for forget in list(_resets):
        forget()


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

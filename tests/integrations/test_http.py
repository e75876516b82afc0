"""The one door: retries, Retry-After, the token POST rule, the call log, the circuit breaker, the limiter."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
import requests
import responses
from django.db import connection as db
from django.utils import timezone
from urllib3.exceptions import NewConnectionError

from apps.core import http
from apps.core.errors import CircuitOpenError, ProviderError
from apps.core.http import backoff_delay, parse_retry_after, redact_uri
from apps.integrations import transport
from apps.integrations.models import ApiCall, CircuitState, Connection, RateLimitSlot
from apps.integrations.transport import provider_http
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/sandbox/paylocity/api/v2/companies/6700/employees"


@pytest.fixture
def conn(customer):
    return ConnectionFactory(customer=customer)


@pytest.fixture
def slept():
    return []


@pytest.fixture
def door(conn, slept):
    return provider_http(conn, sleep=slept.append)


def calls(conn):
    return list(ApiCall.objects.filter(connection=conn).order_by("id"))


@responses.activate
def test_a_503_is_retried_with_backoff_and_each_attempt_is_logged(door, conn, slept):
    # given a provider that fails once with 503, then answers
    responses.get(URL, status=503)
    responses.get(URL, json=[], status=200)
    # when
    response = door.request("GET", URL)
    # then
    assert response.status_code == 200
    assert [(c.attempt, c.status_code) for c in calls(conn)] == [(1, 503), (2, 200)]
    assert calls(conn)[0].error == "HTTP 503"
    assert len(slept) == 1 and http.BACKOFF_BASE / 2 <= slept[0] <= http.BACKOFF_BASE


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@responses.activate
def test_each_retryable_status_is_tried_at_most_three_times(door, conn, slept, status):
    for _ in range(5):
        responses.get(URL, status=status)
    with pytest.raises(ProviderError) as info:
        door.request("GET", URL)
    assert info.value.permanent is False and info.value.status_code == status
    assert len(calls(conn)) == http.MAX_ATTEMPTS
    assert len(responses.calls) == http.MAX_ATTEMPTS
    assert len(slept) == http.MAX_ATTEMPTS - 1


@responses.activate
def test_timeouts_and_connection_errors_are_retried(door, conn, slept):
    responses.get(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(URL, body=requests.exceptions.ConnectionError("reset"))
    responses.get(URL, json=[])
    assert door.request("GET", URL).status_code == 200
    assert [c.error for c in calls(conn)] == ["ReadTimeout", "ConnectionError", ""]
    assert [c.status_code for c in calls(conn)] == [None, None, 200]


@responses.activate
def test_retry_after_is_honoured_instead_of_the_backoff(door, slept):
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    responses.get(URL, json=[])
    door.request("GET", URL)
    assert slept == [2.0]


@responses.activate
def test_a_retry_after_beyond_the_cap_is_handed_to_the_caller_without_waiting(door, conn, slept):
    responses.get(URL, status=503, headers={"Retry-After": "3600"})
    with pytest.raises(ProviderError) as info:
        door.request("GET", URL)
    assert info.value.retry_after == 3600 and not info.value.permanent
    assert slept == [] and len(calls(conn)) == 1


@responses.activate
def test_client_errors_are_returned_not_retried(door, conn):
    responses.get(URL, status=404, json=[{"field": "", "message": "not found"}])
    assert door.request("GET", URL).status_code == 404
    assert len(calls(conn)) == 1


@responses.activate
def test_a_500_fails_at_once_and_may_be_retried_later(door, conn):
    responses.get(URL, status=500)
    with pytest.raises(ProviderError) as info:
        door.request("GET", URL)
    assert info.value.permanent is False and len(calls(conn)) == 1


TOKEN = "http://127.0.0.1:9/sandbox/paylocity/IdentityServer/connect/token"


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 502},
        {"status": 504},
        {"status": 503},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
    ],
    ids=["502", "504", "503 without Retry-After", "read timeout"],
)
@responses.activate
def test_the_token_post_is_not_blindly_retried(door, conn, failure):
    responses.post(TOKEN, **failure)
    responses.post(TOKEN, json={"access_token": "t"})
    with pytest.raises(ProviderError):
        door.request("POST", TOKEN, data={"client_secret": "x"}, idempotent=False)
    assert len(responses.calls) == 1


@responses.activate
def test_the_token_post_is_retried_when_it_never_reached_the_provider(door, conn):
    refused = requests.exceptions.ConnectionError(
        type("MaxRetry", (), {"reason": NewConnectionError(None, "refused")})()
    )
    responses.post(TOKEN, body=refused)
    responses.post(TOKEN, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(TOKEN, json={"access_token": "t"})
    assert door.request("POST", TOKEN, data={}, idempotent=False).status_code == 200
    assert len(responses.calls) == 3


@responses.activate
def test_the_token_post_is_retried_when_the_provider_said_when(door, slept):
    responses.post(TOKEN, status=429, headers={"Retry-After": "1"})
    responses.post(TOKEN, json={"access_token": "t"})
    assert door.request("POST", TOKEN, data={}, idempotent=False).status_code == 200
    assert slept == [1.0]


@responses.activate
def test_the_log_has_no_body_and_no_secret(door, conn):
    responses.post(TOKEN, json={"access_token": "secret-token"})
    door.request(
        "POST",
        TOKEN + "?client_secret=abc&sessionId=s1&page=2",
        data={"client_secret": "s3cret-value", "ssn": "123-45-6789"},
        idempotent=False,
    )
    call = calls(conn)[0]
    assert "abc" not in call.uri and "s1" not in call.uri and "page=2" in call.uri
    row = str(ApiCall.objects.filter(pk=call.pk).values().get())
    assert "s3cret-value" not in row and "123-45-6789" not in row and "secret-token" not in row


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        ("http://u:p@h:8/x?a=1", None, "http://h:8/x?a=1"),
        (
            "http://h/x",
            {"token": "t", "employeeId": ["1", "2"]},
            "http://h/x?token=***&employeeId=1&employeeId=2",
        ),
        ("http://h/x", [("password", "p"), ("clientId", "c")], "http://h/x?password=***&clientId=c"),
    ],
)
def test_redact_uri(url, params, expected):
    assert redact_uri(url, params) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("5", 5.0), ("-3", 0.0), ("soon", None)]
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    when = timezone.now() + timedelta(seconds=90)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 85 <= parse_retry_after(header) <= 91


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 10])
def test_backoff_is_capped_and_jittered(attempt):
    ceiling = min(http.BACKOFF_CAP, http.BACKOFF_BASE * 2 ** (attempt - 1))
    assert backoff_delay(attempt, rand=lambda: 0.0) == ceiling / 2
    assert backoff_delay(attempt, rand=lambda: 1.0) == ceiling


# --- circuit breaker ---------------------------------------------------------------------------------------


@responses.activate
def test_the_circuit_opens_after_the_threshold_and_stops_calling(customer, slept):
    conn = ConnectionFactory(customer=customer, circuit_threshold=2, circuit_cooldown_seconds=60)
    door = provider_http(conn, sleep=slept.append)
    responses.get(URL, status=500)
    for _ in range(2):
        with pytest.raises(ProviderError):
            door.request("GET", URL)
    conn.refresh_from_db()
    assert conn.circuit_state == CircuitState.OPEN and conn.circuit_opened_at
    sent = len(responses.calls)
    with pytest.raises(CircuitOpenError) as info:
        door.request("GET", URL)
    assert len(responses.calls) == sent  # refused without a call
    assert 0 < info.value.retry_after <= 60


@responses.activate
def test_after_the_cooldown_one_probe_goes_through_and_success_closes(customer, slept):
    conn = ConnectionFactory(
        customer=customer,
        circuit_state=CircuitState.OPEN,
        circuit_failures=5,
        circuit_opened_at=timezone.now() - timedelta(seconds=61),
        circuit_cooldown_seconds=60,
    )
    responses.get(URL, json=[])
    provider_http(conn, sleep=slept.append).request("GET", URL)
    conn.refresh_from_db()
    assert (conn.circuit_state, conn.circuit_failures, conn.circuit_opened_at) == (
        CircuitState.CLOSED,
        0,
        None,
    )


@responses.activate
def test_a_failed_probe_opens_the_circuit_again(customer, slept):
    conn = ConnectionFactory(
        customer=customer,
        circuit_state=CircuitState.OPEN,
        circuit_opened_at=timezone.now() - timedelta(seconds=61),
        circuit_cooldown_seconds=60,
    )
    responses.get(URL, status=500)
    with pytest.raises(ProviderError):
        provider_http(conn, sleep=slept.append).request("GET", URL)
    conn.refresh_from_db()
    assert conn.circuit_state == CircuitState.OPEN
    assert timezone.now() - conn.circuit_opened_at < timedelta(seconds=5)


def test_only_one_process_wins_the_half_open_probe(customer):
    conn = ConnectionFactory(
        customer=customer,
        circuit_state=CircuitState.OPEN,
        circuit_opened_at=timezone.now() - timedelta(seconds=61),
        circuit_cooldown_seconds=60,
    )
    transport.CircuitBreaker(conn).before_call()  # the first wins
    transport.CircuitBreaker._views.clear()  # a second process, with no cached view
    with pytest.raises(CircuitOpenError):
        transport.CircuitBreaker(conn).before_call()
    assert Connection.objects.get(pk=conn.pk).circuit_state == CircuitState.HALF_OPEN


@responses.activate
def test_rate_limiting_429s_do_not_open_the_circuit(customer, slept):
    conn = ConnectionFactory(customer=customer, circuit_threshold=1)
    responses.get(URL, status=429)
    with pytest.raises(ProviderError):
        provider_http(conn, sleep=slept.append).request("GET", URL)
    conn.refresh_from_db()
    assert conn.circuit_state == CircuitState.CLOSED and conn.circuit_failures == 0


# --- rate limiter ------------------------------------------------------------------------------------------


def test_slots_are_spaced_by_the_connection_rate(customer):
    conn = ConnectionFactory(customer=customer, rate_limit_per_second=4.0)
    limiter = transport.DatabaseRateLimiter()
    now = 1_000_000.0
    slots = [limiter.reserve(conn, transport._interval(conn), now) for _ in range(5)]
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert slots[0] == now
    assert all(gap == pytest.approx(transport._interval(conn)) for gap in gaps)
    assert transport._interval(conn) >= 0.25  # never faster than the limit (a safety margin on top)


def test_per_minute_limit_wins_when_it_is_stricter(customer):
    conn = ConnectionFactory(customer=customer, rate_limit_per_second=3.0, rate_limit_per_minute=60)
    assert transport._interval(conn) >= 1.0


def test_an_idle_connection_gets_a_slot_at_once(customer):
    conn = ConnectionFactory(customer=customer, rate_limit_per_second=1.0)
    slept = []
    assert transport.rate_limit_wait(conn, sleep=slept.append) == 0.0
    assert slept == []
    transport.rate_limit_wait(conn, sleep=slept.append)
    assert len(slept) == 1 and 0.5 < slept[0] <= transport._interval(conn)
    if isinstance(
        transport.rate_limiter(), transport.DatabaseRateLimiter
    ):  # with REDIS_URL the slot lives in Redis
        assert RateLimitSlot.objects.filter(connection=conn).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_share_a_slot(customer):
    # given four threads (each its own database connection) reserving slots of one connection at once
    conn = ConnectionFactory(customer=customer, rate_limit_per_second=50.0)
    limiter = transport.DatabaseRateLimiter()
    interval = transport._interval(conn)
    slots: list[float] = []
    lock = threading.Lock()
    errors = []

    def worker():
        try:
            for _ in range(10):
                slot = limiter.reserve(conn, interval, time.time())
                with lock:
                    slots.append(slot)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then 40 distinct slots, each at least one interval after the previous
    assert not errors
    slots.sort()
    assert len(slots) == 40
    assert min(b - a for a, b in itertools.pairwise(slots)) >= interval - 1e-6


def test_redis_limiter_spaces_slots_too(customer, settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    conn = ConnectionFactory(customer=customer, rate_limit_per_second=10.0)
    limiter = transport.RedisRateLimiter("redis://127.0.0.1:6379/15")
    limiter._client.delete(f"hub:ratelimit:{conn.pk}")
    now = time.time()
    slots = [limiter.reserve(conn, 0.1, now) for _ in range(3)]
    assert slots[0] == pytest.approx(now) and slots[2] - slots[0] == pytest.approx(0.2)


@responses.activate
def test_a_retry_after_wait_is_told_before_the_wait_and_cleared_after(door, slept):
    # given a provider that asks us to come back in 2 seconds
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    responses.get(URL, json=[])
    told = []
    # when a request is made inside a context that listens to waits
    with transport.call_context(on_wait=lambda seconds, why: told.append((seconds, why, list(slept)))):
        door.request("GET", URL)
    # then the wait is told before the sleep (nothing slept yet) and cleared after it
    assert told[0][0] == 2.0 and "asked us to retry after 2 s" in told[0][1] and "HTTP 429" in told[0][1]
    assert told[0][2] == []
    assert told[1] == (0, "", [2.0])

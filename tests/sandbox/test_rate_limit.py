"""The per-company rate limit: a fixed window, 429 with Retry-After, counters a test can assert on."""

from __future__ import annotations

import threading
import types

import pytest
from django.db import connection

from apps.sandbox import services
from apps.sandbox.models import SandboxCompany
from tests.sandbox.conftest import PAYLOCITY
from tests.sandbox.factories import SandboxCompanyFactory


@pytest.fixture
def clock(monkeypatch):
    """Freeze the gate's clock (``now`` is settable) so windows never roll over during a test."""
    import time as real_time

    state = types.SimpleNamespace(now=1_000_000.25)
    monkeypatch.setattr(
        "apps.sandbox.gate.time", types.SimpleNamespace(time=lambda: state.now, sleep=real_time.sleep)
    )
    return state


def _company(**kwargs) -> SandboxCompany:
    company = SandboxCompany.objects.get(external_id="6700")
    return services.company_rate_limit_set(company=company, **kwargs)


def test_requests_over_the_limit_get_429_with_retry_after_until_the_window_ends(paylocity, clock):
    _company(limit=3, window_seconds=10)
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"

    responses = [paylocity.get(url) for _ in range(5)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert (
        responses[3].headers["Retry-After"] == "10"
    )  # window [1000000, 1000010), now 1000000.25 -> 9.75 -> 10
    assert responses[3].json()[0]["message"] == "Rate limit exceeded."
    company = SandboxCompany.objects.get(external_id="6700")
    assert (company.request_count, company.rate_limited_count) == (5, 2)


def test_the_next_window_admits_again(paylocity, clock):
    _company(limit=1, window_seconds=1)
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"
    assert [paylocity.get(url).status_code for _ in range(2)] == [200, 429]

    clock.now += 1

    assert paylocity.get(url).status_code == 200


def test_a_limit_of_zero_is_unlimited_and_costs_no_counting(paylocity, clock, django_assert_max_num_queries):
    _company(limit=0)
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"

    statuses = {paylocity.get(url).status_code for _ in range(50)}

    assert statuses == {200}
    assert SandboxCompany.objects.get(external_id="6700").request_count == 0


def test_each_company_has_its_own_window(paylocity, clock):
    _company(limit=1)
    base = f"{PAYLOCITY}/api/v2/companies"

    assert paylocity.get(f"{base}/6700/employees").status_code == 200
    assert paylocity.get(f"{base}/6700/employees").status_code == 429
    assert paylocity.get(f"{base}/6701/employees").status_code == 200


def test_the_default_limit_is_generous(seeded):
    assert SandboxCompany.objects.get(external_id="6700").rate_limit >= 100


def test_resetting_counters_zeroes_them(paylocity, clock):
    company = _company(limit=1)
    url = f"{PAYLOCITY}/api/v2/companies/6700/employees"
    paylocity.get(url)
    paylocity.get(url)

    company = services.company_counters_reset(company=company)

    assert (company.request_count, company.rate_limited_count, company.rate_window_count) == (0, 0, 0)
    assert paylocity.get(url).status_code == 200


@pytest.mark.parametrize(
    ("limit", "window", "now", "calls", "admitted", "wait"),
    [
        (2, 1, 10.0, 3, 2, 1.0),
        (2, 60, 65.5, 3, 2, 55.0),
        (5, 1, 3.9, 5, 5, None),
    ],
)
def test_rate_admit_table(db, limit, window, now, calls, admitted, wait):
    company = SandboxCompanyFactory(rate_limit=limit, rate_window_seconds=window)

    results = [services.company_rate_admit(company=company, now=now) for _ in range(calls)]

    assert sum(r is None for r in results) == admitted
    assert results[-1] == wait


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_limit():
    # given a limit of 10 per window and 40 simultaneous requests in one window
    company = SandboxCompanyFactory(rate_limit=10, rate_window_seconds=3600)
    admitted = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        try:
            for _ in range(5):
                admitted.append(services.company_rate_admit(company=company, now=7200.0) is None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly the limit got through and every refusal is counted
    company.refresh_from_db()
    assert sum(admitted) == 10
    assert company.rate_limited_count == 30
    assert company.request_count == 40

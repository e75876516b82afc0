from __future__ import annotations

import datetime as dt

import pytest

from apps.core.bulk import bulk_update_fast
from apps.integrations.models import Connection
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory


@pytest.mark.django_db
def test_bulk_update_fast_writes_each_rows_own_values_including_nulls_and_encrypted(customer):
    # given connections with different values
    conns = [ConnectionFactory(customer=customer, client_secret=f"s{i}") for i in range(5)]
    for i, conn in enumerate(conns):
        conn.name = f"renamed {i}"
        conn.client_secret = f"new secret {i}"
        conn.secret_expires_at = None if i % 2 else dt.datetime(2027, 1, i + 1, tzinfo=dt.UTC)
        conn.rate_limit_per_second = None if i == 0 else float(i)
    # when they are written in one statement
    assert (
        bulk_update_fast(conns, ["name", "client_secret", "secret_expires_at", "rate_limit_per_second"]) == 5
    )
    # then every row has its own values back
    for i, conn in enumerate(Connection.objects.order_by("pk")):
        assert conn.name == f"renamed {i}"
        assert conn.client_secret == f"new secret {i}"
        assert conn.secret_expires_at == (None if i % 2 else dt.datetime(2027, 1, i + 1, tzinfo=dt.UTC))
        assert conn.rate_limit_per_second == (None if i == 0 else float(i))


@pytest.mark.django_db
def test_bulk_update_fast_handles_booleans_and_many_rows(company_set):
    companies = [CompanyFactory(company_set=company_set) for _ in range(30)]
    for i, company in enumerate(companies):
        company.active = i % 3 != 0
    bulk_update_fast(companies, ["active"])
    from apps.companies.models import Company

    assert Company.objects.filter(active=False).count() == 10

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


@pytest.mark.django_db
def test_bulk_insert_fast_gives_keys_in_order_and_stores_every_value(customer, company_set):
    from django.db import connection as db

    from apps.core.bulk import bulk_insert_fast
    from apps.employees.models import Employee, StatusEvent

    # given new employees, and events pointing at them before they have keys
    company = CompanyFactory(company_set=company_set, external_id="900")
    employees = [
        Employee(company=company, employee_id=f"E{i}", first_name=f"N{i}", in_scope=bool(i % 2))
        for i in range(1500)
    ]
    events = [
        StatusEvent(
            employee=e,
            code="A",
            status_type="active",
            effective_date=dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
            recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            source="sync",
        )
        for i, e in enumerate(employees)
    ]
    # when both are inserted fast
    bulk_insert_fast(employees)
    bulk_insert_fast(events)
    # then each object has its own row's key, the timestamps were set, and foreign keys followed
    stored = dict(Employee.objects.values_list("employee_id", "pk"))
    assert all(stored[e.employee_id] == e.pk for e in employees)
    first = Employee.objects.get(employee_id="E1")
    assert (first.first_name, first.in_scope, first.created_at is not None) == ("N1", True, True)
    assert [e.employee.pk for e in events[:3]] == [employees[0].pk, employees[1].pk, employees[2].pk]
    assert StatusEvent.objects.get(employee__employee_id="E299").effective_date == dt.date(2026, 10, 27)
    assert not employees[0]._state.adding and employees[0]._state.db == db.alias


@pytest.mark.django_db
def test_bulk_insert_fast_encrypts_like_save(customer):
    from django.db import connection as db

    from apps.core.bulk import bulk_insert_fast

    conns = [
        Connection(customer=customer, name=f"c{i}", slug=f"fast-{i}", client_secret=f"secret-{i}")
        for i in range(3)
    ]
    bulk_insert_fast(conns)
    assert [c.client_secret for c in Connection.objects.filter(slug__startswith="fast-").order_by("pk")] == [
        "secret-0",
        "secret-1",
        "secret-2",
    ]
    with db.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM integrations_connection WHERE slug = 'fast-0'")
        assert "secret-0" not in cursor.fetchone()[0]

from __future__ import annotations

import datetime as dt

import pytest

from apps.employees.services import employee_records_apply
from tests.companies.factories import CompanyFactory

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def company_b(company_set):
    return CompanyFactory(company_set=company_set, external_id="456", name="Acme Two")


@pytest.fixture
def apply(company):
    """Apply records to a company (default: ``company`` "123") as of TODAY unless told otherwise."""

    def run(records, *, to=None, source="sync", today=TODAY, **kwargs):
        return employee_records_apply(
            company=to or company, records=records, source=source, today=today, **kwargs
        )

    return run

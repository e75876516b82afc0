"""Payroll fixtures: a PrismHR company and connection, and a fake PrismHR behind ``responses``.

``FakePrism`` answers the payroll methods from plain dicts, so a unit test states the provider's data the
way the provider would (JSON) and runs the real client, services and sync runs against it.
"""

from __future__ import annotations

import pytest
import responses

from apps.core.http import reset_process_state
from tests.payroll.factories import PrismCompanyFactory, PrismConnectionFactory
from tests.payroll.fake_prism import FakePrism


@pytest.fixture(autouse=True)
def _fresh_http_state():
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def prism_company(company_set):
    company_set.provider = "prismhr"
    company_set.save()
    return PrismCompanyFactory(company_set=company_set, external_id="100100", name="Summit Staffing")


@pytest.fixture
def prism_connection(customer, prism_company):
    conn = PrismConnectionFactory(customer=customer)
    conn.companies.add(prism_company)
    return conn


@pytest.fixture
def prism():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakePrism(rsps)

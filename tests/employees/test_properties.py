"""Hypothesis properties of the write path, each example rolled back inside the test's transaction."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.employees.models import DownstreamAction, Employee, StatusEvent
from apps.employees.services import employee_records_apply
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.employees.factories import record

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)
DAY0 = dt.date(2026, 1, 1)
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def _companies():
    company_set = CompanySetFactory()
    return (
        CompanyFactory(company_set=company_set, external_id="123"),
        CompanyFactory(company_set=company_set, external_id="456"),
    )


# A history of one employee: distinct effective dates, codes from the standard set.
histories = st.lists(
    st.tuples(st.integers(0, 200), st.sampled_from(["A", "T", "L", "XT", "D", "R"])),
    min_size=1,
    max_size=8,
    unique_by=lambda t: t[0],
)


def _snapshot():
    employee = Employee.objects.get()
    history = sorted(StatusEvent.objects.values_list("code", "effective_date", "status_type", "transition"))
    return (employee.status_code, employee.status_type, employee.status_effective_date), history


@PROPERTY_SETTINGS
@given(histories, st.randoms())
def test_any_arrival_order_gives_the_same_history_and_current_status(history, rnd):
    records = [record("1", code, DAY0 + dt.timedelta(days=day), work_email="") for day, code in history]
    shuffled = list(records)
    rnd.shuffle(shuffled)
    results = []
    for order in (records, shuffled):
        with rolled_back():
            company, _ = _companies()
            for item in order:  # one record at a time, as webhooks would bring them
                employee_records_apply(company=company, records=[item], source="webhook", today=TODAY)
            results.append(_snapshot())
    assert results[0] == results[1]


@PROPERTY_SETTINGS
@given(histories)
def test_applying_twice_is_applying_once(history):
    records = [record("1", code, DAY0 + dt.timedelta(days=day), work_email="") for day, code in history]
    with rolled_back():
        company, _ = _companies()
        employee_records_apply(company=company, records=records, source="file", today=TODAY)
        once = (_snapshot(), DownstreamAction.objects.count())
        again = employee_records_apply(company=company, records=records, source="file", today=TODAY)
        assert (_snapshot(), DownstreamAction.objects.count()) == once
        assert again.events == 0 and again.actions == 0


# Two records of one person (same national ID) in two companies, each with its own history.
two_record_histories = st.tuples(histories, histories)


@PROPERTY_SETTINGS
@given(two_record_histories, st.lists(st.booleans(), min_size=16, max_size=16))
def test_no_deprovision_while_the_person_has_an_active_record_and_keys_are_unique(histories_pair, picks):
    with rolled_back():
        first, second = _companies()
        streams = [
            [
                (first, record("1", code, DAY0 + dt.timedelta(days=day), national_id="111223333"))
                for day, code in histories_pair[0]
            ],
            [
                (
                    second,
                    record("9", code, DAY0 + dt.timedelta(days=day), company="456", national_id="111223333"),
                )
                for day, code in histories_pair[1]
            ],
        ]
        # interleave the two records' changes in a generated order
        for pick in picks:
            stream = streams[0] if pick and streams[0] else streams[1] or streams[0]
            if not stream:
                break
            company, item = stream.pop(0)
            removals_before = DownstreamAction.objects.filter(action__in=["deprovision", "suspend"]).count()
            employee_records_apply(company=company, records=[item], source="webhook", today=TODAY)
            records = list(Employee.objects.select_related("person"))
            assert len({e.person_id for e in records}) == 1
            active = any(e.decision_status_type == "active" and e.in_scope for e in records)
            assert (records[0].person.status_type == "active") == active
            if active:
                removals_after = DownstreamAction.objects.filter(
                    action__in=["deprovision", "suspend"]
                ).count()
                assert removals_after == removals_before
            keys = list(DownstreamAction.objects.values_list("key", flat=True))
            assert len(keys) == len(set(keys))

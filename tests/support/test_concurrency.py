"""Automatic tickets under concurrency: two workers reporting one problem at once make one ticket."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.support import services
from apps.support.models import Ticket
from tests.companies.factories import CustomerFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_reports_of_one_problem_make_one_ticket():
    # given a customer and eight workers that report the same problem at the same moment
    customer = CustomerFactory()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def report():
        try:
            start.wait()
            services.ticket_raise_automatic(
                key="race:1", category="connection", customer=customer, title="Credentials refused"
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then no report failed, and one ticket counts the other seven as recurrences
    assert errors == []
    ticket = Ticket.objects.get(automatic_key="race:1")
    assert ticket.recurrences == 7

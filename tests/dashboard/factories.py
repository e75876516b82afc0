"""Data for the dashboard's tests: every section filled, at a size the caller chooses."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from apps.employees.models import ChangeBatch, DownstreamAction, Person, StatusEvent
from apps.implementations.models import ImplementationProject
from apps.integrations.models import SyncRun, WebhookEvent
from apps.mappings.models import StatusCode
from apps.support.models import Origin, Ticket
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.implementations.factories import make_project
from tests.integrations.factories import (
    ApiCallFactory,
    ConnectionFactory,
    SyncRunFactory,
    WebhookEventFactory,
)
from tests.support.factories import EmployeeFactory

_serial = itertools.count(1)


def fill_dashboard(customer, size: int, *, now: dt.datetime | None = None) -> dict:
    """Give ``customer`` ``size`` of everything the dashboard shows; return the main rows created.

    Connections with sync runs, webhook events and API calls; employees with held events (one unmapped
    code per company set), fringe reviews and downstream actions in every state; a held mass change;
    open tickets of both origins; projects in several phases.
    """
    now = now or timezone.now()
    n = next(_serial)
    company_set = CompanySetFactory(customer=customer, name=f"Set {n}")
    company = CompanyFactory(company_set=company_set, external_id=f"{7000 + n}", name=f"Company {n}")
    code = StatusCode.objects.create(code=f"Z{n}", company_set=company_set, description="Custom, unmapped")
    connections = []
    for i in range(size):
        connection = ConnectionFactory(
            customer=customer,
            name=f"Conn {n}-{i}",
            secret_expires_at=now + dt.timedelta(days=10 + i),
            fair_use_per_hour=50,
        )
        connection.companies.add(company)
        SyncRunFactory(connection=connection, state=SyncRun.State.SUCCEEDED, finished_at=now)
        SyncRunFactory(
            connection=connection,
            state=SyncRun.State.RUNNING,
            progress_done=3,
            progress_total=10,
            started_at=now,
        )
        WebhookEventFactory(connection=connection, state=WebhookEvent.State.PENDING)
        WebhookEventFactory(connection=connection, state=WebhookEvent.State.DEAD)
        for hours in range(3):
            ApiCallFactory(connection=connection, created_at=now - dt.timedelta(hours=hours, minutes=1))
        connections.append(connection)
    person = Person.objects.create(customer=customer, display_name=f"Person {n}")
    employees = []
    for i in range(size):
        employee = EmployeeFactory(
            company=company,
            employee_id=f"E{n}-{i}",
            person=person,
            held=True,
            needs_review=i % 2 == 0,
            status_code=code.code,
            status_type=None,
        )
        StatusEvent.objects.create(
            employee=employee,
            code="A",
            status_type="active",
            effective_date=now.date() - dt.timedelta(days=90),
            recorded_at=now - dt.timedelta(days=90),
            source="sync",
        )
        StatusEvent.objects.create(
            employee=employee,
            code=code.code,
            status_type=None,
            held=True,
            effective_date=now.date() - dt.timedelta(days=5),
            recorded_at=now,
            source="webhook",
        )
        employees.append(employee)
    batch = ChangeBatch.objects.create(
        customer=customer, cause=f"Sync run {n}", state=ChangeBatch.State.AWAITING_APPROVAL, removals=size
    )
    states = [s for s in DownstreamAction.State.values]
    for i, employee in enumerate(employees):
        state = states[i % len(states)]
        DownstreamAction.objects.create(
            customer=customer,
            person=person,
            employee=employee,
            batch=batch if state == DownstreamAction.State.AWAITING_APPROVAL else None,
            action=DownstreamAction.Action.DEPROVISION,
            effective_date=now.date(),
            key=f"{person.pk}:deprovision:{n}:{i}",
            seq=i + 1,
            state=state,
        )
    for i in range(size):
        Ticket.objects.create(
            customer=customer,
            title=f"Ticket {n}-{i}",
            category=["feed_pull", "mapping_needed", "connection"][i % 3],
            origin=Origin.AUTOMATIC if i % 2 else Origin.AGENT,
            automatic_key=f"auto:{n}:{i}" if i % 2 else "",
            opened_at=now - dt.timedelta(days=i),
        )
    projects = [make_project(customer, name=f"Project {n}-{i}") for i in range(size)]
    ImplementationProject.objects.filter(pk__in=[p.pk for p in projects[1::2]]).update(phase="testing")
    return {
        "company_set": company_set,
        "company": company,
        "code": code,
        "connections": connections,
        "employees": employees,
        "person": person,
        "batch": batch,
        "projects": projects,
    }

"""A realistic demo world for the pages: ``manage.py seed_demo`` plus what the dashboard shows.

``seed_demo`` gives the customer, its companies and the sandbox connection; this adds what a working day
looks like through the real write paths where they exist (employee records applied through the lifecycle
engine, projects from checklist templates, automatic tickets raised by the services): hires, a leave, a
transfer between companies, a retro-active termination, a future-dated one, a custom code nobody mapped,
API traffic over the last day, a running sync, webhooks, tickets of both origins and projects in several
phases. Idempotent enough for one run per database (tests, screenshots).
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.management import call_command
from django.utils import timezone

from apps.companies.models import Company, Customer, Provider
from apps.employees.models import Employee
from apps.employees.records import EmployeeRecord
from apps.employees.services import employee_records_apply
from apps.implementations.models import ChecklistTemplate, Deliverable, ImplementationProject
from apps.implementations.services import deliverable_complete, project_create
from apps.integrations.models import ApiCall, CircuitState, Connection, SyncRun, WebhookEvent
from apps.support.models import Category, Ticket
from apps.support.services import ticket_create, ticket_raise_automatic
from tests.companies.factories import CustomerFactory


def build_demo_world(*, now: dt.datetime | None = None) -> dict:
    """Run ``seed_demo``, then add a day of activity; return the main rows by name."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(8)  # the same picture every time
    call_command("seed_demo", verbosity=0)
    acme = Customer.objects.get(slug="acme-health")
    beacon = Customer.objects.get(slug="beacon-staffing")
    clinics = Company.objects.get(provider=Provider.PAYLOCITY, external_id="6700")
    sandbox = Connection.objects.get(slug="acme-paylocity-sandbox")
    prism = Connection.objects.get(slug="beacon-prismhr-sandbox")
    Connection.objects.filter(pk=sandbox.pk).update(
        state=Connection.State.LIVE, secret_expires_at=now + dt.timedelta(days=190), last_authenticated_at=now
    )
    # Beacon's connection is in trouble: the circuit opened, the secret expires soon, fair use crossed.
    Connection.objects.filter(pk=prism.pk).update(
        state=Connection.State.LIVE,
        secret_expires_at=now + dt.timedelta(days=12),
        circuit_state=CircuitState.OPEN,
        circuit_failures=5,
        circuit_opened_at=now - dt.timedelta(minutes=7),
        fair_use_per_hour=400,
    )
    sandbox.refresh_from_db()
    prism.refresh_from_db()

    # Today's changes of one Acme employee through the lifecycle engine: a correction of last month
    # (retro-active) and a retirement scheduled for next month (future-dated).
    employee = Employee.objects.filter(company=clinics, status_code="A").order_by("employee_id").first()
    base = {
        "company_external_id": "6700",
        "employee_id": employee.employee_id,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "work_email": employee.work_email,
        "employment_type": employee.employment_type,
    }
    employee_records_apply(
        company=clinics,
        records=[
            EmployeeRecord(
                **base,
                status_code="L",
                status_effective_date=today - dt.timedelta(days=40),
                change_reason="Leave keyed late",
            )
        ],
        source="file",
        today=today,
    )
    employee_records_apply(
        company=clinics,
        records=[
            EmployeeRecord(
                **base,
                status_code="A",
                status_effective_date=today - dt.timedelta(days=10),
                change_reason="Back from leave",
            )
        ],
        source="webhook",
        today=today,
    )
    employee_records_apply(
        company=clinics,
        records=[
            EmployeeRecord(
                **base,
                status_code="R",
                status_effective_date=today + dt.timedelta(days=30),
                change_reason="Retiring",
            )
        ],
        source="webhook",
        today=today,
    )
    # A correction recorded today for a date before the current status: retro-active.
    employee_records_apply(
        company=clinics,
        records=[
            EmployeeRecord(
                **base,
                status_code="L",
                status_effective_date=today - dt.timedelta(days=20),
                change_reason="Leave extension keyed late",
            )
        ],
        source="file",
        today=today,
    )
    employee.refresh_from_db()

    # API traffic over the last day (the sandbox connection busier in office hours), a few errors.
    calls = []
    for connection, base in ((sandbox, 60), (prism, 140)):
        for hours_ago in range(24):
            hour = now - dt.timedelta(hours=hours_ago)
            busy = 1.0 if 8 <= timezone.localtime(hour).hour <= 18 else 0.35
            for _ in range(int(base * busy * rng.uniform(0.6, 1.3))):
                calls.append(
                    ApiCall(
                        connection=connection,
                        method="GET",
                        uri=f"{connection.base_url}/api/v2/companies/6700/employees",
                        status_code=200 if rng.random() > 0.03 else 503,
                        duration_ms=rng.randint(40, 400),
                        created_at=hour - dt.timedelta(minutes=rng.randint(0, 59)),
                    )
                )
    # One hour over the PrismHR connection's fair-use threshold.
    calls.extend(
        ApiCall(
            connection=prism,
            method="GET",
            uri=f"{prism.base_url}/employee/v1/getEmployee",
            status_code=200,
            created_at=now - dt.timedelta(hours=3, minutes=rng.randint(0, 59)),
        )
        for _ in range(330)
    )
    ApiCall.objects.bulk_create(calls)

    SyncRun.objects.create(
        connection=sandbox,
        state=SyncRun.State.SUCCEEDED,
        trigger=SyncRun.Trigger.SCHEDULE,
        fetched=412,
        details_fetched=37,
        created=4,
        updated=33,
        unchanged=375,
        progress_done=412,
        progress_total=412,
        started_at=now - dt.timedelta(hours=1, minutes=4),
        finished_at=now - dt.timedelta(hours=1),
    )
    running = SyncRun.objects.create(
        connection=sandbox,
        state=SyncRun.State.RUNNING,
        trigger=SyncRun.Trigger.ADMIN,
        full=True,
        fetched=412,
        details_fetched=140,
        created=1,
        updated=12,
        unchanged=126,
        failed=1,
        progress_done=140,
        progress_total=412,
        errors=[{"employee_id": "1188", "error": "No status effective date in the provider's record."}],
        started_at=now - dt.timedelta(minutes=3),
        heartbeat_at=now,
    )
    failed_run = SyncRun.objects.create(
        connection=prism,
        state=SyncRun.State.FAILED,
        trigger=SyncRun.Trigger.SCHEDULE,
        message="PrismHR answered 503 five times in a row; the circuit is open.",
        errors=[{"error": "PrismHR answered 503 five times in a row; the circuit is open."}],
        started_at=now - dt.timedelta(minutes=9),
        finished_at=now - dt.timedelta(minutes=7),
    )
    for n, state in enumerate(["pending", "pending", "failed", "dead", "processed", "processed"]):
        WebhookEvent.objects.create(
            connection=sandbox if n % 2 == 0 else prism,
            delivery_key=f"demo-{n}",
            event_type="employee.updated",
            object_kind="employee",
            company_external_id="6700",
            object_id=f"{1001 + n}",
            state=state,
            last_error="The provider's GET timed out." if state in ("failed", "dead") else "",
        )

    # Tickets: the system's (mapping needed came with the held code) and agents'.
    ticket_raise_automatic(
        key=f"circuit-open:{prism.pk}",
        category=Category.CONNECTION,
        customer=beacon,
        title="Beacon PrismHR: the circuit breaker opened after 5 failed requests",
        actual_result="PrismHR answered 503 five times in a row.",
        expected_result="Requests succeed.",
        connection=prism,
        evidence=[failed_run],
    )
    agent_tickets = [
        (acme, Category.FEED_PULL, "Termination of 1002 not on the downstream feed", 6),
        (acme, Category.EFFECTIVE_DATE, "Leave start date differs from the check date", 3),
        (beacon, Category.RECORD_FILTERING, "Part-timers missing from the feed", 1),
    ]
    for customer, category, title, days in agent_tickets:
        ticket = ticket_create(customer=customer, title=title, category=category)
        Ticket.objects.filter(pk=ticket.pk).update(opened_at=now - dt.timedelta(days=days, hours=2))

    # Projects on the board.
    web_api = ChecklistTemplate.objects.get(slug="web-api")
    projects = {}
    for customer, name, phase, done_share in (
        (acme, "Acme Paylocity go-live", "ongoing_support", 1.0),
        (beacon, "Beacon PrismHR payroll feed", "testing", 0.5),
        (CustomerFactory(name="Contoso Care", slug="contoso"), "Contoso Paylocity", "discovery", 0.3),
        (CustomerFactory(name="Fabrikam Foods", slug="fabrikam"), "Fabrikam Affinity", "implementation", 0.6),
    ):
        project = project_create(
            customer=customer, name=name, template=web_api, target_go_live=today + dt.timedelta(days=45)
        )
        deliverables = list(Deliverable.objects.filter(project=project).order_by("pk"))
        for deliverable in deliverables[: int(len(deliverables) * done_share)]:
            deliverable_complete(deliverable=deliverable)
        ImplementationProject.objects.filter(pk=project.pk).update(phase=phase)
        projects[name] = project
    _payroll(beacon, prism, today, rng)
    return {
        "acme": acme,
        "beacon": beacon,
        "sandbox": sandbox,
        "prism": prism,
        "running": running,
        "employee": employee,
        "projects": projects,
    }


def _payroll(customer, connection, today: dt.date, rng: random.Random) -> None:
    """Biweekly regular batches with employee counts (active vs paid) and one failed import, unless
    ``seed_demo`` already loaded the payroll app's own demo batches."""
    from apps.payroll.models import EmployeeCount, ImportQueueRecord, PayrollBatch

    companies = list(Company.objects.filter(company_set__customer=customer))
    if not companies or PayrollBatch.objects.filter(company__in=companies).exists():
        return
    statuses = [("COMP", "Complete")] * 5 + [("INIT", "Initialized")]
    for company in companies:
        active = 180
        for n, (code, words) in enumerate(statuses):
            pay_date = today - dt.timedelta(days=14 * (len(statuses) - 1 - n))
            batch = PayrollBatch.objects.create(
                company=company,
                connection=connection,
                batch_id=f"{41000 + n}",
                batch_type="R",
                pay_date=pay_date,
                status_code=code,
                status=words,
                sync_with_provider=code == "COMP",
                import_state="completed" if code == "COMP" else "pending",
            )
            if code != "COMP":
                continue
            active += rng.randint(-3, 6)
            EmployeeCount.objects.create(
                batch=batch,
                as_of=pay_date,
                full_time_active=active - 40,
                part_time_active=40,
                full_time_terminated=rng.randint(0, 4),
                full_time_leave=rng.randint(1, 5),
                paid_employees=active - rng.randint(0, 7),
            )
    ImportQueueRecord.objects.create(
        connection=connection,
        company=None,
        client_number="100999",
        batch_number="41077",
        source="ongoing",
        state="failed",
        message="Client 100999 is not one of this connection's companies.",
    )

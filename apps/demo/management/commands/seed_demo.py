"""Load idempotent demo data that runs against the local sandbox provider.

What it makes (every step is skipped when its data is already there):
1. the sandbox's own seeded providers (``sandbox_seed``): Paylocity 6700/6701, PrismHR 100100, Affinity AFF100;
2. customer Acme Health Partners (Paylocity companies 6700 and 6701, a sandbox connection), customer Beacon
   Staffing (PrismHR client 100100, a sandbox connection) and customer Cobalt Foods (Affinity AFF100);
3. Acme's employees, applied through the one write path from the sandbox's provider JSON and status history
   (so the demo shows persons, transfers, held custom codes, downstream actions and automatic tickets);
4. the custom code FML mapped to Leave, S left unmapped (its events are held: a "mapping needed" ticket);
5. an agent ticket and an implementation project on the deliverables-by-phase checklist;
6. users ``consultant`` and ``support`` in their role groups, passwords printed (and noted for run_all's banner);
7. the first syncs of every demo connection (employees; Beacon's payroll Ongoing then Sync), scheduled once
   for the worker half a minute later, when the web server that serves the sandbox is up.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from apps.companies.models import Company, CompanySet, Customer, Provider
from apps.companies.services import company_create, company_set_create, customer_create
from apps.core import first_run
from apps.demo.first_syncs import demo_first_syncs_schedule
from apps.employees.models import Employee
from apps.employees.records import EmployeeRecord, Source
from apps.employees.services import change_batch, employee_records_apply, status_mapping_set
from apps.implementations.models import ChecklistTemplate, ImplementationProject
from apps.implementations.services import deliverable_complete, project_create
from apps.integrations.models import Connection
from apps.integrations.providers.paylocity.records import employee_record
from apps.integrations.services import connection_create, connection_update
from apps.sandbox.models import SandboxEmployee
from apps.sandbox.services.seed import sandbox_seed
from apps.sandbox.wire import paylocity_employee
from apps.support.models import Ticket
from apps.support.services import ticket_create
from apps.users.models import User
from apps.users.roles import CONSULTANTS, SUPPORT

SANDBOX = {
    Provider.PAYLOCITY: (
        "paylocity",
        {"client_id": "sandbox-paylocity-client", "client_secret": "sandbox-paylocity-secret"},
    ),
    Provider.PRISMHR: (
        "prismhr/prismhr-api/services/rest",
        {
            "username": "sandbox-prism-user",
            "password": "sandbox-prism-password",
            "peo_id": "SANDBOXPEO",
            "prismhr_subscription_id": "hub-demo",
        },
    ),
    Provider.AFFINITY: (
        "affinity",
        {"client_id": "sandbox-affinity-client", "client_secret": "sandbox-affinity-secret"},
    ),
}
CUSTOMERS = [
    # slug, name, provider, set name, [(company id, name)], connection slug, webhook auth
    (
        "acme-health",
        "Acme Health Partners",
        Provider.PAYLOCITY,
        "Acme Paylocity",
        [("6700", "Acme Health Clinics"), ("6701", "Acme Health Labs")],
        "acme-paylocity-sandbox",
        "hmac",
    ),
    (
        "beacon-staffing",
        "Beacon Staffing",
        Provider.PRISMHR,
        "Beacon PrismHR",
        [("100100", "Beacon Staffing Services")],
        "beacon-prismhr-sandbox",
        "none",
    ),
    (
        "cobalt-foods",
        "Cobalt Foods",
        Provider.AFFINITY,
        "Cobalt Affinity",
        [("AFF100", "Cobalt Foods Ltd")],
        "cobalt-affinity-sandbox",
        "hmac",
    ),
]


class Command(BaseCommand):
    help = "Create demo customers, sandbox connections, employees, tickets and a project (safe to run again)."

    def handle(self, *args, **options):

        sandbox_seed()
        with transaction.atomic():
            customers = {row[0]: self._customer(*row) for row in CUSTOMERS}
        acme = customers["acme-health"]
        self._acme_employees(acme)
        self._project(acme)
        self._agent_ticket(acme)
        self._users(acme)

        if demo_first_syncs_schedule():
            self.stdout.write(
                "The demo's first syncs (employees of all three customers, Beacon's payroll batches) run in the "
                "worker about half a minute after the server starts, against this hub's own sandbox."
            )
        self.stdout.write(
            self.style.SUCCESS("Demo data ready: " + ", ".join(c.name for c in customers.values()))
        )

    # --- customers, companies, connections ----------------------------------------------------------------

    def _customer(self, slug, name, provider, set_name, companies, connection_slug, webhook_auth) -> Customer:
        customer = Customer.objects.filter(slug=slug).first() or customer_create(name=name, slug=slug)
        company_set = CompanySet.objects.filter(
            customer=customer, name=set_name
        ).first() or company_set_create(customer=customer, name=set_name, provider=provider)
        rows = []
        for external_id, company_name in companies:
            company = Company.objects.filter(provider=provider, external_id=external_id).first()
            rows.append(
                company or company_create(company_set=company_set, external_id=external_id, name=company_name)
            )
        path, credentials = SANDBOX[provider]
        base_url = f"{settings.HUB_PUBLIC_URL.rstrip('/')}/sandbox/{path}"
        existing = Connection.objects.filter(slug=connection_slug).first()
        if existing is not None and existing.base_url != base_url:
            # The hub moved (another PORT / HUB_PUBLIC_URL): its demo connections follow its sandbox, with
            # their sandbox credentials given again (a new address clears the stored secrets).
            connection_update(connection=existing, base_url=base_url, **credentials)
        if existing is None:
            connection_create(
                customer=customer,
                name=f"{name} ({provider} sandbox)",
                slug=connection_slug,
                provider=provider,
                environment=Connection.Environment.SANDBOX,
                base_url=base_url,
                webhook_auth=webhook_auth,
                webhook_secret="whsec_ZGVtby13ZWJob29rLXNlY3JldC1mb3ItdGhlLXNhbmRib3g="
                if webhook_auth == "hmac"
                else "",
                companies=rows,
                **credentials,
            )
        return customer

    # --- employees through the one write path ----------------------------------------------------------------

    def _acme_employees(self, customer: Customer) -> None:

        if Employee.objects.filter(company__company_set__customer=customer).exists():
            return
        company_set = customer.company_sets.get()
        status_mapping_set(
            company_set=company_set, code="FML", status_type="leave", description="Family leave"
        )
        companies = {c.external_id: c for c in company_set.companies.all()}
        sandbox = SandboxEmployee.objects.filter(company__external_id__in=list(companies)).select_related(
            "company"
        )
        # Each record's history in the order it happened, then its current detail: the way syncs and webhooks
        # would have brought it over time.
        with change_batch(customer=customer, cause="demo data") as batch:
            for employee in sandbox.prefetch_related("status_changes"):
                current = employee_record(employee.company.external_id, paylocity_employee(employee))
                history = [
                    EmployeeRecord(
                        **{
                            **_fields(current),
                            "status_code": change.status_code,
                            "status_effective_date": change.effective_date,
                            "change_reason": change.change_reason,
                        }
                    )
                    for change in employee.status_changes.all()
                ]
                for record in [*history, current]:
                    employee_records_apply(
                        company=companies[employee.company.external_id],
                        records=[record],
                        source=Source.SYNC,
                        batch=batch,
                        cause="demo data",
                    )

    def _project(self, customer: Customer) -> None:

        if ImplementationProject.objects.filter(customer=customer).exists():
            return
        project = project_create(
            customer=customer,
            name="Acme HR feed to the access platform",
            template=ChecklistTemplate.objects.get(slug="deliverables-by-phase"),
            integration_method="web_api",
            connections=list(customer.connections.all()),
            target_go_live=timezone.localdate() + dt.timedelta(days=45),
        )
        for deliverable in project.deliverables.filter(phase="discovery")[:2]:
            deliverable_complete(
                deliverable=deliverable, acting_user=None, note="Done in the kick-off meeting."
            )

    def _agent_ticket(self, customer: Customer) -> None:

        if Ticket.objects.filter(customer=customer, origin="agent").exists():
            return
        employee = Employee.objects.filter(company__company_set__customer=customer, status_code="XT").first()
        ticket_create(
            customer=customer,
            title="Transferred employee still shows in the old location",
            category="multiple_companies",
            companies=[employee.company] if employee else [],
            employees=[employee] if employee else [],
            expected_result="After a transfer the employee appears only under the new company.",
            actual_result="The downstream app still lists the employee under the old company.",
            reporter_name="Customer HRIS team",
        )

    def _users(self, customer: Customer) -> None:
        for username, role in (("consultant", CONSULTANTS), ("support", SUPPORT)):
            if User.objects.filter(username=username).exists():
                continue
            password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
            user = User.objects.create_user(
                username=username, password=password, is_staff=True, all_customers=True
            )
            user.groups.add(Group.objects.get(name=role))
            shown = "(from DEMO_PASSWORD)" if os.environ.get("DEMO_PASSWORD") else password
            first_run.remember(username=username, role=role, password=shown)
            self.stdout.write(f"Created demo user '{username}' ({role}) with password: {shown}")


def _fields(record) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}

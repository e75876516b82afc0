"""Load idempotent demo data that runs against the local sandbox provider."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.companies.models import Company, CompanySet, Customer, Provider
from apps.companies.services import company_create, company_set_create, customer_create
from apps.integrations.models import Connection
from apps.integrations.services import connection_create

DEMO_CUSTOMER = "Acme Health Partners"
DEMO_COMPANIES = [("6700", "Acme Health Clinics"), ("6701", "Acme Health Labs")]


class Command(BaseCommand):
    help = "Create demo customers, companies and sandbox connections (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        customer = Customer.objects.filter(slug="acme-health").first() or customer_create(
            name=DEMO_CUSTOMER, slug="acme-health", notes="Demo customer on the sandbox provider."
        )
        company_set = CompanySet.objects.filter(customer=customer, name="Acme Paylocity").first() or (
            company_set_create(customer=customer, name="Acme Paylocity", provider=Provider.PAYLOCITY)
        )
        companies = []
        for external_id, name in DEMO_COMPANIES:
            company = Company.objects.filter(provider=Provider.PAYLOCITY, external_id=external_id).first()
            companies.append(
                company or company_create(company_set=company_set, external_id=external_id, name=name)
            )
        base = settings.HUB_PUBLIC_URL.rstrip("/")
        if not Connection.objects.filter(slug="acme-paylocity-sandbox").exists():
            connection_create(
                customer=customer,
                name="Acme Paylocity (sandbox)",
                slug="acme-paylocity-sandbox",
                provider=Provider.PAYLOCITY,
                environment=Connection.Environment.SANDBOX,
                base_url=f"{base}/sandbox/paylocity",
                client_id="sandbox-client-0001234",
                client_secret="sandbox-secret",
                webhook_auth=Connection.WebhookAuth.HMAC,
                webhook_secret="whsec_sandbox_demo_secret",
                companies=companies,
            )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {customer}, {len(companies)} companies."))

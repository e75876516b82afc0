from __future__ import annotations

import datetime as dt

import factory

from apps.companies.models import Provider
from apps.sandbox.models import (
    SandboxBatch,
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxStatusChange,
    StatusType,
)


class SandboxCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SandboxCompany
        django_get_or_create = ("provider", "external_id")

    provider = Provider.PAYLOCITY
    external_id = factory.Sequence(lambda n: f"{8000 + n}")
    name = factory.Sequence(lambda n: f"Sandbox company {n}")
    company_set = "set-a"


class SandboxCredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SandboxCredential
        skip_postgeneration_save = True

    provider = Provider.PAYLOCITY
    label = factory.Sequence(lambda n: f"credential-{n}")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = "client-secret"

    @factory.post_generation
    def companies(self, create, extracted, **kwargs):
        if create and extracted:
            self.companies.add(*extracted)


class SandboxEmployeeFactory(factory.django.DjangoModelFactory):
    """An employee with a one-row history (hired active); controls are tested through the services."""

    class Meta:
        model = SandboxEmployee
        skip_postgeneration_save = True

    company = factory.SubFactory(SandboxCompanyFactory)
    employee_id = factory.Sequence(lambda n: f"{5000 + n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    work_email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.test")
    national_id = factory.Sequence(lambda n: f"9{n:08d}")
    birth_date = dt.date(1990, 1, 1)
    status_code = "A"
    status_type = StatusType.ACTIVE
    status_effective_date = dt.date(2020, 1, 1)
    change_reason = "New hire"
    hire_date = dt.date(2020, 1, 1)
    employment_type = "RFT"
    benefit_class = "FT-BEN"
    pay_group = "BW"

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            SandboxStatusChange.objects.create(
                employee=self,
                status_code=self.status_code,
                status_type=self.status_type,
                effective_date=self.status_effective_date,
                change_reason=self.change_reason,
                control="factory",
            )


class SandboxBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SandboxBatch

    company = factory.SubFactory(SandboxCompanyFactory, provider=Provider.PRISMHR)
    batch_id = factory.Sequence(lambda n: f"{60000 + n}")
    status = "COMP"
    pay_date = dt.date(2026, 1, 15)
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 1, 14)
    post_date = dt.date(2026, 1, 15)

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from apps.employees.models import CauseType, DownstreamAction, Employee, Person, Source, StatusEvent
from apps.employees.records import EmployeeRecord
from apps.mappings.models import StatusType
from tests.companies.factories import CompanyFactory, CustomerFactory


def record(
    employee_id: str = "1001",
    code: str = "A",
    on: dt.date | str = "2026-01-01",
    *,
    company: str = "123",
    **fields,
) -> EmployeeRecord:
    """A provider-neutral record with sensible defaults (dates as ISO strings are accepted)."""
    effective = dt.date.fromisoformat(on) if isinstance(on, str) else on
    defaults = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "work_email": f"{employee_id}@example.com",
        "employment_type": "RFT",
    }
    defaults.update(fields)
    return EmployeeRecord(
        company_external_id=company,
        employee_id=employee_id,
        status_code=code,
        status_effective_date=effective,
        **defaults,
    )


# --- rows written directly (tests of reads, API and admin that must not depend on how the engine decides) ---


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    customer = factory.SubFactory(CustomerFactory)
    display_name = factory.Sequence(lambda n: f"Person {n}")
    status_type = StatusType.ACTIVE


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    company = factory.SubFactory(CompanyFactory)
    employee_id = factory.Sequence(lambda n: f"{5000 + n}")
    person = factory.SubFactory(
        PersonFactory, customer=factory.SelfAttribute("..company.company_set.customer")
    )
    first_name = "Grace"
    last_name = factory.Sequence(lambda n: f"Hopper{n}")
    status_code = "A"
    status_type = StatusType.ACTIVE
    status_effective_date = dt.date(2026, 1, 5)


class StatusEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusEvent

    employee = factory.SubFactory(EmployeeFactory)
    code = "A"
    status_type = StatusType.ACTIVE
    effective_date = dt.date(2026, 1, 5)
    recorded_at = factory.LazyFunction(timezone.now)
    source = Source.FILE
    transition = "new_hire"


class DownstreamActionFactory(factory.django.DjangoModelFactory):
    """An outbox row written directly: ``seq`` and ``key`` are unique (the ledger's constraints)."""

    class Meta:
        model = DownstreamAction
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    customer = factory.SelfAttribute("person.customer")
    action = DownstreamAction.Action.PROVISION
    effective_date = dt.date(2026, 1, 5)
    seq = factory.Sequence(lambda n: n + 1)
    key = factory.Sequence(lambda n: f"test-action-{n}")
    state = DownstreamAction.State.PENDING
    cause_type = CauseType.FILE_IMPORT
    cause_id = "1"

    @factory.post_generation
    def events(self, create, extracted, **kwargs):
        if create and extracted:
            self.events.set(extracted)

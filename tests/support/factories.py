from __future__ import annotations

import factory
from django.utils import timezone

from apps.employees.models import Employee, Person
from apps.integrations.models import ApiCall, WebhookEvent
from apps.support.models import KnowledgeArticle, Ticket
from tests.companies.factories import CompanyFactory, CustomerFactory
from tests.integrations.factories import ConnectionFactory


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Concern {n}")
    category = "feed_pull"


class KnowledgeArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    category = "other"
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "How to look into it."
    checklist = factory.LazyFunction(lambda: ["First step", "Second step"])


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    customer = factory.SubFactory(CustomerFactory)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    company = factory.SubFactory(CompanyFactory)
    employee_id = factory.Sequence(lambda n: f"{1000 + n}")
    first_name = "Ada"
    last_name = "Lovelace"
    work_email = factory.Sequence(lambda n: f"person{n}@example.com")
    status_code = "A"
    status_type = "active"


class ApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiCall

    connection = factory.SubFactory(ConnectionFactory)
    method = "GET"
    uri = "https://api.paylocity.com/api/v2/companies/6700/employees/123"
    status_code = 500
    created_at = factory.LazyFunction(timezone.now)


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    connection = factory.SubFactory(ConnectionFactory)
    delivery_key = factory.Sequence(lambda n: f"evt-{n}")
    event_type = "employee.updated"
    object_kind = "employee"
    company_external_id = "123"
    object_id = "1001"
    state = "dead"

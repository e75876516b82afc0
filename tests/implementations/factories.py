from __future__ import annotations

import factory

from apps.implementations.models import (
    ChecklistTemplate,
    ChecklistTemplateItem,
    ImplementationProject,
    Party,
    PartyContact,
)
from apps.implementations.phases import OwnerRole, Phase
from tests.companies.factories import CustomerFactory


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate

    slug = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Template {n}")


class ChecklistTemplateItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplateItem

    template = factory.SubFactory(ChecklistTemplateFactory)
    phase = Phase.DISCOVERY
    order = factory.Sequence(lambda n: n * 10)
    owner_role = OwnerRole.CUSTOMER_INTEGRATION_TEAM
    responsibility = factory.Sequence(lambda n: f"Responsibility {n}")


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    role = OwnerRole.CUSTOMER_INTEGRATION_TEAM
    team_name = factory.Sequence(lambda n: f"Team {n}")


class PartyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyContact

    party = factory.SubFactory(PartyFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    phone = "+1 555 0100"


def make_project(customer=None, *, template_slug: str = "web-api", name: str | None = None, **kwargs):
    """Create a project through the service, from a seeded template (the real path)."""
    from apps.implementations import services

    customer = customer or CustomerFactory()
    template = ChecklistTemplate.objects.get(slug=template_slug)
    return services.project_create(
        customer=customer,
        name=name or f"Project {ImplementationProject.objects.count() + 1}",
        template=template,
        **kwargs,
    )

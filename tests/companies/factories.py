from __future__ import annotations

import factory

from apps.companies.models import Company, CompanySet, Customer, Provider


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")


class CompanySetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanySet

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Set {n}")
    provider = Provider.PAYLOCITY


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    company_set = factory.SubFactory(CompanySetFactory)
    provider = factory.SelfAttribute("company_set.provider")
    external_id = factory.Sequence(lambda n: f"{6000 + n}")
    name = factory.Sequence(lambda n: f"Company {n}")

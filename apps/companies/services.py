"""Writes for customers, company sets and companies."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from apps.core.errors import ApplicationError

from .models import Company, CompanySet, Customer


@transaction.atomic
def customer_create(
    *, name: str, slug: str = "", notes: str = "", active: bool = True, acting_user=None
) -> Customer:
    customer = Customer(name=name, slug=slug or slugify(name)[:80], notes=notes, active=active)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def company_set_create(*, customer: Customer, name: str, provider: str, acting_user=None) -> CompanySet:
    company_set = CompanySet(customer=customer, name=name, provider=provider)
    company_set.full_clean()
    company_set.save()
    return company_set


@transaction.atomic
def company_create(*, company_set: CompanySet, external_id: str, name: str, acting_user=None) -> Company:
    """Create a provider company; its external ID must be unused for that provider."""
    external_id = external_id.strip()
    if not external_id:
        raise ApplicationError("A company needs the provider's company ID.", extra={"field": "external_id"})
    clash = Company.objects.filter(provider=company_set.provider, external_id=external_id).first()
    if clash is not None:
        # Names neither the other company set nor its customer nor an id: it may be another customer's.
        raise ApplicationError(
            f"Company ID {external_id} is already used for {company_set.get_provider_display()}.",
            extra={"field": "external_id"},
        )
    company = Company(
        company_set=company_set, provider=company_set.provider, external_id=external_id, name=name
    )
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_update(
    *, company: Company, name: str | None = None, active: bool | None = None, acting_user=None
):
    fields = []
    if name is not None:
        company.name = name
        fields.append("name")
    if active is not None:
        company.active = active
        fields.append("active")
    if fields:
        company.full_clean()
        company.save(update_fields=[*fields, "updated_at"])
    return company

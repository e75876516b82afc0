"""Customers, their company sets and the provider companies inside them."""

from __future__ import annotations

from django.db import models

from apps.core.models import TimeStampedModel


class Provider(models.TextChoices):
    PAYLOCITY = "paylocity", "Paylocity"
    PRISMHR = "prismhr", "PrismHR"
    AFFINITY = "affinity", "Affinity Payroll"


class Customer(TimeStampedModel):
    """A customer whose payroll provider we integrate with."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompanySet(TimeStampedModel):
    """A customer's group of provider company IDs; employees transfer (XT) only inside one set."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="company_sets")
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=20, choices=Provider.choices)

    class Meta:
        ordering = ["customer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="company_set_unique_name_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} / {self.name}"


class Company(TimeStampedModel):
    """One provider company ID (Paylocity company ID, PrismHR client number, Affinity company code)."""

    company_set = models.ForeignKey(CompanySet, on_delete=models.PROTECT, related_name="companies")
    provider = models.CharField(max_length=20, choices=Provider.choices, editable=False)
    external_id = models.CharField(
        max_length=64,
        help_text="The provider's company ID or client number, exactly as the provider shows it.",
    )
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company_set__customer__name", "external_id"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="company_unique_external_id_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"

    @property
    def customer(self) -> Customer:
        return self.company_set.customer

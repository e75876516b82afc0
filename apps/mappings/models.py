"""Status codes (standard and custom), their mappings to status types, and scope filters."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.companies.models import Company, CompanySet
from apps.core.models import TimeStampedModel


class StatusType(models.TextChoices):
    ACTIVE = "active", "Active"
    LEAVE = "leave", "Leave"
    TERMINATED = "terminated", "Terminated"


class StatusCode(TimeStampedModel):
    """A status code known to the hub: the six standard codes (seed 002) or a customer's custom code.

    Standard codes have no scope and a fixed type. Custom codes are scoped to a company set (or one company)
    and get their type from a StatusMapping; a custom code seen in a feed before anyone described it is
    created here automatically, unmapped.
    """

    code = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    standard = models.BooleanField(default=False)
    standard_type = models.CharField(max_length=20, choices=StatusType.choices, blank=True)
    company_set = models.ForeignKey(
        CompanySet, on_delete=models.CASCADE, null=True, blank=True, related_name="status_codes"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="status_codes"
    )

    class Meta:
        ordering = ["-standard", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(standard=True), name="status_code_standard_unique"
            ),
            models.UniqueConstraint(
                fields=["company_set", "code"],
                condition=Q(standard=False, company__isnull=True),
                name="status_code_custom_unique_per_set",
            ),
            models.UniqueConstraint(
                fields=["company", "code"],
                condition=Q(standard=False),
                name="status_code_custom_unique_per_company",
            ),
            models.CheckConstraint(
                condition=Q(standard=True, company_set__isnull=True, company__isnull=True)
                | Q(standard=False, company_set__isnull=False),
                name="status_code_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()


class StatusMapping(TimeStampedModel):
    """A custom code's status type for a company set, or for one company of it (the override)."""

    company_set = models.ForeignKey(CompanySet, on_delete=models.CASCADE, related_name="status_mappings")
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_mappings",
        help_text="Set only to override the company set's mapping for one company.",
    )
    code = models.CharField(max_length=20)
    status_type = models.CharField(max_length=20, choices=StatusType.choices)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["company_set", "code", "company"]
        constraints = [
            models.UniqueConstraint(
                fields=["company_set", "code"],
                condition=Q(company__isnull=True),
                name="status_mapping_unique_set",
            ),
            models.UniqueConstraint(
                fields=["company", "code"],
                condition=Q(company__isnull=False),
                name="status_mapping_unique_company",
            ),
        ]

    def __str__(self) -> str:
        scope = self.company.external_id if self.company_id else "all companies"
        return f"{self.code} -> {self.get_status_type_display()} ({scope})"


class FilterRule(TimeStampedModel):
    """Which records of a company set are in scope; out-of-scope records are kept but drive nothing.

    ``include`` rules keep only matching records (every include rule must match); exclude rules drop a
    record that matches any of them. ``operator`` ``in`` matches when the record's value is in ``values``,
    ``not_in`` when it is not.
    """

    class Field(models.TextChoices):
        EMPLOYMENT_TYPE = "employment_type", "Employment type"
        STATUS_TYPE = "status_type", "Status type"
        BENEFIT_CLASS = "benefit_class", "Benefit class"
        COMPANY = "company", "Company ID"
        PAY_GROUP = "pay_group", "Pay group"

    class Operator(models.TextChoices):
        IN = "in", "is one of"
        NOT_IN = "not_in", "is not one of"

    company_set = models.ForeignKey(CompanySet, on_delete=models.CASCADE, related_name="filter_rules")
    field = models.CharField(max_length=30, choices=Field.choices)
    operator = models.CharField(max_length=10, choices=Operator.choices, default=Operator.IN)
    values = models.JSONField(default=list, help_text='Values to compare, e.g. ["RFT", "RPT"].')
    include = models.BooleanField(default=True, help_text="Include matching records (else exclude them).")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company_set", "field", "pk"]

    def __str__(self) -> str:
        verb = "include" if self.include else "exclude"
        return f"{verb} {self.field} {self.operator} {', '.join(map(str, self.values))}"

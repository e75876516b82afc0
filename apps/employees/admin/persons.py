"""Persons: the records of one human, their desired state and what the downstream was last told."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline

from ..models import (
    Desired,
    DownstreamAction,
    Employee,
    Person,
)
from .common import cause_html


class PersonEmployeeInline(ReadOnlyInline):
    model = Employee
    fields = (
        "company",
        "employee_id",
        "status_code",
        "status_type",
        "status_effective_date",
        "in_scope",
        "held",
    )
    readonly_fields = fields


class PersonActionInline(ReadOnlyInline):
    """The person's actions, newest first (the ledger's order), with why each was written or withdrawn."""

    model = DownstreamAction
    fk_name = "person"
    fields = (
        "seq",
        "action",
        "effective_date",
        "company",
        "state",
        "cause_link",
        "withdrawn_reason",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("-seq", "-pk")
    verbose_name_plural = "Downstream actions (newest first)"

    def get_queryset(self, request):
        # The person too: each row's title is the action's ``str``, which names the person.
        return super().get_queryset(request).select_related("company", "person")

    @admin.display(description="Cause")
    def cause_link(self, obj):
        return cause_html(obj)


@admin.register(Person)
class PersonAdmin(CustomerScopedAdmin):
    list_display = (
        "display_name",
        "customer",
        "status_type",
        "desired_access",
        "downstream_access",
        "transfer_until",
        "national_id_last4",
        "status_changed_at",
    )
    list_filter = ("status_type", "desired_access", "downstream_access", "customer")
    search_fields = ("display_name", "work_email", "national_id_last4", "employees__employee_id")
    list_select_related = ("customer",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "display_name",
                    "status_type",
                    "status_changed_at",
                    "national_id_last4",
                    "work_email",
                )
            },
        ),
        (
            "Downstream: what the timeline asks for and what the downstream was last told",
            {
                "fields": (
                    "desired_state",
                    "last_told_state",
                    "in_step",
                    "transfer_window",
                    "reconciled_at",
                    "action_seq",
                )
            },
        ),
    )
    readonly_fields = (
        "customer",
        "display_name",
        "status_type",
        "status_changed_at",
        "national_id_last4",
        "work_email",
        "desired_state",
        "last_told_state",
        "in_step",
        "transfer_window",
        "reconciled_at",
        "action_seq",
    )
    inlines = [PersonEmployeeInline, PersonActionInline]

    def get_queryset(self, request):
        # A select_related here replaces list_select_related on the changelist: name the customer too.
        return super().get_queryset(request).select_related("customer", "downstream_company")

    def has_add_permission(self, request):
        return False

    @admin.display(description="Desired (from the status timeline, as of today)")
    def desired_state(self, obj):
        if not obj.desired_access:
            return "not reconciled yet"
        since = f" since {obj.desired_since}" if obj.desired_since else ""
        return f"{obj.get_desired_access_display()}{since}"

    @admin.display(description="Last told to the downstream")
    def last_told_state(self, obj):
        text = obj.get_downstream_access_display()
        if obj.downstream_company_id:
            text += f" in {obj.downstream_company.external_id}"
        if obj.downstream_since:
            text += f" since {obj.downstream_since}"
        return text

    @admin.display(description="In step")
    def in_step(self, obj):
        if not obj.desired_access:
            return "-"
        if obj.desired_access in (Desired.TRANSFERRING, Desired.UNMANAGED):
            return "waiting: the downstream keeps its state"
        return "yes" if obj.desired_access == obj.downstream_access else "no: actions are on their way"

    @admin.display(description="Transfer window")
    def transfer_window(self, obj):
        if not obj.transfer_until:
            return "none open"
        start = (
            f"opened {obj.desired_since}, "
            if obj.desired_access == Desired.TRANSFERRING and obj.desired_since
            else ""
        )
        days = (obj.transfer_until - timezone.localdate()).days
        if days >= 0:
            left = f"{days} day(s) left"
        else:
            left = f"passed {-days} day(s) ago: the hourly schedule closes it"
        return f"open: {start}deadline {obj.transfer_until} ({left})"

"""Employee records: the status history, the person, siblings, actions, review and explain."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline

from .. import services
from ..models import (
    DownstreamAction,
    Employee,
    StatusEvent,
)


class StatusEventInline(ReadOnlyInline):
    """The status timeline: newest effective date first; retro-active and held events marked."""

    model = StatusEvent
    fields = (
        "effective_date",
        "code",
        "status_type",
        "transition",
        "marks",
        "source",
        "change_reason",
        "cause",
        "recorded_at",
    )
    readonly_fields = fields
    ordering = ("-effective_date", "-recorded_at", "-pk")
    show_change_link = False
    verbose_name_plural = "Status timeline (newest effective first)"

    @admin.display(description="Marks")
    def marks(self, obj):
        tags = []
        if obj.retroactive:
            tags.append("retro-active")
        if obj.held:
            tags.append("held: unmapped code")
        if obj.released_at:
            tags.append("released")
        if obj.transition == "fringe":
            tags.append("fringe: review")
        return ", ".join(tags) or "-"


class DownstreamActionInline(ReadOnlyInline):
    model = DownstreamAction
    fk_name = "employee"
    fields = ("action", "effective_date", "state", "attempts", "key")
    readonly_fields = fields


@admin.register(Employee)
class EmployeeAdmin(CustomerScopedAdmin):
    customer_path = "company__company_set__customer"
    list_display = (
        "employee_id",
        "name",
        "company",
        "status_code",
        "status_type",
        "status_effective_date",
        "held",
        "needs_review",
        "in_scope",
        "person_link",
    )
    list_filter = (
        "status_type",
        "held",
        "needs_review",
        "in_scope",
        "employment_type",
        "company__company_set__customer",
        "company",
    )
    search_fields = ("employee_id", "first_name", "last_name", "work_email", "company__external_id")
    list_select_related = ("company", "person")
    readonly_fields = [f.name for f in Employee._meta.fields if f.name not in ("id",)] + [
        "siblings",
        "timeline_link",
    ]
    exclude = ("identity_key", "snapshot_hash")
    inlines = [StatusEventInline, DownstreamActionInline]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False  # employees come from feeds and files, through the one write path

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip()

    @admin.display(description="Person")
    def person_link(self, obj):
        if not obj.person_id:
            return "-"
        url = reverse("admin:employees_person_change", args=[obj.person_id])
        return format_html('<a href="{}">{}</a>', url, obj.person)

    @admin.display(description="Other records of this person")
    def siblings(self, obj):
        if not obj.person_id:
            return "-"
        others = obj.person.employees.exclude(pk=obj.pk).select_related("company")
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}/{} ({})</a>',
                (
                    (
                        reverse("admin:employees_employee_change", args=[e.pk]),
                        e.company.external_id,
                        e.employee_id,
                        e.status_code or "-",
                    )
                    for e in others
                ),
            )
            or "none"
        )

    @admin.display(description="Timeline")
    def timeline_link(self, obj):
        url = reverse("hub-employee-timeline", args=[obj.pk])
        return format_html('<a href="{}">Open the person\'s timeline (all records on one axis)</a>', url)

    @admin.action(description="Mark the selected fringe changes as reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        for employee in queryset.filter(needs_review=True):
            services.employee_review_clear(employee=employee, acting_user=request.user)
        messages.success(request, "Marked as reviewed.")

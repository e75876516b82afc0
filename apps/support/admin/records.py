"""Read-only records (escalations sent, diagnostic results) and the one support settings row."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.companies.scoping import CustomerScopedAdmin

from .. import services
from ..diagnostics import verdict
from ..models import (
    DiagnosticResult,
    Escalation,
    SupportSettings,
)


def admin_link(obj, label: str | None = None) -> str:
    """Link to the admin change page of any record (plain text when it has none)."""
    if obj is None:
        return label or "(gone)"
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return label or str(obj)
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


# --- escalations, diagnostics, settings ----------------------------------------------------------------


@admin.register(Escalation)
class EscalationAdmin(CustomerScopedAdmin):
    customer_path = "ticket__customer"
    list_display = ("subject", "ticket", "to_address", "sent_by", "sent_at", "edited")
    list_filter = ("edited", "ticket__customer")
    search_fields = ("subject", "to_address", "ticket__title")
    list_select_related = ("ticket", "sent_by")
    readonly_fields = (
        "ticket",
        "to_address",
        "subject",
        "draft_body",
        "body",
        "edited",
        "sent_by",
        "sent_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DiagnosticResult)
class DiagnosticResultAdmin(CustomerScopedAdmin):
    customer_path = "company__company_set__customer"
    list_display = ("__str__", "ticket", "ok", "run_by", "created_at")
    list_filter = ("ok",)
    search_fields = ("employee_external_id", "company__external_id")
    list_select_related = ("company", "ticket", "run_by")
    readonly_fields = ("ticket_link", "employee_link", "ok", "error", "run_by", "created_at", "side_by_side")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="ticket")
    def ticket_link(self, obj):
        return admin_link(obj.ticket)

    @admin.display(description="employee")
    def employee_link(self, obj):
        return admin_link(obj.employee, f"{obj.company.external_id}/{obj.employee_external_id}")

    @admin.display(description="result")
    def side_by_side(self, obj):
        return render_to_string(
            "support/admin/diagnostic_result.html",
            {
                "result": obj.result,
                "obj": obj,
                "verdict": verdict(obj.result or {}, ok=obj.ok, error=obj.error),
            },
        )


@admin.register(SupportSettings)
class SupportSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "our_company_name",
        "client_id_fragment_end",
        "paylocity_short_name",
        "paylocity_support_email",
    )
    search_fields = ("our_company_name",)

    def has_add_permission(self, request):
        return not SupportSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.support_settings_update(acting_user=request.user, **form.cleaned_data)

    def changelist_view(self, request, extra_context=None):
        # One row: go straight to it (created from the environment defaults the first time).
        row = services.support_settings_load()
        return redirect("admin:support_supportsettings_change", row.pk)

"""Sandbox companies (fault switches, hire page, self-service creation), credentials and tokens."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html

from apps.core.errors import ApplicationError

from .. import services
from ..models import (
    FaultMode,
    SandboxCompany,
    SandboxCredential,
    SandboxStatusCode,
    SandboxToken,
    SandboxWebhookDelivery,
)
from ..selectors import webhook_target_for
from .common import run_on_each
from .provision import ProvisionPagesMixin


class StatusCodeInline(admin.TabularInline):
    model = SandboxStatusCode
    extra = 0
    fields = ["code", "description", "status_type", "custom"]


def _fault_action(mode: str):
    def act(modeladmin, request, queryset):
        run_on_each(
            modeladmin,
            request,
            queryset,
            f"Fault {mode}",
            lambda company: services.company_fault_set(company=company, mode=mode, acting_user=request.user),
        )

    act.__name__ = f"fault_{mode}"
    act.short_description = f"Fault mode: {FaultMode(mode).label}"
    return act


class HireForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    employee_id = forms.CharField(max_length=64, required=False, help_text="Empty: the next free ID.")
    national_id = forms.CharField(max_length=20, required=False)
    birth_date = forms.DateField(required=False, widget=AdminDateWidget)
    work_email = forms.EmailField(required=False)
    employment_type = forms.CharField(
        max_length=20, initial="RFT", help_text="Paylocity: RFT, RPT, SNL, TFT, TPT."
    )
    benefit_class = forms.CharField(max_length=60, required=False)
    pay_group = forms.CharField(max_length=60, required=False)
    effective_date = forms.DateField(required=False, widget=AdminDateWidget, help_text="Empty: today.")


@admin.register(SandboxCompany)
class SandboxCompanyAdmin(ProvisionPagesMixin, admin.ModelAdmin):
    list_display = [
        "external_id",
        "name",
        "provider",
        "company_set",
        "fault_mode",
        "fault_remaining",
        "rate_limit",
        "request_count",
        "rate_limited_count",
        "webhook_destination",
        "hire_link",
    ]
    list_filter = ["provider", "fault_mode", "company_set"]
    search_fields = ["external_id", "name"]
    readonly_fields = ["request_count", "rate_limited_count", "webhook_target"]
    inlines = [StatusCodeInline]
    fieldsets = [
        (None, {"fields": ["provider", "external_id", "name", "company_set"]}),
        ("Faults", {"fields": ["fault_mode", "fault_remaining", "fault_delay_seconds", "fault_retry_after"]}),
        (
            "Rate limit",
            {"fields": ["rate_limit", "rate_window_seconds", "request_count", "rate_limited_count"]},
        ),
        (
            "Webhooks",
            {
                "fields": [
                    "webhooks_enabled",
                    "webhook_target",
                    "webhook_url",
                    "webhook_auth",
                    "webhook_username",
                    "webhook_password",
                    "webhook_secret",
                    "webhook_signature_header",
                    "webhook_signature_scheme",
                    "webhook_signature_encoding",
                ],
                "description": "Leave the URL empty to send to the hub connection of this company.",
            },
        ),
    ]
    actions = [
        *(_fault_action(mode) for mode in FaultMode.values),
        "reset_counters",
        "validate_webhook",
    ]

    @admin.display(description="webhook target")
    def webhook_target(self, obj: SandboxCompany) -> str:
        target = webhook_target_for(obj)
        return f"{target.url} ({target.source}, {target.auth})" if target else "none"

    @admin.display(description="webhooks to")
    def webhook_destination(self, obj: SandboxCompany) -> str:
        # The list stays one query: the resolved target (a connection lookup) is on the change page.
        return obj.webhook_url or "the hub connection"

    @admin.display(description="controls")
    def hire_link(self, obj: SandboxCompany) -> str:
        return format_html(
            '<a href="{}">Hire…</a>', reverse("admin:sandbox_sandboxcompany_hire", args=[obj.pk])
        )

    @admin.action(description="Reset request counters", permissions=["change"])
    def reset_counters(self, request, queryset):
        run_on_each(
            self, request, queryset, "Counters reset", lambda c: services.company_counters_reset(company=c)
        )

    @admin.action(
        description="Check the webhook target (PrismHR validationToken echo)", permissions=["change"]
    )
    def validate_webhook(self, request, queryset):
        for company in queryset:
            delivery = services.company_webhook_validate(company=company, acting_user=request.user)
            level = (
                messages.SUCCESS
                if delivery.state == SandboxWebhookDelivery.State.DELIVERED
                else messages.WARNING
            )
            self.message_user(request, f"{company}: {delivery.state} {delivery.error}".strip(), level)

    def get_urls(self):
        return [
            self.page_path("<int:pk>/hire/", self.hire_view, "hire"),
            self.page_path("provision/", self.provision_view, "provision"),
            *super().get_urls(),
        ]

    def hire_view(self, request, pk: int):
        company = get_object_or_404(SandboxCompany, pk=pk)
        self.require(request.user.has_perm("sandbox.add_sandboxemployee"))
        form = HireForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                employee = services.employee_hire(
                    company=company, acting_user=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Hired {employee}; the provider's webhook is on its way.")
                return redirect("admin:sandbox_sandboxemployee_change", employee.pk)
        return self.render_page(
            request, "admin/sandbox/control_form.html", title=f"Hire into {company}", obj=company, form=form
        )


@admin.register(SandboxCredential)
class SandboxCredentialAdmin(admin.ModelAdmin):
    list_display = ["label", "provider", "client_id", "username", "peo_id", "token_ttl_seconds", "active"]
    list_filter = ["provider", "active"]
    search_fields = ["label", "client_id", "username"]
    filter_horizontal = ["companies"]
    actions = ["expire_tokens"]

    @admin.action(description="Expire every token / session of these credentials now", permissions=["change"])
    def expire_tokens(self, request, queryset):
        count = sum(services.token_expire_all(credential=c) for c in queryset)
        self.message_user(request, f"{count} token(s) expired.")


@admin.register(SandboxToken)
class SandboxTokenAdmin(admin.ModelAdmin):
    list_display = ["credential", "created_at", "expires_at"]
    list_filter = ["credential__provider"]
    search_fields = ["credential__label"]
    list_select_related = ["credential"]
    readonly_fields = ["credential", "token", "created_at", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

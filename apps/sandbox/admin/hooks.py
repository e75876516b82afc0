"""Outgoing webhooks (resendable) and the PrismHR events the sandbox emitted."""

from __future__ import annotations

from django.contrib import admin

from .. import services
from ..models import (
    SandboxEvent,
    SandboxWebhookDelivery,
)
from .common import run_on_each


@admin.register(SandboxWebhookDelivery)
class SandboxWebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "company",
        "employee",
        "batch",
        "event_type",
        "url",
        "state",
        "status_code",
        "error",
    ]
    list_filter = ["state", "company", "event_type"]
    search_fields = ["event_type", "url", "employee__employee_id", "batch__batch_id"]
    list_select_related = ["company", "employee", "batch"]
    readonly_fields = [f.name for f in SandboxWebhookDelivery._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again (fresh signature)", permissions=["change"])
    def resend(self, request, queryset):
        run_on_each(
            self,
            request,
            queryset,
            "Resent",
            lambda d: services.webhook_delivery_resend(delivery=d, acting_user=request.user),
        )


@admin.register(SandboxEvent)
class SandboxEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "company", "schema_name", "class_name", "object_id", "action"]
    list_filter = ["company", "class_name", "action"]
    search_fields = ["object_id", "event_id"]
    list_select_related = ["company"]
    readonly_fields = [
        "company",
        "event_id",
        "schema_name",
        "class_name",
        "object_id",
        "action",
        "occurred_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

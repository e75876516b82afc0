"""The integration logs, read-only: sync runs, webhook events (replayable), API calls, fair-use crossings."""

from __future__ import annotations

from django.contrib import admin, messages

from apps.companies.scoping import CustomerScopedAdmin

from .. import services
from ..models import ApiCall, FairUseCrossing, SyncRun, WebhookEvent


class _ReadOnlyLogAdmin(CustomerScopedAdmin):
    """A log: shown and filtered, never added or edited by hand."""

    customer_path = "connection__customer"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(_ReadOnlyLogAdmin):
    list_display = (
        "id",
        "connection",
        "kind",
        "state",
        "full",
        "trigger",
        "fetched",
        "details_fetched",
        "created",
        "updated",
        "unchanged",
        "failed",
        "started_at",
        "finished_at",
    )
    list_filter = ("state", "kind", "trigger", "full", "connection__provider")
    search_fields = ("id", "connection__name", "connection__customer__name", "message")
    list_select_related = ("connection", "connection__customer")
    autocomplete_fields = ("connection", "company", "requested_by")
    readonly_fields = [f.name for f in SyncRun._meta.fields]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(_ReadOnlyLogAdmin):
    list_display = (
        "id",
        "connection",
        "event_type",
        "company_external_id",
        "object_id",
        "state",
        "attempts",
        "next_attempt_at",
        "disagreement_flag",
        "created_at",
    )
    list_filter = ("state", "object_kind", "connection__provider", "event_type")
    search_fields = ("delivery_key", "object_id", "company_external_id", "connection__name")
    list_select_related = ("connection", "connection__customer")
    autocomplete_fields = ("connection",)
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["replay"]
    date_hierarchy = "created_at"

    @admin.display(description="Disagrees with GET", boolean=True)
    def disagreement_flag(self, obj):
        return bool(obj.disagreement)

    def has_replay_permission(self, request):
        return request.user.has_perm("integrations.change_webhookevent")

    @admin.action(description="Replay (process again)", permissions=["replay"])
    def replay(self, request, queryset):
        count = 0
        for event in queryset:
            services.webhook_event_replay(event=event, acting_user=request.user)
            count += 1
        self.message_user(request, f"{count} event(s) queued for processing again.", messages.SUCCESS)


@admin.register(ApiCall)
class ApiCallAdmin(_ReadOnlyLogAdmin):
    list_display = (
        "created_at",
        "connection",
        "method",
        "uri",
        "status_code",
        "duration_ms",
        "attempt",
        "error",
    )
    list_filter = ("method", "status_code", "connection__provider")
    search_fields = ("uri", "error", "connection__name")
    list_select_related = ("connection", "connection__customer")
    autocomplete_fields = ("connection", "sync_run", "webhook_event")
    readonly_fields = [f.name for f in ApiCall._meta.fields]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of log rows for the paginator is not worth it


@admin.register(FairUseCrossing)
class FairUseCrossingAdmin(_ReadOnlyLogAdmin):
    list_display = ("connection", "window", "period_start", "calls", "threshold")
    list_filter = ("window",)
    search_fields = ("connection__name",)
    list_select_related = ("connection", "connection__customer")
    autocomplete_fields = ("connection",)
    readonly_fields = [f.name for f in FairUseCrossing._meta.fields]

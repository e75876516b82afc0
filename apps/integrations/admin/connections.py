"""Connections: the form, health and webhook fields, the inlines of their fair-use crossings and runs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from .. import services
from ..models import SECRET_FIELDS, Connection, FairUseCrossing, SyncRun
from ..tasks import enqueue_sync_run
from .buttons import ConnectionButtonsMixin, queued_message
from .forms import NO_CHECK_WARNING, ConnectionForm


class FairUseCrossingInline(ReadOnlyInline):
    model = FairUseCrossing
    fields = ("window", "period_start", "calls", "threshold")
    readonly_fields = fields
    show_change_link = False
    max_num = 10


class SyncRunInline(ReadOnlyInline):
    model = SyncRun
    fields = (
        "kind",
        "state",
        "trigger",
        "fetched",
        "created",
        "updated",
        "failed",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    max_num = 10

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


@admin.register(Connection)
class ConnectionAdmin(ConnectionButtonsMixin, CustomerScopedAdmin):
    form = ConnectionForm

    def save_model(self, request, obj, form, change):
        """Write through the services: a blank secret keeps the stored one, companies are checked."""
        data = {
            name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data
        }
        companies = list(form.cleaned_data.get("companies") or [])
        if change:
            saved = services.connection_update(
                connection=Connection.objects.get(pk=obj.pk),
                companies=companies,
                acting_user=request.user,
                **data,
            )
        else:
            saved = services.connection_create(
                customer=form.cleaned_data["customer"],
                companies=companies,
                acting_user=request.user,
                **{k: v for k, v in data.items() if v not in ("", None) or k not in SECRET_FIELDS},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
        if saved.webhook_auth == Connection.WebhookAuth.NONE:
            messages.warning(request, f"{saved}: {NO_CHECK_WARNING}")

    def save_related(self, request, form, formsets, change):
        # The companies were set by the service, with its checks; only inlines are left to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    list_display = (
        "name",
        "customer",
        "provider",
        "environment",
        "state",
        "circuit_state",
        "last_authenticated_at",
        "secret_expires_at",
        "webhook_link",
    )
    list_filter = ("provider", "environment", "state", "circuit_state", "customer")
    search_fields = ("name", "slug", "customer__name", "client_id", "uuid")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer", "companies")
    readonly_fields = ("uuid", "webhook_link", "webhook_check_warning", "secret_actions")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "name",
                    "slug",
                    "provider",
                    "environment",
                    "base_url",
                    "state",
                    "companies",
                )
            },
        ),
        (
            "Credentials (write-only)",
            {"fields": ("client_id", "client_secret", "username", "password", "peo_id", "secret_expires_at")},
        ),
        (
            "Incoming webhooks",
            {
                "fields": (
                    "uuid",
                    "webhook_link",
                    "webhook_check_warning",
                    "webhook_auth",
                    "webhook_username",
                    "webhook_password",
                    "webhook_secret",
                    "secret_actions",
                    "webhook_signature_header",
                    "webhook_signature_encoding",
                    "webhook_signature_scheme",
                    "webhook_allowed_ips",
                )
            },
        ),
        (
            "Webhook processing",
            {"fields": ("webhook_digest_types", "webhook_coalesce_seconds", "prismhr_subscription_id")},
        ),
        (
            "Affinity file drop (SFTP)",
            {
                "classes": ("collapse",),
                "fields": (
                    "sftp_host",
                    "sftp_port",
                    "sftp_username",
                    "sftp_password",
                    "sftp_private_key",
                    "sftp_host_key",
                    "sftp_folder",
                    "sftp_archive_folder",
                ),
            },
        ),
        (
            "Fair use and health",
            {
                "fields": (
                    "rate_limit_per_second",
                    "rate_limit_per_minute",
                    "fair_use_per_hour",
                    "fair_use_per_day",
                    "fair_use_status",
                    "circuit_threshold",
                    "circuit_cooldown_seconds",
                    "circuit_status",
                    "auth_status",
                )
            },
        ),
    )
    inlines = [FairUseCrossingInline, SyncRunInline]
    actions = ["test_connections", "sync_employees"]

    @admin.display(description="Calls this hour / day")
    def fair_use_status(self, obj):
        if not obj.pk:
            return "-"
        usage = services.fair_use_usage(connection=obj)
        per_hour, per_day = obj.effective_fair_use
        crossing = obj.fair_use_crossings.first()
        last = (
            f"; last crossing: {crossing.calls} calls in the {crossing.window} from {crossing.period_start:%Y-%m-%d %H:%M}"
            if crossing
            else ""
        )
        return f"{usage['hour']} / {per_hour} this hour, {usage['day']} / {per_day} today{last}"

    @admin.display(description="Circuit breaker")
    def circuit_status(self, obj):
        text = obj.get_circuit_state_display()
        if obj.circuit_failures:
            text += f", {obj.circuit_failures} consecutive failure(s)"
        if obj.circuit_opened_at:
            text += f", since {obj.circuit_opened_at:%Y-%m-%d %H:%M:%S}"
        return text

    @admin.display(description="Authentication")
    def auth_status(self, obj):
        if obj.last_auth_error:
            return f"Failing: {obj.last_auth_error}"
        if obj.last_authenticated_at:
            return f"Authenticated {obj.last_authenticated_at:%Y-%m-%d %H:%M}"
        return "Never authenticated"

    @admin.action(description="Test the connection (authenticate now)", permissions=["change"])
    def test_connections(self, request, queryset):
        for connection in queryset:
            outcome = services.connection_test(connection=connection, acting_user=request.user)
            level = messages.SUCCESS if outcome["ok"] else messages.ERROR
            self.message_user(request, f"{connection}: {outcome['message']}", level)

    @admin.action(description="Sync employees now", permissions=["sync"])
    def sync_employees(self, request, queryset):
        for connection in queryset:
            try:
                run = services.sync_run_request(
                    connection=connection,
                    kind=SyncRun.Kind.EMPLOYEES,
                    trigger=SyncRun.Trigger.ADMIN,
                    acting_user=request.user,
                )
            except ApplicationError as exc:
                self.message_user(request, f"{connection}: {exc.message}", messages.WARNING)
                continue
            transaction.on_commit(lambda run_id=run.pk: enqueue_sync_run(run_id))
            self.message_user(request, queued_message(connection, run), messages.SUCCESS)

    @admin.display(description="Webhook check")
    def webhook_check_warning(self, obj):
        if obj.pk and obj.webhook_auth == Connection.WebhookAuth.NONE:
            return format_html('<strong class="errornote">Warning: {}</strong>', NO_CHECK_WARNING)
        return "Checked (Basic credentials or HMAC signature)." if obj.pk else "-"

    def get_readonly_fields(self, request, obj=None):
        fields = (*self.readonly_fields, "fair_use_status", "circuit_status", "auth_status")
        # A connection stays with its customer (its runs and calls are that customer's history).
        return (*fields, "customer") if obj is not None else fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.webhook_auth == Connection.WebhookAuth.NONE and request.method == "GET":
            messages.warning(request, f"{obj}: {NO_CHECK_WARNING}")
        if obj is not None:
            extra_context = {**(extra_context or {}), "connection_buttons": self.object_buttons(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Webhook URL")
    def webhook_link(self, obj):
        return obj.webhook_path if obj.pk else "-"

    @admin.display(description="Webhook secret")
    def secret_actions(self, obj):
        if not obj.pk:
            return "Save the connection first."
        url = reverse("admin:integrations_connection_generate_secret", args=[obj.pk])
        # A submit button of the change form itself (so the POST carries its CSRF token), aimed at our view.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" formnovalidate>'
            "Generate a new webhook secret</button> (shown once, then never again)",
            url,
        )

    def get_urls(self):
        return [
            self.page_path("<int:pk>/generate-webhook-secret/", self.generate_secret_view, "generate_secret"),
            *self.button_urls(),
            *super().get_urls(),
        ]

    def generate_secret_view(self, request, pk):
        if request.method != "POST":
            return redirect("admin:integrations_connection_change", pk)
        connection = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, connection):
            messages.error(request, "You may not change this connection.")
        else:
            secret = services.connection_webhook_secret_generate(
                connection=connection, acting_user=request.user
            )
            messages.warning(
                request, f"New webhook secret (copy it now, it will not be shown again): {secret}"
            )
        return redirect("admin:integrations_connection_change", pk)

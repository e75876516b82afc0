from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from apps.companies.models import Provider
from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

from . import services
from .models import SECRET_FIELDS, ApiCall, Connection, FairUseCrossing, SyncRun, WebhookEvent
from .tasks import enqueue_sync_run, enqueue_sync_runs


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


class ConnectionForm(forms.ModelForm):
    """Secrets are write-only: the form never shows a stored value; blank keeps what is stored."""

    client_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    webhook_password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    webhook_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    sftp_password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    sftp_private_key = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}), strip=False
    )

    class Meta:
        model = Connection
        # The service's editable fields (secrets included), plus who it belongs to and what it serves.
        fields = ("customer", "companies", *services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            is_set = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name].help_text = (
                "Set. " if is_set else "Not set. "
            ) + "Leave blank to keep it as it is."
            self.initial[name] = ""

    def clean(self):
        data = super().clean()
        customer = data.get("customer") or (self.instance.customer if self.instance.pk else None)
        companies = list(data.get("companies") or [])
        if customer is not None and companies:
            try:
                services.connection_companies_check(
                    customer=customer, provider=data.get("provider", ""), companies=companies
                )
            except ApplicationError as exc:
                self.add_error("companies", exc.message)
        return data


def queued_message(connection: Connection, run: SyncRun):
    """The "queued" message of a requested run, linking its live page."""
    return format_html(
        '{}: {} sync run <a href="{}">#{}</a> queued: <a href="{}">watch it live</a>.',
        connection,
        run.get_kind_display().lower(),
        reverse("hub-sync-run", args=[run.pk]),
        run.pk,
        reverse("hub-sync-run", args=[run.pk]),
    )


NO_CHECK_WARNING = (
    "Incoming webhooks are NOT authenticated on this connection (webhook check: none). Anyone who knows "
    "its webhook URL can post events; each is only a hint that the worker confirms with a GET, and an "
    "unauthenticated request may carry at most WEBHOOK_MAX_EVENTS_UNAUTHENTICATED events. Use it only for "
    "PrismHR subscriptions, and add the provider's source addresses to the IP allow-list."
)


@admin.register(Connection)
class ConnectionAdmin(CustomerScopedAdmin):
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

    def has_sync_permission(self, request):
        """The API's twin (``POST connections/{id}/sync/``) asks for integrations.add_syncrun."""
        return request.user.has_perm("integrations.add_syncrun")

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

    def object_buttons(self, request, obj: Connection) -> dict:
        """What the signed-in user may do from this connection's page (the views check the same)."""
        latest = obj.sync_runs.order_by("-created_at", "-pk").first()
        may_sync = self.has_sync_permission(request)
        return {
            "test": self.has_change_permission(request, obj),
            "sync": may_sync,
            "import_payroll": may_sync and obj.provider == Provider.PRISMHR,
            "watch": reverse("hub-sync-run", args=[latest.pk]) if latest else "",
            "watch_label": f"Watch live (run #{latest.pk}, {latest.get_kind_display().lower()})"
            if latest
            else "",
            "sandbox": self._sandbox_url(request, obj),
        }

    @staticmethod
    def _sandbox_url(request, obj: Connection) -> str:
        """The sandbox's self-service page for this connection (sandbox connections, users who may use it)."""
        user = request.user
        allowed = (
            obj.environment == Connection.Environment.SANDBOX
            and user.has_perm("sandbox.add_sandboxcompany")
            and user.has_perm("integrations.change_connection")
            and user.has_perm("companies.add_company")
        )
        if not allowed:
            return ""
        try:  # by name: the sandbox app sits above integrations
            return f"{reverse('admin:sandbox_sandboxcompany_provision')}?connection={obj.pk}"
        except NoReverseMatch:
            return ""

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
        def view(func, suffix):
            return path(
                f"<int:pk>/{suffix}/",
                self.admin_site.admin_view(func),
                name=f"integrations_connection_{suffix.replace('-', '_')}",
            )

        return [
            path(
                "<int:pk>/generate-webhook-secret/",
                self.admin_site.admin_view(self.generate_secret_view),
                name="integrations_connection_generate_secret",
            ),
            view(self.test_view, "test"),
            view(self.sync_view, "sync"),
            view(self.import_payroll_view, "import-payroll"),
            *super().get_urls(),
        ]

    def _posted_connection(self, request, pk: int, allowed) -> Connection:
        """The connection of a button's POST, if the user sees it and ``allowed(obj)``; else 405/404/403."""
        if request.method != "POST":
            raise PermissionDenied("Use the button on the connection's page (POST).")
        connection = get_object_or_404(self.get_queryset(request), pk=pk)
        if not allowed(connection):
            raise PermissionDenied
        return connection

    def test_view(self, request, pk: int):
        """Test: authenticate now; the outcome is a message on the connection's page."""
        connection = self._posted_connection(request, pk, lambda c: self.has_change_permission(request, c))
        outcome = services.connection_test(connection=connection, acting_user=request.user)
        level = messages.SUCCESS if outcome["ok"] else messages.ERROR
        self.message_user(request, f"Test of {connection}: {outcome['message']}", level)
        return redirect("admin:integrations_connection_change", pk)

    def sync_view(self, request, pk: int):
        """Sync now: request an employee sync and land on its live page."""
        connection = self._posted_connection(request, pk, lambda c: self.has_sync_permission(request))
        runs = self._queue_runs(request, connection, [SyncRun.Kind.EMPLOYEES])
        if not runs:
            return redirect("admin:integrations_connection_change", pk)
        return redirect("hub-sync-run", runs[-1].pk)

    def import_payroll_view(self, request, pk: int):
        """Import payroll now (PrismHR): the Ongoing process, then the Sync, one after the other."""
        connection = self._posted_connection(
            request,
            pk,
            lambda c: self.has_sync_permission(request) and c.provider == Provider.PRISMHR,
        )
        runs = self._queue_runs(
            request, connection, [SyncRun.Kind.PAYROLL_ONGOING, SyncRun.Kind.PAYROLL_SYNC]
        )
        if not runs:
            return redirect("admin:integrations_connection_change", pk)
        return redirect("hub-sync-run", runs[-1].pk)

    def _queue_runs(self, request, connection: Connection, kinds: list[str]) -> list[SyncRun]:
        """Request one run per kind (all or none), queue them in order after the commit; say so with links."""
        try:
            with transaction.atomic():
                runs = [
                    services.sync_run_request(
                        connection=connection,
                        kind=kind,
                        trigger=SyncRun.Trigger.ADMIN,
                        acting_user=request.user,
                    )
                    for kind in kinds
                ]
        except ApplicationError as exc:
            self.message_user(request, f"{connection}: {exc.message}", messages.WARNING)
            return []
        for run in runs:
            self.message_user(request, queued_message(connection, run), messages.SUCCESS)
        transaction.on_commit(lambda ids=[r.pk for r in runs]: enqueue_sync_runs(ids))
        return runs

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

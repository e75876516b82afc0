from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from apps.core.admin import CustomerScopedAdmin

from . import services
from .models import SECRET_FIELDS, Connection


class ConnectionForm(forms.ModelForm):
    """Secrets are write-only: the form never shows a stored value; blank keeps what is stored."""

    client_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    webhook_password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    webhook_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = Connection
        fields = (
            "customer",
            "name",
            "slug",
            "provider",
            "environment",
            "base_url",
            "state",
            "companies",
            "client_id",
            *SECRET_FIELDS,
            "username",
            "peo_id",
            "secret_expires_at",
            "webhook_auth",
            "webhook_username",
            "webhook_signature_header",
            "webhook_signature_encoding",
            "webhook_allowed_ips",
            "rate_limit_per_second",
            "rate_limit_per_minute",
        )

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
        for name in SECRET_FIELDS:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(Connection.objects.get(pk=self.instance.pk), name)
        return data


@admin.register(Connection)
class ConnectionAdmin(CustomerScopedAdmin):
    form = ConnectionForm
    list_display = (
        "name",
        "customer",
        "provider",
        "environment",
        "state",
        "secret_expires_at",
        "webhook_link",
    )
    list_filter = ("provider", "environment", "state", "customer")
    search_fields = ("name", "slug", "customer__name", "client_id", "uuid")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer", "companies")
    readonly_fields = ("uuid", "webhook_link", "secret_actions")
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
                    "webhook_auth",
                    "webhook_username",
                    "webhook_password",
                    "webhook_secret",
                    "secret_actions",
                    "webhook_signature_header",
                    "webhook_signature_encoding",
                    "webhook_allowed_ips",
                )
            },
        ),
        ("Fair use", {"fields": ("rate_limit_per_second", "rate_limit_per_minute")}),
    )

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
            path(
                "<int:pk>/generate-webhook-secret/",
                self.admin_site.admin_view(self.generate_secret_view),
                name="integrations_connection_generate_secret",
            ),
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

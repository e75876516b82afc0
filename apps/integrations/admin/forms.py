"""The connection form: secrets write-only, companies checked by the service; the no-check warning."""

from __future__ import annotations

from django import forms

from apps.core.errors import ApplicationError

from .. import services
from ..models import SECRET_FIELDS, Connection


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

    def _empty_list(self, name):
        # An emptied JSON box arrives as None; these columns mean "any" / "none" as an empty list.
        value = self.cleaned_data.get(name)
        return [] if value in (None, "") else value

    def clean_webhook_allowed_ips(self):
        return self._empty_list("webhook_allowed_ips")

    def clean_webhook_digest_types(self):
        return self._empty_list("webhook_digest_types")

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


NO_CHECK_WARNING = (
    "Incoming webhooks are NOT authenticated on this connection (webhook check: none). Anyone who knows "
    "its webhook URL can post events; each is only a hint that the worker confirms with a GET, and an "
    "unauthenticated request may carry at most WEBHOOK_MAX_EVENTS_UNAUTHENTICATED events. Use it only for "
    "PrismHR subscriptions, and add the provider's source addresses to the IP allow-list."
)

"""Connections: one provider account of a customer, with its credentials encrypted at rest."""

from __future__ import annotations

import uuid

from django.core.validators import MinValueValidator
from django.db import models

from apps.companies.models import Company, Customer, Provider
from apps.core.fields import EncryptedTextField
from apps.core.models import TimeStampedModel

# Fair-use defaults per provider API family (requests per second, per minute). Paylocity WebLink allows
# 25 req/s; Paylocity NextGen 3 req/s and 180 req/min. PrismHR and Affinity publish no figure, so we stay
# polite by default; every connection can override.
DEFAULT_RATE_LIMITS: dict[str, tuple[float, int | None]] = {
    Provider.PAYLOCITY: (25.0, None),
    Provider.PRISMHR: (10.0, 600),
    Provider.AFFINITY: (5.0, 300),
}


class Connection(TimeStampedModel):
    """A provider account used for one customer's companies: where to call, how to authenticate, state."""

    class Environment(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox"
        PRODUCTION = "production", "Production"

    class State(models.TextChoices):
        TESTING = "testing", "Testing"
        LIVE = "live", "Live"
        PAUSED = "paused", "Paused"

    class WebhookAuth(models.TextChoices):
        BASIC = "basic", "HTTP Basic credentials"
        HMAC = "hmac", "HMAC-SHA256 signature"
        NONE = "none", "No check (PrismHR validation token only)"

    class SignatureEncoding(models.TextChoices):
        HEX = "hex", "hex"
        BASE64 = "base64", "base64"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="connections")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.SANDBOX)
    base_url = models.URLField(
        max_length=300, help_text="The provider's API root; the sandbox's path locally."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.TESTING, db_index=True)
    companies = models.ManyToManyField(Company, blank=True, related_name="connections")

    # Credentials. Identifiers in clear, secrets encrypted (EncryptedTextField) and never shown back.
    client_id = models.CharField(max_length=200, blank=True, help_text="Paylocity / Affinity API client ID.")
    client_secret = EncryptedTextField()
    username = models.CharField(max_length=200, blank=True, help_text="PrismHR API user.")
    password = EncryptedTextField()
    peo_id = models.CharField(max_length=100, blank=True, help_text="PrismHR PEO ID.")
    secret_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider's client secret expires (Paylocity: yearly)."
    )

    # How incoming webhooks prove they come from the provider.
    webhook_auth = models.CharField(max_length=10, choices=WebhookAuth.choices, default=WebhookAuth.HMAC)
    webhook_username = models.CharField(max_length=200, blank=True)
    webhook_password = EncryptedTextField()
    webhook_secret = EncryptedTextField()
    webhook_signature_header = models.CharField(max_length=100, default="webhook-signature")
    webhook_signature_encoding = models.CharField(
        max_length=10, choices=SignatureEncoding.choices, default=SignatureEncoding.BASE64
    )
    webhook_allowed_ips = models.JSONField(
        default=list, blank=True, help_text="Source IPs or networks allowed to send webhooks; empty = any."
    )

    # Fair use: requests per second / per minute this connection may send (shared by all workers).
    rate_limit_per_second = models.FloatField(validators=[MinValueValidator(0.01)], null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["customer__name", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_rate_limits(self) -> tuple[float, int | None]:
        per_second, per_minute = DEFAULT_RATE_LIMITS.get(self.provider, (5.0, None))
        return (self.rate_limit_per_second or per_second, self.rate_limit_per_minute or per_minute)

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/{self.uuid}/"


SECRET_FIELDS = ("client_secret", "password", "webhook_password", "webhook_secret")

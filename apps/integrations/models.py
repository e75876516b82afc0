"""Connections: one provider account of a customer, with its credentials encrypted at rest."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.companies.models import Company, Customer, Provider
from apps.core import destinations
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


# Fair-use defaults (calls per hour, per day) when a connection sets none. Affinity asks customers to watch
# "transaction volumes"; none of the providers publishes a number, so these are deliberately generous.
DEFAULT_FAIR_USE: dict[str, tuple[int, int]] = {
    Provider.PAYLOCITY: (50_000, 400_000),
    Provider.PRISMHR: (20_000, 200_000),
    Provider.AFFINITY: (10_000, 100_000),
}


class CircuitState(models.TextChoices):
    CLOSED = "closed", "Closed (calling)"
    OPEN = "open", "Open (not calling)"
    HALF_OPEN = "half_open", "Half-open (one probe)"


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

    class SignatureScheme(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks (webhook-id, webhook-timestamp, v1,<sig>)"
        RAW = "raw", "Raw body (sha256=<hex>, no timestamp)"

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
    webhook_signature_scheme = models.CharField(
        max_length=10,
        choices=SignatureScheme.choices,
        default=SignatureScheme.STANDARD,
        help_text="Standard Webhooks sign id, timestamp and body (replays are refused); raw-body signatures "
        "(sha256=<hex>, GitHub style) are accepted only when this says raw.",
    )
    webhook_allowed_ips = models.JSONField(
        default=list, blank=True, help_text="Source IPs or networks allowed to send webhooks; empty = any."
    )

    # Fair use: requests per second / per minute this connection may send (shared by all workers).
    rate_limit_per_second = models.FloatField(validators=[MinValueValidator(0.01)], null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Fair use over longer periods: calls per hour / day above which a crossing is recorded (empty: default).
    fair_use_per_hour = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="API calls per hour above which fair use is exceeded (empty: default).",
    )
    fair_use_per_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="API calls per day above which fair use is exceeded (empty: default).",
    )

    # Circuit breaker: after `circuit_threshold` consecutive failed requests the connection stops calling the
    # provider for `circuit_cooldown_seconds`, then lets one probe through (half-open).
    circuit_state = models.CharField(max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED)
    circuit_failures = models.PositiveIntegerField(default=0)
    circuit_opened_at = models.DateTimeField(null=True, blank=True)
    circuit_threshold = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1)])
    circuit_cooldown_seconds = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])

    # Authentication health, shown on the connection and used as implementation evidence.
    last_authenticated_at = models.DateTimeField(null=True, blank=True)
    last_auth_error = models.CharField(max_length=300, blank=True)

    # Affinity file drop: standard employee CSVs pulled from an SFTP folder. The server's host key is pinned.
    sftp_host = models.CharField(max_length=200, blank=True)
    sftp_port = models.PositiveIntegerField(default=22)
    sftp_username = models.CharField(max_length=200, blank=True)
    sftp_password = EncryptedTextField()
    sftp_private_key = EncryptedTextField()
    sftp_host_key = models.TextField(
        blank=True, help_text="The server's public host key, as in known_hosts: 'ssh-ed25519 AAAA...'."
    )
    sftp_folder = models.CharField(max_length=300, blank=True, default="outbound")
    sftp_archive_folder = models.CharField(
        max_length=100, blank=True, default="processed", help_text="Sub-folder processed files are moved to."
    )

    # Incoming webhook handling: which event types are digested (empty: every employee event) and how long
    # repeated hooks for one employee are gathered into one GET (0: process each at once).
    webhook_digest_types = models.JSONField(
        default=list,
        blank=True,
        help_text="Event types to digest (e.g. NewHire, employee.updated); empty = every employee event.",
    )
    webhook_coalesce_seconds = models.PositiveIntegerField(
        default=0, help_text="Gather hooks for one employee arriving within this many seconds into one GET."
    )
    prismhr_subscription_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="PrismHR: poll this subscription's events (subscription/v1/getNewEvents) every few minutes, "
        "besides the webhooks; the same event arriving both ways is stored once.",
    )

    class Meta:
        ordering = ["customer__name", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Apply the destinations policy to where we call, and allow no webhook check only for PrismHR."""

        errors: dict[str, str] = {}
        if self.base_url:
            try:
                destinations.validate_url(self.base_url)
            except destinations.DestinationError as exc:
                errors["base_url"] = f"Not an allowed destination: {exc.message}."
        if self.sftp_host:
            try:
                destinations.validate_host(self.sftp_host)
            except destinations.DestinationError as exc:
                errors["sftp_host"] = f"Not an allowed destination: {exc.message}."
        if self.webhook_auth == self.WebhookAuth.NONE and self.provider != Provider.PRISMHR:
            errors["webhook_auth"] = (
                "'none' is only for PrismHR (its subscriptions prove themselves with the validation token); "
                "use basic or hmac."
            )
        if (
            self.webhook_signature_scheme == self.SignatureScheme.RAW
            and self.webhook_signature_encoding != self.SignatureEncoding.HEX
        ):
            errors["webhook_signature_encoding"] = "Raw-body signatures (sha256=<hex>) are hex."
        if errors:
            raise ValidationError(errors)

    @property
    def effective_rate_limits(self) -> tuple[float, int | None]:
        per_second, per_minute = DEFAULT_RATE_LIMITS.get(self.provider, (5.0, None))
        return (self.rate_limit_per_second or per_second, self.rate_limit_per_minute or per_minute)

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/{self.uuid}/"

    @property
    def effective_fair_use(self) -> tuple[int, int]:
        per_hour, per_day = DEFAULT_FAIR_USE.get(self.provider, (10_000, 100_000))
        return (self.fair_use_per_hour or per_hour, self.fair_use_per_day or per_day)


SECRET_FIELDS = (
    "client_secret",
    "password",
    "webhook_password",
    "webhook_secret",
    "sftp_password",
    "sftp_private_key",
)


class SyncRun(TimeStampedModel):
    """One sync of one connection and kind: who started it, how far it got, what it counted."""

    class Kind(models.TextChoices):
        EMPLOYEES = "employees", "Employees"
        PAYROLL_ONGOING = "payroll-ongoing", "Payroll (ongoing)"
        PAYROLL_SYNC = "payroll-sync", "Payroll (sync)"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial (some records failed)"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"

    ACTIVE_STATES = (State.PENDING, State.RUNNING)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    connection_state = models.CharField(
        max_length=20,
        choices=Connection.State.choices,
        blank=True,
        help_text="The connection's state when the run was requested (a test sync proves testing later too).",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.EMPLOYEES)
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_runs",
        help_text="Only this company (empty: every company of the connection).",
    )
    full = models.BooleanField(default=False, help_text="Fetch every employee's details, not only changes.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.SCHEDULE)
    requested_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="sync_runs"
    )
    fetched = models.PositiveIntegerField(default=0, help_text="Employees listed by the provider.")
    details_fetched = models.PositiveIntegerField(default=0, help_text="Employee details fetched.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    waiting_until = models.DateTimeField(
        null=True, blank=True, help_text="Waiting on the provider (its Retry-After, or a backoff) until then."
    )
    waiting_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The claim: at most one pending or running sync per connection and kind, held by the database.
            models.UniqueConstraint(
                fields=["connection", "kind"],
                condition=models.Q(state__in=["pending", "running"]),
                name="sync_run_one_active_per_connection_kind",
            ),
        ]
        indexes = [models.Index(fields=["connection", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sync #{self.pk} ({self.state})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class WebhookEvent(TimeStampedModel):
    """The inbox: one verified incoming event, stored before the 2xx and processed by a worker.

    The row is the guarantee (not the broker): a sweeper re-enqueues rows whose processing is due or whose
    worker died, and a dead row can be replayed.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        COALESCED = "coalesced", "Coalesced into another event"
        IGNORED = "ignored", "Ignored (not digested)"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead (needs replay)"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_events")
    delivery_key = models.CharField(
        max_length=200, help_text="The provider's event id, else a hash of the raw body and timestamp."
    )
    event_type = models.CharField(max_length=100, blank=True, db_index=True)
    object_kind = models.CharField(max_length=40, blank=True, help_text="employee, payroll, ...")
    company_external_id = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, help_text="Employee ID (or batch ID).")
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    disagreement = models.CharField(
        max_length=500, blank=True, help_text="What the hook said that the provider's GET did not confirm."
    )
    coalesced_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="coalesced_events"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "delivery_key"], name="webhook_event_unique_delivery"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["connection", "company_external_id", "object_id", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type or 'event'} {self.company_external_id}/{self.object_id} ({self.state})"


class ApiCall(models.Model):
    """One outbound request attempt: what was asked, how it went. No bodies, no PII, no secrets in the URI."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="api_calls")
    sync_run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_calls"
    )
    webhook_event = models.ForeignKey(
        WebhookEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_calls"
    )
    method = models.CharField(max_length=10)
    uri = models.CharField(max_length=1000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "created_at"])]
        verbose_name = "API call"

    def __str__(self) -> str:
        return f"{self.method} {self.uri} -> {self.status_code or self.error or '?'}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and self.status_code < 400


class RateLimitSlot(models.Model):
    """The next free request slot of one connection (unix seconds), shared by every worker process."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="rate_limit_slot")
    next_at = models.FloatField(default=0.0)

    class Meta:
        ordering = ["connection_id"]

    def __str__(self) -> str:
        return f"rate limit slot of {self.connection_id}"


class FairUseCrossing(TimeStampedModel):
    """A connection made more calls in one hour or day than its fair-use threshold (recorded once per period)."""

    class Window(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="fair_use_crossings")
    window = models.CharField(max_length=10, choices=Window.choices)
    period_start = models.DateTimeField()
    calls = models.PositiveIntegerField()
    threshold = models.PositiveIntegerField()

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "window", "period_start"], name="fair_use_crossing_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.calls}/{self.threshold} calls per {self.window} from {self.period_start}"

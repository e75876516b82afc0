"""The sandbox's own data: emulated provider companies, credentials, employees, batches, events and hooks.

Nothing here is the hub's data. The sandbox plays the provider: the hub reaches it over HTTP exactly as it
reaches Paylocity, PrismHR or Affinity, so only a connection's ``base_url`` tells the two apart.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.companies.models import Provider
from apps.core.fields import EncryptedTextField
from apps.core.models import TimeStampedModel


class StatusType(models.TextChoices):
    """The provider's own status type (Paylocity ``statusTypeCode``, PrismHR status class)."""

    ACTIVE = "A", "Active"
    LEAVE = "L", "Leave"
    TERMINATED = "T", "Terminated"


class FaultMode(models.TextChoices):
    NONE = "none", "None"
    RATE_LIMIT = "rate_limit", "429 Too Many Requests with Retry-After"
    ERROR_500 = "error_500", "500 Internal Server Error"
    SLOW = "slow", "Slow: answer after a delay past the client's read timeout"
    MALFORMED_JSON = "malformed_json", "Malformed JSON body"
    EXPIRED_TOKEN = "expired_token", "Every token or session is expired"


class WebhookAuth(models.TextChoices):
    NONE = "none", "None"
    BASIC = "basic", "HTTP Basic"
    HMAC = "hmac", "HMAC-SHA256 signature"


class SignatureScheme(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (webhook-id, webhook-timestamp, v1,<sig>)"
    RAW = "raw", "Raw body (sha256=<hex>)"


class SignatureEncoding(models.TextChoices):
    BASE64 = "base64", "base64"
    HEX = "hex", "hex"


class SandboxCompany(TimeStampedModel):
    """One emulated provider company (Paylocity company ID, PrismHR client number, Affinity company code).

    Holds the company's fault mode, its rate limit with the live counter, and where its webhooks go. An
    empty ``webhook_url`` means "the hub's connection for this company" (found by external ID or by the
    credentials), so a seeded sandbox needs no webhook set-up at all.
    """

    provider = models.CharField(max_length=20, choices=Provider.choices)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    company_set = models.CharField(
        max_length=100,
        blank=True,
        help_text="Companies with the same label form one set; transfers stay inside.",
    )

    fault_mode = models.CharField(max_length=20, choices=FaultMode.choices, default=FaultMode.NONE)
    fault_remaining = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many more requests the fault hits; empty = until switched off."
    )
    fault_delay_seconds = models.FloatField(
        default=35.0, validators=[MinValueValidator(0)], help_text="Delay of the 'slow' fault."
    )
    fault_retry_after = models.PositiveIntegerField(default=2, help_text="Retry-After of the '429' fault.")

    rate_limit = models.PositiveIntegerField(
        default=1000, help_text="Requests allowed per window; 0 = unlimited."
    )
    rate_window_seconds = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    rate_window_index = models.BigIntegerField(default=0, editable=False)
    rate_window_count = models.PositiveIntegerField(default=0, editable=False)
    request_count = models.PositiveBigIntegerField(default=0, editable=False)
    rate_limited_count = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Requests refused with 429 because the rate limit was exceeded."
    )

    webhooks_enabled = models.BooleanField(default=True)
    webhook_url = models.URLField(
        max_length=300, blank=True, help_text="Empty: the hub connection of this company (HUB_PUBLIC_URL)."
    )
    webhook_auth = models.CharField(max_length=10, choices=WebhookAuth.choices, default=WebhookAuth.NONE)
    webhook_username = models.CharField(max_length=200, blank=True)
    webhook_password = EncryptedTextField()
    webhook_secret = EncryptedTextField()
    webhook_signature_header = models.CharField(max_length=100, default="webhook-signature")
    webhook_signature_scheme = models.CharField(
        max_length=10, choices=SignatureScheme.choices, default=SignatureScheme.STANDARD
    )
    webhook_signature_encoding = models.CharField(
        max_length=10, choices=SignatureEncoding.choices, default=SignatureEncoding.BASE64
    )

    class Meta:
        ordering = ["provider", "external_id"]
        verbose_name_plural = "sandbox companies"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="sandbox_company_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.external_id} {self.name}"


class SandboxStatusCode(TimeStampedModel):
    """A status code the emulated company uses, standard or custom, with the provider's type for it."""

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="status_codes")
    code = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    status_type = models.CharField(max_length=1, choices=StatusType.choices)
    custom = models.BooleanField(default=False)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="sandbox_status_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class SandboxCredential(TimeStampedModel):
    """API credentials the sandbox accepts: client ID + secret, or PrismHR username + password + PEO ID."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    label = models.CharField(max_length=100)
    client_id = models.CharField(max_length=200, blank=True, db_index=True)
    client_secret = EncryptedTextField()
    username = models.CharField(max_length=200, blank=True, db_index=True)
    password = EncryptedTextField()
    peo_id = models.CharField(max_length=100, blank=True)
    companies = models.ManyToManyField(SandboxCompany, related_name="credentials", blank=True)
    token_ttl_seconds = models.PositiveIntegerField(default=3600, validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["provider", "label"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "label"], name="sandbox_credential_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.label}"


class SandboxToken(models.Model):
    """An access token (Paylocity, Affinity) or a session ID (PrismHR) the sandbox issued."""

    credential = models.ForeignKey(SandboxCredential, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.credential} token …{self.token[-6:]}"


class SandboxEmployee(TimeStampedModel):
    """One employee record at one emulated company: every field the providers' detail endpoints return.

    The status fields are the provider's current view: the last recorded change, whatever its effective
    date (a future-dated termination shows as T with a future effective date, as the providers show it).
    ``status_changes`` keeps the sequence.
    """

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="employees")
    employee_id = models.CharField(max_length=64)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    work_email = models.CharField(max_length=254, blank=True)
    national_id = models.CharField(max_length=20, blank=True, help_text="SSN / national ID (fake data only).")
    birth_date = models.DateField(null=True, blank=True)
    status_code = models.CharField(max_length=20)
    status_type = models.CharField(max_length=1, choices=StatusType.choices)
    status_effective_date = models.DateField()
    change_reason = models.CharField(max_length=200, blank=True)
    hire_date = models.DateField(null=True, blank=True)
    rehire_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    employment_type = models.CharField(max_length=20, blank=True, help_text="Paylocity RFT/RPT/SNL/TFT/TPT.")
    full_time = models.BooleanField(default=True, help_text="PrismHR type class F (else P).")
    benefit_class = models.CharField(max_length=60, blank=True)
    pay_group = models.CharField(max_length=60, blank=True)
    department = models.CharField(max_length=100, blank=True)
    job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["company", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "employee_id"], name="sandbox_employee_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.company.external_id}/{self.employee_id} {self.first_name} {self.last_name}"


class SandboxStatusChange(models.Model):
    """One status change of a sandbox employee, in the order it was made (back- and future-dated too)."""

    employee = models.ForeignKey(SandboxEmployee, on_delete=models.CASCADE, related_name="status_changes")
    status_code = models.CharField(max_length=20)
    status_type = models.CharField(max_length=1, choices=StatusType.choices)
    effective_date = models.DateField()
    change_reason = models.CharField(max_length=200, blank=True)
    previous_code = models.CharField(max_length=20, blank=True)
    control = models.CharField(max_length=30, blank=True, help_text="The control (or seed) that made it.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.previous_code or '-'} -> {self.status_code} on {self.effective_date}"


class BatchStatus(models.TextChoices):
    """PrismHR payroll batch status codes, in the order a batch usually moves through them."""

    TS_READY = "TS.READY", "Payroll is ready for time sheet entry"
    TS_ENTRY = "TS.ENTRY", "Time sheet entry in progress"
    TSOKCOMP = "TSOKCOMP", "Payroll is ready to calculate"
    INITIAL = "INITIAL", "Payroll calculation in progress"
    INITOK = "INITOK", "Payroll reports are ready for review"
    INITWARN = "INITWARN", "Payroll calculation completed with warning"
    INITFAIL = "INITFAIL", "Payroll calculation completed with errors"
    AP_PEND = "AP.PEND", "Payroll calculation results pending client approval"
    AP_READY = "AP.READY", "Approved by client"
    AP_FAIL = "AP.FAIL", "Payroll calculation results rejected by client"
    INITCOMP = "INITCOMP", "Ready to finalize"
    POST = "POST", "Payroll finalization in progress"
    POST_PEND = "POST.PEND", "Finalization pending approval"
    POST_FAIL = "POST.FAIL", "Payroll finalization complete with errors"
    POSTCOMP = "POSTCOMP", "Payroll is ready to print"
    WT_PEND = "WT.PEND", "Wire transfer pending"
    PRINT = "PRINT", "Printing"
    PRINTFAIL = "PRINTFAIL", "Payroll printed with errors"
    PRINTCOMP = "PRINTCOMP", "Payroll is ready to ship"
    COMP = "COMP", "Payroll is complete"


class SandboxBatch(TimeStampedModel):
    """A PrismHR payroll batch of an emulated client, with what its payroll methods answer.

    ``status`` is free text on purpose: a batch can be moved to a code the hub does not know, to test that
    unknown codes are kept. A deleted batch stays here (``deleted``) but the payroll methods no longer
    find it, as PrismHR does after a DELETE event.
    """

    class BatchType(models.TextChoices):
        REGULAR = "R", "Regular"
        SPECIAL = "S", "Special"
        VOID = "V", "Void"

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="batches")
    batch_id = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    batch_type = models.CharField(max_length=1, choices=BatchType.choices, default=BatchType.REGULAR)
    status = models.CharField(max_length=20, default=BatchStatus.TS_READY)
    pay_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    post_date = models.DateField(null=True, blank=True)
    pay_groups = models.JSONField(
        default=list, blank=True, help_text="[{payGroupId, payPeriodStartDate, payPeriodEndDate}]"
    )
    billing_totals = models.JSONField(
        default=list,
        blank=True,
        help_text="[{billCode, totBillAmt}] as getBillingCodeTotalsForBatch answers.",
    )
    has_billing_totals = models.BooleanField(
        default=True, help_text="Off: getBillingCodeTotalsForBatch answers with no totals (seed 004 rule)."
    )
    voids = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="voided_by"
    )
    deleted = models.BooleanField(default=False)
    scenario = models.CharField(max_length=60, blank=True, help_text="Which seed 004 rule this batch shows.")

    class Meta:
        ordering = ["company", "batch_id"]
        verbose_name_plural = "sandbox batches"
        constraints = [
            models.UniqueConstraint(fields=["company", "batch_id"], name="sandbox_batch_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.company.external_id} batch {self.batch_id} ({self.status})"


class SandboxVoucher(models.Model):
    """One payroll voucher of a sandbox batch, with its billing lines (served by both voucher methods)."""

    batch = models.ForeignKey(SandboxBatch, on_delete=models.CASCADE, related_name="vouchers")
    voucher_id = models.CharField(max_length=30)
    employee_id = models.CharField(max_length=64)
    pay_group = models.CharField(max_length=60, blank=True)
    voucher_type = models.CharField(max_length=10, default="R", help_text="R regular, V void.")
    void_voucher_id = models.CharField(max_length=30, blank=True, help_text="The voucher this one voids.")
    void_date = models.DateField(null=True, blank=True)
    total_earnings = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    billing = models.JSONField(default=list, help_text="[{billCode, billCodeDescription, billAmt}]")

    class Meta:
        ordering = ["batch", "voucher_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "voucher_id"], name="sandbox_voucher_unique_id"),
        ]

    def __str__(self) -> str:
        return f"voucher {self.voucher_id} ({self.employee_id})"


class SandboxEvent(models.Model):
    """A PrismHR subscription event: sent as a webhook and served again by ``getNewEvents``."""

    class Action(models.TextChoices):
        CREATE = "CREATE", "Create"
        UPDATE = "UPDATE", "Update"
        DELETE = "DELETE", "Delete"

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64, unique=True)
    schema_name = models.CharField(max_length=30)
    class_name = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=10, choices=Action.choices)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.class_name} {self.object_id} {self.action}"


class SandboxSubscription(models.Model):
    """A PrismHR event subscription: where ``getNewEvents`` carries on from (the replay ID)."""

    credential = models.ForeignKey(SandboxCredential, on_delete=models.CASCADE, related_name="subscriptions")
    subscription_id = models.CharField(max_length=64)
    replay_id = models.BigIntegerField(default=0, help_text="ID of the last event already handed out.")

    class Meta:
        ordering = ["credential", "subscription_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "subscription_id"], name="sandbox_subscription_unique_id"
            ),
        ]

    def __str__(self) -> str:
        return f"subscription {self.subscription_id}"


class SandboxWebhookDelivery(TimeStampedModel):
    """One webhook the sandbox sent (or tried to): where, what, and what came back."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no target)"

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="webhook_deliveries")
    employee = models.ForeignKey(
        SandboxEmployee, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    batch = models.ForeignKey(
        SandboxBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    event_type = models.CharField(max_length=60)
    method = models.CharField(max_length=6, default="POST")
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    request_headers = models.JSONField(
        default=dict, blank=True, help_text="Sent headers, credentials masked."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sandbox webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(status_code__isnull=False),
                name="sandbox_delivery_delivered_has_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.url or '(no target)'} [{self.state}]"

"""PrismHR payroll batches and what the two import processes keep of them (seed 004).

A batch is created as soon as the provider has it (Ongoing process) and follows the provider's status; once
complete it is flagged for the Sync process, which adds its billing vouchers, pay groups, costs and employee
counts. Nothing is ever removed: a deleted batch is deactivated with its pay groups and vouchers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.companies.models import Company, Customer
from apps.core.models import TimeStampedModel
from apps.integrations.models import Connection, SyncRun, WebhookEvent

from . import rules


class ImportState(models.TextChoices):
    """What the batch's import ended as; the same words as its queue records' states (``rules.ImportOutcome``)."""

    PENDING = rules.STATE_PENDING, "Pending"
    COMPLETED = rules.STATE_COMPLETED, "Completed"
    COMPLETED_WITH_MESSAGE = rules.STATE_COMPLETED_WITH_MESSAGE, "Completed with a message"
    FAILED = rules.STATE_FAILED, "Failed"


class PayrollBatch(TimeStampedModel):
    """One PrismHR payroll batch of one client (company), with its status as the provider last said it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="payroll_batches")
    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="payroll_batches"
    )
    batch_id = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    batch_type = models.CharField(max_length=20, blank=True, help_text="R regular, S special, V void.")
    pay_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    status_code = models.CharField(
        max_length=30, blank=True, db_index=True, help_text="As the provider sent it (unknown codes too)."
    )
    status = models.CharField(max_length=200, blank=True, help_text="The status in words.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    sync_with_provider = models.BooleanField(
        default=False, help_text="Complete in the provider: the Sync process imports its vouchers."
    )
    active = models.BooleanField(default=True)
    import_state = models.CharField(
        max_length=30, choices=ImportState.choices, default=ImportState.PENDING, db_index=True
    )
    import_message = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    voids = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_by",
        help_text="The original batch this void batch voids.",
    )
    voucher_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-pay_date", "-batch_id"]
        verbose_name_plural = "payroll batches"
        constraints = [
            models.UniqueConstraint(fields=["company", "batch_id"], name="payroll_batch_unique_per_company"),
        ]
        indexes = [models.Index(fields=["connection", "sync_with_provider", "import_state"])]

    def __str__(self) -> str:
        return f"{self.company.external_id} batch {self.batch_id}"

    @property
    def status_known(self) -> bool:
        return rules.is_known_status(self.status_code)


class BatchStatusChange(models.Model):
    """History: one status the batch moved to, and what noticed it."""

    class Source(models.TextChoices):
        ONGOING = "ongoing", "Ongoing process"
        WEBHOOK = "webhook", "Subscription event"
        SYNC = "sync", "Sync process"
        DELETE = "delete", "Delete event"

    batch = models.ForeignKey(PayrollBatch, on_delete=models.CASCADE, related_name="status_changes")
    from_code = models.CharField(max_length=30, blank=True)
    from_status = models.CharField(max_length=200, blank=True)
    to_code = models.CharField(max_length=30)
    to_status = models.CharField(max_length=200)
    changed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    queue_record = models.ForeignKey(
        "ImportQueueRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="status_changes"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_code or '-'} -> {self.to_code}"


class PayGroup(TimeStampedModel):
    """One pay group of a batch, with its costs from the employee count."""

    batch = models.ForeignKey(PayrollBatch, on_delete=models.CASCADE, related_name="pay_groups")
    pay_group_id = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=200, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    employee_count = models.PositiveIntegerField(default=0, help_text="Employees paid in this pay group.")
    total_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    cost_per_employee = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["batch", "pay_group_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "pay_group_id"], name="pay_group_unique_per_batch"),
        ]

    def __str__(self) -> str:
        return self.pay_group_id or "(no pay group)"


class BillingVoucher(models.Model):
    """One billing line of one voucher: billing code, amount, employee, pay group."""

    batch = models.ForeignKey(PayrollBatch, on_delete=models.CASCADE, related_name="billing_vouchers")
    voucher_id = models.CharField(max_length=40)
    employee_number = models.CharField(max_length=64, help_text="The provider's employee ID.")
    employee = models.ForeignKey(
        "employees.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="billing_vouchers",
    )
    pay_group = models.ForeignKey(
        PayGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="billing_vouchers"
    )
    pay_group_code = models.CharField(max_length=60, blank=True)
    bill_code = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    pay_date = models.DateField(null=True, blank=True)
    void_date = models.DateField(null=True, blank=True)
    voids_voucher_id = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "voucher_id", "bill_code", "pay_group_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "voucher_id", "bill_code", "pay_group_code"],
                name="billing_voucher_unique_line",
            ),
        ]
        indexes = [models.Index(fields=["batch", "employee_number"])]

    def __str__(self) -> str:
        return f"voucher {self.voucher_id} {self.bill_code} {self.amount}"


class EmployeeCount(TimeStampedModel):
    """Headcounts of a regular completed batch: six status classes as of the pay date, and the paid."""

    batch = models.OneToOneField(PayrollBatch, on_delete=models.CASCADE, related_name="employee_count")
    as_of = models.DateField(help_text="The batch's pay date.")
    full_time_active = models.PositiveIntegerField(default=0)
    part_time_active = models.PositiveIntegerField(default=0)
    full_time_terminated = models.PositiveIntegerField(default=0)
    part_time_terminated = models.PositiveIntegerField(default=0)
    full_time_leave = models.PositiveIntegerField(default=0)
    part_time_leave = models.PositiveIntegerField(default=0)
    paid_employees = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of", "batch"]

    def __str__(self) -> str:
        return f"{self.batch}: {self.active_employees} active, {self.paid_employees} paid"

    @property
    def active_employees(self) -> int:
        return self.full_time_active + self.part_time_active


class ImportQueueRecord(TimeStampedModel):
    """One unit of import work: a batch to create/update (Ongoing), import (Sync) or delete (event)."""

    class Source(models.TextChoices):
        ONGOING = "ongoing", "Ongoing process"
        IMPORT = "import", "Import (Sync) process"

    class Event(models.TextChoices):
        CREATE = "CREATE", "Create"
        UPDATE = "UPDATE", "Update"
        DELETE = "DELETE", "Delete"

    class State(models.TextChoices):
        PENDING = rules.STATE_PENDING, "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = rules.STATE_COMPLETED, "Completed"
        COMPLETED_WITH_MESSAGE = rules.STATE_COMPLETED_WITH_MESSAGE, "Completed with a message"
        FAILED = rules.STATE_FAILED, "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="payroll_queue")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="payroll_queue"
    )
    client_number = models.CharField(max_length=64)
    batch_number = models.CharField(max_length=30, help_text="The provider's batch ID.")
    batch = models.ForeignKey(
        PayrollBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="queue_records"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    event = models.CharField(max_length=10, choices=Event.choices, default=Event.UPDATE)
    state = models.CharField(max_length=30, choices=State.choices, default=State.PENDING, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    log = models.JSONField(default=list, blank=True, help_text="Log lines written while processing.")
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    sync_run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="payroll_queue"
    )
    webhook_event = models.OneToOneField(
        WebhookEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="payroll_queue_record"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "source", "state"])]

    def __str__(self) -> str:
        return f"{self.event} {self.client_number}/{self.batch_number} ({self.state})"


class NotificationRule(TimeStampedModel):
    """Who hears about which batch statuses: role groups (in-app + email) and plain email addresses."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="payroll_notification_rules",
        help_text="Empty: every customer.",
    )
    name = models.CharField(max_length=200)
    status_codes = models.JSONField(
        default=list, blank=True, help_text='Status codes, e.g. ["INITFAIL", "AP.FAIL"]; empty: every change.'
    )
    groups = models.ManyToManyField("auth.Group", blank=True, related_name="payroll_notification_rules")
    email_addresses = models.TextField(
        blank=True, help_text="Extra addresses, one per line or comma-separated."
    )
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.status_codes, list) or not all(isinstance(c, str) for c in self.status_codes):
            raise ValidationError({"status_codes": "A list of status codes (strings)."})
        self.status_codes = [c.strip() for c in self.status_codes if c.strip()]

    @property
    def addresses(self) -> list[str]:
        raw = self.email_addresses.replace(",", "\n").replace(";", "\n")
        return [a.strip() for a in raw.splitlines() if a.strip()]

    def matches(self, code: str) -> bool:
        return not self.status_codes or code.upper() in {c.upper() for c in self.status_codes}


class Notification(TimeStampedModel):
    """One notice of a batch status change: in-app for a user, or an email to an address."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In-app"
        EMAIL = "email", "Email"

    rule = models.ForeignKey(
        NotificationRule, on_delete=models.SET_NULL, null=True, related_name="notifications"
    )
    batch = models.ForeignKey(PayrollBatch, on_delete=models.CASCADE, related_name="notifications")
    status_change = models.ForeignKey(
        BatchStatusChange, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="payroll_notifications",
    )
    email_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class PayrollSettings(TimeStampedModel):
    """How the two payroll processes run for one PrismHR connection (defaults as seed 004 describes)."""

    class DateType(models.TextChoices):
        PAY = "PAY", "Pay date"
        PERIOD = "PERIOD", "Period end date"
        POST = "POST", "Post date"

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="payroll_settings")
    ongoing_enabled = models.BooleanField(default=True)
    ongoing_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(5)], help_text="How often the Ongoing process runs."
    )
    ongoing_batch_limit = models.PositiveIntegerField(
        default=250, validators=[MinValueValidator(1)], help_text="At most this many batches per Ongoing run."
    )
    window_days_back = models.PositiveIntegerField(default=31)
    window_days_ahead = models.PositiveIntegerField(default=31)
    date_type = models.CharField(max_length=10, choices=DateType.choices, default=DateType.PAY)
    sync_enabled = models.BooleanField(default=True)
    sync_weekdays = models.CharField(
        max_length=40, default="sat,sun", help_text="Days the Sync process runs: mon,tue,...,sun."
    )
    sync_hour = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(23)], help_text="Hour of the day (server time) it starts."
    )
    voucher_page_size = models.PositiveIntegerField(
        default=5000,
        validators=[MinValueValidator(100), MaxValueValidator(10_000)],
        help_text="Vouchers per provider call and per write chunk.",
    )

    class Meta:
        ordering = ["connection"]
        verbose_name_plural = "payroll settings"

    def __str__(self) -> str:
        return f"payroll settings of {self.connection}"

    def clean(self) -> None:
        try:
            days = rules.parse_weekdays(self.sync_weekdays)
        except ValueError as exc:
            raise ValidationError({"sync_weekdays": str(exc)}) from exc
        if self.sync_enabled and not days:
            raise ValidationError({"sync_weekdays": "Name at least one day, or turn the Sync off."})
        self.sync_weekdays = ",".join(rules.WEEKDAY_NAMES[d] for d in days)

    @property
    def weekdays(self) -> list[int]:
        return rules.parse_weekdays(self.sync_weekdays)

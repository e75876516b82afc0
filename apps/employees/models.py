"""Employees, persons, their status history and the downstream-action outbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.companies.models import Company, Customer
from apps.core.fields import EncryptedTextField
from apps.core.models import TimeStampedModel
from apps.mappings.models import StatusType


class Source(models.TextChoices):
    SYNC = "sync", "Full sync"
    WEBHOOK = "webhook", "Webhook"
    FILE = "file", "File"
    MANUAL = "manual", "Manual"


class Access(models.TextChoices):
    """What the downstream holds (or should hold) for a person."""

    NONE = "none", "Never told"
    PROVISIONED = "provisioned", "Provisioned"
    SUSPENDED = "suspended", "Suspended"
    DEPROVISIONED = "deprovisioned", "Deprovisioned"


class Desired(models.TextChoices):
    """What the person's status timeline asks of the downstream today (``Access`` plus two waiting states)."""

    PROVISIONED = "provisioned", "Provisioned"
    SUSPENDED = "suspended", "Suspended"
    DEPROVISIONED = "deprovisioned", "Deprovisioned"
    TRANSFERRING = "transferring", "Transferring (grace window open: the downstream keeps its state)"
    UNMANAGED = "unmanaged", "Not managed (no record in scope)"


class CauseType(models.TextChoices):
    """What made the engine reconcile: every change batch and action names one, with its id."""

    SYNC_RUN = "sync_run", "Sync run"
    WEBHOOK_EVENT = "webhook_event", "Webhook event"
    FILE_IMPORT = "file_import", "File import"
    MAPPING = "mapping", "Status mapping change"
    FILTER_RULE = "filter_rule", "Filter rule change"
    APPROVAL = "approval", "Mass-change approval"
    SCHEDULE = "schedule", "Schedule"
    POLICY = "policy", "Downstream policy change"
    MANUAL = "manual", "Manual (command, demo, user)"


class Person(TimeStampedModel):
    """One human behind one or more employee records of a customer.

    Records are linked by the same employee ID within a company set, else the same identity key (HMAC of
    the national ID under IDENTITY_HASH_KEY; the national ID itself is never stored), else the same work
    email. The person's status is the best of its in-scope records' types: Active > Leave > Terminated.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="persons")
    identity_key = models.CharField(max_length=64, blank=True, db_index=True)
    national_id_last4 = models.CharField(max_length=4, blank=True)
    work_email = models.CharField(max_length=254, blank=True, db_index=True)
    display_name = models.CharField(max_length=200, blank=True)
    status_type = models.CharField(max_length=20, choices=StatusType.choices, null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The action ledger: what the engine last told the downstream (the effect of its last action that was
    # not withdrawn) and how many actions it has written for this person (the next action's ``seq``).
    downstream_access = models.CharField(max_length=20, choices=Access.choices, default=Access.NONE)
    downstream_company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    downstream_since = models.DateField(null=True, blank=True)
    action_seq = models.PositiveIntegerField(default=0)
    # What the status timeline asks for today (refreshed on every reconciliation), and an open transfer window.
    desired_access = models.CharField(max_length=20, choices=Desired.choices, blank=True)
    desired_since = models.DateField(null=True, blank=True)
    transfer_until = models.DateField(
        null=True, blank=True, help_text="Last day of an open transfer grace window (XT without a new hire)."
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "identity_key"],
                condition=~Q(identity_key=""),
                name="person_unique_identity",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or f"Person {self.pk}"


class Employee(TimeStampedModel):
    """One employee record at one provider company, with its current (derived) status."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="employees")
    employee_id = models.CharField(max_length=64)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="employees"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    work_email = models.CharField(max_length=254, blank=True)
    employment_type = models.CharField(max_length=40, blank=True)
    benefit_class = models.CharField(max_length=60, blank=True)
    pay_group = models.CharField(max_length=60, blank=True)
    hire_date = models.DateField(null=True, blank=True)
    rehire_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    # The status in force today (derived from the history; never edited directly).
    status_code = models.CharField(max_length=20, blank=True)
    status_type = models.CharField(
        max_length=20, choices=StatusType.choices, null=True, blank=True, help_text="Null while unmapped."
    )
    status_effective_date = models.DateField(null=True, blank=True)
    # The last mapped type in force: what the person's status and decisions use while a code is held.
    decision_status_type = models.CharField(max_length=20, choices=StatusType.choices, null=True, blank=True)
    decision_status_code = models.CharField(max_length=20, blank=True)
    held = models.BooleanField(default=False, help_text="Has an event with an unmapped code waiting.")
    needs_review = models.BooleanField(default=False, help_text="A fringe change (T->L, T->XT) to review.")
    in_scope = models.BooleanField(default=True)
    scope_reason = models.CharField(max_length=200, blank=True)
    identity_key = models.CharField(max_length=64, blank=True, db_index=True)
    national_id_last4 = models.CharField(max_length=4, blank=True)
    snapshot_hash = models.CharField(max_length=64, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    details_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "employee_id"], name="employee_unique_per_company"),
        ]
        indexes = [
            models.Index(fields=["person"]),
            models.Index(fields=["held"]),
            models.Index(fields=["work_email"]),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.company.external_id}/{self.employee_id} {name}".strip()


class StatusEvent(models.Model):
    """One observed status of one record: append-only history (never updated but for release/review)."""

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="status_events")
    code = models.CharField(max_length=20)
    status_type = models.CharField(max_length=20, choices=StatusType.choices, null=True, blank=True)
    effective_date = models.DateField()
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    cause = models.CharField(
        max_length=120, blank=True, help_text="What recorded it: sync run, webhook, file, user."
    )
    change_reason = models.CharField(max_length=200, blank=True)
    transition = models.CharField(max_length=30, blank=True)
    retroactive = models.BooleanField(default=False)
    held = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_date", "-recorded_at", "-pk"]
        indexes = [
            models.Index(fields=["employee", "effective_date"]),
            models.Index(fields=["held", "code"]),
            models.Index(fields=["effective_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} from {self.effective_date}"


class DownstreamTarget(TimeStampedModel):
    """Where and how a customer's downstream app hears about access decisions, and the customer's policy."""

    class LeavePolicy(models.TextChoices):
        SUSPEND = "suspend", "Suspend access during leave"
        KEEP = "keep", "Keep access during leave"

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="downstream_target")
    url = models.URLField(max_length=300, blank=True, help_text="Empty: actions stay pending for export.")
    signing_secret = EncryptedTextField(help_text="Standard Webhooks secret (whsec_...).")
    active = models.BooleanField(default=True)
    leave_policy = models.CharField(max_length=10, choices=LeavePolicy.choices, default=LeavePolicy.SUSPEND)
    transfer_grace_days = models.PositiveSmallIntegerField(default=7)
    mass_change_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Hold removals above this share of the customer's active persons for approval."
    )
    mass_change_min_persons = models.PositiveIntegerField(default=5)
    max_attempts = models.PositiveSmallIntegerField(default=8)

    class Meta:
        ordering = ["customer__name"]

    def __str__(self) -> str:
        return f"{self.customer} -> {self.url or '(export only)'}"


class ChangeBatch(TimeStampedModel):
    """One cause of changes (a sync run, a file, a mapping change, a webhook): the mass-change safeguard's unit.

    Removals (deprovision, suspend) written under an open batch are staged; when the batch closes they are
    released, or, above the customer's threshold, held for an admin's approval as one list.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RELEASED = "released", "Released"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="change_batches")
    cause = models.CharField(max_length=200)
    cause_type = models.CharField(max_length=20, choices=CauseType.choices, default=CauseType.MANUAL)
    cause_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN, db_index=True)
    active_persons_before = models.PositiveIntegerField(default=0)
    removals = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "change batches"

    def __str__(self) -> str:
        return f"{self.cause} ({self.get_state_display()})"


class DownstreamAction(TimeStampedModel):
    """The outbox: one access decision for one person, delivered at least once, idempotent by key."""

    class Action(models.TextChoices):
        PROVISION = "provision", "Provision"
        DEPROVISION = "deprovision", "Deprovision"
        SUSPEND = "suspend", "Suspend"
        RESTORE = "restore", "Restore"
        TRANSFER = "transfer", "Transfer"

    class State(models.TextChoices):
        STAGED = "staged", "Staged (its batch is still open)"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded (a later change made it moot before delivery)"
        CANCELLED = "cancelled", "Cancelled (the person left scope before delivery)"

    # States an action can still be withdrawn from: never attempted, so the downstream cannot have seen it.
    WITHDRAWABLE = ("staged", "awaiting_approval", "pending")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="downstream_actions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="downstream_actions")
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="downstream_actions"
    )
    batch = models.ForeignKey(
        ChangeBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    effective_date = models.DateField()
    key = models.CharField(max_length=120, unique=True)
    # The person's ledger position: 1, 2, 3 ... per person; unique, so two writers can never both write #n.
    seq = models.PositiveIntegerField(default=0)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Enacted in."
    )
    prior_access = models.CharField(max_length=20, choices=Access.choices, default=Access.NONE)
    prior_company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cause_type = models.CharField(max_length=20, choices=CauseType.choices, default=CauseType.MANUAL)
    cause_id = models.CharField(max_length=64, blank=True)
    events = models.ManyToManyField(
        StatusEvent, blank=True, related_name="downstream_actions", help_text="The events that drove it."
    )
    withdrawn_reason = models.CharField(max_length=200, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    status_code = models.CharField(max_length=20, blank=True)
    status_type = models.CharField(max_length=20, blank=True)
    cause = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["cause_type", "cause_id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "seq"], name="downstream_action_person_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.person} on {self.effective_date}"


class TransferWatch(TimeStampedModel):
    """A transfer out (XT) that left a person with no Active record: wait the grace window for the hire."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for the matching hire"
        MATCHED = "matched", "Matched by a hire"
        EXPIRED = "expired", "Expired: deprovisioned"
        CANCELLED = "cancelled", "Cancelled"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transfer_watches")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="transfer_watches")
    effective_date = models.DateField()
    expires_on = models.DateField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "transfer watches"
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(state="open"), name="transfer_watch_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} transfer from {self.effective_date} ({self.state})"


class FileImport(TimeStampedModel):
    """One standard employee file applied (command or admin upload): its outcome per line."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="file_imports")
    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, employee_id, reason}]")
    refused = models.TextField(blank=True, help_text="Why the whole file was refused, if it was.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.accepted}/{self.rows})"

"""Support desk: Level 1 tickets with their evidence, log and checklist; Level 2 escalations; knowledge base."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.companies.models import Company, Customer, Provider
from apps.core.models import TimeStampedModel


class Category(models.TextChoices):
    """Level 1 concern categories: seed 000's list first, then the ones this hub adds."""

    FEED_PULL = "feed_pull", "Incorrect data on feed: pull"
    FEED_PUSH = "feed_push", "Incorrect data on feed: push"
    RECORD_FILTERING = "record_filtering", "Employee record filtering"
    MULTIPLE_COMPANIES = "multiple_companies", "Multiple company IDs / transfers"
    EFFECTIVE_DATE = "effective_date", "Effective date vs start / begin check date"
    WEBHOOK = "webhook", "Webhook priority and filtration"
    MAPPING_NEEDED = "mapping_needed", "Mapping needed"
    PAYROLL_IMPORT = "payroll_import", "Payroll import"
    CONNECTION = "connection", "Connection / authentication"
    FAIR_USE = "fair_use", "Fair use"
    OTHER = "other", "Other"


class Level(models.IntegerChoices):
    LEVEL_1 = 1, "Level 1"
    LEVEL_2 = 2, "Level 2 (escalated to the provider)"


class State(models.TextChoices):
    NEW = "new", "New"
    TRIAGING = "triaging", "Triaging"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATES = (State.NEW, State.TRIAGING, State.WAITING_ON_CUSTOMER, State.ESCALATED)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Origin(models.TextChoices):
    AGENT = "agent", "Opened by an agent"
    AUTOMATIC = "automatic", "Opened by the system"


class Ticket(TimeStampedModel):
    """One Level 1 concern of a customer, with everything needed to work it and, if needed, escalate it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    companies = models.ManyToManyField(Company, blank=True, related_name="tickets")
    employees = models.ManyToManyField("employees.Employee", blank=True, related_name="tickets")
    connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="The provider connection concerned (its client ID goes, shortened, into an escalation).",
    )
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=40, choices=Category.choices, default=Category.OTHER)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.LEVEL_1)
    state = models.CharField(max_length=30, choices=State.choices, default=State.NEW, db_index=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"groups__name": "Support agents"},
    )
    # The internal contact who reported it. Kept for us; never copied into an escalation.
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(blank=True)
    expected_result = models.TextField(blank=True)
    actual_result = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.AGENT)
    automatic_key = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="For tickets the system opens: the problem's key (one open ticket per key).",
    )
    recurrences = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_recurrence_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["automatic_key"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]) & ~Q(automatic_key=""),
                name="ticket_one_open_per_automatic_key",
            ),
            models.CheckConstraint(
                condition=Q(origin="agent") | ~Q(automatic_key=""),
                name="ticket_automatic_has_key",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def age(self) -> dt.timedelta:
        """How long the ticket has been open (to its resolution if resolved)."""
        end = self.resolved_at if self.resolved_at and not self.is_open else timezone.now()
        return end - self.opened_at

    @property
    def last_seen_at(self) -> dt.datetime:
        """When the problem was last observed: the last recurrence, else the opening."""
        return self.last_recurrence_at or self.opened_at


class TicketLogEntry(TimeStampedModel):
    """One timestamped line of a ticket's troubleshooting log: what was done or observed, and by whom."""

    class Kind(models.TextChoices):
        NOTE = "note", "Troubleshooting note"
        STATE = "state", "State change"
        OPENED = "opened", "Opened"
        RECURRENCE = "recurrence", "Recurrence"
        REOPENED = "reopened", "Re-opened"
        AUTO_RESOLVED = "auto_resolved", "Resolved automatically"
        EVIDENCE = "evidence", "Evidence attached"
        DIAGNOSTICS = "diagnostics", "Diagnostics"
        ESCALATION = "escalation", "Escalation"
        FIXED = "fixed", "Fix reported"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="log_entries")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_log_entries",
        help_text="Who wrote it; empty when the system did.",
    )
    customer_troubleshooting = models.BooleanField(
        default=False, help_text="Troubleshooting the customer's team did (as opposed to ours)."
    )
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "ticket log entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"

    @property
    def by(self) -> str:
        return str(self.author) if self.author_id else "system"


class TicketEvidence(TimeStampedModel):
    """A link from a ticket to any record that shows the problem (API call, sync run, webhook, batch, ...)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="evidence")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    item = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=300, blank=True, help_text="What the record was when attached.")
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ticket evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "content_type", "object_id"], name="ticket_evidence_unique_item"
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.content_type.model} {self.object_id}"


class TicketChecklistItem(TimeStampedModel):
    """One troubleshooting step copied from the category's knowledge article, ticked by the agent."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="checklist_items")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "position", "id"]

    def __str__(self) -> str:
        return f"[{'x' if self.done else ' '}] {self.text}"


class Escalation(TimeStampedModel):
    """A Level 2 escalation e-mail sent to the provider: the generated draft and what was actually sent."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="escalations")
    to_address = models.EmailField()
    subject = models.CharField(max_length=300)
    draft_body = models.TextField(help_text="The body as generated from the ticket.")
    body = models.TextField(help_text="The body as sent (the agent may have edited the draft).")
    edited = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_escalations"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.sent_at:%Y-%m-%d})"


class KnowledgeArticle(TimeStampedModel):
    """A Level 1 article: how to troubleshoot one category, with the checklist tickets copy."""

    category = models.CharField(max_length=40, choices=Category.choices, db_index=True)
    title = models.CharField(max_length=300)
    body = models.TextField()
    checklist = models.JSONField(
        default=list, blank=True, help_text="Troubleshooting steps, in order (a list of short sentences)."
    )
    primary = models.BooleanField(
        default=False,
        help_text="The category's main article: its checklist is copied into new tickets of the category.",
    )
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "-primary", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(primary=True), name="knowledge_one_primary_per_category"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FragmentEnd(models.TextChoices):
    FIRST = "first", "First 7 characters"
    LAST = "last", "Last 7 characters"


class SupportSettings(TimeStampedModel):
    """The one row of support desk settings (names and addresses used in escalations).

    A row rather than code constants so that admins can correct an address without a deploy; its first values
    come from ``SUPPORT_*`` environment variables (see ``apps/support/conf.py``).
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    our_company_name = models.CharField(max_length=200, default="Payroll Integration Hub")
    client_id_fragment_end = models.CharField(
        max_length=5,
        choices=FragmentEnd.choices,
        default=FragmentEnd.FIRST,
        help_text="Which 7 characters of the API client ID an escalation shows.",
    )
    paylocity_short_name = models.CharField(max_length=40, default="PCTY")
    paylocity_support_email = models.EmailField(blank=True, default="webservices@paylocity.com")
    prismhr_short_name = models.CharField(max_length=40, default="PrismHR")
    prismhr_support_email = models.EmailField(blank=True)
    affinity_short_name = models.CharField(max_length=40, default="Affinity")
    affinity_support_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "support settings"
        verbose_name_plural = "support settings"

    def __str__(self) -> str:
        return "Support settings"

    def short_name(self, provider: str) -> str:
        return getattr(self, f"{provider}_short_name", "") or Provider(provider).label

    def support_email(self, provider: str) -> str:
        return getattr(self, f"{provider}_support_email", "")


class DiagnosticResult(TimeStampedModel):
    """What "check this employee now" found: the provider's record beside ours, and the context around it.

    Attached to a ticket as evidence. The provider record is stored minimised: no national ID (last four
    only) and no birth date, the same rule as everywhere else in the hub.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnostics"
    )
    employee = models.ForeignKey(
        "employees.Employee", on_delete=models.PROTECT, related_name="diagnostic_results"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    employee_external_id = models.CharField(max_length=64)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ok = models.BooleanField(default=True, help_text="False when the provider could not be asked.")
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Diagnostics {self.company.external_id}/{self.employee_external_id} at {self.created_at:%Y-%m-%d %H:%M}"

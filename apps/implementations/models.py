"""Implementation projects: a customer integration walked through its phases with a checklist of deliverables.

A project's checklist is copied from a ``ChecklistTemplate`` when the project is created, so that editing a
template later never changes a running project. Every owner role of a line is bound to a named team with
contacts per project (``Party``), which is what the roles-and-responsibilities page prints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel

from .phases import OWNER_ABBREVIATIONS, OwnerJoin, OwnerRole, Phase, owner_label


class IntegrationMethod(models.TextChoices):
    WEB_API = "web_api", "Web API"
    FILE_BASED = "file_based", "File-based transfer"


class EvidenceKind(models.TextChoices):
    """What the system can see for itself that a deliverable is done (see ``evidence.py``)."""

    CREDENTIALS_RECEIVED = "credentials_received", "Credentials received: the connection authenticated"
    WEBHOOKS_CONFIGURED = "webhooks_configured", "Webhooks configured: a verified webhook arrived"
    DATA_AUDIT_EXTRACT = "data_audit_extract", "Data audit: an employee extract was downloaded"
    CLEAN_TEST_SYNC = "clean_test_sync", "Testing: a full sync in testing state without failures"
    CLEAN_TEST_FILE = "clean_test_file", "Testing: a standard employee file applied without rejected rows"
    TESTING_VALIDATED = "testing_validated", "Testing and data validation: a clean test sync and an extract"
    CONNECTION_LIVE = "connection_live", "Move to production: the connection is live"
    PRODUCTION_MONITORED = (
        "production_monitored",
        "Production feed monitored: live, no open automatic tickets",
    )
    FAIR_USE = "fair_use", "Fair use: API volume under the threshold"


def _owner_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Two owners need a join word, one owner none; the second owner is never the first again."""
    return [
        models.CheckConstraint(
            condition=(Q(co_owner_role="") & Q(owner_join=""))
            | (~Q(co_owner_role="") & ~Q(owner_join="") & ~Q(co_owner_role=models.F("owner_role"))),
            name=f"{prefix}_co_owner_needs_join",
        ),
    ]


class OwnedLine(models.Model):
    """Abstract: a checklist line's phase, owners and responsibility (shared by template items and deliverables)."""

    phase = models.CharField(max_length=30, choices=Phase.choices, db_index=True)
    section = models.CharField(
        max_length=100,
        blank=True,
        help_text="An optional group inside the phase, e.g. 'Existing customer' or 'New customer'.",
    )
    order = models.PositiveIntegerField(default=0, help_text="Position in the checklist (lower first).")
    owner_role = models.CharField(max_length=30, choices=OwnerRole.choices)
    co_owner_role = models.CharField(
        max_length=30, choices=OwnerRole.choices, blank=True, help_text="A second owner, if the line has two."
    )
    owner_join = models.CharField(
        max_length=3,
        choices=OwnerJoin.choices,
        blank=True,
        help_text="With two owners: 'and' when both do it together, 'or' when either does it by agreement.",
    )
    responsibility = models.TextField()
    evidence_kind = models.CharField(
        max_length=30,
        choices=EvidenceKind.choices,
        blank=True,
        help_text="What the system can see for itself that this line is done (optional).",
    )

    class Meta:
        abstract = True

    @property
    def owner_roles(self) -> list[str]:
        return [role for role in (self.owner_role, self.co_owner_role) if role]

    @property
    def owner_key(self) -> str:
        """Return the owners as seed 001 writes them: "CIT", "CIT & TPA", "CIT or TPA"."""
        return owner_label(self.owner_roles, self.owner_join)


class ChecklistTemplate(TimeStampedModel):
    """A reusable checklist (seed 001's deliverables by phase, seed 003's steps); edited in the admin."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    integration_method = models.CharField(
        max_length=20,
        choices=IntegrationMethod.choices,
        blank=True,
        help_text="The method a project from this template uses; blank when the template fits either.",
    )
    active = models.BooleanField(default=True, help_text="Offered for new projects.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistTemplateItem(OwnedLine, TimeStampedModel):
    """One line of a template: in which phase, owned by whom, responsible for what."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ["template", "order", "id"]
        constraints = _owner_constraints("template_item")

    def __str__(self) -> str:
        return f"{self.get_phase_display()} / {self.owner_key}: {self.responsibility[:60]}"


class ImplementationProject(TimeStampedModel):
    """One customer integration going through Discovery to Ongoing Support."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        CLOSED = "closed", "Closed"

    customer = models.ForeignKey(
        "companies.Customer", on_delete=models.PROTECT, related_name="implementation_projects"
    )
    name = models.CharField(max_length=200)
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.PROTECT,
        related_name="projects",
        help_text="The checklist this project was created from (copied at creation).",
    )
    connections = models.ManyToManyField(
        "integrations.Connection",
        blank=True,
        related_name="implementation_projects",
        help_text="The provider connections this project brings live; evidence is read from them.",
    )
    integration_method = models.CharField(
        max_length=20, choices=IntegrationMethod.choices, default=IntegrationMethod.WEB_API
    )
    phase = models.CharField(max_length=30, choices=Phase.choices, default=Phase.DISCOVERY, db_index=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE, db_index=True)
    target_go_live = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["customer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="project_unique_name_per_customer"),
        ]
        permissions = [
            ("override_phase", "Can move a project to the next phase while deliverables are still open"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} / {self.name}"


class Party(TimeStampedModel):
    """The team filling one owner role on one project (e.g. the customer's HR systems team)."""

    project = models.ForeignKey(ImplementationProject, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=30, choices=OwnerRole.choices)
    team_name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True, help_text="e.g. the broker's company name.")

    class Meta:
        ordering = ["project", "role"]
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(fields=["project", "role"], name="party_unique_role_per_project"),
        ]

    def __str__(self) -> str:
        return f"{OWNER_ABBREVIATIONS.get(self.role, self.role)}: {self.team_name}"


class PartyContact(TimeStampedModel):
    """A person to reach for a party."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["party", "-primary", "name"]

    def __str__(self) -> str:
        return self.name


class Deliverable(OwnedLine, TimeStampedModel):
    """A project's own copy of a checklist line, ticked when done (by a person or by evidence)."""

    project = models.ForeignKey(ImplementationProject, on_delete=models.CASCADE, related_name="deliverables")
    template_item = models.ForeignKey(
        ChecklistTemplateItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliverables"
    )
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty on a done line means the system completed it from evidence.",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    evidence_satisfied = models.BooleanField(default=False)
    evidence_summary = models.TextField(blank=True)
    evidence_link = models.CharField(max_length=300, blank=True)
    evidence_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            *_owner_constraints("deliverable"),
            models.CheckConstraint(
                condition=(Q(done=True) & Q(done_at__isnull=False))
                | (Q(done=False) & Q(done_at__isnull=True) & Q(done_by__isnull=True)),
                name="deliverable_done_fields_agree",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} / {self.owner_key}: {self.responsibility[:60]}"


class DeliverableChange(TimeStampedModel):
    """History: a deliverable ticked, reopened or annotated, by a person or by the system."""

    class Action(models.TextChoices):
        COMPLETED = "completed", "Completed"
        REOPENED = "reopened", "Reopened"
        NOTED = "noted", "Notes changed"

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150, help_text="Who made the change: a username or 'system'.")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor}"


class PhaseChange(TimeStampedModel):
    """History: the project moved from one phase (or state) to another, who did it and why."""

    project = models.ForeignKey(ImplementationProject, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=30, choices=Phase.choices)
    to_phase = models.CharField(max_length=30, choices=Phase.choices)
    from_state = models.CharField(max_length=20, choices=ImplementationProject.State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ImplementationProject.State.choices, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    overridden = models.BooleanField(
        default=False, help_text="Moved on although deliverables of the phase were still open."
    )
    open_deliverables = models.JSONField(
        default=list, blank=True, help_text="The deliverables left open when the move was overridden."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden=False) | ~Q(reason=""), name="phase_change_override_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_from_phase_display()} -> {self.get_to_phase_display()}"


class ExtractDownload(TimeStampedModel):
    """Evidence: someone downloaded the project's data-audit extract (the customer audits its data from it)."""

    project = models.ForeignKey(
        ImplementationProject, on_delete=models.CASCADE, related_name="extract_downloads"
    )
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Extract of {self.row_count} employees by {self.actor}"

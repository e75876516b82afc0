"""Writes for implementation projects: create from a template, tick deliverables, move phases, record evidence.

Every change writes its history row in the same transaction: ``DeliverableChange`` for a deliverable,
``PhaseChange`` for the project's phase or state, ``ExtractDownload`` for an extract handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Customer
from apps.core.errors import ApplicationError, NotPermitted

from . import phases
from .evidence import evidence_for
from .models import (
    ChecklistTemplate,
    Deliverable,
    DeliverableChange,
    ExtractDownload,
    ImplementationProject,
    IntegrationMethod,
    Party,
    PartyContact,
    PhaseChange,
)
from .phases import Phase

OVERRIDE_PERMISSION = "implementations.override_phase"
SYSTEM = "system"


def _actor(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else SYSTEM


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


def _check_connections(customer: Customer, connections: Iterable) -> list:
    connections = list(connections)
    foreign = [c for c in connections if c.customer_id != customer.pk]
    if foreign:
        raise ApplicationError(
            f"Connection {foreign[0]} belongs to another customer.",
            extra={"field": "connections", "connections": [c.pk for c in foreign]},
        )
    return connections


@transaction.atomic
def project_create(
    *,
    customer: Customer,
    name: str,
    template: ChecklistTemplate,
    integration_method: str = "",
    connections: Iterable = (),
    target_go_live: date | None = None,
    sections: Sequence[str] | None = None,
    notes: str = "",
    acting_user=None,
) -> ImplementationProject:
    """Create a project in Discovery and copy the template's lines into its deliverables.

    The copy is exact (phase, section, order, owners, responsibility, evidence kind), so later edits of the
    template never change a running project. ``sections`` keeps only the named sections of the template
    (customer-engagement: "Existing customer" or "New customer"); None copies every line.
    """
    if not template.active:
        raise ApplicationError(f"Template {template.slug} is not offered for new projects.")
    items = list(template.items.all())
    if sections is not None:
        known = {item.section for item in items}
        unknown = sorted(set(sections) - known)
        if unknown:
            raise ApplicationError(
                f"Template {template.slug} has no section {', '.join(unknown)}.",
                extra={"field": "sections", "sections": sorted(s for s in known if s)},
            )
        items = [item for item in items if item.section in set(sections)]
    if ImplementationProject.objects.filter(customer=customer, name=name).exists():
        raise ApplicationError(f"{customer} already has a project named {name!r}.", extra={"field": "name"})
    project = ImplementationProject(
        customer=customer,
        name=name,
        template=template,
        integration_method=integration_method or template.integration_method or IntegrationMethod.WEB_API,
        target_go_live=target_go_live,
        notes=notes,
    )
    project.full_clean()
    project.save()
    project.connections.set(_check_connections(customer, connections))

    deliverables = [
        Deliverable(
            project=project,
            template_item=item,
            phase=item.phase,
            section=item.section,
            order=item.order,
            owner_role=item.owner_role,
            co_owner_role=item.co_owner_role,
            owner_join=item.owner_join,
            responsibility=item.responsibility,
            evidence_kind=item.evidence_kind,
        )
        for item in items
    ]
    for deliverable in deliverables:
        deliverable.full_clean()
        deliverable.save()  # one by one (a few dozen): each lands on the audit trail
    PhaseChange.objects.create(
        project=project,
        from_phase=project.phase,
        to_phase=project.phase,
        to_state=project.state,
        changed_by=_user_or_none(acting_user),
        actor=_actor(acting_user),
        reason=f"Created from template {template.slug} with {len(deliverables)} deliverables.",
    )
    return project


PROJECT_EDITABLE = ("name", "integration_method", "target_go_live", "notes")


@transaction.atomic
def project_update(*, project: ImplementationProject, connections=None, acting_user=None, **fields):
    """Change a project's descriptive fields; phase and state only move through their own services."""
    unknown = set(fields) - set(PROJECT_EDITABLE)
    if unknown:
        raise ApplicationError(f"These project fields cannot be set here: {', '.join(sorted(unknown))}.")
    changed = [name for name, value in fields.items() if getattr(project, name) != value]
    for name in changed:
        setattr(project, name, fields[name])
    if changed:
        project.full_clean()
        project.save(update_fields=[*changed, "updated_at"])
    if connections is not None:
        project.connections.set(_check_connections(project.customer, connections))
    return project


def _record(deliverable: Deliverable, action: str, acting_user, note: str = "") -> DeliverableChange:
    change = DeliverableChange(
        deliverable=deliverable,
        action=action,
        changed_by=_user_or_none(acting_user),
        actor=_actor(acting_user),
        note=note,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def deliverable_complete(
    *, deliverable: Deliverable, acting_user=None, note: str = "", now: datetime | None = None
) -> Deliverable:
    """Tick a deliverable as done by a person, or by the system from evidence when ``acting_user`` is None.

    Ticking a line that is already done changes nothing (a second click or a repeated evidence check).
    """
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.done:
        return deliverable
    deliverable.done = True
    deliverable.done_by = _user_or_none(acting_user)
    deliverable.done_at = now or timezone.now()
    deliverable.full_clean()
    deliverable.save(update_fields=["done", "done_by", "done_at", "updated_at"])
    _record(deliverable, DeliverableChange.Action.COMPLETED, acting_user, note)
    return deliverable


@transaction.atomic
def deliverable_reopen(*, deliverable: Deliverable, acting_user=None, note: str = "") -> Deliverable:
    """Untick a deliverable: it counts as open again for the phase rule."""
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if not deliverable.done:
        return deliverable
    deliverable.done = False
    deliverable.done_by = None
    deliverable.done_at = None
    deliverable.full_clean()
    deliverable.save(update_fields=["done", "done_by", "done_at", "updated_at"])
    _record(deliverable, DeliverableChange.Action.REOPENED, acting_user, note)
    return deliverable


@transaction.atomic
def deliverable_notes_set(*, deliverable: Deliverable, notes: str, acting_user=None) -> Deliverable:
    """Replace a deliverable's notes; the history keeps the new text."""
    if deliverable.notes == notes:
        return deliverable
    deliverable.notes = notes
    deliverable.full_clean()
    deliverable.save(update_fields=["notes", "updated_at"])
    _record(deliverable, DeliverableChange.Action.NOTED, acting_user, notes)
    return deliverable


@transaction.atomic
def deliverable_update(
    *, deliverable: Deliverable, done: bool | None = None, notes: str | None = None, acting_user=None
) -> Deliverable:
    """Apply what an interface sent for one deliverable: notes first, then the tick (each is history)."""
    if notes is not None:
        deliverable = deliverable_notes_set(deliverable=deliverable, notes=notes, acting_user=acting_user)
    if done is True:
        deliverable = deliverable_complete(deliverable=deliverable, acting_user=acting_user)
    elif done is False:
        deliverable = deliverable_reopen(deliverable=deliverable, acting_user=acting_user)
    return deliverable


def user_may_override(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(OVERRIDE_PERMISSION))


@transaction.atomic
def project_advance(
    *, project: ImplementationProject, acting_user=None, override_reason: str = ""
) -> PhaseChange:
    """Move a project to its next phase when every deliverable of the current phase is done.

    1. Only an active project moves, and not past Ongoing Support.
    2. Open deliverables in the phase refuse the move with their names, unless an admin (permission
       ``override_phase``) gives a reason: then it moves and the change records the override and what was open.
    """
    project = ImplementationProject.objects.select_for_update().get(pk=project.pk)
    if project.state != ImplementationProject.State.ACTIVE:
        raise ApplicationError(
            f"{project.name} is {project.get_state_display().lower()}; only an active project changes phase."
        )
    target = phases.next_phase(project.phase)
    if target is None:
        raise ApplicationError(f"{project.name} is already in its last phase, {project.get_phase_display()}.")
    override_reason = (override_reason or "").strip()
    open_rows = list(project.deliverables.filter(phase=project.phase, done=False))
    if open_rows and override_reason and not user_may_override(acting_user):
        raise NotPermitted("Only admins may move a project on while deliverables are still open.")
    allowed, overridden = phases.may_advance(
        open_count=len(open_rows),
        override_reason=override_reason,
        may_override=user_may_override(acting_user),
    )
    open_summary = [{"id": d.pk, "owner": d.owner_key, "responsibility": d.responsibility} for d in open_rows]
    if not allowed:
        listed = "; ".join(f"{d.owner_key}: {d.responsibility[:80]}" for d in open_rows)
        raise ApplicationError(
            f"{project.name} cannot move to {Phase(target).label}: {len(open_rows)} deliverable(s) of "
            f"{project.get_phase_display()} are still open: {listed}",
            extra={"open_deliverables": open_summary},
        )
    change = PhaseChange(
        project=project,
        from_phase=project.phase,
        to_phase=target,
        from_state=project.state,
        to_state=project.state,
        changed_by=_user_or_none(acting_user),
        actor=_actor(acting_user),
        reason=override_reason,
        overridden=overridden,
        open_deliverables=open_summary if overridden else [],
    )
    change.full_clean()
    project.phase = target
    project.full_clean()
    project.save(update_fields=["phase", "updated_at"])
    change.save()
    return change


@transaction.atomic
def project_state_set(
    *, project: ImplementationProject, state: str, reason: str, acting_user=None
) -> PhaseChange:
    """Put a project on hold, close it or make it active again; the reason is required and kept."""
    if state not in ImplementationProject.State.values:
        raise ApplicationError(f"Unknown project state {state!r}.", extra={"field": "state"})
    if not (reason or "").strip():
        raise ApplicationError("Say why the project's state changes.", extra={"field": "reason"})
    project = ImplementationProject.objects.select_for_update().get(pk=project.pk)
    if project.state == state:
        raise ApplicationError(f"{project.name} is already {project.get_state_display().lower()}.")
    change = PhaseChange(
        project=project,
        from_phase=project.phase,
        to_phase=project.phase,
        from_state=project.state,
        to_state=state,
        changed_by=_user_or_none(acting_user),
        actor=_actor(acting_user),
        reason=reason.strip(),
    )
    change.full_clean()
    project.state = state
    project.full_clean()
    project.save(update_fields=["state", "updated_at"])
    change.save()
    return change


@transaction.atomic
def party_set(
    *,
    project: ImplementationProject,
    role: str,
    team_name: str,
    organisation: str = "",
    party: Party | None = None,
    acting_user=None,
) -> Party:
    """Name the team that fills an owner role on a project.

    With ``party``, that party is updated (its role may change; one party per role and project). Without
    it, the role's party is created or renamed.
    """
    if party is None:
        party = Party.objects.filter(project=project, role=role).first() or Party(project=project)
    party.project = project
    party.role = role
    party.team_name = team_name
    party.organisation = organisation
    party.full_clean()
    party.save()
    return party


@transaction.atomic
def party_delete(*, party: Party, acting_user=None) -> None:
    party.delete()


@transaction.atomic
def party_contact_set(
    *,
    party: Party,
    name: str,
    email: str = "",
    phone: str = "",
    title: str = "",
    primary: bool = False,
    contact: PartyContact | None = None,
    acting_user=None,
) -> PartyContact:
    """Add a contact to a party, or update ``contact``; at most one contact of a party is primary."""
    contact = contact or PartyContact(party=party)
    contact.party = party
    contact.name, contact.email, contact.phone, contact.title, contact.primary = (
        name,
        email,
        phone,
        title,
        primary,
    )
    contact.full_clean()
    contact.save()
    if primary:
        party.contacts.exclude(pk=contact.pk).filter(primary=True).update(primary=False)
    return contact


@transaction.atomic
def party_contact_delete(*, contact: PartyContact, acting_user=None) -> None:
    contact.delete()


@transaction.atomic
def extract_download_record(
    *, project: ImplementationProject, row_count: int, acting_user=None
) -> ExtractDownload:
    """Record that the data-audit extract was handed out, then let the evidence tick what it proves."""
    download = ExtractDownload(
        project=project,
        downloaded_by=_user_or_none(acting_user),
        actor=_actor(acting_user),
        row_count=row_count,
    )
    download.full_clean()
    download.save()
    deliverables_refresh_evidence(project=project)
    return download


EVIDENCE_FIELDS = ("evidence_satisfied", "evidence_summary", "evidence_link", "evidence_checked_at")


def _all_but(model, fields: Sequence[str]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name not in fields]


@transaction.atomic
def deliverables_refresh_evidence(
    *, project: ImplementationProject, now: datetime | None = None
) -> list[Deliverable]:
    """Check every deliverable that has an evidence kind; complete the open ones whose evidence holds.

    The evidence summary and link are stored on every checked line (satisfied or not) so that the checklist
    shows what the system sees. A completion by evidence has no ``done_by``; its history names "system".
    Evidence never reopens a line: a person decides that.
    """
    now = now or timezone.now()
    completed = []
    results: dict[str, object] = {}
    for deliverable in project.deliverables.exclude(evidence_kind="").order_by("order", "id"):
        kind = deliverable.evidence_kind
        if kind not in results:
            results[kind] = evidence_for(project, kind, now=now)
        evidence = results[kind]
        deliverable.evidence_satisfied = evidence.satisfied
        deliverable.evidence_summary = evidence.summary
        deliverable.evidence_link = evidence.link
        deliverable.evidence_checked_at = now
        # Only the evidence fields changed: validate those, not the relations and constraints again.
        deliverable.full_clean(exclude=_all_but(Deliverable, EVIDENCE_FIELDS), validate_constraints=False)
        deliverable.save(update_fields=[*EVIDENCE_FIELDS, "updated_at"])
        if evidence.satisfied and not deliverable.done:
            completed.append(
                deliverable_complete(
                    deliverable=deliverable, acting_user=None, note=evidence.summary, now=now
                )
            )
    return completed

"""Reads for implementation projects, scoped to the user, with their joins done."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from apps.companies.selectors import scope_to_user
from apps.employees.models import Employee, StatusEvent

from .models import Deliverable, ImplementationProject, Party
from .phases import PHASE_ORDER, Phase, owner_label


def _progress_key(phase: str, what: str) -> str:
    return f"progress_{phase}_{what}"


def with_progress(queryset: QuerySet[ImplementationProject]) -> QuerySet[ImplementationProject]:
    """Annotate done / total deliverables per phase (one query, whatever the number of projects)."""
    annotations = {}
    for phase in PHASE_ORDER:
        annotations[_progress_key(phase, "total")] = Count(
            "deliverables", filter=Q(deliverables__phase=phase)
        )
        annotations[_progress_key(phase, "done")] = Count(
            "deliverables", filter=Q(deliverables__phase=phase, deliverables__done=True)
        )
    return queryset.annotate(**annotations)


def progress_of(project: ImplementationProject) -> list[dict]:
    """Return [{phase, label, done, total}] in phase order from ``with_progress`` annotations (or a query)."""
    if not hasattr(project, _progress_key(PHASE_ORDER[0], "total")):
        project = with_progress(ImplementationProject.objects.filter(pk=project.pk)).get()
    return [
        {
            "phase": phase,
            "label": Phase(phase).label,
            "done": getattr(project, _progress_key(phase, "done")),
            "total": getattr(project, _progress_key(phase, "total")),
        }
        for phase in PHASE_ORDER
    ]


def projects_for(user) -> QuerySet[ImplementationProject]:
    """Projects of the customers the user may see, with customer, template, connections and progress."""
    queryset = ImplementationProject.objects.select_related("customer", "template").prefetch_related(
        "connections"
    )
    return with_progress(scope_to_user(queryset, user)).order_by("customer__name", "name", "id")


def project_visible(user, pk) -> ImplementationProject:
    """Return one project of a customer the user may see (DoesNotExist otherwise), without annotations."""
    return scope_to_user(ImplementationProject.objects.select_related("customer"), user).get(pk=pk)


def deliverables_of(project: ImplementationProject) -> QuerySet[Deliverable]:
    """The checklist of a project (already checked to be visible), in phase order, with who ticked each line."""
    return (
        Deliverable.objects.filter(project=project).select_related("done_by").order_by(*deliverable_order())
    )


def deliverable_order() -> list:
    """Order deliverables by the project's life (Discovery first), then by their place in the checklist."""
    rank = Case(
        *(When(phase=phase, then=Value(index)) for index, phase in enumerate(PHASE_ORDER)),
        output_field=IntegerField(),
    )
    return [rank, "order", "id"]


def parties_by_role(project: ImplementationProject) -> dict[str, Party]:
    """Return the project's parties keyed by owner role, with their contacts (two queries)."""
    parties = Party.objects.filter(project=project).prefetch_related("contacts")
    return {party.role: party for party in parties}


@dataclass
class RoleLine:
    deliverable: Deliverable
    owners: list[dict] = field(default_factory=list)
    owner_text: str = ""


@dataclass
class RolePhase:
    phase: str
    label: str
    current: bool
    done: int
    total: int
    lines: list[RoleLine] = field(default_factory=list)


def roles_and_responsibilities(project: ImplementationProject) -> list[RolePhase]:
    """Return the project's checklist by phase with each line's owners resolved to teams and contacts.

    Seed 001 asks to replace every owner role with the team and contacts responsible on the project; a role
    not yet bound to a team shows as such.
    """
    parties = parties_by_role(project)
    names = {role: party.team_name for role, party in parties.items()}
    rows = list(
        Deliverable.objects.filter(project=project).select_related("done_by").order_by(*deliverable_order())
    )
    result = []
    for phase in PHASE_ORDER:
        lines = []
        for deliverable in (row for row in rows if row.phase == phase):
            owners = []
            for role in deliverable.owner_roles:
                party = parties.get(role)
                owners.append(
                    {
                        "role": role,
                        "role_label": dict(deliverable._meta.get_field("owner_role").choices)[role],
                        "team": party.team_name if party else "",
                        "organisation": party.organisation if party else "",
                        "contacts": list(party.contacts.all()) if party else [],
                    }
                )
            lines.append(
                RoleLine(
                    deliverable=deliverable,
                    owners=owners,
                    owner_text=owner_label(deliverable.owner_roles, deliverable.owner_join, names=names),
                )
            )
        result.append(
            RolePhase(
                phase=phase,
                label=Phase(phase).label,
                current=project.phase == phase,
                done=sum(1 for line in lines if line.deliverable.done),
                total=len(lines),
                lines=lines,
            )
        )
    return result


# The standard employee file (INTERFACE.md) without national_id and birth_date: an extract never carries them.
EXTRACT_COLUMNS = (
    "company_id",
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "employment_type",
    "benefit_class",
    "pay_group",
    "status_code",
    "status_effective_date",
    "change_reason",
    "hire_date",
    "termination_date",
)


def extract_employees(project: ImplementationProject):
    """The customer's employees for the data-audit extract, with the reason of their current status (one query)."""
    reason = (
        StatusEvent.objects.filter(
            employee=OuterRef("pk"),
            code=OuterRef("status_code"),
            effective_date=OuterRef("status_effective_date"),
        )
        .order_by("-recorded_at", "-pk")
        .values("change_reason")[:1]
    )
    return (
        Employee.objects.filter(company__company_set__customer_id=project.customer_id)
        .annotate(current_change_reason=Subquery(reason))
        .order_by("company__external_id", "employee_id")
        .values_list(
            "company__external_id",
            "employee_id",
            "first_name",
            "last_name",
            "work_email",
            "employment_type",
            "benefit_class",
            "pay_group",
            "status_code",
            "status_effective_date",
            "current_change_reason",
            "hire_date",
            "termination_date",
        )
    )


def extract_rows(project: ImplementationProject, *, chunk_size: int = 2000) -> Iterator[list[str]]:
    """Yield the extract's header, then one row per employee, streamed from one query."""
    yield list(EXTRACT_COLUMNS)
    for row in extract_employees(project).iterator(chunk_size=chunk_size):
        yield [
            "" if value is None else value.isoformat() if hasattr(value, "isoformat") else value
            for value in row
        ]


BOARD_LIMIT = 200


# --- implementations -----------------------------------------------------------------------------------


@dataclass
class BoardCard:
    project: ImplementationProject
    phase_done: int
    phase_total: int
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def implementation_board(user, *, limit: int = BOARD_LIMIT) -> list[dict[str, Any]]:
    """One column per phase, a card per open project with its progress (one query)."""
    projects = with_progress(
        scope_to_user(
            ImplementationProject.objects.exclude(state=ImplementationProject.State.CLOSED).select_related(
                "customer"
            ),
            user,
        )
    ).order_by("customer__name", "name", "pk")[:limit]
    columns = {phase: {"phase": phase, "label": Phase(phase).label, "cards": []} for phase in PHASE_ORDER}
    for project in projects:
        done = sum(getattr(project, f"progress_{phase}_done") for phase in PHASE_ORDER)
        total = sum(getattr(project, f"progress_{phase}_total") for phase in PHASE_ORDER)
        columns[project.phase]["cards"].append(
            BoardCard(
                project=project,
                phase_done=getattr(project, f"progress_{project.phase}_done"),
                phase_total=getattr(project, f"progress_{project.phase}_total"),
                done=done,
                total=total,
            )
        )
    return list(columns.values())

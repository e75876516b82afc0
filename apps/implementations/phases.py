"""Pure rules of an implementation project: phase order, who may move a phase, how owners read.

No database here: the services call these and the tests check them by tables and hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import models


class Phase(models.TextChoices):
    """The stages every integration project goes through, in this order (seed 001)."""

    DISCOVERY = "discovery", "Discovery"
    IMPLEMENTATION = "implementation", "Implementation"
    TESTING = "testing", "Testing"
    MOVE_TO_PRODUCTION = "move_to_production", "Move to Production"
    ONGOING_SUPPORT = "ongoing_support", "Ongoing Support"


PHASE_ORDER: tuple[str, ...] = tuple(Phase.values)


class OwnerRole(models.TextChoices):
    """Who owns a line of the checklist (seed 001's key); each is bound to a named team per project."""

    CUSTOMER_INTEGRATION_TEAM = "customer_integration_team", "Customer integration team"
    THIRD_PARTY = "third_party", "Third-party associate"
    PROVIDER = "provider", "Provider"


OWNER_ABBREVIATIONS: dict[str, str] = {
    OwnerRole.CUSTOMER_INTEGRATION_TEAM: "CIT",
    OwnerRole.THIRD_PARTY: "TPA",
    OwnerRole.PROVIDER: "Provider",
}


class OwnerJoin(models.TextChoices):
    """How two owners share a line: both together ("and"), or either one by mutual agreement ("or")."""

    AND = "and", "and (both together)"
    OR = "or", "or (either, by agreement)"


def phase_index(phase: str) -> int:
    """Return the position of a phase in the project's life (0 = Discovery)."""
    try:
        return PHASE_ORDER.index(phase)
    except ValueError as exc:
        raise ValueError(f"Unknown phase {phase!r}.") from exc


def next_phase(phase: str) -> str | None:
    """Return the phase after ``phase``, or None when it is the last one."""
    index = phase_index(phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def open_items(items: Iterable[tuple[str, bool]], phase: str) -> list[int]:
    """Return the positions of items of ``phase`` that are not done; ``items`` are (phase, done) pairs."""
    return [i for i, (item_phase, done) in enumerate(items) if item_phase == phase and not done]


def may_advance(*, open_count: int, override_reason: str, may_override: bool) -> tuple[bool, bool]:
    """Decide whether a phase may move on: return (allowed, overridden).

    1. Nothing open: allowed, not an override (a reason given anyway is only recorded).
    2. Something open and a non-blank reason from someone who may override: allowed, overridden.
    3. Otherwise refused.
    """
    if open_count == 0:
        return True, False
    if override_reason.strip() and may_override:
        return True, True
    return False, False


def owner_label(roles: Sequence[str], join: str, *, names: dict[str, str] | None = None) -> str:
    """Return how a line's owners read, e.g. "CIT or TPA"; ``names`` replaces roles by team names."""
    labels = [(names or {}).get(role) or OWNER_ABBREVIATIONS.get(role, role) for role in roles if role]
    if len(labels) <= 1:
        return labels[0] if labels else ""
    word = " or " if join == OwnerJoin.OR else " & "
    return word.join(labels)

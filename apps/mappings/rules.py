"""Pure rules for code resolution and scope filters (no Django imports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .codes import STANDARD_CODES, StatusType


@dataclass(frozen=True, slots=True)
class MappingTable:
    """The custom-code mappings of one company set: set-wide, and per-company overrides."""

    by_set: Mapping[str, StatusType]
    by_company: Mapping[tuple[int, str], StatusType]

    def resolve(self, code: str, company_id: int) -> StatusType | None:
        """Return the code's status type for a company: standard code, company override, set mapping, else None."""
        standard = STANDARD_CODES.get(code)
        if standard is not None:
            return standard[1]
        override = self.by_company.get((company_id, code))
        if override is not None:
            return override
        return self.by_set.get(code)


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    field: str
    operator: str  # "in" | "not_in"
    values: frozenset[str]
    include: bool

    def matches(self, value: str | None) -> bool:
        hit = (value or "") in self.values
        return hit if self.operator == "in" else not hit


def scope(record: Mapping[str, str | None], rules: Iterable[Rule]) -> tuple[bool, Rule | None]:
    """Decide whether a record is in scope, and which rule decided it (None: no rule applied).

    1. Any exclude rule that matches puts the record out of scope.
    2. Every include rule must match, else the first that does not puts it out of scope.
    3. Otherwise it is in scope.
    """
    rules = list(rules)
    for rule in rules:
        if not rule.include and rule.matches(record.get(rule.field)):
            return False, rule
    for rule in rules:
        if rule.include and not rule.matches(record.get(rule.field)):
            return False, rule
    return True, None

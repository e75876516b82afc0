"""Seed 002's status codes and types (pure: no Django imports).

Six standard codes (A, T, D, R, L, XT) with fixed types; any other code is custom and needs a mapping to one of
the three types before its events count (see ``rules.MappingTable``).
"""

from __future__ import annotations

from enum import StrEnum


class StatusType(StrEnum):
    ACTIVE = "active"
    LEAVE = "leave"
    TERMINATED = "terminated"


# Seed 002's standard codes: code -> (description, type).
STANDARD_CODES: dict[str, tuple[str, StatusType]] = {
    "A": ("Active", StatusType.ACTIVE),
    "T": ("Terminated", StatusType.TERMINATED),
    "D": ("Deceased", StatusType.TERMINATED),
    "R": ("Retired", StatusType.TERMINATED),
    "L": ("Leave of Absence", StatusType.LEAVE),
    "XT": ("Transferred", StatusType.TERMINATED),
}
TRANSFER_CODE = "XT"

"""The problem bus: how any app reports a problem (or its fix) without importing the app that acts on it.

Lower apps (employees, integrations, payroll, ...) notice problems: a status code with no mapping, a provider
refusing our credentials, a webhook that could not be processed. The support app turns them into automatic
tickets, but a lower app must not import support (see docs/architecture.md, the layers). So a producer calls
``report(Problem(...))`` and support subscribes in its ``AppConfig.ready()``.

Delivery rules:
- After commit: a problem reported inside a transaction is delivered once that transaction commits, so a
  rollback never leaves a ticket about something that did not happen. Outside a transaction it is delivered at
  once.
- Robust: a subscriber that raises is logged with the problem's key; it never fails the sync, webhook or file
  that noticed the problem.
- ``report_fixed(Fixed(...))`` is the other direction: the thing that was wrong has been put right (the code is
  mapped, the connection authenticates again, the dead event was replayed). Subscribers log it on the open
  ticket and resolve the ticket when nothing is left.

``kind`` names an entry of the subscriber's catalogue (support's ``ticket_texts``): the title, category and
priority live there, once; producers send facts, never wording.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """Something the hub noticed by itself that a person has to look at."""

    kind: str  # catalogue entry, e.g. "unmapped-code"
    key: str  # one open ticket per key, e.g. "unmapped-code:3:S"
    customer: Any
    facts: Mapping[str, Any] = field(default_factory=dict)  # words the catalogue's title/texts are built from
    detail: str = ""  # what happened, for the ticket's actual result
    companies: tuple = ()
    employees: tuple = ()
    evidence: tuple = ()
    connection: Any = None
    at: Any = None  # when it was noticed (a datetime; None: when delivered), for checks that run "as of"


@dataclass(frozen=True)
class Fixed:
    """What was reported under ``key`` (or, with ``prefix=True``, every key starting with it) was put right."""

    key: str
    what: str  # one line for the ticket's log, e.g. "Code S mapped to Suspended"
    acting_user: Any = None
    prefix: bool = False
    resolve: bool = True  # False: log only (something is still left to do)


ProblemHandler = Callable[[Problem], Any]
FixedHandler = Callable[[Fixed], Any]

_problem_handlers: list[ProblemHandler] = []
_fixed_handlers: list[FixedHandler] = []


def subscribe(*, on_problem: ProblemHandler | None = None, on_fixed: FixedHandler | None = None) -> None:
    """Register handlers (idempotent: the same function is registered once, however often ready() runs)."""
    if on_problem is not None and on_problem not in _problem_handlers:
        _problem_handlers.append(on_problem)
    if on_fixed is not None and on_fixed not in _fixed_handlers:
        _fixed_handlers.append(on_fixed)


def _deliver(handlers: list, message: Problem | Fixed) -> None:
    for handler in list(handlers):
        try:
            handler(message)
        except Exception:  # a ticket that cannot be written must never fail the producer
            logger.exception(
                "problem bus: %s could not handle %s", getattr(handler, "__name__", handler), message.key
            )


def report(problem: Problem) -> None:
    """Deliver ``problem`` to every subscriber once the current transaction commits."""
    if not problem.kind or not problem.key:
        raise ValueError("A problem needs a kind and a key.")
    transaction.on_commit(lambda: _deliver(_problem_handlers, problem), robust=True)


def report_fixed(fixed: Fixed) -> None:
    """Deliver ``fixed`` to every subscriber once the current transaction commits."""
    if not fixed.key:
        raise ValueError("A fix needs the key of what it fixed.")
    transaction.on_commit(lambda: _deliver(_fixed_handlers, fixed), robust=True)

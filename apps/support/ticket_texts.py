"""The catalogue of automatic tickets: one entry per problem ``kind`` reported on the problem bus.

Producers (employees, integrations, payroll, support's own checks) send facts through
``apps.core.problems.report(Problem(kind=..., key=..., facts={...}))``; the wording, category and priority
live here, once. ``support.automatic.problem_ticket`` turns a Problem into ``ticket_raise_automatic``.

Rules for the texts:
- Titles name the connection (its slug), the status code, the batch or the company's provider ID, never the
  customer's or a company set's name (issue 14: automatic titles carry no customer names; they are also the
  subject of a Level 2 escalation).
- ``key`` is the format the producer's key must have (one open ticket per key); ``key_for`` builds it from
  the facts and the subscriber uses it, so a producer that spells its key differently is logged, not obeyed.
- ``fixed_by`` says, for the docs and the ticket page, what puts the problem right (``report_fixed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .models import Category, Priority


@dataclass(frozen=True)
class TicketText:
    kind: str
    key: str  # format over the facts, e.g. "mapping-needed:{company_set_id}:{code}"
    title: str  # format over the facts
    category: str
    priority: str
    expected: str  # format over the facts: the ticket's expected result
    fixed_by: str  # who or what resolves it (docs/tickets.md, the ticket page)

    def key_for(self, facts: Mapping[str, Any]) -> str:
        return self.key.format(**facts)

    def title_for(self, facts: Mapping[str, Any]) -> str:
        return self.title.format(**facts)[:300]

    def expected_for(self, facts: Mapping[str, Any]) -> str:
        return self.expected.format(**facts)


CATALOGUE: dict[str, TicketText] = {
    entry.kind: entry
    for entry in (
        TicketText(
            kind="mapping-needed",
            key="mapping-needed:{company_set_id}:{code}",
            title="Status code {code} needs a mapping (company set {company_set_id}: {companies})",
            category=Category.MAPPING_NEEDED,
            priority=Priority.HIGH,
            expected="Every status code of the company set is mapped to Active, Leave or Terminated.",
            fixed_by="Mapping the code (status_mapping_set); resolves when no event with the code is held.",
        ),
        TicketText(
            kind="mass-change",
            key="mass-change:{batch_id}",
            title="{removals} removals held for approval (change batch {batch_id})",
            category=Category.OTHER,
            priority=Priority.URGENT,
            expected="Deprovisions and suspensions stay below the customer's mass-change threshold.",
            fixed_by="Approving or rejecting the batch (change_batch_decide).",
        ),
        TicketText(
            kind="action-dead",
            key="action-dead:{customer_id}",
            title="Downstream deliveries are failing",
            category=Category.OTHER,
            priority=Priority.HIGH,
            expected="The customer's downstream app accepts every access decision.",
            fixed_by="Auto-resolve after a quiet day; re-opens when another action dies.",
        ),
        TicketText(
            kind="connection-auth",
            key="connection-auth:{connection_id}",
            title="Connection {slug} fails authentication",
            category=Category.CONNECTION,
            priority=Priority.HIGH,
            expected="The provider accepts the connection's credentials.",
            fixed_by="The next successful authentication (connection_auth_succeeded).",
        ),
        TicketText(
            kind="circuit-open",
            key="circuit-open:{connection_id}",
            title="Calls to connection {slug} are paused (circuit open)",
            category=Category.CONNECTION,
            priority=Priority.HIGH,
            expected="Provider requests succeed and the circuit stays closed.",
            fixed_by="The circuit closing again after a successful probe.",
        ),
        TicketText(
            kind="webhook-dead",
            key="webhook-dead:{connection_id}",
            title="Webhook events of connection {slug} could not be processed",
            category=Category.WEBHOOK,
            priority=Priority.NORMAL,
            expected="Every verified webhook event is processed; dead events can be replayed.",
            fixed_by="Replaying the dead events (webhook_event_replay); resolves when none is dead any more.",
        ),
        TicketText(
            kind="webhook-mismatch",
            key="webhook-mismatch:{company_id}:{employee_id}",
            title="Webhook for employee {employee_id} of company {company_external_id} disagreed with the GET",
            category=Category.WEBHOOK,
            priority=Priority.NORMAL,
            expected="The webhook and the employee GET describe the same change.",
            fixed_by="Auto-resolve after a quiet day (the GET already won).",
        ),
        TicketText(
            kind="fair-use",
            key="fair-use:{connection_id}",
            title="Connection {slug}: {calls} API calls this {window}, over the fair-use threshold of {threshold}",
            category=Category.FAIR_USE,
            priority=Priority.NORMAL,
            expected="At most {threshold} calls per {window}.",
            fixed_by="Auto-resolve after a quiet day; re-opens with the next crossing.",
        ),
        TicketText(
            kind="payroll-import",
            key="payroll-import:{company_id}:{batch_reference}",
            title="Payroll batch {batch_reference} of company {company_external_id} failed to import",
            category=Category.PAYROLL_IMPORT,
            priority=Priority.NORMAL,
            expected="The batch imports with its vouchers, pay groups and employee counts.",
            fixed_by="Auto-resolve after a quiet day; a replayed record that fails again re-opens it.",
        ),
        TicketText(
            kind="payroll-import-message",
            key="payroll-import:{company_id}:{batch_reference}",
            title=(
                "Payroll batch {batch_reference} of company {company_external_id} completed with a message, "
                "not imported"
            ),
            category=Category.PAYROLL_IMPORT,
            priority=Priority.NORMAL,
            expected="The batch imports with its vouchers, pay groups and employee counts.",
            fixed_by="Auto-resolve after a quiet day; seed 004's completion messages are not failures.",
        ),
        TicketText(
            kind="secret-expiring",
            key="secret-expiring:{connection_id}:{expires_on}",
            title="Client secret of connection {slug} expires on {expires_on}",
            category=Category.CONNECTION,
            priority=Priority.HIGH,
            expected="A renewed client secret is stored before the current one expires.",
            fixed_by="Storing a renewed secret; auto-resolve skips it while the secret still expires soon.",
        ),
    )
}


def entry_for(kind: str) -> TicketText:
    """The catalogue entry of ``kind``; an unknown kind is an error naming it."""
    try:
        return CATALOGUE[kind]
    except KeyError:
        raise KeyError(f"No automatic ticket is catalogued for problem kind {kind!r}.") from None

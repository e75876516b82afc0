"""Writes of the support desk, one module per part of the domain, all importable from here.

tickets (agent tickets, log, evidence, checklist), automatic (the problem bus's tickets and fixes),
diagnosis (check an employee now), escalations (Level 2, support settings), knowledge (articles).
"""

from __future__ import annotations

from .automatic import (
    AUTO_RESOLVABLE_STATES,
    AUTO_RESOLVE_AFTER,
    SECRET_EXPIRY_WARNING,
    connections_secret_expiry_check,
    fixed_ticket,
    problem_ticket,
    ticket_fixed,
    ticket_raise_automatic,
    tickets_auto_resolve,
    what_is_left,
)
from .diagnosis import (
    employee_diagnose,
)
from .escalations import (
    escalation_send,
    support_settings_load,
    support_settings_update,
)
from .knowledge import (
    knowledge_article_create,
    knowledge_article_update,
)
from .tickets import (
    TICKET_EDITABLE_FIELDS,
    record_customer_id,
    ticket_assign,
    ticket_checklist_tick,
    ticket_create,
    ticket_evidence_attach,
    ticket_log_add,
    ticket_state_set,
    ticket_update,
)

__all__ = [
    "AUTO_RESOLVABLE_STATES",
    "AUTO_RESOLVE_AFTER",
    "SECRET_EXPIRY_WARNING",
    "TICKET_EDITABLE_FIELDS",
    "connections_secret_expiry_check",
    "employee_diagnose",
    "escalation_send",
    "fixed_ticket",
    "knowledge_article_create",
    "knowledge_article_update",
    "problem_ticket",
    "record_customer_id",
    "support_settings_load",
    "support_settings_update",
    "ticket_assign",
    "ticket_checklist_tick",
    "ticket_create",
    "ticket_evidence_attach",
    "ticket_fixed",
    "ticket_log_add",
    "ticket_raise_automatic",
    "ticket_state_set",
    "ticket_update",
    "tickets_auto_resolve",
    "what_is_left",
]

"""Level 2 escalations and the support settings they are addressed and worded from."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError

from ..conf import support_settings_load
from ..escalation import ADDED_PII_MESSAGE, escalation_body_check, escalation_draft_build, refusal_message
from ..models import (
    Escalation,
    Level,
    State,
    SupportSettings,
    Ticket,
    TicketLogEntry,
)
from ..selectors import escalation_input_for, escalation_refusal_for
from .tickets import _log

logger = logging.getLogger(__name__)

# --- escalation ----------------------------------------------------------------------------------------


@transaction.atomic
def escalation_send(*, ticket: Ticket, acting_user, body: str | None = None) -> Escalation:
    """Send the Level 2 escalation e-mail, record who sent what and when, and move the ticket to Level 2.

    A ticket about the hub's own configuration (``escalation_refusal``) is refused with the reason. What
    the agent added to the draft is checked for personal data and refused, naming each finding and where.
    The mail is sent inside the transaction, last: if the mail server refuses it, nothing is recorded as sent.
    """
    if acting_user is None:
        raise ApplicationError("An escalation is sent by a person.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.state in (State.RESOLVED, State.CLOSED):
        raise ApplicationError("Re-open the ticket before escalating it.")
    refusal = escalation_refusal_for(ticket)
    if refusal:
        raise ApplicationError(refusal_message(refusal), extra={"field": "category"})
    data = escalation_input_for(ticket, extra_texts=(body,) if body else ())
    draft = escalation_draft_build(data)
    if not draft.to:
        raise ApplicationError(
            f"No Level 2 support address is set for {data.provider_name}; set it in Support settings.",
            extra={"field": "to"},
        )
    edited = (
        body is not None and body.strip() != "" and body.replace("\r\n", "\n").strip() != draft.body.strip()
    )
    final_body = body.replace("\r\n", "\n") if edited else draft.body
    if edited:
        findings = escalation_body_check(final_body, data, draft)
        if findings:
            raise ApplicationError(
                f"{ADDED_PII_MESSAGE}: " + "; ".join(f.describe() for f in findings),
                extra={
                    "findings": [
                        {"kind": f.kind, "text": f.text, "line": f.line, "excerpt": f.excerpt}
                        for f in findings
                    ]
                },
            )
    now = timezone.now()
    escalation = Escalation(
        ticket=ticket,
        to_address=draft.to,
        subject=draft.subject,
        draft_body=draft.body,
        body=final_body,
        edited=edited,
        sent_by=acting_user,
        sent_at=now,
    )
    escalation.full_clean()
    escalation.save()
    old = ticket.get_state_display()
    ticket.level = Level.LEVEL_2
    ticket.state = State.ESCALATED
    ticket.resolved_at = None
    ticket.save(update_fields=["level", "state", "resolved_at", "updated_at"])
    _log(
        ticket,
        TicketLogEntry.Kind.ESCALATION,
        f"Escalated to {data.provider_name} Level 2 ({draft.to}); state changed from {old} to Escalated.",
        author=acting_user,
    )
    message = EmailMessage(subject=draft.subject, body=final_body, to=[draft.to])
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors are many types; the caller needs one clear refusal
        logger.warning("Escalation mail for ticket %s failed: %s", ticket.pk, exc)
        raise ApplicationError(f"The mail server refused the escalation: {exc}") from exc
    return escalation


@transaction.atomic
def support_settings_update(*, acting_user=None, **fields: Any) -> SupportSettings:
    """Change the support desk settings (names and addresses used in escalations)."""
    row = support_settings_load()
    editable = {f.name for f in SupportSettings._meta.get_fields() if getattr(f, "editable", False)}
    unknown = set(fields) - editable - {"id"}
    if unknown:
        raise ApplicationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row

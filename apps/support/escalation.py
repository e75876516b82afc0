"""Build the Level 2 escalation e-mail from plain data (pure: no database, no settings).

Seed 000 says exactly what the provider needs and what must stay home:
- subject "<provider short name> x <our company name> -- API Concerns";
- body: expected vs actual, the troubleshooting done so far (ours and the customer's), the first or last 7
  characters of the API client ID, the company IDs and employee IDs, the request URIs and the date/time
  stamps of the errors or events;
- never PII about an employee, nothing company-sensitive, never the end user who reported it.
Every free text is scrubbed by ``apps.support.redaction`` with the ticket's known personal values; the
structured parts (IDs, URIs, timestamps) are written by this module, never copied from free text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from .redaction import Finding, KnownPii, find_pii, redact

FRAGMENT_LENGTH = 7


@dataclass(frozen=True)
class LogLine:
    at: dt.datetime
    text: str
    customer: bool = False  # the customer's troubleshooting rather than ours


@dataclass(frozen=True)
class ApiCallLine:
    method: str
    uri: str
    status: int | None
    at: dt.datetime


@dataclass(frozen=True)
class EventLine:
    label: str  # what happened, in our words (no PII): "webhook event received", "sync run failed"
    at: dt.datetime


@dataclass(frozen=True)
class EmployeeRef:
    company_id: str
    employee_id: str


@dataclass(frozen=True)
class EscalationInput:
    """Everything the draft is made from; the service gathers it from the ticket."""

    ticket_id: int
    provider_name: str
    provider_short_name: str
    our_company_name: str
    to_address: str
    category_label: str
    title: str
    expected_result: str
    actual_result: str
    client_id: str
    fragment_end: str = "first"
    log: Sequence[LogLine] = ()
    company_ids: Sequence[str] = ()
    employees: Sequence[EmployeeRef] = ()
    api_calls: Sequence[ApiCallLine] = ()
    events: Sequence[EventLine] = ()
    known_pii: KnownPii = field(default_factory=KnownPii)
    today: dt.date | None = None


@dataclass(frozen=True)
class EscalationDraft:
    to: str
    subject: str
    body: str
    client_id_fragment: str
    allowed: tuple[str, ...]  # structured strings the draft put in itself (skipped by the PII re-check)

    def as_dict(self) -> dict[str, str]:
        return {"to": self.to, "subject": self.subject, "body": self.body}


def utc_iso(value: dt.datetime) -> str:
    """Format a timestamp as UTC ISO 8601 to the second: ``2024-05-01T12:00:00Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_id_fragment(client_id: str, end: str = "first") -> str:
    """Return exactly one 7-character fragment of the client ID: its first or its last seven characters."""
    client_id = client_id.strip()
    if end not in ("first", "last"):
        raise ValueError(f"end must be 'first' or 'last', not {end!r}")
    return client_id[:FRAGMENT_LENGTH] if end == "first" else client_id[-FRAGMENT_LENGTH:]


def escalation_subject(provider_short_name: str, our_company_name: str) -> str:
    """Return seed 000's subject line, e.g. ``PCTY x Payroll Integration Hub -- API Concerns``."""
    return f"{provider_short_name} x {our_company_name} -- API Concerns"


def _client_id_windows(client_id: str) -> set[str]:
    client_id = client_id.strip()
    return {client_id[i : i + FRAGMENT_LENGTH] for i in range(max(len(client_id) - FRAGMENT_LENGTH + 1, 0))}


def _without_client_id(text: str, client_id: str) -> str:
    """Replace any 7 or more characters of the client ID found in free text (only the fragment may leave)."""
    for window in sorted(_client_id_windows(client_id), key=len, reverse=True):
        text = text.replace(window, "[client ID]")
    return text


def _block(text: str) -> str:
    text = text.strip()
    return "\n".join(f"  {line}" for line in text.splitlines()) if text else "  (not recorded)"


def escalation_draft_build(data: EscalationInput) -> EscalationDraft:
    """Write the subject and body of the escalation from ``data``.

    1. Scrub every free text (title, expected, actual, log lines) with the known personal values.
    2. Write the structured parts from IDs, URIs and timestamps only.
    3. Name the client ID by one 7-character fragment, which end as configured; the full ID is scrubbed
       from free text (it is one of the known secrets).
    """
    today = data.today or dt.date.today()
    known = data.known_pii.merge(KnownPii(secrets=(data.client_id,) if data.client_id else ()))

    def clean(text: str) -> str:
        return _without_client_id(redact(text, known=known, today=today), data.client_id).strip()

    def clean_uri(uri: str) -> str:
        # A request URI is ours, not free text, and seed 000 wants it as it was sent: scrub personal data and
        # the full client ID, but not every 7-character window of it ("employe" of ".../employees/..." must
        # survive a client ID that happens to contain it).
        return redact(uri, known=known, today=today).strip()

    fragment = client_id_fragment(data.client_id, data.fragment_end) if data.client_id else ""
    which = "first" if data.fragment_end == "first" else "last"

    ours = [line for line in data.log if not line.customer]
    theirs = [line for line in data.log if line.customer]

    def log_lines(lines: Sequence[LogLine]) -> list[str]:
        if not lines:
            return ["  - none recorded yet"]
        return [f"  - {utc_iso(line.at)}  {clean(line.text)}" for line in sorted(lines, key=lambda x: x.at)]

    company_ids = sorted(dict.fromkeys(c for c in data.company_ids if c))
    employees = sorted(dict.fromkeys(data.employees), key=lambda e: (e.company_id, e.employee_id))
    calls = sorted(data.api_calls, key=lambda c: c.at)
    events = sorted(data.events, key=lambda e: e.at)

    lines = [
        f"Hello {data.provider_name} support team,",
        "",
        f"{data.our_company_name} is escalating an API concern for a mutual customer after Level 1 "
        f"troubleshooting. Our reference: ticket {data.ticket_id}.",
        "",
        f"Concern: {data.category_label}",
        f"Summary: {clean(data.title) or '(none)'}",
        "",
        "EXPECTED result:",
        _block(clean(data.expected_result)),
        "",
        "ACTUAL result:",
        _block(clean(data.actual_result)),
        "",
        "Troubleshooting completed so far (times in UTC):",
        "Our support team:",
        *log_lines(ours),
        "The customer's team:",
        *log_lines(theirs),
        "",
        f"API client ID used to authenticate ({which} 7 characters): "
        + (fragment or "(no client ID on this connection)"),
        "",
        f"{data.provider_name} company IDs: " + (", ".join(company_ids) or "(none linked)"),
        "Employee IDs: "
        + (", ".join(f"{e.employee_id} (company {e.company_id})" for e in employees) or "(none linked)"),
        "",
        "Request URIs and their date/time stamps (UTC, ISO 8601):",
        *(
            [
                f"  - {utc_iso(c.at)}  {c.method.upper()} {clean_uri(c.uri)}"
                + (f"  -> HTTP {c.status}" if c.status else "  -> no response")
                for c in calls
            ]
            or ["  - none linked"]
        ),
    ]
    if events:
        lines += [
            "",
            "Other events from our system logs (UTC, ISO 8601):",
            *[f"  - {utc_iso(e.at)}  {e.label}" for e in events],
        ]
    lines += [
        "",
        "No personal information about employees is included; we can supply anything else you need "
        "through this thread.",
        "",
        "Regards,",
        f"{data.our_company_name} support team",
    ]
    body = "\n".join(lines) + "\n"

    allowed = (
        fragment,
        *company_ids,
        *(e.employee_id for e in employees),
        *(clean_uri(c.uri) for c in calls),
        *(utc_iso(c.at) for c in calls),
        *(utc_iso(e.at) for e in events),
        *(utc_iso(line.at) for line in data.log),
    )
    return EscalationDraft(
        to=data.to_address,
        subject=escalation_subject(data.provider_short_name, data.our_company_name),
        body=body,
        client_id_fragment=fragment,
        allowed=tuple(a for a in allowed if a),
    )


def escalation_body_check(body: str, data: EscalationInput, draft: EscalationDraft) -> list[Finding]:
    """List the personal data in a (possibly edited) body, ignoring the IDs and URIs the draft put there."""
    known = data.known_pii.merge(KnownPii(secrets=(data.client_id,) if data.client_id else ()))
    findings = find_pii(body, known=known, allowed=draft.allowed, today=data.today)
    extra = sorted(
        w for w in _client_id_windows(data.client_id) if w != draft.client_id_fragment and w in body
    )
    findings.extend(Finding("more of the API client ID than its 7-character fragment", w) for w in extra[:1])
    return findings

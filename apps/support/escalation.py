"""Build the Level 2 escalation e-mail from plain data (pure: no database, no settings).

Seed 000 says exactly what the provider needs and what must stay home:
- subject "<provider short name> x <our company name> -- API Concerns";
- body: expected vs actual, the troubleshooting done so far (ours and the customer's), the first or last 7
  characters of the API client ID, the company IDs and employee IDs, the request URIs and the date/time
  stamps of the errors or events;
- never PII about an employee, nothing company-sensitive, never the end user who reported it.
Every free text is scrubbed by ``apps.support.redaction`` with the ticket's known personal values; the
structured parts (IDs, URIs, timestamps) are written by this module, never copied from free text. Names of
the customer and its companies read "[customer]"; a word sharing 8 or more characters with the client ID
reads "[client ID]" (a word that merely shares 7 letters with it, "Paylocity" and "aylocit", is left alone).

An agent may edit the draft before it is sent. ``escalation_body_check`` checks only what the agent added
or changed, word by word against the draft (``added_spans``), so the draft's own text is never flagged.

Some tickets are about the hub's own configuration and have nothing to ask the provider
(``escalation_refusal``): they are never escalated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .redaction import Finding, Hit, KnownPii, chunks, is_common_word, mask, redact, scan

FRAGMENT_LENGTH = 7
ADDED_PII_MESSAGE = "What you added to the escalation contains personal data; remove it and send again"

# Tickets about the hub's own configuration: the provider has nothing to look into (seed 000 puts
# transformations, mapping and record filtering on the integration owner). By category ...
INTERNAL_ONLY_CATEGORIES = {
    "mapping_needed": (
        "A custom status code needs a mapping in this hub (seed 002: custom codes are mapped by the "
        "integration owner); map it from the Status mappings page."
    ),
    "record_filtering": (
        "Which records are in scope is decided by this hub's filter rules (seed 000: record filtering is "
        "the integration owner's responsibility); change the filter rules."
    ),
}
# ... and by the kind of problem an automatic ticket is about (the prefix of its key).
INTERNAL_ONLY_PROBLEMS = {
    "mapping-needed": INTERNAL_ONLY_CATEGORIES["mapping_needed"],
    "mass-change": (
        "Removals held by this hub's mass-change safeguard wait for an admin's decision: approve or reject "
        "the held batch."
    ),
    "action-dead": (
        "Deliveries to the customer's downstream app failed; the provider's API is not involved. Fix the "
        "downstream endpoint, then replay the dead actions."
    ),
    "secret-expiring": (
        "Renewing the connection's client secret is ours to do: store the renewed secret on the connection."
    ),
}


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


def escalation_refusal(*, category: str, automatic_key: str = "") -> str:
    """Why a ticket cannot be escalated to the provider ("" when it can): it is about our own configuration."""
    problem = automatic_key.split(":", 1)[0]
    return INTERNAL_ONLY_PROBLEMS.get(problem, "") or INTERNAL_ONLY_CATEGORIES.get(category, "")


def refusal_message(reason: str) -> str:
    return f"This ticket is not escalated to the provider: {reason}"


def _windows(value: str, length: int) -> set[str]:
    value = value.strip().lower()
    return {value[i : i + length] for i in range(max(len(value) - length + 1, 0))}


def _shared_runs(word: str, client_id: str, minimum: int) -> list[str]:
    """The maximal runs of at least ``minimum`` characters that ``word`` and ``client_id`` share (any case)."""
    a, b = word.lower(), client_id.lower()
    previous = [0] * (len(b) + 1)
    runs = []
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                current[j] = previous[j - 1] + 1
        for j in range(1, len(b) + 1):
            ends_here = i == len(a) or j == len(b) or a[i] != b[j]
            if current[j] >= minimum and ends_here:
                runs.append(a[i - current[j] : i])
        previous = current
    return runs


def _is_words(run: str, allowed_words: set[str]) -> bool:
    """True when a shared run is made of whole ordinary words (or the provider's and our own names)."""
    pieces = [p for p in re.split(r"[^0-9a-z]+", run) if p]
    return bool(pieces) and all(
        p in allowed_words or (len(p) >= 3 and p.isalpha() and is_common_word(p)) for p in pieces
    )


def client_id_hits(text: str, client_id: str, fragment: str, allowed_words: Sequence[str] = ()) -> list[Hit]:
    """Words of ``text`` that give away more of the client ID than its fragment.

    A word (a whitespace-separated piece, punctuation trimmed) is refused when it shares a run of 8 or more
    characters with the client ID, or when it is another 7 characters of it than the fragment. A run made
    of ordinary words, or of ``allowed_words`` (the provider's name: "Paylocity" of a client ID
    "sandbox-paylocity-client"), gives nothing away; nor does a word sharing only 7 letters with the ID
    ("Paylocity" and "aylocit").
    """
    if len(client_id.strip()) <= FRAGMENT_LENGTH:
        return []
    allowed = {w.lower() for text_ in allowed_words for w in re.findall(r"[0-9A-Za-z]+", text_)}
    sevens = _windows(client_id, FRAGMENT_LENGTH) - {fragment.lower()}
    hits = []
    for token in chunks(text):
        value = token.text.lower()
        runs = _shared_runs(value, client_id.strip(), FRAGMENT_LENGTH + 1)
        if any(not _is_words(run, allowed) for run in runs):
            kind = "more of the API client ID than its 7-character fragment"
        elif value in sevens and not _is_words(value, allowed):
            kind = "another 7 characters of the API client ID than its fragment"
        else:
            continue
        hits.append(Hit(kind, token.start, token.end, token.text, "[client ID]"))
    return hits


def _own_names(data: EscalationInput) -> tuple[str, ...]:
    return (data.provider_name, data.provider_short_name, data.our_company_name)


def _without_client_id(text: str, client_id: str, fragment: str, allowed_words: Sequence[str]) -> str:
    """Replace the words that give away more of the client ID than its fragment (only the fragment leaves)."""
    for hit in sorted(client_id_hits(text, client_id, fragment, allowed_words), key=lambda h: -h.start):
        text = text[: hit.start] + hit.replacement + text[hit.end :]
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

    fragment = client_id_fragment(data.client_id, data.fragment_end) if data.client_id else ""

    def clean(text: str) -> str:
        text = redact(text, known=known, today=today)
        return _without_client_id(text, data.client_id, fragment, _own_names(data)).strip()

    def clean_uri(uri: str) -> str:
        # A request URI is ours, not free text, and seed 000 wants it as it was sent: scrub personal data and
        # the full client ID, but not every 7-character window of it ("employe" of ".../employees/..." must
        # survive a client ID that happens to contain it).
        return redact(uri, known=known, today=today).strip()

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


def added_spans(draft_body: str, body: str) -> list[tuple[int, int]]:
    """The character ranges of ``body`` that the agent added or changed, word by word against the draft.

    The two texts are compared as sequences of whitespace-separated words (a diff at word level): a word
    typed into the draft is added, whole; a draft line the agent moved elsewhere counts as added too, and
    ``escalation_body_check`` then finds nothing in it because its findings would be the draft's own text.
    """
    old = [t.text for t in chunks(draft_body)]
    new = chunks(body)
    matcher = difflib.SequenceMatcher(a=old, b=[t.text for t in new], autojunk=False)
    spans = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            spans.extend((t.start, t.end) for t in new[j1:j2])
    return spans


def _line_of(text: str, position: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text.count("\n", 0, position) + 1, text[start : end if end != -1 else len(text)].strip()


def escalation_body_check(body: str, data: EscalationInput, draft: EscalationDraft) -> list[Finding]:
    """List the personal data the agent put into the draft (``body`` is the edited draft).

    Only the words added or changed against the draft are checked (``added_spans``); a finding that is
    text of the draft itself (an ID, a URI, a word moved elsewhere) is not one. Each finding names its kind,
    the value masked ("G**** H*****"), its line and the line with every finding on it masked.
    """
    spans = added_spans(draft.body, body)
    if not spans:
        return []
    known = data.known_pii.merge(KnownPii(secrets=(data.client_id,) if data.client_id else ()))
    hits = scan(body, known=known, today=data.today) + client_id_hits(
        body, data.client_id, draft.client_id_fragment, _own_names(data)
    )

    def added(hit: Hit) -> bool:
        return any(start < hit.end and hit.start < end for start, end in spans)

    def drafted(hit: Hit) -> bool:  # the draft's own text, as a whole word of it (an ID, a URI)
        return bool(re.search(rf"(?<!\w){re.escape(hit.text)}(?!\w)", draft.body))

    found: list[Hit] = []
    for hit in sorted(hits, key=lambda h: h.start):
        overlaps = any(h.start < hit.end and hit.start < h.end for h in found)
        if added(hit) and not drafted(hit) and not overlaps:
            found.append(hit)
    masked = body
    for hit in found:
        masked = masked[: hit.start] + mask(hit.text) + masked[hit.end :]
    findings = []
    for hit in sorted(found, key=lambda h: h.start):
        line, excerpt = _line_of(masked, hit.start)
        findings.append(Finding(hit.kind, mask(hit.text), line=line, excerpt=excerpt[:160]))
    return findings

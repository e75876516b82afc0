"""Find and scrub personal data in free text (pure functions, no database).

Why: a Level 2 escalation leaves the company (seed 000: no PII about an employee, no end user). Agents type
free text (log entries, expected / actual results) and paste things into it. Two nets catch what must not
leave:
1. known values: the names, e-mails, IDs, birth dates, phones, addresses and pay of the employees linked to
   the ticket and the reporter's name and e-mail, matched exactly (names as whole words, any case; dates in
   the usual spellings);
2. patterns: e-mail addresses, phone numbers, SSN-like numbers, dates of birth (a date written next to
   "DOB" / "born" / "birth", or any date older than ``OLD_DATE_YEARS``), street addresses and money amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

REDACTED = "[redacted]"
# A date at least this many years before today is treated as a possible birth date. Effective dates that
# matter to a Level 2 investigation are recent; a birth date is at least this old.
OLD_DATE_YEARS = 12

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)

EMAIL_RE = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(
    r"(?<![\w/.-])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?![\w/-])"
)
SSN_RE = re.compile(r"(?<![\w-])(?:\d{3}[- ]\d{2}[- ]\d{4}|\d{3}[- ]\d{3}[- ]\d{3}|\d{9})(?![\w-])")
ISO_DATE_RE = re.compile(r"(?<![\w-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w-])")
US_DATE_RE = re.compile(r"(?<![\w/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\w/-])")
MONTH_FIRST_RE = re.compile(rf"\b{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.IGNORECASE)
DAY_FIRST_RE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE},?\s+\d{{4}}\b", re.IGNORECASE)
_ANY_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|"
    rf"{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE},?\s+\d{{4}})"
)
DOB_CONTEXT_RE = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)\b[\s:=-]*{_ANY_DATE}",
    re.IGNORECASE,
)
_STREET_WORDS = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Pl|Place|Ter|Terrace|"
    r"Cir|Circle|Hwy|Highway|Pkwy|Parkway|Sq|Square|Trl|Trail)"
)
STREET_RE = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:\s+[NSEW]\.?)?(?:\s+[A-Za-z][A-Za-z'-]*){{1,4}}\s+{_STREET_WORDS}\b\.?"
    r"(?:,?\s+(?:Apt|Suite|Ste|Unit|#)\.?\s*\w+)?",
    re.IGNORECASE,
)
CITY_STATE_ZIP_RE = re.compile(r"\b[A-Z][A-Za-z .'-]{1,40},\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
MONEY_RE = re.compile(
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?|\b(?:USD|EUR|GBP)\s?\d[\d,]*(?:\.\d+)?|\b\d{1,3}(?:,\d{3})+(?:\.\d{2})?\b"
    r"|\b\d+\.\d{2}\b(?!\.\d))"
)


@dataclass(frozen=True)
class KnownPii:
    """Values known to belong to the people linked to a ticket (employees, the reporter)."""

    names: Sequence[str] = ()
    emails: Sequence[str] = ()
    national_ids: Sequence[str] = ()
    birth_dates: Sequence[dt.date] = ()
    phones: Sequence[str] = ()
    addresses: Sequence[str] = ()
    pay_amounts: Sequence[str] = ()
    secrets: Sequence[str] = ()  # e.g. the full API client ID: never more than its fragment may leave
    phrases: Sequence[str] = ()  # matched whole only: company and customer names, other sensitive words

    def merge(self, other: KnownPii) -> KnownPii:
        return KnownPii(
            **{
                name: (*getattr(self, name), *getattr(other, name))
                for name in (
                    "names",
                    "emails",
                    "national_ids",
                    "birth_dates",
                    "phones",
                    "addresses",
                    "pay_amounts",
                    "secrets",
                    "phrases",
                )
            }
        )


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text."""

    kind: str
    text: str


@dataclass
class _Scan:
    findings: list[Finding] = field(default_factory=list)


def date_spellings(value: dt.date) -> set[str]:
    """Return the usual ways a date is written (ISO, US, day-first, month names)."""
    d, m, y = value.day, value.month, value.year
    month, short = _MONTHS[m - 1], _MONTHS[m - 1][:3]
    out = {
        value.isoformat(),
        f"{y}-{m}-{d}",
        f"{m:02d}/{d:02d}/{y}",
        f"{m}/{d}/{y}",
        f"{m:02d}-{d:02d}-{y}",
        f"{d:02d}/{m:02d}/{y}",
        f"{d}/{m}/{y}",
        f"{d:02d}.{m:02d}.{y}",
        f"{m:02d}/{d:02d}/{y % 100:02d}",
        f"{m}/{d}/{y % 100:02d}",
        f"{month} {d}, {y}",
        f"{month} {d} {y}",
        f"{short} {d}, {y}",
        f"{short} {d} {y}",
        f"{d} {month} {y}",
        f"{d} {short} {y}",
    }
    return out


def _digits_variants(value: str) -> set[str]:
    """Return an ID or phone as written and with its separators removed or normalised."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    out = {value}
    if len(digits) >= 4:
        out.add(digits)
        if len(digits) == 9:
            out.add(f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")
            out.add(f"{digits[:3]} {digits[3:5]} {digits[5:]}")
    return {v for v in out if len(v) >= 4}


def _name_tokens(names: Iterable[str]) -> set[str]:
    tokens: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        tokens.add(name)
        parts = [p for p in re.split(r"[\s,]+", name) if p]
        if len(parts) > 1:
            tokens.add(f"{parts[-1]}, {' '.join(parts[:-1])}")
        for part in parts:
            tokens.update(p for p in (part, *part.split("-")) if len(p) >= 2)
    return tokens


def _known_patterns(known: KnownPii) -> list[tuple[str, re.Pattern[str]]]:
    """Compile the known values into (kind, pattern) pairs, longest first so full names go before parts."""
    plain: list[tuple[str, str]] = []
    for email in known.emails:
        if email.strip():
            plain.append(("email address", email.strip()))
    for value in known.national_ids:
        plain.extend(("national ID", v) for v in _digits_variants(value))
    for value in known.phones:
        plain.extend(("phone number", v) for v in _digits_variants(value))
    for value in known.addresses:
        value = " ".join(value.split())
        if len(value) >= 4:
            plain.append(("address", value))
            plain.extend(("address", line.strip()) for line in value.split(",") if len(line.strip()) >= 6)
    for value in known.pay_amounts:
        value = value.strip()
        if value:
            plain.append(("pay amount", value))
    for value in known.secrets:
        if len(value.strip()) >= 8:
            plain.append(("full API client ID", value.strip()))
    for value in known.phrases:
        value = " ".join(value.split())
        if len(value) >= 3:
            plain.append(("company-sensitive name", value))
    for value in known.birth_dates:
        plain.extend(("birth date", s) for s in date_spellings(value))

    patterns: list[tuple[str, re.Pattern[str]]] = []
    for kind, value in sorted(set(plain), key=lambda kv: -len(kv[1])):
        escaped = re.escape(value)
        # Digits must not be part of a longer number; other values must not be glued into a longer word.
        patterns.append((kind, re.compile(rf"(?<![\w]){escaped}(?![\w])", re.IGNORECASE)))
    for token in sorted(_name_tokens(known.names), key=len, reverse=True):
        patterns.append(("name", re.compile(rf"(?<!\w){re.escape(token)}(?!\w)", re.IGNORECASE)))
    return patterns


def _is_old_date(match: re.Match[str], today: dt.date, kind: str) -> bool:
    try:
        if kind == "iso":
            year, month, day = (int(g) for g in match.groups())
        elif kind == "us":
            a, b, year_s = match.groups()
            year = (
                int(year_s)
                if len(year_s) == 4
                else (1900 + int(year_s) if int(year_s) > today.year % 100 else 2000 + int(year_s))
            )
            month, day = int(a), int(b)
            if month > 12:  # day-first
                month, day = day, month
        else:
            year = int(re.findall(r"\d{4}", match.group(0))[-1])
            month, day = 1, 1
        value = dt.date(year, month if 1 <= month <= 12 else 1, min(max(day, 1), 28))
    except ValueError:
        return False
    return value <= today.replace(year=today.year - OLD_DATE_YEARS, day=min(today.day, 28))


def _pattern_passes(today: dt.date) -> list[tuple[str, re.Pattern[str], object]]:
    """Return the generic passes in the order they run: (kind, pattern, filter or None)."""
    return [
        ("email address", EMAIL_RE, None),
        ("date of birth", DOB_CONTEXT_RE, None),
        ("street address", STREET_RE, None),
        ("address", CITY_STATE_ZIP_RE, None),
        ("SSN-like number", SSN_RE, None),
        ("phone number", PHONE_RE, None),
        ("possible birth date", ISO_DATE_RE, lambda m: _is_old_date(m, today, "iso")),
        ("possible birth date", US_DATE_RE, lambda m: _is_old_date(m, today, "us")),
        ("possible birth date", MONTH_FIRST_RE, lambda m: _is_old_date(m, today, "name")),
        ("possible birth date", DAY_FIRST_RE, lambda m: _is_old_date(m, today, "name")),
        ("pay amount", MONEY_RE, None),
    ]


def _run(text: str, known: KnownPii, today: dt.date, scan: _Scan | None) -> str:
    def substitute(kind: str, pattern: re.Pattern[str], keep, value: str) -> str:
        def repl(match: re.Match[str]) -> str:
            if keep is not None and not keep(match):
                return match.group(0)
            if scan is not None:
                scan.findings.append(Finding(kind, match.group(0)))
            return REDACTED

        return pattern.sub(repl, value)

    for kind, pattern in _known_patterns(known):
        text = substitute(kind, pattern, None, text)
    for kind, pattern, keep in _pattern_passes(today):
        text = substitute(kind, pattern, keep, text)
    return text


def redact(text: str, *, known: KnownPii = KnownPii(), today: dt.date | None = None) -> str:
    """Return ``text`` with every piece of personal data replaced by ``[redacted]``."""
    if not text:
        return ""
    return _run(text, known, today or dt.date.today(), None)


def find_pii(
    text: str,
    *,
    known: KnownPii = KnownPii(),
    allowed: Iterable[str] = (),
    today: dt.date | None = None,
) -> list[Finding]:
    """List the personal data in ``text``; what lies inside an ``allowed`` string (an ID, a URI the draft
    itself put there) is not reported.

    Used to re-check a body an agent edited before it is sent.
    """
    if not text:
        return []
    allowed = [a for a in allowed if a]
    scan = _Scan()
    _run(text, known, today or dt.date.today(), scan)
    return [f for f in scan.findings if not any(f.text in a for a in allowed)]

"""Find and scrub personal data in free text (pure functions, no database).

Why: a Level 2 escalation leaves the company (seed 000: no PII about an employee, no end user). Agents type
free text (log entries, expected / actual results) and paste things into it. Two nets catch what must not
leave:
1. known values: the names, e-mails, IDs, birth dates, phones, addresses and pay of the employees linked to
   the ticket and the reporter's name and e-mail, matched exactly (dates in the usual spellings; names as
   words, never inside another word: see ``name_hits``; a team reporting, "Customer HRIS team", only whole);
2. patterns: e-mail addresses, phone numbers, SSN-like numbers, dates of birth (a date written next to
   "DOB" / "born" / "birth", or any date older than ``OLD_DATE_YEARS``), street addresses and money amounts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from english_words import get_english_words_set

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


# Words that make a reporter's name a team's label ("Customer HRIS team", "Payroll Team") rather than a
# person's: such a label is refused only whole, its words stay usable one by one.
TEAM_WORDS = frozenset(
    {
        "team",
        "department",
        "dept",
        "group",
        "desk",
        "office",
        "support",
        "services",
        "service",
        "staff",
        "customer",
        "client",
        "hr",
        "hris",
        "it",
        "payroll",
        "admin",
        "administration",
        "operations",
        "ops",
    }
)


@dataclass(frozen=True)
class KnownPii:
    """Values known to belong to the people linked to a ticket (employees, the reporter) and its customer."""

    names: Sequence[str] = ()  # people: the whole name, and each part (see ``name_hits``)
    emails: Sequence[str] = ()
    national_ids: Sequence[str] = ()
    birth_dates: Sequence[dt.date] = ()
    phones: Sequence[str] = ()
    addresses: Sequence[str] = ()
    pay_amounts: Sequence[str] = ()
    secrets: Sequence[str] = ()  # e.g. the full API client ID: never more than its fragment may leave
    phrases: Sequence[str] = ()  # matched whole only: other sensitive values (from a provider's record)
    labels: Sequence[str] = ()  # a team reporting a concern ("Customer HRIS team"): matched whole only
    organisations: Sequence[str] = ()  # customer, company set and company names: whole, shown as [customer]

    def merge(self, other: KnownPii) -> KnownPii:
        return KnownPii(
            **{name: (*getattr(self, name), *getattr(other, name)) for name in KnownPii.__dataclass_fields__}
        )


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text; ``line`` and ``excerpt`` say where (0 / "" if unknown)."""

    kind: str
    text: str
    line: int = 0
    excerpt: str = ""

    def describe(self) -> str:
        where = f" on line {self.line}" if self.line else ""
        quote = f": \u201c{self.excerpt}\u201d" if self.excerpt else ""
        return f"{self.kind} \u201c{self.text}\u201d{where}{quote}"


@dataclass(frozen=True)
class Hit:
    """Where one piece of personal data lies in a text (``text[start:end]``)."""

    kind: str
    start: int
    end: int
    text: str
    replacement: str = REDACTED


# --- common English words ----------------------------------------------------------------------------------


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-case entries of Webster's 2nd (web2) and GCIDE: common words, not proper nouns.

    ``john`` is no entry (only ``John`` is), ``grace`` and ``will`` are.
    """
    words = get_english_words_set(["web2", "gcide"], alpha=True)
    return frozenset({w for w in words if w.islower()} | EVERYDAY_WORDS)


# Everyday words the two old dictionaries lack.
EVERYDAY_WORDS = frozenset(
    {
        "box",
        "ok",
        "okay",
        "email",
        "online",
        "offline",
        "website",
        "webhook",
        "login",
        "logout",
        "signup",
        "username",
        "password",
        "dashboard",
        "workflow",
        "timestamp",
        "screenshot",
        "spreadsheet",
        "inbox",
    }
)
_CONTRACTION_TAILS = {"s", "t", "re", "ve", "ll", "d", "m"}


def _base_forms(word: str) -> set[str]:
    """Return ``word`` and the stems its usual English endings leave (checks, checked, checking, ...)."""
    out = {word}
    for suffix, repl in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ied", "y"),
        ("ed", ""),
        ("ed", "e"),
        ("ing", ""),
        ("ing", "e"),
        ("ly", ""),
        ("er", ""),
        ("ers", ""),
        ("est", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)] + repl
            out.add(stem)
            if len(stem) >= 3 and stem[-1] == stem[-2] and not repl:  # mapped -> mapp -> map
                out.add(stem[:-1])
    return out


def is_common_word(word: str) -> bool:
    """True for an ordinary English word in any usual form ("Thank", "looking", "mapped", "don't")."""
    word = word.lower().replace("\u2019", "'")
    if not word or not word.replace("'", "").replace("-", "").isalpha():
        return False
    words = common_words()
    pieces = [p for p in re.split(r"[-']", word) if p]
    if not pieces:
        return False
    for index, piece in enumerate(pieces):
        if index > 0 and "'" in word and piece in _CONTRACTION_TAILS:
            continue
        if not any(form in words for form in _base_forms(piece)):
            return False
    return True


def is_team_label(name: str) -> bool:
    """True when a reporter's name is a team's label, not a person's ("Customer HRIS team")."""
    return any(part.lower() in TEAM_WORDS for part in re.split(r"[\s,]+", name) if part)


# --- tokens ------------------------------------------------------------------------------------------------

# A word is letters only, never part of an ID: "Ada" of "Ada1234" or "x_Ada" is no word.
_WORD_RE = re.compile(r"(?<!\w)[^\W\d_]+(?:['\u2019-][^\W\d_]+)*(?!\w)")
_CHUNK_RE = re.compile(r"\S+")
_TRIM = "\"'()[]{}<>.,;:!?*\u201c\u201d\u2018\u2019"


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def words(text: str) -> list[Token]:
    """The words of a text (letters, with inner apostrophes and hyphens); a possessive 's is not part of it."""
    out = []
    for match in _WORD_RE.finditer(text):
        value, end = match.group(0), match.end()
        possessive = re.search(r"['\u2019]s$", value)
        if possessive and len(value) > 2:
            value, end = value[: possessive.start()], match.start() + possessive.start()
        out.append(Token(value, match.start(), end))
    return out


def chunks(text: str) -> list[Token]:
    """The whitespace-separated pieces of a text with surrounding punctuation trimmed (IDs, e-mails, words)."""
    out = []
    for match in _CHUNK_RE.finditer(text):
        raw = match.group(0)
        value = raw.strip(_TRIM)
        if value:
            start = match.start() + len(raw) - len(raw.lstrip(_TRIM))
            out.append(Token(value, start, start + len(value)))
    return out


def mask(value: str) -> str:
    """Show a found value without repeating it: the first character of each word, the rest as ``*``."""
    return re.sub(r"(?<=[^\W_])[^\W_]|(?<=\*)[^\W_]", "*", value)


# --- dates, known values -------------------------------------------------------------------------------------


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


def _known_patterns(known: KnownPii) -> list[tuple[str, re.Pattern[str], str]]:
    """Compile the known values into (kind, pattern, replacement), longest first so whole values go first."""
    plain: list[tuple[str, str, str]] = []
    for email in known.emails:
        if email.strip():
            plain.append(("email address", email.strip(), REDACTED))
    for value in known.national_ids:
        plain.extend(("national ID", v, REDACTED) for v in _digits_variants(value))
    for value in known.phones:
        plain.extend(("phone number", v, REDACTED) for v in _digits_variants(value))
    for value in known.addresses:
        value = " ".join(value.split())
        if len(value) >= 4:
            plain.append(("address", value, REDACTED))
            plain.extend(
                ("address", line.strip(), REDACTED) for line in value.split(",") if len(line.strip()) >= 6
            )
    for value in known.pay_amounts:
        if value.strip():
            plain.append(("pay amount", value.strip(), REDACTED))
    for value in known.secrets:
        if len(value.strip()) >= 8:
            plain.append(("full API client ID", value.strip(), "[client ID]"))
    for value in known.phrases:
        value = " ".join(value.split())
        if len(value) >= 3:
            plain.append(("sensitive value from the provider's record", value, REDACTED))
    for value in known.labels:
        value = " ".join(value.split())
        if len(value) >= 3:
            plain.append(("name", value, REDACTED))
    for value in known.organisations:
        value = " ".join(value.split())
        if len(value) >= 3:
            plain.append(("company-sensitive name", value, "[customer]"))
    for value in known.birth_dates:
        plain.extend(("birth date", s, REDACTED) for s in date_spellings(value))

    patterns = []
    for kind, value, replacement in sorted(set(plain), key=lambda kv: -len(kv[1])):
        # Spaces match any run of whitespace; the value must not be glued into a longer word or number.
        escaped = r"\s+".join(re.escape(part) for part in value.split(" "))
        patterns.append((kind, re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE), replacement))
    return patterns


# --- names ---------------------------------------------------------------------------------------------------


def _name_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\s,]+", name) if p]


def name_hits(text: str, names: Iterable[str]) -> list[Hit]:
    """Find the people's names in ``text`` as words, never inside another word.

    1. The whole name (its parts in order, or "Last, First", or first and last without the middle ones):
       in any case.
    2. One part alone ("Hopper", a hyphenated surname's half "Lopez"): when written with a capital letter,
       or in any case when it is no common English word ("okafor"); "grace period" and "will" pass.
    """
    sequences: set[tuple[str, ...]] = set()
    parts: set[str] = set()
    for name in names:
        split = [p.lower() for p in _name_parts(name)]
        if not split:
            continue
        sequences.add(tuple(split))
        if len(split) > 1:
            sequences.add((split[-1], *split[:-1]))  # "Hopper, Grace"
            sequences.add((split[0], split[-1]))
            sequences.add((split[-1], split[0]))
        for part in split:
            parts.update(p for p in (part, *re.split(r"[-'\u2019]", part)) if len(p) >= 2)
    if not sequences:
        return []
    tokens = words(text)
    lowered = [t.text.lower() for t in tokens]
    hits: list[Hit] = []
    covered: set[int] = set()
    for sequence in sorted(sequences, key=len, reverse=True):
        if len(sequence) < 2:
            continue
        for i in range(len(tokens) - len(sequence) + 1):
            if any(i + k in covered for k in range(len(sequence))):
                continue
            if tuple(lowered[i : i + len(sequence)]) != sequence:
                continue
            gaps = [text[tokens[i + k].end : tokens[i + k + 1].start] for k in range(len(sequence) - 1)]
            if all(re.fullmatch(r"[ \t]*,?[ \t]*", gap) for gap in gaps):  # on one line
                covered.update(range(i, i + len(sequence)))
                start, end = tokens[i].start, tokens[i + len(sequence) - 1].end
                hits.append(Hit("name", start, end, text[start:end]))
    for i, token in enumerate(tokens):
        if i in covered:
            continue
        pieces = [(token.text, token.start)]
        if token.text.lower() not in parts:
            offset = 0
            for piece in re.split(r"([-'\u2019])", token.text):
                pieces.append((piece, token.start + offset))
                offset += len(piece)
            pieces = pieces[1:]
        for piece, start in pieces:
            if piece.lower() in parts and (piece[:1].isupper() or not is_common_word(piece)):
                hits.append(Hit("name", start, start + len(piece), piece))
    return hits


# --- the scan ------------------------------------------------------------------------------------------------


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


_BLOCK = "\u2588"  # stands in for what a pass found, so later passes neither see it nor shift positions


def scan(text: str, *, known: KnownPii = KnownPii(), today: dt.date | None = None) -> list[Hit]:
    """Every piece of personal data in ``text``, in the order of the passes: known values, names, patterns.

    What a pass found is blocked out (same length) before the next pass runs, so a name inside an e-mail
    address is reported once, as the address.
    """
    if not text:
        return []
    today = today or dt.date.today()
    hits: list[Hit] = []
    work = text

    def block(found: Iterable[Hit]) -> None:
        nonlocal work
        for hit in found:
            hits.append(Hit(hit.kind, hit.start, hit.end, text[hit.start : hit.end], hit.replacement))
            work = work[: hit.start] + _BLOCK * (hit.end - hit.start) + work[hit.end :]

    for kind, pattern, replacement in _known_patterns(known):
        block([Hit(kind, m.start(), m.end(), m.group(0), replacement) for m in pattern.finditer(work)])
    block(name_hits(work, known.names))
    for kind, pattern, keep in _pattern_passes(today):
        # Line by line: a pattern never spans lines ("6700" ending one line and "API drive." starting the
        # next are no street address; "HTTP 200" is no country code of a phone number on the next line).
        found, offset = [], 0
        for line in work.split("\n"):
            found.extend(
                Hit(kind, offset + m.start(), offset + m.end(), m.group(0))
                for m in pattern.finditer(line)
                if (keep is None or keep(m)) and _BLOCK not in m.group(0)
            )
            offset += len(line) + 1
        block(found)
    return sorted(hits, key=lambda h: h.start)


def replace_hits(text: str, hits: Iterable[Hit]) -> str:
    """Return ``text`` with each (non-overlapping) hit replaced by its replacement."""
    out, position = [], 0
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.start < position:
            continue
        out.append(text[position : hit.start])
        out.append(hit.replacement)
        position = hit.end
    out.append(text[position:])
    return "".join(out)


def redact(text: str, *, known: KnownPii = KnownPii(), today: dt.date | None = None) -> str:
    """Return ``text`` with every piece of personal data replaced by ``[redacted]`` (names of the customer
    and its companies by ``[customer]``)."""
    if not text:
        return ""
    return replace_hits(text, scan(text, known=known, today=today))


def find_pii(
    text: str,
    *,
    known: KnownPii = KnownPii(),
    allowed: Iterable[str] = (),
    today: dt.date | None = None,
) -> list[Finding]:
    """List the personal data in ``text``; what lies inside an ``allowed`` string (an ID, a URI the draft
    itself put there) is not reported."""
    if not text:
        return []
    allowed = [a for a in allowed if a]
    return [
        Finding(h.kind, h.text)
        for h in scan(text, known=known, today=today)
        if not any(h.text in a for a in allowed)
    ]

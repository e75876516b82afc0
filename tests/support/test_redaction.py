"""The redaction rules: table tests for what is scrubbed and what must survive."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.support.redaction import REDACTED, KnownPii, date_spellings, find_pii, redact

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Write to jane.doe+hr@acme-corp.com please", "jane.doe+hr@acme-corp.com"),
        ("call (555) 123-4567 after 5", "(555) 123-4567"),
        ("call 555-123-4567", "555-123-4567"),
        ("call 555.123.4567", "555.123.4567"),
        ("call +1 555 123 4567", "+1 555 123 4567"),
        ("mobile 5551234567.", "5551234567"),
        ("SSN 123-45-6789 on file", "123-45-6789"),
        ("SSN 123 45 6789 on file", "123 45 6789"),
        ("SSN 123456789 on file", "123456789"),
        ("SIN 123-456-789", "123-456-789"),
        ("DOB: 2001-02-03", "2001-02-03"),
        ("born on 03/04/1985", "03/04/1985"),
        ("birth date March 4, 1985", "March 4, 1985"),
        ("hired 1999-05-01 long ago", "1999-05-01"),
        ("lives at 42 Elm Street, Springfield", "42 Elm Street"),
        ("lives at 1600 N Pennsylvania Ave.", "1600 N Pennsylvania Ave"),
        ("mail to Springfield, IL 62704 office", "Springfield, IL 62704"),
        ("salary $52,000.00 per year", "$52,000.00"),
        ("rate 31.25 per hour", "31.25"),
        ("bonus USD 4,500", "USD 4,500"),
        ("annual 1,250,000", "1,250,000"),
    ],
)
def test_patterns_scrub_personal_data(text, secret):
    # when the text is redacted
    cleaned = redact(text, today=TODAY)
    # then the personal part is gone and marked
    assert secret not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "GET https://api.paylocity.com/api/v2/companies/6700/employees/123 returned 500",
        "status changed 2026-05-01 effective 2026-05-15",
        "at 2026-05-01T12:00:00Z the webhook arrived",
        "employee 1001 in company 6700 and 6701",
        "the code XT mapped to terminated",
        "retried 3 times in 10 minutes",
        "check date 05/15/2026",
    ],
)
def test_operational_text_survives(text):
    # given text with IDs, URIs, recent dates and timestamps, but no personal data
    # then nothing is redacted
    assert redact(text, today=TODAY) == text


def test_known_names_are_scrubbed_as_whole_words_in_any_case():
    # given an employee named Ann Lee
    known = KnownPii(names=["Ann Lee"])
    # when a note names her in several ways
    cleaned = redact("ANN said Lee, Ann called; annual review by ann lee", known=known, today=TODAY)
    # then every mention goes, but words that merely contain the name stay
    assert "ann" not in cleaned.lower().replace("annual", "")
    assert "Lee" not in cleaned
    assert "annual" in cleaned


def test_hyphenated_surnames_are_scrubbed_by_part():
    known = KnownPii(names=["Maria Garcia-Lopez"])
    cleaned = redact("spoke to Ms Lopez and Maria", known=known, today=TODAY)
    assert "Lopez" not in cleaned and "Maria" not in cleaned


def test_known_birth_date_is_scrubbed_in_every_usual_spelling_even_when_recent():
    # given a (recent) birth date that the age rule alone would keep
    born = dt.date(2020, 7, 9)
    known = KnownPii(birth_dates=[born])
    for spelling in date_spellings(born):
        # then each spelling is scrubbed
        assert spelling not in redact(f"dob is {spelling} ok", known=known, today=TODAY)


def test_company_names_are_scrubbed_only_as_whole_phrases():
    known = KnownPii(phrases=["Acme One"])
    cleaned = redact("Acme One payroll: one employee affected", known=known, today=TODAY)
    assert "Acme One" not in cleaned
    assert "one employee" in cleaned


def test_find_pii_names_the_kinds_and_skips_allowed_strings():
    # given a body with an allowed URI (it has a 9-digit employee ID) and a phone number
    uri = "https://api.example.com/employees/123456789"
    findings = find_pii(f"{uri}\ncall 555-123-4567", allowed=[uri], today=TODAY)
    # then only the phone is reported
    assert [f.kind for f in findings] == ["phone number"]
    assert findings[0].text == "555-123-4567"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.:/-_", max_size=80))
def test_text_without_digits_or_at_signs_is_unchanged(text):
    # no digits and no "@": no pattern can match, and nothing is known
    assert redact(text, today=TODAY) == text

"""The Level 2 draft (pure): seed 000's elements are all there, personal data never is."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apps.support.escalation import (
    EmployeeRef,
    LogLine,
    client_id_fragment,
    escalation_body_check,
    escalation_draft_build,
    escalation_subject,
    utc_iso,
)
from apps.support.redaction import KnownPii, date_spellings
from tests.support.escalation_data import AT, URI, make_input, national_ids, phones

BASELINE = escalation_draft_build(make_input())
STATIC_WORDS = {w.lower() for w in re.findall(r"[A-Za-z]+", BASELINE.subject + " " + BASELINE.body)} | {
    "redacted",
    "client",
}


def test_subject_is_seed_000s_with_short_name_and_our_company():
    assert BASELINE.subject == "PCTY x Payroll Integration Hub -- API Concerns"
    assert escalation_subject("PrismHR", "Acme Integrations") == "PrismHR x Acme Integrations -- API Concerns"


def test_draft_has_every_element_seed_000_lists():
    body = BASELINE.body
    # expected vs actual
    assert "EXPECTED result:" in body and "Employee 123 shows status T from 2026-05-15." in body
    assert "ACTUAL result:" in body and "The GET returns status A." in body
    # troubleshooting so far, ours and the customer's, with UTC ISO times
    assert "Our support team:\n  - 2026-05-30T14:05:09Z  Compared the GET with the provider screen." in body
    assert "The customer's team:\n  - 2026-05-30T14:10:09Z  Re-entered the termination." in body
    # the first 7 characters of the client ID
    assert "(first 7 characters): AbCdEfG" in body
    # company and employee IDs
    assert "Paylocity company IDs: 6700" in body
    assert "Employee IDs: 123 (company 6700)" in body
    # the request URI with its timestamp
    assert f"2026-05-30T14:05:09Z  GET {URI}  -> HTTP 200" in body
    # other event timestamps from our logs
    assert "2026-05-30T13:05:09Z  webhook event (processed) recorded" in body
    assert BASELINE.to == "webservices@paylocity.com"


def test_draft_never_names_the_reporter():
    # given a reporter whose name and e-mail were copied into the notes
    data = make_input(
        log=[LogLine(at=AT, text="Reported by Priya Raman (priya.raman@customer.example) from HR.")],
        known_pii=KnownPii(names=["Priya Raman"], emails=["priya.raman@customer.example"]),
    )
    body = escalation_draft_build(data).body
    assert "Priya" not in body and "Raman" not in body and "priya.raman" not in body


@pytest.mark.parametrize(
    ("end", "fragment"),
    [("first", "AbCdEfG"), ("last", "zyxwvut")],
)
def test_client_id_fragment_end_is_configurable(end, fragment):
    assert client_id_fragment("AbCdEfG-1234567-zyxwvut", end) == fragment
    body = escalation_draft_build(make_input(fragment_end=end)).body
    assert f"({end} 7 characters): {fragment}" in body


def test_utc_iso_converts_other_time_zones():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert utc_iso(dt.datetime(2026, 1, 1, 7, 0, tzinfo=eastern)) == "2026-01-01T12:00:00Z"


def test_the_generated_draft_passes_its_own_pii_check():
    assert escalation_body_check(BASELINE.body, make_input(), BASELINE) == []


def test_an_edited_body_with_more_of_the_client_id_is_flagged():
    data = make_input()
    findings = escalation_body_check(BASELINE.body + "\nfull id AbCdEfG-1234567-zyxwvut", data, BASELINE)
    assert any("client ID" in f.kind for f in findings)


# --- the property ---------------------------------------------------------------------------------------

FIRST_NAMES = ["Ada", "Grace", "Jose", "Mei", "Olu", "Siobhan", "Zoe", "Ahmed", "Lukas", "Anna-Lena"]
LAST_NAMES = ["Lovelace", "Hopper", "Nakamura", "O'Brien", "Okafor", "Garcia-Lopez", "Smith", "Ng"]
name_part = st.one_of(
    st.sampled_from(FIRST_NAMES + LAST_NAMES), st.from_regex(r"[A-Z][a-z]{2,11}", fullmatch=True)
)
STREETS = ["Street", "St", "Avenue", "Ave", "Road", "Lane", "Drive", "Blvd", "Court", "Way"]


@st.composite
def addresses(draw):
    number = draw(st.integers(1, 99999))
    street = draw(st.from_regex(r"[A-Z][a-z]{3,10}", fullmatch=True))
    suffix = draw(st.sampled_from(STREETS))
    city = draw(st.from_regex(r"[A-Z][a-z]{3,10}", fullmatch=True))
    state = draw(st.sampled_from(["IL", "NY", "TX", "CA", "WA"]))
    zip_code = draw(st.integers(10000, 99999))
    return f"{number} {street} {suffix}", f"{city}, {state} {zip_code}"


@st.composite
def pay_amounts(draw):
    amount = draw(st.integers(1000, 500000))
    cents = draw(st.integers(0, 99))
    style = draw(st.sampled_from(["dollar", "plain", "usd"]))
    return {
        "dollar": f"${amount:,}.{cents:02d}",
        "plain": f"{amount}.{cents:02d}",
        "usd": f"USD {amount:,}",
    }[style]


@st.composite
def employees(draw):
    first, last = draw(name_part), draw(name_part)
    born = draw(st.dates(dt.date(1935, 1, 1), dt.date(2008, 12, 31)))
    return {
        "first": first,
        "last": last,
        "email": draw(st.emails()),
        "national_id": draw(national_ids()),
        "birth_date": born,
        "birth_written": draw(st.sampled_from(sorted(date_spellings(born)))),
        "dob_context": draw(st.sampled_from(["DOB", "born", "birth date", "", "record shows"])),
        "phone": draw(phones()),
        "address": draw(addresses()),
        "pay": draw(pay_amounts()),
        "company_id": draw(st.from_regex(r"[1-9][0-9]{3,5}", fullmatch=True)),
        "employee_id": draw(st.from_regex(r"E?[1-9][0-9]{2,5}", fullmatch=True)),
    }


def _free_text(people) -> tuple[str, str, list[LogLine]]:
    expected = " ".join(f"{p['first']} {p['last']} <{p['email']}> should show terminated." for p in people)
    actual = " ".join(
        f"Record of {p['last']}, {p['first']}: SSN {p['national_id']}, {p['dob_context']} {p['birth_written']}, "
        f"phone {p['phone']}, lives at {p['address'][0]}, {p['address'][1]}, paid {p['pay']} per year."
        for p in people
    )
    log = [
        LogLine(at=AT, text=f"Called {p['first']} on {p['phone']} and wrote to {p['email']}.") for p in people
    ] + [
        LogLine(at=AT, text=f"Customer HR checked {p['last']}'s record ({p['pay']}).", customer=True)
        for p in people
    ]
    return expected, actual, log


def _leaks(body: str, person) -> list[str]:
    leaks = []
    for name in (person["first"], person["last"], *re.split(r"[-']", person["last"])):
        if len(name) >= 2 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", body, re.IGNORECASE):
            leaks.append(name)
    digits = re.sub(r"\D", "", person["national_id"])
    values = [
        person["email"],
        person["national_id"],
        digits,
        person["phone"],
        re.sub(r"\D", "", person["phone"])[-10:],
        person["address"][0],
        person["address"][1],
        person["pay"],
        *date_spellings(person["birth_date"]),
    ]
    leaks.extend(v for v in values if v and v in body)
    return leaks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(employees(), min_size=1, max_size=3),
    client_id=st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=8, max_size=40),
    end=st.sampled_from(["first", "last"]),
    known=st.booleans(),
)
def test_draft_holds_no_personal_data_and_exactly_one_client_id_fragment(people, client_id, end, known):
    # given employees whose personal data was pasted into every free text of the ticket
    for p in people:
        for word in (p["first"], p["last"], *re.split(r"[-']", p["last"])):
            assume(word.lower() not in STATIC_WORDS)
    fragment = client_id_fragment(client_id, end)
    assume(not any(fragment.lower() in (p["first"] + p["last"]).lower() for p in people))
    expected, actual, log = _free_text(people)
    # and the values are known to the draft (linked employees) or, in the other half, only the names and
    # e-mails are (what the hub stores) and the patterns must catch the rest
    known_pii = KnownPii(
        names=[f"{p['first']} {p['last']}" for p in people],
        emails=[p["email"] for p in people],
        national_ids=[p["national_id"] for p in people] if known else (),
        birth_dates=[p["birth_date"] for p in people] if known else (),
        phones=[p["phone"] for p in people] if known else (),
        addresses=[", ".join(p["address"]) for p in people] if known else (),
        pay_amounts=[p["pay"] for p in people] if known else (),
    )
    data = make_input(
        title=f"{people[0]['last']} still active",
        expected_result=expected,
        actual_result=actual,
        log=log,
        client_id=client_id,
        fragment_end=end,
        company_ids=[p["company_id"] for p in people],
        employees=[EmployeeRef(company_id=p["company_id"], employee_id=p["employee_id"]) for p in people],
        known_pii=known_pii,
    )
    # when the draft is built
    draft = escalation_draft_build(data)
    text = draft.subject + "\n" + draft.body
    # then no personal value of any employee appears
    for p in people:
        assert _leaks(text, p) == []
    # and the configured 7-character fragment names the client ID, and no run of 8 or more of its characters
    # appears (a run that is also the draft's own wording, like "Employee" of "Employee IDs", is no piece of
    # the ID; the request URIs are quoted as sent, seed 000)
    wording = escalation_draft_build(make_input(title="x", client_id="~" * len(client_id), fragment_end=end))
    own_words = wording.subject + "\n" + wording.body
    assert f"7 characters): {fragment}\n" in draft.body
    outside_uris = "\n".join(line for line in text.splitlines() if "://" not in line)
    runs = {client_id[i : i + 8] for i in range(len(client_id) - 7)}
    assert {r for r in runs if r in outside_uris and r not in own_words} == set()
    # and the IDs Level 2 needs are all there
    for p in people:
        assert p["company_id"] in draft.body and p["employee_id"] in draft.body
    # and the draft passes the check an edited body goes through
    assert escalation_body_check(draft.body, data, draft) == []


def test_request_uris_stay_verbatim_even_when_the_client_id_shares_a_word_with_them():
    # given a client ID one of whose 7-character windows is "employe", as in ".../employees/..."
    assert "/employees/" in URI
    draft = escalation_draft_build(make_input(client_id="employe000"))
    # then the request URI is quoted exactly as sent, and the ID is still named by its fragment only
    assert URI in draft.body
    assert "): employe\n" in draft.body

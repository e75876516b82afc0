"""The plain data a Level 2 draft is built from, for the pure escalation tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from apps.support.escalation import ApiCallLine, EmployeeRef, EscalationInput, EventLine, LogLine

TODAY = dt.date(2026, 6, 1)
AT = dt.datetime(2026, 5, 30, 14, 5, 9, tzinfo=dt.UTC)
URI = "https://api.paylocity.com/api/v2/companies/6700/employees/123"


def make_input(**overrides) -> EscalationInput:
    values = {
        "ticket_id": 42,
        "provider_name": "Paylocity",
        "provider_short_name": "PCTY",
        "our_company_name": "Payroll Integration Hub",
        "to_address": "webservices@paylocity.com",
        "category_label": "Incorrect data on feed: pull",
        "title": "Terminated employee still active in the feed",
        "expected_result": "Employee 123 shows status T from 2026-05-15.",
        "actual_result": "The GET returns status A.",
        "client_id": "AbCdEfG-1234567-zyxwvut",
        "fragment_end": "first",
        "log": [
            LogLine(at=AT, text="Compared the GET with the provider screen."),
            LogLine(at=AT + dt.timedelta(minutes=5), text="Re-entered the termination.", customer=True),
        ],
        "company_ids": ["6700"],
        "employees": [EmployeeRef(company_id="6700", employee_id="123")],
        "api_calls": [ApiCallLine(method="GET", uri=URI, status=200, at=AT)],
        "events": [EventLine(label="webhook event (processed) recorded", at=AT - dt.timedelta(hours=1))],
        "today": TODAY,
    }
    values.update(overrides)
    return EscalationInput(**values)


@st.composite
def national_ids(draw):
    digits = draw(st.from_regex(r"[1-8][0-9]{8}", fullmatch=True))
    style = draw(st.sampled_from(["dashed", "spaced", "plain"]))
    return {
        "dashed": f"{digits[:3]}-{digits[3:5]}-{digits[5:]}",
        "spaced": f"{digits[:3]} {digits[3:5]} {digits[5:]}",
        "plain": digits,
    }[style]


@st.composite
def phones(draw):
    area = draw(st.integers(201, 989))
    mid = draw(st.integers(200, 999))
    end = draw(st.integers(0, 9999))
    style = draw(st.sampled_from(["paren", "dash", "dot", "intl", "plain"]))
    return {
        "paren": f"({area}) {mid}-{end:04d}",
        "dash": f"{area}-{mid}-{end:04d}",
        "dot": f"{area}.{mid}.{end:04d}",
        "intl": f"+1 {area} {mid} {end:04d}",
        "plain": f"{area}{mid}{end:04d}",
    }[style]

"""The data an escalation is gathered from, end to end from the database."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apps.support import selectors, services
from apps.support.escalation import client_id_fragment, escalation_draft_build
from apps.support.models import Category
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory
from tests.support.factories import ApiCallFactory, EmployeeFactory, PersonFactory, TicketFactory
from tests.support.test_escalation import make_input  # imported at the top: a @given inside @given fails

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
name_part = st.from_regex(r"[A-Z][a-z]{3,11}", fullmatch=True)
STATIC = {
    "paylocity",
    "payroll",
    "integration",
    "hub",
    "concern",
    "expected",
    "actual",
    "result",
    "support",
    "team",
    "company",
    "employee",
    "client",
    "redacted",
    "customer",
    "regards",
    "hello",
    "status",
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=name_part,
    last=name_part,
    email_user=st.from_regex(r"[a-z][a-z0-9.]{2,12}", fullmatch=True),
    ssn=st.from_regex(r"[1-8][0-9]{2}-[0-9]{2}-[0-9]{4}", fullmatch=True),
    born=st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31)),
    phone=st.from_regex(r"\([2-9][0-9]{2}\) [2-9][0-9]{2}-[0-9]{4}", fullmatch=True),
    street=st.from_regex(r"[1-9][0-9]{0,4} [A-Z][a-z]{3,9} (Street|Avenue|Road|Lane)", fullmatch=True),
    pay=st.integers(20_000, 400_000),
    client_id=st.text(alphabet=string.ascii_letters + string.digits, min_size=10, max_size=32),
)
def test_draft_from_a_ticket_holds_no_personal_data_of_its_employees(
    customer, first, last, email_user, ssn, born, phone, street, pay, client_id
):
    assume(first.lower() not in STATIC and last.lower() not in STATIC)
    n = next(_serial)
    # given a connection, a company and an employee (with a person) linked to a ticket
    company = CompanyFactory(company_set=CompanySetFactory(customer=customer), external_id=f"{7000 + n}")
    conn = ConnectionFactory(customer=customer, client_id=client_id)
    conn.companies.add(company)
    email = f"{email_user}@corp{n}.example"
    person = PersonFactory(customer=customer, display_name=f"{first} {last}", work_email=email)
    employee = EmployeeFactory(
        company=company,
        employee_id=f"E{n}",
        first_name=first,
        last_name=last,
        work_email=email,
        person=person,
    )
    ticket = services.ticket_create(
        customer=customer,
        title=f"{last} shows active",
        category=Category.FEED_PULL,
        companies=[company],
        employees=[employee],
        connection=conn,
        reporter_name="Morgan Reporter",
        reporter_email="morgan@customer.example",
        expected_result=f"{first} {last} ({email}) terminated.",
        actual_result=f"SSN {ssn}, DOB {born:%m/%d/%Y}, phone {phone}, home {street}, salary ${pay:,}.00",
    )
    services.ticket_log_add(ticket=ticket, text=f"Called {first} at {phone}; Morgan confirmed.")
    services.ticket_log_add(
        ticket=ticket, text=f"HR re-keyed {last}, born {born.isoformat()}", customer_troubleshooting=True
    )
    call = ApiCallFactory(
        connection=conn,
        uri=f"https://api.paylocity.com/api/v2/companies/{company.external_id}/employees/E{n}",
    )
    services.ticket_evidence_attach(ticket=ticket, item=call)
    # when the draft is built from the database
    draft = selectors.escalation_draft_for(ticket)
    text = draft.subject + "\n" + draft.body
    # then none of the employee's or the reporter's personal data is in it
    for word in (first, last, "Morgan", "Reporter"):
        assert not re.search(rf"(?<!\w){word}(?!\w)", text, re.IGNORECASE), word
    for value in (
        email,
        "morgan@customer.example",
        ssn,
        phone,
        street,
        f"{pay:,}",
        born.isoformat(),
        f"{born:%m/%d/%Y}",
        customer.name,
    ):
        assert value not in text, value
    # and exactly one 7-character fragment of the client ID, the first by default (a window that is also a
    # piece of the draft's own wording, like "calatin" of "escalating", is not a piece of the ID)
    wording = escalation_draft_build(make_input(client_id="~" * len(client_id)))
    own_words = wording.subject + "\n" + wording.body
    # the request URIs are quoted as sent (seed 000): a window of the client ID inside one is not a leak
    own_words += "\n" + "\n".join(line for line in text.splitlines() if "://" in line)
    fragment = client_id_fragment(client_id, "first")
    windows = {client_id[i : i + 7] for i in range(len(client_id) - 6)}
    assert {w for w in windows if w in text and (w == fragment or w not in own_words)} == {fragment}
    # and the IDs and the request URI are there
    assert company.external_id in draft.body and f"E{n} (company {company.external_id})" in draft.body
    assert call.uri in draft.body


def test_connection_is_found_from_the_tickets_companies(customer, company):
    conn = ConnectionFactory(customer=customer, client_id="XYZ1234567")
    conn.companies.add(company)
    ConnectionFactory(customer=customer)
    ticket = TicketFactory(customer=customer)
    ticket.companies.add(company)
    data = selectors.escalation_input_for(ticket)
    assert data.client_id == "XYZ1234567"
    assert data.provider_short_name == "PCTY"


def test_prismhr_uses_its_short_name_and_configured_address(customer):
    services.support_settings_update(prismhr_support_email="l2@prismhr.example")
    company = CompanyFactory(company_set=CompanySetFactory(customer=customer, provider="prismhr"))
    conn = ConnectionFactory(customer=customer, provider="prismhr", client_id="", username="apiuser-prism-01")
    conn.companies.add(company)
    ticket = TicketFactory(customer=customer, connection=conn)
    draft = selectors.escalation_draft_for(ticket)
    assert draft.subject == "PrismHR x Payroll Integration Hub -- API Concerns"
    assert draft.to == "l2@prismhr.example"
    assert "apiuser" in draft.body and "apiuser-prism" not in draft.body


def test_tickets_for_scopes_to_the_users_customers(customer, other_customer, outsider, support_agent):
    mine = TicketFactory(customer=customer)
    TicketFactory(customer=other_customer)
    assert list(selectors.tickets_for(support_agent)) == [mine]
    assert mine not in selectors.tickets_for(outsider)

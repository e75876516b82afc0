"""The admin explains every action (its cause, linked; its driving events) and every person's downstream state.

Rows are written directly with factories: these tests are about what the admin shows, not how the engine
decides.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.employees.models import ChangeBatch, DownstreamTarget, FileImport
from apps.mappings.models import FilterRule, StatusMapping
from tests.employees.factories import (
    DownstreamActionFactory,
    EmployeeFactory,
    PersonFactory,
    StatusEventFactory,
)
from tests.integrations.factories import ConnectionFactory, SyncRunFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

ACTIONS = "/admin/employees/downstreamaction/"
PERSONS = "/admin/employees/person/"


@pytest.fixture
def transfer(customer, company, company_b):
    """Ada moved from 123 to 456: a transfer driven by the XT in 123 and the hire in 456, from a file."""
    ada = PersonFactory(customer=customer, display_name="Ada Lovelace")
    old = EmployeeFactory(company=company, employee_id="1001", person=ada)
    new = EmployeeFactory(company=company_b, employee_id="2001", person=ada)
    xt = StatusEventFactory(
        employee=old, code="XT", status_type="terminated", effective_date=dt.date(2026, 2, 1)
    )
    hire = StatusEventFactory(employee=new, code="A", effective_date=dt.date(2026, 2, 1))
    upload = FileImport.objects.create(customer=customer, filename="moves.csv")
    action = DownstreamActionFactory(
        person=ada,
        employee=new,
        company=company_b,
        action="transfer",
        effective_date=dt.date(2026, 2, 1),
        seq=2,
        cause_type="file_import",
        cause_id=str(upload.pk),
        events=[xt, hire],
    )
    return {"person": ada, "action": action, "upload": upload, "old": old, "new": new}


def test_action_page_links_its_cause_and_lists_its_driving_events(client, consultant, transfer):
    # given Ada's transfer from 123 to 456, caused by a file import and driven by her XT and her hire
    client.force_login(consultant)
    action = transfer["action"]
    # when the consultant opens the transfer's page
    response = client.get(f"{ACTIONS}{action.pk}/change/")
    # then it links the file import and both events' records, oldest first, and offers no event picker
    assert response.status_code == 200
    html = response.content.decode()
    upload_url = f"/admin/employees/fileimport/{transfer['upload'].pk}/change/"
    assert f'<a href="{upload_url}">File import {transfer["upload"].pk}</a>' in html
    assert (
        f'<a href="/admin/employees/employee/{transfer["old"].pk}/change/">123/1001</a>: XT (Terminated)'
        in html
    )
    assert (
        f'<a href="/admin/employees/employee/{transfer["new"].pk}/change/">456/2001</a>: A (Active)' in html
    )
    assert html.index("123/1001</a>: XT") < html.index("456/2001</a>: A")  # oldest first, as they happened
    assert 'name="events"' not in html  # never a picker over every status event


@pytest.mark.parametrize(
    ("cause_type", "make", "url"),
    [
        (
            "sync_run",
            lambda c: SyncRunFactory(connection=ConnectionFactory(customer=c)),
            "integrations/syncrun",
        ),
        (
            "webhook_event",
            lambda c: WebhookEventFactory(connection=ConnectionFactory(customer=c)),
            "integrations/webhookevent",
        ),
        ("approval", lambda c: ChangeBatch.objects.create(customer=c, cause="x"), "employees/changebatch"),
        (
            "policy",
            lambda c: DownstreamTarget.objects.create(customer=c, signing_secret="whsec_x"),
            "employees/downstreamtarget",
        ),
        (
            "mapping",
            lambda c: StatusMapping.objects.create(
                company_set=c.company_sets.get(), code="S", status_type="terminated"
            ),
            "mappings/statusmapping",
        ),
        (
            "filter_rule",
            lambda c: FilterRule.objects.create(
                company_set=c.company_sets.get(), field="employment_type", operator="in", values=["RFT"]
            ),
            "mappings/filterrule",
        ),
    ],
)
def test_each_kind_of_cause_links_to_its_object(client, admin_user, customer, company, cause_type, make, url):
    # given an action caused by an object of this kind
    cause = make(customer)
    action = DownstreamActionFactory(
        person=PersonFactory(customer=customer), cause_type=cause_type, cause_id=str(cause.pk)
    )
    # when the admin opens the action's page and the action list
    client.force_login(admin_user)
    # then both link the cause to its admin page
    html = client.get(f"{ACTIONS}{action.pk}/change/").content.decode()
    assert f'href="/admin/{url}/{cause.pk}/change/"' in html
    changelist = client.get(ACTIONS).content.decode()
    assert f'href="/admin/{url}/{cause.pk}/change/"' in changelist


def test_a_schedule_cause_shows_the_schedule_name_without_a_link(client, admin_user, customer):
    # given an action withdrawn by the transfer-window schedule
    action = DownstreamActionFactory(
        person=PersonFactory(customer=customer),
        cause_type="schedule",
        cause_id="employees.expire_transfer_windows",
        withdrawn_reason="rehired before delivery",
        state="superseded",
    )
    # when the admin opens its page
    client.force_login(admin_user)
    html = client.get(f"{ACTIONS}{action.pk}/change/").content.decode()
    # then it names the schedule unlinked, gives the reason, says no events drove it, and offers no picker
    assert "Schedule employees.expire_transfer_windows" in html
    assert "rehired before delivery" in html
    assert "none recorded" in html  # no driving events
    assert 'name="events"' not in html  # even for who may change actions: never a picker over every event


def test_action_changelist_filters_on_cause_type_and_state_and_searches_the_cause_id(
    client, admin_user, customer
):
    # given actions caused by a schedule and by two file imports, one of them superseded
    person = PersonFactory(customer=customer)
    DownstreamActionFactory(person=person, seq=1, cause_type="schedule", cause_id="employees.drain_outbox")
    DownstreamActionFactory(person=person, seq=2, cause_type="file_import", cause_id="77", state="superseded")
    DownstreamActionFactory(person=person, seq=3, cause_type="file_import", cause_id="78")
    client.force_login(admin_user)

    def count(query: str) -> int:
        response = client.get(f"{ACTIONS}?{query}")
        assert response.status_code == 200
        return response.context["cl"].result_count

    # when the list is filtered by cause type or state, or searched by cause id, then each counts its matches
    assert count("cause_type__exact=file_import") == 2
    assert count("cause_type__exact=schedule") == 1
    assert count("state__exact=superseded") == 1
    assert count("q=77") == 1


def test_action_changelist_queries_stay_flat(
    client, consultant, customer, company, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given the consultant signed in
    client.force_login(consultant)
    counts = []
    # when the action list is read with 3 actions and then with 30
    for added in (3, 27):
        for _ in range(added):
            person = PersonFactory(customer=customer)
            DownstreamActionFactory(
                person=person, employee=EmployeeFactory(company=company, person=person), cause_type="sync_run"
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ACTIONS)
        assert response.status_code == 200
        counts.append(len(queries))
    # then both reads take the same number of queries, within a fixed budget
    assert counts[0] == counts[1] <= 12  # the same at 3 and 30 actions (scoped list filters included)


# --- the person page ----------------------------------------------------------------------------------------


def test_person_page_shows_desired_against_last_told_and_the_open_transfer_window(
    client, consultant, transfer, company
):
    # given Ada last told provisioned in 123, now transferring with a window that ends in 3 days
    ada = transfer["person"]
    today = timezone.localdate()
    ada.downstream_access = "provisioned"
    ada.downstream_company = company
    ada.downstream_since = dt.date(2026, 1, 5)
    ada.desired_access = "transferring"
    ada.desired_since = today - dt.timedelta(days=4)
    ada.transfer_until = today + dt.timedelta(days=3)
    ada.save()
    DownstreamActionFactory(
        person=ada, seq=1, action="provision", key="ada-first", cause_type="sync_run", cause_id="5"
    )
    DownstreamActionFactory(
        person=ada,
        seq=3,
        action="deprovision",
        key="ada-third",
        state="superseded",
        withdrawn_reason="hired in 456",
    )
    client.force_login(consultant)
    # when the person's page is opened
    response = client.get(f"{PERSONS}{ada.pk}/change/")
    # then desired and last-told state, the window and its deadline, and the actions newest first
    assert response.status_code == 200
    html = response.content.decode()
    desired_since = (today - dt.timedelta(days=4)).isoformat()
    assert f"Transferring (grace window open: the downstream keeps its state) since {desired_since}" in html
    assert "Provisioned in 123 since 2026-01-05" in html
    assert (
        f"open: opened {desired_since}, deadline {(today + dt.timedelta(days=3)).isoformat()} (3 day(s) left)"
        in html
    )
    rows = [html.index(f">{word}<") for word in ("Deprovision", "Transfer", "Provision")]
    assert rows == sorted(rows)  # seq 3, 2, 1
    assert "hired in 456" in html
    assert f'href="/admin/employees/fileimport/{transfer["upload"].pk}/change/"' in html
    assert 'name="desired_access"' not in html and 'name="downstream_access"' not in html  # never edited raw


def test_person_page_of_a_person_in_step_without_window(client, admin_user, customer):
    # given a person already deprovisioned, as desired
    person = PersonFactory(
        customer=customer, downstream_access="deprovisioned", desired_access="deprovisioned"
    )
    # when the admin opens the person's page
    client.force_login(admin_user)
    html = client.get(f"{PERSONS}{person.pk}/change/").content.decode()
    # then no transfer window is open and the downstream is in step
    assert "none open" in html
    assert ">yes<" in html


def test_person_page_of_a_person_never_reconciled(client, admin_user, customer):
    # given a person the hub has never told the downstream about
    person = PersonFactory(customer=customer)
    # when the admin opens the person's page
    client.force_login(admin_user)
    html = client.get(f"{PERSONS}{person.pk}/change/").content.decode()
    # then it says the person is not reconciled yet and was never told
    assert "not reconciled yet" in html and "Never told" in html


def test_person_page_queries_do_not_grow_with_its_actions(
    client, consultant, customer, company, django_assert_max_num_queries
):
    # given a person with one record in the company
    person = PersonFactory(customer=customer, downstream_company=company)
    EmployeeFactory(company=company, person=person)
    client.force_login(consultant)
    seq = 0
    # when the person's page is read with 3 and then 30 actions, then each read stays in one query budget
    for added in (3, 27):
        for _ in range(added):
            seq += 1
            DownstreamActionFactory(
                person=person, seq=seq, company=company, cause_type="file_import", cause_id="9"
            )
        with django_assert_max_num_queries(12):  # the same at 3 and 30 actions
            response = client.get(f"{PERSONS}{person.pk}/change/")
        assert response.status_code == 200


@pytest.mark.parametrize("page", ["action", "person"])
def test_a_user_of_another_customer_cannot_see_these_pages(client, outsider, transfer, page):
    # given Ada's transfer, of a customer the outsider does not serve
    # when the outsider opens the action or person list and the page itself
    client.force_login(outsider)
    pk = transfer["action"].pk if page == "action" else transfer["person"].pk
    base = ACTIONS if page == "action" else PERSONS
    changelist = client.get(base)
    # then the list is empty and the page is treated as absent
    assert changelist.status_code == 200 and changelist.context["cl"].result_count == 0
    assert client.get(f"{base}{pk}/change/").status_code == 302  # "does not exist" redirect

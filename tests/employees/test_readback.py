"""Reading back in bulk: status events across employees, persons' ledger state, actions with their cause.

Rows are written directly with factories: these tests are about what the API shows and filters, not about
how the engine decides.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from apps.employees.models import ChangeBatch, DownstreamAction
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.employees.factories import (
    DownstreamActionFactory,
    EmployeeFactory,
    PersonFactory,
    StatusEventFactory,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@pytest.fixture
def world(customer, company, company_b, other_customer):
    """Acme: one person with records in 123 and 456, a second person in a second set; Globex: one of its own."""
    ada = PersonFactory(customer=customer, display_name="Ada")
    e123 = EmployeeFactory(company=company, employee_id="1001", person=ada)
    e456 = EmployeeFactory(company=company_b, employee_id="2001", person=ada)
    second_set = CompanySetFactory(customer=customer, name="Acme second set")
    c789 = CompanyFactory(company_set=second_set, external_id="789")
    bob = PersonFactory(customer=customer, display_name="Bob", status_type="terminated")
    e789 = EmployeeFactory(company=c789, employee_id="3001", person=bob)
    globex_company = CompanyFactory(company_set=CompanySetFactory(customer=other_customer), external_id="900")
    gus = PersonFactory(customer=other_customer, display_name="Gus")
    e900 = EmployeeFactory(company=globex_company, employee_id="1001", person=gus)
    events = {
        "hire_123": StatusEventFactory(
            employee=e123, code="A", effective_date=dt.date(2026, 1, 5), recorded_at=_at(0)
        ),
        "xt_123": StatusEventFactory(
            employee=e123,
            code="XT",
            status_type="terminated",
            effective_date=dt.date(2026, 2, 1),
            recorded_at=_at(2),
            transition="transfer_out",
        ),
        "hire_456": StatusEventFactory(
            employee=e456, code="A", effective_date=dt.date(2026, 2, 1), recorded_at=_at(3)
        ),
        "term_789": StatusEventFactory(
            employee=e789,
            code="T",
            status_type="terminated",
            effective_date=dt.date(2026, 2, 10),
            recorded_at=_at(1),
            transition="termination",
            source="sync",
        ),
        "globex": StatusEventFactory(employee=e900, code="A", recorded_at=_at(4)),
    }
    return {"ada": ada, "bob": bob, "gus": gus, "second_set": second_set, "events": events}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- status-events ------------------------------------------------------------------------------------------


def test_status_events_list_every_visible_event_newest_recorded_first_with_its_record(api, world, consultant):
    # given Acme's people with events on three records, and Globex's own event
    ev = world["events"]
    # when the consultant lists the status events
    response = api(consultant).get("/api/v1/status-events/")
    # then Acme's events come newest recorded first, each with its record, company and person
    assert _ids(response) == [ev["hire_456"].pk, ev["xt_123"].pk, ev["term_789"].pk, ev["hire_123"].pk]
    xt = response.json()["results"][1]
    assert xt == {
        "id": ev["xt_123"].pk,
        "code": "XT",
        "status_type": "terminated",
        "effective_date": "2026-02-01",
        "recorded_at": "2026-03-01T11:00:00Z",
        "source": "file",
        "cause": "",
        "change_reason": "",
        "transition": "transfer_out",
        "retroactive": False,
        "held": False,
        "released_at": None,
        "employee": ev["xt_123"].employee_id,
        "company_external_id": "123",
        "employee_id": "1001",
        "person": world["ada"].pk,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("company_external_id=123", ["xt_123", "hire_123"]),
        ("employee_id=2001", ["hire_456"]),
        ("person={bob}", ["term_789"]),
        ("company_set={second_set}", ["term_789"]),
        ("customer={customer}", ["hire_456", "xt_123", "term_789", "hire_123"]),
        ("recorded_after=2026-03-01T10:00:00Z", ["globex", "hire_456", "xt_123", "term_789"]),
        ("recorded_after=2026-03-01T11:00:00Z&company_external_id=123", ["xt_123"]),
    ],
)
def test_status_events_filters(api, world, admin_user, customer, query, expected):
    # given an admin, who sees every customer (Globex's 1001 shares an employee ID with Acme's)
    query = query.format(bob=world["bob"].pk, second_set=world["second_set"].pk, customer=customer.pk)
    # when filtering
    response = api(admin_user).get(f"/api/v1/status-events/?{query}")
    # then exactly the matching events, newest recorded first
    assert _ids(response) == [world["events"][name].pk for name in expected]


def test_status_events_employee_id_filter_spans_customers_only_for_who_sees_them(api, world, admin_user):
    # given an employee id 1001 used by Acme and by Globex
    # when an admin of every customer filters status events by that id
    ids = _ids(api(admin_user).get("/api/v1/status-events/?employee_id=1001"))
    # then the events of both customers' records are listed
    assert ids == [world["events"][n].pk for n in ("globex", "xt_123", "hire_123")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("recorded_after=yesterday", "recorded_after"),
        ("person=abc", "person"),
        ("company_set=999999", "company_set"),
        ("customer=999999", "customer"),
    ],
)
def test_status_events_bad_filter_values_are_a_400_naming_the_parameter(api, world, consultant, query, field):
    response = api(consultant).get(f"/api/v1/status-events/?{query}")
    assert response.status_code == 400
    assert field in response.json()["message"]
    assert field in response.json()["extra"]["fields"]


def test_a_customer_filter_naming_another_customer_is_refused(api, world, outsider, customer):
    # given a user of another customer
    # when that user filters status events by this customer
    response = api(outsider).get(f"/api/v1/status-events/?customer={customer.pk}")
    # then the filter is refused as naming the customer field
    assert response.status_code == 400
    assert "customer" in response.json()["extra"]["fields"]


def test_status_events_are_read_only(api, world, admin_user):
    # given a hire event
    event = world["events"]["hire_123"]
    # when an admin reads it, then it is there
    client = api(admin_user)
    assert client.get(f"/api/v1/status-events/{event.pk}/").json()["code"] == "A"
    # when an admin creates, changes or deletes an event, then the method is not allowed
    assert client.post("/api/v1/status-events/", {"code": "T"}, format="json").status_code == 405
    assert client.patch(f"/api/v1/status-events/{event.pk}/", {"code": "T"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/status-events/{event.pk}/").status_code == 405


PERMISSIONS = {
    "anonymous": 401,
    "no_role_user": 403,
    "support_agent": 200,
    "consultant": 200,
    "admin_user": 200,
}


@pytest.mark.parametrize("persona", list(PERMISSIONS))
def test_status_events_permission_table(request, api, world, persona):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    assert api(user).get("/api/v1/status-events/").status_code == PERMISSIONS[persona]


def test_status_events_need_the_view_permission_of_status_events(api, world, no_role_user):
    # given a user of the customer with no role: refused
    assert api(no_role_user).get("/api/v1/status-events/").status_code == 403
    # when granted exactly view_statusevent
    no_role_user.user_permissions.add(Permission.objects.get(codename="view_statusevent"))
    no_role_user = type(no_role_user).objects.get(pk=no_role_user.pk)  # drop the permission cache
    # then the customer's events are readable
    assert len(_ids(api(no_role_user).get("/api/v1/status-events/"))) == 4


@pytest.mark.parametrize("resource", ["status-events", "persons", "downstream-actions"])
def test_a_user_of_another_customer_sees_none_of_these_rows(api, world, outsider, consultant, resource):
    # given an action for each customer
    DownstreamActionFactory(person=world["ada"])
    DownstreamActionFactory(person=world["gus"])
    own = api(consultant).get(f"/api/v1/{resource}/").json()["results"]
    assert own  # the consultant of Acme sees Acme's rows ...
    # ... the outsider (Globex) sees only Globex's, never one of Acme's
    seen = {row["id"] for row in api(outsider).get(f"/api/v1/{resource}/?page_size=500").json()["results"]}
    assert seen and seen.isdisjoint({row["id"] for row in own})
    assert api(outsider).get(f"/api/v1/{resource}/{own[0]['id']}/").status_code == 404


# --- persons ------------------------------------------------------------------------------------------------


def test_person_shows_last_told_desired_state_and_transfer_window(api, world, consultant, company):
    # given Ada last told provisioned in 123, now transferring with a window until 8 February
    ada = world["ada"]
    ada.downstream_access = "provisioned"
    ada.downstream_company = company
    ada.downstream_since = dt.date(2026, 1, 5)
    ada.desired_access = "transferring"
    ada.desired_since = dt.date(2026, 2, 1)
    ada.transfer_until = dt.date(2026, 2, 8)
    ada.save()
    # when the consultant reads her
    body = api(consultant).get(f"/api/v1/persons/{ada.pk}/").json()
    # then the last-told and desired states, the window's end and both her records are shown
    assert body["downstream_state"] == {
        "access": "provisioned",
        "company_external_id": "123",
        "since": "2026-01-05",
    }
    assert body["desired_state"] == {"access": "transferring", "since": "2026-02-01"}
    assert body["transfer_window_until"] == "2026-02-08"
    assert sorted(e["employee_id"] for e in body["employees"]) == ["1001", "2001"]


def test_a_person_never_reconciled_reads_as_never_told_and_no_desired_state(api, world, consultant):
    # given Bob, whom the downstream was never told about
    # when the consultant reads him
    body = api(consultant).get(f"/api/v1/persons/{world['bob'].pk}/").json()
    # then he reads as never told, with no desired state and no window
    assert body["downstream_state"] == {"access": "none", "company_external_id": None, "since": None}
    assert body["desired_state"] == {"access": None, "since": None}
    assert body["transfer_window_until"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("customer={customer}", ["Ada", "Bob"]),
        ("company_set={second_set}", ["Bob"]),
        ("company_set={first_set}", ["Ada"]),
        ("status_type=terminated", ["Bob"]),
        ("status_type=active&customer={customer}", ["Ada"]),
    ],
)
def test_persons_filters(api, world, admin_user, customer, company_set, query, expected):
    query = query.format(customer=customer.pk, second_set=world["second_set"].pk, first_set=company_set.pk)
    rows = api(admin_user).get(f"/api/v1/persons/?{query}").json()["results"]
    assert [r["display_name"] for r in rows] == expected


def test_persons_company_set_filter_lists_a_person_once_however_many_records(
    api, world, consultant, company_set
):
    # Ada has two records in the first set: one row, not two
    # when persons are filtered by the first company set
    response = api(consultant).get(f"/api/v1/persons/?company_set={company_set.pk}")
    # then Ada is listed once
    assert response.json()["count"] == 1


def test_persons_bad_status_type_is_a_400_naming_it(api, world, consultant):
    # when persons are filtered by a status type that does not exist
    response = api(consultant).get("/api/v1/persons/?status_type=retired")
    # then the 400 names the parameter
    assert response.status_code == 400
    assert "status_type" in response.json()["extra"]["fields"]


# --- downstream-actions -------------------------------------------------------------------------------------


@pytest.fixture
def explained(world, company, company_b, customer):
    """A transfer of Ada from 123 to 456 driven by two events of a file import, in a change batch."""
    ev = world["events"]
    batch = ChangeBatch.objects.create(
        customer=customer, cause="file x.csv", cause_type="file_import", cause_id="41"
    )
    transfer = DownstreamActionFactory(
        person=world["ada"],
        employee=ev["hire_456"].employee,
        company=company_b,
        prior_company=company,
        prior_access="provisioned",
        action="transfer",
        effective_date=dt.date(2026, 2, 1),
        seq=2,
        key="ada-2",
        batch=batch,
        cause_type="file_import",
        cause_id="41",
        events=[ev["xt_123"], ev["hire_456"]],
    )
    withdrawn = DownstreamActionFactory(
        person=world["bob"],
        action="deprovision",
        seq=1,
        key="bob-1",
        state="superseded",
        withdrawn_reason="rehired before delivery",
        withdrawn_at=_at(5),
        cause_type="schedule",
        cause_id="employees.expire_transfer_windows",
    )
    DownstreamAction.objects.filter(pk=transfer.pk).update(created_at=_at(10))
    DownstreamAction.objects.filter(pk=withdrawn.pk).update(created_at=_at(0))
    return {"transfer": transfer, "withdrawn": withdrawn, "batch": batch}


def test_action_names_its_cause_and_the_events_that_drove_it(api, explained, world, consultant, company_b):
    # given Ada's transfer from 123 to 456, driven by her XT and her hire from a file import
    ev = world["events"]
    # when the consultant reads the action
    body = api(consultant).get(f"/api/v1/downstream-actions/{explained['transfer'].pk}/").json()
    # then it names its cause, its order, the company and the access before it, and the two events in order
    assert {k: body[k] for k in ("cause_type", "cause_id", "seq", "company_external_id", "prior_access")} == {
        "cause_type": "file_import",
        "cause_id": "41",
        "seq": 2,
        "company_external_id": "456",
        "prior_access": "provisioned",
    }
    assert body["prior_company_external_id"] == "123"
    assert body["company"] == company_b.pk
    assert body["events"] == [
        {
            "id": ev["xt_123"].pk,
            "employee": ev["xt_123"].employee_id,
            "company_external_id": "123",
            "employee_id": "1001",
            "code": "XT",
            "status_type": "terminated",
            "effective_date": "2026-02-01",
        },
        {
            "id": ev["hire_456"].pk,
            "employee": ev["hire_456"].employee_id,
            "company_external_id": "456",
            "employee_id": "2001",
            "code": "A",
            "status_type": "active",
            "effective_date": "2026-02-01",
        },
    ]
    assert body["withdrawn_reason"] == "" and body["withdrawn_at"] is None


def test_withdrawn_action_shows_why_and_when(api, explained, consultant):
    # given Bob's deprovision withdrawn by the transfer-window schedule
    # when the consultant reads it
    body = api(consultant).get(f"/api/v1/downstream-actions/{explained['withdrawn'].pk}/").json()
    # then it shows it was superseded, why and when, caused by the schedule and driven by no event
    assert (body["state"], body["withdrawn_reason"], body["withdrawn_at"]) == (
        "superseded",
        "rehired before delivery",
        "2026-03-01T14:00:00Z",
    )
    assert (body["cause_type"], body["cause_id"], body["events"], body["company_external_id"]) == (
        "schedule",
        "employees.expire_transfer_windows",
        [],
        None,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cause_type=file_import", ["transfer"]),
        ("cause_type=schedule", ["withdrawn"]),
        ("cause_id=41", ["transfer"]),
        ("cause_id=employees.expire_transfer_windows", ["withdrawn"]),
        ("batch={batch}", ["transfer"]),
        ("created_after=2026-03-01T09:30:00Z", ["transfer"]),
        ("customer={customer}", ["transfer", "withdrawn"]),
        ("state=superseded", ["withdrawn"]),
        ("cause_type=file_import&cause_id=42", []),
    ],
)
def test_downstream_action_filters(api, explained, admin_user, customer, query, expected):
    # given one more action of another customer, so the customer filter has something to exclude
    DownstreamActionFactory(cause_type="file_import", cause_id="41")
    query = query.format(batch=explained["batch"].pk, customer=customer.pk)
    ids = _ids(api(admin_user).get(f"/api/v1/downstream-actions/?{query}&customer={customer.pk}"))
    assert ids == [explained[name].pk for name in expected]
    if query.startswith("cause_id=41"):
        assert len(_ids(api(admin_user).get(f"/api/v1/downstream-actions/?{query}"))) == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("cause_type=rumour", "cause_type"), ("created_after=soon", "created_after"), ("batch=x", "batch")],
)
def test_downstream_action_bad_filter_values_are_a_400_naming_the_parameter(
    api, explained, consultant, query, field
):
    response = api(consultant).get(f"/api/v1/downstream-actions/?{query}")
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]


# --- query counts -----------------------------------------------------------------------------------------


def _grow(customer, company, company_b, n: int) -> None:
    """n more persons, each with two records (two companies), two events and two actions driven by them."""
    for i in range(n):
        person = PersonFactory(customer=customer, downstream_company=company, downstream_access="provisioned")
        first = EmployeeFactory(company=company, person=person)
        second = EmployeeFactory(company=company_b, person=person)
        hire = StatusEventFactory(employee=first, recorded_at=timezone.now())
        move = StatusEventFactory(employee=second, recorded_at=timezone.now())
        DownstreamActionFactory(
            person=person, employee=first, company=company, seq=1, key=f"g{n}-{i}-1", events=[hire]
        )
        DownstreamActionFactory(
            person=person,
            employee=second,
            company=company_b,
            prior_company=company,
            seq=2,
            key=f"g{n}-{i}-2",
            action="transfer",
            events=[hire, move],
        )


# A consultant's request: the "sees every customer?" check (scoping and the customer / company set filters'
# choices), the user's permissions, the count, the page and its prefetches. The same at 3 and 30 persons.
QUERY_BUDGET = {"status-events": 8, "persons": 9, "downstream-actions": 8}
ROWS_PER_PERSON = {"status-events": 2, "persons": 1, "downstream-actions": 2}


@pytest.mark.parametrize("resource", list(QUERY_BUDGET))
def test_list_query_counts_stay_flat(
    api, consultant, customer, company, company_b, resource, django_assert_max_num_queries
):
    for added, total in ((3, 3), (27, 30)):
        # given `total` persons with two records, two events and two actions each
        _grow(customer, company, company_b, added)
        client = api(type(consultant).objects.get(pk=consultant.pk))  # a fresh user: no permission cache
        # when listing them all on one page
        with django_assert_max_num_queries(QUERY_BUDGET[resource]):
            response = client.get(f"/api/v1/{resource}/?page_size=500")
        # then every row is there, for the same number of queries
        assert response.status_code == 200
        assert len(response.json()["results"]) == total * ROWS_PER_PERSON[resource]


def test_change_batch_names_its_cause(api, explained, consultant):
    # given a change batch made by a file import
    # when the consultant reads it
    body = api(consultant).get(f"/api/v1/change-batches/{explained['batch'].pk}/").json()
    # then it names the file and its cause
    assert (body["cause"], body["cause_type"], body["cause_id"]) == ("file x.csv", "file_import", "41")

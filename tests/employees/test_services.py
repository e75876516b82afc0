"""employee_records_apply: history, persons, scope, decisions, transfers, holds, safeguard."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.employees import services
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, Person, StatusEvent, TransferWatch
from apps.employees.services import employee_records_apply
from apps.mappings.models import FilterRule, StatusCode
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.employees.conftest import TODAY
from tests.employees.factories import record

pytestmark = pytest.mark.django_db


def actions(**filters):
    return list(
        DownstreamAction.objects.filter(**filters)
        .order_by("pk")
        .values_list("action", "effective_date", "state")
    )


def d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def test_new_hire_is_created_with_history_person_and_provision(apply):
    # when a new active employee is synced
    result = apply([record("1001", "A", "2026-01-05")])
    # then the employee, a person and a new-hire event are created, and a provision waits to be sent
    employee = Employee.objects.get(employee_id="1001")
    assert (result.created, result.events, result.actions) == (1, 1, 1)
    assert (employee.status_code, employee.status_type, employee.status_effective_date) == (
        "A",
        "active",
        d("2026-01-05"),
    )
    assert employee.person.status_type == "active"
    assert employee.status_events.get().transition == "new_hire"
    assert actions() == [("provision", d("2026-01-05"), "pending")]


def test_applying_the_same_records_twice_changes_nothing(apply):
    # given twenty hires applied once
    batch = [record(str(n), "A", "2026-01-05") for n in range(20)]
    apply(batch)
    counts = (
        Employee.objects.count(),
        StatusEvent.objects.count(),
        Person.objects.count(),
        DownstreamAction.objects.count(),
    )
    # when the same records are applied again
    again = apply(batch)
    # then every record is unchanged and no row is added
    assert (again.created, again.updated, again.unchanged, again.events, again.actions) == (0, 0, 20, 0, 0)
    assert counts == (
        Employee.objects.count(),
        StatusEvent.objects.count(),
        Person.objects.count(),
        DownstreamAction.objects.count(),
    )


def test_a_same_day_correction_back_to_active_wins_and_nothing_is_deprovisioned(apply):
    # given an employee hired today, then terminated by mistake with the same date (the ordinary sync path)
    apply([record("1001", "A", "2026-06-01")])
    apply([record("1001", "T", "2026-06-01")])
    # when the provider corrects it back to A, still dated today
    again = apply([record("1001", "A", "2026-06-01")])
    # then the correction is recorded after the mistake and wins: the employee is active, the person provisioned
    assert again.events == 1
    assert list(StatusEvent.objects.order_by("recorded_at", "pk").values_list("code", "effective_date")) == [
        ("A", d("2026-06-01")),
        ("T", d("2026-06-01")),
        ("A", d("2026-06-01")),
    ]
    assert Employee.objects.get().status_code == "A"
    assert Person.objects.get().status_type == "active"
    assert Person.objects.get().desired_access == "provisioned"
    # and the downstream, told of the mistake (export mode: a pending action may have been read), is told again
    assert [a for a, _, _ in actions()] == ["provision", "deprovision", "provision"]
    # and sending the correction again adds nothing
    assert apply([record("1001", "A", "2026-06-01")]).events == 0
    assert StatusEvent.objects.count() == 3


def test_a_file_with_two_codes_for_one_date_keeps_the_last_and_resends_cleanly(apply):
    # given a file that says A then T for the same date
    rows = [record("1001", "A", "2026-05-01"), record("1001", "T", "2026-05-01")]
    apply(rows, source="file")
    # when the same file is sent again
    again = apply(rows, source="file")
    # then the last word (T) stands, and the resend adds no event
    assert Employee.objects.get().status_code == "T"
    assert again.events == 0
    assert StatusEvent.objects.count() == 2


def test_termination_deprovisions_on_its_effective_date(apply):
    # given an active employee
    apply([record("1001", "A", "2026-01-05")])
    # when a resignation dated 31 March arrives
    apply([record("1001", "T", "2026-03-31", change_reason="Resigned")])
    # then it is recorded as a termination and the person is deprovisioned from that date
    event = StatusEvent.objects.filter(code="T").get()
    assert (event.transition, event.change_reason, event.retroactive) == ("termination", "Resigned", False)
    assert actions(action="deprovision") == [("deprovision", d("2026-03-31"), "pending")]
    assert Person.objects.get().status_type == "terminated"


def test_leave_suspends_and_return_restores(apply):
    # given an active employee
    apply([record("1001", "A", "2026-01-05")])
    # when a leave and then a return arrive
    apply([record("1001", "L", "2026-02-01")])
    apply([record("1001", "A", "2026-03-01")])
    # then access is suspended and then restored
    assert [a for a, _, _ in actions()] == ["provision", "suspend", "restore"]


def test_keep_access_on_leave_policy_sends_nothing_for_leave(apply, customer):
    # given a customer whose policy keeps access during leave, and an active employee
    services.downstream_target_set(customer=customer, leave_policy="keep")
    apply([record("1001", "A", "2026-01-05")])
    # when a leave and then a return arrive
    apply([record("1001", "L", "2026-02-01")])
    apply([record("1001", "A", "2026-03-01")])
    # then only the first provision is sent
    assert [a for a, _, _ in actions()] == ["provision"]


def test_d_and_r_are_terminations_and_same_type_changes_are_recorded_only(apply):
    # given two active employees
    apply([record("1001", "A", "2026-01-05"), record("1002", "A", "2026-01-05")])
    # when one is marked deceased and the other retired
    apply([record("1001", "D", "2026-02-01"), record("1002", "R", "2026-02-01")])
    # then both are deprovisioned
    assert sorted(a for a, _, _ in actions(action="deprovision")) == ["deprovision", "deprovision"]
    # when the deceased one is then given a plain termination
    apply([record("1001", "T", "2026-02-02")])
    # then it is recorded as a change within the same type, and nothing more is sent
    assert StatusEvent.objects.get(code="T").transition == "same_type"
    assert len(actions(action="deprovision")) == 2


def test_fringe_change_is_flagged_for_review_and_not_acted_on(apply):
    # given a terminated employee
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "T", "2026-02-01")])
    before = DownstreamAction.objects.count()
    # when a leave arrives for him
    apply([record("1001", "L", "2026-03-01")])
    # then it is flagged for review as a fringe change, and no action is written
    employee = Employee.objects.get()
    assert employee.needs_review is True
    assert StatusEvent.objects.get(code="L").transition == "fringe"
    assert DownstreamAction.objects.count() == before


def test_future_dated_termination_waits_and_takes_effect_on_its_day(apply):
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "T", "2026-06-15")])  # TODAY is 2026-06-01
    employee = Employee.objects.get()
    assert employee.status_code == "A"
    assert actions(action="deprovision") == []
    # when the daily activation runs on the day
    services.status_events_activate(today=d("2026-06-15"))
    employee.refresh_from_db()
    assert (employee.status_code, employee.status_type) == ("T", "terminated")
    assert actions(action="deprovision") == [("deprovision", d("2026-06-15"), "pending")]
    # and running it again changes nothing
    services.status_events_activate(today=d("2026-06-15"))
    assert len(actions(action="deprovision")) == 1


def test_retro_dated_termination_before_a_later_rehire_rewrites_history_not_today(apply):
    # given a hire and a rehire on 1 April
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "A", "2026-04-01", change_reason="Rehire")])  # same code, new date: a new event
    # when a termination dated 1 March arrives late
    apply([record("1001", "T", "2026-03-01")])  # arrives late, dated before the rehire
    # then it enters the history as retro-active, the rehire stays current, and nothing is deprovisioned
    employee = Employee.objects.get()
    retro = StatusEvent.objects.get(code="T")
    assert retro.retroactive is True
    assert (employee.status_code, employee.status_effective_date) == ("A", d("2026-04-01"))
    # the history now reads A (hire) -> T (termination) -> A (rehire)
    history = list(employee.status_events.order_by("effective_date").values_list("code", "transition"))
    assert history == [("A", "new_hire"), ("T", "termination"), ("A", "rehire")]
    assert actions(action="deprovision") == []


def test_retro_dated_termination_that_is_the_latest_deprovisions(apply):
    # given an active employee
    apply([record("1001", "A", "2026-01-05")])
    # when a termination dated before today arrives, being the latest change
    apply([record("1001", "T", "2026-05-20")])  # effective before TODAY, recorded now
    # then the person is deprovisioned from that date
    assert actions(action="deprovision") == [("deprovision", d("2026-05-20"), "pending")]


# --- unmapped custom codes ------------------------------------------------------------------------------


def test_unmapped_code_is_held_without_action_then_mapping_releases_it(apply, company_set):
    apply([record("1001", "A", "2026-01-05")])
    result = apply([record("1001", "S", "2026-02-01")])  # "S": seasonal layoff, unmapped
    employee = Employee.objects.get()
    assert result.held == 1
    assert employee.held is True and employee.status_code == "S" and employee.status_type is None
    assert employee.decision_status_type == "active"
    assert StatusEvent.objects.get(code="S").held is True
    assert StatusCode.objects.filter(company_set=company_set, code="S").exists()
    assert actions(action="deprovision") == []
    # when a consultant maps S to Terminated
    outcome = services.status_mapping_set(
        company_set=company_set, code="S", status_type="terminated", today=TODAY
    )
    employee.refresh_from_db()
    assert outcome.released_events == 1
    assert employee.held is False and employee.status_type == "terminated"
    assert actions(action="deprovision") == [("deprovision", d("2026-02-01"), "pending")]


def test_company_override_maps_a_code_differently_for_one_company(apply, company_set, company, company_b):
    # given FML mapped to leave for the set and to active for company 456
    services.status_mapping_set(company_set=company_set, code="FML", status_type="leave")
    services.status_mapping_set(company_set=company_set, code="FML", status_type="active", company=company_b)
    # when employees with FML are synced in 123 and in 456
    apply([record("1", "FML", "2026-01-05")])
    apply([record("2", "FML", "2026-01-05", company="456")], to=company_b)
    # then each company's mapping applies
    assert Employee.objects.get(employee_id="1").status_type == "leave"
    assert Employee.objects.get(employee_id="2").status_type == "active"


def test_mapping_preview_changes_nothing_and_lists_the_outcome(apply, company_set):
    # given an employee held on the unmapped code S
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "S", "2026-02-01")])
    # when mapping S to terminated is previewed
    preview = services.status_mapping_preview(
        company_set=company_set, code="S", status_type="terminated", today=TODAY
    )
    # then it lists the released event, the employee's new type and the deprovision, and saves nothing
    assert preview["released_events"] == 1
    assert [(e["employee_id"], e["status_type_after"]) for e in preview["employees"]] == [
        ("1001", "terminated")
    ]
    assert [a["action"] for a in preview["actions"]] == ["deprovision"]
    assert Employee.objects.get().held is True
    assert not actions(action="deprovision")


def test_standard_codes_cannot_be_remapped(company_set):
    from apps.core.errors import ApplicationError

    # when the standard code T is mapped to active, then it is refused
    with pytest.raises(ApplicationError):
        services.status_mapping_set(company_set=company_set, code="T", status_type="active")


# --- transfers ------------------------------------------------------------------------------------------


def test_transfer_with_the_hire_arriving_first(apply, company_b):
    # given an active employee in 123
    apply([record("1001", "A", "2026-01-05", national_id="123-45-6789")])
    # when his hire in 456 arrives before his XT in 123
    apply([record("1001", "A", "2026-05-01", company="456", national_id="123-45-6789")], to=company_b)
    apply([record("1001", "XT", "2026-05-01", national_id="123-45-6789")])
    # then one person is transferred, with no window left open
    assert Person.objects.count() == 1
    assert [a for a, _, _ in actions()] == ["provision", "transfer"]
    assert not TransferWatch.objects.exists()


def test_transfer_with_the_hire_arriving_later_within_the_grace_window(apply, company_b):
    # Given an active person who transfers out on 05-20 (grace 7 days: the window's last day is 05-27)
    apply([record("1001", "A", "2026-01-05", national_id="123456789")], today=d("2026-05-20"))
    apply([record("1001", "XT", "2026-05-20", national_id="123456789")], today=d("2026-05-20"))
    watch = TransferWatch.objects.get()
    assert (watch.state, watch.expires_on) == ("open", d("2026-05-27"))
    assert [a for a, _, _ in actions()] == ["provision"]
    # When the hire into the other company arrives inside the window
    apply(
        [record("1001", "A", "2026-05-21", company="456", national_id="123456789")],
        to=company_b,
        today=d("2026-05-22"),
    )
    # Then the person transfers and the window is closed as matched
    watch.refresh_from_db()
    assert watch.state == "matched"
    assert [a for a, _, _ in actions()] == ["provision", "transfer"]
    services.transfer_watches_expire(today=d("2026-06-30"))
    assert [a for a, _, _ in actions()] == ["provision", "transfer"]


def test_transfer_with_a_different_employee_id_is_linked_by_identity_key(apply, company_b):
    # given an employee in 123 leaving with XT
    apply([record("1001", "A", "2026-01-05", national_id="987-65-4321", work_email="ada@old.example")])
    apply(
        [record("1001", "XT", "2026-05-20", national_id="987-65-4321", work_email="ada@old.example")],
        today=d("2026-05-21"),
    )
    # when a hire in 456 arrives under another employee id with the same national id, differently written
    apply(
        [
            record(
                "7777",
                "A",
                "2026-05-21",
                company="456",
                national_id="987654321",
                work_email="ada@new.example",
            )
        ],
        to=company_b,
    )
    # then both records are one person, transferred, and only the last four of the national id are kept
    persons = {e.employee_id: e.person_id for e in Employee.objects.all()}
    assert persons["1001"] == persons["7777"]
    assert [a for a, _, _ in actions()] == ["provision", "transfer"]
    person = Person.objects.get()
    assert person.national_id_last4 == "4321"
    assert "987654321" not in str(Person.objects.values_list().get())
    assert "987-65-4321" not in str(Person.objects.values_list().get())


def test_transfer_never_matched_deprovisions_at_expiry(apply):
    # given an employee leaving with XT on 20 May and no hire elsewhere
    apply([record("1001", "A", "2026-01-05")], today=d("2026-05-20"))
    apply([record("1001", "XT", "2026-05-20")], today=d("2026-05-20"))
    # when the window is checked on the last day and then the day after
    # then the window closes only after seven days, and the person is deprovisioned from the XT's date
    assert services.transfer_watches_expire(today=d("2026-05-27")) == 0  # still inside the window
    assert services.transfer_watches_expire(today=d("2026-05-28")) == 1
    assert actions(action="deprovision") == [("deprovision", d("2026-05-20"), "pending")]
    assert TransferWatch.objects.get().state == "expired"


def test_linking_by_work_email_when_there_is_no_national_id(apply, company_b):
    # given an employee in 123 without a national id
    apply([record("1", "A", "2026-01-05", work_email="Grace@Example.com")])
    # when an employee in 456 arrives with the same work email written in another case
    apply([record("2", "A", "2026-01-05", company="456", work_email="grace@example.com")], to=company_b)
    # then both records are one person
    assert Employee.objects.values("person").distinct().count() == 1


def test_same_employee_id_in_the_set_links_one_person(apply, company_b):
    # given an employee 1001 in 123 without national id or email
    apply([record("1001", "A", "2026-01-05", work_email="")])
    # when an employee 1001 in 456 arrives
    apply([record("1001", "A", "2026-02-01", company="456", work_email="")], to=company_b)
    # then both records are one person
    assert Employee.objects.values("person").distinct().count() == 1


# --- filters, bad input, absence -----------------------------------------------------------------------


def test_out_of_scope_records_are_kept_but_drive_nothing(apply, company_set):
    # given a rule taking seasonal employees out of scope
    FilterRule.objects.create(
        company_set=company_set, field="employment_type", operator="in", values=["SNL"], include=False
    )
    # when a seasonal and a regular hire are synced
    apply([record("1", "A", "2026-01-05", employment_type="SNL"), record("2", "A", "2026-01-05")])
    # then both are kept, the seasonal one out of scope with the reason; only the regular one is provisioned
    seasonal = Employee.objects.get(employee_id="1")
    assert seasonal.in_scope is False and "employment_type" in seasonal.scope_reason
    assert len(actions(action="provision")) == 1


def test_bad_records_are_rejected_with_a_reason_and_good_ones_land(apply):
    # when records without an id, without a code, or of another company are applied with a good one
    result = apply(
        [record("", "A"), record("2", ""), record("3", "A", "2026-01-01", company="999"), record("4", "A")]
    )
    # then each bad one is refused with its reason, and only the good one lands
    assert [(r.index, r.reason) for r in result.rejected] == [
        (0, "employee_id is required"),
        (1, "status_code is required"),
        (2, "company 999 is not 123"),
    ]
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["4"]


def test_missing_effective_date_is_rejected(apply):
    from apps.employees.records import EmployeeRecord

    # when a record without an effective date is applied
    result = apply(
        [
            EmployeeRecord(
                company_external_id="123", employee_id="9", status_code="A", status_effective_date=None
            )
        ]
    )
    # then it is refused with the reason, and nothing lands
    assert result.rejected[0].reason == "status_effective_date is required"
    assert not Employee.objects.exists()


def test_an_employee_absent_from_a_feed_is_not_terminated(apply):
    # given two active employees
    apply([record("1", "A"), record("2", "A")])
    # when a feed lists only one of them
    apply([record("1", "A")])
    # then the other is not terminated
    assert Employee.objects.get(employee_id="2").status_code == "A"
    assert actions(action="deprovision") == []


# --- the mass-deprovision safeguard ---------------------------------------------------------------------


def _hundred_active(apply):
    apply([record(str(n), "A", "2026-01-05") for n in range(100)])


def test_safeguard_holds_30_of_100_terminations_for_approval(apply, admin_user):
    # given a hundred active people
    _hundred_active(apply)
    # when thirty are terminated in one go, along with one new hire
    apply([record(str(n), "T", "2026-05-01") for n in range(30)] + [record("200", "A", "2026-05-01")])
    # then the thirty removals are held for approval while the hire flows on
    held = DownstreamAction.objects.filter(action="deprovision")
    assert held.count() == 30 and set(held.values_list("state", flat=True)) == {"awaiting_approval"}
    assert DownstreamAction.objects.get(employee__employee_id="200").state == "pending"  # others flow on
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    assert (batch.removals, batch.active_persons_before) == (30, 100)
    # when the admin approves with a reason
    services.change_batch_decide(
        batch=batch, approve=True, acting_user=admin_user, reason="HR confirmed the layoff"
    )
    # then the removals go ahead and the batch records who approved
    assert set(held.values_list("state", flat=True)) == {"pending"}
    batch.refresh_from_db()
    assert (batch.state, batch.decided_by) == ("approved", admin_user)


def test_safeguard_lets_3_of_100_terminations_through(apply):
    # given a hundred active people
    _hundred_active(apply)
    # when three are terminated
    apply([record(str(n), "T", "2026-05-01") for n in range(3)])
    # then the removals go ahead without approval
    assert set(DownstreamAction.objects.filter(action="deprovision").values_list("state", flat=True)) == {
        "pending"
    }


def test_rejecting_a_held_batch_needs_a_reason_and_never_delivers(apply, admin_user):
    from apps.core.errors import ApplicationError

    # given thirty terminations of a hundred active people held for approval
    _hundred_active(apply)
    apply([record(str(n), "T", "2026-05-01") for n in range(30)])
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    # when the admin rejects without a reason, then it is refused
    with pytest.raises(ApplicationError):
        services.change_batch_decide(batch=batch, approve=False, acting_user=admin_user)
    # when the admin rejects with a reason
    services.change_batch_decide(batch=batch, approve=False, acting_user=admin_user, reason="Feed error")
    # then the removals are rejected and will never be sent
    assert set(DownstreamAction.objects.filter(action="deprovision").values_list("state", flat=True)) == {
        "rejected"
    }


def test_safeguard_counts_a_whole_sync_run_across_calls(apply, customer):
    # given a hundred active people
    _hundred_active(apply)
    # when one sync run terminates thirty of them over three pages
    with services.change_batch(customer=customer, cause="sync run 1") as batch:
        for page in range(3):  # three pages of ten terminations each
            apply([record(str(page * 10 + n), "T", "2026-05-01") for n in range(10)], batch=batch)
    # then the thirty are held together
    assert DownstreamAction.objects.filter(state="awaiting_approval").count() == 30


# --- speed: queries do not grow with the batch ----------------------------------------------------------


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("small_n", "large_n"),
    [
        # SQLite splits a bulk insert every 999 parameters (about 25 employee rows): stay inside one batch.
        (5, 25),
        pytest.param(10, 600, marks=pytest.mark.postgres),
    ],
)
def test_apply_query_count_does_not_grow_with_rows(company, customer, small_n, large_n):
    """Hire, terminate and re-apply a few and many records: the same number of queries either way."""
    # Given a second company in its own set (so its people are not the first company's people)
    other = CompanyFactory(company_set=CompanySetFactory(customer=customer), external_id="456")

    def scenario(target, n):
        hires = [
            record(
                str(i),
                "A",
                "2026-01-05",
                company=target.external_id,
                national_id=f"{target.pk}{i:08d}",
                work_email=f"{target.pk}-{i}@example.com",
            )
            for i in range(n)
        ]
        terms = [record(str(i), "T", "2026-05-01", company=target.external_id) for i in range(n)]
        run = lambda rows: employee_records_apply(company=target, records=rows, source="sync", today=TODAY)  # noqa: E731
        return _queries(lambda: run(hires)), _queries(lambda: run(terms)), _queries(lambda: run(terms))

    small, large = scenario(company, small_n), scenario(other, large_n)
    assert small == large
    assert max(large) <= 40


def test_first_seen_on_leave_then_returning_is_provisioned(apply):
    # when an employee is first seen on leave
    apply([record("1001", "L", "2026-01-05")])
    # then nothing is sent
    assert actions() == []
    # when he returns to work
    apply([record("1001", "A", "2026-03-01")])
    # then he is provisioned from that date
    assert actions() == [("provision", d("2026-03-01"), "pending")]

"""Reconciliation: moot actions withdrawn, approvals re-checked, scope changes, causes, policy, concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections

from apps.employees import services
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, FileImport, Person
from apps.mappings.models import StatusMapping
from tests.employees.conftest import TODAY
from tests.employees.factories import record

pytestmark = pytest.mark.django_db
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PUSH_URL = "https://downstream.example.com/hooks"


def d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def standing():
    return list(
        DownstreamAction.objects.exclude(state__in=["superseded", "cancelled"])
        .order_by("seq")
        .values_list("action", "effective_date")
    )


@pytest.fixture
def pushed(customer):
    """The customer's actions are pushed to a URL (so an unattempted pending action is unseen)."""
    return services.downstream_target_set(customer=customer, url=PUSH_URL, signing_secret=SECRET)


def test_a_termination_corrected_before_delivery_is_withdrawn_not_followed_by_a_provision(apply, pushed):
    # Given a delivered hire and a termination that has not been sent yet
    apply([record("1001", "A", "2026-01-05")])
    DownstreamAction.objects.update(state="delivered", attempts=1)
    apply([record("1001", "T", "2026-05-01")])
    deprovision = DownstreamAction.objects.get(action="deprovision")
    assert deprovision.state == "pending"
    # When the provider corrects it (the termination was a mistake: active again from the same day)
    apply([record("1001", "A", "2026-05-02")])
    # Then the deprovision is withdrawn with the reason, and nothing else is sent
    deprovision.refresh_from_db()
    assert deprovision.state == "superseded"
    assert "now provisioned" in deprovision.withdrawn_reason
    assert standing() == [("provision", d("2026-01-05"))]
    assert Person.objects.get().downstream_access == "provisioned"


def test_an_attempted_action_stands_and_is_corrected_by_a_new_one(apply, pushed):
    # given a delivered hire and a termination whose deprovision was attempted once
    apply([record("1001", "A", "2026-01-05")])
    DownstreamAction.objects.update(state="delivered", attempts=1)
    apply([record("1001", "T", "2026-05-01")])
    # the deprovision was attempted once (the downstream may have seen it)
    DownstreamAction.objects.filter(action="deprovision").update(state="failed", attempts=1)
    # when the provider corrects the termination the next day
    apply([record("1001", "A", "2026-05-02")])
    # then the attempted deprovision stands and a new provision corrects it
    assert [a for a, _ in standing()] == ["provision", "deprovision", "provision"]


def test_without_a_push_url_pending_actions_may_have_been_read_so_they_stand(apply):
    # given a hire and a termination of a customer whose actions are not pushed but exported
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "T", "2026-05-01")])
    # when the termination is corrected the next day
    apply([record("1001", "A", "2026-05-02")])
    # then the pending deprovision stands, since it may have been read, and a provision follows
    assert [a for a, _ in standing()] == ["provision", "deprovision", "provision"]


def test_a_pending_action_with_a_corrected_date_is_replaced(apply, pushed):
    # given a delivered hire and a pending termination dated 10 May
    apply([record("1001", "A", "2026-01-05")])
    DownstreamAction.objects.update(state="delivered", attempts=1)
    apply([record("1001", "T", "2026-05-10")])
    # when the provider corrects the termination to 1 May
    apply([record("1001", "T", "2026-05-01")])  # a retro-dated correction: terminated earlier
    # then the pending deprovision is replaced by one dated 1 May, and the ledger takes the new date
    assert standing() == [("provision", d("2026-01-05")), ("deprovision", d("2026-05-01"))]
    assert DownstreamAction.objects.get(effective_date=d("2026-05-10")).state == "superseded"
    assert Person.objects.get().downstream_since == d("2026-05-01")  # the replacement's date, not the old one


def test_a_withdrawal_alone_puts_the_ledger_back_on_the_last_standing_action(apply, pushed):
    # given a delivered hire and a pending termination
    apply([record("1001", "A", "2026-01-05")])
    DownstreamAction.objects.update(state="delivered", attempts=1)
    apply([record("1001", "T", "2026-05-01")])
    # when the termination is corrected before it is sent
    apply([record("1001", "A", "2026-05-02")])  # the termination is withdrawn, nothing new is written
    # then the person's ledger is back on the hire, and the person is active again
    person = Person.objects.get()
    assert (person.downstream_access, person.downstream_since) == ("provisioned", d("2026-01-05"))
    assert person.status_type == "active" and person.status_changed_at is not None


# --- approvals re-check --------------------------------------------------------------------------------


def _hundred_then_thirty_terminated(apply):
    apply([record(str(n), "A", "2026-01-05") for n in range(100)])
    apply([record(str(n), "T", "2026-05-01") for n in range(30)])
    return ChangeBatch.objects.get(state="awaiting_approval")


def test_a_rehire_while_held_withdraws_that_deprovision_and_approval_sends_the_rest(apply, admin_user):
    batch = _hundred_then_thirty_terminated(apply)
    # When two of them are rehired before anyone approves
    apply([record(str(n), "A", "2026-05-20") for n in range(2)])
    # Then their held deprovisions are withdrawn at once, and the approval sends the 28 others
    services.change_batch_decide(batch=batch, approve=True, acting_user=admin_user, reason="confirmed")
    states = DownstreamAction.objects.filter(action="deprovision").values_list(
        "employee__employee_id", "state"
    )
    assert {e for e, s in states if s == "superseded"} == {"0", "1"}
    assert sum(s == "pending" for _, s in states) == 28


def test_approval_re_checks_facts_that_took_effect_since(apply, admin_user):
    batch = _hundred_then_thirty_terminated(apply)
    # Given a rehire of one of them, dated in the future when it arrived (so the deprovision stayed held)
    apply([record("0", "A", "2026-06-05")])
    assert DownstreamAction.objects.filter(state="awaiting_approval").count() == 30
    # When the admin approves after the rehire's day
    services.change_batch_decide(
        batch=batch, approve=True, acting_user=admin_user, reason="confirmed", today=d("2026-06-06")
    )
    # Then that person's deprovision is withdrawn with the reason; the 29 others are sent
    rehired = DownstreamAction.objects.get(action="deprovision", employee__employee_id="0")
    assert (rehired.state, "provisioned" in rehired.withdrawn_reason) == ("superseded", True)
    assert DownstreamAction.objects.filter(action="deprovision", state="pending").count() == 29


def test_a_rejected_removal_is_not_proposed_again_by_the_next_sync(apply, admin_user):
    # given thirty terminations held for approval
    batch = _hundred_then_thirty_terminated(apply)
    # when the admin rejects them as a feed error
    services.change_batch_decide(batch=batch, approve=False, acting_user=admin_user, reason="feed error")
    # and the next sync brings the same terminations again
    apply([record(str(n), "T", "2026-05-01", change_reason="again") for n in range(30)])
    # then no new deprovision is written and nothing is held again
    assert DownstreamAction.objects.filter(action="deprovision").count() == 30
    assert not ChangeBatch.objects.filter(state="awaiting_approval").exists()


# --- scope changes ---------------------------------------------------------------------------------------


def test_people_leaving_scope_keep_their_access_by_default_and_lose_pending_actions(
    apply, company_set, pushed
):
    apply([record("1001", "A", "2026-01-05"), record("1002", "A", "2026-01-05")])
    DownstreamAction.objects.filter(employee__employee_id="1001").update(state="delivered", attempts=1)
    # the preview names the people the downstream still holds
    preview = services.filter_rule_preview(
        company_set=company_set, field="company", operator="in", values=["123"], include=False
    )
    assert preview["persons_leaving_scope_held"] == 2
    # When the company is excluded (default: leave their access)
    services.filter_rule_save(
        company_set=company_set, field="company", operator="in", values=["123"], include=False
    )
    # Then 1002's unsent provision is cancelled with the reason, and nobody is deprovisioned
    cancelled = DownstreamAction.objects.get(employee__employee_id="1002")
    assert (cancelled.state, cancelled.withdrawn_reason) == (
        "cancelled",
        "no record of the person is in scope any more",
    )
    assert not DownstreamAction.objects.filter(action="deprovision").exists()
    assert set(Person.objects.values_list("desired_access", flat=True)) == {"unmanaged"}


def test_people_leaving_scope_can_be_deprovisioned_through_the_safeguard(apply, company_set):
    # given three active people in company 123
    apply([record(str(n), "A", "2026-01-05") for n in range(3)])
    # when a filter rule takes the company out of scope, choosing to deprovision them
    rule = services.filter_rule_save(
        company_set=company_set,
        field="company",
        operator="in",
        values=["123"],
        include=False,
        out_of_scope="deprovision",
        today=TODAY,
    )
    # then each is deprovisioned from today, caused by the rule, through a change batch of the rule
    deprovisions = DownstreamAction.objects.filter(action="deprovision")
    assert deprovisions.count() == 3
    assert set(deprovisions.values_list("cause_type", "cause_id", "effective_date")) == {
        ("filter_rule", str(rule.pk), TODAY)
    }
    assert deprovisions.first().batch.cause_type == "filter_rule"


def test_an_unknown_out_of_scope_choice_is_refused(company_set):
    from apps.core.errors import ApplicationError

    # when a filter rule is saved with an unknown out-of-scope choice, then it is refused naming the choices
    with pytest.raises(ApplicationError, match="out_of_scope must be one of leave, deprovision"):
        services.filter_rule_save(
            company_set=company_set,
            field="company",
            operator="in",
            values=["123"],
            include=False,
            out_of_scope="remove",
        )


# --- every action names its cause and the events that drove it ----------------------------------------


def test_a_file_import_names_itself_and_the_driving_events(customer, company):
    # given a file hiring one employee
    data = "company_id,employee_id,status_code,status_effective_date\n123,1001,A,2026-01-05\n"
    # when it is imported
    result = services.employee_file_import(customer=customer, data=data, filename="f.csv", today=TODAY)
    # then the provision names the file import as its cause and the hire as its driving event
    action = DownstreamAction.objects.get()
    assert (action.cause_type, action.cause_id) == ("file_import", str(result.pk))
    assert list(action.events.values_list("code", "effective_date")) == [("A", d("2026-01-05"))]
    assert FileImport.objects.get().pk == result.pk


def test_a_mapping_release_names_the_mapping(apply, company_set):
    # given an employee held on the unmapped code SEAS
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "SEAS", "2026-03-01")])  # unmapped: held
    assert DownstreamAction.objects.count() == 1
    # when SEAS is mapped to terminated
    services.status_mapping_set(company_set=company_set, code="SEAS", status_type="terminated", today=TODAY)
    # then the deprovision names the mapping as its cause, from the held event's date
    action = DownstreamAction.objects.get(action="deprovision")
    mapping = StatusMapping.objects.get(code="SEAS")
    assert (action.cause_type, action.cause_id, action.effective_date) == (
        "mapping",
        str(mapping.pk),
        d("2026-03-01"),
    )


def test_a_sync_style_apply_names_its_webhook_or_sync(apply):
    from tests.integrations.factories import WebhookEventFactory

    # given a webhook event
    event = WebhookEventFactory()
    # when its record is applied
    apply([record("1001", "A", "2026-01-05")], webhook_event=event)
    # then the action names the webhook event as its cause
    assert DownstreamAction.objects.values_list("cause_type", "cause_id").get() == (
        "webhook_event",
        str(event.pk),
    )


def test_the_transfer_window_closes_by_schedule_with_its_cause(apply):
    # given an employee transferred out with XT, and a grace window until 27 May
    apply([record("1001", "A", "2026-01-05")], today=d("2026-05-20"))
    apply([record("1001", "XT", "2026-05-20")], today=d("2026-05-20"))
    person = Person.objects.get()
    assert (person.desired_access, person.transfer_until) == ("transferring", d("2026-05-27"))
    # when the hourly job runs after the window closed
    services.transfer_watches_expire(today=d("2026-05-28"))
    # then a deprovision is written from the XT's date, naming the schedule as its cause
    action = DownstreamAction.objects.get(action="deprovision")
    assert (action.cause_type, action.cause_id, action.effective_date) == (
        "schedule",
        "employees.expire_transfer_windows",
        d("2026-05-20"),
    )


def test_a_leave_policy_change_reconciles_the_customers_persons(apply, customer):
    # given an employee on leave, suspended downstream
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "L", "2026-03-01")])
    assert [a for a, _ in standing()] == ["provision", "suspend"]
    # when the customer's leave policy changes to keep access during leave
    services.downstream_target_set(customer=customer, leave_policy="keep")
    # then a restore is written, caused by the policy, and the person is provisioned again
    restore = DownstreamAction.objects.get(action="restore")
    assert restore.cause_type == "policy"
    assert Person.objects.get().downstream_access == "provisioned"


def test_the_person_shows_desired_and_last_told_state(apply, company_b):
    # given a hire and a termination
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "T", "2026-05-01")])
    # when the person is read
    person = Person.objects.get()
    # then desired and last-told states are both deprovisioned from the termination, in company 123
    assert (person.desired_access, person.desired_since) == ("deprovisioned", d("2026-05-01"))
    assert (person.downstream_access, person.downstream_since, person.action_seq) == (
        "deprovisioned",
        d("2026-05-01"),
        2,
    )
    assert person.downstream_company.external_id == "123"


# --- concurrency (PostgreSQL) -----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_terminating_two_records_of_one_person_deprovision_once(company, company_b):
    # Given one person with an active record in each of two companies
    for target in (company, company_b):
        services.employee_records_apply(
            company=target,
            records=[record("1001", "A", "2026-01-05", company=target.external_id)],
            source="sync",
            today=TODAY,
        )
    assert Person.objects.count() == 1
    barrier = threading.Barrier(2)
    errors = []

    def terminate(target):
        barrier.wait()
        try:
            services.employee_records_apply(
                company=target,
                records=[record("1001", "T", "2026-05-01", company=target.external_id)],
                source="sync",
                today=TODAY,
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # When both terminations are applied at the same moment by two workers
    threads = [threading.Thread(target=terminate, args=(t,)) for t in (company, company_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Then the second writer saw the first one's record: exactly one deprovision, never zero, and last
    # (whoever commits first may have moved the person to the other company: a transfer before it)
    assert errors == []
    assert Employee.objects.filter(decision_status_type="terminated").count() == 2
    actions = list(DownstreamAction.objects.order_by("seq").values_list("action", flat=True))
    assert actions[0] == "provision" and actions[-1] == "deprovision"
    assert actions.count("deprovision") == 1 and set(actions[1:-1]) <= {"transfer"}
    assert Person.objects.get().downstream_access == "deprovisioned"


def test_a_downstream_target_refuses_a_destination_outside_the_policy(customer):
    from django.core.exceptions import ValidationError

    # the service (admin and API alike) checks the URL against the destinations policy
    # when a downstream target is set to a cloud metadata address, then it is refused
    with pytest.raises(ValidationError, match="Not an allowed destination"):
        services.downstream_target_set(
            customer=customer, url="https://169.254.169.254/latest", signing_secret=SECRET
        )


@pytest.mark.parametrize("hire_first", [False, True])
def test_the_readmes_worked_example_a_transfer_across_two_files_in_either_order(
    customer, company, company_b, hire_first
):
    # given Ada hired in 123 from a first file
    header = "company_id,employee_id,national_id,status_code,status_effective_date\n"
    hired = services.employee_file_import(
        customer=customer,
        data=header + "123,1001,111-22-3333,A,2026-03-01\n",
        filename="a.csv",
        today=d("2026-06-12"),
    )
    assert hired.accepted == 1
    # when her XT in 123 and her hire in 456 arrive in two more files, in either order
    files = [header + "123,1001,111-22-3333,XT,2026-06-10\n", header + "456,7777,111-22-3333,A,2026-06-11\n"]
    for data in reversed(files) if hire_first else files:
        services.employee_file_import(customer=customer, data=data, filename="f.csv", today=d("2026-06-12"))
    # then the actions are her provision and one transfer to 456, never a deprovision
    actions = DownstreamAction.objects.order_by("seq")
    assert [(a.action, a.effective_date, a.company.external_id) for a in actions] == [
        ("provision", d("2026-03-01"), "123"),
        ("transfer", d("2026-06-11"), "456"),
    ]


def test_a_withdrawn_action_cannot_be_replayed(apply, pushed):
    from apps.core.errors import ApplicationError
    from apps.employees import delivery

    # given a hire and a termination on the same day, the deprovision withdrawn before it was sent
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "T", "2026-01-05", change_reason="same day")])  # moot before it was ever sent
    withdrawn = DownstreamAction.objects.get(state="superseded")
    # when the withdrawn action is replayed, then it is refused
    with pytest.raises(ApplicationError, match="cannot be replayed"):
        delivery.action_replay(action=withdrawn)


def test_the_reconcile_persons_command_brings_a_stale_ledger_in_step_once(apply, customer, capsys):
    from django.core.management import call_command

    # given a person whose ledger an older engine left wrong (told deprovisioned while active)
    apply([record("1001", "A", "2026-01-05")])
    Person.objects.update(downstream_access="deprovisioned")
    # when the command runs twice
    call_command("reconcile_persons", "--customer", customer.slug)
    call_command("reconcile_persons")
    # then one provision was written, and the second run found nothing to do
    out = capsys.readouterr().out
    assert f"{customer.slug}: 1 action(s) written" in out
    assert f"{customer.slug}: 0 action(s) written" in out
    assert Person.objects.get().downstream_access == "provisioned"

"""The filter-rule preview: who enters or leaves scope and which actions a save would write, nothing saved."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.employees import services
from apps.employees.models import ChangeBatch, DownstreamAction, Employee, Person
from apps.mappings.models import FilterRule
from tests.employees.factories import record

pytestmark = pytest.mark.django_db
PUSH_URL = "https://downstream.example.com/hooks"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def three_people(apply, customer):
    """Ada (RFT) and Grace (RPT) provisioned and delivered; Linus (RPT) hired, provision not yet sent."""
    services.downstream_target_set(customer=customer, url=PUSH_URL, signing_secret=SECRET)
    apply(
        [
            record("1001", "A", "2026-01-05", first_name="Ada", last_name="Lovelace"),
            record("1002", "A", "2026-01-05", first_name="Grace", last_name="Hopper", employment_type="RPT"),
        ]
    )
    DownstreamAction.objects.update(state="delivered", attempts=1)
    apply(
        [record("1003", "A", "2026-02-01", first_name="Linus", last_name="Torvalds", employment_type="RPT")]
    )


def snapshot():
    """Everything a save would change: rules, scope, persons, actions, batches and audit rows."""
    return (
        list(FilterRule.objects.values_list("pk", "field", "values", "active")),
        list(Employee.objects.order_by("pk").values_list("pk", "in_scope", "scope_reason")),
        list(Person.objects.order_by("pk").values_list("pk", "downstream_access")),
        list(DownstreamAction.objects.order_by("pk").values_list("pk", "state", "withdrawn_reason")),
        ChangeBatch.objects.count(),
        AuditEvent.objects.count(),
    )


def full_timers_only(company_set, **options):
    """Preview the rule "employment type in RFT" (include) on the set."""
    return services.filter_rule_preview(
        company_set=company_set,
        field="employment_type",
        operator="in",
        values=["RFT"],
        include=True,
        **options,
    )


def test_the_preview_names_who_leaves_scope_and_the_deprovisions_it_would_stage_and_saves_nothing(
    three_people, company_set
):
    # given a rule that keeps full-timers only, previewed with "deprovision them"
    before = snapshot()
    preview = full_timers_only(company_set, out_of_scope="deprovision")
    # then Grace and Linus leave scope, by name
    assert (preview["in_scope_now"], preview["in_scope_after"], preview["records"]) == (3, 1, 3)
    assert preview["persons_leaving"] == 2
    assert [(p["name"], p["downstream_access"]) for p in preview["persons_leaving_scope_all"]] == [
        ("Grace Hopper", "provisioned"),
        ("Linus Torvalds", "provisioned"),  # as the ledger says: its provision is written, not yet sent
    ]
    assert preview["persons_entering"] == 0
    # and Grace (delivered) gets a deprovision, Linus's unsent provision is withdrawn
    assert [(a["person_name"], a["action"]) for a in preview["actions"]] == [("Grace Hopper", "deprovision")]
    assert [(a["person_name"], a["action"], a["state"]) for a in preview["withdrawn"]] == [
        ("Linus Torvalds", "provision", "cancelled")
    ]
    # and nothing was written
    assert snapshot() == before


def test_with_the_default_leave_the_preview_lists_no_deprovision(three_people, company_set):
    preview = full_timers_only(company_set)
    assert preview["persons_leaving"] == 2
    assert preview["actions"] == []
    assert preview["actions_withdrawn"] == 1


def test_changing_a_saved_rule_previews_who_enters_scope(three_people, company_set):
    # given a saved rule that left the part-timers out
    rule = services.filter_rule_save(
        company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
    )
    before = snapshot()
    # when the consultant previews the rule widened to part-timers
    preview = services.filter_rule_preview(
        company_set=company_set,
        field="employment_type",
        operator="in",
        values=["RFT", "RPT"],
        include=True,
        rule=rule,
    )
    # then Grace and Linus enter scope, and the engine would provision Linus (Grace is still held)
    assert [p["name"] for p in preview["persons_entering_scope"]] == ["Grace Hopper", "Linus Torvalds"]
    assert (preview["in_scope_now"], preview["in_scope_after"]) == (1, 3)
    assert [(a["person_name"], a["action"]) for a in preview["actions"]] == [("Linus Torvalds", "provision")]
    # and the saved rule is unchanged
    assert snapshot() == before
    rule.refresh_from_db()
    assert rule.values == ["RFT"]


def test_an_inactive_rule_previews_as_no_rule(three_people, company_set):
    preview = full_timers_only(company_set, active=False)
    assert (preview["in_scope_now"], preview["in_scope_after"], preview["persons_leaving"]) == (3, 3, 0)

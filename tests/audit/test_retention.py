"""Retention: old history is pruned by a schedule; personal data never enters the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.audit import registry, services, tasks
from apps.audit.models import AuditEvent
from apps.core.schedules import all_schedules
from apps.employees.services import filter_rule_save
from apps.mappings.models import FilterRule
from apps.support.models import Ticket
from tests.support.factories import TicketFactory

pytestmark = pytest.mark.django_db

PERSONAL = {"first_name", "last_name", "email", "phone", "reporter_name", "reporter_email", "national_id"}
PERSONAL |= {"work_email", "birth_date", "title", "expected_result", "actual_result", "password"}


def _rule_with_old_history(company_set, now):
    rule = filter_rule_save(
        company_set=company_set, field="pay_group", operator="in", values=["A"], include=True
    )
    for values in (["B"], ["C"]):
        filter_rule_save(
            company_set=company_set, field="pay_group", operator="in", values=values, include=True, rule=rule
        )
    rows = list(rule.history.order_by("history_date", "history_id"))
    # the first two rows three years old, the last one recent
    for row, age in zip(rows, (1100, 1000, 1), strict=True):
        FilterRule.history.filter(history_id=row.history_id).update(history_date=now - dt.timedelta(days=age))
    AuditEvent.objects.filter(object_type="mappings.filterrule").update(time=now - dt.timedelta(days=1000))
    return rule, rows


@override_settings(AUDIT_RETENTION_DAYS=730)
def test_prune_deletes_old_rows_but_keeps_the_state_in_force_at_the_cutoff(company_set):
    # given a filter rule with two three-year-old versions and a recent one, and two-year retention
    now = timezone.now()
    rule, rows = _rule_with_old_history(company_set, now)

    # when the history is pruned
    result = tasks.services.audit_history_prune(now=now)

    # then only the version in force at the cutoff and the recent one remain, and old audit events are gone
    kept = list(rule.history.order_by("history_date").values_list("history_id", flat=True))
    assert kept == [rows[1].history_id, rows[2].history_id]
    assert result.history_rows >= 1
    assert not AuditEvent.objects.filter(object_type="mappings.filterrule").exists()
    # the state as of the cutoff is still readable
    as_of = rule.history.as_of(now - dt.timedelta(days=500))
    assert as_of.values == ["B"]


def test_retention_period_comes_from_the_setting(company_set):
    # given a filter rule with versions up to three years old
    now = timezone.now()
    rule, _ = _rule_with_old_history(company_set, now)
    # when the history is pruned with a retention longer than that
    with override_settings(AUDIT_RETENTION_DAYS=2000):
        services.audit_history_prune(now=now)
    # then every version is kept
    assert rule.history.count() == 3


def test_the_prune_schedule_is_registered_and_runs_the_task():
    # given the registered schedules
    # then the prune schedule runs the prune task
    spec = next(s for s in all_schedules() if s.name == "audit.prune_history")
    assert spec.func == "apps.audit.tasks.prune_history"
    # when the task runs, then it reports what it pruned
    assert "pruned" in tasks.prune_history()


def test_history_tables_hold_no_personal_data():
    assert registry.SPECS
    for model in registry.SPECS:
        columns = {f.name for f in model.history.model._meta.fields}
        assert not PERSONAL & columns, (model, PERSONAL & columns)


def test_ticket_history_records_state_not_the_reporter(customer):
    # given a ticket whose reporter and title name a person
    ticket = TicketFactory(customer=customer, reporter_email="jane.doe@example.com", title="Jane Doe's pay")
    # when its state and reporter name change
    ticket.state = "triaging"
    ticket.reporter_name = "Jane Doe"
    ticket.save()
    # then the audit event records only the state change and names the ticket by number
    event = AuditEvent.objects.filter(object_type="support.ticket").latest("id")
    assert event.changes == {"state": ["new", "triaging"]}
    assert event.object_repr == f"Ticket #{ticket.pk}"
    # and the ticket's history holds neither the reporter's email nor her name
    dump = repr(list(Ticket.history.values()))
    assert "jane.doe@example.com" not in dump
    assert "Jane Doe" not in dump

"""A downstream action's page shows the mapping, filters and policy in force when it was decided."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.asof import configuration_for_action, configuration_in_force
from apps.audit.context import audit_context
from apps.employees.models import DownstreamAction, DownstreamTarget, Person
from apps.employees.services import filter_rule_save, status_mapping_set
from apps.mappings.models import FilterRule, StatusMapping

pytestmark = pytest.mark.django_db


def _action(customer, company, *, created_at, code="FURL"):
    person = Person.objects.create(customer=customer, display_name="P. One")
    action = DownstreamAction.objects.create(
        customer=customer,
        person=person,
        company=company,
        action="deprovision",
        effective_date=dt.date(2026, 3, 1),
        key=f"asof-{code}-{created_at:%s}",
        status_code=code,
    )
    DownstreamAction.objects.filter(pk=action.pk).update(created_at=created_at)
    action.refresh_from_db()
    return action


def _age(model, obj_filter: dict, when: dt.datetime):
    """Move an object's history rows back in time (the trail records real time; tests need an order)."""
    model.history.filter(**obj_filter).update(history_date=when)


def test_action_page_shows_the_configuration_in_force_when_it_was_decided(
    client, admin_user, customer, company
):
    now = timezone.now()
    decided = now - dt.timedelta(days=5)
    # given the configuration as it was five days ago, when the action was decided ...
    with audit_context(channel="api", user=admin_user):
        mapping = status_mapping_set(
            company_set=company.company_set, code="FURL", status_type="terminated"
        ).mapping
        rule = filter_rule_save(
            company_set=company.company_set, field="pay_group", operator="in", values=["WEEKLY"], include=True
        )
        target = DownstreamTarget.objects.create(
            customer=customer, leave_policy="keep", transfer_grace_days=3
        )
    _age(StatusMapping, {"id": mapping.pk}, decided - dt.timedelta(days=1))
    _age(FilterRule, {"id": rule.pk}, decided - dt.timedelta(days=1))
    _age(DownstreamTarget, {"id": target.pk}, decided - dt.timedelta(days=1))
    action = _action(customer, company, created_at=decided)

    # ... and everything changed since
    status_mapping_set(company_set=company.company_set, code="FURL", status_type="leave")
    filter_rule_save(
        company_set=company.company_set,
        field="pay_group",
        operator="in",
        values=["MONTHLY"],
        include=True,
        rule=rule,
    )
    target.leave_policy = "suspend"
    target.transfer_grace_days = 9
    target.save()

    # then the explanation reads the old values, with who set them
    config = configuration_for_action(action)
    assert [row.status_type for row in config.mappings] == ["terminated"]
    assert [row.values for row in config.filters] == [["WEEKLY"]]
    assert (config.policy.leave_policy, config.policy.transfer_grace_days) == ("keep", 3)
    html = str(configuration_in_force(action))
    assert "<b>terminated</b>" in html
    assert "WEEKLY" in html
    assert "MONTHLY" not in html
    assert "hubadmin" in html
    # and the action's admin page shows it
    client.force_login(admin_user)
    page = client.get(f"/admin/employees/downstreamaction/{action.pk}/change/").content.decode()
    assert "Configuration in force when decided" in page
    assert "WEEKLY" in page


def test_a_standard_code_needs_no_mapping(customer, company):
    # given an action decided on the standard terminated code
    action = _action(customer, company, created_at=timezone.now(), code="T")
    # when the configuration in force is read
    config = configuration_for_action(action)
    # then the standard meaning applies and the page says no mapping was needed
    assert config.standard_type == "terminated"
    assert "standard code" in str(configuration_in_force(action))


def test_before_the_trail_started_the_page_says_so(customer, company):
    # given an action decided before the audit trail began
    action = _action(customer, company, created_at=timezone.now() - dt.timedelta(days=400))
    # when its configuration in force is shown
    html = str(configuration_in_force(action))
    # then the page says the trail started later
    assert "the trail started later" in html


def test_the_baseline_records_configuration_that_existed_before_the_trail(customer, company):
    from django.apps import apps

    from apps.audit import baseline, registry
    from apps.mappings.models import StatusMapping

    # given a mapping whose history is gone (as if it was made before the trail was installed)
    mapping = status_mapping_set(company_set=company.company_set, code="OLD", status_type="leave").mapping
    StatusMapping.history.all().delete()
    # when the baseline runs (the data migration that installs the trail does)
    written = baseline.history_baseline(apps, now=timezone.now() - dt.timedelta(days=1))
    # then later decisions see the mapping, and nothing else was duplicated
    assert written >= 1
    action = _action(customer, company, created_at=timezone.now(), code="OLD")
    config = configuration_for_action(action)
    assert [(row.code, row.status_type, row.history_actor) for row in config.mappings] == [
        ("OLD", "leave", baseline.ACTOR)
    ]
    assert mapping.history.count() == 1
    assert baseline.history_baseline(apps) == 0
    assert {(m._meta.app_label, m.__name__) for m in registry.SPECS} == set(baseline.COVERED)

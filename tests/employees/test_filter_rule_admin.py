"""The filter-rule admin: a Preview of the unsaved form (people, actions, before/after), nothing saved."""

from __future__ import annotations

import pytest

from apps.employees import services
from apps.employees.models import DownstreamAction, Employee
from apps.mappings.models import FilterRule
from tests.employees.factories import record

pytestmark = pytest.mark.django_db
PREVIEW = "/admin/mappings/filterrule/preview/"


@pytest.fixture
def two_people(company):
    services.employee_records_apply(
        company=company,
        records=[
            record("1001", "A", "2026-01-05", first_name="Ada", last_name="Lovelace"),
            record("1002", "A", "2026-01-05", first_name="Grace", last_name="Hopper", employment_type="RPT"),
        ],
        source="sync",
    )
    DownstreamAction.objects.update(state="delivered", attempts=1)


def form(company_set, **changes):
    data = {
        "company_set": company_set.pk,
        "field": "employment_type",
        "operator": "in",
        "values": "RFT",
        "include": "on",
        "description": "full-timers only",
        "active": "on",
        "out_of_scope": "deprovision",
    }
    data.update(changes)
    return data


def test_the_add_form_offers_a_preview_button(client, consultant):
    client.force_login(consultant)
    page = client.get("/admin/mappings/filterrule/add/").content.decode()
    assert 'id="filter-preview-button"' in page
    assert 'data-url="/admin/mappings/filterrule/preview/"' in page
    assert "Save to see the effect" not in page


def test_the_preview_names_the_people_and_the_actions_and_saves_nothing(
    client, consultant, company_set, two_people, django_assert_max_num_queries
):
    client.force_login(consultant)
    with django_assert_max_num_queries(80):
        response = client.post(PREVIEW, form(company_set))
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 of 2 records in scope (-1)" in page
    assert "2 of 2 records in scope" in page
    assert "1 person leaves scope" in page
    assert "Grace Hopper" in page
    assert "get a deprovision" in page
    assert "written, pending" in page
    # nothing saved: no rule, Grace still in scope, no deprovision
    assert not FilterRule.objects.exists()
    assert Employee.objects.filter(in_scope=True).count() == 2
    assert not DownstreamAction.objects.filter(action="deprovision").exists()


def test_a_change_preview_compares_with_the_saved_rule(client, consultant, company_set, two_people):
    rule = services.filter_rule_save(
        company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
    )
    client.force_login(consultant)
    page = client.post(f"{PREVIEW}?rule={rule.pk}", form(company_set, values="RFT, RPT")).content.decode()
    assert "1 person enters scope" in page
    assert "Grace Hopper" in page
    rule.refresh_from_db()
    assert rule.values == ["RFT"]
    # and the saved rule's page says what it does, with and without it
    change = client.get(f"/admin/mappings/filterrule/{rule.pk}/change/").content.decode()
    assert "1 of 2 with this rule, 2 of 2 without it" in change


def test_an_invalid_form_is_named_in_the_preview(client, consultant, company_set):
    client.force_login(consultant)
    page = client.post(PREVIEW, form(company_set, values=" , ")).content.decode()
    assert "Correct the form to preview the rule" in page
    assert "Give at least one value." in page


def test_a_user_of_another_customer_cannot_preview_this_customers_set(client, outsider, company_set):
    client.force_login(outsider)
    assert client.post(PREVIEW, form(company_set)).status_code == 403

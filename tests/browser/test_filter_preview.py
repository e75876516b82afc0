"""A consultant previews a filter rule in the admin before saving it: people, actions, nothing saved."""

from __future__ import annotations

import pytest

from apps.employees.models import DownstreamAction, Employee
from apps.employees.services import employee_records_apply
from apps.mappings.models import FilterRule
from tests.browser.pw import expect
from tests.employees.factories import record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: see test_mapping.py; ``migration_data`` restores what data migrations create.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_a_consultant_previews_a_filter_rule_before_saving_it(page, login, consultant, company, company_set):
    # given two provisioned people, one full-time and one part-time
    employee_records_apply(
        company=company,
        records=[
            record("1001", "A", "2026-01-05", first_name="Ada", last_name="Lovelace"),
            record("1002", "A", "2026-01-05", first_name="Grace", last_name="Hopper", employment_type="RPT"),
        ],
        source="sync",
    )
    DownstreamAction.objects.update(state="delivered", attempts=1)

    # when the consultant fills in a rule keeping full-timers only, choosing to deprovision who leaves
    login(consultant)
    page.goto("/admin/mappings/filterrule/add/")
    page.locator("#id_company_set").evaluate(
        "(select, [value, text]) => { select.add(new Option(text, value, true, true)); }",
        [str(company_set.pk), str(company_set)],
    )
    page.get_by_label("Field").select_option("employment_type")
    page.get_by_label("Values").fill("RFT")
    page.get_by_label("Deprovision them").check()
    # and presses Preview
    page.get_by_role("button", name="Preview").click()

    # then the before/after bar, the person leaving and the deprovision are shown
    preview = page.locator("#filter-preview")
    expect(preview.get_by_role("heading", name="Preview: nothing has been saved")).to_be_visible()
    expect(page.locator("#filter-preview-bar")).to_contain_text("2 of 2 records in scope")
    expect(page.locator("#filter-preview-bar")).to_contain_text("1 of 2 records in scope (-1)")
    expect(preview.get_by_role("heading", name="1 person leaves scope")).to_be_visible()
    expect(preview.locator(".hub-people")).to_have_text("Grace Hopper (provisioned)")
    expect(page.locator("#filter-preview-actions tbody tr")).to_have_count(1)
    expect(page.locator("#filter-preview-actions tbody tr")).to_contain_text("Grace Hopper")
    expect(page.locator("#filter-preview-actions tbody tr")).to_contain_text("deprovision")
    # and the bar is drawn to scale
    widths = page.locator("#filter-preview-bar .hub-ba-fill").evaluate_all(
        "bars => bars.map(b => b.offsetWidth / b.parentElement.clientWidth)"
    )
    assert [round(w, 2) for w in widths] == [1.0, 0.5]
    # and nothing was saved
    assert not FilterRule.objects.exists()
    assert Employee.objects.filter(in_scope=True).count() == 2
    assert not DownstreamAction.objects.filter(action="deprovision").exists()

    # when the consultant saves the rule as previewed
    page.get_by_role("button", name="Save", exact=True).click()
    # then the list shows it with its effect, and Grace is deprovisioned as the preview said
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert DownstreamAction.objects.get(action="deprovision").person.display_name == "Grace Hopper"

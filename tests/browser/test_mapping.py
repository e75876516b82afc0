"""A consultant maps a custom status code from the preview and sees the held events released."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.employees.models import Employee, StatusEvent
from apps.employees.services import employee_records_apply
from apps.mappings.models import StatusMapping
from tests.browser.pw import expect
from tests.employees.factories import record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: a flush by an earlier transactional test recreates content types with other
    # ids than the serialized copy holds. ``migration_data`` restores what data migrations create instead.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_a_consultant_maps_a_held_code_from_the_preview_and_the_events_are_released(
    page, login, consultant, company, company_set
):
    # given three employees hired, two of whom then got the custom code SAB nobody has mapped
    today = dt.date.today()
    employee_records_apply(
        company=company,
        records=[record(f"{1001 + n}", "A", today - dt.timedelta(days=300), company="123") for n in range(3)],
        source="sync",
        today=today,
    )
    employee_records_apply(
        company=company,
        records=[record(f"{1001 + n}", "SAB", today - dt.timedelta(days=5), company="123") for n in range(2)],
        source="webhook",
        today=today,
    )
    assert StatusEvent.objects.filter(held=True, code="SAB").count() == 2

    # when the consultant opens the dashboard, the held code is listed with a button to map it
    login(consultant)
    held = page.locator("#held-codes")
    expect(held.get_by_role("rowheader", name="SAB")).to_be_visible()
    expect(held.get_by_role("row", name="SAB")).to_contain_text("2")
    held.get_by_role("link", name="Map SAB").click()

    # and previews the mapping to Leave
    expect(page.get_by_role("heading", name="Map status code SAB")).to_be_visible()
    page.get_by_label("Status type").select_option(label="Leave")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("2 held event(s) would be released")
    expect(page.locator("#preview-employees tbody tr")).to_have_count(2)

    # and saves it
    page.get_by_role("button", name="Save mapping and release held events").click()

    # then the admin says the events were released, and the dashboard has no held code left
    expect(page.locator(".messagelist")).to_contain_text("2 held event(s) released")
    page.goto("/admin/")
    expect(page.locator("#held-codes")).to_contain_text("No held events")
    assert StatusMapping.objects.get(code="SAB").status_type == "leave"
    assert not StatusEvent.objects.filter(held=True).exists()
    assert set(Employee.objects.filter(status_code="SAB").values_list("status_type", flat=True)) == {"leave"}

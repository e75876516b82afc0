"""The dashboard with demo data as a person sees it, and the sync run page refreshing itself."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.integrations.models import Connection, SyncRun
from tests.browser.demo import build_demo_world
from tests.browser.pw import expect
from tests.integrations.factories import ConnectionFactory, SyncRunFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: a flush by an earlier transactional test recreates content types with other
    # ids than the serialized copy holds. ``migration_data`` restores what data migrations create instead.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_the_dashboard_renders_the_demo_data_readably_at_1280_px(page, login, admin_user):
    # given the demo world (seed_demo and a day of activity)
    world = build_demo_world()
    # when an admin signs in
    login(admin_user)
    # then every section is there with its data
    for name in ("Connections", "Employee lifecycle", "Support", "Implementation projects", "Payroll"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.locator("#connection-health tbody tr")).to_have_count(Connection.objects.count())
    expect(page.get_by_role("img", name="API calls per hour over the last 24 hours: Beacon")).to_be_visible()
    expect(page.locator("#connection-health")).to_contain_text("circuit open")
    expect(page.locator("#held-codes")).to_contain_text("Acme Paylocity")
    expect(page.locator("#tickets-by-category")).to_contain_text("Mapping needed")
    for phase in ("Discovery", "Implementation", "Testing", "Move to Production", "Ongoing Support"):
        expect(page.get_by_role("region", name=phase, exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Active vs paid employees of client 100100")).to_be_visible()
    expect(page.locator("#workbench")).to_contain_text("Employees")
    # and it fits a 1280 px screen, every table has a caption, every chart a name
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("#content-main table:not(:has(caption))").count() == 0
    assert page.locator("svg[role=img]:not([aria-labelledby])").count() == 0
    # and the keyboard reaches the section links, which move the focus to the section
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Support":
            break
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#section-support"

    # when the admin opens the timeline of the demo employee from its admin page
    page.goto(f"/admin/employees/employee/{world['employee'].pk}/change/")
    page.get_by_role("link", name="Timeline of this person").click()
    # then the periods, the marks and the actions are drawn and written out
    expect(page.get_by_role("img", name="Status timeline of")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("retro-active")
    expect(page.locator("#content-main")).to_contain_text("future-dated")
    expect(page.locator("#timeline-actions tbody tr").first).to_be_visible()


def test_the_sync_run_page_follows_a_running_sync_without_a_reload(page, login, admin_user):
    # given a running sync at 10 of 100 employees
    connection = ConnectionFactory(name="Acme Paylocity", state=Connection.State.LIVE)
    run = SyncRunFactory(
        connection=connection, state=SyncRun.State.RUNNING, progress_done=10, progress_total=100, fetched=100
    )
    login(admin_user)
    # when the admin follows the dashboard's link to it
    page.locator("#connection-health").get_by_role("link", name=f"#{run.pk} running").click()
    expect(page.locator("#run-progress-label")).to_have_text("10%")
    page.evaluate("window.__sameDocument = true")
    # and the worker makes progress
    SyncRun.objects.filter(pk=run.pk).update(
        progress_done=60, created=4, updated=50, heartbeat_at=timezone.now()
    )
    # then the page shows it by itself
    expect(page.locator("#run-progress-label")).to_have_text("60%", timeout=10_000)
    expect(page.locator('[data-count="created"]')).to_have_text("4")
    # and when the run ends with an error, the state, the note and the error appear
    SyncRun.objects.filter(pk=run.pk).update(
        state=SyncRun.State.PARTIAL,
        progress_done=100,
        failed=1,
        errors=[{"employee_id": "1042", "error": "Unknown status code"}],
        finished_at=timezone.now(),
    )
    expect(page.locator('[data-field="state_label"]')).to_have_text(
        "Partial (some records failed)", timeout=10_000
    )
    expect(page.locator("#live-note")).to_contain_text("The sync has finished")
    expect(page.locator("#run-errors")).to_contain_text("Unknown status code")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

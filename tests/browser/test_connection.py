"""A consultant onboards on the sandbox from a connection's page: a sandbox company, Test, Sync now, the run."""

from __future__ import annotations

import pytest

from apps.employees.models import Employee
from apps.integrations.models import Connection, SyncRun
from tests.browser.pw import expect
from tests.integrations.factories import ConnectionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: see test_dashboard.py. ``migration_data`` restores the role groups.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_test_and_sync_now_from_a_connection_page_land_on_the_run_page_with_the_result(
    page, login, live_server, consultant, customer
):
    # given a new sandbox connection on the live server's sandbox, with no company and no credentials yet
    connection = ConnectionFactory(
        customer=customer,
        name="Delta Paylocity sandbox",
        provider="paylocity",
        environment=Connection.Environment.SANDBOX,
        base_url=f"{live_server.url}/sandbox/paylocity",
        client_id="",
        client_secret="",
    )
    login(consultant)
    page.goto(f"/admin/integrations/connection/{connection.pk}/change/")

    # when the consultant creates a sandbox company for it, with 6 generated employees
    page.get_by_role("link", name="Create a sandbox company…").click()
    page.get_by_label("Name").fill("Delta Dental Clinics")
    page.get_by_label("Employees").fill("6")
    page.get_by_role("button", name="Create the sandbox company").click()
    expect(page.get_by_role("heading", name="Sandbox company 7000 is ready")).to_be_visible()
    page.get_by_role("link", name="Back to Delta Paylocity sandbox").click()

    # and tests the connection from its page
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Test of Delta Paylocity sandbox: Authenticated.")

    # and syncs it now
    page.get_by_role("button", name="Sync now").click()

    # then the run's live page shows the finished run and what it did
    page.wait_for_url("**/hub/sync-runs/*/")
    expect(page.locator(".messagelist")).to_contain_text("queued")
    expect(page.locator('[data-field="state_label"]')).to_have_text("Succeeded")
    expect(page.locator('[data-count="created"]')).to_have_text("6")
    expect(page.locator("#run-progress-text")).to_have_text("6 of 6 employees")
    run = SyncRun.objects.get(connection=connection)
    assert page.url.endswith(f"/hub/sync-runs/{run.pk}/")
    assert Employee.objects.filter(company__external_id="7000").count() == 6

    # and the connection's page now offers to watch that run live
    page.goto(f"/admin/integrations/connection/{connection.pk}/change/")
    page.get_by_role("link", name="Watch live").click()
    page.wait_for_url(f"**/hub/sync-runs/{run.pk}/")

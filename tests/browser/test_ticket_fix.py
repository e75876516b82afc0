"""From a "mapping needed" ticket, a consultant follows the link, maps the code and comes back to the ticket:
the fix is on the ticket's log (who and what) and the ticket is resolved. The page fits 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.employees.services import employee_records_apply
from apps.support.models import State, Ticket
from apps.support.services import ticket_log_add
from tests.browser.pw import expect
from tests.employees.factories import record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: see tests/browser/test_mapping.py.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_mapping_from_a_ticket_logs_the_fix_and_resolves_the_ticket(
    page, login, consultant, company, company_set
):
    # Given an employee whose feed brought the custom code SAB nobody has mapped: the system opens a ticket
    today = dt.date.today()
    employee_records_apply(
        company=company,
        records=[record("1001", "A", today - dt.timedelta(days=300))],
        source="sync",
        today=today,
    )
    employee_records_apply(
        company=company,
        records=[record("1001", "SAB", today - dt.timedelta(days=5))],
        source="sync",
        today=today,
    )
    ticket = Ticket.objects.get(automatic_key=f"mapping-needed:{company_set.pk}:SAB")
    assert "Acme" not in ticket.title  # automatic titles carry no customer names
    long_uri = "https://api.paylocity.com/api/v2/companies/123/employees/1001?" + "&".join(
        f"include{n}=statusHistory" for n in range(25)
    )
    ticket_log_add(ticket=ticket, text=f"Called {long_uri} and got the code SAB back.")

    # When the consultant opens the ticket at 1280 px
    login(consultant)
    page.goto(f"/admin/support/ticket/{ticket.pk}/change/")
    expect(page.locator(".hub-panel")).to_contain_text("SAB")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing wider than the screen

    # and follows the link to map the code, previews Leave and saves it
    page.get_by_role("link", name="Map status code SAB").click()
    expect(page.get_by_role("heading", name="Map status code SAB")).to_be_visible()
    page.get_by_label("Status type").select_option(label="Leave")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("1 held event(s) would be released")
    page.get_by_role("button", name="Save mapping and release held events").click()

    # Then the browser is back on the ticket, whose log says who mapped what, and the ticket is resolved
    expect(page).to_have_url(f"/admin/support/ticket/{ticket.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("1 held event(s) released")
    log = page.locator("#log_entries-group, .inline-group").filter(has_text="troubleshooting log")
    expect(log).to_contain_text(f"Fixed by {consultant}: status code SAB mapped to Leave.")
    expect(log).to_contain_text("to Resolved: nothing is left of the problem")
    expect(page.locator(".field-state")).to_contain_text("Resolved")
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED

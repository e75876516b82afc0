"""An admin advances a project through a phase from the dashboard's board."""

from __future__ import annotations

import pytest

from apps.implementations.models import ImplementationProject, PhaseChange
from apps.implementations.services import deliverable_complete
from tests.browser.pw import expect
from tests.implementations.factories import make_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: a flush by an earlier transactional test recreates content types with other
    # ids than the serialized copy holds. ``migration_data`` restores what data migrations create instead.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def test_an_admin_moves_a_project_to_the_next_phase_with_an_override_reason(
    page, login, admin_user, customer
):
    # given a project in Discovery with all but one deliverable of the phase done
    project = make_project(customer, name="Acme Paylocity go-live", template_slug="deliverables-by-phase")
    discovery = list(project.deliverables.filter(phase="discovery").order_by("order", "pk"))
    for deliverable in discovery[:-1]:
        deliverable_complete(deliverable=deliverable)

    # when the admin finds its card in the Discovery column of the board and opens it
    login(admin_user)
    column = page.get_by_role("region", name="Discovery")
    card = column.get_by_role("listitem").filter(has_text="Acme Paylocity go-live")
    expect(card).to_contain_text(f"{len(discovery) - 1}/{len(discovery)}")
    card.get_by_role("link", name="Acme Paylocity go-live").click()

    # and asks to advance it: the open deliverable is shown, an override needs a reason
    page.get_by_role("link", name="Advance phase…").click()
    expect(page.get_by_role("heading", name="Advance to the next phase")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text(discovery[-1].responsibility[:40])
    page.get_by_label("Override reason").fill("The customer confirmed the last item by phone.")
    page.get_by_role("button", name="Advance").click()

    # then the project is in Implementation, the override recorded, and the board shows it there
    expect(page.locator(".messagelist")).to_contain_text("Discovery → Implementation (override recorded)")
    project.refresh_from_db()
    assert project.phase == "implementation"
    change = PhaseChange.objects.get(project=project, to_phase="implementation")
    assert change.overridden and change.changed_by == admin_user
    page.goto("/admin/")
    expect(page.get_by_role("region", name="Implementation", exact=True)).to_contain_text(
        "Acme Paylocity go-live"
    )
    expect(page.get_by_role("region", name="Discovery")).not_to_contain_text("Acme Paylocity go-live")
    assert ImplementationProject.objects.filter(phase="discovery").count() == 0

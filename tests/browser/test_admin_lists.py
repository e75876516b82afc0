"""Wide change lists (payroll batches, connections) show every column from 1280 px to 1680 px and beyond."""

from __future__ import annotations

import pytest

from tests.browser.demo import build_demo_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: see test_mapping.py; ``migration_data`` restores what data migrations create.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

# How far the list's table reaches past its box (0: it fits), and the last header's right edge.
MEASURE = """() => {
  const box = document.querySelector('#changelist .results');
  const headers = [...document.querySelectorAll('#result_list thead th')];
  return {
    hidden: box.scrollWidth - box.clientWidth,
    lastRight: headers[headers.length - 1].getBoundingClientRect().right,
    page: document.documentElement.scrollWidth,
  };
}"""


def test_batch_and_connection_lists_fit_without_cutting_off_columns(page, login, admin_user):
    # given the demo data (six batches, three connections with long webhook URLs)
    build_demo_world()
    login(admin_user)
    for width in (1280, 1440, 1680, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        for url in ("/admin/payroll/payrollbatch/", "/admin/integrations/connection/"):
            # when the admin opens the list at this width
            page.goto(url)
            measured = page.evaluate(MEASURE)
            # then the table fits its box (nothing behind a sideways scroll) and the page fits the screen
            assert measured["hidden"] <= 0, (width, url, measured)
            assert measured["lastRight"] <= width, (width, url, measured)
            assert measured["page"] <= width, (width, url, measured)

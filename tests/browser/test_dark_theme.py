"""The employee timeline in the dark theme: its labels stay readable against the chart's own background."""

from __future__ import annotations

import pytest

from apps.employees.models import Employee
from apps.employees.services import employee_records_apply
from tests.browser.pw import expect
from tests.employees.factories import record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    # Not serialized_rollback: see test_mapping.py; ``migration_data`` restores what data migrations create.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

# WCAG 2 contrast ratio of each label's computed fill against the chart's computed background colour.
CONTRASTS = """
(svg) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (text) => {
    const [r, g, b] = rgb(text).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = getComputedStyle(svg).backgroundColor;
  const selector = "text.hub-axis-label, text.hub-lane-label, text.hub-today-label";
  return {
    background,
    labels: [...svg.querySelectorAll(selector)].map((label) => {
      const fill = getComputedStyle(label).fill;
      const [a, b] = [luminance(fill), luminance(background)].sort((x, y) => y - x);
      return { text: label.textContent, fill, ratio: (a + 0.05) / (b + 0.05) };
    }),
  };
}
"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_timeline_labels_keep_a_readable_contrast_in_either_theme(
    page, login, admin_user, company, scheme
):
    # given an employee with a hire and a leave
    employee_records_apply(company=company, records=[record("1001", "A", "2026-01-05")], source="sync")
    employee_records_apply(company=company, records=[record("1001", "L", "2026-03-01")], source="sync")
    employee = Employee.objects.get()
    # when the admin opens the timeline with the browser set to the theme
    page.emulate_media(color_scheme=scheme)
    login(admin_user)
    page.goto(f"/hub/employees/{employee.pk}/timeline/")
    chart = page.get_by_role("img", name="Status timeline of")
    expect(chart).to_be_visible()
    # then the chart's background is the page's own, and every label contrasts with it at 4.5:1 or more
    measured = chart.evaluate(CONTRASTS)
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert measured["background"] == page_background
    assert page_background == ("rgb(18, 18, 18)" if scheme == "dark" else "rgb(255, 255, 255)")
    assert len(measured["labels"]) >= 4
    low = [
        (label["text"], label["fill"], round(label["ratio"], 2))
        for label in measured["labels"]
        if label["ratio"] < 4.5
    ]
    assert low == [], f"labels under 4.5:1 against {measured['background']}: {low}"

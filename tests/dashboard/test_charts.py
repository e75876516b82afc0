"""The server-side SVG charts: scales by tables and hypothesis, rendering by what a reader must find."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.dashboard import charts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1.0),
        (-5, 1.0),
        (0.3, 0.5),
        (1, 1.0),
        (3, 5.0),
        (7, 10.0),
        (11, 20.0),
        (21, 25.0),
        (233, 250.0),
        (400, 500.0),
        (50_000, 50_000.0),
        (50_001, 100_000.0),
    ],
)
def test_nice_ceiling_rounds_up_to_one_two_two_and_a_half_or_five(value, expected):
    assert charts.nice_ceiling(value) == pytest.approx(expected)


@given(st.floats(min_value=1e-6, max_value=1e12, allow_nan=False))
def test_nice_ceiling_is_never_below_the_value_nor_more_than_double_it(value):
    top = charts.nice_ceiling(value)
    assert top >= value * (1 - 1e-9)
    assert top <= value * 2.5 + 1e-9


@given(
    st.floats(min_value=-1e6, max_value=1e9, allow_nan=False),
    st.floats(min_value=0.001, max_value=1e9, allow_nan=False),
    st.floats(min_value=1, max_value=1000, allow_nan=False),
)
def test_a_bar_never_leaves_the_plot(value, top, height):
    h = charts.scale(value, top, height)
    assert 0 <= h <= height


@pytest.mark.parametrize(
    ("values", "threshold", "expected_top"),
    [
        ([10, 20, 65], 50_000, 100.0),  # the threshold is far away: the axis follows the data
        ([100, 388], 400, 500.0),  # near the threshold: the axis reaches above it
        ([900], 400, 1000.0),  # over it
        ([], 400, 1.0),
        ([0, 0], None, 1.0),
    ],
)
def test_the_axis_reaches_the_threshold_only_when_the_data_comes_near_it(values, threshold, expected_top):
    assert charts.axis_top(values, threshold) == expected_top


def test_a_bar_chart_is_an_image_with_a_title_a_description_and_a_tooltip_per_bar():
    # given three hours of calls with the middle one over a threshold of 50
    bars = [charts.Bar("13h", 10, "13:00: 10 calls"), charts.Bar("14h", 60), charts.Bar("15h", 0)]
    # when it is drawn
    svg = str(charts.bar_chart(bars, id_prefix="c1", title="Calls <per hour>", desc="Peak 60", threshold=50))
    # then it is labelled for assistive technology and escapes text
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Calls &lt;per hour&gt;</title>' in svg
    assert svg.count('class="hub-bar') == 3
    assert "<title>13:00: 10 calls</title>" in svg and "<title>14h: 60</title>" in svg
    # and the hour over the threshold is marked, and the threshold line is drawn
    assert svg.count("hub-bar-over") == 1
    assert 'class="hub-threshold"' in svg


def test_a_threshold_far_above_the_data_is_not_drawn_but_the_bars_stay_visible():
    svg = str(
        charts.bar_chart(
            [charts.Bar("a", 5), charts.Bar("b", 10)], id_prefix="c", title="t", desc="d", threshold=50_000
        )
    )
    assert 'class="hub-threshold"' not in svg
    heights = [
        float(h)
        for h in re.findall(r'class="hub-bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)
    ]
    assert max(heights) > 20  # the tallest bar fills most of the plot, not a sliver


def test_a_grouped_chart_names_each_series_in_its_legend_and_each_bar():
    svg = str(
        charts.grouped_bar_chart(
            [("05-01", [40, 38]), ("05-15", [41, 41])],
            [charts.Series("Active", "a", "#000"), charts.Series("Paid", "p", "#111")],
            id_prefix="g",
            title="Active vs paid",
            desc="d",
        )
    )
    assert ">Active</text>" in svg and ">Paid</text>" in svg
    assert "<title>05-01: Active 40</title>" in svg and "<title>05-15: Paid 41</title>" in svg


@pytest.mark.parametrize(
    ("done", "total", "text"),
    [(0, 0, "0/0 (0%)"), (2, 3, "2/3 (67%)"), (7, 7, "7/7 (100%)")],
)
def test_a_progress_bar_says_its_numbers_in_words(done, total, text):
    html = str(charts.percent_bar(done, total, label="Deliverables of <P>"))
    assert text in html
    assert 'aria-label="Deliverables of &lt;P&gt;"' in html

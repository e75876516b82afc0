"""The timeline's rules: which status was in force when, the marks, the axis, and what the SVG says."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.dashboard.timeline import (
    ActionPoint,
    EventPoint,
    Lane,
    Period,
    axis_bounds,
    event_marks,
    month_ticks,
    render_timeline,
    status_periods,
    x_of,
)

D = dt.date.fromisoformat
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def ev(pk, code, on, status_type="active", recorded=0, **kw) -> EventPoint:
    return EventPoint(
        pk=pk,
        code=code,
        status_type=status_type,
        effective_date=D(on),
        recorded_at=T0 + dt.timedelta(hours=recorded),
        **kw,
    )


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], []),
        (
            [ev(1, "A", "2026-01-01")],
            [Period(D("2026-01-01"), None, "A", "active")],
        ),
        (  # a termination ends the active period
            [ev(1, "A", "2026-01-01"), ev(2, "T", "2026-03-01", "terminated")],
            [
                Period(D("2026-01-01"), D("2026-03-01"), "A", "active"),
                Period(D("2026-03-01"), None, "T", "terminated"),
            ],
        ),
        (  # a retro-active event recorded later, dated between the others, splits the history
            [
                ev(1, "A", "2026-01-01"),
                ev(2, "T", "2026-03-01", "terminated"),
                ev(3, "L", "2026-02-01", "leave", recorded=5, retroactive=True),
            ],
            [
                Period(D("2026-01-01"), D("2026-02-01"), "A", "active"),
                Period(D("2026-02-01"), D("2026-03-01"), "L", "leave"),
                Period(D("2026-03-01"), None, "T", "terminated"),
            ],
        ),
        (  # the same date twice: the later recording wins
            [ev(1, "A", "2026-01-01"), ev(2, "T", "2026-01-01", "terminated", recorded=1)],
            [Period(D("2026-01-01"), None, "T", "terminated")],
        ),
        (  # a repeated code is one period
            [ev(1, "A", "2026-01-01"), ev(2, "A", "2026-02-01")],
            [Period(D("2026-01-01"), None, "A", "active")],
        ),
        (  # a held event (unmapped code) is its own kind of period
            [ev(1, "A", "2026-01-01"), ev(2, "SAB", "2026-02-01", None, held=True)],
            [
                Period(D("2026-01-01"), D("2026-02-01"), "A", "active"),
                Period(D("2026-02-01"), None, "SAB", None, True),
            ],
        ),
    ],
)
def test_status_periods_follow_the_latest_recorded_event_per_effective_date(events, expected):
    assert status_periods(events) == expected


event_lists = st.lists(
    st.builds(
        ev,
        pk=st.integers(1, 10_000),
        code=st.sampled_from(["A", "L", "T", "XT"]),
        on=st.dates(D("2020-01-01"), D("2030-12-31")).map(dt.date.isoformat),
        status_type=st.sampled_from(["active", "leave", "terminated"]),
        recorded=st.integers(0, 1000),
    ),
    max_size=30,
)


@given(event_lists)
def test_periods_are_ordered_contiguous_and_only_the_last_is_open(events):
    periods = status_periods(events)
    for before, after in itertools.pairwise(periods):
        assert before.end == after.start
        assert before.start < before.end
    assert all(p.end is not None for p in periods[:-1])
    if periods:
        assert periods[-1].end is None
        assert periods[0].start == min(e.effective_date for e in events)


@pytest.mark.parametrize(
    ("event", "marks"),
    [
        (ev(1, "A", "2026-01-01"), []),
        (ev(1, "T", "2026-01-01", retroactive=True), ["retro-active"]),
        (ev(1, "SAB", "2026-01-01", None, held=True), ["held: unmapped code"]),
        (ev(1, "SAB", "2026-01-01", released=True), ["released"]),
        (ev(1, "R", "2026-07-01"), ["future-dated"]),
        (ev(1, "T", "2026-07-01", retroactive=True), ["retro-active", "future-dated"]),
    ],
)
def test_event_marks_say_retro_active_held_released_and_future_dated(event, marks):
    assert event_marks(event, D("2026-06-01")) == marks


@given(
    st.lists(st.dates(D("2000-01-01"), D("2040-01-01")), max_size=20),
    st.dates(D("2010-01-01"), D("2030-01-01")),
)
def test_the_axis_holds_every_date_and_today(dates, today):
    start, end = axis_bounds(dates, today)
    assert start < today < end
    assert all(start < d < end for d in dates)
    assert (end - start).days >= 60


def test_a_window_cuts_old_history_but_keeps_today_and_what_comes():
    start, end = axis_bounds([D("2015-01-01"), D("2026-07-01")], D("2026-06-01"), not_before=D("2025-06-01"))
    assert D("2025-01-01") < start <= D("2025-06-01") and end > D("2026-07-01")


@pytest.mark.parametrize(
    ("start", "end", "first", "count"),
    [
        ("2026-01-10", "2026-06-20", "2026-02-01", 5),  # monthly
        ("2020-01-10", "2026-06-20", "2021-01-01", 6),  # yearly
    ],
)
def test_month_ticks_are_first_days_and_at_most_twelve(start, end, first, count):
    ticks = month_ticks(D(start), D(end))
    assert ticks[0] == D(first) and len(ticks) == count
    assert all(t.day == 1 for t in ticks) and len(ticks) <= 12


def test_x_of_clamps_dates_outside_the_axis():
    start, end = D("2026-01-01"), D("2026-01-11")
    assert x_of(D("2025-01-01"), start, end, 100, 50) == 100
    assert x_of(D("2026-01-06"), start, end, 100, 50) == 125
    assert x_of(D("2027-01-01"), start, end, 100, 50) == 150


def test_the_svg_labels_each_period_event_and_action_in_words():
    # given a record hired, retro-actively put on leave, with a held code and a future termination
    lane = Lane(
        pk=1,
        label="6700 / 1001",
        sublabel="Clinics",
        highlighted=True,
        events=[
            ev(1, "A", "2026-01-01"),
            ev(2, "L", "2026-03-01", "leave", recorded=9, retroactive=True),
            ev(3, "SAB", "2026-05-01", None, held=True),
            ev(4, "T", "2026-08-01", "terminated"),
        ],
    )
    action = ActionPoint(pk=1, action="suspend", state="dead", effective_date=D("2026-03-01"))
    # when it is drawn
    svg = str(
        render_timeline(
            [lane], [action], today=D("2026-06-01"), id_prefix="t", title="Timeline of <Ada>", desc="d"
        )
    )
    # then every shape has its sentence, and text is escaped
    assert 'role="img"' in svg and "Timeline of &lt;Ada&gt;" in svg
    assert "A (Active) from 2026-01-01 until 2026-03-01" in svg
    assert "SAB (Unmapped code (held, hatched)) from 2026-05-01 until 2026-08-01" in svg
    assert "T (Terminated) from 2026-08-01 still in force (scheduled)" in svg
    assert "L effective 2026-03-01, recorded 2026-01-01 (retro-active)" in svg
    assert "(held: unmapped code)" in svg and "(future-dated)" in svg
    assert "suspend effective 2026-03-01: dead" in svg
    assert (
        svg.count("hub-ev-retro") == 1 and svg.count("hub-ev-held") == 1 and svg.count("hub-ev-future") == 1
    )
    assert ">today</text>" in svg

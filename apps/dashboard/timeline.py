"""The employee timeline: status periods per record on one time axis, events marked, actions underneath.

Pure: no database. ``selectors.person_timeline`` turns rows into the dataclasses below; ``status_periods``
decides which status was in force when (the same rule as the lifecycle engine: for each effective date the
latest recorded event wins, and it stays in force until the next effective date); ``render_timeline``
draws it as inline SVG. The page prints the same facts as tables, so the picture is never the only way in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from .charts import svg_format

# Status kinds: the three status types and "unmapped" (a held event's code has no type yet).
ACTIVE, LEAVE, TERMINATED, UNMAPPED = "active", "leave", "terminated", "unmapped"
KIND_STYLE: dict[str, tuple[str, str]] = {
    # kind: (fill, words of the legend). White text on each fill has a contrast ratio above 4.5:1.
    ACTIVE: ("#2e7d32", "Active"),
    LEAVE: ("#8a5300", "Leave"),
    TERMINATED: ("#555555", "Terminated"),
    UNMAPPED: ("url(#hub-hatch)", "Unmapped code (held, hatched)"),
}
ACTION_STATE_FILL = {
    "delivered": "#2e7d32",
    "pending": "#0b57d0",
    "staged": "#0b57d0",
    "awaiting_approval": "#8a5300",
    "failed": "#ba2121",
    "dead": "#ba2121",
    "rejected": "#555555",
}
ACTION_LETTER = {"provision": "P", "deprovision": "D", "suspend": "S", "restore": "R", "transfer": "T"}


@dataclass(frozen=True)
class EventPoint:
    """One status event of a record, as the timeline needs it."""

    pk: int
    code: str
    status_type: str | None
    effective_date: dt.date
    recorded_at: dt.datetime
    held: bool = False
    retroactive: bool = False
    released: bool = False
    transition: str = ""
    source: str = ""
    change_reason: str = ""


@dataclass(frozen=True)
class Period:
    """A stretch of time one status was in force on one record; ``end`` is exclusive, None while open."""

    start: dt.date
    end: dt.date | None
    code: str
    status_type: str | None
    held: bool = False

    @property
    def kind(self) -> str:
        if self.held or not self.status_type:
            return UNMAPPED
        return self.status_type


@dataclass(frozen=True)
class ActionPoint:
    """One downstream action of the person."""

    pk: int
    action: str
    state: str
    effective_date: dt.date
    label: str = ""


@dataclass
class Lane:
    """One employee record: its label, its events and (computed) periods."""

    pk: int
    label: str
    sublabel: str = ""
    events: list[EventPoint] = field(default_factory=list)
    highlighted: bool = False

    @property
    def periods(self) -> list[Period]:
        return status_periods(self.events)


def status_periods(events: Sequence[EventPoint]) -> list[Period]:
    """Return the periods in force, oldest first, from a record's events (in any order).

    1. Per effective date, the latest recorded event wins (a correction recorded later replaces the
       earlier one for the same date).
    2. Each winner is in force from its date to the next date with an event (open for the last one).
    3. Consecutive periods with the same code, type and held flag are one period.
    """
    winners: dict[dt.date, EventPoint] = {}
    for event in sorted(events, key=lambda e: (e.effective_date, e.recorded_at, e.pk)):
        winners[event.effective_date] = event
    dates = sorted(winners)
    periods: list[Period] = []
    for index, day in enumerate(dates):
        event = winners[day]
        end = dates[index + 1] if index + 1 < len(dates) else None
        status_type = None if event.held else event.status_type
        last = periods[-1] if periods else None
        if last and (last.code, last.status_type, last.held) == (event.code, status_type, event.held):
            periods[-1] = Period(last.start, end, last.code, last.status_type, last.held)
            continue
        periods.append(Period(day, end, event.code, status_type, event.held))
    return periods


MARK_CSS = {
    "retro-active": "retro",
    "held: unmapped code": "held",
    "released": "released",
    "future-dated": "future",
}


def event_marks(event: EventPoint, today: dt.date) -> list[str]:
    """Return the words that mark an event: retro-active, held, released, future-dated."""
    marks = []
    if event.retroactive:
        marks.append("retro-active")
    if event.held:
        marks.append("held: unmapped code")
    if event.released:
        marks.append("released")
    if event.effective_date > today:
        marks.append("future-dated")
    return marks


def axis_bounds(
    dates: Sequence[dt.date], today: dt.date, *, min_days: int = 60, not_before: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the axis: every date and today inside, with a margin each side.

    ``not_before`` cuts the history off (a window such as "the last year"): what was in force at that day
    is drawn from the axis's left edge.
    """
    low = min([*dates, today])
    if not_before is not None:
        low = max(low, min(not_before, today))
    high = max([*dates, today])
    span = (high - low).days
    if span < min_days:
        extra = min_days - span
        low -= dt.timedelta(days=extra // 2)
        high += dt.timedelta(days=extra - extra // 2)
        span = min_days
    pad = dt.timedelta(days=max(span // 20, 7))
    return low - pad, high + pad


def month_ticks(start: dt.date, end: dt.date, *, max_ticks: int = 12) -> list[dt.date]:
    """Return first-of-month dates inside (start, end], every 1, 2, 3, 6, 12, 24 or 60 months (at most max)."""
    months = (end.year - start.year) * 12 + (end.month - start.month) + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= max_ticks), 120)
    ticks = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = dt.date(year, month, 1)
        if day > end:
            return ticks
        if ((year * 12 + month - 1) % step) == 0:
            ticks.append(day)


def x_of(day: dt.date, start: dt.date, end: dt.date, left: float, width: float) -> float:
    """Return the x position of ``day`` on an axis from ``start`` to ``end`` drawn ``width`` wide."""
    total = max((end - start).days, 1)
    offset = min(max((day - start).days, 0), total)
    return left + offset / total * width


def _tick_label(day: dt.date, step_months: int) -> str:
    return str(day.year) if step_months >= 12 or day.month == 1 else day.strftime("%b")


def _marker(event: EventPoint, x: float, y: float, today: dt.date, title: str) -> str:
    """The event's shape: held = square, retro-active = diamond, future-dated = hollow circle, else a dot."""
    if event.held:
        return svg_format(
            '<rect class="hub-ev hub-ev-held" x="{:.1f}" y="{:.1f}" width="9" height="9" fill="#ffffff" '
            'stroke="#6a1b9a" stroke-width="2.5"><title>{}</title></rect>',
            x - 4.5,
            y - 4.5,
            title,
        )
    if event.retroactive:
        return svg_format(
            '<polygon class="hub-ev hub-ev-retro" points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" '
            'fill="#ba2121"><title>{}</title></polygon>',
            x,
            y - 6,
            x + 6,
            y,
            x,
            y + 6,
            x - 6,
            y,
            title,
        )
    if event.effective_date > today:
        return svg_format(
            '<circle class="hub-ev hub-ev-future" cx="{:.1f}" cy="{:.1f}" r="4.5" fill="#ffffff" stroke="#0b57d0" '
            'stroke-width="2"><title>{}</title></circle>',
            x,
            y,
            title,
        )
    return svg_format(
        '<circle class="hub-ev" cx="{:.1f}" cy="{:.1f}" r="3.5" fill="#333333"><title>{}</title></circle>',
        x,
        y,
        title,
    )


def render_timeline(
    lanes: Sequence[Lane],
    actions: Sequence[ActionPoint],
    *,
    today: dt.date,
    id_prefix: str,
    title: str,
    desc: str,
    width: int = 1000,
    not_before: dt.date | None = None,
) -> SafeString:
    """Draw the lanes (one per record) and the actions lane on one axis, with a "today" line.

    Each period is a bar filled by its kind and labelled with its code when there is room; each event a
    marker above its lane (shape by mark); each action a lettered circle coloured by its state. Every shape
    has a ``<title>`` with the full sentence.
    """
    all_dates = [e.effective_date for lane in lanes for e in lane.events] + [
        a.effective_date for a in actions
    ]
    start, end = axis_bounds(all_dates, today, not_before=not_before)
    label_w, right_pad, header_h, lane_h = 200, 16, 26, 50
    plot_left, plot_w = label_w, width - label_w - right_pad
    action_h = 44 if actions else 0
    height = header_h + lane_h * max(len(lanes), 1) + action_h + 22
    ticks = month_ticks(start, end)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 12), 120)

    def x(day: dt.date) -> float:
        return x_of(day, start, end, plot_left, plot_w)

    parts = [
        svg_format(
            '<svg class="hub-timeline" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc" '
            'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
            '<defs><pattern id="hub-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3e5f5"/>'
            '<rect width="3" height="6" fill="#6a1b9a"/></pattern></defs>',
            width,
            height,
            id_prefix,
            id_prefix,
            id_prefix,
            title,
            id_prefix,
            desc,
        )
    ]
    bottom = height - 16
    for tick in ticks:
        tx = x(tick)
        parts.append(
            svg_format(
                '<line class="hub-grid" x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" stroke="#d0d0d0" stroke-width="1"/>'
                '<text class="hub-axis-label" x="{:.1f}" y="14" text-anchor="middle" font-size="11">{}</text>',
                tx,
                header_h - 6,
                tx,
                bottom,
                tx,
                _tick_label(tick, step),
            )
        )
    for index, lane in enumerate(lanes):
        y0 = header_h + index * lane_h
        parts.append(
            svg_format(
                '<text class="hub-lane-label{}" x="4" y="{}" font-size="12" font-weight="{}">{}</text>'
                '<text class="hub-axis-label" x="4" y="{}" font-size="10">{}</text>',
                " hub-lane-current" if lane.highlighted else "",
                y0 + 25,
                "bold" if lane.highlighted else "normal",
                lane.label,
                y0 + 39,
                lane.sublabel,
            )
        )
        for period in lane.periods:
            if period.end is not None and period.end <= start:
                continue
            px, pend = x(period.start), x(period.end) if period.end else x(end)
            fill, words = KIND_STYLE[period.kind]
            future = period.start > today
            until = f"until {period.end:%Y-%m-%d}" if period.end else "still in force"
            parts.append(
                svg_format(
                    '<rect class="hub-period hub-period-{}{}" x="{:.1f}" y="{}" width="{:.1f}" height="20" fill="{}"{}>'
                    "<title>{}</title></rect>",
                    period.kind,
                    " hub-period-future" if future else "",
                    px,
                    y0 + 16,
                    max(pend - px, 1.5),
                    fill,
                    mark_safe(' stroke="#0b57d0" stroke-width="2" stroke-dasharray="4 2"') if future else "",
                    f"{period.code} ({words}) from {period.start:%Y-%m-%d} {until}"
                    + (" (scheduled)" if future else ""),
                )
            )
            if pend - px > 8 * len(period.code) + 8:
                parts.append(
                    svg_format(
                        '<text class="hub-period-label" x="{:.1f}" y="{}" font-size="11" fill="{}" '
                        'aria-hidden="true">{}</text>',
                        px + 4,
                        y0 + 30,
                        "#4a148c" if period.kind == UNMAPPED else "#ffffff",
                        period.code,
                    )
                )
        for event in sorted(lane.events, key=lambda e: (e.effective_date, e.recorded_at, e.pk)):
            if not start <= event.effective_date <= end:
                continue
            marks = event_marks(event, today)
            sentence = (
                f"{event.code} effective {event.effective_date:%Y-%m-%d}, recorded {event.recorded_at:%Y-%m-%d}"
                + (f" ({', '.join(marks)})" if marks else "")
            )
            parts.append(_marker(event, x(event.effective_date), y0 + 9, today, sentence))
    if actions:
        y0 = header_h + lane_h * max(len(lanes), 1)
        parts.append(
            svg_format(
                '<line class="hub-grid" x1="0" y1="{}" x2="{}" y2="{}" stroke="#d0d0d0" stroke-width="1"/>'
                '<text class="hub-lane-label" x="4" y="{}" font-size="12">Downstream actions</text>',
                y0 + 2,
                width,
                y0 + 2,
                y0 + 26,
            )
        )
        shown = [a for a in actions if start <= a.effective_date <= end]
        for n, action in enumerate(sorted(shown, key=lambda a: (a.effective_date, a.pk))):
            ax, ay = x(action.effective_date), y0 + 16 + (n % 2) * 14
            parts.append(
                svg_format(
                    '<g class="hub-action hub-action-{}"><circle cx="{:.1f}" cy="{}" r="7" fill="{}"/>'
                    '<text x="{:.1f}" y="{}" font-size="9" font-weight="bold" fill="#ffffff" text-anchor="middle" '
                    'aria-hidden="true">{}</text><title>{}</title></g>',
                    action.state,
                    ax,
                    ay,
                    ACTION_STATE_FILL.get(action.state, "#555555"),
                    ax,
                    ay + 3,
                    ACTION_LETTER.get(action.action, "?"),
                    f"{action.action} effective {action.effective_date:%Y-%m-%d}: {action.state}"
                    + (f" ({action.label})" if action.label else ""),
                )
            )
    tx = x(today)
    parts.append(
        svg_format(
            '<line class="hub-today" x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" stroke="#0b57d0" stroke-width="1.5" '
            'stroke-dasharray="5 3"/><text class="hub-today-label" x="{:.1f}" y="{}" font-size="11" '
            'text-anchor="middle" fill="#0b57d0">today</text>',
            tx,
            header_h - 4,
            tx,
            bottom,
            tx,
            height - 3,
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html

"""Small charts drawn on the server as inline SVG: no JavaScript library, no CDN, works offline.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what a screen reader announces)
and a ``<title>`` on every bar (a tooltip for the mouse). The numbers are always also printed as text next to
the chart, so nothing is said by colour or shape alone. The scale helpers are pure and tested by tables and
hypothesis; the renderers only place what they compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe


def svg_format(template: str, *args) -> SafeString:
    """Like ``format_html``, but numbers keep their type so the template can say ``{:.1f}``.

    Every other argument is escaped (text in ``<title>`` and ``<text>`` is data, never markup).
    """
    values = [a if isinstance(a, int | float) else conditional_escape(a) for a in args]
    return mark_safe(template.format(*values))  # noqa: S308 - every argument is a number or escaped


@dataclass(frozen=True)
class Bar:
    """One bar: its axis label, its value and the sentence its tooltip reads."""

    label: str
    value: float
    title: str = ""


@dataclass(frozen=True)
class Series:
    """One named series of a grouped chart (e.g. "Active" and "Paid"), with its CSS class and fill."""

    name: str
    css_class: str
    fill: str


def nice_ceiling(value: float) -> float:
    """Return the smallest "nice" number (1, 2, 2.5, 5 x 10^n) at or above ``value``; 1 for nothing.

    Why: an axis that ends at 250 reads better than one that ends at 233.
    """
    if value <= 0 or math.isnan(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10.0**exponent
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * base
        # Floating point: 3 * 0.1 is 0.30000000000000004; accept a hair above.
        if candidate >= value * (1 - 1e-12):
            return candidate
    return 10.0 * base  # pragma: no cover - the loop always returns


def scale(value: float, top: float, height: float) -> float:
    """Return the pixel height of ``value`` on an axis from 0 to ``top`` drawn ``height`` pixels high.

    Values below zero draw nothing and values above the top are clipped to the full height.
    """
    if top <= 0 or value <= 0:
        return 0.0
    return min(value, top) / top * height


def axis_top(
    values: Sequence[float], threshold: float | None = None, *, show_threshold_from: float = 0.25
) -> float:
    """Return where a bar chart's axis ends: a nice number above the data, and above the threshold if near.

    A threshold far above the data (the peak under ``show_threshold_from`` of it) would flatten every bar to
    nothing, so the axis then follows the data and the chart says in words how far the threshold is.
    """
    peak = max([0.0, *values])
    if threshold and threshold > 0 and peak >= threshold * show_threshold_from:
        return nice_ceiling(max(peak, threshold))
    return nice_ceiling(peak)


def _fmt(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _svg_open(*, width: int, height: int, id_prefix: str, title: str, desc: str, css_class: str) -> str:
    return svg_format(
        '<svg class="hub-chart {}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        css_class,
        width,
        height,
        width,
        height,
        id_prefix,
        id_prefix,
        id_prefix,
        title,
        id_prefix,
        desc,
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    id_prefix: str,
    title: str,
    desc: str,
    threshold: float | None = None,
    threshold_label: str = "threshold",
    width: int = 288,
    height: int = 72,
    label_every: int = 6,
) -> SafeString:
    """Render a small bar chart (e.g. API calls per hour) with an optional dashed threshold line.

    The threshold is drawn only when it falls on the axis (see ``axis_top``); bars over it get the "over"
    class. Every ``label_every``-th bar gets its label under the axis.
    """
    left, bottom_pad, top_pad = 34, 14, 4
    plot_w, plot_h = width - left - 2, height - bottom_pad - top_pad
    top = axis_top([b.value for b in bars], threshold)
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.8, 1.0)
    base_y = top_pad + plot_h
    parts = [
        _svg_open(
            width=width, height=height, id_prefix=id_prefix, title=title, desc=desc, css_class="hub-bar-chart"
        ),
        svg_format(
            '<text class="hub-axis-label" x="{}" y="{}" text-anchor="end" font-size="9">{}</text>'
            '<text class="hub-axis-label" x="{}" y="{}" text-anchor="end" font-size="9">0</text>'
            '<line class="hub-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#767676" stroke-width="1"/>',
            left - 3,
            top_pad + 8,
            _fmt(top),
            left - 3,
            base_y,
            left,
            base_y + 0.5,
            left + plot_w,
            base_y + 0.5,
        ),
    ]
    for index, bar in enumerate(bars):
        h = scale(bar.value, top, plot_h)
        over = threshold is not None and threshold > 0 and bar.value > threshold
        x = left + index * slot + (slot - bar_w) / 2
        parts.append(
            svg_format(
                '<rect class="hub-bar{}" x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}">'
                "<title>{}</title></rect>",
                " hub-bar-over" if over else "",
                x,
                base_y - h,
                bar_w,
                h,
                "#ba2121" if over else "#417690",
                bar.title or f"{bar.label}: {_fmt(bar.value)}",
            )
        )
        if label_every and index % label_every == 0:
            parts.append(
                svg_format(
                    '<text class="hub-axis-label" x="{:.2f}" y="{}" text-anchor="middle" font-size="9">{}</text>',
                    left + index * slot + slot / 2,
                    height - 2,
                    bar.label,
                )
            )
    if threshold and 0 < threshold <= top:
        y = base_y - scale(threshold, top, plot_h)
        parts.append(
            svg_format(
                '<line class="hub-threshold" x1="{}" y1="{:.2f}" x2="{}" y2="{:.2f}" stroke="#ba2121" '
                'stroke-width="1.5" stroke-dasharray="4 3"><title>{}</title></line>',
                left,
                y,
                left + plot_w,
                y,
                f"{threshold_label}: {_fmt(threshold)}",
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def grouped_bar_chart(
    groups: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[Series],
    *,
    id_prefix: str,
    title: str,
    desc: str,
    width: int = 520,
    height: int = 180,
) -> SafeString:
    """Render groups of bars side by side (e.g. per pay date: active and paid employees) with a text legend.

    ``groups`` is ``[(label, [value per series])]``. The legend names each series next to its swatch, and
    every bar's tooltip repeats the group, the series and the value.
    """
    left, bottom_pad, top_pad, legend_h = 40, 18, 6, 18
    plot_w, plot_h = width - left - 4, height - bottom_pad - top_pad - legend_h
    top = nice_ceiling(max([0.0, *(v for _, values in groups for v in values)]))
    slot = plot_w / max(len(groups), 1)
    inner = slot * 0.8
    bar_w = inner / max(len(series), 1)
    base_y = legend_h + top_pad + plot_h
    parts = [
        _svg_open(
            width=width,
            height=height,
            id_prefix=id_prefix,
            title=title,
            desc=desc,
            css_class="hub-grouped-chart",
        )
    ]
    x = left
    for s in series:
        parts.append(
            svg_format(
                '<rect class="{}" x="{}" y="4" width="10" height="10" fill="{}"/>'
                '<text class="hub-axis-label" x="{}" y="13" font-size="11">{}</text>',
                s.css_class,
                x,
                s.fill,
                x + 14,
                s.name,
            )
        )
        x += 14 + 8 * len(s.name) + 16
    parts.append(
        svg_format(
            '<text class="hub-axis-label" x="{}" y="{}" text-anchor="end" font-size="9">{}</text>'
            '<text class="hub-axis-label" x="{}" y="{}" text-anchor="end" font-size="9">0</text>'
            '<line class="hub-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#767676" stroke-width="1"/>',
            left - 3,
            legend_h + top_pad + 8,
            _fmt(top),
            left - 3,
            base_y,
            left,
            base_y + 0.5,
            left + plot_w,
            base_y + 0.5,
        )
    )
    for g_index, (label, values) in enumerate(groups):
        g_x = left + g_index * slot + (slot - inner) / 2
        for s_index, (s, value) in enumerate(zip(series, values, strict=False)):
            h = scale(value, top, plot_h)
            parts.append(
                svg_format(
                    '<rect class="{}" x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}">'
                    "<title>{}</title></rect>",
                    s.css_class,
                    g_x + s_index * bar_w,
                    base_y - h,
                    max(bar_w - 1, 1),
                    h,
                    s.fill,
                    f"{label}: {s.name} {_fmt(value)}",
                )
            )
        parts.append(
            svg_format(
                '<text class="hub-axis-label" x="{:.2f}" y="{}" text-anchor="middle" font-size="9">{}</text>',
                left + g_index * slot + slot / 2,
                height - 4,
                label,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def percent_bar(done: int, total: int, *, label: str) -> SafeString:
    """Render a progress bar as an HTML ``<progress>`` element with its text (accessible out of the box)."""
    percent = round(100 * done / total) if total else 0
    return svg_format(
        '<progress class="hub-progress" max="{}" value="{}" aria-label="{}">{}%</progress> '
        '<span class="hub-progress-text">{}/{} ({}%)</span>',
        max(total, 1),
        done if total else 0,
        label,
        percent,
        done,
        total,
        percent,
    )


def legend(items: Sequence[tuple[str, str, str]]) -> SafeString:
    """Render a text legend: ``[(css class, fill, text)]`` as swatches each followed by its words."""
    return svg_format(
        '<ul class="hub-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg width="14" height="14" aria-hidden="true" focusable="false"><rect class="{}" width="14" '
            'height="14" fill="{}"/></svg> {}</li>',
            items,
        ),
    )

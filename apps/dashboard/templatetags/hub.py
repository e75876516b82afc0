"""Template helpers of the hub's pages: dictionary lookups and progress bars."""

from __future__ import annotations

from django import template

from apps.dashboard import charts

register = template.Library()


@register.filter
def get_item(mapping, key):
    """Return ``mapping[key]`` (None when missing): templates cannot index a dict by a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def progress(done, total, label=""):
    """Render an accessible progress bar with its "done/total (percent)" text."""
    return charts.percent_bar(int(done or 0), int(total or 0), label=label)

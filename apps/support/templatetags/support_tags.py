"""Template filters of the support pages."""

from __future__ import annotations

from django import template

from apps.support.diagnostics import time_without_microseconds

register = template.Library()

register.filter("to_the_second", time_without_microseconds)

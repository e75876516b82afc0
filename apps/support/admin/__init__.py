"""Support desk admin, by section: the ticket queue and page, the knowledge base, escalations, diagnostics, settings.

Importing the modules registers their admins.
"""

from __future__ import annotations

from . import filters, inlines, knowledge, records, tickets  # noqa: F401 - registers the admins
from .records import admin_link

__all__ = ["admin_link"]

"""Admin for employees (timeline, person, siblings), persons, the outbox, held batches, targets, files and mappings.

One module per section of the pages; importing them registers them. ``mappings`` holds the status-code, mapping
and filter-rule pages (models of the mappings app, changed through this app's services: see docs/architecture.md).
"""

from . import actions, files, mappings, persons, records

__all__ = ["actions", "files", "mappings", "persons", "records"]

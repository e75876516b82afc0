"""Admin for implementation projects: checklist by phase, tick to complete, advance with override, templates.

Deliverables are ticked and projects advanced only through the services, so that every change is history.
One module per section of the pages: templates, parties, deliverables, projects (importing them registers them).
"""

from . import deliverables, parties, projects, templates

__all__ = ["deliverables", "parties", "projects", "templates"]

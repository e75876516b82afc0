"""Show audit events in admin pages: ``{% audit_changes event %}`` and ``{% audit_history object %}``."""

from __future__ import annotations

from django import template

from ..models import AuditEvent

register = template.Library()


@register.inclusion_tag("audit/_changes.html")
def audit_changes(event: AuditEvent) -> dict:
    """The event's diff as rows: field, old, new (a secret shows only that it changed)."""
    rows = []
    for name, change in sorted((event.changes or {}).items()):
        if change == "changed":
            rows.append({"field": name, "secret": True})
        else:
            old, new = change
            rows.append({"field": name, "old": old, "new": new})
    return {"rows": rows}


@register.inclusion_tag("audit/_history.html")
def audit_history(obj) -> dict:
    """Every recorded change of one object, newest first (the admin's History page)."""
    if obj is None or obj.pk is None:
        return {"events": [], "covered": False}
    events = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    from ..registry import SPECS  # the registry is built from every app's models once they are loaded

    return {"events": list(events.order_by("-time", "-id")[:500]), "covered": type(obj) in SPECS}

"""What the sandbox admin pages share: running a control over selected rows."""

from __future__ import annotations

from django.contrib import messages

from apps.core.errors import ApplicationError


def run_on_each(modeladmin, request, queryset, label: str, call) -> None:
    """Run a control on each selected row; report successes and refusals (never a 500 for a refusal)."""
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{label}: {done} done.", messages.SUCCESS)

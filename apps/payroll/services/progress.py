"""Progress of a payroll sync run: counters and heartbeat written as the run goes, shown by the command."""

from __future__ import annotations

from django.utils import timezone

from apps.integrations.models import SyncRun


def save_progress(run: SyncRun, context=None) -> None:
    """Write the run's counters and heartbeat now (the run's own row only), then tell the caller."""
    run.heartbeat_at = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        fetched=run.fetched,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        failed=run.failed,
        progress_done=run.progress_done,
        progress_total=run.progress_total,
        errors=run.errors,
        heartbeat_at=run.heartbeat_at,
    )
    callback = getattr(context, "on_progress", None)
    if callback:
        callback(run)

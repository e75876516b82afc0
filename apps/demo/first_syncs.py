"""The demo's first syncs: run by the worker shortly after `make run` starts, against this hub's own sandbox.

``seed_demo`` cannot sync at load time (the web server that serves the sandbox is not up yet), so it
schedules ``demo_first_syncs`` once, half a minute later. Each run is an ordinary sync run through the
provider clients over real HTTP, so the demo shows real sync runs, API calls and payroll batches.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_q.models import Schedule

from apps.integrations.models import Connection, SyncRun
from apps.integrations.services import SyncConflict, sync_run_execute, sync_run_request

logger = logging.getLogger(__name__)

DEMO_SYNCS = [
    ("acme-paylocity-sandbox", SyncRun.Kind.EMPLOYEES),
    ("cobalt-affinity-sandbox", SyncRun.Kind.EMPLOYEES),
    ("beacon-prismhr-sandbox", SyncRun.Kind.EMPLOYEES),
    ("beacon-prismhr-sandbox", SyncRun.Kind.PAYROLL_ONGOING),
    ("beacon-prismhr-sandbox", SyncRun.Kind.PAYROLL_SYNC),
]
SCHEDULE_NAME = "demo: first syncs"


def demo_first_syncs_schedule(*, delay_seconds: int = 20) -> bool:
    """Schedule the first syncs once (nothing when the demo connections have synced before)."""
    if SyncRun.objects.filter(connection__slug__in=[slug for slug, _ in DEMO_SYNCS]).exists():
        return False
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "apps.demo.first_syncs.demo_first_syncs",
            "schedule_type": Schedule.ONCE,
            "repeats": 1,
            "next_run": timezone.now() + dt.timedelta(seconds=delay_seconds),
        },
    )
    return True


def demo_first_syncs() -> list[str]:
    """Run the demo connections' first syncs in order (employees before payroll, Ongoing before Sync)."""
    outcome = []
    for slug, kind in DEMO_SYNCS:
        connection = Connection.objects.filter(slug=slug).first()
        if connection is None:
            continue
        try:
            run = sync_run_request(
                connection=connection, kind=kind, full=True, trigger=SyncRun.Trigger.SCHEDULE
            )
        except SyncConflict:
            continue
        run = sync_run_execute(run_id=run.pk)
        outcome.append(f"{slug} {kind}: {run.state if run else 'taken by another worker'}")
        logger.info("demo sync %s %s: %s", slug, kind, run.state if run else "-")
    return outcome

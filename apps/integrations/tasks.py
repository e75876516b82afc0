"""django-q2 entry points of the integrations app (thin: each calls one service) and their schedules."""

from __future__ import annotations

from django_q.models import Schedule

from apps.core.schedules import ScheduleSpec, register

from .models import Connection
from .services import (
    affinity_files_pull,
    api_calls_prune,
    fair_use_check_all,
    sync_run_execute,
    sync_runs_nightly,
    sync_runs_pending_lost,
    sync_runs_reap_stale,
    webhook_event_process,
    webhook_events_sweep,
)
from .services.inbox import prismhr_events_poll_all, webhook_events_enqueue_each


def enqueue_sync_run(run_id: int) -> None:
    """Queue a requested sync run for a worker."""
    from django_q.tasks import async_task  # at call time: tests patch django_q.tasks

    async_task("apps.integrations.tasks.sync_run_task", run_id, group="syncs")


def enqueue_sync_runs(run_ids: list[int]) -> None:
    """Queue requested runs to run one after the other (a chain: the next starts when one has finished)."""
    from django_q.tasks import async_chain  # at call time: tests patch django_q.tasks

    if len(run_ids) == 1:
        enqueue_sync_run(run_ids[0])
        return
    async_chain([("apps.integrations.tasks.sync_run_task", (run_id,)) for run_id in run_ids], group="syncs")


def sync_run_task(run_id: int) -> None:
    sync_run_execute(run_id=run_id)


def webhook_event_task(event_id: int) -> None:
    webhook_event_process(event_id=event_id)


def fan_out_webhook_events(event_ids: list[int]) -> None:
    """A web process queued several stored events in one message: one task each, for every worker to take."""
    webhook_events_enqueue_each(event_ids)


def sweep_webhook_inbox() -> int:
    return webhook_events_sweep()


def sweep_sync_runs() -> int:
    """Fail runs whose worker died; re-enqueue pending runs whose task was lost."""
    reaped = sync_runs_reap_stale()
    for run_id in sync_runs_pending_lost():
        enqueue_sync_run(run_id)
    return reaped


def run_nightly_syncs() -> int:
    runs = sync_runs_nightly()
    for run in runs:
        enqueue_sync_run(run.pk)
    return len(runs)


def check_fair_use() -> int:
    return fair_use_check_all()


def prune_api_calls() -> int:
    return api_calls_prune()


def pull_affinity_files() -> int:
    """Pull the SFTP folder of every live Affinity connection that has one."""
    pulled = 0
    for connection in Connection.objects.filter(provider="affinity", state=Connection.State.LIVE).exclude(
        sftp_host=""
    ):
        pulled += len(affinity_files_pull(connection=connection))
    return pulled


def poll_prismhr_events() -> int:
    return prismhr_events_poll_all()


register(
    ScheduleSpec(
        name="integrations.poll_prismhr_events",
        func="apps.integrations.tasks.poll_prismhr_events",
        when="every 5 minutes: take new PrismHR subscription events (getNewEvents) into the webhook inbox",
        schedule_type=Schedule.MINUTES,
        minutes=5,
    )
)
register(
    ScheduleSpec(
        name="integrations.sweep_webhook_inbox",
        func="apps.integrations.tasks.sweep_webhook_inbox",
        when="every minute: re-enqueue webhook events that are due, retrying or abandoned by a dead worker",
        schedule_type=Schedule.MINUTES,
        minutes=1,
    )
)
register(
    ScheduleSpec(
        name="integrations.sweep_sync_runs",
        func="apps.integrations.tasks.sweep_sync_runs",
        when="every 5 minutes: fail runs whose worker died, re-enqueue pending runs whose task was lost",
        schedule_type=Schedule.MINUTES,
        minutes=5,
    )
)
register(
    ScheduleSpec(
        name="integrations.run_nightly_syncs",
        func="apps.integrations.tasks.run_nightly_syncs",
        when="every night at 02:00: a routine employee sync of every live connection",
        cron="0 2 * * *",
    )
)
register(
    ScheduleSpec(
        name="integrations.check_fair_use",
        func="apps.integrations.tasks.check_fair_use",
        when="every 10 minutes: record connections over their hourly or daily call threshold",
        schedule_type=Schedule.MINUTES,
        minutes=10,
    )
)
register(
    ScheduleSpec(
        name="integrations.prune_api_calls",
        func="apps.integrations.tasks.prune_api_calls",
        when="every day at 03:30: delete API call rows older than 90 days",
        cron="30 3 * * *",
    )
)
register(
    ScheduleSpec(
        name="integrations.pull_affinity_files",
        func="apps.integrations.tasks.pull_affinity_files",
        when="every 30 minutes: pull standard employee files from live Affinity connections' SFTP folders",
        schedule_type=Schedule.MINUTES,
        minutes=30,
    )
)

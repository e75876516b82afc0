"""When the two payroll processes run: request their sync runs for the connections that are due.

Ongoing: every ``ongoing_interval_minutes`` (default 15) per live PrismHR connection. Sync: once a day on
the connection's ``sync_weekdays`` (default Saturday and Sunday) from ``sync_hour``; a day whose hour was
missed (worker down) still gets its run later that day.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from apps.companies.models import Provider
from apps.core.errors import ApplicationError, ProviderError
from apps.integrations.models import Connection, SyncRun
from apps.integrations.providers.prismhr.payroll import PayrollClient
from apps.integrations.services import sync_run_request

from .. import rules
from ..models import ImportQueueRecord, PayrollSettings
from .batches import payroll_settings_for
from .ongoing import known_company, ongoing_record_process
from .queue import queue_record_claim, queue_record_finish
from .sync import import_record_process

logger = logging.getLogger(__name__)

SLACK = dt.timedelta(seconds=30)  # a schedule tick a little early still counts as due


def _connections():
    return Connection.objects.filter(provider=Provider.PRISMHR, state=Connection.State.LIVE).order_by("pk")


def _request(connection: Connection, kind: str) -> SyncRun | None:
    try:
        return sync_run_request(connection=connection, kind=kind, trigger=SyncRun.Trigger.SCHEDULE)
    except ApplicationError as exc:
        logger.info("%s of %s skipped: %s", kind, connection.pk, exc.message)
        return None


def payroll_ongoing_due(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """Request an Ongoing run for every live PrismHR connection whose interval has passed."""
    now = now or timezone.now()
    runs = []
    for connection in _connections():
        settings_row = payroll_settings_for(connection)
        if not settings_row.ongoing_enabled:
            continue
        last = (
            SyncRun.objects.filter(connection=connection, kind=SyncRun.Kind.PAYROLL_ONGOING)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if (
            last is not None
            and now - last < dt.timedelta(minutes=settings_row.ongoing_interval_minutes) - SLACK
        ):
            continue
        run = _request(connection, SyncRun.Kind.PAYROLL_ONGOING)
        if run is not None:
            runs.append(run)
    return runs


def sync_day(settings_row: PayrollSettings, local: dt.datetime) -> dt.datetime | None:
    """The moment today's Sync is due from, or None when today is not a Sync day (or the hour is to come)."""
    if not settings_row.sync_enabled or local.weekday() not in settings_row.weekdays:
        return None
    start = local.replace(hour=settings_row.sync_hour, minute=0, second=0, microsecond=0)
    return start if local >= start else None


def payroll_sync_due(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """Request today's Sync run for every live PrismHR connection whose Sync day it is (once a day)."""
    local = timezone.localtime(now or timezone.now())
    runs = []
    for connection in _connections():
        start = sync_day(payroll_settings_for(connection), local)
        if start is None:
            continue
        if SyncRun.objects.filter(
            connection=connection, kind=SyncRun.Kind.PAYROLL_SYNC, created_at__gte=start
        ).exists():
            continue
        run = _request(connection, SyncRun.Kind.PAYROLL_SYNC)
        if run is not None:
            runs.append(run)
    return runs


def queue_record_process(*, record_id: int) -> ImportQueueRecord | None:
    """Process one pending or failed queue record now (a replay); None if it is gone."""
    record = (
        ImportQueueRecord.objects.select_related("connection", "company", "batch")
        .filter(pk=record_id)
        .first()
    )
    if record is None or record.state not in (
        ImportQueueRecord.State.PENDING,
        ImportQueueRecord.State.FAILED,
    ):
        return record
    client = PayrollClient.for_connection(record.connection)
    try:
        if (
            record.source == ImportQueueRecord.Source.ONGOING
            and record.event != ImportQueueRecord.Event.DELETE
        ):
            if known_company(record.connection, record.client_number) is None:
                if queue_record_claim(record):
                    facts = rules.ImportFacts(
                        client_id=record.client_number, batch_id=record.batch_number, client_known=False
                    )
                    queue_record_finish(record, rules.import_verdict(facts))
            else:
                ongoing_record_process(record=record, client=client)
        else:
            import_record_process(
                record=record,
                client=client,
                page_size=payroll_settings_for(record.connection).voucher_page_size,
            )
    except ProviderError as exc:
        logger.info("payroll queue record %s failed again: %s", record_id, exc)
    record.refresh_from_db()
    return record

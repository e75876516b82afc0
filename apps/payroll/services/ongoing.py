"""The Ongoing process (seed 004): create or update batch records as soon as the provider has them.

Batches come from two places: the pay-date window (``getBatchListByDate``, every company of the connection)
and PrismHR subscription events (the webhook inbox hands them over one by one). The client number is
checked before a queue record is created; a batch that is not complete stays as it is, a complete batch is
flagged ``sync_with_provider`` for the Sync process. At most ``ongoing_batch_limit`` batches per run.

DELETE events become Import queue records (source "import"): their client number is validated when they
are processed, and processing deactivates the batch with its pay groups and vouchers.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Company, Provider
from apps.core.errors import ProviderError
from apps.integrations.models import Connection, SyncRun, WebhookEvent
from apps.integrations.providers.prismhr.payroll import BatchSummary, PayrollClient
from apps.integrations.services.inbox import Ignore

from .. import rules
from ..models import BatchStatusChange, ImportQueueRecord, PayrollBatch
from .batches import batch_deactivate, batch_upsert, differs, payroll_settings_for
from .progress import save_progress
from .queue import (
    queue_record_claim,
    queue_record_create,
    queue_record_finish,
    queue_record_log,
)

logger = logging.getLogger(__name__)


def known_company(connection: Connection, client_number: str) -> Company | None:
    """The active PrismHR company of this connection with this client number, else None (seed 004's check)."""
    return Company.objects.filter(
        connections=connection, external_id=client_number, provider=Provider.PRISMHR, active=True
    ).first()


def ongoing_record_process(
    *,
    record: ImportQueueRecord,
    client: PayrollClient,
    summary: BatchSummary | None = None,
    source: str = BatchStatusChange.Source.ONGOING,
) -> ImportQueueRecord:
    """Create or update the record's batch from the provider (getBatchInfo unless the list said enough).

    A provider error marks the record failed and is raised again (the run or the inbox decides on retries).
    """
    if not queue_record_claim(record):
        return record
    if record.event == ImportQueueRecord.Event.DELETE:
        return delete_record_process(record=record)
    company = record.company
    try:
        existing = PayrollBatch.objects.filter(company=company, batch_id=record.batch_number).first()
        info = None
        if summary is None or existing is None:
            info = client.batch_info(record.client_number, record.batch_number)
        found = _merge(info, summary)
        if found is None:
            verdict = rules.import_verdict(_facts(record, batch_found=False))
            return queue_record_finish(record, verdict, batch=existing)
        with transaction.atomic():
            batch, _created = batch_upsert(
                company=company,
                connection=record.connection,
                summary=found,
                source=source,
                queue_record=record,
            )
            if not batch.active:
                queue_record_log(record, f"Batch {batch.batch_id} is deleted in the hub: left as it is.")
            elif not rules.is_complete(batch.status_code):
                queue_record_log(
                    record, f"Batch {batch.batch_id} is not complete ({batch.status_code}): recorded."
                )
            return queue_record_finish(record, rules.ImportVerdict(rules.ImportOutcome.IMPORTED), batch=batch)
    except ProviderError as exc:
        verdict = rules.import_verdict(_facts(record, error=str(exc), error_permanent=exc.permanent))
        queue_record_finish(record, verdict)
        raise


def _facts(record: ImportQueueRecord, **known) -> rules.ImportFacts:
    return rules.ImportFacts(client_id=record.client_number, batch_id=record.batch_number, **known)


def _merge(info: BatchSummary | None, listed: BatchSummary | None) -> BatchSummary | None:
    if info is None:
        return listed
    if listed is None:
        return info
    return BatchSummary(
        batch_id=info.batch_id,
        status_code=info.status_code or listed.status_code,
        pay_date=info.pay_date or listed.pay_date,
        batch_type=info.batch_type or listed.batch_type,
        description=info.description,
        period_start=info.period_start,
        period_end=info.period_end,
        voids_batch_id=info.voids_batch_id,
        pay_groups=info.pay_groups or listed.pay_groups,
    )


def delete_record_process(*, record: ImportQueueRecord) -> ImportQueueRecord:
    """A claimed DELETE record: validate the client, then deactivate the batch (nothing is removed)."""
    company = known_company(record.connection, record.client_number)
    if company is None:
        return queue_record_finish(record, rules.import_verdict(_facts(record, client_known=False)))
    batch = PayrollBatch.objects.filter(company=company, batch_id=record.batch_number).first()
    if batch is None:
        verdict = rules.import_verdict(_facts(record, delete_event=True, delete_found=False))
        return queue_record_finish(record, verdict)
    with transaction.atomic():
        vouchers = batch_deactivate(batch=batch, queue_record=record)
        queue_record_log(
            record, f"Deactivated batch {batch.batch_id} and {vouchers} billing voucher line(s)."
        )
        verdict = rules.import_verdict(_facts(record, delete_event=True, delete_found=True))
        return queue_record_finish(record, verdict, batch=batch)


def payroll_event_handle(*, event: WebhookEvent) -> ImportQueueRecord:
    """Process one PrismHR PayrollBatch subscription event from the inbox.

    CREATE / UPDATE: the client number is checked first; an unknown client creates no queue record (the
    inbox records the event as ignored, with the reason). DELETE: an Import queue record, validated when
    processed.
    """
    connection = event.connection
    action = str(event.payload.get("action") or event.event_type.rsplit(".", 1)[-1]).upper()
    client_number = event.company_external_id
    company = known_company(connection, client_number)
    if action == ImportQueueRecord.Event.DELETE:
        record = queue_record_create(
            connection=connection,
            client_number=client_number,
            batch_number=event.object_id,
            source=ImportQueueRecord.Source.IMPORT,
            event=ImportQueueRecord.Event.DELETE,
            company=company,
            webhook_event=event,
        )
        if queue_record_claim(record):
            delete_record_process(record=record)
        return record
    if action not in (ImportQueueRecord.Event.CREATE, ImportQueueRecord.Event.UPDATE):
        raise Ignore(f"PayrollBatch action {action or '(none)'} is not one the hub processes.")
    if company is None:
        raise Ignore(rules.message_unknown_client(client_number) + " (no queue record created)")
    record = queue_record_create(
        connection=connection,
        client_number=client_number,
        batch_number=event.object_id,
        source=ImportQueueRecord.Source.ONGOING,
        event=action,
        company=company,
        webhook_event=event,
    )
    return ongoing_record_process(
        record=record,
        client=PayrollClient.for_connection(connection),
        source=BatchStatusChange.Source.WEBHOOK,
    )


def _process_counted(run: SyncRun, record: ImportQueueRecord, client: PayrollClient, summary=None) -> None:
    try:
        ongoing_record_process(record=record, client=client, summary=summary)
    except ProviderError as exc:
        if not exc.permanent:
            raise  # an outage: stop the run; the record stays failed and is retried by the next run
        run.failed += 1
        run.errors = [*run.errors, {"batch_id": record.batch_number, "error": str(exc)[:300]}][-100:]


def payroll_ongoing_run(run: SyncRun, context) -> None:
    """The Ongoing process for one connection (a ``payroll-ongoing`` sync run)."""
    connection = run.connection
    settings_row = payroll_settings_for(connection)
    client = PayrollClient.for_connection(connection, **getattr(context, "http_options", {}))
    budget = settings_row.ongoing_batch_limit
    left_over = 0

    # Records an earlier run left pending or failed (an outage) go first.
    retry = ImportQueueRecord.objects.filter(
        connection=connection,
        source=ImportQueueRecord.Source.ONGOING,
        state__in=[ImportQueueRecord.State.PENDING, ImportQueueRecord.State.FAILED],
    ).select_related("company", "connection")
    for record in retry.order_by("created_at")[:budget]:
        if record.company is None or not record.company.active:
            continue
        _process_counted(run, record, client)
        run.updated += 1
        budget -= 1

    companies = (
        [run.company]
        if run.company
        else list(connection.companies.filter(active=True, provider=Provider.PRISMHR).order_by("external_id"))
    )
    start, end = rules.date_window(
        timezone.localdate(),
        days_back=settings_row.window_days_back,
        days_ahead=settings_row.window_days_ahead,
    )
    for company in companies:
        listed = client.batch_list(company.external_id, start, end, date_type=settings_row.date_type)
        run.fetched += len(listed)
        known = {
            b.batch_id: b
            for b in PayrollBatch.objects.filter(company=company, batch_id__in=[s.batch_id for s in listed])
        }
        for summary in listed:
            batch = known.get(summary.batch_id)
            if batch is not None and (not batch.active or not differs(batch, summary)):
                run.unchanged += 1
                continue
            if budget <= 0:
                left_over += 1
                continue
            record = queue_record_create(
                connection=connection,
                client_number=company.external_id,
                batch_number=summary.batch_id,
                source=ImportQueueRecord.Source.ONGOING,
                event=ImportQueueRecord.Event.CREATE if batch is None else ImportQueueRecord.Event.UPDATE,
                company=company,
                batch=batch,
                sync_run=run,
            )
            _process_counted(run, record, client, summary)
            if batch is None:
                run.created += 1
            else:
                run.updated += 1
            budget -= 1
            run.progress_done += 1
        left_over += _refresh_open_batches(run, client, company, {s.batch_id for s in listed}, budget)
        budget = max(0, settings_row.ongoing_batch_limit - run.created - run.updated)
        save_progress(run, context)
    if left_over:
        run.message = (
            f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged; the limit of "
            f"{settings_row.ongoing_batch_limit} batches per run was reached: {left_over} wait for the next run."
        )


def _refresh_open_batches(
    run: SyncRun, client: PayrollClient, company: Company, listed: set[str], budget: int
) -> int:
    """Ask getBatchStatus about open batches outside the window (no pay date yet, or dated far off)."""
    open_batches = list(
        PayrollBatch.objects.filter(company=company, active=True)
        .exclude(status_code__iexact=rules.COMPLETE)
        .exclude(batch_id__in=listed)
        .order_by("batch_id")
    )
    if not open_batches:
        return 0
    statuses = client.batch_statuses(company.external_id, [b.batch_id for b in open_batches])
    left_over = 0
    for batch in open_batches:
        code = statuses.get(batch.batch_id)
        if not code or rules.normalise_code(code) == batch.status_code:
            continue
        if budget <= 0:
            left_over += 1
            continue
        record = queue_record_create(
            connection=run.connection,
            client_number=company.external_id,
            batch_number=batch.batch_id,
            source=ImportQueueRecord.Source.ONGOING,
            event=ImportQueueRecord.Event.UPDATE,
            company=company,
            batch=batch,
            sync_run=run,
        )
        _process_counted(run, record, client, BatchSummary(batch_id=batch.batch_id, status_code=code))
        run.updated += 1
        budget -= 1
    return left_over

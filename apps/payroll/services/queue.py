"""Import queue records: create, claim, complete (with seed 004's messages), fail, replay.

A record is claimed with a conditional update, so two workers never process the same one. How it ends is
``rules.import_verdict``'s call: a record completed with a message (unknown client, no pay date, a batch the
provider cannot give us) or failed for good raises a support ticket once the transaction commits, with the
record and the batch as evidence; nothing to bill and an outage do not.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.companies.models import Company
from apps.core.errors import ApplicationError
from apps.core.problems import Problem, report
from apps.integrations.models import Connection

from .. import rules
from ..models import ImportQueueRecord, ImportState, PayrollBatch

logger = logging.getLogger(__name__)

MAX_LOG_LINES = 50


@transaction.atomic
def queue_record_create(
    *,
    connection: Connection,
    client_number: str,
    batch_number: str,
    source: str,
    event: str,
    company: Company | None = None,
    batch: PayrollBatch | None = None,
    sync_run=None,
    webhook_event=None,
) -> ImportQueueRecord:
    """Create a pending record (a webhook event gets at most one: a redelivery finds the first)."""
    if webhook_event is not None:
        existing = ImportQueueRecord.objects.filter(webhook_event=webhook_event).first()
        if existing is not None:
            return existing
    record = ImportQueueRecord(
        connection=connection,
        company=company,
        client_number=client_number[:64],
        batch_number=batch_number[:30],
        batch=batch,
        source=source,
        event=event,
        sync_run=sync_run,
        webhook_event=webhook_event,
    )
    record.full_clean()
    record.save()
    return record


def queue_record_claim(record: ImportQueueRecord) -> bool:
    """Take the record for processing (pending or failed only); False if someone else has it or it is done."""
    won = ImportQueueRecord.objects.filter(
        pk=record.pk, state__in=[ImportQueueRecord.State.PENDING, ImportQueueRecord.State.FAILED]
    ).update(state=ImportQueueRecord.State.PROCESSING, attempts=F("attempts") + 1, updated_at=timezone.now())
    if won:
        record.refresh_from_db()
    return bool(won)


def queue_record_log(record: ImportQueueRecord, line: str) -> None:
    """Add a log line to the record (saved with its completion) and to the application log."""
    logger.info("payroll queue record %s: %s", record.pk, line)
    record.log = [*record.log, {"at": timezone.now().isoformat(), "line": line}][-MAX_LOG_LINES:]


@transaction.atomic
def queue_record_finish(
    record: ImportQueueRecord, verdict: rules.ImportVerdict, *, batch: PayrollBatch | None = None
) -> ImportQueueRecord:
    """End the record as ``verdict`` says (``rules.import_verdict``); mirror it onto the batch; ticket it.

    The record's state and an Import record's batch's import state are the same word, so the batch, its
    records, tickets and the dashboard counts agree. A retry (an outage) leaves the batch as it was; a
    deleted batch keeps its state. Only a different outcome is written to the batch: importing the same
    batch again changes no row.
    """
    now = timezone.now()
    if verdict.log:
        queue_record_log(record, verdict.message)
    record.state = verdict.state
    record.message = verdict.message[:500]
    record.processed_at = now
    if batch is not None:
        record.batch = batch
    record.save(update_fields=["state", "message", "processed_at", "log", "batch", "updated_at"])
    target = record.batch
    mirrored = verdict.outcome not in (rules.ImportOutcome.RETRYING, rules.ImportOutcome.DELETED)
    if target is not None and record.source == ImportQueueRecord.Source.IMPORT and target.active and mirrored:
        changes = {"import_state": verdict.state, "import_message": verdict.message[:500], "updated_at": now}
        if verdict.state != ImportState.FAILED:
            changes["imported_at"] = now
        PayrollBatch.objects.filter(pk=target.pk).exclude(
            import_state=verdict.state, import_message=verdict.message[:500]
        ).update(**changes)
    if verdict.tickets:
        _report(record, verdict.outcome)
    return record


# The outcomes that ask a person to look, and the kind of automatic ticket each is (support's catalogue).
TICKET_KINDS = {
    rules.ImportOutcome.FAILED: "payroll-import",
    rules.ImportOutcome.COMPLETED_WITH_MESSAGE: "payroll-import-message",
}


def _report(record: ImportQueueRecord, outcome: rules.ImportOutcome) -> None:
    """Report an import that needs a person on the problem bus (support tickets it after commit)."""
    company = record.company or (record.batch.company if record.batch else None)
    if company is None and record.connection is not None:
        company = record.connection.companies.first()
    if company is None:
        logger.warning(
            "payroll queue record %s failed with no company to ticket: %s", record.pk, record.message
        )
        return
    report(
        Problem(
            kind=TICKET_KINDS[outcome],
            key=f"payroll-import:{company.pk}:{record.batch_number}",
            customer=company.company_set.customer,
            facts={
                "company_id": company.pk,
                "company_external_id": company.external_id,
                "batch_reference": record.batch_number,
            },
            detail=record.message,
            companies=(company,),
            evidence=tuple(e for e in (record, record.batch) if e is not None),
        )
    )


@transaction.atomic
def queue_record_replay(*, record: ImportQueueRecord, acting_user=None) -> ImportQueueRecord:
    """Put a record back to pending (any state but processing) and process it after the commit."""
    updated = (
        ImportQueueRecord.objects.filter(pk=record.pk)
        .exclude(state=ImportQueueRecord.State.PROCESSING)
        .update(state=ImportQueueRecord.State.PENDING, message="", updated_at=timezone.now())
    )
    if not updated:
        raise ApplicationError("This queue record is being processed right now; replay it when it is done.")
    record.refresh_from_db()
    from django_q.tasks import async_task  # at call time: tests patch django_q.tasks

    transaction.on_commit(
        lambda: async_task("apps.payroll.tasks.queue_record_task", record.pk, group="payroll")
    )
    return record

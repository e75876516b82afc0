"""Writes of a batch itself: create or update from what the provider says, status history, flag, delete."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Company
from apps.integrations.models import Connection
from apps.integrations.providers.prismhr.payroll import BatchSummary

from .. import rules
from ..models import (
    BatchStatusChange,
    BillingVoucher,
    ImportState,
    PayGroup,
    PayrollBatch,
    PayrollSettings,
)
from .notifications import notifications_raise


def payroll_settings_for(connection: Connection) -> PayrollSettings:
    """The connection's payroll settings, or the defaults (unsaved) when none were set."""
    found = PayrollSettings.objects.filter(connection=connection).first()
    return found or PayrollSettings(connection=connection)


@transaction.atomic
def payroll_settings_set(*, connection: Connection, acting_user=None, **values) -> PayrollSettings:
    """Create or change the payroll settings of a connection."""
    settings_row = PayrollSettings.objects.filter(connection=connection).first() or PayrollSettings(
        connection=connection
    )
    for name, value in values.items():
        setattr(settings_row, name, value)
    settings_row.full_clean()
    settings_row.save()
    return settings_row


def batch_status_apply(
    batch: PayrollBatch,
    code: str,
    *,
    source: str,
    queue_record=None,
    now: dt.datetime | None = None,
    words: str | None = None,
) -> BatchStatusChange | None:
    """Move an (unsaved or saved) batch to ``code``: history row and notifications; None if unchanged.

    The caller saves the batch in the same transaction. An unknown code is kept verbatim as its own words.
    """
    code = rules.normalise_code(code)
    if not code or code == batch.status_code:
        return None
    now = now or timezone.now()
    change = BatchStatusChange(
        batch=batch,
        from_code=batch.status_code,
        from_status=batch.status,
        to_code=code,
        to_status=words or rules.status_words(code),
        changed_at=now,
        source=source,
        queue_record=queue_record,
    )
    batch.status_code = code
    batch.status = change.to_status
    batch.status_changed_at = now
    if batch.pk is None:
        batch.full_clean(validate_constraints=False)
        batch.save()
    change.batch = batch
    change.full_clean()
    change.save()
    notifications_raise(change=change)
    return change


def _period(summary: BatchSummary) -> tuple[dt.date | None, dt.date | None]:
    starts = [g.period_start for g in summary.pay_groups if g.period_start]
    ends = [g.period_end for g in summary.pay_groups if g.period_end]
    return (summary.period_start or (min(starts) if starts else None)), (
        summary.period_end or (max(ends) if ends else None)
    )


def differs(batch: PayrollBatch, summary: BatchSummary) -> bool:
    """Whether the provider's summary says anything the batch record does not (a reason to update it)."""
    return (
        rules.normalise_code(summary.status_code) != batch.status_code
        or (summary.pay_date is not None and summary.pay_date != batch.pay_date)
        or (bool(summary.batch_type) and summary.batch_type != batch.batch_type)
    )


@transaction.atomic
def batch_upsert(
    *,
    company: Company,
    connection: Connection | None,
    summary: BatchSummary,
    source: str,
    queue_record=None,
    now: dt.datetime | None = None,
) -> tuple[PayrollBatch, bool]:
    """Create or update the batch from the provider's summary; record a status change; flag it when complete.

    Returns ``(batch, created)``. Only values the summary carries are written (a status-only summary keeps
    the description and dates). A deactivated (deleted) batch is left as it is.
    """
    now = now or timezone.now()
    batch = (
        PayrollBatch.objects.select_for_update().filter(company=company, batch_id=summary.batch_id).first()
    )
    created = batch is None
    if created:
        batch = PayrollBatch(company=company, batch_id=summary.batch_id, connection=connection)
    elif not batch.active:
        return batch, False
    before = None if created else _tracked(batch)
    if connection is not None and batch.connection_id is None:
        batch.connection = connection
    if summary.description:
        batch.description = summary.description[:200]
    if summary.batch_type:
        batch.batch_type = summary.batch_type[:20]
    if summary.pay_date is not None:
        batch.pay_date = summary.pay_date
    start, end = _period(summary)
    batch.period_start = start or batch.period_start
    batch.period_end = end or batch.period_end
    if summary.voids_batch_id and batch.voids_id is None:
        batch.voids = PayrollBatch.objects.filter(company=company, batch_id=summary.voids_batch_id).first()
    batch_status_apply(batch, summary.status_code, source=source, queue_record=queue_record, now=now)
    if rules.is_complete(batch.status_code) and not batch.sync_with_provider:
        batch.sync_with_provider = True
        if batch.import_state != ImportState.COMPLETED:
            batch.import_state = ImportState.PENDING
    if created or _tracked(batch) != before:
        batch.full_clean(validate_constraints=False)
        batch.save()
    return batch, created


TRACKED = (
    "connection_id",
    "description",
    "batch_type",
    "pay_date",
    "period_start",
    "period_end",
    "voids_id",
    "status_code",
    "sync_with_provider",
    "import_state",
)


def _tracked(batch: PayrollBatch) -> tuple:
    return tuple(getattr(batch, name) for name in TRACKED)


@transaction.atomic
def batch_deactivate(*, batch: PayrollBatch, queue_record=None, now: dt.datetime | None = None) -> int:
    """Seed 004's delete: status "Deleted", batch, pay groups and vouchers inactive; no row removed.

    Returns how many vouchers were deactivated.
    """
    now = now or timezone.now()
    batch = PayrollBatch.objects.select_for_update().get(pk=batch.pk)
    batch_status_apply(
        batch, rules.DELETED, source=BatchStatusChange.Source.DELETE, queue_record=queue_record, now=now
    )
    batch.active = False
    batch.sync_with_provider = False
    batch.save(
        update_fields=[
            "status_code",
            "status",
            "status_changed_at",
            "active",
            "sync_with_provider",
            "updated_at",
        ]
    )
    PayGroup.objects.filter(batch=batch, active=True).update(active=False, updated_at=now)
    return BillingVoucher.objects.filter(batch=batch, active=True).update(active=False, updated_at=now)


@transaction.atomic
def batch_sync_request(*, batch: PayrollBatch, acting_user=None) -> PayrollBatch:
    """Flag a batch for the next Sync again (after a fix in the provider), keeping what was imported."""
    PayrollBatch.objects.filter(pk=batch.pk, active=True).update(
        sync_with_provider=True,
        import_state=ImportState.PENDING,
        import_message="",
        updated_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch

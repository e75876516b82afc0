"""The Sync process (seed 004): import billing vouchers, pay groups, costs and employee counts.

It runs for batches the Ongoing process flagged ``sync_with_provider`` (complete in the provider), one
Import queue record each. In order, as the seed describes:

1. the client number is validated: an unknown client completes the record with a note;
2. a batch the provider cannot give us (getBatchInfo, or getBillingCodeTotalsForBatch answering 404)
   completes with "Batch '...' Unable to include Queue Record in Import file, no getBillingCodeTotalsForBatch
   response info, this event will not be processed";
3. a batch without a pay date completes with "Pay date is required to import payroll batches";
4. a batch with nothing to bill (totals that list no totals and no employees, or no vouchers) completes
   with a log line "No billing vouchers found for client ID ...";
5. otherwise its vouchers are fetched page by page and written in chunks with its pay groups, their costs
   and (regular batches) the employee counts. Writing is idempotent: a second import of the same batch
   changes no row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Provider
from apps.core.bulk import bulk_update_fast
from apps.core.errors import ProviderError
from apps.employees.lifecycle import Event, current_event
from apps.employees.models import Employee, StatusEvent
from apps.integrations.models import SyncRun
from apps.integrations.providers.prismhr.payroll import (
    BatchSummary,
    BillingTotals,
    BillingVoucherRecord,
    PayrollClient,
    PayrollVoucherRecord,
)

from .. import netting, rules
from ..models import (
    BatchStatusChange,
    BillingVoucher,
    EmployeeCount,
    ImportQueueRecord,
    ImportState,
    PayGroup,
    PayrollBatch,
)
from .batches import batch_upsert, payroll_settings_for
from .ongoing import delete_record_process, known_company
from .progress import save_progress
from .queue import (
    queue_record_claim,
    queue_record_create,
    queue_record_finish,
    queue_record_log,
)

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
VOUCHER_FIELDS = (
    "employee_number",
    "employee",
    "pay_group",
    "description",
    "amount",
    "pay_date",
    "void_date",
    "voids_voucher_id",
    "active",
)
VOUCHER_COLUMNS = (
    "employee_number",
    "employee_id",
    "pay_group_id",
    "description",
    "amount",
    "pay_date",
    "void_date",
    "voids_voucher_id",
    "active",
)
PAY_GROUP_FIELDS = (
    "description",
    "period_start",
    "period_end",
    "employee_count",
    "total_amount",
    "cost_per_employee",
    "active",
)
COUNT_FIELDS = (
    "as_of",
    "full_time_active",
    "part_time_active",
    "full_time_terminated",
    "part_time_terminated",
    "full_time_leave",
    "part_time_leave",
    "paid_employees",
)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


@dataclass(frozen=True, slots=True)
class _Line:
    voucher_id: str
    employee_id: str
    pay_group: str
    bill_code: str
    description: str
    amount: Decimal
    pay_date: object = None
    void_date: object = None
    voids_voucher_id: str = ""


# --- the run ------------------------------------------------------------------------------------------------


def payroll_sync_run(run: SyncRun, context) -> None:
    """The Sync process for one connection (a ``payroll-sync`` sync run)."""
    connection = run.connection
    settings_row = payroll_settings_for(connection)
    client = PayrollClient.for_connection(connection, **getattr(context, "http_options", {}))
    page_size = getattr(context, "page_size", None) or settings_row.voucher_page_size
    records = records_for_sync(run)
    run.progress_total = len(records)
    save_progress(run, context)
    for record in records:
        try:
            result = import_record_process(
                record=record, client=client, page_size=page_size, run=run, context=context
            )
        except ProviderError as exc:
            if not exc.permanent:
                raise  # an outage: the record stays failed and the batch flagged; the next run retries
            run.failed += 1
            run.errors = [*run.errors, {"batch_id": record.batch_number, "error": str(exc)[:300]}][-100:]
        else:
            if result is not None:
                run.created += result.created
                run.updated += result.updated
                run.unchanged += result.unchanged
        run.progress_done += 1
        save_progress(run, context)
    run.message = (
        f"{len(records)} queue record(s): {run.fetched} vouchers fetched; voucher lines {run.created} created, "
        f"{run.updated} updated, {run.unchanged} unchanged; {run.failed} failed."
    )


def records_for_sync(run: SyncRun) -> list[ImportQueueRecord]:
    """Open Import records of the connection (failed, replayed) and a new one per flagged batch."""
    connection = run.connection
    open_records = ImportQueueRecord.objects.filter(
        connection=connection,
        source=ImportQueueRecord.Source.IMPORT,
        state__in=[ImportQueueRecord.State.PENDING, ImportQueueRecord.State.FAILED],
    ).select_related("connection", "company", "batch__company")
    flagged = PayrollBatch.objects.filter(
        connection=connection,
        sync_with_provider=True,
        active=True,
        import_state__in=[ImportState.PENDING, ImportState.FAILED],
    ).select_related("company")
    if run.company_id:
        open_records = open_records.filter(client_number=run.company.external_id)
        flagged = flagged.filter(company=run.company)
    records = list(open_records.order_by("created_at"))
    waiting = {r.batch.pk for r in records if r.batch is not None}
    for batch in flagged.exclude(pk__in=waiting).order_by("pay_date", "batch_id"):
        records.append(
            queue_record_create(
                connection=connection,
                client_number=batch.company.external_id,
                batch_number=batch.batch_id,
                source=ImportQueueRecord.Source.IMPORT,
                event=ImportQueueRecord.Event.UPDATE,
                company=batch.company,
                batch=batch,
                sync_run=run,
            )
        )
    return records


def import_record_process(
    *,
    record: ImportQueueRecord,
    client: PayrollClient,
    page_size: int = 5000,
    run: SyncRun | None = None,
    context=None,
) -> ImportResult | None:
    """Process one Import queue record (claimed here); return what was written, None if nothing was.

    Each step adds a fact and asks ``rules.import_verdict`` whether the record is decided; the verdict ends
    the record (``queue_record_finish``), so every way out means the same to the batch, tickets and counts.
    """
    if not queue_record_claim(record):
        return None
    if record.event == ImportQueueRecord.Event.DELETE:
        delete_record_process(record=record)
        return None
    batch = record.batch or (
        PayrollBatch.objects.filter(
            company__provider=Provider.PRISMHR,
            company__external_id=record.client_number,
            batch_id=record.batch_number,
        )
        .select_related("company")
        .first()
    )
    facts = rules.ImportFacts(client_id=record.client_number, batch_id=record.batch_number)
    company = known_company(record.connection, record.client_number)
    if company is None:
        queue_record_finish(record, rules.import_verdict(replace(facts, client_known=False)), batch=batch)
        return None
    try:
        info = client.batch_info(record.client_number, record.batch_number)
        facts = replace(facts, batch_found=info is not None)
        if info is not None:
            batch, _ = batch_upsert(
                company=company,
                connection=record.connection,
                summary=info,
                source=BatchStatusChange.Source.SYNC,
                queue_record=record,
            )
            facts = replace(facts, batch_active=batch.active, has_pay_date=batch.pay_date is not None)
        if (verdict := rules.import_verdict(facts)) is not None:
            queue_record_finish(record, verdict, batch=batch)
            return None
        totals = client.billing_totals(record.client_number, record.batch_number)
        facts = replace(facts, totals=_totals_fact(totals))
        if (verdict := rules.import_verdict(facts)) is not None:
            queue_record_finish(record, verdict, batch=batch)
            return None
        vouchers: list[BillingVoucherRecord] = []
        for page in client.billing_vouchers(record.client_number, record.batch_number, page_size=page_size):
            vouchers.extend(page.items)
            if run is not None:
                run.fetched += len(page.items)
                save_progress(run, context)
        verdict = rules.import_verdict(replace(facts, vouchers=len(vouchers)))
        if verdict.outcome != rules.ImportOutcome.IMPORTED:
            queue_record_finish(record, verdict, batch=batch)
            return None
        payroll_vouchers = _payroll_vouchers_if_needed(client, record, batch, info, vouchers, page_size)
        pay_group_names = client.pay_group_codes(record.client_number)
        result = batch_import(
            batch=batch,
            info=info,
            vouchers=vouchers,
            payroll_vouchers=payroll_vouchers,
            pay_group_names=pay_group_names,
            totals=totals,
            chunk_size=page_size,
        )
        queue_record_log(
            record,
            f"{len(vouchers)} vouchers: {result.created} lines created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deactivated} deactivated.",
        )
        queue_record_finish(record, verdict, batch=batch)
        return result
    except ProviderError as exc:
        verdict = rules.import_verdict(replace(facts, error=str(exc), error_permanent=exc.permanent))
        queue_record_finish(record, verdict, batch=batch)
        raise


def _totals_fact(totals: BillingTotals | None) -> rules.Totals:
    """No answer (404 / no batch) is missing; an answer listing no totals and no employees is empty."""
    if totals is None:
        return rules.Totals.MISSING
    if totals.empty:
        return rules.Totals.EMPTY
    return rules.Totals.PRESENT


def _payroll_vouchers_if_needed(
    client: PayrollClient,
    record: ImportQueueRecord,
    batch: PayrollBatch,
    info: BatchSummary,
    vouchers: list[BillingVoucherRecord],
    page_size: int,
) -> dict[str, PayrollVoucherRecord]:
    """Payroll vouchers tell each voucher's pay group and what a void voids: fetched only when needed."""
    void = rules.is_void(info.batch_type)
    if void and (info.voids_batch_id or batch.voids_id):
        return {}
    if not void and all(v.pay_group for v in vouchers):
        return {}
    found: dict[str, PayrollVoucherRecord] = {}
    for page in client.payroll_vouchers(record.client_number, record.batch_number, page_size=page_size):
        for item in page.items:
            found[item.voucher_id] = item
    return found


# --- the write ----------------------------------------------------------------------------------------------


def _original_batch(
    batch: PayrollBatch, info: BatchSummary, payroll_vouchers: dict[str, PayrollVoucherRecord]
) -> PayrollBatch | None:
    if batch.voids_id:
        return batch.voids
    if info.voids_batch_id:
        return PayrollBatch.objects.filter(company=batch.company, batch_id=info.voids_batch_id).first()
    voided = [p.voids_voucher_id for p in payroll_vouchers.values() if p.voids_voucher_id]
    if voided:
        row = (
            BillingVoucher.objects.filter(batch__company=batch.company, voucher_id__in=voided[:500])
            .exclude(batch=batch)
            .select_related("batch")
            .first()
        )
        return row.batch if row else None
    return None


def _lines(
    batch: PayrollBatch,
    info: BatchSummary,
    vouchers: list[BillingVoucherRecord],
    payroll_vouchers: dict[str, PayrollVoucherRecord],
    employee_pay_groups: dict[str, str],
) -> dict[tuple[str, str, str], _Line]:
    """Every billing line with its pay group; a void's lines spread over the original's pay groups."""
    default_pay_group = info.pay_groups[0].pay_group_id if info.pay_groups else ""
    descriptions = {line.bill_code: line.description for v in vouchers for line in v.lines}
    meta = {v.voucher_id: v for v in vouchers}
    lines: dict[tuple[str, str, str], _Line] = {}

    def add(voucher_id, employee_id, pay_group, code, amount):
        key = (voucher_id, code, pay_group)
        v = meta[voucher_id]
        p = payroll_vouchers.get(voucher_id)
        previous = lines.get(key)
        lines[key] = _Line(
            voucher_id=voucher_id,
            employee_id=employee_id,
            pay_group=pay_group,
            bill_code=code,
            description=descriptions.get(code, "")[:200],
            amount=(previous.amount if previous else Decimal(0)) + amount,
            pay_date=v.pay_date or batch.pay_date,
            void_date=v.void_date,
            voids_voucher_id=p.voids_voucher_id if p else "",
        )

    original = _original_batch(batch, info, payroll_vouchers) if rules.is_void(info.batch_type) else None
    if original is not None and original.pk != batch.pk:
        batch.voids = original
        original_lines = [
            netting.OriginalLine(e, pg, code, amount)
            for e, pg, code, amount in BillingVoucher.objects.filter(batch=original, active=True).values_list(
                "employee_number", "pay_group_code", "bill_code", "amount"
            )
        ]
        void_lines = [
            netting.VoidLine(v.voucher_id, v.employee_id, line.bill_code, line.amount)
            for v in vouchers
            for line in v.lines
        ]
        for a in netting.allocate_void(
            original=original_lines,
            void=void_lines,
            fallback_pay_groups=employee_pay_groups,
            default_pay_group=default_pay_group,
        ):
            add(a.voucher_id, a.employee_id, a.pay_group, a.bill_code, a.amount)
        return lines
    for v in vouchers:
        p = payroll_vouchers.get(v.voucher_id)
        pay_group = (
            v.pay_group
            or (p.pay_group if p else "")
            or employee_pay_groups.get(v.employee_id)
            or default_pay_group
        )
        for line in v.lines:
            add(v.voucher_id, v.employee_id, pay_group, line.bill_code, line.amount)
    return lines


@transaction.atomic
def batch_import(
    *,
    batch: PayrollBatch,
    info: BatchSummary,
    vouchers: list[BillingVoucherRecord],
    payroll_vouchers: dict[str, PayrollVoucherRecord],
    pay_group_names: dict[str, str],
    totals: BillingTotals,
    chunk_size: int = 5000,
) -> ImportResult:
    """Write a batch's billing vouchers, pay groups (with costs) and employee counts; idempotent.

    Rows are matched on (voucher, billing code, pay group): new ones are bulk-inserted in chunks, changed
    ones updated, ones the provider no longer lists deactivated. Unchanged rows are not touched at all.
    """
    company = batch.company
    employees = {
        e: (pk, pg)
        for e, pk, pg in Employee.objects.filter(company=company).values_list(
            "employee_id", "pk", "pay_group"
        )
    }
    lines = _lines(batch, info, vouchers, payroll_vouchers, {e: pg for e, (_, pg) in employees.items() if pg})
    groups = _pay_groups_write(batch, info, lines, pay_group_names)
    result = _vouchers_write(batch, lines, groups, {e: pk for e, (pk, _) in employees.items()}, chunk_size)
    if rules.is_regular(batch.batch_type) and batch.pay_date:
        paid = len({line.employee_id for line in lines.values()})
        employee_count_write(batch=batch, paid_employees=paid)
    voucher_count = len({line.voucher_id for line in lines.values()})
    total = sum((line.amount for line in lines.values()), Decimal(0))
    stored = (
        PayrollBatch.objects.filter(pk=batch.pk)
        .values_list("voucher_count", "total_amount", "voids_id")
        .get()
    )
    if stored != (voucher_count, total, batch.voids_id):
        batch.voucher_count, batch.total_amount = voucher_count, total
        batch.save(update_fields=["voucher_count", "total_amount", "voids", "updated_at"])
    return result


def _pay_groups_write(
    batch: PayrollBatch, info: BatchSummary, lines: dict, names: dict[str, str]
) -> dict[str, PayGroup]:
    periods = {g.pay_group_id: g for g in info.pay_groups}
    people: dict[str, set[str]] = defaultdict(set)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines.values():
        people[line.pay_group].add(line.employee_id)
        amounts[line.pay_group] += line.amount
    codes = sorted(set(periods) | set(people))
    existing = {g.pay_group_id: g for g in PayGroup.objects.filter(batch=batch)}
    new, changed = [], []
    for code in codes:
        count = len(people.get(code, ()))
        total = amounts.get(code, Decimal(0))
        period = periods.get(code)
        wanted = {
            "description": names.get(code, "")[:200],
            "period_start": (period.period_start if period else None) or batch.period_start,
            "period_end": (period.period_end if period else None) or batch.period_end,
            "employee_count": count,
            "total_amount": total,
            "cost_per_employee": (total / count).quantize(CENT, rounding=ROUND_HALF_UP)
            if count
            else Decimal(0),
            "active": True,
        }
        group = existing.get(code)
        if group is None:
            new.append(PayGroup(batch=batch, pay_group_id=code, **wanted))
        elif any(getattr(group, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(group, k, v)
            changed.append(group)
    PayGroup.objects.bulk_create(new)
    if changed:
        bulk_update_fast(changed, PAY_GROUP_FIELDS)
    return {g.pay_group_id: g for g in PayGroup.objects.filter(batch=batch)}


def _vouchers_write(
    batch: PayrollBatch,
    lines: dict[tuple[str, str, str], _Line],
    groups: dict[str, PayGroup],
    employee_pks: dict[str, int],
    chunk_size: int,
) -> ImportResult:
    result = ImportResult()
    existing = {
        (row[1], row[2], row[3]): row
        for row in BillingVoucher.objects.filter(batch=batch)
        .values_list("pk", "voucher_id", "bill_code", "pay_group_code", *VOUCHER_COLUMNS)
        .iterator(chunk_size=chunk_size)
    }
    new, changed = [], []
    for key, line in lines.items():
        group = groups.get(line.pay_group)
        wanted = (
            line.employee_id,
            employee_pks.get(line.employee_id),
            group.pk if group else None,
            line.description,
            line.amount,
            line.pay_date,
            line.void_date,
            line.voids_voucher_id,
            True,
        )
        row = existing.get(key)
        if row is None:
            new.append(_voucher(batch, line, wanted))
        elif row[4:] != wanted:
            obj = _voucher(batch, line, wanted)
            obj.pk = row[0]
            changed.append(obj)
        else:
            result.unchanged += 1
    for start in range(0, len(new), chunk_size):
        BillingVoucher.objects.bulk_create(new[start : start + chunk_size])
    if changed:
        bulk_update_fast(changed, VOUCHER_FIELDS)
    gone = [row[0] for key, row in existing.items() if key not in lines and row[-1]]
    for start in range(0, len(gone), chunk_size):
        result.deactivated += BillingVoucher.objects.filter(pk__in=gone[start : start + chunk_size]).update(
            active=False, updated_at=timezone.now()
        )
    result.created, result.updated = len(new), len(changed)
    return result


def _voucher(batch: PayrollBatch, line: _Line, wanted: tuple) -> BillingVoucher:
    number, employee_pk, group_pk, description, amount, pay_date, void_date, voids_voucher_id, active = wanted
    return BillingVoucher(
        batch=batch,
        voucher_id=line.voucher_id,
        bill_code=line.bill_code,
        pay_group_code=line.pay_group,
        employee_number=number,
        employee_id=employee_pk,
        pay_group_id=group_pk,
        description=description,
        amount=amount,
        pay_date=pay_date,
        void_date=void_date,
        voids_voucher_id=voids_voucher_id,
        active=active,
    )


# --- employee counts ----------------------------------------------------------------------------------------


def employee_headcount(*, batch: PayrollBatch, paid_employees: int) -> rules.Headcount:
    """Count the company's employees by full/part time and status type as of the batch's pay date.

    Two queries: the employees, and their status events up to the pay date (the event in force on that
    day is the status, as the lifecycle rules define it; unmapped codes do not count).
    """
    on = batch.pay_date
    employees = list(Employee.objects.filter(company=batch.company).values_list("pk", "employment_type"))
    history: dict[int, list[Event]] = defaultdict(list)
    for employee_pk, code, status_type, effective, recorded, pk in StatusEvent.objects.filter(
        employee__company=batch.company, effective_date__lte=on
    ).values_list("employee_id", "code", "status_type", "effective_date", "recorded_at", "pk"):
        history[employee_pk].append(Event(code, status_type or None, effective, recorded, pk))
    pairs = []
    for employee_pk, employment_type in employees:
        event = current_event(history.get(employee_pk, ()), on, include_held=False)
        pairs.append((employment_type, str(event.status_type) if event else None))
    return rules.headcount(pairs, paid_employees=paid_employees)


@transaction.atomic
def employee_count_write(*, batch: PayrollBatch, paid_employees: int) -> EmployeeCount:
    """Write (or leave unchanged) the batch's employee counts."""
    counts = employee_headcount(batch=batch, paid_employees=paid_employees)
    wanted = {
        "as_of": batch.pay_date,
        **{name: getattr(counts, name) for name in COUNT_FIELDS if name != "as_of"},
    }
    row = EmployeeCount.objects.filter(batch=batch).first()
    if row is None:
        row = EmployeeCount(batch=batch, **wanted)
        row.full_clean()
        row.save()
    elif any(getattr(row, k) != v for k, v in wanted.items()):
        for k, v in wanted.items():
            setattr(row, k, v)
        row.full_clean()
        row.save(update_fields=[*wanted, "updated_at"])
    return row

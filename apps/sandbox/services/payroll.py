"""PrismHR payroll batches in the sandbox: create, fill with vouchers, move through statuses, delete, void.

Every move records a PrismHR ``PayrollBatch`` subscription event (CREATE / UPDATE / DELETE) and sends it as
a webhook, so the hub's Ongoing process can follow a batch exactly as it follows the real provider. Amounts
are Decimals written as strings with two places; nothing here is a float.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.companies.models import Provider
from apps.core.errors import ApplicationError

from .. import wire
from ..models import BatchStatus, SandboxBatch, SandboxCompany, SandboxEvent, SandboxVoucher
from .hooks import batch_hooks_queue

# The usual road of a batch, for the "advance" control (failures and side states are set explicitly).
FLOW = [
    BatchStatus.TS_READY,
    BatchStatus.TS_ENTRY,
    BatchStatus.TSOKCOMP,
    BatchStatus.INITIAL,
    BatchStatus.INITOK,
    BatchStatus.AP_PEND,
    BatchStatus.AP_READY,
    BatchStatus.INITCOMP,
    BatchStatus.POST,
    BatchStatus.POSTCOMP,
    BatchStatus.PRINT,
    BatchStatus.PRINTCOMP,
    BatchStatus.COMP,
]
BILL_CODES = (("GROSS", "Gross wages"), ("ERTAX", "Employer taxes"), ("ADMIN", "Administrative fee"))
CHUNK = 2000


def _require_prism(company: SandboxCompany) -> None:
    if company.provider != Provider.PRISMHR:
        raise ApplicationError("Payroll batches exist only for PrismHR clients.", extra={"field": "company"})


def next_batch_id(company: SandboxCompany) -> str:
    numbers = [int(b) for b in company.batches.values_list("batch_id", flat=True) if re.fullmatch(r"\d+", b)]
    return str(max(numbers, default=41000) + 1)


@transaction.atomic
def batch_create(
    *,
    company: SandboxCompany,
    batch_id: str = "",
    batch_type: str = SandboxBatch.BatchType.REGULAR,
    status: str = BatchStatus.TS_READY,
    pay_date: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    post_date: dt.date | None = None,
    description: str = "",
    pay_groups: list[str] | None = None,
    has_billing_totals: bool = True,
    voids: SandboxBatch | None = None,
    scenario: str = "",
    send: bool = True,
    acting_user=None,
) -> SandboxBatch:
    """Create a batch (PrismHR creates it when payroll starts) and emit its CREATE event."""
    _require_prism(company)
    batch_id = batch_id or next_batch_id(company)
    if company.batches.filter(batch_id=batch_id).exists():
        raise ApplicationError(f"Batch {batch_id} already exists.", extra={"field": "batch_id"})
    batch = SandboxBatch(
        company=company,
        batch_id=batch_id,
        batch_type=batch_type,
        status=status,
        pay_date=pay_date,
        period_start=period_start,
        period_end=period_end,
        post_date=post_date,
        description=description or f"Payroll batch {batch_id}",
        pay_groups=[
            {
                "payGroupId": code,
                "payPeriodStartDate": wire.iso_date(period_start),
                "payPeriodEndDate": wire.iso_date(period_end),
            }
            for code in (pay_groups or [])
        ],
        has_billing_totals=has_billing_totals,
        voids=voids,
        scenario=scenario,
    )
    batch.full_clean()
    batch.save()
    batch_hooks_queue(batch=batch, action=SandboxEvent.Action.CREATE, send=send)
    return batch


def voucher_billing(gross: Decimal) -> list[dict]:
    """The billing lines of one voucher: wages, employer taxes (7.65 %), a flat admin fee."""
    tax = (gross * Decimal("0.0765")).quantize(Decimal("0.01"))
    amounts = (gross, tax, Decimal("25.00"))
    return [
        {"billCode": code, "billCodeDescription": words, "billAmt": wire.money(amount)}
        for (code, words), amount in zip(BILL_CODES, amounts, strict=True)
    ]


@transaction.atomic
def batch_totals_refresh(*, batch: SandboxBatch) -> SandboxBatch:
    """Recompute the batch's billing-code totals from its vouchers (what getBillingCodeTotalsForBatch sums)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for billing in batch.vouchers.values_list("billing", flat=True).iterator(chunk_size=CHUNK):
        for line in billing:
            totals[line["billCode"]] += Decimal(line["billAmt"])
    batch.billing_totals = [
        {"billCode": code, "totBillAmt": wire.money(total)} for code, total in sorted(totals.items())
    ]
    batch.save(update_fields=["billing_totals", "updated_at"])
    return batch


@transaction.atomic
def batch_vouchers_generate(
    *,
    batch: SandboxBatch,
    count: int,
    employee_count: int | None = None,
    employee_prefix: str = "P",
    acting_user=None,
) -> int:
    """Add ``count`` deterministic vouchers spread over ``employee_count`` employees (bulk, chunked).

    Voucher ``n`` pays employee ``n mod employee_count`` in the batch's pay groups in turn; amounts follow
    the voucher number, so two seeds of the same size are identical. Returns how many were added.
    """
    if count < 0:
        raise ApplicationError("count must not be negative.")
    employees = max(1, employee_count or count or 1)
    groups = [g["payGroupId"] for g in batch.pay_groups] or ["BW1"]
    start = batch.vouchers.count()
    width = max(4, len(str(employees)))
    rows = []
    for n in range(start, start + count):
        gross = Decimal(1000) + Decimal(n % 50) * Decimal("12.50")
        rows.append(
            SandboxVoucher(
                batch=batch,
                voucher_id=f"{batch.batch_id}-{n + 1:06d}",
                employee_id=f"{employee_prefix}{(n % employees) + 1:0{width}d}",
                pay_group=groups[n % len(groups)],
                total_earnings=gross,
                billing=voucher_billing(gross),
            )
        )
    SandboxVoucher.objects.bulk_create(rows, batch_size=CHUNK)
    batch_totals_refresh(batch=batch)
    return count


@transaction.atomic
def batch_status_set(
    *, batch: SandboxBatch, status: str, send: bool = True, acting_user=None
) -> SandboxBatch:
    """Move the batch to any status code (unknown codes too, kept verbatim) and emit its UPDATE event."""
    status = status.strip()
    if not status:
        raise ApplicationError("A status code is required.", extra={"field": "status"})
    if batch.deleted:
        raise ApplicationError(f"Batch {batch.batch_id} is deleted.")
    batch.status = status
    batch.full_clean()
    batch.save(update_fields=["status", "updated_at"])
    batch_hooks_queue(batch=batch, action=SandboxEvent.Action.UPDATE, send=send)
    return batch


@transaction.atomic
def batch_advance(*, batch: SandboxBatch, acting_user=None) -> SandboxBatch:
    """Move the batch one step along the usual road (TS.READY ... COMP); an off-road status rejoins it."""
    if batch.status == BatchStatus.COMP:
        raise ApplicationError(f"Batch {batch.batch_id} is already complete.")
    position = FLOW.index(batch.status) if batch.status in FLOW else -1
    return batch_status_set(batch=batch, status=FLOW[position + 1])


@transaction.atomic
def batch_delete(*, batch: SandboxBatch, send: bool = True, acting_user=None) -> SandboxBatch:
    """Delete the batch in the provider: its methods stop finding it and a DELETE event goes out."""
    if batch.deleted:
        raise ApplicationError(f"Batch {batch.batch_id} is already deleted.")
    batch.deleted = True
    batch.save(update_fields=["deleted", "updated_at"])
    batch_hooks_queue(batch=batch, action=SandboxEvent.Action.DELETE, send=send)
    return batch


@transaction.atomic
def batch_void(
    *,
    batch: SandboxBatch,
    batch_id: str = "",
    pay_date: dt.date | None = None,
    status: str = BatchStatus.COMP,
    send: bool = True,
    acting_user=None,
) -> SandboxBatch:
    """Void a batch: a new batch of type V with one negating voucher per original voucher.

    As in PrismHR, the void vouchers name the employee and the voucher they void but no pay group: the hub
    must find the pay groups from the employees (seed 004) and spread the billing codes so that the
    original and the void net to zero. Originals get their void date.
    """
    if batch.batch_type == SandboxBatch.BatchType.VOID:
        raise ApplicationError("A void batch cannot be voided.")
    if batch.voided_by.exists():
        raise ApplicationError(f"Batch {batch.batch_id} is already voided.")
    void_date = pay_date or timezone.localdate()
    void = batch_create(
        company=batch.company,
        batch_id=batch_id,
        batch_type=SandboxBatch.BatchType.VOID,
        status=status,
        pay_date=void_date,
        period_start=batch.period_start,
        period_end=batch.period_end,
        description=f"Void of batch {batch.batch_id}",
        pay_groups=[g["payGroupId"] for g in batch.pay_groups],
        voids=batch,
        scenario="void",
        send=send,
    )
    rows = []
    for original in batch.vouchers.all().iterator(chunk_size=CHUNK):
        rows.append(
            SandboxVoucher(
                batch=void,
                voucher_id=f"{void.batch_id}-{original.voucher_id.rsplit('-', 1)[-1]}",
                employee_id=original.employee_id,
                pay_group="",
                voucher_type="V",
                void_voucher_id=original.voucher_id,
                total_earnings=-original.total_earnings,
                billing=[
                    {**line, "billAmt": wire.money(-Decimal(line["billAmt"]))} for line in original.billing
                ],
            )
        )
    SandboxVoucher.objects.bulk_create(rows, batch_size=CHUNK)
    batch.vouchers.update(void_date=void_date)
    batch_totals_refresh(batch=void)
    return void

"""PrismHR payroll methods -> provider-neutral batch records. Nothing else reads PrismHR's payroll JSON.

Built on the PrismHR client's ``_call`` (session header, re-login, errorCode envelope). Amounts become
Decimals straight from the JSON text (never floats). A method that answers 404 for "nothing" returns an
empty result; ``get_batch_info`` returns None for a batch the provider does not find.

- ``payroll/v1/getBatchListByDate?clientId=&startDate=&endDate=&dateType=PAY|PERIOD|POST``
- ``payroll/v1/getBatchStatus?clientId=&batchIds=a,b``
- ``payroll/v1/getBatchInfo?clientId=&batchId=``
- ``payroll/v1/getBillingCodeTotalsForBatch?clientId=&batchId=``
- ``payroll/v1/getBillingVouchersByBatch?clientId=&batchId=&count=&startpage=`` (paged)
- ``payroll/v1/getPayrollVoucherForBatch?clientId=&batchId=&count=&startpage=`` (paged)
- ``clientMaster/v1/getClientCodes?clientId=&options=PGroups``
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from apps.core.errors import ProviderError

from .. import client_for
from ..base import parse_date, text
from .client import Client

STATUS_BATCH = 50  # batch IDs per getBatchStatus call (a comma-separated list in the query string)
DEFAULT_PAGE = 5000


@dataclass(frozen=True, slots=True)
class PayGroupPeriod:
    pay_group_id: str
    period_start: dt.date | None = None
    period_end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch as ``getBatchListByDate`` or ``getBatchInfo`` describes it."""

    batch_id: str
    status_code: str
    pay_date: dt.date | None = None
    batch_type: str = ""
    description: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    voids_batch_id: str = ""
    pay_groups: tuple[PayGroupPeriod, ...] = ()


@dataclass(frozen=True, slots=True)
class BillingTotals:
    totals: tuple[tuple[str, Decimal], ...] = ()
    employee_ids: tuple[str, ...] = ()
    employee_count: int = 0

    @property
    def empty(self) -> bool:
        """No totals and no employees: nothing to bill."""
        return not self.totals and not self.employee_ids and not self.employee_count


@dataclass(frozen=True, slots=True)
class BillingLine:
    bill_code: str
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BillingVoucherRecord:
    voucher_id: str
    employee_id: str
    pay_group: str = ""
    pay_date: dt.date | None = None
    void_date: dt.date | None = None
    lines: tuple[BillingLine, ...] = ()


@dataclass(frozen=True, slots=True)
class PayrollVoucherRecord:
    voucher_id: str
    employee_id: str
    pay_group: str = ""
    voucher_type: str = ""
    voids_voucher_id: str = ""
    total_earnings: Decimal = Decimal(0)


@dataclass(slots=True)
class VoucherPage:
    items: list = field(default_factory=list)
    total: int | None = None


def money(value) -> Decimal:
    """An amount from the JSON (string or number) as a Decimal, exactly as written."""
    try:
        return Decimal(text(value) or "0")
    except InvalidOperation as exc:
        raise ProviderError(
            f"PrismHR sent an amount that is not a number: {value!r}", permanent=True
        ) from exc


def _list(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return list(value) if isinstance(value, list | tuple) else []


def _pay_groups(value) -> tuple[PayGroupPeriod, ...]:
    groups = []
    for item in _list(value):
        if isinstance(item, dict):
            groups.append(
                PayGroupPeriod(
                    pay_group_id=text(item.get("payGroupId") or item.get("payGroup")),
                    period_start=parse_date(item.get("payPeriodStartDate")),
                    period_end=parse_date(item.get("payPeriodEndDate")),
                )
            )
        elif text(item):
            groups.append(PayGroupPeriod(pay_group_id=text(item)))
    return tuple(groups)


def batch_summary(item: dict) -> BatchSummary:
    """One ``batchList`` entry or a ``batchControl`` object."""
    return BatchSummary(
        batch_id=text(item.get("batchId")),
        status_code=text(item.get("batchStatus") or item.get("status")),
        pay_date=parse_date(item.get("payDate")),
        batch_type=text(item.get("batchType")),
        description=text(item.get("batchDescription")),
        period_start=parse_date(item.get("periodStartDate") or item.get("payPeriodStartDate")),
        period_end=parse_date(item.get("periodEndDate") or item.get("payPeriodEndDate")),
        voids_batch_id=text(item.get("voidBatchId") or item.get("voidedBatchId")),
        pay_groups=_pay_groups(item.get("payGroup")),
    )


def billing_voucher(item: dict) -> BillingVoucherRecord:
    lines = tuple(
        BillingLine(
            bill_code=text(line.get("billCode")),
            description=text(line.get("billCodeDescription")),
            amount=money(line.get("billAmt")),
        )
        for line in _list(item.get("sumBilling"))
        if isinstance(line, dict) and text(line.get("billCode"))
    )
    return BillingVoucherRecord(
        voucher_id=text(item.get("voucherId")),
        employee_id=text(item.get("employeeId")),
        pay_group=text(item.get("payGroup")),
        pay_date=parse_date(item.get("payDate")),
        void_date=parse_date(item.get("voidDate")),
        lines=lines,
    )


def payroll_voucher(item: dict) -> PayrollVoucherRecord:
    return PayrollVoucherRecord(
        voucher_id=text(item.get("voucherId")),
        employee_id=text(item.get("employeeId")),
        pay_group=text(item.get("payGroup")),
        voucher_type=text(item.get("type")),
        voids_voucher_id=text(item.get("voidVoucherId")),
        total_earnings=money(item.get("totalEarnings")),
    )


class PayrollClient:
    """The payroll side of a PrismHR connection (one session shared with the employee client)."""

    def __init__(self, client: Client):
        self.client = client

    @classmethod
    def for_connection(cls, connection, **http_options) -> PayrollClient:
        client = client_for(connection, **http_options)
        if not isinstance(client, Client):
            raise ProviderError(f"{connection.name} is not a PrismHR connection.", permanent=True)
        return cls(client)

    def batch_list(
        self, client_id: str, start: dt.date, end: dt.date, *, date_type: str = "PAY"
    ) -> list[BatchSummary]:
        body = self.client._call(
            "payroll/v1/getBatchListByDate",
            {
                "clientId": client_id,
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "dateType": date_type,
            },
            empty_on_404=True,
        )
        items = body.get("batchList", [])
        if isinstance(items, dict):
            items = items.get("batchList", items.get("batch", [items]))
        return [batch_summary(i) for i in _list(items) if isinstance(i, dict) and text(i.get("batchId"))]

    def batch_statuses(self, client_id: str, batch_ids: list[str]) -> dict[str, str]:
        """``batchId -> status code`` for the batches the provider still has (chunks of 50 IDs)."""
        found: dict[str, str] = {}
        for start in range(0, len(batch_ids), STATUS_BATCH):
            chunk = batch_ids[start : start + STATUS_BATCH]
            body = self.client._call(
                "payroll/v1/getBatchStatus",
                {"clientId": client_id, "batchIds": ",".join(chunk)},
                empty_on_404=True,
            )
            for item in _list(body.get("batchStatuses") or body.get("batchStatus")):
                if isinstance(item, dict) and text(item.get("batchId")):
                    found[text(item.get("batchId"))] = text(item.get("status") or item.get("batchStatus"))
        return found

    def batch_info(self, client_id: str, batch_id: str) -> BatchSummary | None:
        body = self.client._call(
            "payroll/v1/getBatchInfo", {"clientId": client_id, "batchId": batch_id}, empty_on_404=True
        )
        control = body.get("batchControl")
        if isinstance(control, list):
            control = control[0] if control else None
        if not isinstance(control, dict):
            return None
        summary = batch_summary(control)
        return summary if summary.batch_id else None

    def billing_totals(self, client_id: str, batch_id: str) -> BillingTotals | None:
        """The batch's billing code totals and paid employees; None when there is no answer (404, no batch).

        An answer that lists no totals and no employees is a batch with nothing to bill (``empty``), not a
        missing answer: seed 004 ends the two differently.
        """
        body = self.client._call(
            "payroll/v1/getBillingCodeTotalsForBatch",
            {"clientId": client_id, "batchId": batch_id},
            empty_on_404=True,
        )
        if "billCodeTotals" not in body and "employeeIdList" not in body:
            return None
        totals_body = body.get("billCodeTotals") or {}
        items = totals_body.get("batchTotals") if isinstance(totals_body, dict) else totals_body
        totals = tuple(
            (text(i.get("billCode")), money(i.get("totBillAmt")))
            for i in _list(items)
            if isinstance(i, dict) and text(i.get("billCode"))
        )
        employees = body.get("employeeIdList") or {}
        ids = employees.get("employeeId", []) if isinstance(employees, dict) else employees
        ids = tuple(text(i) for i in _list(ids) if text(i)) if not isinstance(ids, str) else (ids,)
        try:
            count = int(employees.get("employeeCount", len(ids))) if isinstance(employees, dict) else len(ids)
        except (TypeError, ValueError):
            count = len(ids)
        return BillingTotals(totals=totals, employee_ids=ids, employee_count=count)

    def _pages(self, path: str, key: str, client_id: str, batch_id: str, page_size: int, parse) -> Iterator:
        start = 0
        while True:
            body = self.client._call(
                path,
                {"clientId": client_id, "batchId": batch_id, "count": page_size, "startpage": start},
                empty_on_404=True,
            )
            items = [parse(i) for i in _list(body.get(key)) if isinstance(i, dict)]
            total = body.get("total")
            try:
                total = int(total) if total is not None else None
            except (TypeError, ValueError):
                total = None
            yield VoucherPage(items=items, total=total)
            start += len(items)
            if len(items) < page_size or not items or (total is not None and start >= total):
                return

    def billing_vouchers(
        self, client_id: str, batch_id: str, *, page_size: int = DEFAULT_PAGE
    ) -> Iterator[VoucherPage]:
        """Yield pages of billing vouchers (``startpage`` is the position of the page's first voucher)."""
        return self._pages(
            "payroll/v1/getBillingVouchersByBatch",
            "billingVoucher",
            client_id,
            batch_id,
            page_size,
            billing_voucher,
        )

    def payroll_vouchers(
        self, client_id: str, batch_id: str, *, page_size: int = DEFAULT_PAGE
    ) -> Iterator[VoucherPage]:
        return self._pages(
            "payroll/v1/getPayrollVoucherForBatch",
            "payrollVoucher",
            client_id,
            batch_id,
            page_size,
            payroll_voucher,
        )

    def pay_group_codes(self, client_id: str) -> dict[str, str]:
        """``code -> description`` of the client's pay groups (``getClientCodes?options=PGroups``)."""
        body = self.client._call(
            "clientMaster/v1/getClientCodes", {"clientId": client_id, "options": "PGroups"}, empty_on_404=True
        )
        codes = body.get("clientCodes", body)
        items = []
        if isinstance(codes, dict):
            items = codes.get("payGroupCode", codes.get("payGroups", codes.get("payGroupCodes", [])))
        return {
            text(i.get("code") or i.get("payGroupId")): text(i.get("description"))
            for i in _list(items)
            if isinstance(i, dict) and text(i.get("code") or i.get("payGroupId"))
        }

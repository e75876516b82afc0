"""A small fake PrismHR payroll service behind ``responses``, and a helper that runs one sync kind."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import responses

from apps.integrations.models import SyncRun
from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request
from tests.payroll.factories import PRISM


def _ok(**body) -> tuple[int, dict, str]:
    return (
        200,
        {"Content-Type": "application/json"},
        json.dumps({"errorCode": "0", "errorMessage": "", **body}),
    )


def missing(message: str) -> tuple[int, dict, str]:
    return (
        404,
        {"Content-Type": "application/json"},
        json.dumps({"errorCode": "404", "errorMessage": message}),
    )


class FakePrism:
    """An in-memory PrismHR payroll service: batches, totals, vouchers, pay group codes."""

    def __init__(self, rsps: responses.RequestsMock, base: str = PRISM):
        self.batches: dict[tuple[str, str], dict] = {}
        self.totals: dict[tuple[str, str], list[dict]] = {}
        self.billing: dict[tuple[str, str], list[dict]] = {}
        self.payroll: dict[tuple[str, str], list[dict]] = {}
        self.pay_group_codes: dict[str, list[dict]] = {}
        self.calls: list[str] = []
        # path -> the answer it gives instead (a 404, a refusal), whatever the state says
        self.answers: dict[str, tuple[int, dict, str]] = {}
        rsps.add(
            responses.POST,
            f"{base}/login/v1/createPeoSession",
            json={"errorCode": "0", "errorMessage": "", "sessionId": "sess-1"},
        )
        routes = {
            "payroll/v1/getBatchListByDate": self._list,
            "payroll/v1/getBatchStatus": self._status,
            "payroll/v1/getBatchInfo": self._info,
            "payroll/v1/getBillingCodeTotalsForBatch": self._totals,
            "payroll/v1/getBillingVouchersByBatch": self._billing,
            "payroll/v1/getPayrollVoucherForBatch": self._payroll,
            "clientMaster/v1/getClientCodes": self._codes,
        }
        for path, handler in routes.items():
            rsps.add_callback(responses.GET, f"{base}/{path}", callback=self._wrap(path, handler))

    def _wrap(self, path, handler):
        def callback(request):
            self.calls.append(path)
            if path in self.answers:
                return self.answers[path]
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
            return handler(query)

        return callback

    # --- state -------------------------------------------------------------------------------------------

    def add_batch(
        self,
        batch_id: str,
        *,
        client: str = "100100",
        status: str = "COMP",
        pay_date: str | None = "2025-01-10",
        batch_type: str = "R",
        pay_groups=("BW1",),
        description: str = "",
        void_of: str = "",
        vouchers: list[dict] | None = None,
        totals: bool = True,
    ) -> dict:
        batch = {
            "batchId": batch_id,
            "batchStatus": status,
            "payDate": pay_date,
            "batchType": batch_type,
            "batchDescription": description or f"Batch {batch_id}",
            "voidBatchId": void_of,
            "payGroup": [
                {"payGroupId": g, "payPeriodStartDate": "2024-12-16", "payPeriodEndDate": "2024-12-29"}
                for g in pay_groups
            ],
        }
        self.batches[(client, batch_id)] = batch
        self.billing[(client, batch_id)] = list(vouchers or [])
        if totals:
            sums: dict[str, float] = {}
            for v in vouchers or []:
                for line in v["sumBilling"]:
                    sums[line["billCode"]] = sums.get(line["billCode"], 0) + float(line["billAmt"])
            self.totals[(client, batch_id)] = [
                {"billCode": c, "totBillAmt": f"{a:.2f}"} for c, a in sums.items()
            ] or [{"billCode": "ADMIN", "totBillAmt": "0.00"}]
        return batch

    @staticmethod
    def voucher(voucher_id: str, employee_id: str, pay_group: str = "BW1", **amounts: str) -> dict:
        lines = amounts or {"GROSS": "1000.00", "ERTAX": "76.50"}
        return {
            "voucherId": voucher_id,
            "employeeId": employee_id,
            "payGroup": pay_group,
            "payDate": "2025-01-10",
            "voidDate": None,
            "sumBilling": [
                {"billCode": code, "billCodeDescription": f"{code} words", "billAmt": amount}
                for code, amount in lines.items()
            ],
        }

    # --- handlers ----------------------------------------------------------------------------------------

    def _list(self, q):
        start, end = q["startDate"], q["endDate"]
        found = [
            b
            for (client, _), b in sorted(self.batches.items())
            if client == q["clientId"] and b["payDate"] and start <= b["payDate"] <= end
        ]
        if not found:
            return missing("No batches found.")
        keep = ("batchId", "payDate", "batchType", "batchStatus", "payGroup")
        return _ok(batchList=[{k: b[k] for k in keep} for b in found])

    def _status(self, q):
        ids = q["batchIds"].split(",")
        found = [
            {"batchId": i, "status": self.batches[(q["clientId"], i)]["batchStatus"]}
            for i in ids
            if (q["clientId"], i) in self.batches
        ]
        return _ok(batchStatuses=found) if found else missing("None found.")

    def _info(self, q):
        batch = self.batches.get((q["clientId"], q["batchId"]))
        return _ok(batchControl=batch) if batch else missing("Batch not found.")

    def _totals(self, q):
        key = (q["clientId"], q["batchId"])
        if key not in self.batches:
            return missing("Batch not found.")
        totals = self.totals.get(key, [])
        employees = sorted({v["employeeId"] for v in self.billing.get(key, [])}) if totals else []
        return _ok(
            billCodeTotals={"batchTotals": totals},
            employeeIdList={"employeeId": employees, "employeeCount": len(employees)},
        )

    def _page(self, q, rows, key):
        count, start = int(q.get("count", 5000)), int(q.get("startpage", 0))
        return _ok(**{key: rows[start : start + count]}, count=count, startpage=start, total=len(rows))

    def _billing(self, q):
        return self._page(q, self.billing.get((q["clientId"], q["batchId"]), []), "billingVoucher")

    def _payroll(self, q):
        return self._page(q, self.payroll.get((q["clientId"], q["batchId"]), []), "payrollVoucher")

    def _codes(self, q):
        return _ok(clientCodes={"payGroupCode": self.pay_group_codes.get(q["clientId"], [])})


def run_kind(connection, kind: str, **context) -> SyncRun:
    """Request and execute one sync run of ``kind`` now (the command's path)."""
    run = sync_run_request(connection=connection, kind=kind, trigger=SyncRun.Trigger.COMMAND)
    return sync_run_execute(run_id=run.pk, context=SyncContext(**context))

"""The emulated PrismHR payroll methods, with one seeded batch per seed 004 rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.sandbox import services
from apps.sandbox.models import SandboxBatch
from tests.sandbox.conftest import PRISM

PAYROLL = f"{PRISM}/payroll/v1"


def _window(days: int = 60) -> dict:
    today = timezone.localdate()
    return {
        "clientId": "100100",
        "startDate": (today - timezone.timedelta(days=days)).isoformat(),
        "endDate": (today + timezone.timedelta(days=days)).isoformat(),
    }


def test_batch_list_by_pay_date_lists_live_batches_with_pay_groups(prism):
    body = prism.get(f"{PAYROLL}/getBatchListByDate", {**_window(), "dateType": "PAY"}).json()

    ids = [b["batchId"] for b in body["batchList"]]
    assert ids == [
        "41001",
        "41002",
        "41004",
        "41005",
        "41006",
    ]  # no pay date (41003) and deleted (41007) absent
    first = body["batchList"][0]
    assert set(first) == {"batchId", "payDate", "batchType", "batchStatus", "payGroup"}
    assert [g["payGroupId"] for g in first["payGroup"]] == ["BW1", "BW2"]
    assert set(first["payGroup"][0]) == {"payGroupId", "payPeriodStartDate", "payPeriodEndDate"}


def test_batch_list_by_period_finds_the_batch_without_a_pay_date(prism):
    body = prism.get(f"{PAYROLL}/getBatchListByDate", {**_window(), "dateType": "PERIOD"}).json()

    no_pay_date = next(b for b in body["batchList"] if b["batchId"] == "41003")
    assert no_pay_date["payDate"] is None
    assert no_pay_date["batchStatus"] == "COMP"


def test_batch_list_answers_404_for_none_and_400_for_a_bad_date_type(prism):
    empty = prism.get(
        f"{PAYROLL}/getBatchListByDate",
        {"clientId": "100100", "startDate": "2000-01-01", "endDate": "2000-02-01", "dateType": "PAY"},
    )
    bad = prism.get(f"{PAYROLL}/getBatchListByDate", {**_window(), "dateType": "CHECK"})

    assert empty.status_code == 404
    assert empty.json()["errorCode"] == "404"
    assert bad.status_code == 400


def test_batch_status_takes_a_comma_separated_list(prism):
    body = prism.get(
        f"{PAYROLL}/getBatchStatus", {"clientId": "100100", "batchIds": "41001,41002,41007"}
    ).json()

    assert body["batchStatuses"] == [
        {"batchId": "41001", "status": "COMP"},
        {"batchId": "41002", "status": "INITOK"},
    ]


def test_batch_info_shows_the_void_link(prism):
    control = prism.get(f"{PAYROLL}/getBatchInfo", {"clientId": "100100", "batchId": "41006"}).json()[
        "batchControl"
    ]

    assert control["batchType"] == "V"
    assert control["voidBatchId"] == "41001"
    assert {"batchStatus", "batchId", "payDate", "batchDescription", "batchType"} <= set(control)


def test_a_deleted_batch_is_not_found(prism):
    response = prism.get(f"{PAYROLL}/getBatchInfo", {"clientId": "100100", "batchId": "41007"})

    assert response.status_code == 404


def test_billing_code_totals_sum_the_vouchers_and_list_the_employees(prism):
    body = prism.get(
        f"{PAYROLL}/getBillingCodeTotalsForBatch", {"clientId": "100100", "batchId": "41001"}
    ).json()

    totals = {t["billCode"]: Decimal(t["totBillAmt"]) for t in body["billCodeTotals"]["batchTotals"]}
    vouchers = SandboxBatch.objects.get(batch_id="41001").vouchers.all()
    expected = {}
    for voucher in vouchers:
        for line in voucher.billing:
            expected[line["billCode"]] = expected.get(line["billCode"], Decimal(0)) + Decimal(line["billAmt"])
    assert totals == expected
    assert body["employeeIdList"]["employeeCount"] == 8


def test_the_no_totals_batch_answers_without_totals(prism):
    body = prism.get(
        f"{PAYROLL}/getBillingCodeTotalsForBatch", {"clientId": "100100", "batchId": "41004"}
    ).json()

    assert body["errorCode"] == "0"
    assert body["billCodeTotals"]["batchTotals"] == []


def test_the_no_vouchers_batch_has_totals_but_no_vouchers(prism):
    totals = prism.get(
        f"{PAYROLL}/getBillingCodeTotalsForBatch", {"clientId": "100100", "batchId": "41005"}
    ).json()
    vouchers = prism.get(
        f"{PAYROLL}/getBillingVouchersByBatch", {"clientId": "100100", "batchId": "41005"}
    ).json()

    assert totals["billCodeTotals"]["batchTotals"]
    assert vouchers["billingVoucher"] == []
    assert vouchers["total"] == 0


@pytest.mark.parametrize(
    ("method", "key"),
    [("getBillingVouchersByBatch", "billingVoucher"), ("getPayrollVoucherForBatch", "payrollVoucher")],
)
def test_voucher_methods_page_by_count_and_startpage(prism, method, key):
    pages = [
        prism.get(
            f"{PAYROLL}/{method}", {"clientId": "100100", "batchId": "41001", "count": 3, "startpage": start}
        ).json()
        for start in (0, 3, 6)
    ]

    ids = [v["voucherId"] for page in pages for v in page[key]]
    assert ids == [f"41001-{n:06d}" for n in range(1, 9)]
    assert {p["total"] for p in pages} == {8}
    assert pages[1]["startpage"] == 3


def test_billing_vouchers_carry_their_lines_and_void_vouchers_no_pay_group(prism):
    original = prism.get(
        f"{PAYROLL}/getBillingVouchersByBatch", {"clientId": "100100", "batchId": "41001"}
    ).json()
    void = prism.get(
        f"{PAYROLL}/getBillingVouchersByBatch", {"clientId": "100100", "batchId": "41006"}
    ).json()

    first = original["billingVoucher"][0]
    assert first["batchNumber"] == "41001"
    assert first["payGroup"] == "BW1"
    assert first["voidDate"] is not None
    assert [line["billCode"] for line in first["sumBilling"]] == ["GROSS", "ERTAX", "ADMIN"]
    negated = void["billingVoucher"][0]
    assert negated["payGroup"] == ""
    assert negated["employeeId"] == first["employeeId"]
    assert [
        Decimal(a["billAmt"]) + Decimal(b["billAmt"])
        for a, b in zip(first["sumBilling"], negated["sumBilling"], strict=True)
    ] == [0, 0, 0]


def test_payroll_vouchers_name_the_voucher_they_void(prism):
    body = prism.get(
        f"{PAYROLL}/getPayrollVoucherForBatch", {"clientId": "100100", "batchId": "41006", "count": 1}
    ).json()

    [voucher] = body["payrollVoucher"]
    assert voucher["type"] == "V"
    assert voucher["voidVoucherId"] == "41001-000001"
    assert voucher["totalEarnings"] == "-1000.00"


def test_unknown_client_batches_live_under_their_own_client(prism):
    body = prism.get(f"{PAYROLL}/getBatchInfo", {"clientId": "100900", "batchId": "49001"}).json()

    assert body["batchControl"]["batchId"] == "49001"


def test_a_large_batch_of_twenty_thousand_vouchers_is_made_fast_and_pages_completely(prism):
    # given a batch of 20,000 vouchers over 5,000 employees
    import time

    started = time.monotonic()
    batch = services.seed_large_batch(
        company=SandboxBatch.objects.get(batch_id="41001").company, vouchers=20_000
    )
    elapsed = time.monotonic() - started

    # when the hub pages through it
    seen = 0
    total = None
    start = 0
    while True:
        page = prism.get(
            f"{PAYROLL}/getBillingVouchersByBatch",
            {"clientId": "100100", "batchId": batch.batch_id, "count": 5000, "startpage": start},
        ).json()
        total = page["total"]
        seen += len(page["billingVoucher"])
        if len(page["billingVoucher"]) < 5000:
            break
        start += 5000

    # then every voucher is served once and the batch's employee list has 5,000 people
    totals = prism.get(
        f"{PAYROLL}/getBillingCodeTotalsForBatch", {"clientId": "100100", "batchId": batch.batch_id}
    ).json()
    assert elapsed < 30
    assert seen == total == 20_000
    assert totals["employeeIdList"]["employeeCount"] == 5000

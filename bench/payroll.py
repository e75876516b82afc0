"""Benchmark the payroll Sync of one batch: 20,000 vouchers over 5,000 employees, from the sandbox over HTTP.

Runs, in one process against one fresh database (the sandbox served by gunicorn on loopback):
1. the Sync of the batch (batch info, billing-code totals, voucher pages, pay group codes; vouchers, pay
   groups with costs and the employee counts written in chunks), rate limit lifted;
2. the same Sync again (replayed: every row compared, none written);
3. baseline (a): the same voucher pages through the same client, without writing;
4. baseline (b): a bare bulk insert of the same voucher lines into the same table.
Prints seconds, queries, and the ratios Sync / bare insert and Sync / (fetch + bare insert). Medians over
--repeat runs. Target: the Sync within 3x of the bare insert plus the fetch it cannot avoid.

    .venv/bin/python bench/payroll.py [--vouchers 20000] [--employees 5000] [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import counted, django_setup, median
from sync import free_port, start_server, stop_server


def seed_sandbox(vouchers: int, employees: int):
    from apps.sandbox.models import SandboxCompany, SandboxCredential
    from apps.sandbox.services.seed import seed_large_batch

    company = SandboxCompany.objects.create(
        provider="prismhr", external_id="100100", name="Bench PEO client", rate_limit=0
    )
    credential = SandboxCredential.objects.create(
        provider="prismhr", label="bench", username="bench-user", password="bench-password", peo_id="BENCHPEO"
    )
    credential.companies.add(company)
    return seed_large_batch(company=company, vouchers=vouchers, employees=employees)


def hub(base_url: str, employees: int):
    """The hub's company (with its employees and their status history) and PrismHR connection."""
    from django.utils import timezone

    from apps.companies.models import Company, CompanySet, Customer
    from apps.employees.models import Employee, StatusEvent
    from apps.integrations.models import Connection

    customer = Customer.objects.create(name="Bench PEO", slug="bench-peo")
    company_set = CompanySet.objects.create(customer=customer, name="Bench set", provider="prismhr")
    company = Company.objects.create(
        company_set=company_set, provider="prismhr", external_id="100100", name="Bench"
    )
    conn = Connection.objects.create(
        customer=customer,
        name="Bench PrismHR",
        slug="bench-prismhr",
        provider="prismhr",
        base_url=base_url,
        username="bench-user",
        password="bench-password",
        peo_id="BENCHPEO",
        webhook_auth="none",
        rate_limit_per_second=1_000_000.0,  # lifted for the bench
        fair_use_per_hour=10_000_000,
        fair_use_per_day=10_000_000,
    )
    conn.companies.add(company)
    width = max(4, len(str(employees)))
    types = ["RFT", "RPT", "SNL", "TFT", "TPT"]
    rows = Employee.objects.bulk_create(
        [
            Employee(
                company=company, employee_id=f"P{n:0{width}d}", employment_type=types[n % 5], pay_group="BW1"
            )
            for n in range(1, employees + 1)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    events = []
    for n, employee in enumerate(rows, start=1):
        events.append(
            StatusEvent(
                employee=employee,
                code="A",
                status_type="active",
                effective_date=dt.date(2020, 1, 1),
                recorded_at=now,
                source="sync",
            )
        )
        if n % 20 == 0:
            events.append(
                StatusEvent(
                    employee=employee,
                    code="T",
                    status_type="terminated",
                    effective_date=dt.date(2023, 1, 1),
                    recorded_at=now,
                    source="sync",
                )
            )
        elif n % 33 == 0:
            events.append(
                StatusEvent(
                    employee=employee,
                    code="L",
                    status_type="leave",
                    effective_date=dt.date(2023, 1, 1),
                    recorded_at=now,
                    source="sync",
                )
            )
    StatusEvent.objects.bulk_create(events, batch_size=4000)
    return conn, company


def run(conn, kind: str, page_size: int):
    from apps.integrations.models import SyncRun
    from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request

    request = sync_run_request(connection=conn, kind=kind, trigger=SyncRun.Trigger.COMMAND)
    with counted() as counter:
        done = sync_run_execute(run_id=request.pk, context=SyncContext(page_size=page_size))
    if done.state != SyncRun.State.SUCCEEDED:
        raise SystemExit(f"{kind} failed: {done.message}")
    return counter.seconds, counter.count, done


def reset(batch) -> None:
    """Forget what the Sync wrote, so the next repeat imports the batch from scratch (not timed)."""
    from apps.payroll.models import BillingVoucher, EmployeeCount, ImportQueueRecord, PayGroup, PayrollBatch

    BillingVoucher.objects.filter(batch=batch).delete()
    PayGroup.objects.filter(batch=batch).delete()
    EmployeeCount.objects.filter(batch=batch).delete()
    ImportQueueRecord.objects.filter(batch=batch, source="import").delete()
    PayrollBatch.objects.filter(pk=batch.pk).update(import_state="pending", voucher_count=0, total_amount=0)


def fetch_only(conn, batch_id: str, page_size: int):
    from apps.integrations.providers.prismhr.payroll import PayrollClient

    client = PayrollClient.for_connection(conn)
    start = time.perf_counter()
    vouchers = []
    for page in client.billing_vouchers("100100", batch_id, page_size=page_size):
        vouchers.extend(page.items)
    return time.perf_counter() - start, vouchers


def bare_insert(batch, vouchers) -> tuple[float, int, int]:
    """The same voucher lines into the same table: one bulk_create, nothing compared or derived."""
    from django.db import transaction

    from apps.payroll.models import BillingVoucher

    with counted() as counter, transaction.atomic():
        rows = [
            BillingVoucher(
                batch=batch,
                voucher_id=v.voucher_id,
                employee_number=v.employee_id,
                pay_group_code=v.pay_group,
                bill_code=line.bill_code,
                description=line.description,
                amount=line.amount,
                pay_date=v.pay_date,
            )
            for v in vouchers
            for line in v.lines
        ]
        BillingVoucher.objects.bulk_create(rows, batch_size=5000)
    BillingVoucher.objects.filter(batch=batch).delete()
    return counter.seconds, counter.count, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vouchers", type=int, default=20_000)
    parser.add_argument("--employees", type=int, default=5_000)
    parser.add_argument("--page-size", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers serving the sandbox")
    args = parser.parse_args()

    django_setup("bench_payroll")
    from django.db import connection

    from apps.payroll.models import BillingVoucher, PayrollBatch

    print(
        f"database: {connection.vendor}; provider: the sandbox over real HTTP (gunicorn, {args.workers} workers); "
        f"{args.vouchers} vouchers, {args.employees} employees, page size {args.page_size}, "
        f"{args.repeat} runs (medians)"
    )
    sandbox_batch = seed_sandbox(args.vouchers, args.employees)
    port = free_port()
    server = start_server(port, args.workers)
    try:
        conn, _company = hub(
            f"http://127.0.0.1:{port}/sandbox/prismhr/prismhr-api/services/rest", args.employees
        )
        run(conn, "payroll-ongoing", args.page_size)
        batch = PayrollBatch.objects.get(batch_id=sandbox_batch.batch_id)
        assert batch.sync_with_provider, "the Ongoing process did not flag the complete batch"
        figures = {"sync": [], "again": [], "fetch": [], "bare": []}
        queries = {}
        lines = 0
        for repeat in range(args.repeat):
            if repeat:
                reset(batch)
            seconds, count, _done = run(conn, "payroll-sync", args.page_size)
            figures["sync"].append(seconds)
            queries["sync"] = count
            lines = BillingVoucher.objects.filter(batch=batch).count()
            PayrollBatch.objects.filter(pk=batch.pk).update(import_state="pending")
            seconds, count, again = run(conn, "payroll-sync", args.page_size)
            figures["again"].append(seconds)
            queries["again"] = count
            assert again.created == 0 and again.updated == 0, "the second Sync wrote rows"
            fetch_s, vouchers = fetch_only(conn, batch.batch_id, args.page_size)
            figures["fetch"].append(fetch_s)
            spare = PayrollBatch.objects.create(
                company=batch.company, batch_id=f"bare-{repeat}", batch_type="R"
            )
            bare_s, bare_q, bare_rows = bare_insert(spare, vouchers)
            figures["bare"].append(bare_s)
            queries["bare"] = bare_q
        sync_s, again_s, fetch_s, bare_s = (median(figures[k]) for k in ("sync", "again", "fetch", "bare"))
        n = args.vouchers
        print(
            f"sync:            {sync_s:6.2f}s  {n / sync_s:8.0f} vouchers/s  {queries['sync']:5d} queries  ({lines} lines)"
        )
        print(
            f"sync again:      {again_s:6.2f}s  {n / again_s:8.0f} vouchers/s  {queries['again']:5d} queries  (0 rows written)"
        )
        print(
            f"(a) fetch only:  {fetch_s:6.2f}s  {n / fetch_s:8.0f} vouchers/s  (the same voucher pages over HTTP)"
        )
        print(
            f"(b) bare insert: {bare_s:6.2f}s  {bare_rows / bare_s:8.0f} lines/s     {queries['bare']:5d} queries  ({bare_rows} lines)"
        )
        print(f"ratio sync / bare insert            = {sync_s / bare_s:.2f}x")
        print(f"ratio sync / (fetch + bare insert)  = {sync_s / (fetch_s + bare_s):.2f}x  (target <= 3x)")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()

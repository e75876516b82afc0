"""Benchmark Paylocity employee syncs from the sandbox over real HTTP (gunicorn on loopback).

Default (a full sync against baselines), in one process against one fresh database:
1. a full sync of N employees (list pages + one detail GET each, applied page by page), rate limit lifted;
2. the same again, nothing changed: as a routine sync (list pages only) and as a full sync (every detail);
3. baseline (a): the same pages and detail GETs through the same client, without applying;
4. baseline (b): a bare bulk insert of the same rows (employees + one status event each).
Prints employees/s, queries per page, and ratio = full sync / (fetch + bare insert). Target: within 2x.

``--routine`` (the nightly case of a large customer, under the provider's real limit):
1. seeds the sandbox with N employees (bulk insert) and the hub with the same employees through the engine
   (``employee_records_apply`` of the records their detail GETs would give, no HTTP: a first sync at
   25 requests/second would take over an hour at 100,000), details fetched now;
2. changes 1% of them in the sandbox (status A -> T, L -> A, T -> A, effective today);
3. turns on the sandbox's rate limit (25 requests per 1-second window, 429 beyond) and gives the connection
   Paylocity's 25/s, then runs one routine sync in a child process (``_routine_sync_child.py``) that prints
   its wall time, queries and peak memory (``resource.getrusage``);
4. checks every change was applied and counts the requests (API call rows of the run) against the floor:
   list pages + changed employees (+ the token).
Target: under 60 s, every change applied, peak memory under ``--max-rss-mb``. A 429 from the sandbox (its
1-second windows count arrivals; a loaded machine can bunch requests the hub spaced evenly) is retried after
its Retry-After by the client and counted in the requests used.

    .venv/bin/python bench/sync.py [--employees 20000] [--page-size 500] [--workers 2]
    .venv/bin/python bench/sync.py --employees 100000 --routine [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, counted, django_setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "SANDBOX_ENABLED": "true"}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def seed_sandbox(n: int):
    from apps.sandbox.models import SandboxCompany, SandboxCredential, SandboxEmployee

    company = SandboxCompany.objects.create(
        provider="paylocity", external_id="6700", name="Bench Co", rate_limit=0
    )
    credential = SandboxCredential.objects.create(
        provider="paylocity", label="bench", client_id="bench-client", client_secret="bench-secret"
    )
    credential.companies.add(company)
    codes = ["A"] * 8 + ["L", "T"]
    SandboxEmployee.objects.bulk_create(
        [
            SandboxEmployee(
                company=company,
                employee_id=f"{100000 + i}",
                first_name=f"First{i}",
                last_name="Bench",
                work_email=f"e{i}@bench.example",
                national_id=f"{500000000 + i}",
                birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i % 7000),
                status_code=codes[i % 10],
                status_type=codes[i % 10],  # the sandbox keeps the provider letter (A / L / T)
                status_effective_date=dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500),
                change_reason="Bench",
                hire_date=dt.date(2019, 1, 1),
                employment_type="RFT" if i % 3 else "RPT",
                benefit_class="FT",
                pay_group="BW",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    return company


def hub_connection(base_url: str, external_id: str):
    from apps.companies.models import Company, CompanySet, Customer
    from apps.integrations.models import Connection

    customer, _ = Customer.objects.get_or_create(
        name=f"Bench {external_id}", slug=f"bench-{external_id.lower()}"
    )
    company_set, _ = CompanySet.objects.get_or_create(
        customer=customer, name="Bench set", provider="paylocity"
    )
    company, _ = Company.objects.get_or_create(
        company_set=company_set, provider="paylocity", external_id=external_id, defaults={"name": "Bench"}
    )
    conn, _ = Connection.objects.get_or_create(
        slug=f"bench-{external_id.lower()}",
        defaults={
            "customer": customer,
            "name": f"Bench {external_id}",
            "provider": "paylocity",
            "base_url": base_url,
            "client_id": "bench-client",
            "client_secret": "bench-secret",
            "rate_limit_per_second": 1_000_000.0,  # lifted for the bench
            "fair_use_per_hour": 10_000_000,
            "fair_use_per_day": 10_000_000,
        },
    )
    conn.companies.add(company)
    return conn, company


def timed_sync(conn, *, full: bool, page_size: int) -> tuple[float, object, int, int]:
    from apps.integrations.models import SyncRun
    from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request

    pages = []
    run = sync_run_request(connection=conn, full=full, trigger=SyncRun.Trigger.COMMAND)
    with counted() as counter:
        run = sync_run_execute(
            run_id=run.pk, context=SyncContext(page_size=page_size, on_progress=pages.append)
        )
    if run.state != SyncRun.State.SUCCEEDED:
        raise SystemExit(f"sync failed: {run.message}")
    return counter.seconds, run, counter.count, len(pages)


def fetch_only(conn, external_id: str, page_size: int) -> tuple[float, list]:
    from apps.integrations.providers import client_for

    client = client_for(conn)
    records = []
    start = time.perf_counter()
    for page in client.list_employees(external_id, page_size=page_size):
        records.extend(client.get_employees(external_id, [e.employee_id for e in page.entries]).records)
    return time.perf_counter() - start, records


def bare_insert(records, company) -> float:
    from django.db import transaction
    from django.utils import timezone

    from apps.employees.models import Employee, StatusEvent

    now = timezone.now()
    start = time.perf_counter()
    with transaction.atomic():
        employees = Employee.objects.bulk_create(
            [
                Employee(
                    company=company,
                    employee_id=r.employee_id,
                    first_name=r.first_name,
                    last_name=r.last_name,
                    work_email=r.work_email,
                    employment_type=r.employment_type,
                    benefit_class=r.benefit_class,
                    pay_group=r.pay_group,
                    hire_date=r.hire_date,
                    status_code=r.status_code,
                    status_effective_date=r.status_effective_date,
                    last_seen_at=now,
                )
                for r in records
            ],
            batch_size=1000,
        )
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(
                    employee=e,
                    code=r.status_code,
                    effective_date=r.status_effective_date,
                    recorded_at=now,
                    source="sync",
                )
                for e, r in zip(employees, records, strict=True)
            ],
            batch_size=1000,
        )
    return time.perf_counter() - start


def seed_hub_through_engine(company, sandbox_company, chunk: int = 5000) -> float:
    """Apply, without HTTP, the records the sandbox's detail GETs would give: the hub as after a first sync."""
    from apps.employees.services import employee_records_apply
    from apps.integrations.providers.paylocity import records as paylocity
    from apps.sandbox import wire
    from apps.sandbox.models import SandboxEmployee

    start = time.perf_counter()
    rows = SandboxEmployee.objects.filter(company=sandbox_company).select_related("company").order_by("pk")
    last = 0
    while True:  # keyset pages: each apply commits, which a server-side cursor would not survive
        page = list(rows.filter(pk__gt=last)[:chunk])
        if not page:
            break
        last = page[-1].pk
        records = [
            paylocity.employee_record(sandbox_company.external_id, wire.paylocity_employee(r)) for r in page
        ]
        employee_records_apply(company=company, records=records, source="sync")
    return time.perf_counter() - start


NEXT_CODE = {"A": "T", "L": "A", "T": "A"}


def change_in_sandbox(sandbox_company, fraction: float, seed: int) -> dict[str, str]:
    """Change the status of ``fraction`` of the sandbox's employees (effective today); return id -> new code."""
    import random

    from django.utils import timezone

    from apps.sandbox.models import SandboxEmployee

    # Employees not changed by an earlier round: two changes on one day would be two same-day events, which
    # the lifecycle engine orders by its own rule, not by which came last.
    ids = list(
        SandboxEmployee.objects.filter(company=sandbox_company)
        .exclude(change_reason="Bench change")
        .values_list("employee_id", flat=True)
    )
    total = SandboxEmployee.objects.filter(company=sandbox_company).count()
    chosen = random.Random(seed).sample(ids, max(1, round(total * fraction)))
    today = timezone.localdate()
    changed = {}
    rows = SandboxEmployee.objects.filter(company=sandbox_company, employee_id__in=chosen)
    updates = []
    for row in rows:
        row.status_code = row.status_type = NEXT_CODE[row.status_code]
        row.status_effective_date = today
        row.change_reason = "Bench change"
        updates.append(row)
        changed[row.employee_id] = row.status_code
    SandboxEmployee.objects.bulk_update(
        updates, ["status_code", "status_type", "status_effective_date", "change_reason"], batch_size=1000
    )
    return changed


def routine(args) -> None:
    import json
    import math

    from django.db import connection

    from apps.employees.models import Employee
    from apps.integrations.models import ApiCall, Connection
    from apps.sandbox.models import SandboxCompany

    n = args.employees
    print(
        f"database: {connection.vendor}; {n:,} employees; routine sync under the sandbox's 25 requests/s; "
        f"page size {args.page_size or 'the client default'}; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    sandbox_company = SandboxCompany.objects.filter(provider="paylocity", external_id="6700").first()
    reuse = sandbox_company is not None and sandbox_company.employees.count() == n
    if sandbox_company is None:
        sandbox_company = seed_sandbox(n)
    elif not reuse:
        raise SystemExit("the database holds another bench's sandbox: give a fresh DATABASE_URL")
    port = free_port()
    server = start_server(port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}/sandbox/paylocity"
        conn, company = hub_connection(base, "6700")
        # Paylocity's real limit; the sandbox's port is new each run
        Connection.objects.filter(pk=conn.pk).update(rate_limit_per_second=25.0, base_url=base)
        if reuse and Employee.objects.filter(company=company).count() == n:
            print("reusing the sandbox and hub seeded by an earlier run on this database")
        else:
            seeded_s = seed_hub_through_engine(company, sandbox_company)
            print(f"hub seeded through the engine (no HTTP): {seeded_s:.0f}s")
        figures = []
        for attempt in range(args.repeat):
            changed = change_in_sandbox(sandbox_company, args.changed, seed=attempt)
            SandboxCompany.objects.filter(pk=sandbox_company.pk).update(
                rate_limit=25, rate_window_seconds=1, rate_limited_count=0
            )
            child = subprocess.run(
                [sys.executable, str(Path(__file__).with_name("_routine_sync_child.py")), conn.slug]
                + (["--page-size", str(args.page_size)] if args.page_size else [])
                + (["--profile", args.profile] if args.profile else []),
                cwd=ROOT,
                env={**os.environ},
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise SystemExit(f"the routine sync failed:\n{child.stdout}\n{child.stderr}")
            out = json.loads(child.stdout.strip().splitlines()[-1])
            SandboxCompany.objects.filter(pk=sandbox_company.pk).update(rate_limit=0)
            held = dict(
                Employee.objects.filter(company=company, employee_id__in=list(changed)).values_list(
                    "employee_id", "status_code"
                )
            )
            missed = sum(1 for employee_id, code in changed.items() if held.get(employee_id) != code)
            requests = ApiCall.objects.filter(sync_run_id=out["run"]).count()
            refused = SandboxCompany.objects.get(pk=sandbox_company.pk).rate_limited_count
            page_size = out["page_size"]
            floor = math.ceil(n / page_size) + len(changed)
            figures.append(out["seconds"])
            print(
                f"routine sync #{attempt + 1}: {out['seconds']:5.1f}s  {n / out['seconds']:7,.0f} employees/s  "
                f"requests {requests:,} vs floor {floor:,} ({math.ceil(n / page_size)} pages of {page_size:,} "
                f"+ {len(changed):,} changes; +1 token)  details {out['details_fetched']:,}  "
                f"changes applied {len(changed) - missed:,}/{len(changed):,}  429s {refused}  "
                f"{out['queries'] / max(out['slices'], 1):.0f} queries per slice of 500  "
                f"peak RSS {out['max_rss_mb']:.0f} MB"
            )
            if missed:
                raise SystemExit("NOT MET: a change was not applied")
        seconds = statistics.median(figures)
        print(
            f"median routine sync of {n:,} employees with {args.changed:.0%} changed: {seconds:.1f}s "
            f"({n / seconds:,.0f} employees/s; target < 60 s: {'met' if seconds < 60 else 'NOT MET'}); "
            f"peak RSS target < {args.max_rss_mb} MB"
        )
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=int(os.environ.get("BENCH_SYNC_EMPLOYEES", 5000)))
    parser.add_argument(
        "--page-size", type=int, default=None, help="default: 500, or the client's for --routine"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers serving the sandbox")
    parser.add_argument("--routine", action="store_true", help="the routine sync under the real rate limit")
    parser.add_argument("--changed", type=float, default=0.01, help="--routine: share of employees changed")
    parser.add_argument("--repeat", type=int, default=3, help="--routine: routine syncs (1%% changed each)")
    parser.add_argument("--max-rss-mb", type=int, default=400, help="--routine: the stated peak")
    parser.add_argument("--profile", help="--routine: write the routine sync's cProfile stats to this file")
    args = parser.parse_args()

    django_setup("bench_sync")
    if args.routine:
        routine(args)
        return
    args.page_size = args.page_size or 500
    from django.db import connection

    n = args.employees
    print(f"database: {connection.vendor}; {n} employees; page size {args.page_size}")
    seed_sandbox(n)
    port = free_port()
    server = start_server(port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}/sandbox/paylocity"
        conn, _company = hub_connection(base, "6700")

        full_s, run, full_q, pages = timed_sync(conn, full=True, page_size=args.page_size)
        print(
            f"full sync:      {full_s:7.1f}s  {n / full_s:7.0f} employees/s  "
            f"{full_q / max(pages, 1):6.0f} queries/page  (created {run.created}, failed {run.failed})"
        )
        again_s, run2, again_q, pages2 = timed_sync(conn, full=False, page_size=args.page_size)
        print(
            f"unchanged sync: {again_s:7.1f}s  {n / again_s:7.0f} employees/s  "
            f"{again_q / max(pages2, 1):6.0f} queries/page  (unchanged {run2.unchanged}, details {run2.details_fetched})"
        )
        same_s, run3, same_q, pages3 = timed_sync(conn, full=True, page_size=args.page_size)
        print(
            f"full, unchanged:{same_s:7.1f}s  {n / same_s:7.0f} employees/s  "
            f"{same_q / max(pages3, 1):6.0f} queries/page  (unchanged {run3.unchanged}, details {run3.details_fetched})"
        )
        fetch_s, records = fetch_only(conn, "6700", args.page_size)
        print(
            f"(a) fetch only: {fetch_s:7.1f}s  {n / fetch_s:7.0f} employees/s  (same pages and detail GETs)"
        )
        _, bare_company = hub_connection(base, "BARE")
        insert_s = bare_insert(records, bare_company)
        print(f"(b) bare insert:{insert_s:7.1f}s  {n / insert_s:7.0f} rows/s")
        ratio = full_s / (fetch_s + insert_s)
        print(f"ratio full sync / (fetch + bare insert) = {ratio:.2f}x  (target <= 2x)")
        print(f"ratio full unchanged / full first = {same_s / full_s:.2f}x")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()

"""Benchmark scale-out: full employee syncs of 20 sandbox connections shared by 1, 2 and 4 ``qcluster`` processes.

For each broker (PostgreSQL through the ORM broker; Redis) and each worker count, against one sandbox under
gunicorn on loopback (rate limits lifted, so the workers and not the provider's limit are measured):
1. a fresh customer with 20 connections, each to its own sandbox company of ``--employees`` employees;
2. 20 full sync runs requested and queued at once (the nightly job does the same), then ``K`` qcluster
   processes started (one worker each: ``Q_WORKERS=1``) and timed until every run has finished;
3. proof: every run succeeded and every employee is in the hub (none lost), and each run executed once: one
   first-page list request per run and exactly one detail GET per employee (a run executed twice would
   list and detail its company twice).
Prints employees/s and runs/min per worker count (medians of ``--repeat``) and the speed-up against one.
qcluster processes are stopped by process group: SIGINT, then SIGKILL after a grace period.

    .venv/bin/python bench/workers.py [--employees 200] [--counts 1,2,4] [--brokers orm,redis] [--repeat 1]
        [--gunicorn-workers 3]

Redis: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/5``; that database is flushed first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from _setup import ROOT, django_setup
from sync import free_port, start_server, stop_server

CONNECTIONS = 20


def seed_sandbox_companies(per_company: int, prefix: str) -> None:
    """20 sandbox companies (``<prefix>00``...) of ``per_company`` employees, one credential sees them all.

    Each level syncs companies of its own: a company's external ID is unique in the hub.
    """
    from apps.sandbox.models import SandboxCompany, SandboxCredential, SandboxEmployee

    credential, _ = SandboxCredential.objects.get_or_create(
        provider="paylocity",
        client_id="bench-workers",
        defaults={"label": "bench-workers", "client_secret": "bench-secret"},
    )
    for c in range(CONNECTIONS):
        company = SandboxCompany.objects.create(
            provider="paylocity", external_id=f"{prefix}{c:02d}", name=f"Workers {prefix} {c}", rate_limit=0
        )
        credential.companies.add(company)
        SandboxEmployee.objects.bulk_create(
            [
                SandboxEmployee(
                    company=company,
                    employee_id=f"{c:02d}{i:05d}",
                    first_name=f"First{i}",
                    last_name=f"Co{c}",
                    work_email=f"w{c}-{i}@bench.example",
                    national_id=f"{600000000 + c * 100000 + i}",
                    birth_date=dt.date(1980, 1, 1),
                    status_code="A",
                    status_type="A",
                    status_effective_date=dt.date(2020, 1, 1),
                    hire_date=dt.date(2019, 1, 1),
                    employment_type="RFT",
                    benefit_class="FT",
                    pay_group="BW",
                )
                for i in range(per_company)
            ]
        )


def hub_connections(base_url: str, tag: str, prefix: str) -> list:
    from apps.companies.models import Company, CompanySet, Customer
    from apps.integrations.models import Connection

    customer = Customer.objects.create(name=f"Workers {tag}", slug=f"workers-{tag}")
    company_set = CompanySet.objects.create(customer=customer, name="Set", provider="paylocity")
    connections = []
    for c in range(CONNECTIONS):
        company = Company.objects.create(
            company_set=company_set, provider="paylocity", external_id=f"{prefix}{c:02d}", name=f"{prefix}{c}"
        )
        conn = Connection.objects.create(
            customer=customer,
            slug=f"workers-{tag}-{c:02d}",
            name=f"Workers {tag} {c}",
            provider="paylocity",
            base_url=base_url,
            client_id="bench-workers",
            client_secret="bench-secret",
            rate_limit_per_second=1_000_000.0,
            fair_use_per_hour=10_000_000,
            fair_use_per_day=10_000_000,
        )
        conn.companies.add(company)
        connections.append(conn)
    return connections


def start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**env, "Q_WORKERS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_workers(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    """SIGINT each process group, then SIGKILL what is still there after ``grace`` seconds (django-q2 #346)."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def one_level(base_url: str, count: int, per_company: int, tag: str, prefix: str, timeout: float) -> dict:
    from django.db.models import Count

    from apps.employees.models import Employee
    from apps.integrations.models import ApiCall, SyncRun
    from apps.integrations.services import sync_run_request
    from apps.integrations.tasks import enqueue_sync_run

    seed_sandbox_companies(per_company, prefix)
    connections = hub_connections(base_url, tag, prefix)
    runs = [sync_run_request(connection=c, full=True, trigger=SyncRun.Trigger.COMMAND) for c in connections]
    for run in runs:
        enqueue_sync_run(run.pk)
    started = time.monotonic()
    procs = start_workers(count, dict(os.environ))
    try:
        ids = [r.pk for r in runs]
        while time.monotonic() - started < timeout:
            if not SyncRun.objects.filter(pk__in=ids, state__in=SyncRun.ACTIVE_STATES).exists():
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        stop_workers(procs)
    finished = SyncRun.objects.filter(pk__in=ids)
    succeeded = finished.filter(state=SyncRun.State.SUCCEEDED).count()
    employees = Employee.objects.filter(company__company_set__customer__slug=f"workers-{tag}").count()
    calls = ApiCall.objects.filter(sync_run_id__in=ids, method="GET")
    first_pages = calls.filter(uri__contains="pagenumber=0").values("sync_run_id").annotate(n=Count("id"))
    details = calls.exclude(uri__contains="pagenumber=")
    twice = sum(1 for row in first_pages if row["n"] != 1) + (
        details.values("uri").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {
        "seconds": elapsed,
        "succeeded": succeeded,
        "lost": CONNECTIONS * per_company - employees,
        "twice": twice,
        "listed_runs": len(first_pages),
        "details": details.count(),
    }


def run_broker(args) -> None:
    django_setup("bench_workers")
    from django.conf import settings
    from django.db import connection

    broker = "redis" if settings.REDIS_URL else "orm"
    if broker == "redis":
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    per_company = args.employees
    total = CONNECTIONS * per_company
    port = free_port()
    server = start_server(port, args.gunicorn_workers)
    base = f"http://127.0.0.1:{port}/sandbox/paylocity"
    print(
        f"broker: {broker} ({connection.vendor} database); {CONNECTIONS} connections x {per_company} employees, "
        f"full syncs; sandbox on gunicorn ({args.gunicorn_workers} workers), load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    results: dict[int, list[dict]] = {}
    try:
        for attempt in range(args.repeat):
            for count in [int(c) for c in args.counts.split(",")]:
                tag = f"{broker}-{count}-{attempt}-{int(time.time())}"
                prefix = f"{broker[0].upper()}{int(time.time()) % 100000}K{count}R{attempt}C"
                out = one_level(base, count, per_company, tag, prefix, args.timeout)
                results.setdefault(count, []).append(out)
                print(
                    f"  {count} qcluster: {out['seconds']:6.1f}s  {total / out['seconds']:6.0f} employees/s  "
                    f"runs succeeded {out['succeeded']}/{CONNECTIONS}  employees lost {out['lost']}  "
                    f"executed twice {out['twice']}  (runs listed {out['listed_runs']}, detail GETs "
                    f"{out['details']:,} for {total:,} employees)  load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        stop_server(server)
    one = statistics.median(r["seconds"] for r in results[min(results)])
    print(f"{broker}: medians over {args.repeat} run(s)")
    for count, outs in sorted(results.items()):
        seconds = statistics.median(o["seconds"] for o in outs)
        ok = all(o["succeeded"] == CONNECTIONS and o["lost"] == 0 and o["twice"] == 0 for o in outs)
        print(
            f"  {count} qcluster: {total / seconds:6.0f} employees/s  {CONNECTIONS / seconds * 60:5.1f} runs/min  "
            f"speed-up {one / seconds:4.2f}x  {'every run once, none lost' if ok else 'NOT OK'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=200, help="employees per connection")
    parser.add_argument("--counts", default="1,2,4", help="qcluster processes per level")
    parser.add_argument("--brokers", default="orm,redis")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--gunicorn-workers", type=int, default=3, help="gunicorn workers serving the sandbox"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a level may take")
    parser.add_argument("--only", choices=["orm", "redis"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        run_broker(args)
        return
    for broker in args.brokers.split(","):
        env = {**os.environ}
        if broker == "redis":
            env["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
        else:
            env.pop("REDIS_URL", None)
        forwarded = [
            f"--employees={args.employees}",
            f"--counts={args.counts}",
            f"--repeat={args.repeat}",
            f"--gunicorn-workers={args.gunicorn_workers}",
            f"--timeout={args.timeout}",
        ]
        subprocess.run([sys.executable, __file__, *forwarded, f"--only={broker}"], env=env, check=True)


if __name__ == "__main__":
    main()

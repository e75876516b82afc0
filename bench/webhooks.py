"""Benchmark webhooks in: signed deliveries against gunicorn on loopback with concurrent clients.

1. For each ``--concurrency`` level (default 50 and 200 clients), ``--rounds`` rounds of ``--seconds``:
   signed Standard Webhooks deliveries (unique ids) to ``/webhooks/<uuid>/``, then the same clients against
   a bare insert endpoint (same server, same table, one INSERT, no check: ``bench/_webhook_wsgi.py``),
   alternating so that other load on the machine hits both alike. Prints accepted/s and ack latency
   p50/p99 of each side (medians over the rounds), the ratio webhooks / bare insert (median of the rounds'
   ratios), and events lost (accepted but no inbox row).
2. Hook-to-applied latency with one ``qcluster`` worker: hooks sent one at a time, each processed by a
   worker that GETs the employee from the sandbox and applies it: p50/p95 of (processed - received).
Targets: webhooks >= 0.7x the bare insert's throughput at 50 and 200 clients on PostgreSQL; events lost = 0.

    .venv/bin/python bench/webhooks.py [--seconds 6] [--rounds 3] [--concurrency 50,200] [--workers 4]
        [--applied 20]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_setup
from sync import free_port, hub_connection, seed_sandbox, stop_server

SECRET = "whsec_YmVuY2gtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlqa2w="


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "SANDBOX_ENABLED": "true"}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "_webhook_wsgi:application",
            "--chdir",
            str(ROOT / "bench"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def hammer(url: str, seconds: float, concurrency: int, make_request) -> tuple[int, int, list[float]]:
    """Run ``concurrency`` clients for ``seconds``; return (accepted, refused, latencies in ms)."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    accepted, refused, latencies = [0], [0], []

    def client():
        session = requests.Session()
        session.trust_env = False
        while time.monotonic() < stop:
            body, headers = make_request()
            t0 = time.perf_counter()
            try:
                response = session.post(url, data=body, headers=headers, timeout=30)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                if ok:
                    accepted[0] += 1
                else:
                    refused[0] += 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted[0], refused[0], latencies


def signed_hook(employee_id: str = "100001") -> tuple[bytes, dict]:
    from apps.core import signing

    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps(
        {"eventId": event_id, "eventType": "employee.updated", "companyId": "6700", "employeeId": employee_id}
    ).encode()
    return body, {"Content-Type": "application/json", **signing.standard_headers(SECRET, event_id, body)}


def measure(url: str, bare_url: str, conn, seconds: float, concurrency: int, rounds: int) -> dict:
    """Alternate webhook and bare-insert rounds (so a neighbour's load hits both alike); per-round figures."""
    from apps.integrations.models import WebhookEvent

    def bare():
        body, headers = signed_hook()
        return body, {**headers, "X-Connection": str(conn.pk)}

    hammer(url, 2.0, concurrency, signed_hook)  # warm-up: every server thread connected, caches filled
    hammer(bare_url, 2.0, concurrency, bare)
    out = {"hooks": [], "bare": [], "ratio": [], "lost": 0, "refused": 0}
    for _ in range(rounds):
        before = (
            WebhookEvent.objects.filter(connection=conn).exclude(delivery_key__startswith="bare:").count()
        )
        accepted, refused, lat = hammer(url, seconds, concurrency, signed_hook)
        stored = (
            WebhookEvent.objects.filter(connection=conn).exclude(delivery_key__startswith="bare:").count()
            - before
        )
        out["lost"] += accepted - stored
        out["refused"] += refused
        hooks = (accepted / seconds, percentile(lat, 50), percentile(lat, 99))
        b_accepted, b_refused, b_lat = hammer(bare_url, seconds, concurrency, bare)
        out["refused"] += b_refused
        bare_fig = (b_accepted / seconds, percentile(b_lat, 50), percentile(b_lat, 99))
        out["hooks"].append(hooks)
        out["bare"].append(bare_fig)
        out["ratio"].append(hooks[0] / max(bare_fig[0], 1e-9))
    return out


def med(rows: list[tuple], i: int) -> float:
    return statistics.median(r[i] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating webhook / bare rounds per level")
    parser.add_argument("--concurrency", default="50,200", help="client counts, comma-separated")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--applied", type=int, default=20, help="hooks for the hook-to-applied latency")
    args = parser.parse_args()

    django_setup("bench_webhooks")
    from django.db import connection

    from apps.integrations.models import WebhookEvent

    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    print(
        f"database: {connection.vendor}; gunicorn {args.workers} workers x 4 threads; {args.rounds} rounds of "
        f"{args.seconds:.0f}s per side and level, webhook and bare insert alternating (medians)"
    )
    seed_sandbox(200)
    port = free_port()
    server = start_server(port, args.workers)
    worker = None
    try:
        conn, _ = hub_connection(f"http://127.0.0.1:{port}/sandbox/paylocity", "6700")
        conn.webhook_auth = "hmac"
        conn.webhook_secret = SECRET
        conn.save(update_fields=["webhook_auth", "webhook_secret"])
        # no worker yet: the deliveries are only stored (and enqueued), which is what the ack measures
        url = f"http://127.0.0.1:{port}{conn.webhook_path}"
        bare_url = f"http://127.0.0.1:{port}/bench/bare/"
        verdicts = []
        for level in levels:
            out = measure(url, bare_url, conn, args.seconds, level, args.rounds)
            ratio = statistics.median(out["ratio"])
            verdicts.append(ratio >= 0.7 and out["lost"] == 0)
            print(
                f"{level} concurrent clients (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):"
            )
            print(
                f"  webhooks:    {med(out['hooks'], 0):7.0f} accepted/s  ack p50 {med(out['hooks'], 1):6.1f} ms  "
                f"p99 {med(out['hooks'], 2):7.1f} ms"
            )
            print(
                f"  bare insert: {med(out['bare'], 0):7.0f} accepted/s  ack p50 {med(out['bare'], 1):6.1f} ms  "
                f"p99 {med(out['bare'], 2):7.1f} ms"
            )
            print(
                f"  ratio webhooks / bare insert = {ratio:.2f}x (target >= 0.7x; rounds "
                f"{', '.join(f'{r:.2f}' for r in out['ratio'])})  events lost {out['lost']}  "
                f"refused {out['refused']}"
            )
        print(f"target met at every level: {'yes' if all(verdicts) else 'NO'}")

        # hook-to-applied latency with one worker
        from django_q.models import OrmQ

        OrmQ.objects.all().delete()  # the stored-only deliveries above are not part of this measurement
        WebhookEvent.objects.filter(connection=conn).update(state=WebhookEvent.State.IGNORED)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "Q_WORKERS": "1",
        }
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(3)
        session = requests.Session()
        session.trust_env = False
        keys = []
        for i in range(args.applied):
            body, headers = signed_hook(employee_id=str(100000 + i))
            session.post(url, data=body, headers=headers, timeout=10).raise_for_status()
            keys.append("id:" + headers["webhook-id"])
            time.sleep(0.3)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = WebhookEvent.objects.filter(
                delivery_key__in=keys, state=WebhookEvent.State.PROCESSED
            ).count()
            if done == len(keys):
                break
            time.sleep(0.5)
        rows = WebhookEvent.objects.filter(delivery_key__in=keys, state=WebhookEvent.State.PROCESSED)
        applied = [(e.processed_at - e.created_at).total_seconds() * 1000 for e in rows]
        print(
            f"hook-to-applied (1 worker): p50 {statistics.median(applied) if applied else float('nan'):6.0f} ms  "
            f"p95 {percentile(applied, 95):6.0f} ms  ({len(applied)}/{len(keys)} processed)"
        )
    finally:
        if worker is not None:
            try:
                os.killpg(worker.pid, signal.SIGINT)
                worker.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(worker.pid, signal.SIGKILL)
        stop_server(server)


if __name__ == "__main__":
    main()

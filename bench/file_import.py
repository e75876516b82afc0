"""Benchmark the employee file import at 100,000 rows: time, rows/s and peak memory, streamed from disk.

1. Writes a standard employee file of ``--rows`` rows (20 companies of one customer, realistic status mix)
   to a temporary file.
2. In a child process of its own (``_file_import_child.py``), applies it with ``employee_file_import`` from
   the open file, as ``import_employees`` and the upload task do; the child prints its wall time and its
   peak resident memory (``resource.getrusage``).
3. Baselines in the same run, each in a child of its own: the same child that only starts Django (the
   floor of any process), and one that reads and parses the whole file row by row without applying it.
Prints rows/s, the peak RSS of each, and the import's peak against the stated target (``--max-rss-mb``).
Medians over ``--repeat`` imports (each of a fresh customer).

    .venv/bin/python bench/file_import.py [--rows 100000] [--repeat 3] [--max-rss-mb 400]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_setup

COMPANIES = 20
STATUS_MIX = [("A", 0.8), ("T", 0.12), ("L", 0.06), ("R", 0.02)]


def write_file(path: Path, rows: int, tag: str, seed: int) -> None:
    from apps.employees.files import COLUMNS

    rnd = random.Random(seed)
    codes, weights = zip(*STATUS_MIX, strict=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        for i in range(rows):
            code = rnd.choices(codes, weights)[0]
            out.write(
                f"{tag}-{i % COMPANIES:02d},E{i:06d},First{i},Last{i},e{i}@example.com,{100000000 + i},"
                f"1980-01-01,RFT,FT,BW,{code},2025-{1 + i % 12:02d}-{1 + i % 28:02d},,2019-01-01,\n"
            )


def setup_customer(tag: str):
    from apps.companies.services import company_create, company_set_create, customer_create

    customer = customer_create(name=f"Files {tag}", slug=f"files-{tag}")
    company_set = company_set_create(customer=customer, name="Set", provider="paylocity")
    for c in range(COMPANIES):
        company_create(company_set=company_set, external_id=f"{tag}-{c:02d}", name=f"C{c}")
    return customer


def child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_file_import_child.py")), *args],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-rss-mb", type=int, default=400)
    args = parser.parse_args()
    django_setup("bench_file_import")
    from django.db import connection

    print(
        f"database: {connection.vendor}; {args.rows:,} rows over {COMPANIES} companies; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp())
    idle = child("--idle")
    imports, parses = [], []
    for attempt in range(args.repeat):
        tag = f"F{attempt}x{os.getpid()}"
        path = folder / f"{tag}.csv"
        write_file(path, args.rows, tag, seed=attempt)
        customer = setup_customer(tag)
        parses.append(child(str(path), "--parse-only"))
        out = child(str(path), "--customer", customer.slug)
        imports.append(out)
        print(
            f"import #{attempt + 1}: {out['seconds']:6.1f}s  {args.rows / out['seconds']:6,.0f} rows/s  "
            f"accepted {out['accepted']:,}  rejected {out['rejected']}  peak RSS {out['max_rss_mb']:.0f} MB  "
            f"(file {path.stat().st_size / 2**20:.1f} MB)",
            flush=True,
        )
        path.unlink()
    seconds = statistics.median(o["seconds"] for o in imports)
    peak = statistics.median(o["max_rss_mb"] for o in imports)
    parse_peak = statistics.median(o["max_rss_mb"] for o in parses)
    parse_s = statistics.median(o["seconds"] for o in parses)
    print(f"Django alone (baseline): peak RSS {idle['max_rss_mb']:.0f} MB")
    print(f"read + parse only (baseline): {parse_s:.1f}s, peak RSS {parse_peak:.0f} MB")
    print(
        f"import (median of {args.repeat}): {seconds:.1f}s  {args.rows / seconds:,.0f} rows/s  peak RSS {peak:.0f} MB "
        f"= {peak - idle['max_rss_mb']:.0f} MB above Django alone; target < {args.max_rss_mb} MB: "
        f"{'met' if peak < args.max_rss_mb else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()

"""Child of ``bench/sync.py --routine``: run one routine employee sync of a connection; print JSON figures.

A process of its own, so that its peak memory (``resource.getrusage``) is the sync's alone, not the seeding's.
Uses the database the parent set up (``DATABASE_URL``); prints one JSON line: run id, wall seconds of the
sync, queries, progress slices, details fetched, the page size used, and the peak resident set in MB.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, counted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("connection")
    parser.add_argument("--page-size", type=int, default=None)
    parser.add_argument("--profile", help="write cProfile stats of the sync to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()
    from apps.integrations.models import Connection, SyncRun
    from apps.integrations.providers.paylocity.client import Client
    from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request

    connection = Connection.objects.get(slug=args.connection)
    slices = []
    run = sync_run_request(connection=connection, full=False, trigger=SyncRun.Trigger.COMMAND)
    profiler = cProfile.Profile() if args.profile else None
    with counted() as counter:
        if profiler:
            profiler.enable()
        run = sync_run_execute(
            run_id=run.pk, context=SyncContext(page_size=args.page_size, on_progress=slices.append)
        )
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    if run.state != SyncRun.State.SUCCEEDED:
        raise SystemExit(f"sync {run.state}: {run.message}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {
                "run": run.pk,
                "seconds": counter.seconds,
                "queries": counter.count,
                "slices": len(slices),
                "details_fetched": run.details_fetched,
                "page_size": args.page_size or Client.default_page_size,
                "max_rss_mb": peak_kb / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()

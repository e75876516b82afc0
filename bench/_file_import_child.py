"""Child of ``bench/file_import.py``: import (or only parse) one file; print JSON with its peak memory.

A process of its own, so its peak resident memory (``resource.getrusage``) is the import's alone.
``--idle`` only starts Django (the baseline of any process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?")
    parser.add_argument("--customer")
    parser.add_argument("--parse-only", action="store_true")
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()
    from apps.companies.models import Customer
    from apps.employees import files
    from apps.employees.services import employee_file_import

    figures: dict = {}
    start = time.perf_counter()
    if args.parse_only:
        with open(args.path, "rb") as handle:
            streamed = files.stream(handle)
            figures["rows"] = sum(1 for _ in streamed)
    elif not args.idle:
        customer = Customer.objects.get(slug=args.customer)
        with open(args.path, "rb") as handle:
            result = employee_file_import(customer=customer, data=handle, filename=Path(args.path).name)
        figures.update(accepted=result.accepted, rejected=result.rejected)
    figures["seconds"] = time.perf_counter() - start
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

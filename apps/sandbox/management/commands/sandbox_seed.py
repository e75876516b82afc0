"""``manage.py sandbox_seed``: the sandbox's deterministic demo data (idempotent), plus benchmark bulk data."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox.services import sandbox_seed
from apps.sandbox.services.seed import CREDENTIALS


class Command(BaseCommand):
    help = "Create the sandbox's demo companies, employees, batches and credentials (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--employees",
            type=int,
            default=0,
            metavar="N",
            help="Also give --company N generated employees B00001... (benchmarks; up to 20,000 in seconds).",
        )
        parser.add_argument(
            "--company", default="6700", help="Sandbox company for --employees (default 6700)."
        )
        parser.add_argument(
            "--large-batch",
            type=int,
            default=0,
            metavar="N",
            help="Also a complete PrismHR batch 41999 with N vouchers over 5,000 employees (client 100100).",
        )
        parser.add_argument("--reset", action="store_true", help="Delete every sandbox row first.")

    def handle(self, *args, employees: int, company: str, large_batch: int, reset: bool, **options):
        if employees < 0 or large_batch < 0:
            raise CommandError("Counts must not be negative.")
        started = time.monotonic()
        try:
            report = sandbox_seed(
                bulk_employees=employees, bulk_company=company, large_batch_vouchers=large_batch, reset=reset
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Sandbox seeded in {elapsed:.1f}s: {report.companies} companies, {report.credentials} credentials, "
                f"{report.employees} employees, {report.bulk_employees} bulk employees, {report.batches} batches, "
                f"{report.vouchers} vouchers created."
            )
        )
        for note in report.notes:
            self.stdout.write(note)
        if report.credentials or options["verbosity"] > 1:
            for provider, label, ident, secret, peo_id, companies in CREDENTIALS:
                peo = f" peoId={peo_id}" if peo_id else ""
                self.stdout.write(f"  {provider} {label}: {ident} / {secret}{peo} -> {', '.join(companies)}")

"""``sync <connection> --kind employees [--company <external id>] [--full]``: one sync in the foreground."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.integrations.models import Connection, SyncRun
from apps.integrations.services import SyncContext, sync_kinds, sync_run_execute, sync_run_request


def _progress_bar(run: SyncRun, started: float, width: int = 30) -> str:
    done, total = run.progress_done, run.progress_total
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    if total:
        filled = min(width, int(width * done / total))
        bar = "#" * filled + "-" * (width - filled)
        return f"\r[{bar}] {done}/{total} employees ({rate:.0f}/s) "
    return f"\r{done} employees ({rate:.0f}/s) "


class Command(BaseCommand):
    help = "Run one sync of a connection in the foreground with a progress bar; exit 1 if it fails."

    def add_arguments(self, parser):
        parser.add_argument("connection", help="The connection's id or slug.")
        parser.add_argument(
            "--kind", default=SyncRun.Kind.EMPLOYEES, help="employees | payroll-ongoing | payroll-sync"
        )
        parser.add_argument("--company", default="", help="Only this provider company ID / client number.")
        parser.add_argument(
            "--full", action="store_true", help="Fetch every employee's details, not only changes."
        )
        parser.add_argument("--page-size", type=int, default=None, help="Employees per list page.")

    def handle(self, *args, connection, kind, company, full, page_size, **options):
        lookup = {"pk": int(connection)} if connection.isdigit() else {"slug": connection}
        conn = Connection.objects.filter(**lookup).first()
        if conn is None:
            raise CommandError(f"No connection {connection!r} (give its id or slug).")
        if kind not in sync_kinds():
            raise CommandError(f"Unknown kind {kind!r}; known: {', '.join(sorted(sync_kinds()))}.")
        target = None
        if company:
            target = conn.companies.filter(external_id=company).first()
            if target is None:
                raise CommandError(f"Company {company} is not one of {conn.name}'s companies.")
        try:
            run = sync_run_request(
                connection=conn, kind=kind, full=full, company=target, trigger=SyncRun.Trigger.COMMAND
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Sync run {run.pk}: {kind} of {conn.name}{' (full)' if full else ''}")
        started = time.monotonic()
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def show(progress: SyncRun) -> None:
            self.stdout.write(_progress_bar(progress, started), ending="")
            if not interactive:
                self.stdout.write("")
            self.stdout.flush()

        run = sync_run_execute(run_id=run.pk, context=SyncContext(on_progress=show, page_size=page_size))
        run.refresh_from_db()
        self.stdout.write("")
        self.stdout.write(
            f"Sync run {run.pk} {run.state}: fetched {run.fetched}, details {run.details_fetched}, "
            f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, failed {run.failed} "
            f"in {time.monotonic() - started:.1f}s"
        )
        if run.message and run.state != SyncRun.State.SUCCEEDED:
            self.stdout.write(run.message)
        if run.state == SyncRun.State.FAILED:
            sys.exit(1)

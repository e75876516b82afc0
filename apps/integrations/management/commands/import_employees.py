"""Apply a standard employee file (CSV) for the companies of one connection."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.employees.services import employee_file_import
from apps.integrations.models import Connection


def connection_lookup(value: str) -> Connection:
    query = Connection.objects.select_related("customer")
    found = query.filter(pk=int(value)).first() if value.isdigit() else query.filter(slug=value).first()
    if found is None:
        raise CommandError(f"No connection with id or slug {value!r}.")
    return found


class Command(BaseCommand):
    help = (
        "Apply an employee file in the standard format; print accepted and rejected rows with line numbers, "
        "the change batch, and the actions it wrote and held."
    )

    def add_arguments(self, parser):
        parser.add_argument("connection", help="connection id or slug")
        parser.add_argument("file", help="path to the CSV file")

    def handle(self, *args, connection: str, file: str, **options):
        conn = connection_lookup(connection)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        companies = list(conn.companies.select_related("company_set")) or None
        with path.open("rb") as handle:  # read row by row, not loaded whole
            result = employee_file_import(
                customer=conn.customer, data=handle, filename=path.name, companies=companies
            )
        if result.refused:
            raise CommandError(f"File refused: {result.refused}")
        self.stdout.write(
            f"{path.name}: {result.rows} rows, {result.accepted} accepted, {result.rejected} rejected"
        )
        batch = getattr(result, "batch", None)
        if batch is not None:
            batch.refresh_from_db()
            applied = result.apply_result
            held = batch.actions.filter(state="awaiting_approval").count()
            self.stdout.write(
                f"change batch {batch.pk} ({batch.get_state_display().lower()}): "
                f"{applied.actions} action(s) written, {held} held for approval, "
                f"{applied.withdrawn} withdrawn as moot"
            )
        for error in result.errors:
            self.stdout.write(
                f"  line {error['line']}: employee {error['employee_id'] or '?'}: {error['reason']}"
            )
        if result.rejected:
            self.stdout.write(self.style.WARNING("Rejected rows were not applied; the other rows were."))
        else:
            self.stdout.write(self.style.SUCCESS("All rows applied."))

"""``manage.py sandbox_file_drop <company> <folder>``: write a sandbox company's standard employee file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox.models import SandboxCompany
from apps.sandbox.services import company_file_drop


class Command(BaseCommand):
    help = "Write the standard employee CSV of a sandbox company (e.g. AFF100) into a folder (Affinity's file drop)."

    def add_arguments(self, parser):
        parser.add_argument("company", help="The sandbox company's external ID, e.g. AFF100.")
        parser.add_argument("folder", help="Where to write the file (created if missing).")

    def handle(self, *args, company: str, folder: str, **options):
        found = SandboxCompany.objects.filter(external_id=company).first()
        if found is None:
            raise CommandError(f"No sandbox company {company!r}.")
        path = company_file_drop(company=found, directory=folder)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({found.employees.count()} employees)."))

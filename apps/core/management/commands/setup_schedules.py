"""Install every django-q2 schedule (idempotent): schedules are defined in code, in apps/*/schedules.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.core.schedules import schedules_install


class Command(BaseCommand):
    help = "Create or update every django-q2 schedule the product needs (safe to run again)."

    def handle(self, *args, **options):
        for line in schedules_install():
            self.stdout.write(line)

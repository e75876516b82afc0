"""``run_schedule <name>`` / ``run_schedule --list``: one schedule's job now, in the foreground."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django_q.models import Schedule

from apps.core.errors import ApplicationError
from apps.core.schedules import all_schedules, schedule_find, schedule_run_now


class Command(BaseCommand):
    help = (
        "Run one schedule's job now, in the foreground, and print what it returned (after an outage, in "
        "tests). --list names every schedule with when it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The schedule's name, as --list prints it (quote it).")
        parser.add_argument("--list", action="store_true", help="List every schedule and when it runs.")

    def handle(self, *args, name, list, **options):
        if list:
            self._list()
            return
        if not name:
            raise CommandError("Give a schedule's name, or --list to see them.")
        try:
            spec = schedule_find(name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Running {spec.name} ({spec.func}) now...")
        started = time.monotonic()
        try:
            result = schedule_run_now(spec.name)
        except Exception as exc:
            raise CommandError(f"Schedule {spec.name!r} failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(f"{spec.name} returned {result!r} in {time.monotonic() - started:.1f}s")

    def _list(self) -> None:
        installed = dict(Schedule.objects.values_list("name", "next_run"))
        for spec in sorted(all_schedules(), key=lambda s: s.name):
            if spec.name not in installed:
                state = "not installed: run setup_schedules"
            elif installed[spec.name] is None:
                state = "installed"
            else:
                state = f"installed, next run {installed[spec.name]:%Y-%m-%d %H:%M %Z}"
            self.stdout.write(f"{spec.name}\n    {spec.when} ({state})")

"""Every django-q2 schedule of the product, defined in code and installed by `setup_schedules`.

Each entry says in words when it runs. Installing is idempotent: an existing schedule (matched by name)
is updated in place, so its next run is kept.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from django.utils.module_loading import import_string
from django_q.models import Schedule

from apps.core.errors import ApplicationError


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    when: str  # in words, for people
    schedule_type: str = Schedule.CRON
    cron: str | None = None
    minutes: int | None = None


SCHEDULES: list[ScheduleSpec] = []


def register(spec: ScheduleSpec) -> ScheduleSpec:
    if spec.name not in {s.name for s in SCHEDULES}:
        SCHEDULES.append(spec)
    return spec


def all_schedules() -> list[ScheduleSpec]:
    """Import every installed app's ``tasks`` module (each registers its schedules) and list them."""
    from django.apps import apps  # the app registry: read after loading

    for config in apps.get_app_configs():
        if config.name.startswith("apps.") and importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    return list(SCHEDULES)


def schedule_find(name: str) -> ScheduleSpec:
    """The registered schedule called ``name``; an unknown name is an error that lists the valid ones."""
    specs = all_schedules()
    for spec in specs:
        if spec.name == name:
            return spec
    known = sorted(s.name for s in specs)
    raise ApplicationError(
        f"Unknown schedule {name!r}. Known schedules: {', '.join(known)}.",
        extra={"name": name, "known": known},
    )


def schedule_run_now(name: str):
    """Run one schedule's job in this process, now, and return what the job returned.

    The same function the worker would call on the schedule's next tick, with no arguments: for operators
    after an outage (a missed nightly run) and for tests. Whatever the job raises propagates.
    """

    return import_string(schedule_find(name).func)()


def schedules_install() -> list[str]:
    """Create or update every defined schedule, and remove recurring ones of ours that are no longer defined.

    "Ours" means a job in an app's ``tasks`` module: a schedule renamed in code would otherwise keep running
    under its old name beside the new one. One-off schedules (the demo's first syncs) are left alone.
    """
    lines = []
    specs = all_schedules()
    stale = Schedule.objects.filter(func__regex=r"^apps\.\w+\.tasks\.", repeats__lt=0).exclude(
        name__in=[spec.name for spec in specs]
    )
    for name in stale.values_list("name", flat=True):
        lines.append(f"removed: {name} (no longer defined)")
    stale.delete()
    for spec in specs:
        defaults = {
            "func": spec.func,
            "schedule_type": spec.schedule_type,
            "cron": spec.cron,
            "minutes": spec.minutes,
            "repeats": -1,
        }
        _, created = Schedule.objects.update_or_create(name=spec.name, defaults=defaults)
        lines.append(f"{'created' if created else 'updated'}: {spec.name} ({spec.when})")
    if not lines:
        lines.append("no schedules defined")
    return lines

"""Every django-q2 schedule of the product, defined in code and installed by `setup_schedules`.

Each entry says in words when it runs. Installing is idempotent: an existing schedule (matched by name)
is updated in place, so its next run is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_q.models import Schedule


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
    import importlib
    import importlib.util

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("apps.") and importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    return list(SCHEDULES)


def schedules_install() -> list[str]:
    lines = []
    for spec in all_schedules():
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

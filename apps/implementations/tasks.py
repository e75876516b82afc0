"""django-q2 entry points for implementation projects: the periodic evidence check."""

from __future__ import annotations

import logging

from django_q.models import Schedule

from apps.core.schedules import ScheduleSpec, register

from . import services
from .models import ImplementationProject

logger = logging.getLogger(__name__)

register(
    ScheduleSpec(
        name="implementations.refresh_all_evidence",
        func="apps.implementations.tasks.refresh_all_evidence",
        when="every 30 minutes: check the evidence of every active project and tick the lines it proves",
        schedule_type=Schedule.MINUTES,
        minutes=30,
    )
)


def refresh_evidence(project_id: int) -> int:
    """Check one project's evidence; return how many deliverables the system completed (0 if it is gone)."""
    project = ImplementationProject.objects.filter(pk=project_id).first()
    if project is None:
        return 0
    return len(services.deliverables_refresh_evidence(project=project))


def refresh_all_evidence() -> int:
    """Check every active project, one transaction each, so one failing project does not stop the others."""
    completed = 0
    ids = ImplementationProject.objects.filter(state=ImplementationProject.State.ACTIVE).values_list(
        "pk", flat=True
    )
    for project_id in list(ids):
        try:
            completed += refresh_evidence(project_id)
        except Exception:
            logger.exception("Evidence check failed for implementation project %s", project_id)
    return completed

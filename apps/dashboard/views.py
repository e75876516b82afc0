"""The pages: the admin home dashboard, the employee timeline, the sync run page and its progress JSON.

Interfaces only: each view checks access, calls the selectors and renders. They live inside the admin's
frame (``admin.site.each_context``: header, sidebar, dark mode) so they look like the rest of the workbench.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from apps.employees import selectors as employees_selectors
from apps.employees.models import Employee
from apps.integrations import selectors as integrations_selectors
from apps.integrations.models import SyncRun

from . import charts, selectors, timeline
from .sections import dashboard_sections

# How much history the timeline shows (days; None = all of it), and the words of each choice.
TIMELINE_RANGES: dict[str, int | None] = {"6m": 183, "1y": 365, "2y": 730, "all": None}
TIMELINE_RANGE_LABELS = {"6m": "6 months", "1y": "1 year", "2y": "2 years", "all": "Whole history"}


def admin_index(request: HttpRequest) -> HttpResponse:
    """The admin home: the dashboard sections the user's roles may see, then the app list."""
    view = admin.site.admin_view(_admin_index)
    return view(request)


def _admin_index(request: HttpRequest) -> HttpResponse:
    sections = dashboard_sections(request.user, now=timezone.now())
    return admin.site.index(request, extra_context={"dashboard": sections, "title": "Dashboard"})


def _staff_page(permission: str) -> Callable:
    """Decorate a page: staff login through the admin (redirect to its login), then ``permission``."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return admin.site.admin_view(inner)

    return decorator


@_staff_page("employees.view_employee")
def employee_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """One person across their records and companies on a time axis, with events and actions."""
    try:
        employee = employees_selectors.visible_employee(request.user, pk)
    except Employee.DoesNotExist as exc:
        raise Http404("No such employee.") from exc
    data = selectors.person_timeline(employee)
    today = timezone.localdate()
    name = (
        str(data.person)
        if data.person
        else f"{employee.first_name} {employee.last_name}".strip() or str(employee)
    )
    lanes = data.lanes
    window = _timeline_window(request.GET.get("range", ""), lanes, today)
    svg = timeline.render_timeline(
        lanes,
        [
            timeline.ActionPoint(
                pk=a.pk,
                action=a.action,
                state=a.state,
                effective_date=a.effective_date,
                label=f"{a.employee.company.external_id}/{a.employee.employee_id}" if a.employee_id else "",
            )
            for a in data.actions
        ],
        today=today,
        not_before=today - dt.timedelta(days=TIMELINE_RANGES[window]) if TIMELINE_RANGES[window] else None,
        id_prefix="timeline",
        title=f"Status timeline of {name}",
        desc=(
            f"{len(lanes)} employee record(s) on one time axis; {sum(len(lane.events) for lane in lanes)} "
            f"status event(s) and {len(data.actions)} downstream action(s). The tables below list the same facts."
        ),
    )
    records = [
        {
            "lane": lane,
            "periods": lane.periods,
            "events": [
                {
                    "event": event,
                    "marks": [
                        {"text": mark, "css": timeline.MARK_CSS[mark]}
                        for mark in timeline.event_marks(point, today)
                    ],
                }
                for event, point in zip(data.events_by_lane[lane.pk], lane.events, strict=True)
            ],
        }
        for lane in lanes
    ]
    context = {
        **admin.site.each_context(request),
        "title": f"Timeline: {name}",
        "subtitle": None,
        "employee": employee,
        "person": data.person,
        "records": records,
        "actions": data.actions,
        "svg": svg,
        "today": today,
        "legend": charts.legend(
            [(f"hub-period-{kind}", fill, words) for kind, (fill, words) in timeline.KIND_STYLE.items()]
        ),
        "kinds": timeline.KIND_STYLE,
        "window": window,
        "windows": [(key, label) for key, label in TIMELINE_RANGE_LABELS.items()],
    }
    return TemplateResponse(request, "dashboard/employee_timeline.html", context)


@_staff_page("integrations.view_syncrun")
def sync_run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A sync run's counts, percentage and errors; refreshed by a small script while it runs."""
    run = _run_or_404(request, pk)
    context = {
        **admin.site.each_context(request),
        "title": f"Sync run #{run.pk}: {run.connection.name}",
        "run": run,
        "progress": selectors.sync_run_progress(run),
        "progress_url": reverse("hub-sync-run-progress", args=[run.pk]),
        "poll_seconds": 2,
    }
    return TemplateResponse(request, "dashboard/sync_run.html", context)


@never_cache
def sync_run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The sync run page's data as JSON (401 / 403 as JSON rather than a login page: a script reads it)."""
    if not request.user.is_authenticated or not request.user.is_staff:
        return JsonResponse({"message": "Log in to the admin first."}, status=401)
    if not request.user.has_perm("integrations.view_syncrun"):
        return JsonResponse({"message": "You may not see sync runs."}, status=403)
    try:
        run = integrations_selectors.visible_sync_run(request.user, pk)
    except SyncRun.DoesNotExist:
        return JsonResponse({"message": "No such sync run."}, status=404)
    return JsonResponse(selectors.sync_run_progress(run))


def _run_or_404(request: HttpRequest, pk: int) -> SyncRun:
    try:
        return integrations_selectors.visible_sync_run(request.user, pk)
    except SyncRun.DoesNotExist as exc:
        raise Http404("No such sync run.") from exc


def _timeline_window(asked: str, lanes: list[timeline.Lane], today: dt.date) -> str:
    """The history window: the one asked for, else the last year when the history is longer than 18 months.

    Why: a record hired years ago would squeeze this month's changes into a sliver of the axis.
    """
    if asked in TIMELINE_RANGES:
        return asked
    first = min((e.effective_date for lane in lanes for e in lane.events), default=today)
    return "1y" if (today - first).days > 548 else "all"

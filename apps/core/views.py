"""Health endpoint (database reachable, a worker heartbeat within WORKER_HEARTBEAT_MAX_AGE seconds) and the
site icon browsers ask for at ``/favicon.ico``."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from . import health

FAVICON = "hub/favicon.ico"  # 16x16, static/hub/favicon.ico


@never_cache
@require_GET
def healthz(request):
    report = health.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@cache_control(max_age=86400, public=True)
@require_GET
def favicon(request):
    """Serve the hub's icon where browsers look for it, whatever the static files setup."""
    with open(finders.find(FAVICON), "rb") as icon:
        return HttpResponse(icon.read(), content_type="image/x-icon")

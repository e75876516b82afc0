"""Health endpoint: database reachable and a worker heartbeat within WORKER_HEARTBEAT_MAX_AGE seconds."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


@never_cache
@require_GET
def healthz(request):
    report = health.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)

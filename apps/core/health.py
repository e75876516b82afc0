"""What /healthz reports: the database and the django-q2 worker.

The worker's heartbeat is django-q2's own cluster status (``Stat``), which every running cluster saves
every half second with a short expiry into the ``Q_CLUSTER["cache"]`` cache (the database cache, or Redis
when REDIS_URL is set), so the web process sees workers on every machine that shares that cache.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def worker_status() -> dict:
    from django_q.brokers import get_broker  # django_q reads settings at import: after apps load
    from django_q.status import Stat

    try:
        stats = Stat.get_all(broker=get_broker()) or []
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__, "clusters": []}
    now = timezone.now()
    max_age = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    clusters = []
    for stat in stats:
        stamp = stat.timestamp
        if timezone.is_naive(stamp):
            stamp = timezone.make_aware(stamp, dt.UTC)
        clusters.append(
            {
                "cluster": str(stat.cluster_id),
                "host": stat.host,
                "status": stat.status,
                "workers": len(stat.workers),
                "last_heartbeat": stamp.isoformat(),
                "fresh": now - stamp <= max_age,
            }
        )
    alive = any(c["fresh"] and c["status"] in ("Idle", "Working", "Starting") for c in clusters)
    last = max((c["last_heartbeat"] for c in clusters), default=None)
    return {"status": "ok" if alive else "down", "last_heartbeat": last, "clusters": clusters}


def report() -> dict:
    database = database_status()
    worker = worker_status() if database["status"] == "ok" or settings.REDIS_URL else {"status": "unknown"}
    overall = "ok" if database["status"] == "ok" and worker["status"] == "ok" else "down"
    return {"status": overall, "database": database, "worker": worker, "time": timezone.now().isoformat()}

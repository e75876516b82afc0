"""WSGI app for bench/webhooks.py: the hub, plus ``POST /bench/bare/`` that only inserts one inbox row.

The bare endpoint is the baseline: the same table and the same server, without the signature check, the
parse or the duplicate handling, so the ratio shows what verifying and storing properly costs.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from django.core.wsgi import get_wsgi_application

django_app = get_wsgi_application()


def application(environ, start_response):
    if environ.get("PATH_INFO") != "/bench/bare/":
        return django_app(environ, start_response)
    from django.db import close_old_connections

    from apps.integrations.models import WebhookEvent

    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    close_old_connections()
    WebhookEvent.objects.create(
        connection_id=int(environ.get("HTTP_X_CONNECTION", "0")),
        delivery_key=f"bare:{uuid.uuid4().hex}",
        state=WebhookEvent.State.IGNORED,
    )
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"received": 1}']

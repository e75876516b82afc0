"""Public (unauthenticated) URLs of the integrations app: incoming webhooks."""

from __future__ import annotations

from django.urls import path

from .views import webhook_receive

app_name = "integrations"

urlpatterns = [
    path("<uuid:uuid>/", webhook_receive, name="webhook-receive"),
]

"""Pages of the payroll app (the API is registered in ``config/api_urls.py``)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "payroll"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
]

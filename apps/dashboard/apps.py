from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Pages people look at: the admin home dashboard, the employee timeline and the sync run page."""

    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = "Dashboards and pages"

"""Pages under ``/hub/``: the employee timeline and the sync run page (the dashboard itself is ``/admin/``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("employees/<int:pk>/timeline/", views.employee_timeline, name="hub-employee-timeline"),
    path("sync-runs/<int:pk>/", views.sync_run_page, name="hub-sync-run"),
    path("sync-runs/<int:pk>/progress/", views.sync_run_progress, name="hub-sync-run-progress"),
]

"""Pages of the implementations app (the admin and the API are routed elsewhere)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/roles/", views.project_roles, name="implementation-roles"),
]

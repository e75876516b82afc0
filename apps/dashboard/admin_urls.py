"""The admin home (``/admin/`` exactly): the dashboard. Included before ``admin.site.urls`` so it wins."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [path("", views.admin_index, name="hub-dashboard")]

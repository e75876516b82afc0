"""Admin pages of the audit app (included under /admin/ before the admin's own URLs)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("customers/<int:customer_id>/activity/", views.customer_activity, name="audit-customer-activity"),
]

"""The /api/v1/ router: every app registers its viewsets here."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from apps.companies.api import CompanySetViewSet, CompanyViewSet, CustomerViewSet
from apps.integrations.api import ConnectionViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("company-sets", CompanySetViewSet, basename="company-set")
router.register("companies", CompanyViewSet, basename="company")
router.register("connections", ConnectionViewSet, basename="connection")

urlpatterns = router.urls

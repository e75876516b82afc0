from __future__ import annotations

from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "apps.companies"
    label = "companies"
    verbose_name = "Customers and companies"

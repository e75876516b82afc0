from __future__ import annotations

from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "apps.mappings"
    label = "mappings"
    verbose_name = "Status codes, mappings and filters"

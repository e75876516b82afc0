from __future__ import annotations

from django.apps import AppConfig


class ImplementationsConfig(AppConfig):
    name = "apps.implementations"
    label = "implementations"
    verbose_name = "Implementation projects"

from __future__ import annotations

from django.apps import AppConfig

from apps.core import problems


class SupportConfig(AppConfig):
    name = "apps.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        # App loading: services imports models, which only exist once the app registry is ready.
        from . import services

        problems.subscribe(on_problem=services.problem_ticket, on_fixed=services.fixed_ticket)

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`: the sandbox's customers, employees, tickets and a project (top layer)."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"

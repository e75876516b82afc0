from __future__ import annotations

from django.apps import AppConfig

from apps.core.panels import panel_provide


class AuditConfig(AppConfig):
    """Who changed what: per-model history (django-simple-history), the audit-event feed, metrics, logs."""

    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail and operations"

    def ready(self) -> None:
        from . import context, signals  # signal receivers connect once the app registry is ready
        from .asof import configuration_in_force  # models: importable only once the registry is ready

        panel_provide("configuration-in-force", configuration_in_force)
        context.install_process_default()
        signals.connect()

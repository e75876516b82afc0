from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who changed what: per-model history (django-simple-history), the audit-event feed, metrics, logs."""

    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail and operations"

    def ready(self) -> None:
        from . import context, signals  # signal receivers connect once the app registry is ready

        context.install_process_default()
        signals.connect()

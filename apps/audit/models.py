"""The audit trail: per-model history tables (django-simple-history) and one feed of audit events.

Every covered model is registered here, with ``app="audit"``, so the historical tables and their migrations
live in this app and no other app's models change. Each historical row also records the channel and actor
(``AuditHistoryBase``). Next to it, one ``AuditEvent`` row per change holds the diff (field: [old, new]) and
the customer, so the Activity page and ``/api/v1/audit-events/`` read one indexed table instead of a dozen.

Secrets (every ``EncryptedTextField``) are excluded from the history tables: neither the value nor the
ciphertext is copied; a change records only ``"changed"`` in the event's diff.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import registry


class Channel(models.TextChoices):
    ADMIN = "admin", "Admin / web pages"
    API = "api", "REST API"
    COMMAND = "command", "Management command"
    WORKER = "worker", "Worker (schedules and tasks)"


class AuditHistoryBase(models.Model):
    """Extra columns of every historical table: how and by whom the change was made."""

    history_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    history_actor = models.CharField(max_length=150, blank=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One change of one covered object: who, when, through which channel, and which fields (old -> new)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    time = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, help_text="The user's username, or 'system: <job>'.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # No database constraint: a deleted customer's trail stays readable (and is pruned by retention).
    customer = models.ForeignKey(
        "companies.Customer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(max_length=100, help_text="app_label.model, e.g. mappings.statusmapping")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    history_id = models.BigIntegerField(null=True, blank=True, help_text="The row in the model's history.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["customer", "-time"]),
            models.Index(fields=["object_type", "object_id", "-time"]),
            models.Index(fields=["actor", "-time"]),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_id}"


registry.register_all(AuditHistoryBase)

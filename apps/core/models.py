"""Small shared model pieces."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base: every model records when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Counter(models.Model):
    """A monotonic event count shared by every process (web and worker), for the metrics endpoint.

    Only for what leaves no row of its own: a refused webhook (nothing is stored but a log line) or a
    duplicate delivery. Labels are few and bounded (provider, status), never free text.
    """

    name = models.CharField(max_length=100)
    labels = models.CharField(
        max_length=200, blank=True, help_text="Sorted key=value pairs, comma-separated."
    )
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "labels"]
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="core_counter_unique")]

    def __str__(self) -> str:
        return f"{self.name}{{{self.labels}}} {self.value}"

    def label_dict(self) -> dict[str, str]:
        return dict(pair.split("=", 1) for pair in self.labels.split(",") if pair)

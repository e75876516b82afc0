"""Increment a shared counter (``apps.core.models.Counter``) from any layer; read by the metrics endpoint."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from apps.core.models import Counter


def counter_incr(name: str, by: int = 1, **labels: str) -> None:
    """Add ``by`` to the counter ``name`` with these labels (atomic in the database; created on first use)."""

    key = ",".join(f"{k}={labels[k]}" for k in sorted(labels))
    if Counter.objects.filter(name=name, labels=key).update(value=F("value") + by):
        return
    try:
        with transaction.atomic():
            Counter.objects.create(name=name, labels=key, value=by)
    except IntegrityError:  # another process created it first
        Counter.objects.filter(name=name, labels=key).update(value=F("value") + by)

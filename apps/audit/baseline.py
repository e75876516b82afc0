"""A starting point for the trail: one "+" history row per covered object that has none yet.

Run by the data migration that installs the trail (and usable again, idempotent), so that "as of" readings
of any moment after installation see configuration that existed before and has not changed since.
"""

from __future__ import annotations

from django.utils import timezone

# (app label, model name) of every covered model; kept in step with registry.covered() by a test.
COVERED = (
    ("companies", "Customer"),
    ("companies", "CompanySet"),
    ("companies", "Company"),
    ("integrations", "Connection"),
    ("mappings", "StatusCode"),
    ("mappings", "StatusMapping"),
    ("mappings", "FilterRule"),
    ("employees", "DownstreamTarget"),
    ("employees", "ChangeBatch"),
    ("users", "User"),
    ("implementations", "ChecklistTemplate"),
    ("implementations", "ChecklistTemplateItem"),
    ("implementations", "Deliverable"),
    ("support", "Ticket"),
)
ACTOR = "system: audit baseline"


def history_baseline(apps, schema_editor=None, *, now=None) -> int:
    """Write the baseline rows (history_date = now); objects that already have history are skipped."""

    now = now or timezone.now()
    written = 0
    for app_label, model_name in COVERED:
        model = apps.get_model(app_label, model_name)
        history = apps.get_model("audit", f"Historical{model_name}")
        present = {f.attname for f in model._meta.concrete_fields}
        copied = [
            f.attname
            for f in history._meta.concrete_fields
            if not f.name.startswith("history_") and f.attname in present
        ]
        pk_name = model._meta.pk.attname
        seen = set(history.objects.values_list(pk_name, flat=True).distinct())
        rows = [
            history(
                **{name: getattr(obj, name) for name in copied},
                history_date=now,
                history_type="+",
                history_channel="command",
                history_actor=ACTOR,
            )
            for obj in model._base_manager.exclude(pk__in=seen).only(*copied).iterator()
        ]
        history.objects.bulk_create(rows, batch_size=500)
        written += len(rows)
    return written

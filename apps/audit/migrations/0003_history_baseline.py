"""Record the configuration as it is when the trail is installed (one "+" history row per covered object)."""

from django.db import migrations

from apps.audit.baseline import history_baseline


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_role_permissions"),
        ("companies", "0001_initial"),
        ("employees", "0003_lifecycle_v2_ledger"),
        ("implementations", "0003_checklist_templates"),
        ("integrations", "0005_sync_run_connection_state"),
        ("mappings", "0002_standard_codes"),
        ("support", "0003_knowledge_articles"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(history_baseline, migrations.RunPython.noop)]

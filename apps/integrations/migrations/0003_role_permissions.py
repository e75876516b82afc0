"""Grant the role groups their permissions on the sync run, inbox, API call and fair-use models."""

from django.db import migrations

from apps.users.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_sync_runs_inbox_api_calls"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]

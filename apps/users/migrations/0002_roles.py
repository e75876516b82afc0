"""Create the three role groups with their explicit permissions (see apps/users/roles.py)."""

from django.db import migrations

from apps.users.roles import sync_role_permissions, unsync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        ("companies", "0001_initial"),
        ("integrations", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, unsync_role_permissions)]

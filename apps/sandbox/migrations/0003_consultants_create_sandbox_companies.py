"""Let consultants create sandbox companies (self-service onboarding; see apps/users/roles.py)."""

from django.db import migrations

from apps.users.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0002_role_permissions"),
        ("users", "0002_roles"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]

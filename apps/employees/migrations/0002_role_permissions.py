"""Grant the role groups their permissions on the employees and mappings models."""

from django.db import migrations

from apps.users.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("employees", "0001_initial"),
        ("mappings", "0002_standard_codes"),
        ("users", "0002_roles"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]

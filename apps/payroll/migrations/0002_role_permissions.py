"""Grant the role groups their permissions on the payroll models."""

from django.db import migrations

from apps.users.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("payroll", "0001_initial"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]

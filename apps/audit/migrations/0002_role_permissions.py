"""Let every role read the audit events, and Admins see (and clear) sign-in lockouts (apps/users/roles.py)."""

from django.db import migrations

from apps.users.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]

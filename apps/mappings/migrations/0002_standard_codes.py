"""Seed the six standard status codes of seed 002 (A, T, D, R, L, XT) with their fixed types."""

from django.db import migrations

STANDARD = [
    ("A", "Active", "active"),
    ("T", "Terminated", "terminated"),
    ("D", "Deceased", "terminated"),
    ("R", "Retired", "terminated"),
    ("L", "Leave of Absence", "leave"),
    ("XT", "Transferred (moved between company IDs in a company set)", "terminated"),
]


def forwards(apps, schema_editor):
    status_code = apps.get_model("mappings", "StatusCode")
    for code, description, status_type in STANDARD:
        status_code.objects.update_or_create(
            code=code, standard=True, defaults={"description": description, "standard_type": status_type}
        )


def backwards(apps, schema_editor):
    apps.get_model("mappings", "StatusCode").objects.filter(standard=True).delete()


class Migration(migrations.Migration):
    dependencies = [("mappings", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

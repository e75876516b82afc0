"""Connections that already received raw-body signatures (GitHub's X-Hub-Signature-256 header) keep doing so."""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    Connection.objects.filter(webhook_signature_header__iexact="x-hub-signature-256").update(
        webhook_signature_scheme="raw"
    )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0006_webhook_signature_scheme")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Create the database cache table of the ``shared`` cache (tokens, worker heartbeat) with the schema.

Without it the first sync fails with "no such table: hub_shared_cache" unless someone ran createcachetable.
Idempotent: ``createcachetable`` skips tables that exist; with Redis (``REDIS_URL``) there is nothing to do.
"""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]

"""Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run this command,
then drop the old keys. Reading decrypts with any configured key; saving always encrypts with the first.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every encrypted secret under the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                for obj in model._base_manager.select_for_update().only("pk", *names).iterator():
                    # Reading decrypted with whichever key fits; saving encrypts with the first key.
                    obj.save(update_fields=names)
                    total += 1
            self.stdout.write(f"{model._meta.label}: {', '.join(names)}")
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted the secrets of {total} rows under the first key.")
        )

"""EncryptedTextField: a text column that holds Fernet ciphertext, and plain text in Python."""

from __future__ import annotations

from django.db import models

from . import crypto

PREFIX = "fernet:"


def plain_text(stored: str) -> str:
    """The plain text of a column value as stored (``fernet:<token>``, legacy plain text, or empty)."""
    if not stored:
        return stored
    if stored.startswith(PREFIX):
        return crypto.decrypt(stored[len(PREFIX) :])
    return stored


class EncryptedTextField(models.TextField):
    """Store a secret encrypted at rest; reads give back the plain text.

    The column holds ``fernet:<token>``; the prefix lets a data migration tell ciphertext from legacy plain
    text. An empty string is stored as an empty string (meaning "not set").
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return plain_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return PREFIX + crypto.encrypt(value)

"""Secrets at rest: MultiFernet over the keys in FIELD_ENCRYPTION_KEYS (newest first).

Encryption always uses the first key; decryption tries every key, so a new key can be put in front and
`rotate_encryption_keys` re-encrypts the stored values before the old key is removed.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def validate_keys(keys: list[str]) -> list[str]:
    """Return a list of problems with the configured keys (empty when all are valid Fernet keys)."""
    problems = []
    if not keys or not any(k.strip() for k in keys):
        return ["FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key."]
    for index, key in enumerate(keys):
        try:
            raw = base64.urlsafe_b64decode(key.strip().encode())
        except (binascii.Error, ValueError):
            problems.append(f"FIELD_ENCRYPTION_KEYS key #{index + 1} is not url-safe base64.")
            continue
        if len(raw) != 32:
            problems.append(
                f"FIELD_ENCRYPTION_KEYS key #{index + 1} must decode to 32 bytes, not {len(raw)}."
            )
    return problems


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    problems = validate_keys(list(keys))
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return MultiFernet([Fernet(k.strip().encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    return fernet().rotate(token.encode()).decode()

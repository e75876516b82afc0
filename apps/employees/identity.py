"""The identity key that links one human's records without storing the national ID."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def normalize_national_id(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


def identity_key(national_id: str) -> str:
    """HMAC-SHA256 of the normalised national ID under IDENTITY_HASH_KEY ("" when there is none)."""
    normalized = normalize_national_id(national_id)
    if not normalized:
        return ""
    return hmac.new(settings.IDENTITY_HASH_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def last4(national_id: str) -> str:
    return normalize_national_id(national_id)[-4:]

"""Webhook signatures: Standard Webhooks (``v1,<sig>``) and raw-body HMAC (``sha256=<hex>``, GitHub style).

Both schemes are HMAC-SHA256. The sandbox signs its webhooks with these functions and the inbox verifies
with them, so the two sides cannot drift apart. No Django imports: usable from benchmarks and scripts.

Keys: a secret ``whsec_<base64>`` means the key is the base64-decoded part after ``whsec_`` (the Standard
Webhooks format); any other secret is used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

STANDARD_PREFIX = "v1,"
RAW_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 5 * 60
ENCODINGS = ("base64", "hex")


class SignatureError(Exception):
    """A webhook failed its signature check; ``reason`` is short and safe to log (no secret, no body)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def signing_key(secret: str) -> bytes:
    """Return the HMAC key of a secret: ``whsec_`` secrets are base64, anything else is UTF-8 text."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            # Not valid base64 after the prefix: treat the whole string as text rather than fail closed on
            # our own configuration (the sender uses this same function, so both sides agree).
            return secret.encode()
    return secret.encode()


def _encode(digest: bytes, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    if encoding == "hex":
        return digest.hex()
    raise ValueError(f"Unknown signature encoding {encoding!r}; use one of {ENCODINGS}.")


def _standard_digest(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(signing_key(secret), signed, hashlib.sha256).digest()


def sign_standard(
    secret: str, msg_id: str, timestamp: int | str, body: bytes, encoding: str = "base64"
) -> str:
    """Sign per Standard Webhooks: ``v1,<HMAC(key, "{id}.{timestamp}.{body}")>`` in the given encoding."""
    return STANDARD_PREFIX + _encode(_standard_digest(secret, msg_id, timestamp, body), encoding)


def sign_raw(secret: str, body: bytes) -> str:
    """Sign the raw body GitHub-style: ``sha256=<hex HMAC(key, body)>``."""
    return RAW_PREFIX + hmac.new(signing_key(secret), body, hashlib.sha256).hexdigest()


def standard_headers(
    secret: str,
    msg_id: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    signature_header: str = "webhook-signature",
    encoding: str = "base64",
) -> dict[str, str]:
    """Return the three headers of a Standard Webhooks delivery (for senders: sandbox, benchmarks, tests)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        signature_header: sign_standard(secret, msg_id, ts, body, encoding),
    }


def verify_standard(
    secret: str,
    *,
    msg_id: str | None,
    timestamp: str | int | None,
    signature: str | None,
    body: bytes,
    encoding: str = "base64",
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks signature; raise SignatureError unless one listed ``v1`` signature matches.

    Steps: 1. all three headers present; 2. the timestamp is an integer within ``tolerance`` seconds of now,
    either way (a replayed old delivery and a clock far ahead both fail); 3. the header is a space-separated
    list of ``<version>,<sig>``; any ``v1`` entry equal (constant-time) to the expected one passes.
    """
    if not secret:
        raise SignatureError("no webhook secret configured")
    if not msg_id or timestamp in (None, "") or not signature:
        raise SignatureError("missing webhook-id, webhook-timestamp or signature header")
    try:
        ts = int(str(timestamp).strip())
    except ValueError as exc:
        raise SignatureError("malformed timestamp") from exc
    current = time.time() if now is None else now
    if ts < current - tolerance:
        raise SignatureError("timestamp too old")
    if ts > current + tolerance:
        raise SignatureError("timestamp too far in the future")
    expected = _encode(_standard_digest(secret, msg_id, ts, body), encoding)
    for entry in signature.split():
        version, _, value = entry.partition(",")
        if version == "v1" and value and hmac.compare_digest(value.encode(), expected.encode()):
            return
    raise SignatureError("no matching signature")


def verify_raw(secret: str, *, signature: str | None, body: bytes) -> None:
    """Check a ``sha256=<hex>`` raw-body signature; raise SignatureError if it is missing or wrong."""
    if not secret:
        raise SignatureError("no webhook secret configured")
    if not signature:
        raise SignatureError("missing signature header")
    if not signature.startswith(RAW_PREFIX):
        raise SignatureError("signature is not sha256=<hex>")
    expected = sign_raw(secret, body)
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
        raise SignatureError("no matching signature")


SCHEMES = ("standard", "raw")


def verify(
    secret: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    signature_header: str = "webhook-signature",
    encoding: str = "base64",
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
    scheme: str = "standard",
) -> str:
    """Verify a delivery by the scheme the receiver is configured for; return the scheme's name.

    ``scheme="raw"``: a raw-body HMAC (``sha256=<hex>``, GitHub style) in ``signature_header``; it signs no
    timestamp, so nothing but the body is trusted. ``scheme="standard"``: Standard Webhooks with
    ``webhook-id`` and ``webhook-timestamp`` signed with the body and the timestamp within ``tolerance``; a
    raw signature is refused there (it would let a captured body be replayed with any timestamp).
    Header names are matched case-insensitively.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown signature scheme {scheme!r}; use one of {SCHEMES}.")
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(signature_header.lower())
    if scheme == "raw":
        verify_raw(secret, signature=(signature or "").strip(), body=body)
        return "raw"
    if signature and signature.strip().startswith(RAW_PREFIX):
        raise SignatureError("raw-body signature on a connection set up for Standard Webhooks")
    verify_standard(
        secret,
        msg_id=lowered.get("webhook-id"),
        timestamp=lowered.get("webhook-timestamp"),
        signature=signature,
        body=body,
        encoding=encoding,
        tolerance=tolerance,
        now=now,
    )
    return "standard"

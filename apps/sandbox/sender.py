"""Send one sandbox webhook over HTTP: the sandbox playing the provider's webhook dispatcher.

``apps/core/http.py`` is the door for the hub's own calls to providers: bound to a Connection through
``apps.integrations.transport``, it rate-limits it and logs every attempt as that connection's ``ApiCall``. A sandbox hook is the provider
calling the hub, so it must not count as the hub's API usage; this small sender is the sandbox's own door,
and the only place in the sandbox that imports ``requests``. Signatures come from
``apps.core.signing`` so the sender and the hub's verifier cannot drift apart.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import requests

from apps.core import signing

TIMEOUT = (3.0, 10.0)  # (connect, read) seconds
USER_AGENT = "hub-sandbox-webhooks/1.0"


@dataclass(frozen=True)
class HookTarget:
    """Where a hook goes and how it proves where it comes from."""

    url: str
    auth: str = "none"  # none | basic | hmac
    username: str = ""
    password: str = ""
    secret: str = ""
    signature_header: str = "webhook-signature"
    scheme: str = "standard"  # standard | raw
    encoding: str = "base64"
    source: str = ""  # where the target came from, for the delivery record


@dataclass
class SendResult:
    status_code: int | None = None
    body: str = ""
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=False).encode()


def message_id(payload: dict) -> str:
    """The Standard Webhooks ``webhook-id``: the event's own ID when it has one."""
    for key in ("eventId", "id"):
        if payload.get(key):
            return str(payload[key])
    events = payload.get("events") or []
    if events and events[0].get("eventId"):
        return str(events[0]["eventId"])
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(
    target: HookTarget, body: bytes, msg_id: str, *, timestamp: int | None = None
) -> dict[str, str]:
    """Headers proving the hook's origin, as the target's auth asks (no Basic credentials: requests adds them)."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if target.auth != "hmac":
        return headers
    if target.scheme == "raw":
        headers[target.signature_header] = signing.sign_raw(target.secret, body)
        return headers
    headers.update(
        signing.standard_headers(
            target.secret,
            msg_id,
            body,
            timestamp=int(time.time()) if timestamp is None else timestamp,
            signature_header=target.signature_header,
            encoding=target.encoding,
        )
    )
    return headers


def post(target: HookTarget, payload: dict) -> SendResult:
    """POST the payload, signed; never raises for network trouble (the result carries the error)."""
    body = encode_body(payload)
    headers = signed_headers(target, body, message_id(payload))
    auth = (target.username, target.password) if target.auth == "basic" else None
    result = SendResult(headers=headers)
    try:
        response = requests.post(target.url, data=body, headers=headers, auth=auth, timeout=TIMEOUT)
    except requests.RequestException as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
        return result
    result.status_code = response.status_code
    result.body = response.text[:500]
    if not result.ok:
        result.error = f"HTTP {response.status_code}"
    return result


def get_validation(target: HookTarget, token: str) -> SendResult:
    """PrismHR's subscription check: ``GET url?validationToken=...`` must echo the token as text/plain."""
    result = SendResult()
    auth = (target.username, target.password) if target.auth == "basic" else None
    try:
        response = requests.get(
            target.url,
            params={"validationToken": token},
            headers={"User-Agent": USER_AGENT},
            auth=auth,
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
        return result
    result.status_code = response.status_code
    result.body = response.text[:500]
    if response.status_code != 200 or response.text != token:
        result.error = "the target did not echo the validation token"
    return result

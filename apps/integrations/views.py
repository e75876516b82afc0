"""``/webhooks/<connection uuid>/``: the only unauthenticated URL. Verify, store, acknowledge; nothing else.

Order matters: the size cap and the connection's check come before anything is stored; a failed check is a
401 with only an audit log line; a verified event is written to the inbox before the 2xx; a duplicate is a
2xx that does nothing. Processing (the provider GET) happens in a worker.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.companies.models import Provider
from apps.core import signing
from apps.core.counters import counter_incr
from apps.core.fields import plain_text

from .models import Connection
from .providers import webhooks_for
from .services import webhook_event_store_if_current, webhook_events_enqueue, webhook_events_store

audit = logging.getLogger("apps.integrations.webhooks.audit")

MAX_BODY_BYTES = 256 * 1024
# Headers a parser may use for the delivery key; trusted only where the signature covers them (Standard
# Webhooks). Elsewhere anyone can vary them to turn one captured body into many "new" events.
SIGNED_ONLY_HEADERS = frozenset({"webhook-id", "webhook-timestamp"})
# Only what the check, the parse and the store need: the other secrets are never read per delivery.
CONNECTION_FIELDS = (
    "id",
    "uuid",
    "name",
    "provider",
    "state",
    "customer_id",
    "webhook_auth",
    "webhook_username",
    "webhook_signature_header",
    "webhook_signature_encoding",
    "webhook_signature_scheme",
    "webhook_allowed_ips",
    "webhook_digest_types",
    "webhook_coalesce_seconds",
)


# The encrypted check material: read from the row as stored (ciphertext), decrypted only when it changed.
CHECK_SECRETS = ("webhook_password", "webhook_secret")
# What a remembered connection must still hold for a delivery checked against it to be stored: every field
# the check and the store read (a bulk update that skips updated_at still counts), and updated_at.
VERSION_FIELDS = (*(name for name in CONNECTION_FIELDS if name not in ("id", "uuid")), "updated_at")


@dataclass(frozen=True)
class CachedConnection:
    connection: Connection  # the check's fields, secrets decrypted; shared read-only by the web threads
    stored: dict[str, object]  # the row's updated_at and the secrets' ciphertext, as read


class DeliveryConnections:
    """Per process: each webhook address's connection (the check's fields, secrets decrypted) and its version.

    A delivery to an address seen before is checked against the remembered connection without reading it;
    its inbox row is then written by one statement that inserts only while the connection's row still holds
    the remembered version (``webhook_event_store_if_current``: the same value of every field the check
    reads, the same ciphertext of each secret, the same ``updated_at``). A delivery that fails the remembered check, or whose insert finds the row changed (a new
    secret, another check, a paused connection, in any process), is handled again on a fresh read, which
    replaces the entry. So a changed secret is used from the very next delivery, and the old plain text is
    dropped then. Reading the row decrypts a secret only when its ciphertext differs from the remembered
    one. One entry per connection bounds the memory.
    """

    def __init__(self):
        self._entries: dict[str, CachedConnection] = {}
        self._lock = threading.Lock()

    def remembered(self, uuid) -> CachedConnection | None:
        return self._entries.get(str(uuid))

    def read(self, uuid) -> CachedConnection | None:
        """Read the connection now (one SELECT), remember it, and return it (None: no such address)."""
        stored_as = {f"{name}_stored": Cast(name, output_field=TextField()) for name in CHECK_SECRETS}
        connection = (
            Connection.objects.only(*CONNECTION_FIELDS, "updated_at")
            .annotate(**stored_as)
            .filter(uuid=uuid)
            .order_by()
            .first()
        )
        if connection is None:
            with self._lock:
                self._entries.pop(str(uuid), None)
            return None
        stored = {name: getattr(connection, f"{name}_stored") or "" for name in CHECK_SECRETS}
        before = self._entries.get(str(uuid))
        for name in CHECK_SECRETS:
            same = before is not None and before.stored.get(name) == stored[name]
            setattr(connection, name, getattr(before.connection, name) if same else plain_text(stored[name]))
        version = {name: getattr(connection, name) for name in VERSION_FIELDS}
        entry = CachedConnection(connection=connection, stored={**version, **stored})
        with self._lock:
            self._entries[str(uuid)] = entry
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


delivery_connections = DeliveryConnections()


class AckResponse(JsonResponse):
    """The 2xx of a stored delivery; enqueues the processing once the response has been sent.

    The WSGI server calls ``close()`` after writing the response, so queueing the task (a broker write)
    is not part of the provider's wait. The inbox row is already committed: if the process dies before
    ``close()``, the sweeper enqueues the row within a minute.
    """

    def __init__(self, *args, enqueue: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._enqueue_after = enqueue or []

    def close(self):
        super().close()
        if self._enqueue_after:
            ids, self._enqueue_after = self._enqueue_after, []
            try:
                webhook_events_enqueue(ids)
            except Exception:  # the rows are stored; the sweeper will enqueue them
                logging.getLogger(__name__).exception("could not enqueue webhook events %s", ids)


class Rejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def check_ip(connection: Connection, ip: str) -> None:
    allowed = connection.webhook_allowed_ips or []
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(ip)
    except ValueError as exc:
        raise Rejected(401, "source address unreadable") from exc
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(str(entry), strict=False):
                return
        except ValueError:
            continue
    raise Rejected(401, f"source address {ip} not in the allow-list")


def check_basic(connection: Connection, header: str) -> None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise Rejected(401, "missing Basic credentials")
    try:
        username, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError as exc:  # not base64 (binascii.Error), not UTF-8, or a non-ASCII byte in the header
        raise Rejected(401, "malformed Basic credentials") from exc
    if not connection.webhook_username or not connection.webhook_password:
        raise Rejected(401, "no webhook credentials configured")
    ok_user = hmac.compare_digest(username.encode(), connection.webhook_username.encode())
    ok_password = hmac.compare_digest(password.encode(), connection.webhook_password.encode())
    if not (ok_user and ok_password):
        raise Rejected(401, "wrong Basic credentials")


def check(connection: Connection, request: HttpRequest, body: bytes) -> bool:
    """Apply the connection's check: source IP allow-list, then Basic credentials or the HMAC signature.

    Return whether the delivery's id and timestamp headers are covered by the signature (Standard
    Webhooks), i.e. whether the parser may trust them for the delivery key.
    """
    check_ip(connection, _client_ip(request))
    auth = connection.webhook_auth
    if auth == Connection.WebhookAuth.BASIC:
        check_basic(connection, request.headers.get("Authorization", ""))
        return False
    if auth == Connection.WebhookAuth.HMAC:
        try:
            scheme = signing.verify(
                connection.webhook_secret,
                headers=request.headers,
                body=body,
                signature_header=connection.webhook_signature_header or "webhook-signature",
                encoding=connection.webhook_signature_encoding or "base64",
                scheme=connection.webhook_signature_scheme or "standard",
                tolerance=settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
            )
        except signing.SignatureError as exc:
            raise Rejected(401, exc.reason) from exc
        return scheme == "standard"
    if connection.provider != Provider.PRISMHR:  # a row saved before the rule: no check is no entry
        raise Rejected(401, "no webhook check configured ('none' is only for PrismHR)")
    return False


def event_cap(connection: Connection) -> int:
    """How many events one delivery may carry: fewer when nobody had to prove who sent it."""
    if connection.webhook_auth == Connection.WebhookAuth.NONE:
        return settings.WEBHOOK_MAX_EVENTS_UNAUTHENTICATED
    return settings.WEBHOOK_MAX_EVENTS_PER_DELIVERY


def _refuse(connection: Connection | None, request: HttpRequest, status: int, reason: str) -> HttpResponse:
    audit.warning(
        "webhook refused: connection=%s ip=%s status=%s reason=%s",
        connection.uuid if connection else "-",
        _client_ip(request),
        status,
        reason,
        extra={
            "event": "webhook.rejected",
            "connection_id": connection.pk if connection else None,
            "customer_id": connection.customer_id if connection else None,
            "status": status,
            "reason": reason,
        },
    )
    counter_incr(
        "webhooks_rejected", provider=connection.provider if connection else "unknown", status=str(status)
    )
    response = JsonResponse({"message": "Refused." if status == 401 else reason}, status=status)
    if status == 401 and connection is not None and connection.webhook_auth == Connection.WebhookAuth.BASIC:
        response["WWW-Authenticate"] = 'Basic realm="webhooks"'
    return response


def _declared_size_ok(request: HttpRequest) -> bool:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    return declared.isdigit() and int(declared) <= MAX_BODY_BYTES


def _events(connection: Connection, request: HttpRequest, body: bytes) -> list:
    """Check the delivery and parse its events; raise Rejected (401, 400, 413) with the reason."""
    signed_headers = check(connection, request, body)
    headers = (
        request.headers
        if signed_headers
        else {k: v for k, v in request.headers.items() if k.lower() not in SIGNED_ONLY_HEADERS}
    )
    try:
        events = webhooks_for(connection.provider).parse(
            body, headers, request.GET, fallback_timestamp=timezone.now().strftime("%Y%m%d%H%M")
        )
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise Rejected(400, f"not a {connection.get_provider_display()} webhook: {exc}") from exc
    cap = event_cap(connection)
    if len(events) > cap:
        raise Rejected(413, f"{len(events)} events in one delivery; at most {cap} accepted")
    return events


def _accept_remembered(
    request: HttpRequest, remembered: CachedConnection, body: bytes
) -> HttpResponse | None:
    """The short way for a new single-event delivery to a known address: check, one INSERT, 2xx.

    None means "take the ordinary way": the remembered check refused it (the secret may have changed), it
    carries several events or none, or the insert wrote nothing (a duplicate, or the connection changed).
    """
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        events = _events(remembered.connection, request, body)
    except Rejected:
        return None
    if len(events) != 1:
        return None
    stored = webhook_event_store_if_current(
        connection=remembered.connection, hook=events[0], current=remembered.stored
    )
    if stored is None:
        return None
    event_id, enqueue = stored
    return AckResponse({"received": 1, "duplicates": 0}, enqueue=[event_id] if enqueue else [])


@csrf_exempt
def webhook_receive(request: HttpRequest, uuid) -> HttpResponse:
    """Receive one delivery for a connection (POST), or answer PrismHR's subscription check (GET)."""
    body: bytes | None = None
    remembered = delivery_connections.remembered(uuid)
    if remembered is not None and request.method == "POST" and _declared_size_ok(request):
        body = request.read(MAX_BODY_BYTES + 1)
        response = _accept_remembered(request, remembered, body)
        if response is not None:
            return response
    entry = delivery_connections.read(uuid)
    if entry is None:
        return _refuse(None, request, 404, "unknown webhook address")
    connection = entry.connection

    if request.method == "GET":
        token = webhooks_for(connection.provider).validation_echo(request.GET)
        if token is None:
            return _refuse(connection, request, 405, "GET is only for PrismHR's validationToken check")
        return HttpResponse(token, content_type="text/plain")
    if request.method != "POST":
        return _refuse(connection, request, 405, "POST only")

    if body is None:
        if not _declared_size_ok(request):
            return _refuse(connection, request, 413, f"body larger than {MAX_BODY_BYTES} bytes")
        body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _refuse(connection, request, 413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        events = _events(connection, request, body)
    except Rejected as rejected:
        return _refuse(connection, request, rejected.status, rejected.reason)

    to_enqueue: list[int] = []
    stored = webhook_events_store(connection=connection, events=events, defer_enqueue=to_enqueue)
    created = sum(1 for _, new in stored if new)
    if len(stored) > created:
        counter_incr("webhooks_duplicate", by=len(stored) - created, provider=connection.provider)
    return AckResponse({"received": created, "duplicates": len(stored) - created}, enqueue=to_enqueue)

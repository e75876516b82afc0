"""What every provider adapter offers, so that syncs and the inbox never branch on the provider.

A provider is a package ``providers/<name>/`` with ``client.py`` (HTTP through the door ``apps.core.http``,
bound to the connection by ``apps.integrations.transport``),
``webhooks.py`` (incoming payload -> ``HookEvent``) and ``records.py`` (provider JSON -> ``EmployeeRecord``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from django.core.cache import caches

from apps.core import crypto, http
from apps.core.errors import ProviderError
from apps.core.http import ProviderHTTP
from apps.employees.records import EmployeeRecord

from .. import transport
from ..models import Connection


@dataclass(frozen=True, slots=True)
class ListedEmployee:
    """One entry of a provider's employee list: the ID, what the list says of the status, maybe everything."""

    employee_id: str
    status_code: str = ""
    status_type: str = ""
    record: EmployeeRecord | None = None  # set when the list already carries every detail (Affinity)


@dataclass(slots=True)
class EmployeePage:
    entries: list[ListedEmployee]
    total: int | None = None  # the provider's total count, when it tells


@dataclass(slots=True)
class DetailResult:
    records: list[EmployeeRecord] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # IDs the provider did not return (gone, or not visible)


@dataclass(frozen=True, slots=True)
class HookEvent:
    """One event of an incoming webhook delivery, provider-neutral."""

    delivery_key: str
    event_type: str
    object_kind: str  # "employee", "payroll", ...
    company_external_id: str
    object_id: str
    occurred_at: dt.datetime | None = None
    payload: dict = field(default_factory=dict)


MAX_JSON_DEPTH = 32  # objects and arrays inside one another; providers send 2 or 3


def load_json(body: bytes):
    """Decode a webhook body; ValueError with the reason for malformed, too deeply nested or NUL-bearing JSON.

    Why here: a deep body must not reach the recursive decoder's limit (RecursionError, a 500), and a NUL
    character cannot be stored by PostgreSQL (jsonb and text refuse it) while SQLite accepts it: both are
    answered the same way on every database, as a 400 with the reason.
    """
    if b"\x00" in body:
        raise ValueError("the body contains a NUL byte")
    depth = 0
    in_string = escaped = False
    for byte in body:  # a bracket count outside strings bounds the nesting before decoding
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif byte in (0x5D, 0x7D):
            depth -= 1
    payload = json.loads(body)
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("the JSON contains a NUL character (\\u0000)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return payload


def body_delivery_key(body: bytes, timestamp: str = "") -> str:
    """Delivery key of an event without a provider event id: a hash of the raw body and its timestamp."""
    return "sha256:" + hashlib.sha256(timestamp.encode() + b"." + body).hexdigest()


@dataclass(frozen=True, slots=True)
class FlatHookKeys:
    """Where a flat one-employee hook (Paylocity, Affinity) keeps each fact: JSON key names."""

    company: str
    employee: str
    event_type: str
    event_id: str
    occurred_at: str


def flat_employee_hook(
    body: bytes, headers, keys: FlatHookKeys, *, fallback_timestamp: str = ""
) -> list[HookEvent]:
    """The one event of a flat employee hook; ValueError if the body is not one.

    Only the company and employee IDs matter: the worker GETs the employee (seed 000). The delivery key is the
    event id (body, else the ``webhook-id`` header), else a hash of the body with the ``webhook-timestamp``
    header or ``fallback_timestamp`` (legacy hooks carry neither: the minute of arrival), so a redelivery is
    a duplicate.
    """
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    company, employee = text(payload.get(keys.company)), text(payload.get(keys.employee))
    if not company or not employee:
        raise ValueError(f"{keys.company} and {keys.employee} are required")
    event_id = text(payload.get(keys.event_id)) or text(headers.get("webhook-id"))
    key = (
        f"id:{event_id}"
        if event_id
        else body_delivery_key(body, text(headers.get("webhook-timestamp")) or fallback_timestamp)
    )
    return [
        HookEvent(
            delivery_key=key,
            event_type=text(payload.get(keys.event_type)),
            object_kind="employee",
            company_external_id=company,
            object_id=employee,
            occurred_at=parse_datetime(payload.get(keys.occurred_at)),
            payload=payload,
        )
    ]


def no_subscription_check(query: Mapping[str, str]) -> str | None:
    """``webhooks.validation_echo`` of a provider that makes no subscription check (a GET is refused)."""
    return None


def parse_date(value) -> dt.date | None:
    """Accept ``2021-03-01``, ``2021-03-01T00:00:00`` (Paylocity), ``03/01/2021``; blank -> None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return None


def parse_datetime(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def text(value) -> str:
    return "" if value is None else str(value).strip()


def json_body(response, what: str):
    """Decode a JSON response or raise a ProviderError that retrying may fix (a truncated body)."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise ProviderError(
            f"{what}: the provider sent malformed JSON", status_code=response.status_code
        ) from exc


MEMO_SECONDS = 60.0


class TokenCache:
    """Access tokens / sessions in the shared cache (all worker processes), encrypted, keyed by credentials.

    Keyed by a hash of base URL + credentials, so changing the secret starts a new token at once.
    """

    # This process's copy (key -> (token, expires at monotonic)), so a sync does not read the shared cache
    # and decrypt the token for every one of its thousands of calls.
    _memo: ClassVar[dict[str, tuple[str, float]]] = {}

    def __init__(self, connection: Connection, *parts: str):
        fingerprint = hashlib.sha256("\x1f".join((connection.base_url, *parts)).encode()).hexdigest()[:24]
        # The UUID, not the row id: databases that share one cache (Redis) reuse row ids, never UUIDs.
        self.key = f"hub:provider-token:{connection.uuid}:{fingerprint}"

    def get(self) -> str | None:
        memo = self._memo.get(self.key)
        if memo and memo[1] > time.monotonic():
            return memo[0]
        stored = caches["shared"].get(self.key)
        if not stored:
            return None
        try:
            token = crypto.decrypt(stored)
        except crypto.DecryptionError:
            return None
        # The shared entry's remaining life is unknown here: trust the copy for a short while only.
        self._memo[self.key] = (token, time.monotonic() + MEMO_SECONDS)
        return token

    def set(self, token: str, ttl_seconds: float) -> None:
        caches["shared"].set(self.key, crypto.encrypt(token), timeout=max(1, int(ttl_seconds)))
        self._memo[self.key] = (token, time.monotonic() + min(ttl_seconds, MEMO_SECONDS))

    def clear(self) -> None:
        self._memo.pop(self.key, None)
        caches["shared"].delete(self.key)


http.on_reset(TokenCache._memo.clear)  # tests and forked workers start without this process's token copies


class ProviderClient(ABC):
    """The interface of every provider client (subclasses implement it over ``self.http``)."""

    provider: str = ""
    detail_batch_size: int = 1  # how many IDs one detail call takes
    list_has_status: bool = False  # the list tells each employee's status code (Paylocity)
    list_has_details: bool = False  # the list carries every detail (Affinity): no detail calls at all

    def __init__(self, connection: Connection, http: ProviderHTTP | None = None):
        self.connection = connection
        self.http = http or transport.provider_http(connection)
        self.base = connection.base_url.rstrip("/")

    @abstractmethod
    def authenticate(self) -> None:
        """Obtain a fresh token / session now (the connection test); raise AuthenticationError if refused."""

    @abstractmethod
    def list_employees(
        self, company_external_id: str, *, page_size: int | None = None
    ) -> Iterator[EmployeePage]:
        """Yield the company's employee list page by page."""

    @abstractmethod
    def get_employees(self, company_external_id: str, employee_ids: list[str]) -> DetailResult:
        """Fetch the details of up to ``detail_batch_size`` employees."""

    def get_employee(self, company_external_id: str, employee_id: str) -> EmployeeRecord | None:
        """GET one employee; None when the provider says it does not exist."""
        result = self.get_employees(company_external_id, [employee_id])
        return result.records[0] if result.records else None

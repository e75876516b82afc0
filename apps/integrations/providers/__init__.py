"""Provider adapters: ``client_for(connection)`` and ``webhooks_for(provider)`` are the only entry points."""

from __future__ import annotations

import importlib
from types import ModuleType

from .. import transport
from ..models import Connection
from .base import ProviderClient

PROVIDER_PACKAGES = {
    "paylocity": "apps.integrations.providers.paylocity",
    "prismhr": "apps.integrations.providers.prismhr",
    "affinity": "apps.integrations.providers.affinity",
}


def _module(provider: str, name: str) -> ModuleType:
    try:
        package = PROVIDER_PACKAGES[provider]
    except KeyError as exc:
        raise ValueError(f"Unknown provider {provider!r}.") from exc
    return importlib.import_module(f"{package}.{name}")


def client_for(connection: Connection, **http_options) -> ProviderClient:
    """Return the provider client of a connection, calling through the one door."""
    module = _module(connection.provider, "client")
    return module.Client(
        connection, transport.provider_http(connection, **http_options) if http_options else None
    )


def webhooks_for(provider: str) -> ModuleType:
    """Return the provider's webhooks module (``parse(body, headers, query) -> list[HookEvent]``)."""
    return _module(provider, "webhooks")

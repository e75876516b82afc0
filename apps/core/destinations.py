"""The destinations policy: where the hub may send a request (provider base URLs, SFTP hosts, downstream URLs).

Why: a connection's base URL receives its credentials, and a downstream URL receives signed payloads. A user
who may edit one must not be able to point the server at itself, at the cloud's metadata service or at the
office network, nor get credentials written into a URL shown to others.

The rules, checked when a destination is saved (``validate_url`` / ``validate_host``) and again on every
connect against the address actually connected to (``check_address``, after DNS resolution, so a name that
resolves somewhere else later is still caught):

1. ``https`` only; ``http`` only for a loopback host while the sandbox is on (``SANDBOX_ENABLED``: the demo
   and the tests call this server's own sandbox);
2. no user name or password in the URL;
3. no private, loopback, link-local, reserved, multicast, unspecified or cloud metadata address, unless
   ``OUTBOUND_ALLOWED_DESTINATIONS`` (an admin's allow-list of addresses, networks and host names) names it;
   loopback is allowed while the sandbox is on.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba) and their well-known names.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationError(ValueError):
    """A destination the policy refuses; the message says why in the user's words (no address resolution)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "OUTBOUND_ALLOWED_DESTINATIONS", []) or []:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return names, networks


def _sandbox_on() -> bool:
    return bool(getattr(settings, "SANDBOX_ENABLED", False))


def parse_address(host: str) -> IPAddress | None:
    """Return the IP address a host literal stands for (also ``2130706433``, ``0x7f.1``), else None."""
    text = host.strip().strip("[]")
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        try:  # the legacy forms getaddrinfo also accepts: decimal, octal, hex, shortened dotted
            address = ipaddress.IPv4Address(socket.inet_aton(text))
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_loopback(host: str) -> bool:
    address = parse_address(host)
    if address is not None:
        return address.is_loopback
    return host.lower().rstrip(".") in LOOPBACK_NAMES


def check_address(address: str | IPAddress, *, host: str = "") -> None:
    """Refuse an address the hub must not connect to (see the module's rules); ``host`` is the name asked for."""
    ip = address if not isinstance(address, str) else parse_address(address)
    if ip is None:
        raise DestinationError(f"{address!r} is not an IP address.")
    names, networks = _allow_list()
    if host and host.lower().rstrip(".") in names:
        return
    if any(ip in network for network in networks):
        return
    if ip.is_loopback and _sandbox_on():
        return
    if ip in METADATA_ADDRESSES:
        raise DestinationError("a cloud metadata address is not an allowed destination")
    if ip.is_loopback:
        raise DestinationError("a loopback address is not an allowed destination")
    if ip.is_link_local:
        raise DestinationError("a link-local address is not an allowed destination")
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        raise DestinationError("a reserved, multicast or unspecified address is not an allowed destination")
    if ip.is_private or not ip.is_global:
        raise DestinationError("a private network address is not an allowed destination")


def validate_host(host: str) -> None:
    """Refuse a host name or address literal the policy forbids (without resolving it: that is per connect)."""
    host = (host or "").strip()
    if not host:
        raise DestinationError("a host is required")
    if any(c in host for c in "/@: ") and parse_address(host) is None:
        raise DestinationError("give a host name or address only (no scheme, user, port or path)")
    name = host.lower().rstrip(".")
    names, _ = _allow_list()
    if name in names:
        return
    if name in METADATA_NAMES:
        raise DestinationError("a cloud metadata host is not an allowed destination")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        if _sandbox_on():
            return
        raise DestinationError("a loopback host is not an allowed destination")
    address = parse_address(host)
    if address is not None:
        check_address(address, host=host)


def validate_url(url: str) -> None:
    """Refuse a URL the policy forbids: its scheme, embedded credentials, or its host (see ``validate_host``)."""
    try:
        parts = urlsplit((url or "").strip())
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError as exc:
        raise DestinationError("not a valid URL") from exc
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise DestinationError(
            "credentials in the URL are not allowed (use the connection's credential fields)"
        )
    if scheme == "http":
        if not (_sandbox_on() and _is_loopback(host)):
            raise DestinationError(
                "use https (http is allowed only for this server's sandbox on a loopback host)"
            )
    elif scheme != "https":
        raise DestinationError("use an https:// URL")
    validate_host(host)

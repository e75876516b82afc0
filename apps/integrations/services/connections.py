"""Writes for connections. Secrets are set here and never read back out through an interface."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from apps.companies.models import Company, Customer
from apps.core.errors import ApplicationError

from ..models import SECRET_FIELDS, Connection

EDITABLE_FIELDS = (
    "name",
    "slug",
    "provider",
    "environment",
    "base_url",
    "state",
    "client_id",
    "username",
    "peo_id",
    "secret_expires_at",
    "webhook_auth",
    "webhook_username",
    "webhook_signature_header",
    "webhook_signature_encoding",
    "webhook_signature_scheme",
    "webhook_allowed_ips",
    "rate_limit_per_second",
    "rate_limit_per_minute",
    "fair_use_per_hour",
    "fair_use_per_day",
    "circuit_threshold",
    "circuit_cooldown_seconds",
    "webhook_digest_types",
    "webhook_coalesce_seconds",
    "prismhr_subscription_id",
    "sftp_host",
    "sftp_port",
    "sftp_username",
    "sftp_host_key",
    "sftp_folder",
    "sftp_archive_folder",
    *SECRET_FIELDS,
)

# Secrets that travel to an address, by the fields that say where: changing the address clears them (unless
# the same request supplies them again), so nobody can redirect a stored secret to a listener of their own.
SECRETS_BY_ADDRESS = {
    "base_url": ("client_secret", "password"),
    "sftp_host": ("sftp_password", "sftp_private_key"),
    "sftp_port": ("sftp_password", "sftp_private_key"),
}


def connection_companies_check(*, customer: Customer, provider: str, companies: list[Company]) -> None:
    """Refuse companies of another customer or another provider (ApplicationError naming the company)."""
    _check_companies(Connection(customer=customer, provider=provider), companies)


def _check_companies(connection: Connection, companies: list[Company]) -> None:
    for company in companies:
        if company.company_set.customer_id != connection.customer_id:
            raise ApplicationError(
                f"Company {company.external_id} belongs to another customer.", extra={"field": "companies"}
            )
        if company.provider != connection.provider:
            raise ApplicationError(
                f"Company {company.external_id} is a {company.get_provider_display()} company, "
                f"not {connection.get_provider_display()}.",
                extra={"field": "companies"},
            )


@transaction.atomic
def connection_create(
    *,
    customer: Customer,
    provider: str,
    base_url: str,
    name: str = "",
    companies: list[Company] | None = None,
    acting_user=None,
    **fields: Any,
) -> Connection:
    """Create a connection; secrets passed in ``fields`` are stored encrypted. The name defaults to the slug."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown connection fields: {', '.join(sorted(unknown))}.")
    if not name and not fields.get("slug"):
        raise ApplicationError("Give the connection a name or a slug.", extra={"field": "name"})
    if not fields.get("slug"):
        fields["slug"] = slugify(f"{customer.slug}-{name}")[:80]
    name = name or fields["slug"]
    connection = Connection(customer=customer, name=name, provider=provider, base_url=base_url, **fields)
    connection.full_clean()
    connection.save()
    if companies:
        _check_companies(connection, companies)
        connection.companies.set(companies)
    return connection


@transaction.atomic
def connection_update(
    *, connection: Connection, companies: list[Company] | None = None, acting_user=None, **fields: Any
) -> Connection:
    """Update the given fields. A secret given as ``""`` or None is left as it is (secrets are write-only).

    Changing where the connection calls (``base_url``, the SFTP host or port) clears the secrets that would
    travel there, unless the same call supplies them again. A connection never moves to another customer:
    its companies, runs, API calls and webhook events are that customer's history (create a new one).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"customer"}
    if unknown:
        raise ApplicationError(f"Unknown connection fields: {', '.join(sorted(unknown))}.")
    customer = fields.pop("customer", None)
    if customer is not None and customer.pk != connection.customer_id:
        raise ApplicationError(
            "A connection cannot move to another customer; create a new connection for that customer.",
            extra={"field": "customer"},
        )
    cleared: set[str] = set()
    for address_field, secrets_there in SECRETS_BY_ADDRESS.items():
        if address_field in fields and fields[address_field] != getattr(connection, address_field):
            cleared.update(name for name in secrets_there if not fields.get(name))
    changed = []
    for name in sorted(cleared):
        if getattr(connection, name):
            setattr(connection, name, "")
            changed.append(name)
    for name, value in fields.items():
        if name in SECRET_FIELDS and not value:
            continue
        setattr(connection, name, value)
        changed.append(name)
    if changed:
        connection.full_clean()
        connection.save(update_fields=[*changed, "updated_at"])
    if companies is not None:
        _check_companies(connection, companies)
        connection.companies.set(companies)
    return connection


@transaction.atomic
def connection_secret_clear(*, connection: Connection, field: str, acting_user=None) -> Connection:
    if field not in SECRET_FIELDS:
        raise ApplicationError(f"{field} is not a secret field.")
    setattr(connection, field, "")
    connection.save(update_fields=[field, "updated_at"])
    return connection


@transaction.atomic
def connection_webhook_secret_generate(*, connection: Connection, acting_user=None) -> str:
    """Make a new random webhook secret, store it encrypted and return it (shown to the user once)."""
    # Standard Webhooks format: "whsec_" + base64 of 32 random bytes (the key is the decoded bytes).
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    connection.webhook_secret = secret
    connection.save(update_fields=["webhook_secret", "updated_at"])
    return secret

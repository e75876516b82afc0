"""Reads for the sandbox: credentials by their secrets, webhook targets, employee and batch querysets."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import Case, Q, QuerySet, Value, When

from apps.companies.selectors import scope_to_user
from apps.integrations.models import Connection

from .models import (
    SandboxBatch,
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxWebhookDelivery,
    SignatureScheme,
)
from .sender import HookTarget


def _same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def credential_by_client(*, provider: str, client_id: str, client_secret: str) -> SandboxCredential | None:
    """The active credential with this client ID and secret (secret compared in constant time), else None."""
    for credential in SandboxCredential.objects.filter(provider=provider, client_id=client_id, active=True):
        if client_id and _same(credential.client_secret, client_secret):
            return credential
    return None


def credential_by_login(
    *, provider: str, username: str, password: str, peo_id: str
) -> SandboxCredential | None:
    """The active PrismHR credential with this username, password and PEO ID, else None."""
    for credential in SandboxCredential.objects.filter(
        provider=provider, username=username, peo_id=peo_id, active=True
    ):
        if username and _same(credential.password, password):
            return credential
    return None


def _connection_for(company: SandboxCompany) -> Connection | None:
    """The hub connection this company's hooks go to: by company external ID, else by shared credentials."""
    sandbox_first = Case(When(environment=Connection.Environment.SANDBOX, then=Value(0)), default=Value(1))
    connections = Connection.objects.filter(provider=company.provider).order_by(sandbox_first, "pk")
    by_company = connections.filter(
        companies__provider=company.provider, companies__external_id=company.external_id
    ).first()
    if by_company is not None:
        return by_company
    client_ids, usernames = set(), set()
    for credential in company.credentials.all():
        if credential.client_id:
            client_ids.add(credential.client_id)
        if credential.username:
            usernames.add(credential.username)
    if not client_ids and not usernames:
        return None
    return connections.filter(Q(client_id__in=client_ids) | Q(username__in=usernames)).first()


def webhook_target_for(company: SandboxCompany) -> HookTarget | None:
    """Where the company's hooks go and how they are authenticated, or None when there is nowhere to send.

    The company's own URL wins. Otherwise the hub connection for it: ``HUB_PUBLIC_URL`` + the connection's
    webhook path, with the connection's own webhook credentials and signature scheme (GitHub-style raw
    signatures where the connection is set up for them, Standard Webhooks otherwise).
    """
    if company.webhook_url:
        return HookTarget(
            url=company.webhook_url,
            auth=company.webhook_auth,
            username=company.webhook_username,
            password=company.webhook_password,
            secret=company.webhook_secret,
            signature_header=company.webhook_signature_header,
            scheme=company.webhook_signature_scheme,
            encoding=company.webhook_signature_encoding,
            source="sandbox company",
        )
    connection = _connection_for(company)
    if connection is None:
        return None
    header = connection.webhook_signature_header or "webhook-signature"
    return HookTarget(
        url=settings.HUB_PUBLIC_URL.rstrip("/") + connection.webhook_path,
        auth=connection.webhook_auth,
        username=connection.webhook_username,
        password=connection.webhook_password,
        secret=connection.webhook_secret,
        signature_header=header,
        scheme=SignatureScheme.RAW
        if connection.webhook_signature_scheme == SignatureScheme.RAW
        else SignatureScheme.STANDARD,
        encoding=connection.webhook_signature_encoding,
        source=f"connection {connection.slug}",
    )


def companies_list() -> QuerySet[SandboxCompany]:
    return SandboxCompany.objects.all()


def employees_list() -> QuerySet[SandboxEmployee]:
    return SandboxEmployee.objects.select_related("company")


def deliveries_list() -> QuerySet[SandboxWebhookDelivery]:
    return SandboxWebhookDelivery.objects.select_related("company", "employee", "batch")


def batches_list() -> QuerySet[SandboxBatch]:
    return SandboxBatch.objects.select_related("company", "voids")


def connections_visible_to(user) -> QuerySet[Connection]:
    """Hub connections in the sandbox environment of the customers the user may see (to link a company)."""
    return scope_to_user(
        Connection.objects.filter(environment=Connection.Environment.SANDBOX).select_related("customer"), user
    )

"""Self-service sandbox companies: a consultant makes a fake provider company to onboard against.

One call creates the sandbox company (a free company ID unless one is given), its status codes, generated
employees and API credentials the sandbox accepts; given a hub connection (sandbox environment), it also
adds the company to that connection (a hub company in its company set) and points the connection's
credentials at the sandbox's, so the connection's Test and Sync now work right away.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from apps.companies.models import Company, Provider
from apps.companies.services import company_create, company_set_create
from apps.core.errors import ApplicationError
from apps.integrations.models import Connection
from apps.integrations.services import connection_update

from ..models import SandboxCompany, SandboxCredential, SandboxStatusCode
from .employees import STANDARD_CODES
from .seed import CUSTOM_CODES, seed_bulk_employees

MAX_EMPLOYEES = 500
# Where generated company IDs start, per provider (above the seeded demo companies 6700 / 100100 / AFF100).
FIRST_FREE_ID = {Provider.PAYLOCITY: 7000, Provider.PRISMHR: 200100, Provider.AFFINITY: 200}
PEO_ID = "SANDBOXPEO"


@dataclass(frozen=True)
class Provisioned:
    company: SandboxCompany
    credential: SandboxCredential
    secret: str  # the client secret / password, shown once; "" when an existing credential was reused
    employees: int
    hub_company: Company | None = None


def _external(provider: str, n: int) -> str:
    return f"AFF{n}" if provider == Provider.AFFINITY else str(n)


def free_external_id(provider: str) -> str:
    """The first company ID of ``provider`` used neither in the sandbox nor by a hub company."""
    taken = set(SandboxCompany.objects.filter(provider=provider).values_list("external_id", flat=True))
    taken |= set(Company.objects.filter(provider=provider).values_list("external_id", flat=True))
    n = FIRST_FREE_ID[provider]
    while _external(provider, n) in taken:
        n += 1
    return _external(provider, n)


def _matching_credential(connection: Connection) -> SandboxCredential | None:
    """The sandbox credential the connection already uses (same client ID / username), if any."""
    if connection.provider == Provider.PRISMHR:
        if not connection.username:
            return None
        found = SandboxCredential.objects.filter(provider=connection.provider, username=connection.username)
    else:
        if not connection.client_id:
            return None
        found = SandboxCredential.objects.filter(provider=connection.provider, client_id=connection.client_id)
    return found.filter(active=True).first()


def _new_credential(provider: str, external_id: str) -> tuple[SandboxCredential, str]:
    secret = secrets.token_urlsafe(18)
    ident = f"sandbox-{provider}-{external_id.lower()}-{secrets.token_hex(3)}"
    credential = SandboxCredential(provider=provider, label=f"self-service {external_id}")
    if provider == Provider.PRISMHR:
        credential.username, credential.password, credential.peo_id = ident, secret, PEO_ID
    else:
        credential.client_id, credential.client_secret = ident, secret
    credential.full_clean()
    credential.save()
    return credential, secret


@transaction.atomic
def sandbox_company_provision(
    *,
    provider: str,
    name: str,
    employees: int = 10,
    external_id: str = "",
    connection: Connection | None = None,
    acting_user=None,
) -> Provisioned:
    """Create a sandbox company with ``employees`` generated employees and credentials; link a connection.

    Refused, naming the reason: an unknown provider, a company ID already used (sandbox or hub), a count
    outside 1..MAX_EMPLOYEES, a connection of another provider or not in the sandbox environment.
    """
    if provider not in Provider.values:
        raise ApplicationError(f"Unknown provider {provider!r}.", extra={"field": "provider"})
    if not 1 <= employees <= MAX_EMPLOYEES:
        raise ApplicationError(
            f"Generate between 1 and {MAX_EMPLOYEES} employees.", extra={"field": "employees"}
        )
    if connection is not None:
        if connection.provider != provider:
            raise ApplicationError(
                f"{connection.name} is a {connection.get_provider_display()} connection.",
                extra={"field": "provider"},
            )
        if connection.environment != Connection.Environment.SANDBOX:
            raise ApplicationError(
                f"{connection.name} is not a sandbox connection: only those may point at the sandbox.",
                extra={"field": "connection"},
            )
    external_id = external_id.strip() or free_external_id(provider)
    if (
        SandboxCompany.objects.filter(provider=provider, external_id=external_id).exists()
        or Company.objects.filter(provider=provider, external_id=external_id).exists()
    ):
        raise ApplicationError(
            f"Company ID {external_id} is already used; leave it empty to get a free one.",
            extra={"field": "external_id"},
        )
    company = SandboxCompany(
        provider=provider,
        external_id=external_id,
        name=name.strip(),
        company_set=f"self-service-{external_id}",
    )
    company.full_clean()
    company.save()
    SandboxStatusCode.objects.bulk_create(
        [
            SandboxStatusCode(company=company, code=code, description=words, status_type=status_type)
            for code, (words, status_type) in STANDARD_CODES.items()
        ]
        + [
            SandboxStatusCode(
                company=company, code=code, description=words, status_type=status_type, custom=True
            )
            for code, words, status_type in CUSTOM_CODES[provider]
        ]
    )
    made = seed_bulk_employees(company=company, count=employees)
    credential = _matching_credential(connection) if connection is not None else None
    secret = ""
    if credential is None:
        credential, secret = _new_credential(provider, external_id)
    credential.companies.add(company)
    hub_company = (
        _link(connection, company, credential, secret, acting_user) if connection is not None else None
    )
    return Provisioned(
        company=company, credential=credential, secret=secret, employees=made, hub_company=hub_company
    )


def _link(
    connection: Connection, company: SandboxCompany, credential: SandboxCredential, secret: str, acting_user
) -> Company:
    """Add the company to the connection (a hub company in its set) and give it the sandbox credentials."""
    current = list(connection.companies.all())
    company_set = current[0].company_set if current else None
    if company_set is None:
        company_set = company_set_create(
            customer=connection.customer,
            name=f"{connection.name} sandbox",
            provider=connection.provider,
            acting_user=acting_user,
        )
    hub_company = company_create(
        company_set=company_set, external_id=company.external_id, name=company.name, acting_user=acting_user
    )
    fields = {}
    if secret:  # a new credential: the connection signs in with it from now on
        if connection.provider == Provider.PRISMHR:
            fields = {"username": credential.username, "password": secret, "peo_id": credential.peo_id}
        else:
            fields = {"client_id": credential.client_id, "client_secret": secret}
    connection_update(
        connection=connection, companies=[*current, hub_company], acting_user=acting_user, **fields
    )
    return hub_company

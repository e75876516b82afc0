"""Support desk settings: the defaults read from the environment (django-environ) and the one row they seed.

The values live in one editable row (``SupportSettings``) so an admin can change them without a deploy; the
environment only decides what that row starts with. The row is loaded here (not in services) so selectors
and services both read it without importing each other.
"""

from __future__ import annotations

import environ
from django.db import IntegrityError, transaction

from .models import SupportSettings

env = environ.Env()

# provider value -> (short name used in escalation subjects, Level 2 support address)
PROVIDER_DEFAULTS: dict[str, tuple[str, str, str]] = {
    # provider: (env prefix, default short name, default support address)
    "paylocity": ("PAYLOCITY", "PCTY", "webservices@paylocity.com"),
    "prismhr": ("PRISMHR", "PrismHR", ""),
    "affinity": ("AFFINITY", "Affinity", "helpdesk@affinityteam.com"),  # seed 003: mail creates a ticket
}


def support_defaults() -> dict[str, str]:
    """Return the initial SupportSettings values: each from ``SUPPORT_*`` variables, else the built-in default."""
    values = {
        "our_company_name": env.str("SUPPORT_OUR_COMPANY_NAME", default="Payroll Integration Hub"),
        "client_id_fragment_end": env.str("SUPPORT_CLIENT_ID_FRAGMENT_END", default="first"),
    }
    for provider, (prefix, short_name, address) in PROVIDER_DEFAULTS.items():
        values[f"{provider}_short_name"] = env.str(f"SUPPORT_{prefix}_SHORT_NAME", default=short_name)
        values[f"{provider}_support_email"] = env.str(f"SUPPORT_{prefix}_EMAIL", default=address)
    return values


def support_settings_load() -> SupportSettings:
    """Return the one settings row, creating it from the ``SUPPORT_*`` environment defaults the first time."""
    row = SupportSettings.objects.filter(singleton=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = SupportSettings(**support_defaults())
            row.full_clean()
            row.save()
    except IntegrityError:  # another process created it first
        row = SupportSettings.objects.get(singleton=True)
    return row

"""Support desk defaults, read from the environment (django-environ) and used to seed SupportSettings.

The values live in one editable row (``SupportSettings``) so an admin can change them without a deploy; the
environment only decides what that row starts with.
"""

from __future__ import annotations

import environ

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

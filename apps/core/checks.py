"""System checks that stop start-up on a missing or malformed configuration."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from . import crypto


@checks.register(checks.Tags.security, deploy=False)
def check_encryption_keys(app_configs, **kwargs):
    """Fail at start-up when FIELD_ENCRYPTION_KEYS is missing or not a list of Fernet keys."""
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []
    return [
        checks.Critical(
            problem,
            hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            id="core.E001",
        )
        for problem in crypto.validate_keys(list(keys))
    ]


@checks.register(checks.Tags.database)
def check_q_cluster(app_configs, **kwargs):
    """timeout must be below retry, or a slow task is handed to a second worker while the first runs it."""
    conf = getattr(settings, "Q_CLUSTER", {})
    errors = []
    if conf.get("timeout") and conf.get("retry") and conf["timeout"] >= conf["retry"]:
        errors.append(checks.Error("Q_TIMEOUT must be lower than Q_RETRY.", id="core.E002"))
    if not conf.get("max_attempts"):
        errors.append(checks.Error("Q_MAX_ATTEMPTS must be set (a positive number).", id="core.E003"))
    return errors

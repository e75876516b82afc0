"""Production: no defaults for secrets, HTTPS everywhere, sandbox off.

Start-up fails with a message naming the variable when DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
FIELD_ENCRYPTION_KEYS or IDENTITY_HASH_KEY is missing, or when a secret holds the well-known local default.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import KNOWN_LOCAL_VALUES, _env_or_exit, env

for _name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "IDENTITY_HASH_KEY"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"Environment variable {_name} is required in production and is not set.")

# The well-known local defaults (base.py, .env.example) are public: production refuses each by name.
for _name, _known in KNOWN_LOCAL_VALUES.items():
    _values = env.list(_name) if _name == "FIELD_ENCRYPTION_KEYS" else [env.str(_name)]
    if any(value.strip() in _known for value in _values):
        raise ImproperlyConfigured(
            f"Environment variable {_name} holds the well-known local default; set a secret value in production."
        )

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
IDENTITY_HASH_KEY = env.str("IDENTITY_HASH_KEY")
SANDBOX_ENABLED = _env_or_exit(env.bool, "SANDBOX_ENABLED", default=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_or_exit(env.bool, "DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # probes and scrapes may come over internal HTTP
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = _env_or_exit(env.int, "DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
EMAIL_BACKEND = _env_or_exit(
    env.str, "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_URL = _env_or_exit(env.email_url, "EMAIL_URL", default="smtp://localhost:25")
EMAIL_HOST = EMAIL_URL["EMAIL_HOST"]
EMAIL_PORT = EMAIL_URL["EMAIL_PORT"]
EMAIL_HOST_USER = EMAIL_URL["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = EMAIL_URL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = EMAIL_URL.get("EMAIL_USE_TLS", False)

"""Settings shared by every environment; every value comes from the environment via django-environ.

The other modules (local, test, production) override little. A value that is missing or malformed stops
start-up with a message that names the variable (see ``_env_or_exit``).
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _env_or_exit(getter, name: str, **kwargs):
    """Read one variable; a malformed value raises ImproperlyConfigured naming the variable."""
    try:
        return getter(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # django-environ raises ValueError etc. on a malformed value
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc


# The well-known local defaults (here and in .env.example): production refuses every one of them.
LOCAL_DEFAULT_SECRET_KEY = "insecure-local-only-secret-key-change-me-0123456789"
LOCAL_DEFAULT_FIELD_ENCRYPTION_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
LOCAL_DEFAULT_IDENTITY_HASH_KEY = "local-identity-hash-key"
KNOWN_LOCAL_VALUES = {
    "DJANGO_SECRET_KEY": {LOCAL_DEFAULT_SECRET_KEY, "change-me"},
    "FIELD_ENCRYPTION_KEYS": {LOCAL_DEFAULT_FIELD_ENCRYPTION_KEY, "<fernet key>", "<older key>"},
    "IDENTITY_HASH_KEY": {LOCAL_DEFAULT_IDENTITY_HASH_KEY, "change-me"},
}

DEBUG = _env_or_exit(env.bool, "DJANGO_DEBUG", default=False)
SECRET_KEY = _env_or_exit(env.str, "DJANGO_SECRET_KEY", default=LOCAL_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = _env_or_exit(env.list, "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_or_exit(env.list, "DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys for secrets at rest (comma-separated, newest first). Separate from SECRET_KEY on purpose:
# rotating one must not break the other. The local default is a fixed development key.
FIELD_ENCRYPTION_KEYS = _env_or_exit(
    env.list, "FIELD_ENCRYPTION_KEYS", default=[LOCAL_DEFAULT_FIELD_ENCRYPTION_KEY]
)
# Key for the identity hash of national IDs (HMAC-SHA256). Never the national ID itself is stored.
IDENTITY_HASH_KEY = _env_or_exit(env.str, "IDENTITY_HASH_KEY", default=LOCAL_DEFAULT_IDENTITY_HASH_KEY)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "simple_history",
    "axes",
    "apps.core",
    "apps.users",
    "apps.companies",
    "apps.mappings",
    "apps.employees",
    "apps.integrations",
    "apps.payroll",
    "apps.support",
    "apps.implementations",
    "apps.sandbox",
    "apps.dashboard",
    "apps.audit",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Webhook deliveries stop here: verify, insert, 2xx (see apps/integrations/middleware.py).
    "apps.integrations.middleware.WebhookShortStackMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": _env_or_exit(env.db, "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if not DATABASES["default"].get("ENGINE", "").startswith("django.db.backends."):
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL is malformed: use sqlite:/// or postgres://."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = _env_or_exit(env.int, "DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and worker share one SQLite file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Sign-in protection (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username from one
# address, that pair is locked out for AXES_COOLOFF_HOURS. Axes sees only sign-ins that go through
# ``authenticate()`` with a request (the admin login form); API tokens and sessions are not affected.
AUTHENTICATION_BACKENDS = [
    "apps.audit.backends.LockoutBackend",  # django-axes: lockouts for sign-ins with a request
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _env_or_exit(env.bool, "AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = _env_or_exit(env.int, "AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = _env_or_exit(env.float, "AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "audit/lockout.html"
FORMS_URLFIELD_ASSUME_HTTPS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = _env_or_exit(env.str, "DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files waiting for a worker (admin employee-file uploads). With workers on several machines this
# folder (or the default storage) must be shared by the web processes and the workers.
MEDIA_ROOT = _env_or_exit(env.str, "MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = _env_or_exit(
    env.str, "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = _env_or_exit(env.str, "DEFAULT_FROM_EMAIL", default="hub@localhost")

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["apps.companies.scoping.ScopedFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    # Per API token / signed-in user, and per address for anonymous requests; rates below.
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.throttling.UserThrottle", "apps.core.throttling.AnonThrottle"],
}
# Throttles (README "Security"): "<count>/<second|minute|hour|day>"; counted in the shared cache, so the
# limits hold across every web process. Over the limit: 429 with Retry-After.
API_THROTTLE_ENABLED = _env_or_exit(env.bool, "API_THROTTLE_ENABLED", default=True)
API_THROTTLE_RATES = {
    "user": _env_or_exit(env.str, "API_THROTTLE_USER", default="1200/minute"),
    "anon": _env_or_exit(env.str, "API_THROTTLE_ANON", default="60/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Payroll Integration Hub API",
    "DESCRIPTION": "Companies, employees, status history, downstream actions, payroll batches and support.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error shape and the statuses it can answer (apps/core/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.add_error_responses",
    ],
    # Several models have a "state" field with their own choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ChangeBatchStateEnum": "apps.employees.models.ChangeBatch.State",
        "DownstreamActionStateEnum": "apps.employees.models.DownstreamAction.State",
        "ConnectionStateEnum": "apps.integrations.models.Connection.State",
        "SyncRunStateEnum": "apps.integrations.models.SyncRun.State",
        "WebhookEventStateEnum": "apps.integrations.models.WebhookEvent.State",
        "TicketStateEnum": "apps.support.models.State",
        # A person's ledger (what the downstream was last told) and desired state, and an event's source.
        "DownstreamAccessEnum": "apps.employees.models.Access",
        "DesiredAccessEnum": "apps.employees.models.Desired",
        "StatusEventSourceEnum": "apps.employees.models.Source",
    },
}

# --- Background work (django-q2) ------------------------------------------------------------------------
REDIS_URL = _env_or_exit(env.str, "REDIS_URL", default="")
Q_CLUSTER = {
    "name": _env_or_exit(env.str, "Q_CLUSTER_NAME", default="hub"),
    "workers": _env_or_exit(env.int, "Q_WORKERS", default=2),
    # A task may run at most `timeout` seconds; it is offered again after `retry` seconds. timeout < retry,
    # or a slow task would be handed to a second worker while the first still runs it.
    "timeout": _env_or_exit(env.int, "Q_TIMEOUT", default=600),
    "retry": _env_or_exit(env.int, "Q_RETRY", default=720),
    # A task that keeps failing is dropped after this many attempts; the inbox/outbox rows and their
    # sweepers are what guarantee nothing is lost, not the broker.
    "max_attempts": _env_or_exit(env.int, "Q_MAX_ATTEMPTS", default=3),
    # Missed schedule runs (worker down over a night) are not replayed one by one.
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    "orm": "default",
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL
# The worker's heartbeat (django-q2's cluster Stat) lives in this cache, shared by web and worker processes.
Q_CLUSTER["cache"] = "shared"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "hub_shared_cache"}
    ),
}
Q_SYNC = False  # test settings run tasks synchronously

# How long after its last heartbeat a worker still counts as up (/healthz).
WORKER_HEARTBEAT_MAX_AGE = _env_or_exit(env.int, "WORKER_HEARTBEAT_MAX_AGE", default=120)

# --- Product settings -----------------------------------------------------------------------------------
SANDBOX_ENABLED = _env_or_exit(env.bool, "SANDBOX_ENABLED", default=True)
HUB_PUBLIC_URL = _env_or_exit(env.str, "HUB_PUBLIC_URL", default="http://127.0.0.1:8000")

# --- Accountability and operations (apps/audit) ----------------------------------------------------------
# History rows and audit events older than this many days are pruned by the "audit.prune_history" schedule.
AUDIT_RETENTION_DAYS = _env_or_exit(env.int, "AUDIT_RETENTION_DAYS", default=730)
# /metrics (Prometheus) answers only with "Authorization: Bearer <METRICS_TOKEN>"; empty: /metrics is off.
METRICS_TOKEN = _env_or_exit(env.str, "METRICS_TOKEN", default="")
# "json": one JSON object per log line (for a log shipper); "plain": human-readable lines.
LOG_FORMAT = _env_or_exit(env.str, "LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("Environment variable LOG_FORMAT is malformed: use plain or json.")

# One log line per HTTP request from the development server (`make run`): off by default, they buried
# everything else; LOG_REQUESTS=true turns them on.
LOG_REQUESTS = _env_or_exit(env.bool, "LOG_REQUESTS", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "apps.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": _env_or_exit(env.str, "LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The development server's line per request: off unless LOG_REQUESTS (4xx and 5xx still show).
        "django.server": {
            "handlers": ["console"],
            "level": "INFO" if LOG_REQUESTS else "WARNING",
            "propagate": False,
        },
    },
}
# Where ensure_admin and seed_demo note first-run passwords for run_all's ready banner (core/first_run.py).
# Empty: nothing is written (base, production, tests); local settings use a git-ignored file.
FIRST_RUN_CREDENTIALS_FILE = _env_or_exit(env.str, "FIRST_RUN_CREDENTIALS_FILE", default="")

# --- Security (README "Security") ----------------------------------------------------------------------
# Outbound destinations: addresses (192.168.10.5), networks (10.20.0.0/16) and host names (sftp.corp.local)
# the hub may call although they are private, loopback, link-local or metadata addresses. Empty: none.
OUTBOUND_ALLOWED_DESTINATIONS = _env_or_exit(env.list, "OUTBOUND_ALLOWED_DESTINATIONS", default=[])

# Incoming webhooks: events one delivery may carry (more: 413, nothing stored), fewer on a connection without
# a check (PrismHR's 'none'), and how far a Standard Webhooks timestamp may be from now (older: replay, 401).
# How many detail calls a sync keeps in flight (its rate-limit slots still space them to the connection's rate).
# SQLite has one writer: a sync's background threads would only queue on its lock, so it stays sequential there.
SYNC_DETAIL_CONCURRENCY = _env_or_exit(
    env.int, "SYNC_DETAIL_CONCURRENCY", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4
)
# The webhook view hands stored events to a per-process thread that queues them (tests: queued inline).
WEBHOOK_ENQUEUE_IN_BACKGROUND = _env_or_exit(env.bool, "WEBHOOK_ENQUEUE_IN_BACKGROUND", default=True)
WEBHOOK_MAX_EVENTS_PER_DELIVERY = _env_or_exit(env.int, "WEBHOOK_MAX_EVENTS_PER_DELIVERY", default=500)
WEBHOOK_MAX_EVENTS_UNAUTHENTICATED = _env_or_exit(env.int, "WEBHOOK_MAX_EVENTS_UNAUTHENTICATED", default=25)
WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = _env_or_exit(
    env.int, "WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS", default=300
)

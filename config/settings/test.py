"""Test settings: fast hashing, synchronous tasks, in-memory email."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import Q_CLUSTER

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
SYNC_DETAIL_CONCURRENCY = 1  # a test's database is one transaction that other threads do not see
WEBHOOK_ENQUEUE_IN_BACKGROUND = False  # sync tasks would run in the enqueuer's thread
SANDBOX_ENABLED = True
MEDIA_ROOT = str(BASE_DIR / ".test-output" / "media")  # noqa: F405

# A file-backed SQLite test database, so that live-server tests and worker subprocesses see the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so parallel runs (xdist workers, two checkouts' suites) never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}  # noqa: F405
# Throttle counts would carry over between tests (same user ids, one cache): tests of throttling turn it on.
API_THROTTLE_ENABLED = False

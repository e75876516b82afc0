"""Local development: debug on, console email, SQLite unless DATABASE_URL says otherwise."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import _env_or_exit, env

DEBUG = _env_or_exit(env.bool, "DJANGO_DEBUG", default=True)

# run_all's ready banner repeats the first-run passwords from here (apps/core/first_run.py); git-ignored.
FIRST_RUN_CREDENTIALS_FILE = _env_or_exit(
    env.str,
    "FIRST_RUN_CREDENTIALS_FILE",
    default=str(BASE_DIR / ".first-run-credentials.json"),  # noqa: F405
)

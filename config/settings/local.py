"""Local development: debug on, console email, SQLite unless DATABASE_URL says otherwise."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import _env_or_exit, env

DEBUG = _env_or_exit(env.bool, "DJANGO_DEBUG", default=True)

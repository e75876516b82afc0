"""The first run's sign-in details, kept for the "server is ready" banner of ``run_all`` (``make run``).

``ensure_admin`` and ``seed_demo`` print a generated password once, early; the web server's start-up and the
worker's lines then bury it. They also note it here, in ``FIRST_RUN_CREDENTIALS_FILE`` (local settings only:
a git-ignored file readable by its owner alone; empty, as in production and tests, keeps nothing), and
``run_all`` prints them again once the web server answers. A password changed since is not shown.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model


@dataclass(frozen=True, slots=True)
class Credential:
    username: str
    role: str
    password: str  # or the words saying where it came from ("(from ADMIN_PASSWORD)")


def _path() -> Path | None:
    name = getattr(settings, "FIRST_RUN_CREDENTIALS_FILE", "")
    return Path(name) if name else None


def remember(*, username: str, role: str, password: str) -> None:
    """Note a user's first password for the ready banner (nothing when no file is configured)."""
    path = _path()
    if path is None:
        return
    kept = {c.username: c for c in remembered()}
    kept[username] = Credential(username, role, password)
    body = json.dumps([_as_dict(c) for c in kept.values()], indent=1)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(body)
    os.chmod(path, 0o600)


def _as_dict(credential: Credential) -> dict:
    return {"username": credential.username, "role": credential.role, "password": credential.password}


def remembered() -> list[Credential]:
    """The noted first passwords, in the order they were noted (none when there is no file)."""
    path = _path()
    if path is None or not path.exists():
        return []
    return [Credential(**row) for row in json.loads(path.read_text())]


def still_valid(credentials: list[Credential]) -> list[Credential]:
    """Those whose user still exists with that password (or whose password came from the environment)."""
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=[c.username for c in credentials])
    }
    valid = []
    for credential in credentials:
        user = users.get(credential.username)
        if user is None:
            continue
        if credential.password.startswith("(from ") or user.check_password(credential.password):
            valid.append(credential)
    return valid


def banner(*, url: str, credentials: list[Credential], log_requests: bool) -> str:
    """The short block printed when the server is ready: where to go, who can sign in, how logging stands."""
    rule = "=" * 72
    lines = [rule, f" Payroll Integration Hub is ready: {url}admin/   (API docs: {url}api/docs/)"]
    if credentials:
        width = max(len(c.username) for c in credentials)
        lines.append(" Sign in as:")
        lines += [f"   {c.username:<{width}}  password: {c.password}   ({c.role})" for c in credentials]
    else:
        lines.append(" No first-run password to show: reset one with `manage.py changepassword <username>`.")
    lines.append(
        " Request lines are logged."
        if log_requests
        else " Request logging is off (errors still show): LOG_REQUESTS=true to turn it on."
    )
    lines += [" Ctrl-C stops the web server and the worker.", rule]
    return "\n".join(lines)

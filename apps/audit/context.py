"""Who and what is changing things right now: the actor and channel every history row records.

A request sets them in the middleware (channel ``admin`` or ``api``; the actor is the signed-in user, or the
API token's user once DRF has authenticated it). A management command or the worker has no request: the
process default says ``command``/``worker`` and ``system: <command>``, and each worker task refines the actor
to ``system: <schedule or task name>`` (see ``signals``). Code can also wrap work in ``audit_context(...)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from dataclasses import dataclass, replace

ADMIN = "admin"
API = "api"
COMMAND = "command"
WORKER = "worker"
CHANNELS = (ADMIN, API, COMMAND, WORKER)


@dataclass(frozen=True)
class AuditContext:
    channel: str
    actor: str = ""  # "system: <job>" when no user acts
    request: object | None = None  # the HttpRequest, whose ``user`` DRF fills in after token auth
    user: object | None = None


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)
_process_default = AuditContext(channel=COMMAND, actor="system: unknown")


def current() -> AuditContext:
    """The context in force: the innermost ``audit_context``, else the request's, else the process's."""
    return _current.get() or _process_default


def acting_user(ctx: AuditContext | None = None):
    """The signed-in user behind the current change, or None when the system acts."""
    ctx = ctx or current()
    if ctx.user is not None:
        return ctx.user
    user = getattr(ctx.request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def actor_label(ctx: AuditContext | None = None) -> str:
    ctx = ctx or current()
    user = acting_user(ctx)
    if user is not None:
        return user.get_username()
    return ctx.actor or f"system: {ctx.channel}"


@contextlib.contextmanager
def audit_context(*, channel: str | None = None, actor: str | None = None, user=None):
    """Run a block as ``actor`` on ``channel`` (e.g. a command or task naming itself)."""
    base = current()
    ctx = replace(
        base,
        channel=channel or base.channel,
        actor=actor if actor is not None else base.actor,
        user=user if user is not None else base.user,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_context(ctx: AuditContext | None) -> contextvars.Token:
    return _current.set(ctx)


def reset_context(token: contextvars.Token) -> None:
    _current.reset(token)


def install_process_default(argv: list[str] | None = None) -> AuditContext:
    """Name the process: ``manage.py qcluster`` is the worker, any other command is a command."""
    global _process_default
    argv = sys.argv if argv is None else argv
    command = argv[1] if len(argv) > 1 and argv[0].endswith("manage.py") else ""
    if command == "qcluster":
        _process_default = AuditContext(channel=WORKER, actor="system: worker")
    elif command:
        _process_default = AuditContext(channel=COMMAND, actor=f"system: {command}")
    else:
        _process_default = AuditContext(channel=COMMAND, actor="system: unknown")
    return _process_default


class AuditContextMiddleware:
    """Record the request (and so its user) and the channel for every change made while serving it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = API if request.path.startswith("/api/") else ADMIN
        token = _current.set(
            AuditContext(channel=channel, actor="system: anonymous request", request=request)
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

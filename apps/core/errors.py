"""Error types shared by services and interfaces."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the request; the message is safe to show to the user."""

    status_code = 400

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotPermitted(ApplicationError):
    status_code = 403

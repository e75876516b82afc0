"""Error types shared by services and interfaces, and the one error type of the integration edge."""

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


# --- the integration edge: one error type that says whether retrying can help ------------------------------


class ProviderError(Exception):
    """A provider call failed. ``permanent`` says whether retrying can help (False: try again later).

    ``retry_after`` (seconds) is set when the provider said when to come back (a ``Retry-After`` longer
    than we are willing to wait inline, or an open circuit breaker).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status_code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """The provider refused our credentials (bad client ID / secret, password, expired secret)."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message, permanent=True, status_code=status_code)


class CircuitOpenError(ProviderError):
    """The connection's circuit breaker is open: no call was made."""


class RateLimited(ProviderError):
    """The connection's next request slot is further away than the caller may wait (a web request)."""

"""Connection health: the connection test, stale sync runs.

Authentication results and the circuit breaker opening are kept by ``apps.integrations.transport`` (the
provider clients and the HTTP door report them there).

Problems the hub can see by itself are reported on the problem bus (``apps.core.problems``); support turns
them into automatic tickets after the transaction commits.
"""

from __future__ import annotations

import logging

from apps.core.errors import AuthenticationError, CircuitOpenError, ProviderError, RateLimited

from ..models import Connection
from ..providers import client_for

logger = logging.getLogger(__name__)


# A web request (the connection test) takes a rate-limit slot only if it is this close; else "try again".
WEB_MAX_RATE_WAIT = 1.0  # seconds


def connection_test(*, connection: Connection, acting_user=None) -> dict:
    """Authenticate against the provider now; say how it went in our own words.

    The provider's own error text and the kind of failure (refused port, TLS, HTTP status) are logged and
    kept in the API call log, not returned: the caller learns "refused the login", "try again" or "could
    not authenticate", nothing it could use to probe the network. The result carries ``retry_after`` when
    the connection's rate limit is in use (the web request does not wait for it).

    Not atomic on purpose: it calls the network, and the authentication bookkeeping commits on its own.
    """
    provider = connection.get_provider_display()
    client = client_for(connection, max_rate_wait=WEB_MAX_RATE_WAIT)
    try:
        client.authenticate()
    except RateLimited as exc:
        return {
            "ok": False,
            "message": "The connection's rate limit is in use right now; try again shortly.",
            "authenticated_at": None,
            "retry_after": exc.retry_after,
        }
    except ProviderError as exc:
        logger.warning("connection test of %s (%s) failed: %s", connection.pk, connection.slug, exc)
        if isinstance(exc, AuthenticationError):
            message = f"{provider} refused the login; check the connection's credentials."
        elif isinstance(exc, CircuitOpenError):
            message = (
                "Calls to the provider are paused after repeated failures; try again after the cool-down."
            )
        else:
            message = (
                f"Could not authenticate with {provider}: no valid answer from the connection's address."
            )
        return {"ok": False, "message": message, "authenticated_at": None}
    connection.refresh_from_db(fields=["last_authenticated_at"])
    return {"ok": True, "message": "Authenticated.", "authenticated_at": connection.last_authenticated_at}

"""Connection health: authentication results, the circuit breaker opening, the connection test.

Each problem the hub can see by itself becomes an automatic support ticket (deduplicated by key), raised
after the transaction commits so a rollback never leaves a ticket about something that did not happen.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from ..errors import ProviderError
from ..models import Connection

logger = logging.getLogger(__name__)


def ticket_raise(*, key: str, category: str, customer, title: str, actual_result: str = "", **kwargs) -> None:
    """Raise (or re-open) an automatic support ticket once the current transaction commits.

    ``robust``: a ticket that cannot be raised is logged, never allowed to fail the sync or webhook that
    noticed the problem.
    """

    def raise_it() -> None:
        from apps.support.services import ticket_raise_automatic

        ticket_raise_automatic(
            key=key, category=category, customer=customer, title=title, actual_result=actual_result, **kwargs
        )

    transaction.on_commit(raise_it, robust=True)


@transaction.atomic
def connection_auth_succeeded(*, connection: Connection) -> None:
    """Record that the provider accepted our credentials just now."""
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(last_authenticated_at=now, last_auth_error="")
    connection.last_authenticated_at, connection.last_auth_error = now, ""


@transaction.atomic
def connection_auth_failed(*, connection: Connection, message: str) -> None:
    """Record a refused authentication and raise a connection ticket (one per connection until resolved)."""
    Connection.objects.filter(pk=connection.pk).update(last_auth_error=message[:300])
    connection.last_auth_error = message[:300]
    ticket_raise(
        key=f"connection-auth:{connection.pk}",
        category="connection",
        customer=connection.customer,
        title=f"{connection.name}: the provider refused our credentials",
        actual_result=message,
        expected_result="The provider accepts the connection's credentials.",
        companies=list(connection.companies.all()),
        connection=connection,
    )


@transaction.atomic
def connection_circuit_opened(*, connection: Connection, reason: str) -> None:
    """The circuit breaker opened: calls stop for the cool-down; tell support."""
    logger.warning("circuit opened for connection %s: %s", connection.pk, reason)
    ticket_raise(
        key=f"circuit-open:{connection.pk}",
        category="connection",
        customer=connection.customer,
        title=f"{connection.name}: provider calls keep failing (circuit open)",
        actual_result=(
            f"{connection.circuit_threshold} consecutive requests failed (last: {reason}); calls pause for "
            f"{connection.circuit_cooldown_seconds}s between probes."
        ),
        expected_result="Provider requests succeed.",
        companies=list(connection.companies.all()),
        connection=connection,
    )


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
    from ..errors import (  # http.py imports this module: a top-level import closes the cycle issue 12 breaks
        AuthenticationError,
        CircuitOpenError,
    )
    from ..http import RateLimited  # same cycle as the line above
    from ..providers import client_for

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

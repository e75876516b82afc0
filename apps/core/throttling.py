"""API throttles: per token or signed-in user, and per address for anonymous requests (README "Security").

Counted in the shared cache (the database cache, or Redis with ``REDIS_URL``) so the limits hold across every
web process; the rates are read from settings on each request (``API_THROTTLE_RATES``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _HubThrottle:
    @property
    def cache(self):
        return caches["shared"]

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if not settings.API_THROTTLE_ENABLED:
            return True
        return super().allow_request(request, view)


class UserThrottle(_HubThrottle, UserRateThrottle):
    """Requests per API token or signed-in user (anonymous requests fall back to their address)."""

    scope = "user"


class AnonThrottle(_HubThrottle, AnonRateThrottle):
    """Requests per address without credentials."""

    scope = "anon"

"""django-axes' backend, letting request-less ``authenticate()`` calls (tests' ``client.login``) through."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Check lockouts for every sign-in that comes with a request (the login form, DRF basic auth).

    A call without a request has no address to lock and comes from code, not a browser (a management
    command, the test client's ``login``); axes would raise for it, so it is passed on to the next backend.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

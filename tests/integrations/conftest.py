"""Fixtures of the integration edge: a clean process state per test and connections of each provider."""

from __future__ import annotations

import pytest

from apps.core.http import reset_process_state


@pytest.fixture(autouse=True)
def _fresh_http_state():
    """Sessions, breaker views and the limiter are per process: start every test without them."""
    reset_process_state()
    yield
    reset_process_state()

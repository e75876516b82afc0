"""Playwright's ``expect``, or a skip of the importing test module when the package is missing."""

from __future__ import annotations

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -e '.[dev]'"
).expect

"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Skipped, with the reason, when /usr/bin/chromium (``apt-get install chromium``) or the ``playwright`` package
is missing; ``.ci/run`` installs Chromium first. Playwright is never asked to download a browser of its own.
A failing test leaves a full-page screenshot in ``.test-output/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[2] / ".test-output"
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "pw"  # the persona fixtures' password (tests/conftest.py)


def _missing() -> str:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium (as .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return ""


def pytest_collection_modifyitems(config, items):
    """Skip this folder's tests, saying why, when the browser or Playwright is missing."""
    reason = _missing()
    if not reason:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _start_playwright():
    """Start Playwright, carrying the test database's serialized contents over to the new connections.

    Playwright's sync API leaves its event loop marked as running in this thread, so from then on Django's
    connection handler (an asgiref ``Local``) hands this thread new connection objects. The test database
    was serialized onto the old ones (for ``serialized_rollback``, which restores the role groups and the
    checklist templates that migrations create): give the new ones the same contents.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    before = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, old in before.items():
        new = connections[alias]
        contents = getattr(old, "_test_serialized_contents", None)
        if new is not old and contents is not None and not hasattr(new, "_test_serialized_contents"):
            new._test_serialized_contents = contents
    return playwright


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module; Playwright stops after it, so its event loop leaks into no other test.

    While it runs, Playwright's sync API keeps an event loop marked as running in this thread, and Django's
    ORM would refuse the test's own queries (given / then steps) "from an async context": the test thread is
    the only user of its connection, so DJANGO_ALLOW_ASYNC_UNSAFE is set for the module's duration.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = _start_playwright()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    # Close the connections made while Playwright's loop ran (see _start_playwright): left open, they would
    # keep the test database busy, and PostgreSQL refuses to drop a database in use.
    from django.db import connections

    connections.close_all()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab at 1280 px on the live server; a screenshot in .test-output/ if the test fails."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        OUTPUT.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        tab.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page):
    """Sign a persona in through the admin's login form (as a person would)."""

    def sign_in(user) -> None:
        page.goto("/admin/login/?next=/admin/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")

    return sign_in

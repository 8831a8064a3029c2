"""A headless Chromium page for tests of web pages (the report, the web app), driven by Playwright.

tests/conftest.py loads this module as a pytest plugin (``pytest_plugins = ["browser"]``), so any test module
asks for the fixtures by name, with no import::

    def test_page(chromium_page, tmp_path):
        errors = chromium_page.console_errors          # console errors and uncaught page errors, as text
        chromium_page.goto(f"file://{tmp_path}/report.html")
        assert not errors
        chromium_page.screenshot(path=tmp_path / "page.png")

``chromium_page`` is a new Playwright ``Page`` (viewport 1400 x 1000) of the session's browser, which runs with a
fresh profile directory; the page also has ``console_errors``, a list that collects every console error and
uncaught exception of the page. ``chromium_browser`` (session-wide) is the browser itself, for tests that need
several pages. ``chromium_people`` makes browser contexts that share nothing (cookies, storage): one per person,
for tests of several people at once (``chromium_people()`` is a new context; all are closed after the test).

The browser is Debian's ``/usr/bin/chromium`` (``scripts/install_browser.sh`` installs it; ``make test`` runs that
first), launched headless with no sandbox (CI runs as root), no GPU and no background network traffic.
Playwright's own browser downloads are never used. Without /usr/bin/chromium or the playwright package the
tests that use these fixtures are skipped with a message saying why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright, started once for the session (it cannot be started twice in one thread)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install_browser.sh (as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium_browser(playwright_driver: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, with a fresh profile directory; closed at the end of the session."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright_driver.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def chromium_people(playwright_driver: Any) -> Iterator[Callable[[], Any]]:
    """A maker of browser contexts that share nothing, as two people on two computers; closed after the test."""
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield lambda: browser.new_context(viewport=VIEWPORT)
    finally:
        browser.close()


@pytest.fixture
def chromium_page(chromium_browser: Any) -> Iterator[Any]:
    """A new page; ``page.console_errors`` collects its console errors and uncaught exceptions."""
    page = chromium_browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    try:
        yield page
    finally:
        page.close()

"""The classroom web app end to end: ``run.py serve`` on a free local port, driven in headless Chromium.

The app loads, a scenario is chosen, steps advance the date and change the map and the charts, an order given in
play mode is refused or takes effect, and a saved game reloads identically. The browser is tests/browser.py's
``chromium_page`` (registered in conftest.py).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # a server in a subprocess, driven from a browser

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at ``port`` (from /proc/net/tcp)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hexport = local.split(":")
        if int(hexport, 16) == port and state == "0A":  # LISTEN
            out.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return out


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """``run.py serve`` with its default host on a free port; stopped at the end."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not listening_addresses(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start: {server.stdout.read() if server.poll() is not None else ''}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label`` (a Vuetify select)."""
    page.locator(".v-select", has=page.locator(f"label:text-is('{label}')")).first.click()
    page.locator(".menuable__content__active .v-list-item",
                 has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first.click()


def image(page, n: int) -> str:
    return page.locator("img").nth(n).get_attribute("src")


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    page.get_by_text("Day 0, 4 April 2013").first.wait_for(timeout=60_000)


def test_the_server_binds_the_local_address_by_default(app_url):
    port = int(app_url.rsplit(":", 1)[1].strip("/"))
    assert listening_addresses(port) == {"127.0.0.1"}


def test_choose_a_scenario_and_step(app_url, chromium_page):
    page = chromium_page
    open_app(page, app_url)
    choose(page, "Scenario", "direct_assault")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_timeout(2000)
    map0, chart0 = image(page, 0), image(page, 1)
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert image(page, 0) != map0 and image(page, 1) != chart0
    for _ in range(5):
        page.get_by_role("button", name="Step").click()
        page.wait_for_timeout(700)
    page.get_by_text("Day 6, 10 April 2013").first.wait_for(timeout=30_000)
    assert page.locator("li").count() > 0  # the story has events
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_text("Engagements").first.wait_for()
    assert not page.console_errors


def test_play_an_order_save_and_reload(app_url, chromium_page, tmp_path):
    page = chromium_page
    open_app(page, app_url)
    choose(page, "You command", "rebels")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("You command the Opposition").wait_for(timeout=30_000)
    choose(page, "Formation", "farouq_abil")
    choose(page, "Order", "move")
    choose(page, "Place", "Homs")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("refused: Homs is held by the enemy").wait_for(timeout=30_000)
    choose(page, "Order", "attack")
    choose(page, "Place", "Shinshar")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("ok: farouq_abil attack Shinshar").wait_for(timeout=30_000)
    row = page.locator("tr", has_text="farouq_abil")
    assert "\tAbil\t" in row.inner_text()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    day1 = row.inner_text()
    assert "\tShinshar\t" in day1  # the order took effect: the battalion went into Shinshar
    saved = tmp_path / "game.yaml"
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Game file").fill(str(saved))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("saved day 1").wait_for(timeout=30_000)
    assert saved.exists()
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 2, 6 April 2013").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text(f"loaded {saved} at day 1").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.locator("tr", has_text="farouq_abil").inner_text() == day1
    assert not page.console_errors

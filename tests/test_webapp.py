"""The classroom web app end to end: ``run.py serve`` on a free local port, driven in headless Chromium.

The app loads, a scenario is chosen, steps advance the date and change the map and the charts, an order given in
play mode (from the form or by clicking the map) is refused or takes effect, a saved game reloads identically and
the sidebar then shows its settings and date; two players and an umpire, each in a browser of their own, share a
turn (with the server on its default host and on 0.0.0.0). Games are saved by name in the
server's games folder only: a name that is a path is refused, each session has its own default name, and a
downloaded game uploads to the same game. The browser is tests/browser.py's ``chromium_page`` (registered in
conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import run
from analysis.replay import map_state, replay
from analysis.theatre_map import MapOptions, draw_map, objective_status
from app.live_map import LiveMap, Spot, spot_at
from app.story import briefing, headline
from app.webapp import MAP_DPI, MAP_MIN_PX, Classroom, model_params, settings_of, side_names
from sim.play import Game, contact_places, sighted
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_games_folder_that_cannot_be_one_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert run.main(["serve", "--games", str(blocker)]) == 2
    assert capsys.readouterr().err == f"error: {blocker}: is a file, not a folder: choose another --games\n"


def test_a_click_chooses_the_formation_under_it_else_the_nearest_place_within_reach():
    spots = [Spot("place", "a", 0.5, 0.5), Spot("place", "b", 0.6, 0.5),
             Spot("formation", "f", 0.52, 0.5, 0.01, 0.02), Spot("formation", "g", 0.53, 0.5, 0.01, 0.02)]
    assert spot_at(spots, 0.52, 0.51, 1.0).key == "f"  # on both markers: the nearer
    assert spot_at(spots, 0.535, 0.49, 1.0).key == "g"
    assert spot_at(spots, 0.50, 0.53, 1.0).key == "a"  # off the markers: the nearest place
    assert spot_at(spots, 0.58, 0.5, 1.0).key == "b"
    assert spot_at(spots, 0.5, 0.545, 1.0) is None  # 0.045 from a: beyond reach (0.04 of the width)
    assert spot_at(spots, 0.5, 0.545, 0.5).key == "a"  # a flat picture: 0.045 of its height is 0.0225 of its width


def test_sides_are_offered_by_their_names_and_played_by_their_ids():
    model = Classroom(side="Opposition")
    assert model.side == "rebels"
    assert settings_of(model)["side"] == "Opposition"  # what the sidebar shows after a load or branch
    offered = model_params()["side"]["values"]
    assert {"Opposition", "Government coalition", "Islamic State"} <= set(offered) and "rebels" not in offered
    twins = SimpleNamespace(sides={"a": SimpleNamespace(name="Militia"), "b": SimpleNamespace(name="Militia"),
                                   "c": SimpleNamespace(name="Army")})
    assert side_names(twins) == {"Militia (a)": "a", "Militia (b)": "b", "Army": "c"}


def _blocks(pixels: np.ndarray, size: int = 8) -> np.ndarray:
    """The mean colour of each ``size`` x ``size`` block (JPEG's noise and a label's sub-pixel move average out)."""
    h, w = pixels.shape[0] // size * size, pixels.shape[1] // size * size
    return pixels[:h, :w].reshape(h // size, size, w // size, size, 3).mean(axis=(1, 3))


@pytest.mark.parametrize("path", [ROOT / "scenarios" / "historical.yaml", ROOT / "scenarios/kobani/kobani.yaml"])
def test_the_live_map_and_its_key_are_the_reports_map_of_the_day(path):
    """Drawn day after day, as in a game (backgrounds, the key and labels made once and used again), the pictures
    the page shows are the report's map of the same day, cut in two (8 x 8 blocks within 12 levels of 255: JPEG)."""
    scenario = load_scenario(path)
    live = LiveMap(scenario, MAP_DPI)
    for state in itertools.islice(replay(scenario, 1), 41):
        picture = live.picture(state)
        if state.day not in (0, 20, 40):
            continue
        drawing = draw_map(scenario, state, MapOptions(dpi=MAP_DPI))
        report = drawing.figure.canvas
        report.draw()
        full = np.asarray(report.buffer_rgba())[..., :3].astype(float)
        for box, jpeg in ((live._map_box(), picture.map), (live.key_box, picture.key)):
            x0, y0, x1, y1 = (int(v) for v in box.extents)
            shown = np.asarray(Image.open(io.BytesIO(jpeg))).astype(float)
            off = np.abs(_blocks(full[len(full) - y1:len(full) - y0, x0:x1]) - _blocks(shown)).max(axis=2)
            assert (off > 12).mean() < 0.005, (path.stem, state.day)
        assert picture.title == drawing.title
        assert picture.caption == tuple(drawing.caption.get_text().splitlines())


def test_the_headline_and_the_maps_title_agree_whether_the_objective_is_cut_off(historical_path):
    game = Game(historical_path, 1, None)
    days_cut_off = 0
    while not game.over:
        game.step()
        cut_off = "cut off" in objective_status(map_state(game.model, 0), game.scenario)
        assert cut_off == ("cut off" in headline(game)), headline(game)
        days_cut_off += cut_off
    assert days_cut_off > 0


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
def games_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's games folder (inside a folder of its own, to see that nothing is written beside it)."""
    return tmp_path_factory.mktemp("classroom") / "games"


@contextlib.contextmanager
def serving(games_dir: Path, host: str | None = None) -> Iterator[str]:
    """``run.py serve`` on a free port (on ``host``, else its default) with a games folder of its own; its address
    by the local interface; stopped at the end."""
    port = free_port()
    where = ["--host", host] if host else []
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port), *where,
                               "--games", str(games_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
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


@pytest.fixture(scope="module")
def app_url(games_dir: Path) -> Iterator[str]:
    """The app with its default host."""
    with serving(games_dir) as url:
        yield url


@pytest.fixture(scope="module")
def classroom_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app as a classroom serves it, on every interface (``--host 0.0.0.0``), reached at 127.0.0.1."""
    with serving(tmp_path_factory.mktemp("classroom-any") / "games", "0.0.0.0") as url:
        yield url


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label`` (a Vuetify select)."""
    page.locator(".v-select", has=page.locator(f"label:text-is('{label}')")).first.click()
    page.locator(".menuable__content__active .v-list-item",
                 has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first.click()


def image(page, n: int) -> str:
    return page.locator("img").nth(n).get_attribute("src")


def charts(page) -> list[str]:
    """The points of every line of the charts (inline SVG)."""
    return [line.get_attribute("points") for line in page.locator("svg polyline").all()]


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    page.get_by_text("Day 0, 4 April 2013").first.wait_for(timeout=60_000)


@pytest.mark.e2e
def test_the_server_binds_the_local_address_by_default(app_url):
    port = int(app_url.rsplit(":", 1)[1].strip("/"))
    assert listening_addresses(port) == {"127.0.0.1"}


@pytest.mark.e2e
def test_choose_a_scenario_and_step(app_url, chromium_page):
    page = chromium_page
    open_app(page, app_url)
    choose(page, "Scenario", "direct_assault")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_timeout(2000)
    map0, chart0 = image(page, 0), charts(page)
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert image(page, 0) != map0 and charts(page) != chart0
    for _ in range(5):
        page.get_by_role("button", name="Step").click()
        page.wait_for_timeout(700)
    page.get_by_text("Day 6, 10 April 2013").first.wait_for(timeout=30_000)
    assert page.locator("li").count() > 0  # the story has events
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_text("Engagements").first.wait_for()
    assert not page.console_errors


@pytest.mark.e2e
def test_play_an_order_save_and_reload(app_url, chromium_page, games_dir):
    page = chromium_page
    open_app(page, app_url)
    choose(page, "You command", "Opposition")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("You command the Opposition").wait_for(timeout=30_000)
    choose(page, "Formation", "Farouq Brigades Abil battalion")
    choose(page, "Order", "move")
    choose(page, "Place", "Homs")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("refused: Homs is held by the enemy").wait_for(timeout=30_000)
    choose(page, "Order", "attack")
    choose(page, "Place", "Shinshar")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("ok: Farouq Brigades Abil battalion: attack Shinshar").wait_for(timeout=30_000)
    row = page.locator("tr", has_text="Abil battalion")
    assert "\tAbil\t" in row.inner_text()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    day1 = row.inner_text()
    assert "\tShinshar\t" in day1  # the order took effect: the battalion went into Shinshar
    saved = games_dir / "order-test.yaml"
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Game name").fill("order-test")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("saved day 1 as order-test").wait_for(timeout=30_000)
    assert saved.exists()
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 2, 6 April 2013").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("loaded order-test at day 1").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.locator("tr", has_text="Abil battalion").inner_text() == day1
    assert not page.console_errors


def save_load_tab(page, url: str) -> None:
    open_app(page, url)
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Game name").wait_for(timeout=30_000)


def save_as(page, name: str) -> None:
    page.get_by_label("Game name").fill(name)
    page.get_by_role("button", name="Save", exact=True).click()


@pytest.mark.e2e
def test_saving_outside_the_games_folder_is_impossible(app_url, chromium_page, games_dir):
    page = chromium_page
    save_load_tab(page, app_url)
    around = sorted(games_dir.parent.rglob("*"))
    outside = ["../escaped", "../../escaped", "/tmp/escaped", "sub/escaped", "escaped.yaml", "..", "a b"]
    for name in outside:
        save_as(page, name)
        page.get_by_text(f"refused: game name: {name!r} is not one").wait_for(timeout=30_000)
        page.get_by_role("button", name="Load", exact=True).click()
        page.get_by_text(f"refused: game name: {name!r} is not one").wait_for(timeout=30_000)
    assert sorted(games_dir.parent.rglob("*")) == around
    assert not list(ROOT.rglob("escaped*")) and not Path("/tmp/escaped").exists()
    assert "Traceback" not in page.locator("body").inner_text()
    assert not page.console_errors


@pytest.mark.e2e
def test_each_session_has_its_own_name_and_does_not_replace_anothers_game(app_url, chromium_browser, games_dir):
    pages = [chromium_browser.new_page() for _ in range(2)]
    try:
        for page in pages:
            save_load_tab(page, app_url)
        names = [page.get_by_label("Game name").input_value() for page in pages]
        assert all(re.fullmatch(r"game-[0-9a-f]{6}", name) for name in names) and names[0] != names[1]
        first, second = pages
        save_as(first, "shared")
        first.get_by_text("saved day 0 as shared").wait_for(timeout=30_000)
        save_as(first, "shared")  # its own game: replaced
        first.get_by_text("saved day 0 as shared").wait_for(timeout=30_000)
        before = (games_dir / "shared.yaml").read_bytes()
        save_as(second, "shared")
        second.get_by_text("refused: shared: a saved game of this name exists").wait_for(timeout=30_000)
        assert (games_dir / "shared.yaml").read_bytes() == before
        second.locator("label", has_text="Overwrite").click()
        second.get_by_role("button", name="Save", exact=True).click()
        second.get_by_text("saved day 0 as shared").wait_for(timeout=30_000)
    finally:
        for page in pages:
            page.close()


def drop_file(page, name: str, text: str) -> None:
    """Hand a file to the upload zone as a drop does (a synthetic drop carries no file entries in Chromium)."""
    page.locator(".solara-file-drop").evaluate(
        "(zone, [name, text]) => { const vm = zone.__vue__; const file = new File([text], name);"
        " vm.native_file_info = [file]; vm.file_info = [{name, isFile: true, size: file.size}]; }", [name, text])


@pytest.mark.e2e
def test_a_downloaded_game_uploads_to_the_same_game(app_url, chromium_page, games_dir):
    page = chromium_page
    open_app(page, app_url)
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
        page.wait_for_timeout(700)
    page.get_by_text("Day 3, 7 April 2013").first.wait_for(timeout=30_000)
    story = page.locator("li").all_inner_texts()
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Game name").fill("trip")
    with page.expect_download() as download:
        page.get_by_text("Download this game").click()
    assert download.value.suggested_filename == "trip.yaml"
    text = Path(download.value.path()).read_text()
    assert "day: 3.0" in text
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_text("Day 0, 4 April 2013").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 1").click()
    drop_file(page, "trip.yaml", text)
    page.get_by_text("loaded trip.yaml at day 3: Save to keep it").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_text("Day 3, 7 April 2013").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.locator("li").all_inner_texts() == story
    page.get_by_role("tab", name="Page 1").click()
    drop_file(page, "bad.yaml", text.replace("day: 3.0", "day: [3]"))
    page.get_by_text("refused: bad.yaml: day:").wait_for(timeout=60_000)
    drop_file(page, "nested.yaml", "[" * 5000)
    page.get_by_text(re.compile(r"refused: (nested\.yaml|not a saved game this app can read)")).wait_for(
        timeout=60_000)
    assert "Traceback" not in page.locator("body").inner_text()
    assert not list(games_dir.glob(".upload-*"))


def play_side(page, url: str, side: str, fog: str = "off") -> None:
    open_app(page, url)
    choose(page, "You command", side)
    choose(page, "Fog of war", fog)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("You command the").wait_for(timeout=30_000)


def enemy_rows(page) -> list[str]:
    """The formation names of the enemy table (the second table of the orders)."""
    return [row.locator("td").first.inner_text() for row in page.locator("table.orders").nth(1).locator("tr").all()
            if row.locator("td").count()]


@pytest.mark.e2e
def test_a_side_is_briefed_and_knows_only_its_own_reinforcements(app_url, chromium_page, historical_path):
    page = chromium_page
    play_side(page, app_url, "Opposition")
    game = Game(historical_path, 1, "rebels")
    brief = briefing(game, "rebels")
    for head, lines in brief.items():
        page.get_by_text(head, exact=True).first.wait_for(timeout=30_000)
        for line in lines:
            page.get_by_text(line, exact=True).first.wait_for(timeout=30_000)
    assert "Aleppo convoy" in page.locator("body").inner_text()  # the rebels' own reinforcement
    assert "1st Armoured Division" not in page.locator("body").inner_text()  # the enemy's, arriving on day 9
    assert not page.console_errors


@pytest.mark.e2e
def test_fog_of_war_shows_the_enemy_in_contact_as_reports(app_url, chromium_page, historical_path):
    # the government's side: on day 0 it is in contact with 9 of the 20 rebel formations in the field (the
    # rebels see every one of the government's 6, so the fog would hide nothing from them)
    page = chromium_page
    play_side(page, app_url, "Government coalition", fog="on")
    page.get_by_text("Enemy in contact (reports)").wait_for(timeout=30_000)
    game = Game(historical_path, 1, "government")
    m = game.model
    seen = contact_places(m, "government")
    expected = [f.label for f in game.formations("rebels") if f.active and sighted(m, "government", f, seen)]
    assert enemy_rows(page) == expected
    assert "(reported)" in page.locator("table.orders").nth(1).inner_text()
    choose(page, "Fog of war", "off")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Enemy formations in the field").wait_for(timeout=30_000)
    assert len(enemy_rows(page)) > len(expected)


@pytest.mark.e2e
def test_the_debrief_on_demand(app_url, chromium_page):
    page = chromium_page
    play_side(page, app_url, "Opposition")
    choose(page, "Formation", "Farouq Brigades Abil battalion")
    choose(page, "Order", "attack")
    choose(page, "Place", "Shinshar")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("ok: Farouq Brigades Abil battalion: attack Shinshar").wait_for(timeout=30_000)
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Debrief now").click()
    page.get_by_text("Against doctrine and history").wait_for(timeout=120_000)
    text = page.locator("body").inner_text()
    assert "doctrine alone: day" in text and "history: 5 May 2013 (day 31)" in text
    assert "4 April 2013 (day 0): Farouq Brigades Abil battalion attack Shinshar - Shinshar" in text
    assert not page.console_errors


def sit(page, url: str, table: str, seat: str) -> None:
    open_app(page, url)
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Table name").fill(table)
    choose(page, "Seat", seat)
    page.get_by_role("button", name="Sit at table").click()
    page.get_by_text(f"at table {table} as {seat}").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 0").click()


@pytest.mark.e2e
@pytest.mark.parametrize("server", ["app_url", "classroom_url"])
def test_two_players_and_an_umpire_share_a_turn(server, request, chromium_people):
    url = request.getfixturevalue(server)
    if server == "classroom_url":
        assert listening_addresses(int(url.rsplit(":", 1)[1].strip("/"))) == {"0.0.0.0"}
    pages = [chromium_people().new_page() for _ in range(3)]  # three people, each with a browser of their own
    errors: list[str] = []
    for page in pages:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    rebels, government, umpire = pages
    sit(rebels, url, "class-a", "Opposition")
    sit(government, url, "class-a", "Government coalition")
    sit(umpire, url, "class-a", "umpire")
    rebels.get_by_text("You command the Opposition").wait_for(timeout=30_000)
    government.get_by_text("You command the Government coalition").wait_for(timeout=30_000)
    umpire.get_by_text("Umpire of table class-a").wait_for(timeout=30_000)
    rebels.get_by_text("Enemy in contact (reports)").wait_for(timeout=30_000)  # players see through the fog
    choose(rebels, "Formation", "Farouq Brigades Abil battalion")
    choose(rebels, "Order", "attack")
    choose(rebels, "Place", "Shinshar")
    rebels.get_by_role("button", name="Give order").click()
    rebels.get_by_text("ok: Farouq Brigades Abil battalion: attack Shinshar (when the turn resolves)").wait_for(
        timeout=30_000)
    rebels.get_by_role("button", name="Step").click()
    rebels.get_by_text("waiting for Government coalition").first.wait_for(timeout=30_000)
    assert "Day 0, 4 April 2013" in government.locator("body").inner_text()
    government.get_by_role("button", name="Step").click()
    for page in pages:  # the turn resolved for everyone, the waiting player's page included
        page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
    # the orders table is redrawn after the day's header: wait for its row rather than read it at once
    rebels.locator("tr", has_text="Abil battalion").filter(has_text="Shinshar").first.wait_for(timeout=30_000)
    assert "\tShinshar\t" in rebels.locator("tr", has_text="Abil battalion").inner_text()
    umpire.get_by_role("button", name="Step").click()  # the umpire advances without waiting
    for page in pages:
        page.get_by_text("Day 2, 6 April 2013").first.wait_for(timeout=30_000)
    assert not errors


OVERFLOWING = """() => [...document.querySelectorAll('.vue-grid-item *')]
    .filter(e => (e.innerText || '').trim() && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 8)
    .map(e => e.innerText.slice(0, 60))"""  # text wider than its box


@pytest.mark.e2e
@pytest.mark.parametrize("width, height", [(1400, 900), (1024, 768)])
def test_the_map_and_the_orders_can_be_read_at_a_projectors_sizes(app_url, chromium_page, width, height):
    page = chromium_page
    page.set_viewport_size({"width": width, "height": height})
    play_side(page, app_url, "Opposition")
    page.locator("table.orders").first.wait_for(timeout=30_000)
    page.get_by_text("4 April 2013  (day 0)  ·  al-Qusayr supplied").wait_for(timeout=30_000)  # the map's title
    page.get_by_text("No capture, cut-off, reconnection or surrender on this day.").wait_for()  # and caption
    map_box, key_box = (page.locator("img").nth(i).bounding_box() for i in range(2))
    if width >= 1400:  # the key beside the map, the two across the page
        assert key_box["y"] == map_box["y"]
        assert key_box["x"] + key_box["width"] - map_box["x"] >= 900
    else:  # the map across the page, the key under it
        assert map_box["width"] >= MAP_MIN_PX
        assert key_box["y"] >= map_box["y"] + map_box["height"]
    assert page.evaluate(OVERFLOWING) == []  # nothing cut off at the side of its cell
    assert select_text(page, "Seed").split()[-1] == "1"  # the settings show their values
    assert select_text(page, "Orders every (days)").split()[-1] == "1"
    assert page.get_by_text("This website runs on").count() == 0  # no banner over the page's text
    if width >= 1400:  # on a projector, the sidebar hidden: the map alone 900 px wide, stepped from beside it
        page.locator(".v-app-bar button").first.click()
        page.wait_for_function("() => document.images[0].getBoundingClientRect().width >= 900", timeout=30_000)
        page.get_by_role("button", name="Next turn").click()
        page.get_by_text("Day 1, 5 April 2013").first.wait_for(timeout=30_000)
        page.get_by_text("5 April 2013  (day 1)").wait_for(timeout=30_000)
    assert not page.console_errors


def select_text(page, label: str) -> str:
    """What the select labelled ``label`` shows."""
    return page.locator(".v-select", has=page.locator(f"label:text-is('{label}')")).first.inner_text()


def click_spot(page, spot: Spot) -> None:
    box = page.locator("img").first.bounding_box()
    page.locator("img").first.click(position={"x": spot.x * box["width"], "y": spot.y * box["height"]})


@pytest.mark.e2e
def test_click_the_map_to_choose_a_formation_and_its_target(app_url, chromium_page, historical_path):
    page = chromium_page
    play_side(page, app_url, "Opposition")
    game = Game(historical_path, 1, "rebels")
    live = LiveMap(game.scenario, MAP_DPI)
    state = map_state(game.model, len(game.model.events))
    spots = {s.key: s for s in live.picture(state).spots}
    click_spot(page, spots["farouq_abil"])
    page.locator(".v-select", has_text="Farouq Brigades Abil battalion").first.wait_for(timeout=30_000)
    assert "Farouq Brigades Abil battalion" in select_text(page, "Formation")
    click_spot(page, spots["shinshar"])
    page.locator(".v-select", has_text="Shinshar").first.wait_for(timeout=30_000)
    assert "Shinshar" in select_text(page, "Place")
    click_spot(page, spots["ndf_homs"])  # an enemy formation: its place is the target
    page.locator(".v-select", has_text="Homs").first.wait_for(timeout=30_000)
    assert "Farouq Brigades Abil battalion" in select_text(page, "Formation")
    assert "Homs" in select_text(page, "Place")
    click_spot(page, spots["shinshar"])
    page.locator(".v-select", has_text="Shinshar").first.wait_for(timeout=30_000)
    choose(page, "Order", "attack")
    page.get_by_role("button", name="Give order").click()
    page.get_by_text("ok: Farouq Brigades Abil battalion: attack Shinshar").wait_for(timeout=30_000)
    click_spot(page, spots["fsa_shamsin"])  # another formation: its target starts empty
    page.locator(".v-select", has_text="Free Syrian Army Shamsin battalion").first.wait_for(timeout=30_000)
    assert select_text(page, "Place").strip() in ("", "Place")
    assert not page.console_errors


def sidebar(page) -> str:
    return page.locator(".v-navigation-drawer").first.inner_text()


@pytest.mark.e2e
def test_the_sidebar_shows_a_loaded_or_branched_game_and_its_date(app_url, chromium_page):
    page = chromium_page
    open_app(page, app_url)
    page.locator(".v-navigation-drawer", has_text="4 April 2013, day 0 of 65").wait_for(timeout=30_000)
    choose(page, "Scenario", "direct_assault")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_timeout(2000)
    for day in (1, 2):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Day {day}, {4 + day} April 2013").first.wait_for(timeout=30_000)
    page.locator(".v-navigation-drawer", has_text="6 April 2013, day 2 of").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Page 1").click()
    page.get_by_label("Game name").fill("sidebar-test")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("saved day 2 as sidebar-test").wait_for(timeout=30_000)
    choose(page, "Scenario", "historical")  # the sidebar changed, the game not yet
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("loaded sidebar-test at day 2").wait_for(timeout=30_000)
    assert "direct_assault" in select_text(page, "Scenario")
    choose(page, "Branch as", "Opposition")
    page.get_by_role("button", name="Branch", exact=True).click()
    page.get_by_text("branched sidebar-test at day 2").wait_for(timeout=30_000)
    assert "Opposition" in select_text(page, "You command") and "direct_assault" in select_text(page, "Scenario")
    assert "6 April 2013, day 2 of" in sidebar(page)
    page.get_by_role("tab", name="Page 0").click()
    page.get_by_text("You command the Opposition").wait_for(timeout=30_000)
    page.get_by_role("button", name="Reset").click()  # Reset plays the sidebar's settings: the branched game's
    page.get_by_text("Day 0, 4 April 2013").first.wait_for(timeout=30_000)
    page.get_by_text("You command the Opposition").wait_for(timeout=30_000)
    page.locator(".v-navigation-drawer", has_text="4 April 2013, day 0 of").wait_for(timeout=30_000)
    page.get_by_role("button", name="Step").click()
    page.locator(".v-navigation-drawer", has_text="5 April 2013, day 1 of").wait_for(timeout=30_000)
    assert "A direct assault on the town" in page.locator("h3").first.inner_text()
    assert not page.console_errors

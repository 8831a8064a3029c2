"""The second theatre, the siege of Kobani (scenarios/kobani/), through every command: run, compare, batch,
fidelity, calibrate, report, play and serve (with the saved-game format). Few, short runs: the numbers are
checked for shape and for the mechanism the scenario is built on (the town's back door to Turkey keeps it
supplied; sealing the gate cuts it off), not for their values.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.play import Game, load_game
from tests.test_webapp import choose, free_port, listening_addresses

ROOT = Path(__file__).resolve().parents[1]
KOBANI = ROOT / "scenarios" / "kobani" / "kobani.yaml"
SEALED = ROOT / "scenarios" / "kobani" / "counterfactuals" / "kobani_border_closed.yaml"
COUNTERFACTUALS = sorted((ROOT / "scenarios" / "kobani" / "counterfactuals").glob("*.yaml"))
RUN = [sys.executable, str(ROOT / "run.py")]


def run(*args: str, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*RUN, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout)


def test_every_counterfactual_starts_with_the_question_it_asks() -> None:
    assert len(COUNTERFACTUALS) >= 3
    for path in COUNTERFACTUALS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# What if") and first.endswith("?"), path.name
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["extends"] == "../kobani.yaml"


@pytest.mark.e2e
def test_run_the_town_stays_supplied_through_the_gate_and_sealing_it_cuts_the_town_off(tmp_path: Path) -> None:
    for scenario, out in ((KOBANI, tmp_path / "open"), (SEALED, tmp_path / "sealed")):
        done = run("run", str(scenario), "--seed", "1", "--out", str(out))
        assert done.returncode == 0, done.stderr
    open_gate = json.loads((tmp_path / "open" / "summary.json").read_text(encoding="utf-8"))
    sealed = json.loads((tmp_path / "sealed" / "summary.json").read_text(encoding="utf-8"))
    assert open_gate["start_date"] == "2014-09-16" and open_gate["objective"] == "kobani"
    assert open_gate["encirclement_day"] is None  # supplied from Suruç to the end
    assert sealed["encirclement_day"] is not None  # the fields by Tall Shair alone cannot keep it open
    assert {"isil", "ypg_allies"} == set(open_gate["casualties_by_side"])


@pytest.mark.e2e
def test_compare_batch_and_report(tmp_path: Path) -> None:
    out = tmp_path / "compare"
    done = run("compare", str(KOBANI), *map(str, COUNTERFACTUALS), "--runs", "2", "--workers", "1",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(out / "scores.csv")
    assert sorted(scores["scenario"]) == sorted(["kobani", *(p.stem for p in COUNTERFACTUALS)])
    report = run("report", str(out), "--no-animation")
    assert report.returncode == 0, report.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Kobani" in html and "al-Qusayr" not in html
    batch = run("batch", str(KOBANI), "--runs", "2", "--workers", "1", "--out", str(tmp_path / "batch"))
    assert batch.returncode == 0, batch.stderr
    runs = pd.read_parquet(tmp_path / "batch" / "runs.parquet")
    assert list(runs["status"]) == ["ok", "ok"]


@pytest.mark.e2e
def test_fidelity_measures_kobani_against_its_own_record(tmp_path: Path) -> None:
    done = run("fidelity", "--scenario", str(KOBANI), "--runs", "2", "--workers", "1", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "day 0 = 2014-09-16" in done.stdout and "held in history" in done.stdout
    report = json.loads((tmp_path / "fidelity.json").read_text(encoding="utf-8"))
    assert report["fall_day_recorded"] is None and "objective_held" in report["targets"]
    assert {r["place"] for r in report["capture_table"]} == {"alishar", "tall_shair", "mistanour"}
    assert set(report["held_back"]["killed_recorded"]) == {"isil", "ypg_allies"}


@pytest.mark.e2e
def test_calibrate_kobani_on_a_small_budget(tmp_path: Path) -> None:
    done = run("calibrate", "--scenario", str(KOBANI), "--budget", "2", "--runs", "1", "--batch", "2",
               "--check-runs", "1", "--workers", "1", "--out", str(tmp_path), timeout=600)
    assert done.returncode == 0, done.stderr
    block = yaml.safe_load((tmp_path / "parameters.yaml").read_text(encoding="utf-8"))["parameters"]
    assert "attack_ratio" in block
    assert "calibrated on the record to 14 October 2014" in (tmp_path / "parameters.yaml").read_text()
    result = json.loads((tmp_path / "calibration.json").read_text(encoding="utf-8"))
    assert result["base"].endswith("kobani.yaml") and result["chosen_report"]["runs"] == 1


@pytest.mark.e2e
def test_play_kobani_in_the_terminal_and_save_in_the_neutral_format(tmp_path: Path) -> None:
    save = tmp_path / "game.yaml"
    script = "\n".join(["list", "hold ypg_tall_shair", "next", f"save {save}", "quit"]) + "\n"
    done = run("play", str(KOBANI), "--side", "ypg_allies", stdin=script, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Day 1, 17 September 2014" in done.stdout and f"saved day 1 to {save}" in done.stdout
    assert yaml.safe_load(save.read_text(encoding="utf-8"))["format"] == "siege-game/1"


def test_a_game_saved_under_the_old_format_name_still_loads(tmp_path: Path) -> None:
    game = Game(KOBANI, seed=2, side="isil")
    game.step()
    path = game.save(tmp_path / "game.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(data | {"format": "qusayr-game/1"}), encoding="utf-8")
    loaded = load_game(path)
    assert loaded.day == game.day and loaded.model.control == game.model.control


@pytest.mark.e2e
def test_serve_refuses_a_missing_scenario_before_starting() -> None:
    done = run("serve", "--scenario", "scenarios/kobani/nowhere.yaml", timeout=60)
    assert done.returncode == 2 and done.stderr.endswith("nowhere.yaml: file not found\n")
    empty = run("serve", "--scenarios", "docs", timeout=60)
    assert empty.returncode == 2 and "no scenario files" in empty.stderr


@pytest.fixture
def kobani_app() -> Iterator[str]:
    """``run.py serve --scenario`` with Kobani's historical scenario and one counterfactual."""
    port = free_port()
    server = subprocess.Popen([*RUN, "serve", "--scenario", str(KOBANI), "--scenario", str(SEALED), "--port",
                               str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True)
    try:
        for _ in range(180):
            if listening_addresses(port) or server.poll() is not None:
                break
            time.sleep(0.5)
        assert listening_addresses(port), server.stdout.read() if server.poll() is not None else "not listening"
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.e2e
def test_serve_offers_the_given_scenarios_with_their_briefing_and_sides(kobani_app: str, chromium_page) -> None:
    page = chromium_page
    page.goto(kobani_app)
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    page.get_by_text("Historical: the siege of Kobani, September 2014 - January 2015").wait_for(timeout=60_000)
    page.get_by_text("Day 0, 16 September 2014").first.wait_for(timeout=60_000)
    assert page.get_by_text("YPG and allies (defender").count() == 1
    choose(page, "You command", "YPG and allies")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("You command the YPG and allies").wait_for(timeout=30_000)
    choose(page, "Scenario", "kobani_border_closed")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("The border gate sealed").first.wait_for(timeout=30_000)
    assert "al-Qusayr" not in page.content()
    assert not page.console_errors

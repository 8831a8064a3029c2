"""Historical fidelity (analysis/fidelity.py) against al-Qusayr's record and the calibration search
(analysis/calibrate.py). The record format itself is tested in tests/test_record.py.

The measurement is tested on hand-made run summaries whose right answers are known; the search on a tiny
budget in this process (a thread executor), never a full calibration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from analysis.calibrate import SEARCH_SPACE, Budget, calibrate, latin_hypercube, parameters_block, shrunken_box
from analysis.fidelity import capture_row, fidelity_report, fit_loss, relative_error, simulated_day
from sim.parameters import SPECS, Parameters, apply_overrides
from sim.record import DatedCapture, Record, load_record
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HISTORICAL = ROOT / "scenarios" / "historical.yaml"
HEADLINE = ("runs", "fall_day_median", "captures_within_7_days_share", "capture_order_spearman", "killed")
SPLIT_DAY = 39  # 13 May 2013 in al-Qusayr's record


@pytest.fixture(scope="module")
def record() -> Record:
    loaded = load_record(load_scenario(HISTORICAL))
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def captures(record: Record) -> list[DatedCapture]:
    return record.captures()


def summary(captures: list[tuple[str, float, str]], fall: float | None = 62.0, killed: tuple[int, int] = (775, 330),
            hezbollah: int = 140) -> dict[str, Any]:
    """A run summary with just what fidelity reads: captures (place, day, by), fall day and losses."""
    return {
        "days": 65.0, "objective": "al_qusayr", "objective_fall_day": fall,
        "objective_first_capture_day": fall, "objective_changes_of_hands": int(fall is not None),
        "objective_battle_days": None if fall is None else 17.0, "encirclement_day": 31.0, "cut_episodes": 1,
        "captures_unopposed": 0,
        "captures": [{"place": p, "day": d, "by": by} for p, d, by in captures],
        "casualties_by_side": {"rebels": {"killed": killed[0]}, "government": {"killed": killed[1]}},
        "casualties": {"hezbollah": {"side": "government", "killed": hezbollah}},
    }


def as_recorded(captures: list[DatedCapture], shift: float = 0.0) -> dict[str, Any]:
    """A run that reproduces the record exactly (every capture ``shift`` days late)."""
    return summary([(c.place, c.day + shift, c.side) for c in captures if c.place != "al_qusayr"], 62.0 + shift)


# ---------------------------------------------------------------- the record


def test_the_record_gives_every_dated_capture_once_per_place(record: Record, captures: list[DatedCapture]
                                                              ) -> None:
    assert (record.split_day, record.fall_day, record.encirclement_day, record.first_assault_day) == (39, 62, 31, 45)
    assert len(captures) == 22
    abil = [(c.side, c.day, c.occurrence) for c in captures if c.place == "abil"]
    assert abil == [("government", 14, 1), ("rebels", 37, 1), ("government", 38, 2)]
    north = [c.place for c in captures if c.day == 39]  # one row naming three places
    assert north == ["damina_gharbiyah", "haidariyeh", "ish_al_warwar"]
    assert sum(c.day <= SPLIT_DAY for c in captures) == 13
    assert {c.side for c in captures} == {"government", "rebels"}


# ---------------------------------------------------------------- matching runs to the record


def test_the_nth_capture_in_the_record_is_matched_with_the_nth_in_the_run(captures: list[DatedCapture]) -> None:
    abil_gov = [c for c in captures if c.place == "abil" and c.side == "government"]
    run = summary([("abil", 11, "government"), ("abil", 30, "rebels"), ("abil", 33, "government")])
    assert [simulated_day(run, c, "government") for c in abil_gov] == [11.0, 33.0]
    once = summary([("abil", 11, "government")])
    assert simulated_day(once, abil_gov[1], "government") == 66.0  # never retaken: censored one day past the end


def test_the_objective_counts_from_its_fall_not_its_first_entry(captures: list[DatedCapture]) -> None:
    town = next(c for c in captures if c.place == "al_qusayr")
    entered = [("al_qusayr", 45, "government"), ("al_qusayr", 50, "rebels"), ("al_qusayr", 60, "government")]
    assert simulated_day(summary(entered, fall=60.0), town, "government") == 60.0
    assert simulated_day(summary(entered, fall=None), town, "government") == 66.0


def test_a_capture_that_never_happened_is_missed_even_next_to_the_end(record: Record,
                                                                     captures: list[DatedCapture]) -> None:
    last = captures[-1]
    assert last.day == 65
    row = capture_row([summary([])] * 3, last, record)
    assert row["sim_median"] == 66.0 and row["taken_share"] == 0.0
    assert not row["within_7_days"]


# ---------------------------------------------------------------- the report


def test_a_run_that_follows_the_record_meets_every_target(record: Record, captures: list[DatedCapture]) -> None:
    report = fidelity_report([as_recorded(captures, shift) for shift in (-2, 0, 3)], record)
    for block in (report, report["held_back"]):
        for key in HEADLINE:
            assert key in block
        assert block["captures_within_7_days_share"] == 1.0
        assert block["capture_order_spearman"] == pytest.approx(1.0)
        assert block["fall_day_median"] == 62.0
        assert block["killed"] == {"rebels": 775, "government": 330}
    assert report["runs"] == 3 and report["held_back"]["captures"] == 9 and report["fitted"]["captures"] == 13
    assert all(t["met"] for t in report["targets"].values())
    assert report["held_back"]["killed_relative_error"]["hezbollah"] == 0.0


def test_the_held_back_block_sees_only_the_record_after_the_split(record: Record,
                                                                 captures: list[DatedCapture]) -> None:
    """Spoil every fitted capture: the held-back keys must not move."""
    good = as_recorded(captures)
    spoiled = summary([(c.place, c.day + (20 if c.day <= SPLIT_DAY else 0), c.side) for c in captures
                       if c.place != "al_qusayr"])
    a, b = fidelity_report([good], record), fidelity_report([spoiled], record)
    assert {k: a["held_back"][k] for k in HEADLINE} == {k: b["held_back"][k] for k in HEADLINE}
    assert b["fitted"]["captures_within_7_days_share"] == 0.0
    assert b["captures_within_7_days_share"] == pytest.approx(9 / 22)


def test_a_reversed_order_and_wrong_losses_miss_their_targets(record: Record, captures: list[DatedCapture]) -> None:
    held = [c for c in captures if c.day > SPLIT_DAY and c.place != "al_qusayr"]
    run = summary([(c.place, 130 - c.day - 60, c.side) for c in held], fall=45.0, killed=(400, 600))
    report = fidelity_report([run], record)
    assert report["held_back"]["capture_order_spearman"] < -0.5
    assert {name for name, t in report["targets"].items() if not t["met"]} == {
        "fall_day", "captures_within_7_days_share", "capture_order_spearman", "killed_rebels", "killed_government"}


def test_relative_error_is_zero_inside_the_recorded_range(record: Record) -> None:
    rebels = record.losses_by_side["rebels"].killed
    assert rebels == (740, 809)
    assert relative_error(780, rebels) == 0.0
    assert relative_error(809 * 1.25, rebels) == pytest.approx(0.25)
    assert relative_error(740 * 0.5, rebels) == pytest.approx(-0.5)


def test_the_fit_loss_is_zero_on_the_record_and_grows_with_the_error(record: Record,
                                                                    captures: list[DatedCapture]) -> None:
    fitted = [c for c in captures if c.day <= SPLIT_DAY]
    losses = [fit_loss([capture_row([as_recorded(captures, shift)], c, record) for c in fitted])
              for shift in (0, 3, 10)]
    assert losses[0] == pytest.approx(0.0)
    assert losses[0] < losses[1] < losses[2]


# ---------------------------------------------------------------- the search


def test_the_search_space_is_inside_the_allowed_ranges_and_holds_the_defaults() -> None:
    defaults = Parameters()
    for d in SEARCH_SPACE:
        meta = SPECS[d.name].metadata
        assert meta["low"] <= d.low < d.high <= meta["high"], d.name
        assert d.low <= getattr(defaults, d.name) <= d.high, d.name


def test_the_latin_hypercube_puts_one_point_in_every_stratum_of_every_range() -> None:
    points = latin_hypercube(SEARCH_SPACE, 10, seed=3)
    assert points == latin_hypercube(SEARCH_SPACE, 10, seed=3)
    for d in SEARCH_SPACE:
        positions = sorted((p[d.name] - d.low) / (d.high - d.low) * 10 for p in points)
        for stratum, position in enumerate(positions):  # within the rounding to 3 significant figures
            assert stratum - 0.01 <= position <= stratum + 1.01, d.name


def test_the_refinement_box_stays_inside_the_ranges() -> None:
    corner = {d.name: d.high for d in SEARCH_SPACE}
    for d, (low, high) in zip(SEARCH_SPACE, shrunken_box(SEARCH_SPACE, corner, 0.25), strict=True):
        assert d.low <= low < high == pytest.approx(d.high)
        assert high - low == pytest.approx((d.high - d.low) * 0.25)


def test_a_tiny_calibration_runs_end_to_end(record: Record) -> None:
    space = SEARCH_SPACE[:2]
    budget = Budget(points=3, runs=1, refine=2, top=1, finalists=2, final_runs=1, check_runs=2, sensitivity_runs=1)
    with ThreadPoolExecutor(max_workers=1) as executor:
        result = calibrate(executor, HISTORICAL, record, budget, seed=5, space=space, progress=lambda _line: None)
    assert [p["stage"] for p in result["points"]] == ["lhs"] * 3 + ["refine"] * 2
    for p in result["points"]:
        assert all(d.low <= p["params"][d.name] <= d.high for d in space)
    assert result["chosen"] == min(result["finalists"], key=lambda f: f["final_loss"])
    for key in ("default_report", "chosen_report"):
        assert result[key]["runs"] == 2 and "held_back" in result[key]
    assert [r["parameter"] for r in result["sensitivity"]] == [d.name for d in space]
    block = yaml.safe_load(parameters_block(result["chosen"]["params"], record, space))["parameters"]
    assert apply_overrides(Parameters(), block, "block") is not None
    assert block == result["chosen"]["params"]
    assert np.isfinite(result["chosen_loss"])


@pytest.mark.e2e
def test_fidelity_on_the_command_line_writes_the_report(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "run.py", "fidelity", "--runs", "2", "--workers", "1", "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "fidelity.json").read_text(encoding="utf-8"))
    for block in (report, report["held_back"]):
        assert all(key in block for key in HEADLINE)
    assert report["runs"] == 2
    assert (tmp_path / "fidelity.png").stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "run.py", "fidelity", "--runs", "0"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


@pytest.mark.e2e
def test_fidelity_and_calibrate_refuse_a_scenario_without_a_record(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"extends: {HISTORICAL}\nname: no record\nrecord: null\n", encoding="utf-8")
    for verb in ("fidelity", "calibrate"):
        proc = subprocess.run([sys.executable, "run.py", verb, "--scenario", str(bare), "--out", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == f"error: {bare}: record: the scenario names no record (record: FILE, see " \
                              "docs/record-format.md), so there is nothing to measure it against\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.yaml"]  # nothing written

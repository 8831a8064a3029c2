"""Historical fidelity (analysis/fidelity.py) against al-Qusayr's record and the calibration search
(analysis/calibrate.py). The record format itself is tested in tests/test_record.py.

The measurement is tested on hand-made run summaries whose right answers are known; the search on a tiny
budget in this process (a thread executor), never a full calibration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from analysis.calibrate import (
    SEARCH_SPACE,
    Budget,
    assault_term,
    cut_term,
    fitted_period,
    loss_terms,
    losses_term,
    on_bounds,
    parameters_block,
    plausible_sets,
    read_journal,
    run_points,
    search,
)
from analysis.fidelity import capture_row, fidelity_report, fit_loss, relative_error, simulated_day
from sim.errors import InputError
from sim.events import Event, EventKind
from sim.parameters import SPECS, Parameters, apply_overrides
from sim.record import DatedCapture, Record, load_record
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HISTORICAL = ROOT / "scenarios" / "historical.yaml"
KOBANI = ROOT / "scenarios" / "kobani" / "kobani.yaml"
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
        "objective_first_sector_day": next((d for p, d, by in captures if p == "al_qusayr" and by == "government"),
                                           None),
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


def _search(journal: Path, trials: int, seed: int = 5) -> list[dict[str, Any]]:
    record = load_record(load_scenario(KOBANI))
    assert record is not None
    budget = Budget(trials=trials, runs=1, batch=2, startup=2)
    with ThreadPoolExecutor(max_workers=1) as executor:
        return search(executor, KOBANI, record, budget, seed, journal, SEARCH_SPACE[:3], progress=lambda _l: None)


def test_the_search_is_a_function_of_its_seed_and_resumes_to_the_same_trials(tmp_path: Path) -> None:
    whole = _search(tmp_path / "a" / "trials.jsonl", 6)
    assert [t["number"] for t in whole] == list(range(6))
    assert whole == _search(tmp_path / "b" / "trials.jsonl", 6)
    assert [t["params"] for t in whole] != [t["params"] for t in _search(tmp_path / "c" / "trials.jsonl", 6, seed=6)]
    journal = tmp_path / "d" / "trials.jsonl"
    _search(journal, 3)  # interrupted after two batches (the second one short) ...
    trimmed = journal.read_text(encoding="utf-8").splitlines()[:2]
    journal.write_text("\n".join(trimmed) + '\n{"number": 2, "par', encoding="utf-8")  # ... while writing
    assert _search(journal, 4) == whole[:4]
    assert [t["number"] for t in read_journal(journal)] == [0, 1, 2, 3]  # the broken line went, nothing hid
    assert _search(journal, 6) == whole
    for t in whole:
        assert all(d.low <= t["params"][d.name] <= d.high for d in SEARCH_SPACE[:3])


def test_a_journal_of_another_calibration_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "trials.jsonl"
    _search(journal, 2)
    with pytest.raises(InputError, match="another calibration"):
        _search(journal, 4, seed=9)


def _fitted_run(first_assault: float | None, killed: list[list[Any]]) -> dict[str, Any]:
    return {"fitted_period": {"split_day": SPLIT_DAY, "first_assault_day": first_assault, "killed": killed}}


def test_the_first_assault_term_only_punishes_assaults_the_record_had_not_made_by_the_split(record: Record) -> None:
    assert record.first_assault_day is not None and record.first_assault_day > SPLIT_DAY
    assert assault_term([_fitted_run(None, [])] * 3, record) == 0.0
    # median assault on day 26: 14 days before the censor day 40, two weeks
    runs = [_fitted_run(d, []) for d in (20.0, 26.0, None)]
    assert assault_term(runs, record) == pytest.approx(2.0)
    dated = dataclasses.replace(record, first_assault_date=record.start_date + dt.timedelta(days=30))
    assert assault_term(runs, dated) == pytest.approx(4 / 7)  # |26 - 30| days, in weeks


def _days(cut: set[int], red_holds_town_from: int | None = None, last: int = 20) -> list[dict[str, Any]]:
    """Daily rows of a run: the town (blue's) cut off on the days in ``cut``; red holding all of it from a day."""
    return [{"day": float(d), "objective_held.blue": 0.0 if red_holds_town_from is not None
             and d >= red_holds_town_from else 1.0, "objective_supplied": d not in cut} for d in range(last + 1)]


def test_the_fitted_period_sees_a_cut_that_lasts_or_is_still_on_at_the_split() -> None:
    short_then_long = _days({2, 3, 6, 7, 8})
    assert fitted_period([], short_then_long, ("town",), "red", "blue", 20, 3.0)["cut_day"] == 6.0  # 2 days: a raid
    assert fitted_period([], short_then_long, ("town",), "red", "blue", 7, 3.0)["cut_day"] == 6.0  # on at the split
    assert fitted_period([], short_then_long, ("town",), "red", "blue", 5, 3.0)["cut_day"] is None  # reconnected


def test_the_fitted_period_does_not_count_the_attackers_capture_of_the_town_as_a_cut() -> None:
    taken = _days(set(range(6, 21)), red_holds_town_from=6)  # no supply reaches the town: red holds all of it
    assert fitted_period([], taken, ("town",), "red", "blue", 20, 3.0)["cut_day"] is None
    cut_then_taken = _days(set(range(3, 21)), red_holds_town_from=8)  # cut off for five days, then taken
    assert fitted_period([], cut_then_taken, ("town",), "red", "blue", 20, 3.0)["cut_day"] == 3.0


def test_the_cut_term_punishes_a_fit_that_does_not_cut_the_town_off_when_the_record_does(record: Record) -> None:
    def runs(*cuts: float | None) -> list[dict[str, Any]]:
        return [{"fitted_period": {"split_day": SPLIT_DAY, "first_assault_day": None, "cut_day": c, "killed": []}}
                for c in cuts]
    recorded = record.encirclement_day
    assert recorded is not None and recorded <= SPLIT_DAY
    assert cut_term(runs(recorded, recorded, None), record) == 0.0
    # never cut by the split: the median counts the day after it
    assert cut_term(runs(None, None, recorded), record) == pytest.approx((SPLIT_DAY + 1 - recorded) / 7)


def test_the_loss_adds_the_cut_off_to_its_other_terms(record: Record) -> None:
    never_cut = [{"objective": record.objective, "days": 65.0, "captures": [], "objective_fall_day": None,
                  "objective_first_sector_day": None,
                  "fitted_period": {"split_day": SPLIT_DAY, "first_assault_day": None, "cut_day": None,
                                    "killed": []}}] * 3
    terms = loss_terms(never_cut, record)
    assert terms["cut"] == pytest.approx((SPLIT_DAY + 1 - record.encirclement_day) / 7)
    assert terms["cut"] > 0
    assert terms["loss"] == pytest.approx(terms["captures"] + terms["first_assault"] + terms["cut"] + terms["losses"])


def test_the_losses_term_measures_the_partial_figures_at_their_places_and_dates(record: Record) -> None:
    assert [(p.side, p.place, p.killed) for p in record.partial_losses] == [
        ("government", "tell_nabi_mando", (40, 40)), ("rebels", "abil", (21, 21))]
    mando_day, abil_day = (p.day for p in record.partial_losses)
    exact = [[mando_day, "tell_nabi_mando", "government", 40], [abil_day, "abil", "rebels", 21],
             [abil_day, "abil", "government", 99], [abil_day + 1, "abil", "rebels", 500]]
    assert losses_term([_fitted_run(None, exact)], record) == 0.0
    half = [[mando_day - 1, "tell_nabi_mando", "government", 20], [abil_day, "kamam", "rebels", 21]]
    assert losses_term([_fitted_run(None, half)], record) == pytest.approx((0.5 + 1.0) / 2)


def test_a_run_reports_nothing_after_the_split_day() -> None:
    events = [Event(day=3, date="", kind=EventKind.ENGAGEMENT, place="town", side="red", other_side="blue",
                    killed=4, enemy_killed=2),
              Event(day=3, date="", kind=EventKind.CAPTURE, place="town", side="red", killed=4),
              Event(day=5, date="", kind=EventKind.RETREAT, place="hill", side="blue", killed=1),
              Event(day=6, date="", kind=EventKind.ENGAGEMENT, place="town", side="red", other_side="blue",
                    killed=7, enemy_killed=7)]
    assert fitted_period(events, _days(set()), ("town",), "red", "blue", 5) == {
        "split_day": 5, "first_assault_day": 3.0, "cut_day": None,
        "killed": [[3, "town", "blue", 2], [3, "town", "red", 4], [5, "hill", "blue", 1]]}
    assert fitted_period(events, _days(set()), ("hill",), "red", "blue", 5)["first_assault_day"] is None


def test_moving_a_held_back_event_does_not_change_the_loss(record: Record) -> None:
    scenario = load_scenario(HISTORICAL)
    with ThreadPoolExecutor(max_workers=1) as executor:
        [runs] = run_points(executor, HISTORICAL, [{}], [1, 2], record.split_day)
    later = [e for e in record.events if e.day > record.split_day]
    assert later
    moved = tuple(dataclasses.replace(e, day=e.day - 20, date=e.date - dt.timedelta(days=20))
                  if e.day > record.split_day + 20 else e for e in record.events)
    shifted = dataclasses.replace(record, events=moved, fall_date=record.fall_date - dt.timedelta(days=3))
    assert loss_terms(runs, record) == loss_terms(runs, shifted)
    earlier = tuple(dataclasses.replace(e, day=e.day + 1) if 0 < e.day <= record.split_day and e.kind == "capture"
                    else e for e in record.events)
    assert loss_terms(runs, record) != loss_terms(runs, dataclasses.replace(record, events=earlier))
    assert scenario.spec.objective == runs[0]["objective"]


def test_plausible_sets_bounds_and_the_parameters_block(record: Record) -> None:
    low = {d.name: d.low for d in SEARCH_SPACE}
    middle = {d.name: (d.low + d.high) / 2 for d in SEARCH_SPACE}
    trials = [{"number": 0, "loss": 1.0, "params": middle}, {"number": 1, "loss": 0.9, "params": low},
              {"number": 2, "loss": 1.3, "params": middle}]
    budget = Budget(tolerance=0.25, max_sets=5)
    assert [t["number"] for t in plausible_sets(trials, budget)] == [1, 0]
    assert [b["parameter"] for b in on_bounds(low)] == [d.name for d in SEARCH_SPACE]
    assert on_bounds(middle) == []
    block_text = parameters_block(low, record)
    assert block_text.count("ON THE LOW BOUND") == len(SEARCH_SPACE)
    block = yaml.safe_load(block_text)["parameters"]
    assert apply_overrides(Parameters(), block, "block") is not None
    assert block == pytest.approx(low)


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

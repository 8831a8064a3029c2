"""The record format (sim/record.py): a scenario's dated events, dates and losses, checked against its map and
sides; and fidelity against a record in which the objective held."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from analysis.fidelity import fidelity_lines, fidelity_report
from sim.errors import InputError
from sim.loader import MAX_FILE_BYTES
from sim.record import Record, load_record
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HISTORICAL = ROOT / "scenarios" / "historical.yaml"
HEADER = "date,kind,place,side,detail\n"
EVENTS = HEADER + ("2013-04-11,capture,tell_nabi_mando,government,hill taken\n"
                   "2013-04-18,capture,abil,government,\n"
                   "2013-05-11,capture,abil,rebels,retaken\n"
                   "2013-05-12,clash,abil,both,\n")
RECORD: dict[str, Any] = {
    "events": "events.csv", "source": "hand-made", "objective_fall": None, "split": "2013-04-30",
    "losses": {"sides": {"rebels": {"killed": [100, 200], "source": "made up", "period": "the whole campaign"}}},
}


def write(tmp_path: Path, record: dict[str, Any] | None = None, events: str = EVENTS, start: str | None = None
          ) -> Path:
    """A scenario extending the historical one with a record of its own in ``tmp_path``; returns its path."""
    (tmp_path / "events.csv").write_text(events, encoding="utf-8")
    (tmp_path / "record.yaml").write_text(yaml.safe_dump(record or RECORD), encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    lines = [f"extends: {HISTORICAL}", "name: with a hand-made record", "record: record.yaml"]
    if start:
        lines.append(f"start_date: {start}")
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scenario


def loaded(path: Path) -> Record:
    record = load_record(load_scenario(path))
    assert record is not None
    return record


def test_a_single_place_column_and_days_from_the_scenario_start(tmp_path: Path) -> None:
    record = loaded(write(tmp_path))
    assert [(c.place, c.side, c.day, c.occurrence) for c in record.captures()] == [
        ("tell_nabi_mando", "government", 7, 1), ("abil", "government", 14, 1), ("abil", "rebels", 37, 1)]
    assert record.fall_day is None and record.split_day == 26
    assert record.events[-1].side == "both" and record.events[0].source == "hand-made"
    assert record.captures()[0].name == "Tell al-Nabi Mando (Kadesh)"  # no place_names column: the map's name
    assert record.losses_by_side["rebels"].killed == (100, 200)
    later = loaded(write(tmp_path, start="2013-04-10"))  # the same record, days from another start
    assert [c.day for c in later.captures()] == [1, 8, 31]


def test_the_record_is_inherited_through_extends(tmp_path: Path) -> None:
    write(tmp_path)
    child = tmp_path / "sub" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../scenario.yaml\nname: child\n", encoding="utf-8")
    assert loaded(child).path == str(tmp_path / "record.yaml")


def test_a_scenario_without_a_record_has_none(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"extends: {HISTORICAL}\nname: no record\nrecord: null\n", encoding="utf-8")
    assert load_record(load_scenario(bare)) is None


@pytest.mark.parametrize(("events", "field", "problem"), [
    (HEADER + "2013-04-11,capture,atlantis,government,\n", "line 2.place", "unknown place 'atlantis'"),
    (HEADER + "2013-04-11,capture,abil,government,\n2013-04-12,capture,abil,rebel,\n", "line 3.side",
     "unknown side 'rebel'"),
    (HEADER + "11 April,capture,abil,government,\n", "line 2.date", "must be a date YYYY-MM-DD"),
    ("date,kind,places,place,side\n", "places", "give exactly one of the columns"),
    ("date,kind,places,side,colour\n", "colour", "unknown column"),
    ("date,places,side\n", "kind", "missing column"),
])
def test_a_bad_events_file_names_the_line_and_column(tmp_path: Path, events: str, field: str, problem: str) -> None:
    path = write(tmp_path, events=events)
    with pytest.raises(InputError) as err:
        loaded(path)
    assert err.value.file == str(tmp_path / "events.csv")
    assert err.value.field == field and problem in err.value.problem


def test_the_events_file_is_read_within_the_limits_of_every_input_file(tmp_path: Path) -> None:
    path = write(tmp_path, events=HEADER + "2013-04-11,capture,abil,government,\n" * (MAX_FILE_BYTES // 30))
    with pytest.raises(InputError) as err:
        loaded(path)
    assert err.value.file == str(tmp_path / "events.csv") and "larger than" in err.value.problem


@pytest.mark.parametrize(("change", "field", "problem"), [
    ({"losses": {"sides": {"rebelz": {"killed": 5, "source": "s", "period": "p"}}}}, "losses.sides.rebelz",
     "not a side of the scenario"),
    ({"losses": {"factions": {"isis": {"killed": 5, "source": "s", "period": "p"}}}}, "losses.factions.isis",
     "not a faction of the scenario"),
    ({"losses": {"sides": {"rebels": {"killed": [9, 3], "source": "s", "period": "p"}}}},
     "losses.sides.rebels.killed", "[low, high]"),
    ({"losses": {"sides": {"rebels": {"killed": 5, "source": "s"}}}}, "losses.sides.rebels.period", "required"),
    ({"split": "2014-01-01"}, "split", "outside the scenario's calendar"),
    ({"objective_fall": "2013-06-40"}, "objective_fall", "date"),
    ({"events": "missing.csv"}, "events", "no such events file"),
    ({"sourse": "typo"}, "sourse", "Extra inputs are not permitted"),
])
def test_a_bad_record_file_names_the_field(tmp_path: Path, change: dict[str, Any], field: str, problem: str
                                           ) -> None:
    path = write(tmp_path, RECORD | change)
    with pytest.raises(InputError) as err:
        loaded(path)
    assert err.value.file == str(tmp_path / "record.yaml")
    assert err.value.field == field and problem in err.value.problem


def test_the_objective_fall_must_be_given_even_when_it_held(tmp_path: Path) -> None:
    path = write(tmp_path, {k: v for k, v in RECORD.items() if k != "objective_fall"})
    with pytest.raises(InputError) as err:
        loaded(path)
    assert err.value.field == "objective_fall"


def summary(fall: float | None, captures: list[tuple[str, float, str]]) -> dict[str, Any]:
    return {"days": 65.0, "objective": "al_qusayr", "objective_fall_day": fall,
            "objective_first_capture_day": fall, "objective_changes_of_hands": int(fall is not None),
            "objective_battle_days": None if fall is None else 10.0, "encirclement_day": None, "cut_episodes": 0,
            "captures_unopposed": len(captures),
            "captures": [{"place": p, "day": d, "by": by} for p, d, by in captures],
            "casualties_by_side": {"rebels": {"killed": 150}, "government": {"killed": 50}}, "casualties": {}}


def test_where_the_objective_held_the_target_is_holding_in_most_runs(tmp_path: Path) -> None:
    record = loaded(write(tmp_path))
    taken = [("tell_nabi_mando", 7, "government"), ("abil", 14, "government"), ("abil", 37, "rebels")]
    held = fidelity_report([summary(None, taken)] * 2 + [summary(60.0, taken)], record)
    assert held["targets"]["objective_held"] == {"value": pytest.approx(2 / 3), "target": ">= 0.5 of runs",
                                                 "met": True}
    assert "fall_day" not in held["targets"]
    assert held["targets"]["killed_rebels"]["met"] and "killed_government" not in held["targets"]
    assert held["held_back"]["exchange_ratio_recorded"] is None  # only one side's losses are recorded
    assert held["fitted"]["captures"] == 2 and held["held_back"]["captures"] == 1
    fell = fidelity_report([summary(60.0, taken)] * 2 + [summary(None, taken)], record)
    assert not fell["targets"]["objective_held"]["met"]
    assert any("held in history" in line for line in fidelity_lines(fell))


@pytest.mark.e2e
def test_fidelity_with_a_bad_record_exits_2_naming_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, events=HEADER + "2013-04-11,capture,abil,government,\n2013-04-12,capture,nowhere,rebels,\n")
    proc = subprocess.run([sys.executable, "run.py", "fidelity", "--scenario", str(path), "--runs", "1",
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {tmp_path / 'events.csv'}: line 3.place: unknown place 'nowhere'")
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "out").exists()

"""The command line (run.py), run as a user would: separate processes, real files.

Processes that do not depend on each other are started together to keep the suite fast.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from sim.events import EVENT_COLUMNS
from sim.records import RunRecord, to_json
from sim.scenario import Scenario

pytestmark = pytest.mark.e2e  # every test here runs run.py in a subprocess

ROOT = Path(__file__).resolve().parents[1]

Result = subprocess.CompletedProcess


def start(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "run.py", *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> Result:
    out, err = proc.communicate(timeout=180)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_all(*commands: Sequence[str | Path]) -> list[Result]:
    """Run several run.py commands at once; return their results in order."""
    return [finish(p) for p in [start(*c) for c in commands]]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_one_line_error(result: Result, *names: str) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def test_help_lists_the_commands() -> None:
    result = finish(start("--help"))
    assert result.returncode == 0
    commands = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ") and line.split()]
    assert "run" in commands
    assert "validate" in commands


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Result], list[Path]]:
    """`run scenarios/historical.yaml --seed 3` twice, in two processes, into two folders."""
    outs = [tmp_path_factory.mktemp("run_a"), tmp_path_factory.mktemp("run_b")]
    results = run_all(*(("run", "scenarios/historical.yaml", "--seed", "3", "--out", out) for out in outs))
    return results, outs


def test_run_writes_a_summary_and_the_three_files(two_runs: tuple[list[Result], list[Path]],
                                                  historical: Scenario) -> None:
    (result, _), (out, _) = two_runs
    assert result.returncode == 0, result.stderr
    assert "(seed 3)" in result.stdout
    assert "fell on day" in result.stdout or "did not fall" in result.stdout
    assert "losses by side" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "summary.json", "timeseries.csv"]

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "historical"
    assert summary["seed"] == 3
    assert (summary["start_date"], summary["end_date"]) == ("2013-04-04", "2013-06-08")
    fall = summary["objective_fall_day"]
    assert fall is None or 30 <= fall <= 65
    assert summary["captures"], "a campaign without captures"
    for capture in summary["captures"]:
        assert set(capture) == {"place", "day", "date", "by", "opposed"}
        assert capture["place"] in historical.graph
        assert capture["by"] in ("government", "rebels")
    assert set(summary["casualties"]) == set(historical.spec.factions)
    for faction, c in summary["casualties"].items():
        assert c["killed"] >= 0 and c["wounded"] >= 0, faction
    assert sum(c["killed"] + c["wounded"] for c in summary["casualties"].values()) > 0

    events = read_csv(out / "events.csv")
    assert list(events[0]) == EVENT_COLUMNS
    assert all(e["text"].endswith(".") and ": " in e["text"] for e in events)
    assert any(e["kind"] == "capture" for e in events)

    rows = read_csv(out / "timeseries.csv")
    assert [float(r["day"]) for r in rows] == [float(d) for d in range(66)]
    columns = set(rows[0])
    assert {f"control.{p}" for p in historical.graph} <= columns
    assert {f"strength.{f}" for f in historical.spec.factions} <= columns
    assert rows[0]["control.al_qusayr"] == "rebels"
    assert rows[0]["control.homs"] == "government"


def test_the_command_line_writes_what_the_library_computes(two_runs: tuple[list[Result], list[Path]],
                                                           historical_runs: dict[int, RunRecord]) -> None:
    (_, _), (out, _) = two_runs
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [Path(f["path"]).name for f in written.pop("scenario_files")] == ["historical.yaml", "qusayr.geojson"]
    assert written == json.loads(to_json(historical_runs[3].summary))
    assert [e["text"] for e in read_csv(out / "events.csv")] == [e.text for e in historical_runs[3].events]


def test_two_processes_write_byte_identical_files(two_runs: tuple[list[Result], list[Path]]) -> None:
    (a, b), (out_a, out_b) = two_runs
    assert a.returncode == b.returncode == 0
    for name in ("summary.json", "events.csv", "timeseries.csv"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes(), name
    assert a.stdout.replace(str(out_a), "OUT") == b.stdout.replace(str(out_b), "OUT")


def test_validate_accepts_good_files(scenario_dir: Path) -> None:
    tiny = scenario_dir / "tiny.yaml"
    result = finish(start("validate", "scenarios/historical.yaml", "scenarios/maps/qusayr.geojson", tiny,
                          tiny.parent / "maps" / "vale.geojson"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok ") == 4
    assert "(scenario)" in result.stdout and "(map)" in result.stdout
    assert result.stderr == ""


def test_validate_rejects_each_bad_file_with_one_line(scenario_dir: Path,
                                                      write_yaml: Callable[[str, Any], Path]) -> None:
    tmp_path = scenario_dir
    tiny = scenario_dir / "tiny.yaml"
    text = tiny.read_text(encoding="utf-8")
    bad_yaml = tmp_path / "bad_yaml.yaml"
    bad_yaml.write_text("name: [unclosed\n  map: x\n", encoding="utf-8")
    bad_place = tmp_path / "bad_place.yaml"
    bad_place.write_text(text.replace("at: ford", "at: fjord"), encoding="utf-8")
    bad_number = tmp_path / "bad_number.yaml"
    bad_number.write_text(text.replace("personnel: 900", "personnel: yes"), encoding="utf-8")
    bad_child = write_yaml("bad_child.yaml", {"extends": "tiny.yaml", "parameters": {"ratio_exponent": 9}})
    bad_map = tmp_path / "maps" / "bad.geojson"
    bad_map.write_text((tmp_path / "maps" / "vale.geojson").read_text(encoding="utf-8")
                       .replace('"road_class": "track"', '"road_class": "dirt"', 1), encoding="utf-8")
    cases = [(bad_yaml, "line 2"), (bad_number, "formations[1].personnel"), (bad_map, "road_class")]
    results = run_all(*(("validate", path) for path, _ in cases))
    for (path, field), result in zip(cases, results, strict=True):
        line = assert_one_line_error(result, str(path), field)
        assert line.startswith("INVALID ")
    # several files at once: one line per bad file, exit 2, the good one still reported
    mixed = finish(start("validate", tiny, bad_place, bad_child))
    assert mixed.returncode == 2
    assert "Traceback" not in mixed.stderr
    lines = mixed.stderr.strip().splitlines()
    assert len(lines) == 2
    assert str(bad_place) in lines[0] and "formations[3].at" in lines[0]
    assert str(bad_child) in lines[1] and "parameters.ratio_exponent" in lines[1]
    assert f"ok      {tiny}" in mixed.stdout


def test_run_with_a_bad_scenario_exits_2_and_leaves_the_output_alone(scenario_dir: Path) -> None:
    tmp_path = scenario_dir
    tiny = scenario_dir / "tiny.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny.read_text(encoding="utf-8").replace("morale: 0.85", "morale: 1.85"), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"from": "an earlier run"}\n', encoding="utf-8")
    missing_out = tmp_path / "never"
    results = run_all(("run", bad, "--seed", "1", "--out", out),
                      ("run", tmp_path / "nope.yaml", "--out", missing_out))
    line = assert_one_line_error(results[0], str(bad), "formations[2].morale")
    assert line.startswith("error: ")
    assert (out / "summary.json").read_text(encoding="utf-8") == '{"from": "an earlier run"}\n'
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert_one_line_error(results[1], "nope.yaml")
    assert not missing_out.exists()


def test_the_tiny_foreign_scenario_runs_end_to_end(scenario_dir: Path) -> None:
    tiny = scenario_dir / "tiny.yaml"
    out = scenario_dir / "out"
    result = finish(start("run", tiny, "--seed", "2", "--out", out))
    assert result.returncode == 0, result.stderr
    assert "Tiny: the Vale of Ember (seed 2)" in result.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "tiny"
    assert summary["start_date"] == "2020-03-01" and summary["end_date"] == "2020-03-31"
    assert set(summary["casualties"]) == {"blue_army", "red_guard", "red_militia"}
    rows = read_csv(out / "timeseries.csv")
    assert len(rows) == 31
    assert {"control.harbour", "control.oldtown", "strength.blue_army", "strength.red_militia"} <= set(rows[0])
    assert rows[0]["control.ridge"] == ""
    events = read_csv(out / "events.csv")
    assert any(e["kind"] == "arrival" and e["formation"] == "blue_rifles" and e["date"] == "2020-03-04"
               for e in events)

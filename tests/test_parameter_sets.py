"""Parameter uncertainty carried into batches (sim/batch.py ParameterSets, run.py --parameter-sets): each
replicate draws one plausible parameter set, seeded from the batch seed, the same on any executor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.batch import ParameterSets, execute, load_parameter_sets, make_plan
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
KOBANI = ROOT / "scenarios" / "kobani" / "kobani.yaml"
SETS = ({"attack_ratio": 2.0, "morale_break": 0.25}, {"attack_ratio": 3.5, "morale_break": 0.35},
        {"attack_ratio": 2.8, "morale_break": 0.3})


def _write_sets(path: Path) -> Path:
    path.write_text(json.dumps({"kind": "parameter sets", "sets": list(SETS)}), encoding="utf-8")
    return path


def test_each_replicate_draws_a_set_from_the_seed_alone(tmp_path: Path) -> None:
    sets = load_parameter_sets(str(_write_sets(tmp_path / "sets.json")))
    assert sets.sets == SETS
    draws = sets.draws(7, 30)
    assert draws == sets.draws(7, 30) and draws != sets.draws(8, 30)
    assert set(draws) == {0, 1, 2}  # 30 draws from 3 sets reach every set
    plan = make_plan([str(KOBANI)], 30, 7, parameter_sets=sets)
    tasks = list(plan.tasks())
    assert [json.loads(t.parameters) for t in tasks] == [SETS[i] for i in draws]
    assert make_plan([str(KOBANI)], 3, 7).parameter_sets.draws(7, 3) == []


@pytest.mark.parametrize(("text", "field"), [('{"sets": []}', "sets"), ('{"sets": [{"attack_ratio": -1}]}',
                                                                       "sets.0.attack_ratio"),
                                             ('{"sets": [{"no_such": 1}]}', "sets.0.no_such"), ("[1, 2]", "sets")])
def test_a_bad_parameter_sets_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "sets.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_parameter_sets(str(path))
    assert (caught.value.file, caught.value.field) == (str(path), field)


@pytest.mark.e2e
def test_the_same_sets_are_drawn_on_local_processes_and_on_dask(tmp_path: Path) -> None:
    sets = ParameterSets("sets.json", SETS)
    columns = ["replicate", "seed", "parameters", "objective_fall_day", "killed_isil"]
    tables = []
    for name, where in (("local", {"workers": 1}), ("dask", {"dask_local": 1})):
        execute([str(KOBANI)], 4, 3, tmp_path / name, parameter_sets=sets, echo=lambda _line: None, **where)
        tables.append(pd.read_parquet(tmp_path / name / "runs.parquet")[columns].sort_values("replicate"))
    pd.testing.assert_frame_equal(tables[0].reset_index(drop=True), tables[1].reset_index(drop=True))
    drawn = [json.loads(p) for p in tables[0]["parameters"]]
    assert drawn == [SETS[i] for i in sets.draws(3, 4)]
    manifest = json.loads((tmp_path / "local" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameter_sets"]["draws"] == sets.draws(3, 4)


@pytest.mark.e2e
def test_compare_says_its_intervals_carry_parameter_uncertainty(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path / "sets.json")
    done = subprocess.run([sys.executable, "run.py", "compare", str(KOBANI), "--runs", "2", "--workers", "1",
                           "--parameter-sets", str(sets), "--out", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "seed noise and parameter uncertainty" in (tmp_path / "out" / "scores.md").read_text(encoding="utf-8")
    bad = subprocess.run([sys.executable, "run.py", "batch", str(KOBANI), "--runs", "1", "--parameter-sets",
                          str(tmp_path / "missing.json"), "--out", str(tmp_path / "bad")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and not (tmp_path / "bad").exists()

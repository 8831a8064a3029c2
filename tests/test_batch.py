"""Batches: the same store whatever the executor, failures recorded, a killed batch resumed, the store's schema,
compare on top of batches, and the model under ``mesa.batch_run``."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from conftest import dump_yaml, write_tiny

import run
from sim.batch import MesaBatchModel, Outcome, execute, make_plan, open_executor, open_store, replicate_seeds, run_batch
from sim.errors import InputError
from sim.parameters import apply_overrides
from sim.scenario import load_scenario
from sim.simulation import simulate
from sim.store import MAX_BUFFER
from sim.sweep import load_design, nested

ROOT = Path(__file__).resolve().parents[1]
RUN_COLUMNS = ["scenario", "scenario_file", "design_point", "parameters", "replicate", "seed", "status", "error",
               "objective_fall_day", "encirclement_day", "supply_auc", "final_supply_flow_share",
               "days_encirclement_to_fall", "interdiction_efficiency", "captures",
               "objective_first_capture_day", "objective_changes_of_hands", "objective_battle_days", "cut_episodes",
               "cut_reconnections", "captures_unopposed",
               "killed_blue", "wounded_blue", "captured_blue", "trapped_blue", "killed_red", "wounded_red",
               "captured_red", "trapped_red",
               "summary_json"]


def quiet(_line: str) -> None:
    """Batches in tests print nothing."""


def store(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "runs.parquet"), pd.read_parquet(out / "timeseries.parquet")


def assert_same_store(a: Path, b: Path) -> None:
    for left, right in zip(store(a), store(b), strict=True):
        pd.testing.assert_frame_equal(left, right)


@pytest.fixture(scope="module")
def theatre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny theatre, a harder variant of it, and a two-point sweep of the attacker's loss rate."""
    folder = tmp_path_factory.mktemp("batch")
    write_tiny(folder)
    dump_yaml(folder / "harder.yaml", {"extends": "tiny.yaml", "parameters": {"defence_loss": 0.01}})
    dump_yaml(folder / "sweep.yaml", {"method": "grid", "parameters": {"attack_loss": [0.02, 0.08]}})
    return folder


@pytest.fixture(scope="module")
def scenarios(theatre: Path) -> list[str]:
    return [str(theatre / "tiny.yaml"), str(theatre / "harder.yaml")]


@pytest.fixture(scope="module")
def reference(theatre: Path, scenarios: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two scenarios x two design points x three replicates on one local worker."""
    out = tmp_path_factory.mktemp("reference")
    _, outcome = execute(scenarios, 3, 7, out, design=load_design(theatre / "sweep.yaml"), workers=1, echo=quiet)
    assert (outcome.total, outcome.ok, outcome.failed) == (12, 12, 0)
    return out


@pytest.mark.parametrize("executor", [{"workers": 2}, pytest.param({"dask_local": 2}, marks=pytest.mark.e2e)],
                         ids=["local-2", "dask-local-2"])
def test_a_batch_is_the_same_whatever_the_executor(theatre: Path, scenarios: list[str], reference: Path,
                                                  tmp_path: Path, executor: dict) -> None:
    execute(scenarios, 3, 7, tmp_path, design=load_design(theatre / "sweep.yaml"), echo=quiet, **executor)
    assert_same_store(reference, tmp_path)


def test_the_store_has_one_tidy_row_per_run(theatre: Path, scenarios: list[str], reference: Path) -> None:
    runs, series = store(reference)
    assert list(runs.columns) == RUN_COLUMNS
    assert runs["status"].eq("ok").all() and runs["error"].eq("").all()
    seeds = replicate_seeds(7, 3)
    keys = [(name, point, rep, seeds[rep]) for name in ("tiny", "harder") for point in (0, 1) for rep in range(3)]
    assert list(runs[["scenario", "design_point", "replicate", "seed"]].itertuples(index=False, name=None)) == keys
    assert runs["parameters"].map(json.loads).tolist() == [{"attack_loss": v} for v in (0.02,) * 3 + (0.08,) * 3] * 2
    assert runs["captures"].dtype == np.int64 and runs["supply_auc"].dtype == np.float64
    for row in runs.itertuples():
        summary = json.loads(row.summary_json)
        assert summary["seed"] == row.seed and len(summary["captures"]) == row.captures
        assert summary["casualties_by_side"]["blue"]["killed"] == row.killed_blue
        assert summary["supply_auc"] == row.supply_auc
        fall = summary["objective_fall_day"]
        assert (np.isnan(row.objective_fall_day) if fall is None else fall == row.objective_fall_day)
    assert list(series.columns[:8]) == ["scenario", "design_point", "replicate", "seed", "day", "date",
                                        "supply_flow_share", "isolation_share"]
    assert {"held.blue", "strength.red_guard", "control.oldtown"} <= set(series.columns)
    per_run = series.groupby(["scenario", "design_point", "replicate"], sort=False).size()
    assert len(per_run) == 12 and (per_run == 31).all()  # 30 days of one-day steps, and day 0
    design = pd.read_parquet(reference / "design.parquet")
    assert design.to_dict("list") == {"design_point": [0, 1], "parameters": ['{"attack_loss": 0.02}',
                                      '{"attack_loss": 0.08}'], "attack_loss": [0.02, 0.08]}
    manifest = json.loads((reference / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["replicate_seeds"] == seeds and manifest["seed"] == 7
    assert [s["name"] for s in manifest["scenarios"]] == ["tiny", "harder"]
    assert all(len(s["sha256"]) == 64 for s in manifest["scenarios"])
    assert manifest["design"]["points"] == [{"attack_loss": 0.02}, {"attack_loss": 0.08}]
    assert not (reference / "parts").exists()


def test_a_stored_run_is_the_run_of_its_scenario_design_point_and_seed(scenarios: list[str], reference: Path) -> None:
    runs, series = store(reference)
    row = runs[(runs["scenario"] == "harder") & (runs["design_point"] == 1) & (runs["replicate"] == 2)].iloc[0]
    base = load_scenario(scenarios[1])
    variant = dataclasses.replace(base, params=apply_overrides(base.params, nested({"attack_loss": 0.08}), "test"))
    record = simulate(variant, int(row["seed"]))
    assert json.loads(row["summary_json"]) == json.loads(json.dumps(record.summary))
    mine = series[(series["scenario"] == "harder") & (series["design_point"] == 1) & (series["replicate"] == 2)]
    assert mine["supply_flow_share"].tolist() == [r["supply_flow_share"] for r in record.timeseries]
    assert mine["control.oldtown"].tolist() == [r["control.oldtown"] for r in record.timeseries]
    other = runs[(runs["scenario"] == "harder") & (runs["design_point"] == 0) & (runs["replicate"] == 2)].iloc[0]
    assert other["summary_json"] != row["summary_json"]  # the design point changed the run


def test_a_failed_run_is_recorded_the_batch_completes_and_resume_retries_it(tmp_path: Path) -> None:
    tiny = write_tiny(tmp_path / "theatre")
    doomed = dump_yaml(tmp_path / "theatre" / "doomed.yaml", {"extends": "tiny.yaml"})
    plan = make_plan([str(tiny), str(doomed)], 2, 1)
    out = tmp_path / "out"
    results = open_store(plan, out, False, [])
    text = doomed.read_text(encoding="utf-8")
    doomed.unlink()  # valid when planned, gone when the workers load it
    with open_executor(2) as (executor, slots, _):
        outcome = run_batch(plan, results, executor, slots)
    assert (outcome.ok, outcome.failed) == (2, 2)
    runs, series = store(out)
    failed = runs[runs["status"] == "failed"]
    assert failed["scenario"].tolist() == ["doomed", "doomed"]
    assert failed["error"].str.contains("InputError: .*doomed.yaml: file not found").all()
    assert failed["supply_auc"].isna().all() and failed["summary_json"].isna().all()
    assert set(series["scenario"]) == {"tiny"}

    doomed.write_text(text, encoding="utf-8")
    _, again = execute([str(tiny), str(doomed)], 2, 1, out, resume=True, workers=2, echo=quiet)
    assert (again.resumed, again.ok, again.failed) == (2, 2, 0)
    runs, series = store(out)
    assert runs["status"].eq("ok").all() and len(runs) == 4
    assert (series.groupby("scenario", sort=False).size() == 62).all()


def test_the_command_line_says_how_many_runs_failed(theatre: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("sim.batch.execute", lambda *_a, **_k: (None, Outcome(total=6, ok=4, failed=2)))
    assert run.main(["batch", str(theatre / "tiny.yaml"), "--runs", "3", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("6 runs, 2 failed;")


def test_a_store_is_not_overwritten_and_resumes_only_the_same_batch(scenarios: list[str], reference: Path) -> None:
    with pytest.raises(InputError, match="already holds a batch"):
        execute(scenarios, 3, 7, reference, echo=quiet)
    with pytest.raises(InputError) as err:
        execute(scenarios, 3, 8, reference, resume=True, echo=quiet)
    assert err.value.field == "seed"


@pytest.mark.e2e
def test_a_batch_killed_part_way_then_resumed_equals_an_uninterrupted_one(theatre: Path, tmp_path: Path) -> None:
    """Killed as soon as its first part is on disk: a part holds at most MAX_BUFFER runs, fewer than the batch."""
    out = tmp_path / "killed"
    runs = 2 * MAX_BUFFER + 100
    command = [sys.executable, "run.py", "batch", str(theatre / "tiny.yaml"), "--runs", str(runs), "--seed", "3",
               "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "parts" / "runs").glob("*.parquet")):
            assert proc.poll() is None and time.monotonic() < deadline, "the batch ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, at once
        proc.wait()
    assert not (out / "runs.parquet").exists()
    kept = pd.read_parquet(out / "parts" / "runs")  # what a killed batch keeps is readable as it is
    assert 0 < len(kept) < runs and kept["status"].eq("ok").all()

    resumed = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"the batch that wrote here (pid {proc.pid} on " in resumed.stdout  # its lock died with it
    assert resumed.stdout.splitlines()[-1].startswith(f"{runs} runs, 0 failed ({len(kept)} were already stored)")
    execute([str(theatre / "tiny.yaml")], runs, 3, tmp_path / "whole", workers=2, echo=quiet)
    assert_same_store(out, tmp_path / "whole")


def test_compare_is_a_batch_plus_the_scores_table(scenarios: list[str], tmp_path: Path) -> None:
    assert run.main(["compare", *scenarios, "--runs", "2", "--workers", "2", "--out", str(tmp_path)]) == 0
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert sorted(scores["scenario"]) == ["harder", "tiny"] and (scores["runs"] == 2).all()
    runs, _ = store(tmp_path)
    assert len(runs) == 4 and runs["status"].eq("ok").all()
    assert "| rank | scenario |" in (tmp_path / "scores.md").read_text(encoding="utf-8")


def test_the_model_runs_under_mesa_batch_run(theatre: Path) -> None:
    tiny = str(theatre / "tiny.yaml")
    method = multiprocessing.get_start_method(allow_none=True)
    try:  # batch_run forces the spawn start method on the whole process; put it back afterwards
        results = mesa.batch_run(MesaBatchModel, parameters={"scenario": tiny, "attack_loss": [0.02, 0.08]},
                                 rng=[1, 2], number_processes=1, data_collection_period=-1, display_progress=False)
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert len(results) == 4
    base = load_scenario(tiny)
    for result in results:
        variant = dataclasses.replace(base, params=apply_overrides(base.params, {"attack_loss": result["attack_loss"]},
                                                                   "test"))
        record = simulate(variant, result["rng"])
        assert result["Day"] == record.timeseries[-1]["day"]
        assert result["SupplyFlowShare"] == record.timeseries[-1]["supply_flow_share"]
        assert result["ObjectiveHolder"] == record.timeseries[-1]["control.oldtown"]


def test_bad_batch_input_exits_2_with_one_line(theatre: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    sweep = dump_yaml(tmp_path / "bad.yaml", {"method": "grid", "parameters": {"attack_los": [0.1]}})
    cases = {"--runs": ["--runs", "0"], "bad.yaml: parameters.attack_los: unknown parameter": ["--sweep", str(sweep)],
             "--seed": ["--seed", "-1"], "--workers": ["--workers", "0"]}
    for says, args in cases.items():
        assert run.main(["batch", str(theatre / "tiny.yaml"), "--out", str(tmp_path / "x"), *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, (args, err)
    assert not (tmp_path / "x").exists()


WORKER_SERVER_PROBE = """
import signal, sys, time
import psutil
import sim.workers
sim.workers.start_server()
heavy = sorted(m for m in ("numpy", "mesa", "pyarrow", "sim.batch") if m in sys.modules)
(server,) = [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
server.send_signal(signal.SIGINT)  # a Ctrl-C while the server imports the engine
time.sleep(1.0)
print(heavy, server.status() != psutil.STATUS_ZOMBIE)
"""


@pytest.mark.e2e
def test_the_worker_server_starts_early_without_the_engine_here_and_survives_ctrl_c() -> None:
    """run.py starts the batch's worker server before it imports the engine, so the two imports overlap: starting
    it must import nothing heavy in the calling process, and a Ctrl-C must not kill it while it imports."""
    done = subprocess.run([sys.executable, "-c", WORKER_SERVER_PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
    assert "Traceback" not in done.stderr, done.stderr

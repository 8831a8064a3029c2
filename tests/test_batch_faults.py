"""Batches under faults: two writers on one store, a killed or interrupted batch, a full disk, damaged parts and
tables, a scenario edited during a batch, a run that never ends, a scenario the engine refuses, bad --out and
--seed. Each ends in one line naming the folder or file and what to do, or in a complete store equal to an
uninterrupted batch's."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import dump_yaml, write_tiny
from test_batch import assert_same_store, quiet, store

import run
from sim import batch
from sim.batch import execute, make_plan, open_store, run_task
from sim.errors import InputError
from sim.records import file_digests, scenario_digest
from sim.scenario import load_scenario
from sim.store import LOCK_FILE, SET_ASIDE, Store, writer_lock
from sim.workers import interrupts_deferred

ROOT = Path(__file__).resolve().parents[1]
RUNS = 6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def reference(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario x RUNS replicates, uninterrupted."""
    out = tmp_path_factory.mktemp("reference")
    execute([str(tiny)], RUNS, 5, out, workers=1, echo=quiet)
    return out


def parts_by_hand(tiny: Path, out: Path, per_part: int) -> Store:
    """A store whose runs were run in this process and written ``per_part`` runs to a part, left unconsolidated
    (as a killed batch leaves it)."""
    plan = make_plan([str(tiny)], RUNS, 5)
    partial = open_store(plan, out, False, [])
    for task in plan.tasks():
        partial.add(task.index, *run_task(task))
        if (task.index + 1) % per_part == 0:
            partial.flush()
    partial.flush()
    return partial


def one_line_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    assert run.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


# ---------------------------------------------------------------- one writer at a time


def test_a_second_writer_is_refused_and_told_who_holds_the_store(tiny: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "busy"
    with writer_lock(out) as killed:
        assert killed == ""
        holder = json.loads((out / LOCK_FILE).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        err = one_line_error(capsys, ["batch", str(tiny), "--runs", "2", "--workers", "1", "--out", str(out)])
    assert f"another batch is writing this store (pid {os.getpid()} on {socket.gethostname()}, started " in err
    assert "--resume" in err
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # nothing written
    assert (out / LOCK_FILE).read_text() == ""  # released: the lock file names nobody


def test_a_writer_that_died_holding_the_lock_does_not_block_resume(tiny: Path, reference: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "dead"
    parts_by_hand(tiny, out, per_part=2)
    dead = {"pid": 999999, "host": "elsewhere", "started": "2026-01-01T00:00:00+00:00"}
    (out / LOCK_FILE).write_text(json.dumps(dead))  # what a killed writer leaves: its name, and no lock held
    lines: list[str] = []
    _, outcome = execute([str(tiny)], RUNS, 5, out, resume=True, workers=1, echo=lines.append)
    assert outcome.resumed == RUNS and outcome.ok == 0
    assert any("pid 999999 on elsewhere" in line and "stopped before the end" in line for line in lines)
    assert_same_store(out, reference)


def test_parts_are_named_per_writer_and_consolidate_removes_only_what_it_read(tiny: Path, reference: Path,
                                                                              tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "two"
    mine = parts_by_hand(tiny, out, per_part=4)
    plan = make_plan([str(tiny)], RUNS, 5)
    other = Store(out, plan.layout, *plan.schemas)
    assert other._seq == mine._seq and other.writer != mine.writer  # same number, different names
    late_task = next(plan.tasks())
    late: list[str] = []
    real_range = Store._range

    def a_part_arrives_meanwhile(self: Store, *args: object) -> object:
        if not late:  # another writer's part lands while this one consolidates
            other.add(late_task.index, *run_task(late_task))
            other.flush()
            late.append(f"{mine._seq:06d}-{other.writer}.parquet")
        return real_range(self, *args)

    monkeypatch.setattr(Store, "_range", a_part_arrives_meanwhile)
    mine.consolidate()
    assert [p.name for p in (out / "parts" / "runs").iterdir()] == late  # not removed: it was not read
    assert [p.name for p in (out / "parts" / "timeseries").iterdir()] == late
    assert_same_store(out, reference)


@pytest.mark.e2e
def test_two_batches_on_one_store_lose_no_run(tiny: Path, tmp_path: Path) -> None:
    """A --resume started while the same batch runs is refused (or, if the first has finished, finds it done):
    either way the store holds every run once, as an uninterrupted batch does."""
    out = tmp_path / "shared"
    command = [sys.executable, "run.py", "batch", str(tiny), "--runs", "400", "--seed", "2", "--workers", "1",
               "--out", str(out)]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "manifest.json").exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    second = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert first_out.splitlines()[-1].startswith("400 runs, 0 failed;")
    if second.returncode == 2:
        assert second.stderr.count("\n") == 1 and f"another batch is writing this store (pid {first.pid} " \
            in second.stderr
    else:
        assert second.returncode == 0 and "(400 were already stored)" in second.stdout
    runs, series = store(out)
    assert len(runs) == 400 and runs["replicate"].tolist() == list(range(400)) and runs["status"].eq("ok").all()
    assert (series.groupby("replicate").size() == 31).all() and series["replicate"].nunique() == 400
    assert json.loads((out / "manifest.json").read_text())["complete"]
    assert not (out / "parts").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("executor", [["--workers", "2"], ["--dask-local", "2"]], ids=["local", "dask-local"])
def test_ctrl_c_says_what_is_kept_without_worker_tracebacks_and_resume_completes(tiny: Path, tmp_path: Path,
                                                                                   executor: list[str]) -> None:
    out = tmp_path / "interrupted"
    # enough runs that the batch is still running when the first part is on disk and the interrupt comes (600 tiny
    # runs could finish first on an idle machine)
    command = [sys.executable, "run.py", "batch", str(tiny), "--runs", "6000", "--seed", "4", *executor,
               "--out", str(out)]
    # Ctrl-C as at a terminal: the batch starts with SIGINT at its default even if this test process inherited it
    # ignored (an ignored signal stays ignored through exec, and Python then installs no KeyboardInterrupt)
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    deadline = time.monotonic() + 120
    while not list((out / "parts" / "runs").glob("*.parquet")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the batch and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines() == [f"interrupted; {out} keeps every finished run: run the same command with "
                                        "--resume to complete it"]
    resumed = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(pd.read_parquet(out / "runs.parquet")) == 6000


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C as in a terminal: Python's own handler (a test runner's worker may have it ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_deferred_ctrl_c_is_raised_where_asked_or_at_the_end(ctrl_c_raises: None) -> None:
    with interrupts_deferred() as interrupts:
        interrupts.check()  # nothing yet
        os.kill(os.getpid(), signal.SIGINT)  # noted, not raised here
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)  # never checked in the block: raised as it ends
    with interrupts_deferred() as interrupts, pytest.raises(KeyboardInterrupt), interrupts.allowed():
        os.kill(os.getpid(), signal.SIGINT)  # allowed: raised at once
        pytest.fail("a Ctrl-C inside allowed() must stop the block")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_an_ignored_ctrl_c_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_deferred() as interrupts:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
            interrupts.check()
    finally:
        signal.signal(signal.SIGINT, previous)


def _slow_square(x: int) -> int:
    time.sleep(0.05 * x)
    return x * x


def test_map_in_order_keeps_the_items_order_whatever_finishes_first() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert batch.map_in_order(pool, _slow_square, [3, 1, 2, 0]) == [9, 1, 4, 0]


def test_map_in_order_stops_at_a_deferred_ctrl_c_and_cancels_what_has_not_started(ctrl_c_raises: None) -> None:
    started: list[int] = []

    def job(x: int) -> int:
        started.append(x)
        if x == 0:
            os.kill(os.getpid(), signal.SIGINT)  # noted by the deferral, raised at the next look
        time.sleep(0.3)
        return x

    with ThreadPoolExecutor(max_workers=1) as pool, interrupts_deferred(), pytest.raises(KeyboardInterrupt):
        batch.map_in_order(pool, job, list(range(20)))
    assert started == [0]  # the nineteen queued behind it never ran


# A Ctrl-C that lands while the batch's process holds the lock of an unfinished future: the executor's own
# thread (the process pool's result thread, or the Dask client's event loop) then waits for that lock to finish it,
# and a KeyboardInterrupt raised there would leave it held for ever (the batch hung on exit). Here the Ctrl-C is
# sent from inside concurrent.futures.wait, between taking the first future's lock and the next, every time (once
# the first part is on disk, so that there are finished runs to keep).
CTRL_C_HOLDING_A_LOCK = """
import os, signal, sys
from concurrent.futures import _base
from pathlib import Path
parts = Path(sys.argv[sys.argv.index("--out") + 1]) / "parts" / "runs"
real_enter = _base._AcquireFutures.__enter__
def enter(self):
    if len(self.futures) < 2 or not any(parts.glob("*.parquet")):
        return real_enter(self)
    _base._AcquireFutures.__enter__ = real_enter
    self.futures[0]._condition.acquire()
    os.kill(os.getpid(), signal.SIGINT)
    for future in self.futures[1:]:
        future._condition.acquire()
_base._AcquireFutures.__enter__ = enter
import run
sys.exit(run.main(sys.argv[1:]))
"""


@pytest.mark.e2e
@pytest.mark.parametrize("executor", [["--workers", "2"], ["--dask-local", "2"]], ids=["local", "dask-local"])
def test_ctrl_c_while_the_batch_holds_a_futures_lock_still_stops_it(tiny: Path, tmp_path: Path,
                                                                    executor: list[str]) -> None:
    out = tmp_path / "held"
    done = subprocess.run([sys.executable, "-c", CTRL_C_HOLDING_A_LOCK, "batch", str(tiny), "--runs", "2000",
                           "--seed", "4", *executor, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines() == [f"interrupted; {out} keeps every finished run: run the same "
                                                "command with --resume to complete it"]
    kept = pd.read_parquet(out / "parts" / "runs")
    assert 0 < len(kept) < 2000 and kept["status"].eq("ok").all()


# The same Ctrl-C in a command that maps runs over an executor without a store (fidelity, calibrate, sensitivity,
# discover: analysis.calibrate.run_points), sent at its third wait.
CTRL_C_HOLDING_A_LOCK_IN_A_MAP = (CTRL_C_HOLDING_A_LOCK
                                  .replace("not any(parts.glob(\"*.parquet\"))", "next(waits) < 3")
                                  .replace("real_enter = ", "waits = iter(range(10**6))\nreal_enter = "))


@pytest.mark.e2e
def test_ctrl_c_while_a_fidelity_check_holds_a_futures_lock_still_stops_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CTRL_C_HOLDING_A_LOCK_IN_A_MAP, "fidelity", "--runs", "400",
                           "--workers", "2", "--out", str(tmp_path / "fid")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "interrupted"
    assert not (tmp_path / "fid" / "fidelity.json").exists()


# ---------------------------------------------------------------- faults of the disk and of the files


def test_a_full_disk_says_free_space_then_resume_and_resume_completes(tiny: Path, reference: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "full"
    monkeypatch.setattr("sim.store.MAX_BUFFER", 2)  # a part every two runs
    written: list[str] = []
    real_write = pq.write_table

    def fill_up(table: object, where: str, **kwargs: object) -> None:
        if "parts" in Path(where).parts:
            if len(written) == 2:  # one part (its series and its runs) fits, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(where)
        real_write(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", fill_up)
    err = one_line_error(capsys, ["batch", str(tiny), "--runs", str(RUNS), "--seed", "5", "--workers", "1",
                                  "--out", str(out)])
    assert err == f"error: {out}: the disk is full: free space, then run the same command with --resume\n"
    assert len(list((out / "parts" / "runs").glob("*.parquet"))) == 1
    kept = len(pd.read_parquet(out / "parts" / "runs"))
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(pq, "write_table", real_write)
    _, outcome = execute([str(tiny)], RUNS, 5, out, resume=True, workers=1, echo=quiet)
    assert (outcome.resumed, outcome.ok) == (kept, RUNS - kept)
    assert_same_store(out, reference)


def test_a_damaged_part_is_set_aside_and_its_runs_run_again(tiny: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "damaged"
    parts_by_hand(tiny, out, per_part=3)
    first = sorted((out / "parts" / "runs").glob("*.parquet"))[0]
    first.write_bytes(first.read_bytes()[:100])  # cut short, as a failing disk might leave it
    lines: list[str] = []
    _, outcome = execute([str(tiny)], RUNS, 5, out, resume=True, workers=1, echo=lines.append)
    assert (outcome.resumed, outcome.ok) == (3, 3)
    assert any(str(first) in line and "set aside" in line and "run again" in line for line in lines)
    assert (first.parent / (SET_ASIDE + first.name)).exists()
    assert_same_store(out, reference)


def test_resume_over_a_damaged_table_names_it_and_says_what_to_do(tiny: Path, reference: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "copy"
    out.mkdir()
    for path in reference.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    (out / "runs.parquet").write_bytes(b"PAR1 not really")
    err = one_line_error(capsys, ["batch", str(tiny), "--runs", str(RUNS), "--seed", "5", "--workers", "1",
                                  "--out", str(out), "--resume"])
    assert err.startswith(f"error: {out / 'runs.parquet'}: cannot be read")
    assert "move runs.parquet and timeseries.parquet away and run the same command with --resume" in err


def test_temp_files_of_a_writer_killed_while_consolidating_are_removed(tiny: Path, reference: Path,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "leftovers"
    parts_by_hand(tiny, out, per_part=3)
    left = [out / ".runs.parquet.k1ll3d.tmp", out / "parts" / "runs" / ".000009-dead.parquet.x1.tmp"]
    for path in left:
        path.write_bytes(b"half")
    execute([str(tiny)], RUNS, 5, out, resume=True, workers=1, echo=quiet)
    assert not any(path.exists() for path in left)
    assert_same_store(out, reference)


# ---------------------------------------------------------------- what runs is what the manifest says


def test_the_manifest_names_every_scenario_file_with_its_hash(tiny: Path, reference: Path) -> None:
    [entry] = json.loads((reference / "manifest.json").read_text())["scenarios"]
    assert entry["sha256"] == scenario_digest(load_scenario(tiny))
    files = {Path(f["path"]).name: f["sha256"] for f in entry["files"]}
    assert set(files) == {"tiny.yaml", "vale.geojson"}
    assert all(len(digest) == 64 for digest in files.values())


def test_a_runs_summary_names_every_scenario_file_with_its_hash(tiny: Path, tmp_path: Path) -> None:
    assert run.main(["run", str(tiny), "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario_files"] == file_digests(load_scenario(tiny))


def test_a_scenario_edited_during_a_batch_fails_its_runs_instead_of_running(tmp_path: Path) -> None:
    path = write_tiny(tmp_path)
    plan = make_plan([str(path)], 2, 1)
    path.write_text(path.read_text().replace("personnel: 1200", "personnel: 9000"))  # after the manifest's hash
    batch._scenario.cache_clear()
    batch.scenario_variant.cache_clear()
    rows = [run_task(task)[0] for task in plan.tasks()]
    assert [row["status"] for row in rows] == ["failed", "failed"]
    assert all("changed after the batch started" in row["error"] for row in rows)


def test_a_run_over_the_time_limit_is_stored_as_failed_and_resume_runs_it_again(tiny: Path, reference: Path,
                                                                                  tmp_path: Path) -> None:
    out = tmp_path / "slow"
    _, outcome = execute([str(tiny)], RUNS, 5, out, workers=1, run_timeout=1e-9, echo=quiet)
    assert outcome.failed == RUNS
    runs, _ = store(out)
    assert runs["error"].str.contains("RunTimeout: stopped after 1e-09 s on day 0 of 30").all()
    assert json.loads((out / "manifest.json").read_text())["run_timeout"] == 1e-9
    _, again = execute([str(tiny)], RUNS, 5, out, resume=True, workers=1, echo=quiet)
    assert (again.ok, again.failed) == (RUNS, 0)
    assert_same_store(out, reference)


def test_the_command_lines_default_time_limit_is_the_batchs() -> None:
    assert run.RUN_TIMEOUT == batch.RUN_TIMEOUT


# ---------------------------------------------------------------- refused before anything is written


def test_a_scenario_the_engine_refuses_is_one_line_and_leaves_no_store(tiny: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    source = dump_yaml(tiny.parent / "source_objective.yaml", {"extends": "tiny.yaml", "objective": "depot"})
    out = tmp_path / "refused"
    err = one_line_error(capsys, ["batch", str(source), "--runs", "2", "--workers", "1", "--out", str(out)])
    assert str(source) in err
    assert not out.exists()  # the same command, once the scenario is fixed, starts afresh


@pytest.mark.parametrize("where", ["file", "proc"])
def test_an_out_that_cannot_be_a_folder_is_one_line(tiny: Path, where: str, capsys: pytest.CaptureFixture) -> None:
    out = str(tiny) if where == "file" else "/proc/not-a-folder"
    for argv in (["batch", str(tiny), "--runs", "2", "--workers", "1"], ["run", str(tiny)]):
        err = one_line_error(capsys, [*argv, "--out", out])
        assert err.startswith(f"error: {out}: ") and "choose another --out" in err


def test_a_negative_seed_is_one_line(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for verb in ("run", "batch"):
        err = one_line_error(capsys, [verb, str(tiny), "--seed", "-1", "--out", str(tmp_path / verb)])
        assert err == "error: --seed: must be a non-negative whole number, got -1\n"
    assert not list(tmp_path.iterdir())


def test_a_manifest_of_another_program_is_refused(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="was not written by this program"):
        execute([str(tiny)], 2, 1, tmp_path, resume=True, workers=1, echo=quiet)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (only where this process may mount one: root, with the capability)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True,
                             text=True, check=False) if os.geteuid() == 0 else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() if mounted else 'not root'})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.e2e
def test_a_really_full_disk_then_resume_equals_an_uninterrupted_batch(tiny: Path, small_disk: Path,
                                                                      tmp_path: Path) -> None:
    out = small_disk / "store"
    command = [sys.executable, "run.py", "batch", str(tiny), "--runs", "800", "--seed", "6", "--workers", "1",
               "--out", str(out)]
    full = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert full.returncode == 2
    assert full.stderr == f"error: {out}: the disk is full: free space, then run the same command with --resume\n"
    assert not list(out.rglob("*.tmp"))
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)  # space freed
    resumed = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "were already stored" in resumed.stdout
    execute([str(tiny)], 800, 6, tmp_path / "whole", workers=1, echo=quiet)
    assert_same_store(out, tmp_path / "whole")

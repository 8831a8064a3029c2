"""Batch execution: seeded replicates of scenarios and experiment designs, on any executor, into a results store.

Replicate seeds are spawned from one base seed with numpy's SeedSequence, so replicate i of a batch gets the
same independent stream whatever the executor or number of workers; every scenario and design point gets the
same seeds (common random numbers), so differences between them are not noise between seeds.

The engine takes any ``concurrent.futures`` executor: local processes, or a Dask client's executor (a running
cluster, or a LocalCluster started for the batch), so one code path serves all three. A bounded number of runs
is in flight; finished runs stream into the store (sim/store.py), so memory does not grow with the batch.

What runs is what the manifest records: every worker checks that the scenario files it loads still have the
SHA-256 the batch started with (a file edited during a batch fails its runs instead of running in secret), and
a run longer than the run time limit is stopped and stored as failed. One batch writes a store at a time (the
store's writer lock); a full disk, an interruption or a killed batch leave every finished run stored, and the
same command with ``--resume`` completes it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from tqdm import tqdm

from sim.errors import InputError
from sim.loader import load_yaml
from sim.model import SiegeModel
from sim.parameters import Parameters, apply_overrides
from sim.records import day_row, file_digests, metrics_cache, scenario_digest, supply_row, to_json
from sim.scenario import Scenario, load_scenario, unusable_type_values
from sim.simulation import simulate
from sim.store import (
    Layout,
    Store,
    disk_full,
    read_manifest,
    run_schema,
    timeseries_schema,
    write_design,
    write_json,
    writer_lock,
)
from sim.sweep import NO_SWEEP, Design, nested, point_json
from sim.workers import active_interrupts, interrupts_deferred, process_context, start_worker

IN_FLIGHT_PER_WORKER = 2  # runs queued per worker: enough to keep it busy, few enough to bound memory
RUN_TIMEOUT = 300.0  # seconds a run may take in a batch (a shipped scenario takes about 0.1 s): then it fails
INTERRUPT_POLL = 0.2  # seconds between looks for a Ctrl-C while no run finishes (see sim.workers.Interrupts)


def replicate_seeds(base_seed: int, runs: int) -> list[int]:
    """``runs`` independent 32-bit seeds spawned from ``base_seed``."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(base_seed).spawn(runs)]


@dataclass(frozen=True)
class ParameterSets:
    """Plausible parameter sets (from ``calibrate``'s parameter_sets.json) that replicates draw from, so a
    batch's intervals carry parameter uncertainty as well as seed noise. Empty: every run uses the scenario's."""

    file: str = ""
    sets: tuple[dict[str, float], ...] = ()

    def draws(self, seed: int, runs: int) -> list[int]:
        """The set each replicate uses: seeded from the batch seed alone, so every scenario and design point gets
        the same sets (common random numbers) on any executor."""
        if not self.sets:
            return []
        rng = np.random.default_rng(np.random.SeedSequence([seed, len(self.sets)]))
        return [int(i) for i in rng.integers(len(self.sets), size=runs)]


NO_PARAMETER_SETS = ParameterSets()


def load_parameter_sets(path: str) -> ParameterSets:
    """A parameter-sets file: a mapping whose ``sets`` is a non-empty list of parameter overrides, each checked
    against the parameter table."""
    data = load_yaml(path).data
    sets = data.get("sets") if isinstance(data, dict) else None
    if not isinstance(sets, list) or not sets:
        raise InputError(path, "sets", "must be a non-empty list of parameter sets (write one with run.py calibrate)")
    for i, overrides in enumerate(sets):
        apply_overrides(Parameters(), overrides, path, f"sets.{i}")
    return ParameterSets(path, tuple(dict(s) for s in sets))


# ---------------------------------------------------------------- one run (what a worker does)


class ScenarioChanged(Exception):
    """A scenario's files are not those the batch was started with."""


@lru_cache(maxsize=64)
def _scenario(path: str, sha256: str | None) -> Scenario:
    """Load each scenario once per worker process (its supply-metrics cache is reused by every replicate),
    checking that its files still have the batch's SHA-256 (None: no check)."""
    scenario = load_scenario(path)
    if sha256 is not None and scenario_digest(scenario) != sha256:
        raise ScenarioChanged(f"{path} (or a file it extends, or its map) changed after the batch started: put it "
                              "back, or start a new batch in another folder")
    return scenario


@lru_cache(maxsize=256)
def scenario_variant(path: str, parameters: str, sha256: str | None = None) -> Scenario:
    """A scenario with a design point's parameters applied, made once per worker and design point."""
    scenario = _scenario(path, sha256)
    point = json.loads(parameters)
    if not point:
        return scenario
    return dataclasses.replace(scenario, params=apply_overrides(scenario.params, nested(point), "sweep"))


@dataclass(frozen=True)
class Task:
    """One run of a batch: which scenario, design point and replicate, with which seed."""

    index: int
    scenario: str
    path: str
    design_point: int
    parameters: str  # the design point's parameter overrides as JSON ("{}" without a sweep)
    replicate: int
    seed: int
    sha256: str | None = None  # the scenario's files as the manifest records them (None: not checked)
    time_limit: float | None = None  # seconds (None: no limit)

    def row(self, status: str, error: str = "") -> dict[str, Any]:
        return {"scenario": self.scenario, "scenario_file": self.path, "design_point": self.design_point,
                "parameters": self.parameters, "replicate": self.replicate, "seed": self.seed,
                "status": status, "error": error}


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def score_row(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary scores that runs.parquet keeps as columns (the full summary goes along as JSON)."""
    row = {"objective_fall_day": _nan(summary["objective_fall_day"]),
           "encirclement_day": _nan(summary["encirclement_day"]),
           "supply_auc": summary["supply_auc"], "final_supply_flow_share": summary["final_supply_flow_share"],
           "days_encirclement_to_fall": _nan(summary["days_encirclement_to_fall"]),
           "interdiction_efficiency": _nan(summary["interdiction"]["efficiency"]),
           "captures": len(summary["captures"]),
           "objective_first_capture_day": _nan(summary["objective_first_capture_day"]),
           "objective_changes_of_hands": summary["objective_changes_of_hands"],
           "objective_battle_days": _nan(summary["objective_battle_days"]),
           "cut_episodes": summary["cut_episodes"], "cut_reconnections": summary["cut_reconnections"],
           "captures_unopposed": summary["captures_unopposed"], "summary_json": to_json(summary)}
    for side, losses in summary["casualties_by_side"].items():
        for what, count in losses.items():
            row[f"{what}_{side}"] = count
    return row


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def run_task(task: Task) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Run one task; return its runs row and its daily series as columns. A run that raises comes back as a
    failed row with no series.

    Columns, not rows: the worker does the reshaping, so the batch's own process (which must keep up with every
    worker on a small machine) only extends lists and hands them to Arrow.
    """
    try:
        record = simulate(scenario_variant(task.path, task.parameters, task.sha256), task.seed, task.time_limit)
    except Exception as exc:  # a failed run is a result to store, not a reason to stop the batch
        return task.row("failed", _error(exc)), {}
    days = len(record.timeseries)
    columns: dict[str, list[Any]] = {"scenario": [task.scenario] * days, "design_point": [task.design_point] * days,
                                     "replicate": [task.replicate] * days, "seed": [task.seed] * days}
    for name in record.timeseries[0]:
        columns[name] = [row[name] for row in record.timeseries]
    return {**task.row("ok"), **score_row(record.summary)}, columns


# ---------------------------------------------------------------- the plan of a batch


@dataclass(frozen=True)
class Plan:
    """Every run of a batch: scenarios (validated) x design points x replicates."""

    scenarios: tuple[Scenario, ...]
    design: Design
    seed: int
    seeds: tuple[int, ...]
    digests: tuple[str, ...]  # each scenario's files, hashed together (scenario_digest)
    run_timeout: float = RUN_TIMEOUT
    parameter_sets: ParameterSets = NO_PARAMETER_SETS

    @property
    def layout(self) -> Layout:
        return Layout(tuple(s.name for s in self.scenarios), len(self.design.points), len(self.seeds))

    def tasks(self) -> Iterator[Task]:
        """The runs in canonical order, made lazily (a batch may have hundreds of thousands)."""
        index = 0
        draws = self.parameter_sets.draws(self.seed, len(self.seeds))
        for scenario, sha256 in zip(self.scenarios, self.digests, strict=True):
            path = str(Path(scenario.path).resolve())
            for point, overrides in enumerate(self.design.points):
                texts = ([point_json({**self.parameter_sets.sets[i], **overrides}) for i in draws] if draws
                         else [point_json(overrides)] * len(self.seeds))  # the design point wins over a set
                for replicate, seed in enumerate(self.seeds):
                    yield Task(index, scenario.name, path, point, texts[replicate], replicate, seed, sha256,
                               self.run_timeout)
                    index += 1

    @cached_property
    def schemas(self) -> tuple[Any, Any]:
        """The runs and timeseries schemas: union over the scenarios, in their order (known before any run).

        Making them starts each scenario's model, so a scenario the engine cannot start is reported here, naming
        its file (``execute`` asks before it makes the store's folder).
        """
        sides: dict[str, None] = {}
        columns: dict[str, type] = {}
        for scenario in self.scenarios:
            sides.update(dict.fromkeys(scenario.spec.sides))
            for key, value in _first_row(scenario).items():
                columns.setdefault(key, type(value))
        return run_schema(list(sides)), timeseries_schema(columns)


def _first_row(scenario: Scenario) -> dict[str, Any]:
    try:
        return day_row(SiegeModel(scenario, rng=0), metrics_cache(scenario))
    except Exception as exc:  # the engine refusing a scenario its checks let through: a line, not a traceback
        raise InputError(scenario.path, "", f"cannot be run: {_error(exc)}") from None


def _check_overrides(scenarios: Sequence[Scenario], design: Design, parameter_sets: ParameterSets) -> None:
    """Every design point and parameter set must leave each scenario runnable (see unusable_type_values)."""
    for scenario in scenarios:
        for where, overrides in [(design.file or "--sweep", point) for point in design.points] + \
                [(parameter_sets.file, chosen) for chosen in parameter_sets.sets]:
            params = apply_overrides(scenario.params, nested(overrides), where)
            problem = unusable_type_values(scenario.spec, params)
            if problem is not None:
                raise InputError(where, problem[0], f"{problem[1]} ({scenario.path})")


def make_plan(paths: Sequence[str], runs: int, seed: int, design: Design = NO_SWEEP,
              run_timeout: float = RUN_TIMEOUT, parameter_sets: ParameterSets = NO_PARAMETER_SETS) -> Plan:
    """Validate everything before running anything; raise InputError on bad input."""
    if runs < 1:
        raise InputError("--runs", "", "must be at least 1")
    if seed < 0:
        raise InputError("--seed", "", "must be a non-negative whole number")
    if not run_timeout > 0:
        raise InputError("--run-timeout", "", "must be a positive number of seconds")
    scenarios = tuple(load_scenario(p) for p in paths)
    _check_overrides(scenarios, design, parameter_sets)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("batch", "scenarios", "two scenario files have the same name; rename one")
    return Plan(scenarios, design, seed, tuple(replicate_seeds(seed, runs)),
                tuple(scenario_digest(s) for s in scenarios), run_timeout, parameter_sets)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("qusayr-wargame", "mesa", "numpy", "networkx", "scipy", "pandas", "pyarrow", "distributed"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = ""
    return out


def manifest(plan: Plan, command: Sequence[str]) -> dict[str, Any]:
    """What made this store: command, versions, scenario hashes, seeds, design."""
    return {
        "command": list(command),
        "versions": _versions(),
        "scenarios": [{"name": s.name, "file": s.path, "sha256": sha256, "files": file_digests(s)}
                      for s, sha256 in zip(plan.scenarios, plan.digests, strict=True)],
        "seed": plan.seed,
        "runs": len(plan.seeds),
        "replicate_seeds": list(plan.seeds),
        "design": {"method": plan.design.method, "file": plan.design.file, "spec": plan.design.spec,
                   "points": [dict(p) for p in plan.design.points]},
        "parameter_sets": {"file": plan.parameter_sets.file, "sets": list(plan.parameter_sets.sets),
                           "draws": plan.parameter_sets.draws(plan.seed, len(plan.seeds))},
        "total_runs": plan.layout.total,
        "run_timeout": plan.run_timeout,
    }


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    """What must match for --resume to complete a store: scenario contents, seeds, design points (not paths)."""
    return {"scenarios": [(s["name"], s["sha256"]) for s in data.get("scenarios", [])], "seed": data.get("seed"),
            "runs": data.get("runs"), "design": data.get("design", {}).get("points"),
            "parameter_sets": data.get("parameter_sets", {}).get("sets", [])}


def check_store(plan: Plan, out: str | Path, resume: bool) -> dict[str, Any] | None:
    """Refuse a folder that holds another batch; with ``resume`` it must hold this one. Returns its manifest."""
    out = Path(out)
    old = read_manifest(out)
    if old is not None and not resume:
        raise InputError(str(out), "", "already holds a batch; add --resume to complete it, or choose another --out")
    if old is not None:
        mine = _identity(json.loads(to_json(manifest(plan, ()))))
        try:
            theirs = _identity(old)
        except (AttributeError, TypeError, KeyError):
            raise InputError(str(out / "manifest.json"), "", "was not written by this program: choose another "
                             "--out") from None
        for key, value in mine.items():
            if theirs[key] != value:
                raise InputError(str(out / "manifest.json"), key,
                                 "differs from this command's; --resume completes only the same batch")
    return old


def open_store(plan: Plan, out: str | Path, resume: bool, command: Sequence[str],
               warn: Callable[[str], None] | None = None) -> Store:
    """Start a store in ``out`` (which must not hold another batch), or reopen it with ``resume``.

    Call it holding the store's writer lock. Everything that can refuse the batch is checked before the manifest
    is written, so a refused batch leaves no store behind.
    """
    out = Path(out)
    old = check_store(plan, out, resume)
    schemas = plan.schemas
    write_json(out / "manifest.json", {**manifest(plan, old["command"] if old else command), "complete": False})
    write_design(out, plan.design.points)
    return Store(out, plan.layout, *schemas, warn=warn)


# ---------------------------------------------------------------- executors


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None) -> Iterator[tuple[Executor, int, str]]:
    """An executor with its number of worker slots and a description: local processes (default, all cores),
    a running Dask cluster (``scheduler``), or a Dask LocalCluster started for the batch (``dask_local``). Ctrl-C
    is deferred while it is open (``interrupts_deferred``): code that waits on it looks for Ctrl-C between its
    waits (``run_batch``, ``map_in_order``)."""
    if scheduler is None and dask_local is None:
        workers = os.cpu_count() or 1 if workers is None else workers
        if workers < 1:
            raise InputError("--workers", "", "must be at least 1")
        with interrupts_deferred(), ProcessPoolExecutor(max_workers=workers, mp_context=process_context(),
                                                        initializer=start_worker) as pool:
            yield pool, workers, f"{workers} local process{'es' if workers > 1 else ''}"
        return
    # a deliberate lazy import: Dask's distributed takes 0.2 s, and a local batch (its process and every worker)
    # never needs it
    from sim.dask_executors import open_dask_executor  # noqa: PLC0415
    with interrupts_deferred(), open_dask_executor(scheduler, dask_local) as opened:
        yield opened


def map_in_order[T, R](executor: Executor, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``fn`` over ``items`` on ``executor``, the results in the items' order (like ``Executor.map``), but under a
    deferral of Ctrl-C (``sim.workers.interrupts_deferred``) a Ctrl-C stops it between two looks at the finished
    ones, never inside the executor's locks, and what has not started is cancelled (see ``Interrupts``: a
    KeyboardInterrupt raised inside ``Executor.map``'s waiting could hang the command's exit)."""
    interrupts = active_interrupts()
    futures = [executor.submit(fn, item) for item in items]
    try:
        pending = set(futures)
        while pending:
            interrupts.check()
            _, pending = wait(pending, timeout=INTERRUPT_POLL, return_when=FIRST_COMPLETED)
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()


# ---------------------------------------------------------------- running a batch


@dataclass
class Outcome:
    """How a batch went: runs of this batch in total, already stored at the start, ok and failed now."""

    total: int
    resumed: int = 0
    ok: int = 0
    failed: int = 0

    @property
    def stored(self) -> int:
        return self.resumed + self.ok + self.failed


class BatchAborted(Exception):
    """The executor broke (a worker process died); the runs stored so far are kept."""


def run_batch(plan: Plan, store: Store, executor: Executor, slots: int,
              progress: Callable[[Outcome], None] | None = None) -> Outcome:
    """Run every task not yet stored with status ok; stream results into the store; consolidate at the end.

    Under the deferral of Ctrl-C in force (``open_executor``'s), a Ctrl-C stops the batch between two looks at the
    finished runs, never inside the executor's locks."""
    interrupts = active_interrupts()
    _, ok = store.stored()
    outcome = Outcome(plan.layout.total, resumed=int(ok.sum()))
    if progress:
        progress(outcome)
    todo = (task for task in plan.tasks() if not ok[task.index])
    pending: dict[Future, Task] = {}
    try:
        while True:
            interrupts.check()
            while len(pending) < slots * IN_FLIGHT_PER_WORKER and (task := next(todo, None)) is not None:
                pending[executor.submit(run_task, task)] = task
            if not pending:
                break
            flush_in = store.seconds_to_flush()
            done, _ = wait(pending, timeout=INTERRUPT_POLL if flush_in is None else min(flush_in, INTERRUPT_POLL),
                           return_when=FIRST_COMPLETED)
            for future in done:
                _store_result(future, pending.pop(future), store, outcome)
                if progress:
                    progress(outcome)
            if store.seconds_to_flush() == 0:
                store.flush()
    except BrokenExecutor as exc:
        raise BatchAborted(f"the executor broke ({_error(exc)}); every finished run is stored") from exc
    finally:
        for future in pending:
            future.cancel()
        store.flush()
    with interrupts.allowed():
        store.consolidate()
    return outcome


def _store_result(future: Future, task: Task, store: Store, outcome: Outcome) -> None:
    """Store a finished run and count it (a run whose worker was lost is stored as failed)."""
    try:
        run, series = future.result()
    except BrokenExecutor:
        raise
    except Exception as exc:  # e.g. a Dask worker lost while running it: stored as failed
        run, series = task.row("failed", _error(exc)), {}
    store.add(task.index, run, series)
    if run["status"] == "ok":
        outcome.ok += 1
    else:
        outcome.failed += 1


def finish_manifest(out: str | Path, outcome: Outcome) -> None:
    """Mark the store complete, with its counts."""
    path = Path(out) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    write_json(path, {**data, "complete": True, "failed_runs": outcome.failed})


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[Outcome], None]]:
    """A progress bar on stderr (runs done, failures, rate, time left); silent when stderr is not a terminal.

    It starts at the first report, from the runs already stored, so a resumed batch's rate counts new runs only.
    """
    bars: list[tqdm] = []

    def update(outcome: Outcome) -> None:
        if not bars:
            bars.append(tqdm(total=total, initial=outcome.stored, unit="run", disable=not sys.stderr.isatty(),
                             dynamic_ncols=True, smoothing=0.1))
        bars[0].update(outcome.stored - bars[0].n)
        bars[0].set_postfix(failed=outcome.failed, refresh=False)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


@contextmanager
def write_errors(out: str | Path) -> Iterator[None]:
    """Turn a failed write into one line naming the store and what to do (the store keeps every finished run)."""
    try:
        yield
    except OSError as exc:
        what = "the disk is full: free space" if disk_full(exc) else f"cannot be written ({exc}): fix that"
        raise InputError(str(out), "", f"{what}, then run the same command with --resume") from None


def execute(paths: Sequence[str], runs: int, seed: int, out: str | Path, *, design: Design = NO_SWEEP,
            resume: bool = False, workers: int | None = None, scheduler: str | None = None,
            dask_local: int | None = None, command: Sequence[str] = (), run_timeout: float = RUN_TIMEOUT,
            parameter_sets: ParameterSets = NO_PARAMETER_SETS, echo: Callable[[str], None] = print
            ) -> tuple[Plan, Outcome]:
    """A whole batch: plan and validate, lock and open the store, run on the chosen executor, consolidate, finish."""
    plan = make_plan(paths, runs, seed, design, run_timeout, parameter_sets)
    check_store(plan, out, resume)  # before starting workers or a cluster, or making the folder
    plan.schemas  # noqa: B018 (the engine's own checks of each scenario, likewise)
    layout = plan.layout
    with (open_executor(workers, scheduler, dask_local) as (executor, slots, what), writer_lock(Path(out)) as killed,
          write_errors(out)):
        if killed:
            echo(f"{out}: the batch that wrote here ({killed}) stopped before the end; its finished runs are kept")
        store = open_store(plan, out, resume, command, warn=echo)
        echo(f"{layout.total} runs ({_count(len(layout.scenarios), 'scenario')} x "
             f"{_count(layout.points, 'design point')} x {_count(layout.replicates, 'replicate')}, seed {seed}) "
             f"on {what}")
        with progress_bar(layout.total) as progress:
            outcome = run_batch(plan, store, executor, slots, progress)
        finish_manifest(out, outcome)
    return plan, outcome


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def final_line(outcome: Outcome, out: str | Path) -> str:
    """The last line a batch prints: how many runs, how many failed, where the store is."""
    line = f"{outcome.total} runs, {outcome.failed} failed"
    if outcome.resumed:
        line += f" ({outcome.resumed} were already stored)"
    line += f"; wrote {Path(out)}/runs.parquet, timeseries.parquet, manifest.json"
    if outcome.failed:
        line += " (failed runs have status 'failed' and their error there)"
    return line


# ---------------------------------------------------------------- Mesa's batch_run


class MesaBatchModel(SiegeModel):
    """The model in the form ``mesa.batch_run`` calls: a scenario path, an ``rng``, parameters by name.

    Parameters are those of sim/parameters.py (``march_km_per_day.armour`` for a table's key), applied on top of
    the scenario's own. The DataCollector records the defender's supply and the objective's holder every step.
    """

    def __init__(self, scenario: str, rng: int | None = None, **parameters: float) -> None:
        super().__init__(scenario_variant(str(Path(scenario).resolve()), point_json(parameters)), rng=rng)
        self._cache = metrics_cache(self.campaign)
        self.datacollector = mesa.DataCollector(model_reporters={
            "Day": "day",
            "SupplyFlowShare": lambda m: supply_row(m, m._cache)["supply_flow_share"],
            "ObjectiveHolder": lambda m: m.space.whole_holder(m.objective) or "",
        })
        self.datacollector.collect(self)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)

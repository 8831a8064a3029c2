"""Calibration of a scenario on its record up to the record's split day, with optuna, seeded and resumable.

The search is optuna's TPE sampler over the plausible ranges of a dozen influential parameters (SEARCH_SPACE,
each range with its source; the published loss rates of FM 101-10-1/2 are searched only inside the published
range). Trials are asked in batches of a fixed size, and each batch's runs go to the batch engine's executor
(sim/batch.py: local processes or Dask) with the same replicate seeds for every trial (common random numbers).
The sampler of each batch is seeded from (seed, trials done), and every finished trial is appended to a journal
in the output folder, so an interrupted calibration resumed with the same command asks exactly the trials the
uninterrupted one would have, on any executor and any number of workers.

The loss sees only the fitted period (the record up to its split day): the dated captures, the first assault on
the objective (or, when the record has none by the split day, assaults the runs made too early), and the
record's partial loss figures for that period. Each run hands back only its fights up to the split day, so a
later event cannot leak into the loss. The held-back record is measured once, at the end, for the engine
defaults and the chosen values; the trials within a tolerance of the best are written as the plausible
parameter sets that ``batch``/``compare --parameter-sets`` draw from.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import FloatDistribution
from optuna.trial import create_trial

from analysis.fidelity import WINDOW_DAYS, capture_row, fidelity_report, fit_loss, relative_error
from sim.batch import Task, map_in_order, replicate_seeds, scenario_variant
from sim.errors import InputError
from sim.events import EventKind
from sim.parameters import SPECS
from sim.record import Record, date_text
from sim.records import atomic_path, atomic_write_text, cut_spells
from sim.simulation import simulate
from sim.sweep import point_json
from sim.theatre import town_sectors

FM101 = "FM 101-10-1/2 Table 4-18"
ATP = "ATP 5-0.2-1 Table 2-12"
LOSS_TERMS = ("captures", "first_assault", "cut", "losses")  # the fitted-period loss's terms (``loss_terms``)
CAP_DAYS = 21.0  # a day error counts at most three weeks, so one event that never happens cannot swamp the rest
BOUND_SHARE = 0.02  # a fitted value this close to an end of its range (as a share of the range) is "on a bound"
FIGHT_KINDS = (EventKind.ENGAGEMENT, EventKind.AMBUSH, EventKind.RETREAT)  # the events whose killed are losses


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: its plausible range and why that range."""

    name: str
    low: float
    high: float
    source: str


def dimension(name: str, low: float | None = None, high: float | None = None, source: str | None = None
              ) -> Dimension:
    """A searched parameter from its field in ``sim.parameters.Parameters``: the range and source default to the
    field's metadata (its allowed ``low``/``high`` and ``source``), so a parameter added there can be searched by
    name (``--search NAME`` or ``--search NAME=LOW:HIGH``, the range narrowed to what a source supports)."""
    spec = SPECS.get(name)
    if spec is None or isinstance(spec.default, dict) or not isinstance(spec.default, (int, float)):
        raise InputError("--search", name, "is not a numeric parameter of sim/parameters.py "
                         "(docs/parameters.md lists them)")
    meta = spec.metadata
    low = meta["low"] if low is None else low
    high = meta["high"] if high is None else high
    if not meta["low"] <= low < high <= meta["high"]:
        raise InputError("--search", name, f"range {low:g}:{high:g} must be increasing and inside the allowed "
                         f"{meta['low']:g}..{meta['high']:g}")
    return Dimension(name, float(low), float(high), source or f"{meta['source']} (searched over {low:g}-{high:g})")


def parse_search(texts: Sequence[str]) -> list[Dimension]:
    """``--search`` options: ``NAME`` (the range of its metadata) or ``NAME=LOW:HIGH``."""
    out = []
    for text in texts:
        name, _, bounds = text.partition("=")
        if not bounds:
            out.append(dimension(name))
            continue
        low, _, high = bounds.partition(":")
        try:
            out.append(dimension(name, float(low), float(high)))
        except ValueError:
            raise InputError("--search", text, "must be NAME or NAME=LOW:HIGH with two numbers") from None
    return out


def search_space(extra: Sequence[Dimension] = ()) -> tuple[Dimension, ...]:
    """SEARCH_SPACE with ``extra`` dimensions (an extra one replaces a listed one of the same name)."""
    names = {d.name for d in extra}
    return tuple(d for d in SEARCH_SPACE if d.name not in names) + tuple(extra)


SEARCH_SPACE: tuple[Dimension, ...] = (
    Dimension("attack_loss", 0.02, 0.05, f"{FM101}: attacker 2-5%/day after the first day (published)"),
    Dimension("defence_loss", 0.01, 0.03, f"{FM101}: defender 1-3%/day after the first day (published)"),
    Dimension("ratio_exponent", 0.25, 1.0, "Dupuy: ratio weakly linked to casualty rate; assumption"),
    Dimension("morale_per_loss", 1.5, 6.0, "assumption: breaking after losing 10-25% in a day"),
    Dimension("morale_break", 0.2, 0.4, "assumption"),
    Dimension("halt_morale", 0.35, 0.6, "assumption"),
    Dimension("fortification_bonus", 0.25, 1.0, "Dupuy: prepared defence x1.3-2.0 per level; assumption"),
    Dimension("supply_depletion", 0.025, 0.1, "assumption: 10-40 days of stocks in a besieged town"),
    Dimension("consolidation_days", 1.0, 6.0, "the article: slow and methodical, days between advances"),
    Dimension("attack_ratio", 1.5, 4.0, f"{ATP}: hasty 2.5:1, deliberate 3:1; militias attack at less"),
    Dimension("direct_assault_ratio", 4.0, 10.0, "assumption: storm uncut only with overwhelming power"),
    Dimension("counterattack_chance", 0.01, 0.1, "assumption: a local counterattack every 10-100 days"),
)


# ---------------------------------------------------------------- runs (what a worker does)


@dataclass(frozen=True)
class FitTask:
    """One run of a trial; ``split_day`` (None: not wanted) bounds the fights it reports."""

    task: Task
    split_day: int | None


def fitted_period(events: Sequence[Any], rows: Sequence[Mapping[str, Any]], objective: Collection[str],
                  attacker: str, defender: str, split_day: int, min_cut_days: float = 3.0) -> dict[str, Any]:
    """What a run did up to ``split_day`` and nothing after: killed per (day, place, side), the attacker's
    first assault on the objective (any of its sectors; None if none by then) and the first day of a cut of the
    defender-held objective that lasted ``min_cut_days`` or was still on at the split (``encirclement_min_days``;
    None if none by then), from the daily ``rows`` as ``sim.records.cut_spells`` reads them: the attacker's
    capture of the town is not a cut."""
    killed: dict[tuple[int, str, str], int] = defaultdict(int)
    first_assault = None
    for e in events:
        if e.day > split_day:
            break
        if e.kind not in FIGHT_KINDS:
            continue
        killed[(int(e.day), e.place, e.side)] += e.killed
        if e.other_side:
            killed[(int(e.day), e.place, e.other_side)] += e.enemy_killed
        if first_assault is None and e.place in objective and e.side == attacker and e.kind is EventKind.ENGAGEMENT:
            first_assault = float(e.day)
    seen = [r for r in rows if r["day"] <= split_day]
    on_at_split = seen[-1]["day"] if seen else -math.inf  # a spell running past the last row seen is still on
    cut_day = next((start for start, end, _ in cut_spells(seen, defender)
                    if end - start >= min_cut_days or end > on_at_split), None)
    return {"split_day": split_day, "first_assault_day": first_assault, "cut_day": cut_day,
            "killed": [[day, place, side, n] for (day, place, side), n in sorted(killed.items()) if n]}


def fit_run(job: FitTask) -> dict[str, Any]:
    """The summary of one run, with its fitted period when asked (module level, so any executor can send it)."""
    task = job.task
    scenario = scenario_variant(task.path, task.parameters, task.sha256)
    record = simulate(scenario, task.seed, task.time_limit)
    summary = dict(record.summary)
    if job.split_day is not None:
        summary["fitted_period"] = fitted_period(record.events, record.timeseries,
                                                 town_sectors(scenario.graph, scenario.spec.objective),
                                                 scenario.attacker, scenario.defender, job.split_day,
                                                 scenario.params.encirclement_min_days)
    return summary


def run_points(executor: Executor, base: Path, points: Sequence[Mapping[str, float]], seeds: Sequence[int],
               split_day: int | None = None) -> list[list[dict[str, Any]]]:
    """The run summaries of every parameter point (in order), each run with every seed, on ``executor``."""
    path = str(base.resolve())
    jobs = [FitTask(Task(0, base.stem, path, i, point_json(p), r, seed), split_day)
            for i, p in enumerate(points) for r, seed in enumerate(seeds)]
    out: list[list[dict[str, Any]]] = [[] for _ in points]
    for job, summary in zip(jobs, map_in_order(executor, fit_run, jobs), strict=True):
        out[job.task.design_point].append(summary)
    return out


# ---------------------------------------------------------------- the loss (fitted period only)


def _median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def assault_term(runs: Sequence[Mapping[str, Any]], record: Record) -> float:
    """The first assault on the objective, in weeks: the error of the runs' median day when the record dates
    one by the split day; otherwise how long before the split the runs assaulted (the record says: not yet)."""
    return dated_term(runs, "first_assault_day", record.first_assault_day, record)


def cut_term(runs: Sequence[Mapping[str, Any]], record: Record) -> float:
    """The cut-off of the objective, in weeks, as ``assault_term`` (the record's encirclement date): a fit that
    never cuts the town off by the split when the record has it cut pays for it."""
    return dated_term(runs, "cut_day", record.encirclement_day, record)


def dated_term(runs: Sequence[Mapping[str, Any]], field: str, recorded: int | None, record: Record) -> float:
    """A dated event of the fitted period (``field`` of each run's ``fitted_period``, None: not by the split), in
    weeks: the error of the runs' median day (a run without it counts the day after the split) when the record
    dates it by the split day; otherwise how long before the split the runs had it (the record says: not yet)."""
    censor = record.split_day + 1.0
    median = _median([censor if r["fitted_period"].get(field) is None else r["fitted_period"][field] for r in runs])
    if recorded is not None and recorded <= record.split_day:
        return min(abs(median - recorded), CAP_DAYS) / WINDOW_DAYS
    return min(max(0.0, censor - median), CAP_DAYS) / WINDOW_DAYS


def partial_killed(run: Mapping[str, Any], side: str, place: str | None, day: int) -> int:
    """One run's killed of ``side`` (at ``place``, or anywhere) up to ``day``."""
    return sum(n for d, p, s, n in run["fitted_period"]["killed"]
               if d <= day and s == side and (place is None or p == place))


def losses_term(runs: Sequence[Mapping[str, Any]], record: Record) -> float:
    """Mean distance of the runs' median killed from each partial figure of the fitted period, as a share of
    the figure (capped at 1 each); 0 when the record gives none."""
    if not record.partial_losses:
        return 0.0
    errors = [min(abs(relative_error(_median([partial_killed(r, p.side, p.place, p.day) for r in runs]),
                                     p.killed)), 1.0) for p in record.partial_losses]
    return float(np.mean(errors))


def loss_terms(runs: Sequence[Mapping[str, Any]], record: Record) -> dict[str, float]:
    """The fitted-period loss and its terms (lower is better): captures (dates, share within 7 days, order),
    the first assault on the objective, its cut-off, and the partial losses; each term is about 0-3."""
    rows = [capture_row(runs, c, record) for c in record.captures() if c.day <= record.split_day]
    terms = {"captures": fit_loss(rows, CAP_DAYS) if rows else 0.0, "first_assault": assault_term(runs, record),
             "cut": cut_term(runs, record), "losses": losses_term(runs, record)}
    return {"loss": sum(terms.values()), **terms}


# ---------------------------------------------------------------- the search


@dataclass(frozen=True)
class Budget:
    """How much searching to do: ``trials`` parameter sets x ``runs`` replicates, asked ``batch`` at a time."""

    trials: int = 60
    runs: int = 8
    batch: int = 4  # trials asked at once (fixed, not the number of workers: the trials must not depend on it)
    startup: int = 12  # random trials before TPE models the loss
    tolerance: float = 0.25  # plausible sets: trials whose loss is within this of the best
    max_sets: int = 20
    check_runs: int = 200  # replicates for the held-back check of the defaults and the chosen values (Budgets)

    def check(self) -> None:
        for name in ("trials", "runs", "batch", "max_sets", "check_runs"):
            if getattr(self, name) < 1:
                raise InputError("calibrate", f"--{name.replace('_', '-')}", "must be at least 1")
        if self.startup < 0 or not self.tolerance >= 0:
            raise InputError("calibrate", "--tolerance", "must not be negative")


def distributions(space: Sequence[Dimension]) -> dict[str, FloatDistribution]:
    return {d.name: FloatDistribution(d.low, d.high) for d in space}


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The finished trials of an earlier calibration in this folder; a half-written last line (an interrupted
    write) is dropped from the file too, so the trials appended next are not hidden behind it."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    trials = []
    for line in lines:
        try:
            trials.append(json.loads(line))
        except json.JSONDecodeError:
            break
    if len(trials) < len(lines):
        atomic_write_text(path, "".join(json.dumps(t, sort_keys=True) + "\n" for t in trials))
    return trials


def append_journal(path: Path, trials: Sequence[Mapping[str, Any]]) -> None:
    """Add one batch of finished trials in one write (an interruption leaves whole lines, or a broken last one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(t, sort_keys=True) + "\n" for t in trials)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def check_journal(trials: Sequence[Mapping[str, Any]], identity: Mapping[str, Any], path: Path) -> None:
    """A journal is resumed only by the calibration that wrote it (same scenario, seed, runs, space)."""
    for t in trials:
        if t["identity"] != identity:
            raise InputError(str(path), "identity", "was written by another calibration (scenario, seed, runs, "
                             "loss terms, batch or search space differ): choose another --out, or delete the file")


def _study(trials: Sequence[Mapping[str, Any]], space: Sequence[Dimension]) -> optuna.Study:
    """An in-memory study holding the journal's trials, in order."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize")
    dists = distributions(space)
    for t in trials:
        study.add_trial(create_trial(params=t["params"], distributions=dists, value=t["loss"]))
    return study


def _sampler(seed: int, done: int, budget: Budget) -> optuna.samplers.BaseSampler:
    """The sampler of the batch that starts after ``done`` trials: seeded from both, so a resumed run asks
    what the uninterrupted one would."""
    batch_seed = int(np.random.SeedSequence([seed, done]).generate_state(1)[0])
    return optuna.samplers.TPESampler(seed=batch_seed, n_startup_trials=budget.startup, multivariate=True)


def search(executor: Executor, base: Path, record: Record, budget: Budget, seed: int, journal: Path,
           space: Sequence[Dimension] = SEARCH_SPACE, progress: Callable[[str], None] = print
           ) -> list[dict[str, Any]]:
    """Run trials until the budget is spent, resuming from ``journal``; return every trial, in order."""
    identity = {"scenario": base.name, "seed": seed, "runs": budget.runs, "batch": budget.batch,
                "startup": budget.startup, "space": [[d.name, d.low, d.high] for d in space], "terms": list(LOSS_TERMS)}
    trials = read_journal(journal)
    check_journal(trials, identity, journal)
    if trials:
        progress(f"Resuming: {len(trials)} trials already in {journal}")
    study = _study(trials, space)
    seeds = replicate_seeds(seed, budget.runs)
    dists = distributions(space)
    while len(trials) < budget.trials:
        study.sampler = _sampler(seed, len(trials), budget)
        asked = [study.ask(dists) for _ in range(min(budget.batch, budget.trials - len(trials)))]
        points = [{d.name: t.params[d.name] for d in space} for t in asked]
        results = run_points(executor, base, points, seeds, record.split_day)
        batch = []
        for trial, point, runs in zip(asked, points, results, strict=True):
            terms = loss_terms(runs, record)
            study.tell(trial, terms["loss"])
            batch.append({"number": trial.number, "params": point, **terms, "identity": identity})
        append_journal(journal, batch)
        trials += batch
        best = min(trials, key=lambda t: t["loss"])
        progress(f"trial {len(trials)}/{budget.trials}: batch best {min(t['loss'] for t in batch):.3f}, "
                 f"best so far {best['loss']:.3f} (trial {best['number']})")
    return trials[: budget.trials]


def plausible_sets(trials: Sequence[Mapping[str, Any]], budget: Budget) -> list[dict[str, Any]]:
    """The trials within ``tolerance`` of the best loss (at most ``max_sets``, best first)."""
    ranked = sorted(trials, key=lambda t: (t["loss"], t["number"]))
    cut = ranked[0]["loss"] + budget.tolerance
    return [t for t in ranked if t["loss"] <= cut][: budget.max_sets]


def on_bounds(values: Mapping[str, float], space: Sequence[Dimension] = SEARCH_SPACE) -> list[dict[str, Any]]:
    """The fitted values at an end of their range: there the range, not the data, may have decided them."""
    out = []
    for d in space:
        share = (values[d.name] - d.low) / (d.high - d.low)
        if share <= BOUND_SHARE or share >= 1 - BOUND_SHARE:
            out.append({"parameter": d.name, "value": values[d.name], "bound": "low" if share < 0.5 else "high",
                        "range": [d.low, d.high]})
    return out


def calibrate(executor: Executor, base: Path, record: Record, out: Path, budget: Budget = Budget(), seed: int = 1,
              space: Sequence[Dimension] = SEARCH_SPACE, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Search the parameters of scenario ``base`` on the fitted part of its ``record`` (journal in ``out``);
    return every trial, the chosen set, the plausible sets and the check of defaults and chosen values."""
    budget.check()
    progress(f"Searching: {budget.trials} trials x {budget.runs} runs, {budget.batch} trials at a time "
             f"(optuna TPE, seed {seed}); the loss sees the record to day {record.split_day} only")
    trials = search(executor, base, record, budget, seed, out / "trials.jsonl", space, progress)
    sets = plausible_sets(trials, budget)
    chosen = sets[0]
    progress(f"Checking the engine defaults and the chosen values on {budget.check_runs} fresh runs...")
    check_seeds = replicate_seeds(seed + 2, budget.check_runs)
    defaults = {d.name: SPECS[d.name].default for d in space}
    default_runs, chosen_runs = run_points(executor, base, [defaults, chosen["params"]], check_seeds,
                                           record.split_day)
    return {
        "base": str(base), "seed": seed, "budget": asdict(budget), "sampler": "optuna TPESampler (multivariate)",
        "optuna": optuna.__version__,
        "space": [{"name": d.name, "low": d.low, "high": d.high, "default": SPECS[d.name].default,
                   "source": d.source} for d in space],
        "trials": [{k: v for k, v in t.items() if k != "identity"} for t in trials],
        "chosen": {k: v for k, v in chosen.items() if k != "identity"},
        "on_bounds": on_bounds(chosen["params"], space),
        "parameter_sets": [t["params"] for t in sets],
        "default_loss": loss_terms(default_runs, record), "chosen_loss": loss_terms(chosen_runs, record),
        "default_report": fidelity_report(default_runs, record),
        "chosen_report": fidelity_report(chosen_runs, record),
    }


def write_trials(result: Mapping[str, Any], path: Path) -> None:
    """trials.parquet: one flat row per trial (number, loss, its terms, each parameter), written atomically."""
    rows = [{"number": t["number"], "loss": t["loss"], "captures": t["captures"], "first_assault": t["first_assault"],
             "cut": t["cut"], "losses": t["losses"], **t["params"]} for t in result["trials"]]
    with atomic_path(path) as tmp:
        pd.DataFrame(rows).to_parquet(tmp, index=False)


def parameter_sets_document(result: Mapping[str, Any], record: Record) -> dict[str, Any]:
    """The plausible parameter sets as the file ``--parameter-sets`` reads."""
    return {"kind": "parameter sets", "scenario": result["base"], "seed": result["seed"],
            "fitted_to": record.split_date.isoformat(),
            "rule": f"trials within {result['budget']['tolerance']} of the best fitted-period loss "
                    f"(at most {result['budget']['max_sets']})",
            "sets": result["parameter_sets"]}


def parameters_block(chosen: Mapping[str, float], record: Record, space: Sequence[Dimension] = SEARCH_SPACE) -> str:
    """The chosen values as a commented ``parameters:`` block for the calibrated scenario's file."""
    split = f"calibrated on the record to {date_text(record.split_date)}"
    bounds = {b["parameter"]: b["bound"] for b in on_bounds(chosen, space)}
    lines = [f"parameters:  # {split} (python run.py calibrate; docs/validation.md)"]
    for d in space:
        value = float(f"{chosen[d.name]:.4g}")
        text = f"{value:g}" if math.isfinite(value) else str(value)
        edge = f"; ON THE {bounds[d.name].upper()} BOUND" if d.name in bounds else ""
        lines.append(f"  {d.name}: {text:<8} # range {d.low:g}-{d.high:g}{edge}; {d.source}; {split}")
    return "\n".join(lines) + "\n"

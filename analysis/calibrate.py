"""Calibration of a scenario on its record up to the record's split date, and a sensitivity analysis.

The search is a Latin hypercube over the plausible ranges of a dozen influential parameters (SEARCH_SPACE),
then a smaller hypercube in a shrunken box round each of the best few points; every point is run with the same
replicate seeds (common random numbers) so points differ by their parameters, not by luck. The best few are
then re-run on fresh seeds and the best of those is chosen, so the winner is not just the point that drew the
luckiest seeds. Only the record up to the split day enters the loss (analysis.fidelity.fitted_loss); the
held-back record is measured once, at the end, for the defaults and for the chosen values.

Points run on the batch engine (sim/batch.py) as design points of the scenario, on any executor it offers
(local processes or Dask).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc, spearmanr

from analysis.fidelity import censor_day, fidelity_report, fitted_loss
from sim.batch import Task, replicate_seeds, run_task
from sim.errors import InputError
from sim.parameters import SPECS
from sim.record import Record, date_text
from sim.sweep import point_json

FM101 = "FM 101-10-1/2 Table 4-18"
ATP = "ATP 5-0.2-1 Table 2-12"


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: its plausible range and why that range."""

    name: str
    low: float
    high: float
    source: str


SEARCH_SPACE: tuple[Dimension, ...] = (
    Dimension("attack_loss", 0.02, 0.05, f"{FM101}: attacker 2-5%/day after the first day"),
    Dimension("defence_loss", 0.01, 0.03, f"{FM101}: defender 1-3%/day after the first day"),
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
SENSITIVITY_OUTPUTS = (("fall_day", "fall day of the town"), ("encirclement_day", "day supply first cut"),
                       ("supply_auc", "supply AUC"))


def _round(value: float, digits: int = 3) -> float:
    """Round to ``digits`` significant figures, so the chosen values read well and are exactly what was run."""
    return float(f"{value:.{digits}g}") if value else 0.0


def scale(unit: np.ndarray, space: Sequence[Dimension], box: Sequence[tuple[float, float]] | None = None
          ) -> list[dict[str, float]]:
    """Map points of the unit cube to parameter values (within ``box``, default the full ranges)."""
    box = box or [(d.low, d.high) for d in space]
    return [{d.name: _round(lo + u * (hi - lo)) for d, (lo, hi), u in zip(space, box, row, strict=True)}
            for row in unit]


def latin_hypercube(space: Sequence[Dimension], n: int, seed: int,
                    box: Sequence[tuple[float, float]] | None = None) -> list[dict[str, float]]:
    """``n`` points spread over the ranges (one per stratum of every parameter)."""
    if n <= 0:
        return []
    return scale(qmc.LatinHypercube(d=len(space), rng=np.random.default_rng(seed)).random(n), space, box)


def shrunken_box(space: Sequence[Dimension], centre: Mapping[str, float], shrink: float
                 ) -> list[tuple[float, float]]:
    """A box ``shrink`` times the ranges wide round ``centre``, kept inside the ranges."""
    out = []
    for d in space:
        half = (d.high - d.low) * shrink / 2
        low = min(max(d.low, centre[d.name] - half), d.high - 2 * half)
        out.append((low, low + 2 * half))
    return out


def run_points(executor: Executor, base: Path, points: Sequence[Mapping[str, float]], seeds: Sequence[int]
               ) -> list[list[dict[str, Any]]]:
    """The run summaries of every design point (in order), each run with every seed, on the batch engine."""
    path = str(base.resolve())
    tasks = [Task(0, base.stem, path, i, point_json(p), r, seed)
             for i, p in enumerate(points) for r, seed in enumerate(seeds)]
    out: list[list[dict[str, Any]]] = [[] for _ in points]
    for task, (row, _series) in zip(tasks, executor.map(run_task, tasks), strict=True):
        if row["status"] != "ok":
            raise RuntimeError(f"run {task} failed: {row['error']}")
        out[task.design_point].append(json.loads(row["summary_json"]))
    return out


def _score(points: Sequence[Mapping[str, float]], results: Sequence[list[dict[str, Any]]], record: Record,
           stage: str) -> list[dict[str, Any]]:
    return [{"stage": stage, "params": dict(p), "loss": fitted_loss(runs, record), "outputs": _outputs(runs)}
            for p, runs in zip(points, results, strict=True)]


@dataclass(frozen=True)
class Budget:
    """How much searching to do; the defaults take a few minutes on two cores."""

    points: int = 60  # Latin hypercube points over the full ranges
    runs: int = 8  # replicates per point
    refine: int = 24  # refinement points, shared among the best ``top`` points
    top: int = 3
    shrink: float = 0.25  # refinement box width, as a share of each range
    finalists: int = 4  # best points re-run on fresh seeds
    final_runs: int = 24
    check_runs: int = 40  # replicates for the held-back check of the defaults and the chosen values
    sensitivity_runs: int = 12  # per end of each range (0: no sensitivity analysis)

    def check(self) -> None:
        for name in ("points", "runs", "finalists", "final_runs", "check_runs"):
            if getattr(self, name) < 1:
                raise InputError("calibrate", f"--{name.replace('_', '-')}", "must be at least 1")
        for name in ("refine", "top", "sensitivity_runs"):
            if getattr(self, name) < 0:
                raise InputError("calibrate", f"--{name.replace('_', '-')}", "must not be negative")


def calibrate(executor: Executor, base: Path, record: Record, budget: Budget = Budget(), seed: int = 1,
              space: Sequence[Dimension] = SEARCH_SPACE, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Search the parameters of scenario ``base`` on the fitted part of its ``record``; return every point, the
    chosen one and both checks."""
    budget.check()
    fit_seeds = replicate_seeds(seed, budget.runs)
    progress(f"Latin hypercube: {budget.points} points x {budget.runs} runs...")
    lhs = latin_hypercube(space, budget.points, seed)
    points = _score(lhs, run_points(executor, base, lhs, fit_seeds), record, "lhs")
    best = sorted(points, key=lambda p: p["loss"])[: budget.top]
    per_centre = budget.refine // max(1, len(best)) if budget.top else 0
    if per_centre:
        progress(f"Refinement: {per_centre * len(best)} points round the best {len(best)}...")
        near = [p for i, b in enumerate(best)
                for p in latin_hypercube(space, per_centre, seed + 100 + i, shrunken_box(space, b["params"],
                                                                                          budget.shrink))]
        points += _score(near, run_points(executor, base, near, fit_seeds), record, "refine")
    finalists = sorted(points, key=lambda p: p["loss"])[: budget.finalists]
    progress(f"Finalists: {len(finalists)} points x {budget.final_runs} fresh runs...")
    final_seeds = replicate_seeds(seed + 1, budget.final_runs)
    rerun = run_points(executor, base, [f["params"] for f in finalists], final_seeds)
    for f, runs in zip(finalists, rerun, strict=True):
        f["final_loss"] = fitted_loss(runs, record)
    chosen = min(finalists, key=lambda f: f["final_loss"])
    progress(f"Checking the engine defaults and the chosen values on {budget.check_runs} fresh runs...")
    check_seeds = replicate_seeds(seed + 2, budget.check_runs)
    defaults = {d.name: SPECS[d.name].default for d in space}
    default_runs, chosen_runs = run_points(executor, base, [defaults, chosen["params"]], check_seeds)
    if budget.sensitivity_runs:
        progress(f"Sensitivity: {len(space)} parameters x 2 ends x {budget.sensitivity_runs} runs...")
    return {
        "base": str(base), "seed": seed, "budget": asdict(budget),
        "space": [{"name": d.name, "low": d.low, "high": d.high, "default": SPECS[d.name].default,
                   "source": d.source} for d in space],
        "points": points, "finalists": finalists, "chosen": chosen,
        "default_loss": fitted_loss(default_runs, record), "chosen_loss": fitted_loss(chosen_runs, record),
        "default_report": fidelity_report(default_runs, record),
        "chosen_report": fidelity_report(chosen_runs, record),
        "rank_sensitivity": rank_sensitivity(points, space),
        "sensitivity": sensitivity(executor, base, chosen["params"], budget.sensitivity_runs, seed, space)
        if budget.sensitivity_runs else [],
    }


def _outputs(summaries: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Median fall day and supply scores of a batch (an event that never happened counts as the censor day)."""
    def day(s: Mapping[str, Any], key: str) -> float:
        return censor_day(s) if s[key] is None else float(s[key])
    return {
        "fall_day": float(np.median([day(s, "objective_fall_day") for s in summaries])),
        "encirclement_day": float(np.median([day(s, "encirclement_day") for s in summaries])),
        "supply_auc": float(np.median([s["supply_auc"] for s in summaries])),
    }


def sensitivity(executor: Executor, base: Path, centre: Mapping[str, float], runs: int, seed: int = 1,
                space: Sequence[Dimension] = SEARCH_SPACE) -> list[dict[str, Any]]:
    """One at a time: each parameter at the low and the high end of its range, the others at ``centre``."""
    seeds = replicate_seeds(seed + 3, runs)
    points = [dict(centre)] + [dict(centre) | {d.name: end} for d in space for end in (d.low, d.high)]
    results = [_outputs(r) for r in run_points(executor, base, points, seeds)]
    rows = []
    for i, d in enumerate(space):
        low, high = results[1 + 2 * i], results[2 + 2 * i]
        row: dict[str, Any] = {"parameter": d.name, "low": d.low, "high": d.high, "centre": centre[d.name]}
        for key, _label in SENSITIVITY_OUTPUTS:
            row[f"{key}_base"], row[f"{key}_low"], row[f"{key}_high"] = results[0][key], low[key], high[key]
        rows.append(row)
    return rows


def rank_sensitivity(points: Sequence[Mapping[str, Any]], space: Sequence[Dimension] = SEARCH_SPACE
                     ) -> list[dict[str, Any]]:
    """A global cross-check of the one-at-a-time analysis: over the hypercube points, where all parameters
    vary together, the Spearman correlation of each parameter with each output (its square is roughly the
    share of the output's rank variance that parameter explains alone)."""
    sample = [p for p in points if p["stage"] == "lhs"]
    rows = []
    for d in space:
        row: dict[str, Any] = {"parameter": d.name}
        for key, _label in SENSITIVITY_OUTPUTS:
            x = [p["params"][d.name] for p in sample]
            y = [p["outputs"][key] for p in sample]
            row[key] = float(spearmanr(x, y).statistic) if len(set(y)) > 1 and len(sample) > 2 else None
        rows.append(row)
    return rows


def parameters_block(chosen: Mapping[str, float], record: Record, space: Sequence[Dimension] = SEARCH_SPACE) -> str:
    """The chosen values as a commented ``parameters:`` block for the calibrated scenario's file."""
    split = f"calibrated on the record to {date_text(record.split_date)}"
    lines = [f"parameters:  # {split} (python run.py calibrate; docs/validation.md)"]
    for d in space:
        value = chosen[d.name]
        text = f"{value:g}" if math.isfinite(value) else str(value)
        lines.append(f"  {d.name}: {text:<8} # range {d.low:g}-{d.high:g}; {d.source}; {split}")
    return "\n".join(lines) + "\n"

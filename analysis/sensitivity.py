"""Global sensitivity of a scenario's outcomes to its searched parameters, with SALib: Morris screening over
every parameter, then Sobol' indices on the few that matter.

One-at-a-time sweeps miss interactions (morale with ratio with doctrine); here every parameter varies at once.
Morris (elementary effects along random trajectories) is cheap and ranks the parameters by mu* (mean absolute
effect) and sigma (interaction or non-linearity); Sobol' then splits each output's variance among the top few
(first order S1: alone; total ST: with every interaction), the rest held at the scenario's own values (its
``parameters:`` block, else the engine defaults). Each point is the
mean of a few replicate runs with the same seeds at every point (common random numbers), so the indices measure
the parameters, not the dice. Outputs: the objective's fall day and the encirclement day (an event that never
happened counts as one day past the end) and the killed of each side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from analysis.calibrate import SEARCH_SPACE, Dimension, run_points
from analysis.scores import censored_day
from sim.batch import replicate_seeds
from sim.errors import InputError
from sim.scenario import load_scenario

Evaluate = Callable[[np.ndarray], dict[str, np.ndarray]]  # rows of parameter values -> one array per output
LEVELS = 4  # Morris grid levels


def problem(space: Sequence[Dimension]) -> dict[str, Any]:
    """SALib's description of the searched ranges."""
    return {"num_vars": len(space), "names": [d.name for d in space], "bounds": [[d.low, d.high] for d in space]}


def morris(evaluate: Evaluate, space: Sequence[Dimension], trajectories: int, seed: int) -> list[dict[str, Any]]:
    """Morris screening: one row per (output, parameter) with mu* (its confidence half-width) and sigma."""
    spec = problem(space)
    x = morris_sample.sample(spec, trajectories, num_levels=LEVELS, seed=seed)
    rows = []
    for output, y in evaluate(x).items():
        result = morris_analyze.analyze(spec, x, np.asarray(y, dtype=float), num_levels=LEVELS, seed=seed)
        for i, name in enumerate(spec["names"]):
            rows.append({"output": output, "parameter": name, "mu_star": float(result["mu_star"][i]),
                         "mu_star_conf": float(result["mu_star_conf"][i]), "sigma": float(result["sigma"][i])})
    return rows


def most_influential(rows: Sequence[Mapping[str, Any]], count: int) -> list[str]:
    """The ``count`` parameters with the largest mu*, each output's mu* scaled by its largest (so days and
    killed weigh alike)."""
    top: dict[str, float] = {}
    for output in dict.fromkeys(r["output"] for r in rows):
        part = [r for r in rows if r["output"] == output]
        scale = max(r["mu_star"] for r in part) or 1.0
        for r in part:
            top[r["parameter"]] = max(top.get(r["parameter"], 0.0), r["mu_star"] / scale)
    return sorted(top, key=lambda name: (-top[name], name))[:count]


def sobol(evaluate: Evaluate, space: Sequence[Dimension], base_samples: int, seed: int) -> list[dict[str, Any]]:
    """Sobol' indices (Saltelli sampling, no second order): one row per (output, parameter) with S1 and ST and
    their confidence half-widths."""
    spec = problem(space)
    x = sobol_sample.sample(spec, base_samples, calc_second_order=False, seed=seed)
    rows = []
    for output, y in evaluate(x).items():
        if np.ptp(y) == 0:  # an output no parameter moves (e.g. a town that never falls): no variance to share
            rows += [{"output": output, "parameter": name, "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
                     for name in spec["names"]]
            continue
        result = sobol_analyze.analyze(spec, np.asarray(y, dtype=float), calc_second_order=False, seed=seed)
        for i, name in enumerate(spec["names"]):
            rows.append({"output": output, "parameter": name, "S1": float(result["S1"][i]),
                         "S1_conf": float(result["S1_conf"][i]), "ST": float(result["ST"][i]),
                         "ST_conf": float(result["ST_conf"][i])})
    return rows


def outcome_means(summaries: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean fall day, encirclement day (censored one day past the end) and killed per side of a point's runs."""
    out = {"fall_day": float(np.mean([censored_day(s, "objective_fall_day") for s in summaries])),
           "encirclement_day": float(np.mean([censored_day(s, "encirclement_day") for s in summaries]))}
    for side in summaries[0]["casualties_by_side"]:
        out[f"killed_{side}"] = float(np.mean([s["casualties_by_side"][side]["killed"] for s in summaries]))
    return out


def scenario_evaluator(executor: Executor, base: Path, space: Sequence[Dimension], runs: int, seed: int,
                       fixed: Mapping[str, float]) -> Evaluate:
    """Evaluate rows of parameter values by running the scenario (``fixed``: the other parameters' values)."""
    seeds = replicate_seeds(seed, runs)

    def evaluate(x: np.ndarray) -> dict[str, np.ndarray]:
        points = [dict(fixed) | {d.name: float(v) for d, v in zip(space, row, strict=True)} for row in x]
        means = [outcome_means(r) for r in run_points(executor, base, points, seeds)]
        return {key: np.array([m[key] for m in means]) for key in means[0]}

    return evaluate


def sensitivity(executor: Executor, base: Path, trajectories: int, sobol_samples: int, top: int, runs: int,
                seed: int, space: Sequence[Dimension] = SEARCH_SPACE, progress: Callable[[str], None] = print
                ) -> dict[str, Any]:
    """Morris over ``space``, then Sobol' over its ``top`` most influential parameters (0: no Sobol')."""
    if trajectories < 2 or runs < 1 or top < 0 or sobol_samples < 1:
        raise InputError("sensitivity", "--budget", "needs at least 2 trajectories, 1 run, 1 Sobol' sample")
    params = load_scenario(str(base)).params
    fixed = {d.name: float(getattr(params, d.name)) for d in space}
    progress(f"Morris: {trajectories} trajectories x {len(space) + 1} points x {runs} runs...")
    screening = morris(scenario_evaluator(executor, base, space, runs, seed, fixed), space, trajectories, seed)
    chosen = most_influential(screening, top)
    indices: list[dict[str, Any]] = []
    if len(chosen) >= 2:
        subset = [d for d in space if d.name in chosen]
        progress(f"Sobol': {sobol_samples} x {len(subset) + 2} points x {runs} runs over {', '.join(chosen)}...")
        indices = sobol(scenario_evaluator(executor, base, subset, runs, seed, fixed), subset, sobol_samples,
                        seed)
    return {"base": str(base), "seed": seed, "trajectories": trajectories, "sobol_samples": sobol_samples,
            "runs": runs, "space": [[d.name, d.low, d.high] for d in space], "morris": screening,
            "sobol_parameters": chosen, "sobol": indices}

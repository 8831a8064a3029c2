"""Experiment designs: which parameter values each design point of a batch runs with.

A sweep file (YAML) names model parameters (sim/parameters.py; a table parameter per key, as
``march_km_per_day.armour``) and how to vary them::

    method: grid              # every combination of the listed values
    parameters:
      attack_loss: [0.02, 0.035, 0.05]
      march_km_per_day.armour: {low: 15, high: 30, steps: 4}   # evenly spaced, ends included

    method: lhs               # Latin hypercube sample (scipy.stats.qmc) of the ranges
    samples: 20
    seed: 7                   # the design's own seed (default 0), so a design is a property of its file
    parameters:
      attack_loss: {low: 0.02, high: 0.05}

Each design point is a flat mapping of parameter names to values; ``nested`` turns it into the form
``apply_overrides`` takes, applied on top of the scenario's own ``parameters:``. Bad files raise InputError
naming the file and field.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.parameters import SPECS, Parameters, apply_overrides
from sim.scenario import read_mapping

METHODS = ("grid", "lhs")
MAX_POINTS = 10_000
"""Most design points a sweep may have (grid combinations or samples): each runs every replicate of every
scenario, so more would not finish, and the points alone would fill memory long before 10^9."""


@dataclass(frozen=True)
class Design:
    """The design points of a batch; one point with no overrides when there is no sweep."""

    method: str  # "none", "grid" or "lhs"
    points: tuple[dict[str, float], ...]
    spec: dict[str, Any]  # the sweep file's content, kept with the results
    file: str = ""

    @property
    def names(self) -> list[str]:
        """The swept parameters, in the file's order."""
        return list(self.points[0])


NO_SWEEP = Design("none", ({},), {})


def nested(point: Mapping[str, float]) -> dict[str, Any]:
    """``{"march_km_per_day.armour": 20}`` -> ``{"march_km_per_day": {"armour": 20}}`` for apply_overrides."""
    out: dict[str, Any] = {}
    for name, value in point.items():
        table, _, key = name.partition(".")
        if key:
            out.setdefault(table, {})[key] = value
        else:
            out[name] = value
    return out


def point_json(point: Mapping[str, float]) -> str:
    """A design point as the JSON text stored in the results (stable: the file's order)."""
    return json.dumps(dict(point))


def _check_name(name: Any, file: str) -> None:
    where = f"parameters.{name}"
    table, _, key = str(name).partition(".")
    if not isinstance(name, str) or table not in SPECS:
        raise InputError(file, where, f"unknown parameter (known: {', '.join(sorted(SPECS))})")
    current = getattr(Parameters(), table)
    if isinstance(current, dict) and key not in current:
        raise InputError(file, where, f"a table parameter is swept per key, one of: "
                         f"{', '.join(f'{table}.{k}' for k in current)}")
    if not isinstance(current, dict) and key:
        raise InputError(file, where, f"{table} is not a table parameter")


def _number(value: Any, file: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise InputError(file, where, f"must be a finite number, got {value!r}")
    return float(value)


def _range(spec: Any, file: str, where: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(spec, Mapping) or set(spec) != keys:
        raise InputError(file, where, f"must be a mapping with exactly the keys {', '.join(sorted(keys))}")
    low, high = _number(spec["low"], file, f"{where}.low"), _number(spec["high"], file, f"{where}.high")
    if not low < high:
        raise InputError(file, where, f"low ({low:g}) must be below high ({high:g})")
    return {"low": low, "high": high}


def _grid_values(spec: Any, file: str, where: str) -> list[float]:
    if isinstance(spec, list):
        if not spec:
            raise InputError(file, where, "must list at least one value")
        return [_number(v, file, f"{where}[{i}]") for i, v in enumerate(spec)]
    bounds = _range(spec, file, where, {"low", "high", "steps"})
    steps = spec["steps"]
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_POINTS:
        raise InputError(file, f"{where}.steps", f"must be a whole number from 2 to {MAX_POINTS:,}, got {steps!r}")
    return [float(v) for v in np.linspace(bounds["low"], bounds["high"], steps)]


def _check_points(points: list[dict[str, float]], file: str) -> None:
    """Every value must lie in its parameter's documented range (checked by the same code as scenarios)."""
    for point in points:
        apply_overrides(Parameters(), nested(point), file)


def load_design(path: str | Path) -> Design:
    """Read and check a sweep file; return its design points."""
    file = str(path)
    data = read_mapping(path).data
    method = data.get("method")
    if method not in METHODS:
        raise InputError(file, "method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    allowed = {"method", "parameters"} | ({"samples", "seed"} if method == "lhs" else set())
    for key in data:
        if key not in allowed:
            raise InputError(file, str(key), f"unknown key for method {method} (allowed: {', '.join(sorted(allowed))})")
    params = data.get("parameters")
    if not isinstance(params, Mapping) or not params:
        raise InputError(file, "parameters", "must be a non-empty mapping of parameter names to values or ranges")
    for name in params:
        _check_name(name, file)
    names = list(params)
    points = _grid(params, names, file) if method == "grid" else _lhs(data, params, names, file)
    _check_points(points, file)
    return Design(method, tuple(points), data, file)


def _grid(params: Mapping[str, Any], names: list[str], file: str) -> list[dict[str, float]]:
    """Every combination of the listed values, refused before it is built when there are too many."""
    values = [_grid_values(params[n], file, f"parameters.{n}") for n in names]
    size = 1
    for n, listed in zip(names, values, strict=True):
        size *= len(listed)
        if size > MAX_POINTS:
            raise InputError(file, f"parameters.{n}", f"the grid has more than {MAX_POINTS:,} points by here "
                             f"({' x '.join(str(len(v)) for v in values)}): list fewer values, or use method lhs")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _lhs(data: Mapping[str, Any], params: Mapping[str, Any], names: list[str], file: str) -> list[dict[str, float]]:
    """A Latin hypercube sample of the ranges, its size and seed read from the file."""
    samples, seed = data.get("samples"), data.get("seed", 0)
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_POINTS:
        raise InputError(file, "samples", f"must be a whole number from 1 to {MAX_POINTS:,}, got {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError(file, "seed", f"must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    ranges = [_range(params[n], file, f"parameters.{n}", {"low", "high"}) for n in names]
    _check_points([{n: r[end] for n, r in zip(names, ranges, strict=True)} for end in ("low", "high")], file)
    # a deliberate lazy import: 0.3 s, and only a batch with an LHS design needs it (not every worker's start-up)
    from scipy.stats import qmc  # noqa: PLC0415
    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(samples)
    scaled = qmc.scale(unit, [r["low"] for r in ranges], [r["high"] for r in ranges])
    return [{n: round(float(v), 9) for n, v in zip(names, row, strict=True)} for row in scaled]

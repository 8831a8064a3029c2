"""Scenario discovery: where, over the plausible parameters and the scenario variants, does the objective hold?

A Latin hypercube of the searched parameters (analysis.calibrate.SEARCH_SPACE, each range with its source) is
crossed with scenario variants (the base scenario and counterfactual files, a categorical input), every point run
a few times through the batch executor; the outcome of a point is the share of its runs in which the attacker
does not hold the objective at the end. PRIM (Friedman and Fisher 1999, the patient rule induction method) then
looks for boxes, ranges of some inputs (and subsets of the variants), where that share is high:

- *peeling* shrinks the box one step at a time, each step cutting a small share ``alpha`` of the points in it
  off one end of one numeric input (or dropping one level of a categorical input), the cut that leaves the
  highest mean; every step is one point of the *peeling trajectory*;
- the chosen step is the widest box whose density reaches ``threshold``, and at least halfway from the whole
  sample's density to certainty (``box_threshold``: where the town holds in 84% of all runs, a box at 80% says
  nothing; else the densest); *pasting* then
  widens it again wherever that raises the density, and a limit whose removal does not lower it is lifted;
- *covering*: the points in the box are set aside and the search repeats on the rest, for up to ``max_boxes``
  (a further box is kept only if its density reaches ``threshold``).

Coverage is the share of all the sample's holding runs that fall in the box; density the share of the box's runs
in which the objective held; mass the share of all points in the box. PRIM is written here (small, tested on a
planted box) rather than taken from the ``PRIM`` package (GPL-3, one release) or ema-workbench (heavy:
scikit-learn, statsmodels, seaborn, platypus).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from scipy.stats import qmc

from analysis.calibrate import SEARCH_SPACE, Dimension, run_points
from analysis.palette import INK, new_figure
from sim.batch import replicate_seeds
from sim.errors import InputError

VARIANT = "variant"  # the categorical input naming the scenario file a point ran
OUTCOME = "held"  # the share of a point's runs in which the objective was not the attacker's at the end


# ---------------------------------------------------------------- boxes


@dataclass(frozen=True)
class Box:
    """Limits on some inputs: a closed range for a numeric input, a set of allowed levels for a categorical one.
    An input not named is unrestricted."""

    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    levels: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` lie in the box."""
        inside = np.ones(len(x), dtype=bool)
        for name, (low, high) in self.ranges.items():
            inside &= (x[name].to_numpy() >= low) & (x[name].to_numpy() <= high)
        for name, allowed in self.levels.items():
            inside &= x[name].isin(allowed).to_numpy()
        return inside

    def with_range(self, name: str, low: float, high: float) -> Box:
        return Box({**self.ranges, name: (float(low), float(high))}, self.levels)

    def with_levels(self, name: str, allowed: frozenset[str]) -> Box:
        return Box(self.ranges, {**self.levels, name: allowed})

    def restricted(self, x: pd.DataFrame) -> dict[str, Any]:
        """The limits that cut something off the whole sample ``x``: name -> [low, high] or sorted levels."""
        out: dict[str, Any] = {}
        for name, (low, high) in self.ranges.items():
            if low > x[name].min() or high < x[name].max():
                out[name] = [low, high]
        for name, allowed in self.levels.items():
            if set(x[name].unique()) - allowed:
                out[name] = sorted(allowed)
        return out


@dataclass(frozen=True)
class Step:
    """One box of a peeling trajectory and how good it is."""

    box: Box
    coverage: float
    density: float
    mass: float
    n: int


@dataclass(frozen=True)
class Found:
    """One box PRIM chose (after pasting), with the peeling trajectory it was chosen from."""

    box: Step
    chosen_step: int
    trajectory: list[Step]


def _categorical(x: pd.DataFrame) -> list[str]:
    return [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]


def full_box(x: pd.DataFrame) -> Box:
    """The box of the whole sample: every numeric input over its observed range, every level allowed."""
    cats = _categorical(x)
    return Box({c: (float(x[c].min()), float(x[c].max())) for c in x.columns if c not in cats},
               {c: frozenset(x[c].unique()) for c in cats})


def _step(box: Box, x: pd.DataFrame, y: np.ndarray, total: float) -> Step:
    inside = box.contains(x)
    n = int(inside.sum())
    return Step(box, float(y[inside].sum() / total) if total else 0.0, float(y[inside].mean()) if n else 0.0,
                n / len(x), n)


def _peels(box: Box, x: pd.DataFrame, y: np.ndarray, alpha: float) -> list[tuple[Box, np.ndarray]]:
    """Every candidate peel of ``box``: an ``alpha`` share off either end of a numeric input, or one level less
    of a categorical input; each with the rows it keeps."""
    inside = box.contains(x)
    n = int(inside.sum())
    k = max(1, int(alpha * n))
    out = []
    for name, (low, high) in box.ranges.items() if n > k else ():
        values = np.sort(x[name].to_numpy()[inside])
        for new_low, new_high in ((values[k], high), (low, values[n - 1 - k])):
            candidate = box.with_range(name, new_low, new_high)
            keep = candidate.contains(x)
            if 0 < keep.sum() < n:
                out.append((candidate, keep))
    for name, allowed in box.levels.items():
        for level in sorted(allowed):
            if len(allowed) > 1:
                candidate = box.with_levels(name, allowed - {level})
                keep = candidate.contains(x)
                if 0 < keep.sum() < n:
                    out.append((candidate, keep))
    return out


def peel(x: pd.DataFrame, y: np.ndarray, alpha: float = 0.05, min_mass: float = 0.05,
         start: Box | None = None) -> list[Step]:
    """The peeling trajectory from ``start`` (default: the whole sample), until a box would hold less than
    ``min_mass`` of the rows. Each step takes the peel with the largest gain in the mean of ``y`` per row
    removed (ties: the one keeping more rows, then the first in input order): judged by the mean alone, dropping
    a whole categorical level would win on noise over the small numeric peels that find the edges."""
    total = float(y.sum())
    box = start or full_box(x)
    trajectory = [_step(box, x, y, total)]
    while True:
        before, n = trajectory[-1].density, trajectory[-1].n
        candidates = [((float(y[keep].mean()) - before) / (n - int(keep.sum())), int(keep.sum()), -i, b)
                      for i, (b, keep) in enumerate(_peels(box, x, y, alpha)) if keep.sum() >= min_mass * len(x)]
        if not candidates:
            return trajectory
        box = max(candidates, key=lambda c: c[:3])[3]
        trajectory.append(_step(box, x, y, total))


def _pastes(box: Box, x: pd.DataFrame, alpha: float) -> list[Box]:
    """Every candidate paste of ``box``: widen one end of a numeric input to take in about ``alpha`` times the
    box's rows more (among rows inside the box on every other input), or allow back one categorical level."""
    n = int(box.contains(x).sum())
    k = max(1, int(alpha * n))
    out = []
    for name, (low, high) in box.ranges.items():
        others = Box({m: r for m, r in box.ranges.items() if m != name}, box.levels).contains(x)
        values = x[name].to_numpy()
        below, above = np.sort(values[others & (values < low)]), np.sort(values[others & (values > high)])
        if len(below):
            out.append(box.with_range(name, below[-min(k, len(below))], high))
        if len(above):
            out.append(box.with_range(name, low, above[min(k, len(above)) - 1]))
    for name, allowed in box.levels.items():
        out += [box.with_levels(name, allowed | {level}) for level in sorted(set(x[name].unique()) - allowed)]
    return out


def paste(box: Box, x: pd.DataFrame, y: np.ndarray, alpha: float = 0.05) -> Box:
    """Widen ``box`` while some paste raises the mean of ``y`` in it (the best paste each time)."""
    density = float(y[box.contains(x)].mean())
    while True:
        scored = [(float(y[c.contains(x)].mean()), -i, c) for i, c in enumerate(_pastes(box, x, alpha))]
        best = max(scored, key=lambda s: s[:2], default=None)
        if best is None or best[0] <= density:
            return box
        density, box = best[0], best[2]


def drop_needless_limits(box: Box, x: pd.DataFrame, y: np.ndarray) -> Box:
    """Lift, one at a time, every limit whose removal does not lower the mean of ``y`` in the box (the one that
    leaves the highest mean first): peeling on a small sample leaves limits that cut off a few points by chance,
    and a box is read more easily with only the limits that matter."""
    whole = full_box(x)
    density = float(y[box.contains(x)].mean())
    while True:
        lifted = [box.with_range(name, *whole.ranges[name]) for name in box.ranges
                  if box.ranges[name] != whole.ranges[name]]
        lifted += [box.with_levels(name, whole.levels[name]) for name in box.levels
                   if box.levels[name] != whole.levels[name]]
        scored = [(float(y[c.contains(x)].mean()), -i, c) for i, c in enumerate(lifted)]
        best = max(scored, key=lambda s: s[:2], default=None)
        if best is None or best[0] < density:
            return box
        density, box = best[0], best[2]


def box_threshold(threshold: float, overall: float) -> float:
    """The density a box must reach: ``threshold``, or halfway from the whole sample's density to certainty if
    that is higher (a sample that already reaches ``threshold`` would otherwise be its own widest box)."""
    return max(threshold, (1.0 + overall) / 2.0)


def choose_step(trajectory: Sequence[Step], threshold: float) -> int:
    """The widest step whose density reaches ``threshold``; if none does, the densest (the first if tied)."""
    reaching = [i for i, s in enumerate(trajectory) if s.density >= threshold]
    if reaching:
        return max(reaching, key=lambda i: (trajectory[i].coverage, -i))
    return max(range(len(trajectory)), key=lambda i: (trajectory[i].density, -i))


def check_prim_settings(alpha: float, min_mass: float, threshold: float, max_boxes: int) -> None:
    """Settings PRIM cannot work with fail at once, naming the option (before any run is spent)."""
    for option, value, low, high in (("--alpha", alpha, 0.0, 0.5), ("--min-mass", min_mass, 0.0, 1.0),
                                     ("--threshold", threshold, 0.0, 1.0)):
        if not low < value <= high:
            raise InputError("discover", option, f"must be above {low:g} and at most {high:g}, got {value}")
    if max_boxes < 1:
        raise InputError("discover", "--max-boxes", f"must be at least 1, got {max_boxes}")


def prim(x: pd.DataFrame, y: Sequence[float], alpha: float = 0.05, min_mass: float = 0.05, threshold: float = 0.8,
         max_boxes: int = 3) -> list[Found]:
    """PRIM with covering: up to ``max_boxes`` boxes where ``y`` (0..1: here, the share of runs held) is high.

    Coverage is always a share of the whole sample's ``y``; a further box is searched only on the rows no earlier
    box took. The first box is kept if it is denser than the whole sample, a further one only if it reaches
    ``threshold`` (a weak box found among the leftovers says little), raised to ``box_threshold`` when the whole
    sample is nearly as dense.
    """
    y = np.asarray(y, dtype=float)
    if len(x) != len(y) or len(x) == 0:
        raise InputError("discovery", "sample", f"needs as many outcomes as points, got {len(x)} and {len(y)}")
    total, overall = float(y.sum()), float(y.mean())
    threshold = box_threshold(threshold, overall)
    found: list[Found] = []
    left = np.ones(len(x), dtype=bool)
    while len(found) < max_boxes and y[left].sum() > 0:
        rest, y_rest = x[left].reset_index(drop=True), y[left]
        trajectory = [_rescale(s, rest, y_rest, total, len(x)) for s in peel(rest, y_rest, alpha, min_mass)]
        chosen = choose_step(trajectory, threshold)
        box = drop_needless_limits(paste(trajectory[chosen].box, rest, y_rest, alpha), rest, y_rest)
        result = _rescale(_step(box, rest, y_rest, 1.0), rest, y_rest, total, len(x))
        if result.density <= overall or (found and result.density < threshold):
            break
        found.append(Found(result, chosen, trajectory))
        left &= ~box.contains(x)
    return found


def _rescale(step: Step, x: pd.DataFrame, y: np.ndarray, total: float, rows: int) -> Step:
    """A step measured on part of the sample, with coverage and mass as shares of the whole sample."""
    inside = step.box.contains(x)
    return Step(step.box, float(y[inside].sum() / total) if total else 0.0, step.density, inside.sum() / rows,
                step.n)


# ---------------------------------------------------------------- the sample and its runs


def latin_hypercube(space: Sequence[Dimension], samples: int, seed: int) -> pd.DataFrame:
    """``samples`` points of a Latin hypercube over the ranges of ``space`` (seeded)."""
    unit = qmc.LatinHypercube(d=len(space), seed=seed).random(samples)
    scaled = qmc.scale(unit, [d.low for d in space], [d.high for d in space])
    return pd.DataFrame(scaled, columns=[d.name for d in space])


def variant_names(paths: Sequence[Path]) -> list[str]:
    """The level of each scenario file in the variant input: its file name without the suffix."""
    names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        raise InputError(str(paths[0]), "--counterfactuals", "two scenario files share a name: rename one")
    return names


def held_share(summaries: Sequence[Mapping[str, Any]]) -> float:
    """The share of runs at whose end the attacker does not hold the objective (no fall day)."""
    return float(np.mean([s["objective_fall_day"] is None for s in summaries]))


def check_budget(samples: int, runs: int) -> None:
    """A sample too small to make a Latin hypercube or an outcome fails at once, naming the option."""
    if samples < 2:
        raise InputError("discover", "--samples", f"must be at least 2, got {samples}")
    if runs < 1:
        raise InputError("discover", "--runs", f"must be at least 1, got {runs}")


def discovery_sample(executor: Executor, paths: Sequence[Path], samples: int, runs: int, seed: int,
                     space: Sequence[Dimension] = SEARCH_SPACE, progress: Callable[[str], None] = print
                     ) -> pd.DataFrame:
    """The Latin hypercube crossed with the scenario variants, each point run ``runs`` times (the same seeds
    everywhere: common random numbers), with the share of runs held and the mean fall day of those that fell."""
    check_budget(samples, runs)
    design = latin_hypercube(space, samples, seed)
    points = design.to_dict(orient="records")
    seeds = replicate_seeds(seed, runs)
    frames = []
    for path, name in zip(paths, variant_names(paths), strict=True):
        progress(f"{name}: {samples} points x {runs} runs...")
        results = run_points(executor, path, points, seeds)
        frame = design.copy()
        frame.insert(0, VARIANT, name)
        frame[OUTCOME] = [held_share(r) for r in results]
        frame["mean_fall_day"] = [_mean_fall(r) for r in results]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _mean_fall(summaries: Sequence[Mapping[str, Any]]) -> float:
    days = [s["objective_fall_day"] for s in summaries if s["objective_fall_day"] is not None]
    return float(np.mean(days)) if days else float("nan")


def inputs(sample: pd.DataFrame) -> pd.DataFrame:
    """The inputs PRIM sees: the variant (only if there is more than one) and every parameter."""
    columns = [c for c in sample.columns if c not in (OUTCOME, "mean_fall_day")]
    if sample[VARIANT].nunique() < 2:
        columns.remove(VARIANT)
    return sample[columns]


def step_row(step: Step, x: pd.DataFrame) -> dict[str, Any]:
    return {"coverage": round(step.coverage, 4), "density": round(step.density, 4), "mass": round(step.mass, 4),
            "n": step.n, "limits": step.box.restricted(x)}


def boxes_document(sample: pd.DataFrame, found: Sequence[Found], settings: Mapping[str, Any]) -> dict[str, Any]:
    """What boxes.json holds: the settings, the whole sample's hold rate, and each box with its trajectory."""
    x = inputs(sample)
    return {**settings, "points": len(sample), "held_overall": round(float(sample[OUTCOME].mean()), 4),
            "boxes": [{**step_row(f.box, x), "chosen_step": f.chosen_step,
                       "trajectory": [step_row(s, x) for s in f.trajectory]} for f in found]}


def _limit_text(name: str, limit: Any) -> str:
    if isinstance(limit[0], str):
        return f"{name} in {{{', '.join(limit)}}}"
    return f"{limit[0]:.4g} <= {name} <= {limit[1]:.4g}"


def boxes_markdown(document: Mapping[str, Any]) -> str:
    """boxes.md: one table row per box, its limits spelled out."""
    lines = [f"# Where does the objective hold? ({document['scenario']})", "",
             f"{document['points']} points ({document['samples']} parameter samples x "
             f"{len(document['variants'])} variants), {document['runs']} runs each, seed {document['seed']}. "
             f"The objective held at the end in {document['held_overall']:.0%} of all runs.", "",
             "| box | coverage | density | mass | points | limits |", "|---|---|---|---|---|---|"]
    for i, box in enumerate(document["boxes"], 1):
        limits = "; ".join(_limit_text(k, v) for k, v in box["limits"].items()) or "(none: the whole sample)"
        lines.append(f"| {i} | {box['coverage']:.0%} | {box['density']:.0%} | {box['mass']:.0%} | {box['n']} | "
                     f"{limits} |")
    if not document["boxes"]:
        lines.append("| - | - | - | - | - | no box denser than the whole sample |")
    lines += ["", "Coverage: the share of all the runs in which the objective held that fall in the box. Density: "
              "the share of the box's runs in which it held. Mass: the share of all points in the box."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the picture

TRAJECTORY = "#2471a3"
CHOSEN = "#d35400"
BOX_COLOURS = (CHOSEN, TRAJECTORY, "#117a65")


def discovery_figure(document: Mapping[str, Any]) -> Figure:
    """Left: the first box's peeling trajectory (coverage against density, each step coloured by how many inputs
    it limits), the chosen step and the pasted box. Right: the limits of each box, as bars over each input's
    range (a categorical input: its allowed levels listed)."""
    fig = new_figure(17, 7.5)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.3])
    boxes = document["boxes"]
    if boxes:
        first = boxes[0]
        steps = first["trajectory"]
        dots = left.scatter([s["coverage"] for s in steps], [s["density"] for s in steps],
                            c=[len(s["limits"]) for s in steps], cmap="viridis", s=36, zorder=2)
        left.plot([s["coverage"] for s in steps], [s["density"] for s in steps], color=TRAJECTORY, lw=1, zorder=1)
        fig.colorbar(dots, ax=left, label="inputs limited", ticks=MaxNLocator(integer=True))  # a count
        chosen = steps[first["chosen_step"]]
        left.scatter([chosen["coverage"]], [chosen["density"]], s=220, facecolors="none", edgecolors=CHOSEN, lw=2.5,
                     label=f"chosen step {first['chosen_step']}", zorder=3)
        left.scatter([first["coverage"]], [first["density"]], marker="*", s=300, color=CHOSEN, zorder=3,
                     label=f"box 1 after pasting: coverage {first['coverage']:.0%}, density {first['density']:.0%}")
        left.legend(loc="lower left", fontsize=12)
    left.axhline(document["held_overall"], color=INK, ls=":", lw=1.5)
    left.annotate(f"whole sample {document['held_overall']:.0%}", (1.0, document["held_overall"]), ha="right",
                  va="bottom", fontsize=12)
    left.set(xlim=(0, 1.02), ylim=(0, 1.02), xlabel="coverage (share of all holds in the box)",
             ylabel="density (share of the box's runs held)",
             title="Peeling trajectory of box 1" if boxes else "No box: none is denser than the whole sample")
    left.grid(alpha=0.3)
    _limits_panel(right, document)
    fig.suptitle(f"Where does the objective hold? {document['scenario']}: {document['points']} points x "
                 f"{document['runs']} runs (seed {document['seed']})", fontsize=18)
    return fig


LABEL_WIDTH = 72  # characters a line of a box's legend takes under the limits panel


def levels_text(name: str, levels: Sequence[str], every: Sequence[str]) -> str:
    """The levels a box keeps, in words a reader takes in at a glance: the ones left out when they are fewer."""
    left_out = [level for level in every if level not in levels]
    if left_out and len(left_out) < len(levels):
        return f"every {name} but {', '.join(left_out)}"
    return ", ".join(levels)


def _limits_panel(ax: Any, document: Mapping[str, Any]) -> None:
    """Each box's limits: a bar over each numeric input's range scaled to 0..1, the allowed levels of a
    categorical input written out; each box in its own colour and lane."""
    ranges = {name: (low, high) for name, low, high in document["space"]}
    rows = list(dict.fromkeys(name for box in document["boxes"] for name in box["limits"]))
    height = 0.8 / max(1, len(document["boxes"]))
    handles: list[Patch] = []
    for i, box in enumerate(document["boxes"]):
        colour = BOX_COLOURS[i % len(BOX_COLOURS)]
        kept = [f"{name}: {levels_text(name, limit, document['variants'])}" for name, limit in box["limits"].items()
                if isinstance(limit[0], str)]  # written out under the panel, where there is room for the names
        handles.append(Patch(color=colour, label=textwrap.fill("; ".join([f"box {i + 1} ({box['n']} points)",
                                                                            *kept]), LABEL_WIDTH)))
        for y, name in enumerate(rows):
            limit = box["limits"].get(name)
            lane = y - 0.4 + (i + 0.5) * height
            if limit is None:
                continue
            if isinstance(limit[0], str):
                ax.text(0.01, lane, f"box {i + 1}: {len(limit)} of {len(document['variants'])} (below)",
                        va="center", fontsize=12, color=colour)
                continue
            low, high = ranges[name]
            ax.barh(lane, (limit[1] - limit[0]) / (high - low), left=(limit[0] - low) / (high - low),
                    height=height * 0.9, color=colour, alpha=0.8)
    if not rows:
        ax.text(0.5, 0.5, "no box denser than the whole sample", ha="center", va="center", fontsize=14)
        ax.set_axis_off()
        return
    ax.set_yticks(range(len(rows)), rows)
    ax.set(xlim=(0, 1), ylim=(len(rows) - 0.5, -0.5), xlabel="share of the searched range (0 = low end, 1 = high "
           "end)", title="Limits of each box (inputs not listed: unlimited)")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12), fontsize=11, frameon=False)
    ax.grid(axis="x", alpha=0.3)

"""How each scenario differs from a reference, run by run, with the uncertainty of the difference.

Replicate i of every scenario in a comparison draws the same seed (common random numbers), so a counterfactual's
difference from the reference is taken pair by pair: the run of the counterfactual against the run of the
reference with the same seed. Each measure's difference is summarised by the median of the paired differences
(the difference of the shares, for the share of runs that fell) with a 90% interval from resampling the pairs
(a seeded bootstrap: the same numbers every time). A direction is only claimed when the whole interval lies on
one side of zero. Pure functions of run summaries (``summary.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from analysis.scores import HIGH, LOW, censored_day

RESAMPLES = 2000
BOOTSTRAP_SEED = 20130605  # fixed: the intervals of a comparison are a pure function of its runs

Summary = Mapping[str, Any]


def _killed(side: str) -> Callable[[Summary], float]:
    return lambda s: float(s["casualties_by_side"].get(side, {}).get("killed", 0))


def measures(sides: list[str]) -> dict[str, Callable[[Summary], float]]:
    """The measures compared, each a number per run: censored cut-off and fall days, and each side's killed."""
    found: dict[str, Callable[[Summary], float]] = {
        "encirclement_day": lambda s: censored_day(s, "encirclement_day"),
        "fall_day_censored": lambda s: censored_day(s, "objective_fall_day"),
    }
    found.update({f"{side}_killed": _killed(side) for side in sides})
    return found


def paired(reference: list[Summary], other: list[Summary]) -> list[tuple[Summary, Summary]]:
    """The runs of ``other`` and ``reference`` that share a seed, in seed order (a failed run leaves its pair)."""
    by_seed = {s["seed"]: s for s in reference}
    return sorted(((by_seed[s["seed"]], s) for s in other if s["seed"] in by_seed), key=lambda p: p[0]["seed"])


def _interval(samples: np.ndarray) -> tuple[float, float]:
    return float(np.percentile(samples, LOW)), float(np.percentile(samples, HIGH))


def contrast(reference: list[Summary], other: list[Summary], sides: list[str]) -> dict[str, Any]:
    """``other`` against ``reference``: for each measure the median paired difference and its 90% interval; for
    the share of runs that fell, the difference of the shares and its interval; the number of pairs."""
    pairs = paired(reference, other)
    row: dict[str, Any] = {"pairs": len(pairs)}
    if len(pairs) < 2:
        return row
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(pairs), size=(RESAMPLES, len(pairs)))
    for name, measure in measures(sides).items():
        diffs = np.array([measure(b) - measure(a) for a, b in pairs])
        row[f"{name}_diff"] = float(np.median(diffs))
        row[f"{name}_diff_p05"], row[f"{name}_diff_p95"] = _interval(np.median(diffs[picks], axis=1))
    fell = np.array([[a["objective_fall_day"] is not None, b["objective_fall_day"] is not None] for a, b in pairs],
                    dtype=float)
    row["fall_share_diff"] = float(fell[:, 1].mean() - fell[:, 0].mean())
    resampled = fell[picks]
    row["fall_share_diff_p05"], row["fall_share_diff_p95"] = _interval(resampled[..., 1].mean(axis=1)
                                                                       - resampled[..., 0].mean(axis=1))
    return row


def contrasts(summaries_by_scenario: Mapping[str, list[Summary]], reference: str) -> list[dict[str, Any]]:
    """Every other scenario against ``reference``, in the order given; empty when the reference is not there."""
    if reference not in summaries_by_scenario:
        return []
    sides = sorted({side for runs in summaries_by_scenario.values() for s in runs for side in s["casualties_by_side"]})
    base = summaries_by_scenario[reference]
    return [{"scenario": name, "sides": sides, **contrast(base, runs, sides)}
            for name, runs in summaries_by_scenario.items() if name != reference]


def _signed(value: float) -> str:
    text = f"{value:+.0f}"
    return "0" if float(text) == 0 else text


def _cell(row: Mapping[str, Any], name: str, scale: float = 1.0) -> str:
    """A difference and its interval, signed and rounded (``scale`` 100 turns a share into points)."""
    if f"{name}_diff" not in row:
        return "–"
    mid, low, high = (_signed(row[f"{name}_diff{q}"] * scale) for q in ("", "_p05", "_p95"))
    return f"{mid} ({low} to {high})"


def contrasts_markdown(rows: list[Mapping[str, Any]], reference: str) -> str:
    """The differences from the reference as a Markdown table, with the note that says how they were taken."""
    if not rows:
        return ""
    sides = rows[0]["sides"]
    head = ["scenario", "pairs", "cut off (days)", "fell (days, censored)", "fell in (points)"]
    head += [f"{side} killed" for side in sides]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["scenario"], str(r["pairs"]), _cell(r, "encirclement_day"), _cell(r, "fall_day_censored"),
                 _cell(r, "fall_share", scale=100)]
        cells += [_cell(r, f"{side}_killed") for side in sides]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Differences from {reference}, run by run. Each scenario's replicates share their seeds with "
              f"{reference}'s, so each run is compared with the {reference} run of the same seed: the median of "
              "those paired differences (positive = later or more than the reference), and in brackets its 90% "
              f"interval from resampling the pairs ({RESAMPLES:,} bootstrap resamples, seeded). Days are censored: "
              "a cut or fall that never happened counts one day past the end. Fell in: the difference of the "
              "shares of runs that fell, in percentage points. A direction is only shown by the data when its "
              "whole interval lies on one side of zero."]
    return "\n".join(lines) + "\n"

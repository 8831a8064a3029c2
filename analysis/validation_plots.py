"""Pictures of the validation: the fit to the record, the calibration search and the sensitivity analysis.

Each function takes the plain results (fidelity report, evaluated points, sensitivity rows) and returns a
matplotlib Figure; the caller writes it (palette.png_bytes + an atomic write).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.fidelity import WINDOW_DAYS, start_text
from analysis.palette import HISTORY, INK, new_figure

HIT = "#2471a3"  # a capture reproduced within 7 days
MISS = "#d35400"  # missed by more than 7 days, or never taken


def fidelity_figure(report: Mapping[str, Any], title: str) -> Figure:
    """Every dated capture (record vs simulated median and 80% interval) and the losses against the record."""
    fig = new_figure(17, 12)
    grid = fig.add_gridspec(2, 2, width_ratios=[3, 1.25], height_ratios=[3, 1])
    _captures_panel(fig.add_subplot(grid[:, 0]), report)
    _losses_panel(fig.add_subplot(grid[0, 1]), report["held_back"])
    _headline_panel(fig.add_subplot(grid[1, 1]), report)
    fig.suptitle(title)
    return fig


def _captures_panel(ax: Axes, report: Mapping[str, Any]) -> None:
    """One line per dated capture: the recorded day, the simulated median and interval, the split."""
    rows = report["capture_table"]
    split = report["split_day"]
    censor = max((max(r["sim_p90"], r["sim_median"]) for r in rows), default=split + 1)
    for y, r in enumerate(rows):
        ax.fill_betweenx([y - 0.35, y + 0.35], r["day"] - WINDOW_DAYS, r["day"] + WINDOW_DAYS, color=HISTORY,
                         alpha=0.12, linewidth=0)
        colour = HIT if r["within_7_days"] else MISS
        ax.plot([r["sim_p10"], r["sim_p90"]], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
        never = r["sim_median"] >= censor and r["taken_share"] < 0.5
        ax.plot(r["sim_median"], y, marker=">" if never else "o", color=colour, markersize=11)
        ax.plot(r["day"], y, marker="D", color=HISTORY, markersize=10, markeredgecolor="white")
        if never:
            ax.annotate("not taken", (min(r["sim_p10"], r["day"] - WINDOW_DAYS), y), xytext=(-8, 0),
                        textcoords="offset points",
                        ha="right", va="center", fontsize=12, color=MISS)
    ax.axvline(split + 0.5, color=INK, linestyle="--", linewidth=1)
    ax.text(split + 1, -0.9, "held back \u2192", fontsize=13, va="center")
    ax.text(split, -0.9, "\u2190 fitted", fontsize=13, va="center", ha="right")
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -1.5)
    ax.set_xlim(0, censor + 1)
    ax.set_xlabel(f"day of the campaign (0 = {start_text(report)})")
    ax.grid(axis="x", alpha=0.3)
    ax.plot([], [], marker="D", color=HISTORY, linestyle="none", label="recorded day (band: \u00b17 days)")
    ax.plot([], [], marker="o", color=HIT, label="simulated median, 80% interval: within 7 days")
    ax.plot([], [], marker="o", color=MISS, label="missed by more than 7 days")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=13, frameon=False)


def _losses_panel(ax: Axes, held: Mapping[str, Any]) -> None:
    """Killed per recorded side and faction: the recorded range against the simulated median and interval."""
    simulated = held["killed_by_side"] | held["killed_by_faction"]
    items = [(name, q, held["killed_recorded"][name]) for name, q in simulated.items()]
    ax.set_title("killed (band: \u00b125%)", fontsize=16)
    if not items:
        ax.axis("off")
        ax.text(0.5, 0.5, "no losses in the record", ha="center", va="center", fontsize=14)
        return
    for y, (_name, q, recorded) in enumerate(items):
        low, high = recorded
        ax.fill_betweenx([y - 0.3, y + 0.3], low * 0.75, high * 1.25, color=HISTORY, alpha=0.12, linewidth=0)
        ax.plot([low, high] if high > low else [low], [y] * (2 if high > low else 1), color=HISTORY,
                marker="D", markersize=9, linewidth=5)
        ax.plot([q["p10"], q["p90"]], [y, y], color=INK, linewidth=3)
        ax.plot(q["median"], y, "o", color=INK, markersize=10)
    ax.set_yticks(range(len(items)), [name for name, _, _ in items])
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.set_xlim(0, None)
    ax.set_xlabel("diamonds: recorded\ndots: simulated median, 80% interval", fontsize=13)
    ax.grid(axis="x", alpha=0.3)


def _headline_panel(ax: Axes, report: Mapping[str, Any]) -> None:
    """The held-back headline numbers in words."""
    held = report["held_back"]
    recorded = report["fall_day_recorded"]
    rho = held["capture_order_spearman"]
    within = held["captures_within_7_days_share"]
    ratio = held["exchange_ratio_recorded"]
    lines = [
        f"{report['runs']} runs, held-back record:",
        ("fall: never" if held["fall_share"] == 0 else f"fall: median day {held['fall_day_median']:.0f}")
        + (" (held in history)" if recorded is None else f" (record {recorded})"),
        f"fell in {held['fall_share']:.0%} of runs",
        "within 7 days: " + ("no captures" if within is None else f"{within:.0%} of {held['captures']}"),
        f"order Spearman: {'n/a' if rho is None else f'{rho:.2f}'}",
        f"exchange ratio: {held['exchange_ratio']['median']:.2f} "
        + ("" if ratio is None else f"(record {ratio[0]:.1f}-{ratio[1]:.1f})"),
    ]
    ax.axis("off")
    ax.text(0, 1, "\n".join(lines), va="top", fontsize=14, linespacing=1.5)


def calibration_figure(trials: Sequence[Mapping[str, Any]], names: Sequence[str], chosen: Mapping[str, Any],
                       sets: Sequence[Mapping[str, float]], split: str) -> Figure:
    """The loss of every trial against each searched parameter, the plausible sets and the chosen one marked
    (``split``: the last date of the fitted record, as text)."""
    cols = 4
    nrows = -(-len(names) // cols) + 1
    fig = new_figure(4.6 * cols, 3.6 * nrows + 1)
    grid = fig.add_gridspec(nrows, cols)
    history = fig.add_subplot(grid[0, :])
    numbers = [t["number"] for t in trials]
    history.scatter(numbers, [t["loss"] for t in trials], s=18, color="#85929e", label="trial")
    best = np.minimum.accumulate([t["loss"] for t in trials])
    history.step(numbers, best, where="post", color=INK, label="best so far")
    history.set_xlabel("trial", fontsize=13)
    history.set_ylabel("fit loss", fontsize=13)
    history.legend(fontsize=11)
    plausible = {json.dumps(dict(s), sort_keys=True) for s in sets}
    in_sets = [t for t in trials if json.dumps(t["params"], sort_keys=True) in plausible]
    for i, name in enumerate(names):
        ax = fig.add_subplot(grid[1 + i // cols, i % cols])
        ax.scatter([t["params"][name] for t in trials], [t["loss"] for t in trials], s=18, color="#85929e")
        ax.scatter([t["params"][name] for t in in_sets], [t["loss"] for t in in_sets], s=26, color=HIT,
                   label="plausible sets")
        ax.scatter([chosen["params"][name]], [chosen["loss"]], s=140, marker="*", color=MISS, label="chosen",
                   zorder=3)
        ax.set_title(name, fontsize=14)
        ax.tick_params(labelsize=11)
        if i % cols == 0:
            ax.set_ylabel("fit loss", fontsize=13)
        if i == 0:
            ax.legend(fontsize=10)
    fig.suptitle(f"Calibration search (optuna TPE): loss on the record to {split} only (lower is better)")
    return fig


def morris_figure(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Morris screening: mu* (mean absolute effect) against sigma (interaction or non-linearity), one panel per
    output."""
    outputs = list(dict.fromkeys(r["output"] for r in rows))
    fig = new_figure(6.5 * len(outputs), 6.5)
    for ax, output in zip(fig.subplots(1, len(outputs), squeeze=False)[0], outputs, strict=True):
        part = [r for r in rows if r["output"] == output]
        ax.scatter([r["mu_star"] for r in part], [r["sigma"] for r in part], s=40, color=HIT)
        for r in sorted(part, key=lambda r: -r["mu_star"])[:5]:
            ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=11, xytext=(4, 4),
                        textcoords="offset points")
        ax.set_title(output.replace("_", " "), fontsize=16)
        ax.set_xlabel("mu* (mean absolute effect)", fontsize=13)
        ax.set_ylabel("sigma (interactions, non-linearity)", fontsize=13)
        ax.grid(alpha=0.3)
    fig.suptitle("Morris screening: every parameter varied at once; far right matters, high up interacts")
    return fig


def sobol_figure(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Sobol' indices: first order (alone) and total (with interactions) of each parameter, per output."""
    outputs = list(dict.fromkeys(r["output"] for r in rows))
    fig = new_figure(6.5 * len(outputs), 6)
    for ax, output in zip(fig.subplots(1, len(outputs), squeeze=False)[0], outputs, strict=True):
        part = [r for r in rows if r["output"] == output]
        y = np.arange(len(part))
        ax.barh(y + 0.2, [r["ST"] for r in part], height=0.4, color=INK, label="total ST",
                xerr=[r["ST_conf"] for r in part])
        ax.barh(y - 0.2, [r["S1"] for r in part], height=0.4, color=HIT, label="first order S1",
                xerr=[r["S1_conf"] for r in part])
        ax.set_yticks(y, [r["parameter"] for r in part])
        ax.set_title(output.replace("_", " "), fontsize=16)
        ax.set_xlabel("share of the output's variance", fontsize=13)
        ax.grid(axis="x", alpha=0.3)
    fig.axes[0].legend(fontsize=12)
    fig.suptitle("Sobol' indices of the most influential parameters (bars: 95% confidence)")
    return fig

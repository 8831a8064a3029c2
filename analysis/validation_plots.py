"""Pictures of the validation: the fit to the record, the calibration search and the sensitivity analysis.

Each function takes the plain results (fidelity report, evaluated points, sensitivity rows) and returns a
matplotlib Figure; the caller writes it (palette.png_bytes + an atomic write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.fidelity import RECORDED_FALL_DAY, SPLIT_DAY, WINDOW_DAYS
from analysis.palette import HISTORY, INK, new_figure

HIT = "#2471a3"  # a capture reproduced within 7 days
MISS = "#d35400"  # missed by more than 7 days, or never taken


def fidelity_figure(report: Mapping[str, Any], title: str) -> Figure:
    """Every dated capture (record vs simulated median and 80% interval) and the losses against the record."""
    rows = report["capture_table"]
    fig = new_figure(17, 12)
    grid = fig.add_gridspec(2, 2, width_ratios=[3, 1.25], height_ratios=[3, 1])
    ax = fig.add_subplot(grid[:, 0])
    censor = max(max(r["sim_p90"], r["sim_median"]) for r in rows)
    for y, r in enumerate(rows):
        ax.fill_betweenx([y - 0.35, y + 0.35], r["day"] - WINDOW_DAYS, r["day"] + WINDOW_DAYS, color=HISTORY,
                         alpha=0.12, linewidth=0)
        colour = HIT if r["within_7_days"] else MISS
        ax.plot([r["sim_p10"], r["sim_p90"]], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
        never = r["sim_median"] >= censor and r["taken_share"] < 0.5
        ax.plot(r["sim_median"], y, marker=">" if never else "o", color=colour, markersize=11)
        ax.plot(r["day"], y, marker="D", color=HISTORY, markersize=10, markeredgecolor="white")
        if never:
            ax.annotate("not taken", (r["sim_p10"], y), xytext=(-8, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=12, color=MISS)
    ax.axvline(SPLIT_DAY + 0.5, color=INK, linestyle="--", linewidth=1)
    ax.text(SPLIT_DAY + 1, -0.9, "held back \u2192", fontsize=13, va="center")
    ax.text(SPLIT_DAY, -0.9, "\u2190 fitted", fontsize=13, va="center", ha="right")
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -1.5)
    ax.set_xlim(0, censor + 1)
    ax.set_xlabel("day of the offensive (0 = 4 April 2013)")
    ax.grid(axis="x", alpha=0.3)
    ax.plot([], [], marker="D", color=HISTORY, linestyle="none", label="recorded day (band: \u00b17 days)")
    ax.plot([], [], marker="o", color=HIT, label="simulated median, 80% interval: within 7 days")
    ax.plot([], [], marker="o", color=MISS, label="missed by more than 7 days")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=13, frameon=False)

    held = report["held_back"]
    lost = fig.add_subplot(grid[0, 1])
    items = [(f"{side}", held["killed_by_side"][side], held["killed_recorded"][side])
             for side in held["killed_by_side"]]
    items += [(f"{f}", held["killed_by_faction"][f], held["killed_recorded"][f]) for f in held["killed_by_faction"]]
    for y, (_name, q, recorded) in enumerate(items):
        low, high = recorded
        lost.fill_betweenx([y - 0.3, y + 0.3], low * 0.75, high * 1.25, color=HISTORY, alpha=0.12, linewidth=0)
        lost.plot([low, high] if high > low else [low], [y] * (2 if high > low else 1), color=HISTORY,
                  marker="D", markersize=9, linewidth=5)
        lost.plot([q["p10"], q["p90"]], [y, y], color=INK, linewidth=3)
        lost.plot(q["median"], y, "o", color=INK, markersize=10)
    lost.set_yticks(range(len(items)), [name for name, _, _ in items])
    lost.set_ylim(len(items) - 0.5, -0.5)
    lost.set_xlim(0, None)
    lost.set_title("killed (band: \u00b125%)", fontsize=16)
    lost.set_xlabel("purple: recorded; black: simulated", fontsize=13)
    lost.grid(axis="x", alpha=0.3)

    text = fig.add_subplot(grid[1, 1])
    text.axis("off")
    rho = held["capture_order_spearman"]
    lines = [
        f"{report['runs']} runs, held-back record:",
        f"fall: median day {held['fall_day_median']:.0f} (record {RECORDED_FALL_DAY})",
        f"within 7 days: {held['captures_within_7_days_share']:.0%} of {held['captures']}",
        f"order Spearman: {'n/a' if rho is None else f'{rho:.2f}'}",
        f"exchange ratio: {held['exchange_ratio']['median']:.2f} "
        f"(record {held['exchange_ratio_recorded'][0]:.1f}-{held['exchange_ratio_recorded'][1]:.1f})",
    ]
    text.text(0, 1, "\n".join(lines), va="top", fontsize=14, linespacing=1.5)
    fig.suptitle(title)
    return fig


def sensitivity_figure(rows: Sequence[Mapping[str, Any]], outputs: Sequence[tuple[str, str]]) -> Figure:
    """Tornado plots: each output's change when one parameter goes from the low to the high end of its range."""
    fig = new_figure(6.5 * len(outputs), 0.55 * len(rows) + 3)
    axes = fig.subplots(1, len(outputs))  # not sharey: each panel sorts its own rows
    for ax, (key, label) in zip(axes, outputs, strict=True):
        order = sorted(rows, key=lambda r: max(abs(r[f"{key}_low"] - r[f"{key}_base"]),
                                               abs(r[f"{key}_high"] - r[f"{key}_base"])))
        for y, r in enumerate(order):
            base = r[f"{key}_base"]
            low, high = r[f"{key}_low"] - base, r[f"{key}_high"] - base
            ax.barh(y, low, color="#85929e", height=0.7)
            ax.barh(y, high, color=INK, height=0.7)
        ax.axvline(0, color=INK, linewidth=1)
        ax.set_yticks(range(len(order)), [r["parameter"] for r in order])
        ax.set_title(label, fontsize=16)
        ax.set_xlabel("change from the calibrated run")
        ax.grid(axis="x", alpha=0.3)
    fig.legend(handles=[Patch(color="#85929e", label="parameter at the low end of its range"),
                        Patch(color=INK, label="at the high end")], loc="outside lower center", ncol=2, fontsize=14)
    fig.suptitle("Sensitivity: one parameter at a time, across its plausible range")
    return fig


def calibration_figure(points: Sequence[Mapping[str, Any]], names: Sequence[str], best: Mapping[str, Any]
                       ) -> Figure:
    """The loss of every evaluated point against each searched parameter, the chosen point marked."""
    cols = 4
    nrows = -(-len(names) // cols)
    fig = new_figure(4.6 * cols, 3.6 * nrows + 1)
    axes = fig.subplots(nrows, cols, squeeze=False)
    stages = {"lhs": ("#85929e", "Latin hypercube"), "refine": (HIT, "refinement")}
    for ax, name in zip(axes.flat, names, strict=False):
        for stage, (colour, label) in stages.items():
            pts = [p for p in points if p["stage"] == stage]
            ax.scatter([p["params"][name] for p in pts], [p["loss"] for p in pts], s=18, color=colour,
                       label=label)
        ax.scatter([best["params"][name]], [best["loss"]], s=140, marker="*", color=MISS, label="chosen", zorder=3)
        ax.set_title(name, fontsize=14)
        ax.tick_params(labelsize=11)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for row in axes:
        row[0].set_ylabel("fit loss", fontsize=13)
    axes.flat[0].legend(fontsize=10)
    fig.suptitle("Calibration search: loss on the record to 13 May 2013 (lower is better)")
    return fig

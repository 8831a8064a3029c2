"""Scenario comparison: the spread over replicates of encirclement day, supply AUC and fall day, per scenario.

One horizontal box plot per scenario and measure (box = middle 50%, whiskers = 5th to 95th percentile, the
same 90% interval as the scores table), scenarios ordered as in the scores table (median supply AUC, lowest
first). Encirclement and fall days are drawn over the runs in which they happened; the share of runs in which
they did is written beside each box.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.palette import HISTORY, INK, new_figure

MEASURES = (("encirclement_day", "supply cut (day)"), ("supply_auc", "supply AUC (lower = strangled sooner)"),
            ("objective_fall_day", "town falls (day)"))
REFERENCE = "historical"


def scenario_order(runs: pd.DataFrame) -> list[str]:
    """Scenarios by median supply AUC, lowest first (ties by name), as the scores table ranks them."""
    medians = runs.groupby("scenario")["supply_auc"].median()
    return sorted(medians.index, key=lambda s: (medians[s], s))


def distribution_figure(runs: pd.DataFrame, reference: str = REFERENCE) -> Figure:
    """Box plots of the three headline measures per scenario (``runs``: one row per run, runs.parquet columns)."""
    runs = runs[runs["status"] == "ok"] if "status" in runs else runs
    order = scenario_order(runs)
    fig = new_figure(18, 1.6 + 0.62 * len(order))
    axes = fig.subplots(1, len(MEASURES), sharey=True)
    for ax, (column, label) in zip(axes, MEASURES, strict=True):
        data = [runs.loc[runs["scenario"] == s, column].dropna().astype(float).to_numpy() for s in order]
        positions = np.arange(len(order))
        shown = [i for i, d in enumerate(data) if len(d)]
        boxes = ax.boxplot([data[i] for i in shown], positions=positions[shown], orientation="horizontal",
                           whis=(5, 95), widths=0.6, patch_artist=True, showfliers=False,
                           medianprops={"color": INK, "linewidth": 2.5})
        for i, box in zip(shown, boxes["boxes"], strict=True):
            box.set_facecolor(HISTORY if order[i] == reference else "#aab7b8")
            box.set_alpha(0.8)
            box.set_gid(f"{column}:{order[i]}")
        if column != "supply_auc":
            for i, d in enumerate(data):
                total = int((runs["scenario"] == order[i]).sum())
                if len(d) < total:
                    ax.text(1.0, i, f" {len(d) / total:.0%}" if len(d) else " never", va="center", ha="left",
                            transform=ax.get_yaxis_transform(), fontsize=13, color=INK)
        ax.set_title(label, fontsize=17)
        ax.grid(axis="x", alpha=0.3)
    days = [ax for ax, (column, _) in zip(axes, MEASURES, strict=True) if column != "supply_auc"]
    high = max(ax.get_xlim()[1] for ax in days)
    for ax in days:  # both day measures on one scale
        ax.set_xlim(0, high)
    axes[0].set_yticks(np.arange(len(order)), order)
    axes[0].invert_yaxis()
    for tick in axes[0].get_yticklabels():
        if tick.get_text() == reference:
            tick.set_fontweight("bold")
            tick.set_color(HISTORY)
    runs_per = runs.groupby("scenario").size()
    fig.suptitle(f"Scenarios compared ({int(runs_per.median())} runs each; box 50%, whiskers 90%; "
                 "% = share of runs in which it happened)", x=0.01, ha="left", fontsize=18)
    return fig

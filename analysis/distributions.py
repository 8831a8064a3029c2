"""Scenario comparison: the spread over replicates of cut-off day, supply AUC and fall day, per scenario.

One horizontal box plot per scenario and measure (box = middle 50%, whiskers = 5th to 95th percentile, the
same 90% interval as the scores table), scenarios ordered as in the scores table (median supply AUC, lowest
first) and named by their titles and the questions they ask. Cut-off and fall days are drawn over the runs in which
they happened; the share of runs in which they did is written beside each box, "never" where none did. History's
cut-off and fall days, when the record has them, are dotted reference lines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.palette import HISTORY, INK, new_figure

MEASURES = (("encirclement_day", "cut off (day)"), ("supply_auc", "supply AUC (lower = strangled sooner)"),
            ("objective_fall_day", "objective fell (day)"))
LABEL_WIDTH = 48  # characters per line of a scenario's label
REFERENCE = "historical"


def scenario_order(runs: pd.DataFrame) -> list[str]:
    """Scenarios by median supply AUC, lowest first (ties by name), as the scores table ranks them."""
    medians = runs.groupby("scenario")["supply_auc"].median()
    return sorted(medians.index, key=lambda s: (medians[s], s))


def _boxes(ax: Axes, column: str, runs: pd.DataFrame, order: list[str], reference: str) -> None:
    """One measure's boxes, with the share of runs in which a day measure happened ("never" for none)."""
    data = [runs.loc[runs["scenario"] == s, column].dropna().astype(float).to_numpy() for s in order]
    shown = [i for i, d in enumerate(data) if len(d)]
    if shown:
        boxes = ax.boxplot([data[i] for i in shown], positions=shown, orientation="horizontal", whis=(5, 95),
                           widths=0.6, patch_artist=True, showfliers=False,
                           medianprops={"color": INK, "linewidth": 2.5})
        for i, box in zip(shown, boxes["boxes"], strict=True):
            box.set_facecolor("#8c8c8c" if order[i] == reference else "#d4d4d4")
            box.set_alpha(0.85)
            box.set_gid(f"{column}:{order[i]}")
    if column == "supply_auc":
        return
    for i, d in enumerate(data):
        total = int((runs["scenario"] == order[i]).sum())
        if len(d) < total:
            ax.text(0.01 if not len(d) else 1.0, i, f" {len(d) / total:.0%}" if len(d) else "never",
                    va="center", ha="left", transform=ax.get_yaxis_transform(), fontsize=13, color=INK)


def distribution_figure(runs: pd.DataFrame, reference: str = REFERENCE, titles: Mapping[str, str] | None = None,
                        history_days: Mapping[str, float | None] | None = None) -> Figure:
    """Box plots of the three headline measures per scenario (``runs``: one row per run, runs.parquet columns).

    ``titles`` names each scenario (default: its file name); ``history_days`` gives history's day for a measure
    (``encirclement_day``, ``objective_fall_day``), drawn as a reference line.
    """
    runs = runs[runs["status"] == "ok"] if "status" in runs else runs
    order = scenario_order(runs)
    titles = titles or {}
    history_days = history_days or {}
    labels = [textwrap.fill(titles.get(s, s), LABEL_WIDTH) + f"\n({s})" for s in order]
    lines = max(label.count("\n") + 1 for label in labels)
    fig = new_figure(18, 2.0 + max(0.85, 0.21 * lines) * len(order))
    axes = fig.subplots(1, len(MEASURES), sharey=True)
    for ax, (column, label) in zip(axes, MEASURES, strict=True):
        ax.set_ylim(len(order) - 0.5, -0.5)
        _boxes(ax, column, runs, order, reference)
        day = history_days.get(column)
        if day is not None:
            ax.axvline(day, color=HISTORY, linestyle=":", linewidth=2.5)
            ax.annotate(f"history: day {day:g}", (day, 1.0), xycoords=("data", "axes fraction"), xytext=(-4, -4),
                        textcoords="offset points", va="top", ha="right", fontsize=12, color=HISTORY,
                        gid=f"history:{column}")
        ax.set_title(label, fontsize=17)
        ax.grid(axis="x", alpha=0.3)
    days = [ax for ax, (column, _) in zip(axes, MEASURES, strict=True) if column != "supply_auc"]
    high = max([ax.get_xlim()[1] for ax in days] + [d for d in history_days.values() if d is not None] + [1.0])
    for ax in days:  # both day measures on one scale
        ax.set_xlim(0, high * 1.05)
    axes[1].set_xlim(0, 1.02)
    axes[0].set_yticks(np.arange(len(order)), labels, fontsize=12)
    for tick, name in zip(axes[0].get_yticklabels(), order, strict=True):
        if name == reference:
            tick.set_fontweight("bold")
    runs_per = runs.groupby("scenario").size()
    fig.suptitle(f"Scenarios compared ({int(runs_per.median())} runs each; box: middle 50% of runs, whiskers: "
                 "middle 90%; % = share of runs in which it happened)", x=0.01, ha="left", fontsize=17)
    return fig

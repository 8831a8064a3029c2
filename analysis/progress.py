"""The progress plot: how the objective's supply drained away over the campaign, day by day.

Top panel: the supply flow left to the objective and the share of the defender's places cut off; bottom panel: the
share of places each side holds. One run is drawn as lines; many replicates as the median with bands holding the
middle 50% and 90% of runs (a band jumps from 0 to 1 where some runs have a place cut off and others not). The
runs' cut-off and fall days (medians for a batch) are vertical lines; the scenario's own historical record, when
it has one, adds its cut-off and fall dates (dotted, named) and its captures as named ticks along the top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.history import History, captures_by
from analysis.palette import HISTORY, INK, SUPPLY, new_figure, side_colours
from sim.records import held_column
from sim.scenario import ScenarioSpec

TICK_CHARS = 18  # longest place name written whole on a capture tick
BANDS = ((25.0, 75.0, 0.35), (5.0, 95.0, 0.15))  # (low, high percentile, opacity): the 50% and 90% bands


def daily_quantiles(timeseries: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median and band percentiles of a column per day over the replicates (one row per day)."""
    grouped = timeseries.groupby("day")[column]
    out = pd.DataFrame({"median": grouped.median()})
    for low, high, _ in BANDS:
        out[f"p{low:g}"] = grouped.quantile(low / 100)
        out[f"p{high:g}"] = grouped.quantile(high / 100)
    return out


def _band_plot(ax: Axes, x: Sequence[dt.date], q: pd.DataFrame, colour: str, label: str, gid: str,
               style: str = "-", bands: bool = True) -> None:
    if bands:
        for low, high, alpha in BANDS:
            ax.fill_between(x, q[f"p{low:g}"], q[f"p{high:g}"], color=colour, alpha=alpha, linewidth=0)
    ax.plot(x, q["median"], style, color=colour, linewidth=3, label=label, gid=gid)


def _mark_days(ax: Axes, start: dt.date, days: Sequence[float], label: str | None, style: str) -> None:
    """A vertical line at the median of ``days`` (the runs in which it happened)."""
    if not days:
        return
    day = float(np.median(days))
    ax.axvline(start + dt.timedelta(days=day), color=INK, linestyle=style, linewidth=2, label=label or "_")


def progress_figure(timeseries: pd.DataFrame, spec: ScenarioSpec, summaries: Sequence[Mapping[str, Any]],
                    history: History | None = None, title: str | None = None) -> Figure:
    """The progress plot of one run (``timeseries`` of one run) or of replicates (a ``replicate`` column).

    ``summaries`` are the runs' summaries (for their cut-off and fall days); ``history`` the scenario's own record
    (``analysis.history.history_of``) or None.
    """
    colours = side_colours(spec)
    attacker = next(s for s, side in spec.sides.items() if side.role == "attacker")
    start = spec.start_date
    runs = len(summaries)
    bands = runs > 1
    x = [start + dt.timedelta(days=float(d)) for d in sorted(timeseries["day"].unique())]
    fig = new_figure(16, 10)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _band_plot(top, x, daily_quantiles(timeseries, "supply_flow_share"), SUPPLY,
               "supply flow left", "supply_flow_share", bands=bands)
    _band_plot(top, x, daily_quantiles(timeseries, "isolation_share"), "#7f7f7f",
               "defender's places cut off (isolation share)", "isolation_share", style="--", bands=bands)
    for side_id, side in spec.sides.items():
        _band_plot(bottom, x, daily_quantiles(timeseries, held_column(side_id)), colours[side_id],
                   side.name, held_column(side_id), bands=bands)
    cut = [s["encirclement_day"] for s in summaries if s["encirclement_day"] is not None]
    fell = [s["objective_fall_day"] for s in summaries if s["objective_fall_day"] is not None]
    what = "median " if bands else ""
    for ax, named in ((top, True), (bottom, False)):
        _mark_days(ax, start, cut, f"{what}cut-off day" if named else None, (0, (5, 3)))
        _mark_days(ax, start, fell, f"{what}fall day" if named else None, "-")
    if history is not None:
        _history(top, bottom, history, attacker, spec.objective, start, spec.end_date)
    top.set_ylim(-0.02, 1.05)
    top.set_ylabel("share")
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_ylabel("share of places held")
    for ax in (top, bottom):  # keys beside the panels, so they hide nothing
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=13)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.set_xlim(x[0], x[-1])
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    band_note = f"median of {runs} runs; dark band: middle 50% of runs, light band: middle 90%" if bands else \
        "one run"
    top.set_title(title or f"How the objective's supply drained away ({band_note})", loc="left", fontsize=17)
    return fig


def _history(top: Axes, bottom: Axes, history: History, attacker: str, objective: str, start: dt.date,
             end: dt.date) -> None:
    """History's cut-off and fall dates as named vertical lines; its captures as named ticks along the top."""
    named = "history's dates"
    for date, label in ((history.encirclement_date, "history: cut off"), (history.fall_date, "history: fell")):
        if date is not None and start <= date <= end:
            for ax in (top, bottom):
                ax.axvline(date, color=HISTORY, linestyle=":", linewidth=2.5, label=named if ax is top else "_")
            named = "_"
            top.annotate(f"{label}\n{date:%-d %b}", (date, 1.0), xytext=(-6, -4), textcoords="offset points",
                         ha="right", va="top", fontsize=13, color=HISTORY, fontweight="bold",
                         xycoords=("data", "axes fraction"), gid=f"history:{label}",
                         bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
    caps = [e for e in captures_by(history, attacker) if start <= e.date <= end and objective not in e.places]
    if not caps:
        return
    ticks = top.secondary_xaxis("top")
    ticks.set_xticks([e.date for e in caps], [_tick_label(e.place_names) for e in caps], rotation=90,
                     fontsize=11, color=HISTORY)
    ticks.tick_params(direction="in", length=10, color=HISTORY)
    ticks.set_xlabel("captures in history", fontsize=12, color=HISTORY, loc="left")
    ticks.set_gid("history_captures")


def _tick_label(names: Sequence[str]) -> str:
    """A capture tick's label: the place, or the first place and how many more were taken that day."""
    first = names[0] if len(names[0]) <= TICK_CHARS else names[0][:TICK_CHARS - 1] + "…"
    return first if len(names) == 1 else f"{first} +{len(names) - 1}"

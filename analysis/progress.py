"""The encirclement progress plot: how the defender's supply drained away over the campaign, day by day.

Top panel: the defender's residual supply flow share and isolation share; bottom panel: the share of places
each side holds. One run is drawn as lines; many replicates as the median with 50% and 90% bands. The
historical captures (the project's copy of the article's timeline) are marked on the date axis, and the run's
encirclement and fall of the objective (medians for a batch) are marked as vertical lines.
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

from analysis.palette import HISTORY, INK, new_figure, side_colours
from sim.records import held_column
from sim.scenario import ScenarioSpec

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
                    timeline: pd.DataFrame | None = None, title: str | None = None) -> Figure:
    """The progress plot of one run (``timeseries`` of one run) or of replicates (a ``replicate`` column).

    ``summaries`` are the runs' summaries (for their encirclement and fall days); ``timeline`` the historical
    timeline (``analysis.narrative.historical_timeline``) or None.
    """
    colours = side_colours(spec)
    attacker, defender = (next(s for s, side in spec.sides.items() if side.role == role)
                          for role in ("attacker", "defender"))
    start = spec.start_date
    runs = len(summaries)
    bands = runs > 1
    x = [start + dt.timedelta(days=float(d)) for d in sorted(timeseries["day"].unique())]
    fig = new_figure(16, 10)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _band_plot(top, x, daily_quantiles(timeseries, "supply_flow_share"), colours[defender],
               "supply flow left", "supply_flow_share", bands=bands)
    _band_plot(top, x, daily_quantiles(timeseries, "isolation_share"), "#7f8c8d",
               "places cut off (isolation)", "isolation_share", style="--", bands=bands)
    for side_id, side in spec.sides.items():
        _band_plot(bottom, x, daily_quantiles(timeseries, held_column(side_id)), colours[side_id],
                   side.name, held_column(side_id), bands=bands)
    encircled = [s["encirclement_day"] for s in summaries if s["encirclement_day"] is not None]
    fell = [s["objective_fall_day"] for s in summaries if s["objective_fall_day"] is not None]
    what = "median " if bands else ""
    for ax, named in ((top, True), (bottom, False)):
        _mark_days(ax, start, encircled, f"{what}supply cut" if named else None, (0, (5, 3)))
        _mark_days(ax, start, fell, f"{what}town falls" if named else None, "-")
    if timeline is not None:
        _history(top, timeline, attacker, spec.objective, start, spec.end_date)
    top.set_ylim(-0.02, 1.05)
    top.set_ylabel("share")
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_ylabel("places held")
    top.legend(loc="upper right", ncols=2, framealpha=0.9)
    bottom.legend(loc="center right", framealpha=0.9)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.set_xlim(x[0], x[-1])
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    band_note = f"median of {runs} runs, bands 50% and 90%" if bands else "one run"
    top.set_title(title or f"Encirclement progress ({band_note})", loc="left")
    return fig


def _history(ax: Axes, timeline: pd.DataFrame, attacker: str, objective: str, start: dt.date,
             end: dt.date) -> None:
    """The attacker's captures in the article as ticks on the date axis; the objective's is written out."""
    caps = timeline[(timeline["kind"] == "capture") & (timeline["side"] == attacker)]
    dates = [d for d in caps["date"] if start <= d <= end]
    if not dates:
        return
    ax.plot(dates, [0.0] * len(dates), linestyle="", marker="^", markersize=15, color=HISTORY, clip_on=False,
            label="history: captures", gid="history_captures", zorder=5)
    town = caps[caps["places"].str.split(";").apply(lambda ps: objective in ps)]
    for date in town["date"]:
        ax.annotate("history: town taken", (date, 0.0), xytext=(-8, 30), textcoords="offset points",
                    color=HISTORY, fontsize=14, ha="right", arrowprops={"arrowstyle": "-", "color": HISTORY})

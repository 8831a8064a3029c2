"""Words for the pictures and the report: short captions of key events, the run's story beside history's,
and the turning points (the captures that cut the defender's supply most).

Pure functions of a run's records (summary, events, timeseries) and of the scenario's own historical record
(analysis/history.py).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.history import History, events_within

KEY_KINDS = ("capture", "objective_cut", "objective_reconnected", "surrender")  # what captions and stories tell
STORY_TEXT_CHARS = 110  # a recorded event's words, shortened to this in the story table


def caption(event: Mapping[str, Any], place_names: Mapping[str, str], side_names: Mapping[str, str],
            labels: Mapping[str, str]) -> str:
    """A few words for a key event (``event`` is an events.csv row), e.g. 'Abil taken by Government coalition'."""
    kind, place = event["kind"], event.get("place") or ""
    where = place_names.get(place, place)
    who = labels.get(event.get("formation") or "", "")
    if kind == "capture":
        return f"{where} taken by {side_names.get(event['side'], event['side'])}"
    if kind == "objective_cut":
        return f"{where} cut off from supply"
    if kind == "objective_reconnected":
        return f"{where} reconnected to supply"
    if kind == "arrival":
        return f"{who} arrives"
    if kind == "surrender":
        return f"{who} surrenders"
    return str(event.get("text", ""))


def side_by_side(events: pd.DataFrame, history: History | None, start: str, end: str,
                 place_names: Mapping[str, str], side_names: Mapping[str, str],
                 labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The run's key events and history's, one row per date on which either has something.

    History is the scenario's own record (``analysis.history.history_of``), shown within the run's calendar.
    """
    run_by_date: dict[str, list[str]] = defaultdict(list)
    for event in events.to_dict("records"):
        if event["kind"] in KEY_KINDS:
            run_by_date[event["date"]].append(caption(event, place_names, side_names, labels))
    history_by_date: dict[str, list[str]] = defaultdict(list)
    recorded = [] if history is None else events_within(history, dt.date.fromisoformat(start),
                                                         dt.date.fromisoformat(end))
    for e in recorded:
        places = ", ".join(e.place_names)
        if e.kind == "capture":
            what = f"{places} taken by {side_names.get(e.side, e.side)}"
        else:
            what = ": ".join(part for part in (e.kind, places, textwrap.shorten(e.text, STORY_TEXT_CHARS,
                                                                                 placeholder="…")) if part)
        history_by_date[e.date.isoformat()].append(what)
    return [{"date": d, "run": "; ".join(run_by_date.get(d, [])), "history": "; ".join(history_by_date.get(d, []))}
            for d in sorted(set(run_by_date) | set(history_by_date))]


def changes_of_hands(summary: Mapping[str, Any], place: str, side_names: Mapping[str, str]) -> list[str]:
    """Every change of hands of ``place`` in a run, in words ('day 40 (14 May): taken by X'), in order."""
    start = dt.date.fromisoformat(summary["start_date"])
    out = []
    for c in summary["captures"]:
        if c["place"] == place:
            date = start + dt.timedelta(days=float(c["day"]))
            out.append(f"day {float(c['day']):g} ({date:%-d %b}): taken by {side_names.get(c['by'], c['by'])}")
    return out


def _capture_drops(summary: Mapping[str, Any], timeseries: pd.DataFrame,
                   attacker: str) -> dict[float, tuple[list[str], float]]:
    """Day -> (places the attacker took that day, the fall of the supply flow share they caused).

    Supply is traced at the start of each day, so a capture made on day d shows in the flow share of day d+1:
    its effect is the fall from row d to the next row.
    """
    flow = timeseries.set_index("day")["supply_flow_share"].astype(float)
    days = list(flow.index)
    taken: dict[float, list[str]] = defaultdict(list)
    for c in summary["captures"]:
        if c["by"] == attacker and c["place"] != summary["objective"]:  # taking the town is not cutting its supply
            taken[float(c["day"])].append(c["place"])
    out = {}
    for day, places in taken.items():
        i = days.index(day) if day in days else None
        if i is None or i + 1 == len(days):
            continue
        out[day] = (places, float(flow.iloc[i] - flow.iloc[i + 1]))
    return out


def _retaken(summary: Mapping[str, Any], side: str) -> set[tuple[float, str]]:
    """(day, place) of each capture by ``side`` of a place it had taken before and lost since."""
    seen: set[str] = set()
    out = set()
    for c in summary["captures"]:
        if c["by"] == side:
            if c["place"] in seen:
                out.add((float(c["day"]), c["place"]))
            seen.add(c["place"])
    return out


def turning_points(summary: Mapping[str, Any], timeseries: pd.DataFrame, attacker: str,
                   place_names: Mapping[str, str], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` capture days of one run that cut the supply flow share most, in date order."""
    drops = _capture_drops(summary, timeseries, attacker)
    flow = timeseries.set_index("day")["supply_flow_share"].astype(float)
    start = pd.Timestamp(summary["start_date"])
    after = flow.shift(-1)
    retaken = _retaken(summary, attacker)
    rows = [{"day": day, "date": (start + pd.Timedelta(days=day)).date().isoformat(),
             "places": ", ".join(place_names.get(p, p) + (" (retaken)" if (day, p) in retaken else "")
                                 for p in places), "drop": drop,
             "flow_after": float(after.loc[day])}
            for day, (places, drop) in drops.items() if drop > 1e-9]
    rows = sorted(rows, key=lambda r: -r["drop"])[:n]
    return sorted(rows, key=lambda r: r["day"])


def place_impact(runs: Iterable[tuple[Mapping[str, Any], pd.DataFrame]], attacker: str,
                 place_names: Mapping[str, str], n: int = 8) -> list[dict[str, Any]]:
    """Over many runs: the places whose capture cut the supply flow share most.

    A capture's fall is shared equally among the places taken that day. For each place: in how many runs the
    attacker took it, and the mean fall of the flow share its capture caused (runs where it was not taken
    do not count). Ranked by mean fall times the share of runs (its expected effect on a run).
    """
    falls: dict[str, list[float]] = defaultdict(list)
    total = 0
    for summary, timeseries in runs:
        total += 1
        this_run: dict[str, float] = defaultdict(float)  # a place taken twice counts once, with both falls
        for places, drop in _capture_drops(summary, timeseries, attacker).values():
            for place in places:
                this_run[place] += max(drop, 0.0) / len(places)
        for place, fall in this_run.items():
            falls[place].append(fall)
    rows = [{"place": place_names.get(p, p), "runs_share": len(v) / total, "mean_drop": float(np.mean(v))}
            for p, v in falls.items()]
    rows = [r for r in rows if r["mean_drop"] > 1e-9]
    return sorted(rows, key=lambda r: -r["mean_drop"] * r["runs_share"])[:n]

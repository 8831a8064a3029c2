"""Historical fidelity: how well replicate runs of the historical scenario reproduce the recorded offensive.

Pure functions of run summaries (``summary.json``) against the project's timeline (scenarios/timeline.csv) and
the recorded losses. The record is split at 13 May 2013 (day 39): the part up to it is what the calibration may
fit; the part after it (the storming of the town, the air base, the fall on 5 June, the mopping-up and the
losses) is held back to test the fit.

A dated capture's simulated day is the day the same side took the same place in a run, matching the n-th
capture in the record with the n-th in the run (Abil changed hands three times). The objective's capture is the
run's fall day (the attacker's last capture of it, holding it to the end), not its first entry. A capture that
never happened in a run is censored at one day past the end and counts as missed.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from sim.errors import InputError

SPLIT_DAY = 39  # 13 May 2013: the last day of the record the calibration may fit
WINDOW_DAYS = 7  # a capture "fell within 7 days" when its simulated median is this close to the record
LOW, HIGH = 10.0, 90.0  # an 80% interval
TIMELINE_SIDES = {"government": "government", "rebel": "rebels"}  # timeline side -> historical scenario side
ATTACKER = "government"
# Recorded losses (the article's infobox): rebels 740-809 killed of 1,900; government 330 killed including
# 140 Hezbollah. Ranges are (low, high); a single figure has low == high.
RECORDED_KILLED = {"rebels": (740, 809), "government": (330, 330)}
RECORDED_FACTION_KILLED = {"hezbollah": (140, 140)}
RECORDED_FALL_DAY = 62  # 5 June 2013
TARGETS = {"fall_day_days": 5, "captures_within_7_days_share": 0.7, "capture_order_spearman": 0.8,
           "killed_relative_error": 0.25}
TIMELINE_COLUMNS = ("date", "day", "kind", "places", "place_names", "side", "detail")


@dataclass(frozen=True)
class DatedCapture:
    """One place taken by one side on a recorded day; ``occurrence`` counts that side's captures of it."""

    place: str
    name: str
    side: str
    day: int
    date: str
    occurrence: int
    kind: str = "capture"  # or "assault": the day the place was first broken into

    @property
    def label(self) -> str:
        again = " (again)" if self.occurrence > 1 else ""
        return f"{self.name}{again}, {'gov' if self.side == ATTACKER else 'reb'}"


def read_timeline(path: str | Path) -> list[dict[str, str]]:
    """The timeline's rows; a missing column or a non-integer day is an InputError."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in TIMELINE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(str(path), missing[0], "missing column")
            rows = list(reader)
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read: {exc.strerror}") from None
    for number, row in enumerate(rows, start=2):
        if not row["day"].strip().isdigit():
            raise InputError(str(path), f"line {number}.day", f"must be a whole number of days, got {row['day']!r}")
    return rows


def dated_captures(rows: Sequence[Mapping[str, str]], kind: str = "capture") -> list[DatedCapture]:
    """Every capture (or assault) in the timeline by a side of the historical scenario, one per place, in
    record order."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for row in rows:
        if row["kind"] != kind or row["side"] not in TIMELINE_SIDES:
            continue
        side = TIMELINE_SIDES[row["side"]]
        places = row["places"].split(";")
        names = row["place_names"].split(";")
        names = names if len(names) == len(places) else places
        for place, name in zip(places, names, strict=True):
            seen[(place, side)] += 1
            out.append(DatedCapture(place, name, side, int(row["day"]), row["date"], seen[(place, side)], kind))
    return out


def censor_day(summary: Mapping[str, Any]) -> float:
    """The day a capture that never happened is put at: one day past the end of the run."""
    return float(summary["days"]) + 1.0


def simulated_day(summary: Mapping[str, Any], capture: DatedCapture) -> float:
    """The day a run reproduced ``capture``, or the censor day if it did not."""
    if capture.kind == "capture" and capture.place == summary["objective"] and capture.side == ATTACKER:
        fall = summary["objective_fall_day"]
        return censor_day(summary) if fall is None else float(fall)
    days = [c["day"] for c in summary["captures"] if c["place"] == capture.place and c["by"] == capture.side]
    return float(days[capture.occurrence - 1]) if len(days) >= capture.occurrence else censor_day(summary)


def capture_row(summaries: Sequence[Mapping[str, Any]], capture: DatedCapture) -> dict[str, Any]:
    """One dated capture against the runs: simulated median day, 80% interval, and whether it is within 7 days."""
    days = np.array([simulated_day(s, capture) for s in summaries])
    censored = np.array([d >= censor_day(s) for d, s in zip(days, summaries, strict=True)])
    q = _quantiles(days)
    median = q["median"]
    median_taken = median < min(censor_day(s) for s in summaries)
    return {
        "place": capture.place, "name": capture.name, "label": capture.label, "side": capture.side,
        "occurrence": capture.occurrence, "date": capture.date, "day": capture.day,
        "part": "fitted" if capture.day <= SPLIT_DAY else "held_back",
        "sim_median": median, "sim_p10": q["p10"], "sim_p90": q["p90"],
        "taken_share": float(np.mean(~censored)),
        "runs_within_7_days_share": float(np.mean(~censored & (np.abs(days - capture.day) <= WINDOW_DAYS))),
        "within_7_days": bool(median_taken and abs(median - capture.day) <= WINDOW_DAYS),
    }


def capture_order_spearman(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Rank correlation of recorded and simulated median capture days (None when it is undefined)."""
    if len(rows) < 2:
        return None
    hist = [r["day"] for r in rows]
    sim = [r["sim_median"] for r in rows]
    if len(set(hist)) < 2 or len(set(sim)) < 2:
        return None
    return float(spearmanr(hist, sim).statistic)


def relative_error(value: float, recorded: tuple[float, float]) -> float:
    """Signed distance from the recorded range as a share of its nearest end (0 inside the range)."""
    low, high = recorded
    if value > high:
        return (value - high) / high
    if value < low:
        return (value - low) / low
    return 0.0


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"median": float(np.median(arr)), "p10": float(np.percentile(arr, LOW)),
            "p90": float(np.percentile(arr, HIGH))}


def losses(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Killed per side and for the recorded factions (median and 80% interval) against the record."""
    killed = {side: _quantiles([s["casualties_by_side"].get(side, {}).get("killed", 0) for s in summaries])
              for side in RECORDED_KILLED}
    factions = {f: _quantiles([s["casualties"].get(f, {}).get("killed", 0) for s in summaries])
                for f in RECORDED_FACTION_KILLED}
    ratios = [s["casualties_by_side"]["rebels"]["killed"] / max(1, s["casualties_by_side"]["government"]["killed"])
              for s in summaries]
    recorded_ratio = [RECORDED_KILLED["rebels"][i] / RECORDED_KILLED["government"][0] for i in (0, 1)]
    return {
        "killed_by_side": killed,
        "killed_by_faction": factions,
        "killed_recorded": {k: list(v) for k, v in (RECORDED_KILLED | RECORDED_FACTION_KILLED).items()},
        "killed_relative_error": {
            **{side: relative_error(q["median"], RECORDED_KILLED[side]) for side, q in killed.items()},
            **{f: relative_error(q["median"], RECORDED_FACTION_KILLED[f]) for f, q in factions.items()}},
        "exchange_ratio": _quantiles(ratios),
        "exchange_ratio_recorded": recorded_ratio,
    }


def _block(summaries: Sequence[Mapping[str, Any]], rows: list[dict[str, Any]], with_outcome: bool) -> dict[str, Any]:
    """The headline keys over one part of the record (the outcome belongs to the held-back part)."""
    block: dict[str, Any] = {
        "runs": len(summaries),
        "captures": len(rows),
        "captures_within_7_days_share": (sum(r["within_7_days"] for r in rows) / len(rows)) if rows else None,
        "capture_order_spearman": capture_order_spearman(rows),
        "mean_abs_error_days": float(np.mean([abs(r["sim_median"] - r["day"]) for r in rows])) if rows else None,
    }
    if with_outcome:
        falls = [censor_day(s) if s["objective_fall_day"] is None else s["objective_fall_day"] for s in summaries]
        block.update({f"fall_day_{key}": value for key, value in _quantiles(falls).items()})
        block["fall_share"] = sum(s["objective_fall_day"] is not None for s in summaries) / len(summaries)
        lost = losses(summaries)
        block["killed"] = {side: q["median"] for side, q in lost["killed_by_side"].items()}
        block.update(lost)
    return block


def targets(block: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets, checked on one block (meant for the held-back one)."""
    out = {
        "fall_day": {"value": block["fall_day_median"], "target": f"{RECORDED_FALL_DAY} +/- {TARGETS['fall_day_days']}",
                     "met": abs(block["fall_day_median"] - RECORDED_FALL_DAY) <= TARGETS["fall_day_days"]},
        "captures_within_7_days_share": {
            "value": block["captures_within_7_days_share"], "target": ">= 0.7",
            "met": (block["captures_within_7_days_share"] or 0.0) >= TARGETS["captures_within_7_days_share"]},
        "capture_order_spearman": {
            "value": block["capture_order_spearman"], "target": ">= 0.8",
            "met": (block["capture_order_spearman"] or -1.0) >= TARGETS["capture_order_spearman"]},
    }
    for side in RECORDED_KILLED:
        err = block["killed_relative_error"][side]
        out[f"killed_{side}"] = {"value": block["killed"][side], "relative_error": err,
                                 "target": f"within 25% of {RECORDED_KILLED[side]}",
                                 "met": abs(err) <= TARGETS["killed_relative_error"]}
    return out


def fidelity_report(summaries: Sequence[Mapping[str, Any]], captures: Sequence[DatedCapture],
                    assaults: Sequence[DatedCapture] = ()) -> dict[str, Any]:
    """The whole record, the fitted part and the held-back part, each with its headline keys; ``assaults``
    (the first break-in of a place, e.g. the storming of the town on 19 May) are listed but not scored."""
    if not summaries:
        raise ValueError("fidelity needs at least one run")
    rows = [capture_row(summaries, c) for c in captures]
    fitted = [r for r in rows if r["part"] == "fitted"]
    held = [r for r in rows if r["part"] == "held_back"]
    report = _block(summaries, rows, with_outcome=True)
    report["split_day"] = SPLIT_DAY
    report["fitted"] = _block(summaries, fitted, with_outcome=False)
    report["held_back"] = _block(summaries, held, with_outcome=True)
    report["targets"] = targets(report["held_back"])
    report["capture_table"] = rows
    report["assault_table"] = [capture_row(summaries, a) for a in assaults]
    return report


def fit_loss(rows: Sequence[Mapping[str, Any]], cap_days: float = 21.0) -> float:
    """What the calibration minimises over a set of capture rows (lower is better).

    Mean absolute error of the median capture days (each capped at ``cap_days`` so one place that never falls
    cannot swamp the rest) in weeks, plus the share of captures missed by more than 7 days, plus one minus the
    rank correlation of the capture order: three terms of about the same size, one per target.
    """
    mae = float(np.mean([min(abs(r["sim_median"] - r["day"]), cap_days) for r in rows]))
    spearman = capture_order_spearman(rows)
    within = sum(r["within_7_days"] for r in rows) / len(rows)
    return mae / WINDOW_DAYS + (1.0 - within) + (1.0 - (spearman if spearman is not None else 0.0))


def fitted_loss(summaries: Sequence[Mapping[str, Any]], captures: Sequence[DatedCapture]) -> float:
    """``fit_loss`` over the fitted record (captures up to the split day) of these runs."""
    return fit_loss([capture_row(summaries, c) for c in captures if c.day <= SPLIT_DAY])


# ---------------------------------------------------------------- text


def fidelity_lines(report: Mapping[str, Any]) -> list[str]:
    """A short plain-text account of a report, for the terminal."""
    lines = [f"{report['runs']} runs. Dated captures (recorded day -> simulated median [80% interval]):"]
    for r in report["capture_table"]:
        mark = "ok  " if r["within_7_days"] else "MISS"
        lines.append(f"  {mark} {r['part']:9} {r['label']:38} day {r['day']:>2} -> {r['sim_median']:5.1f} "
                     f"[{r['sim_p10']:.0f}-{r['sim_p90']:.0f}], taken in {r['taken_share']:.0%} of runs")
    for r in report["assault_table"]:
        lines.append(f"  (not scored) first break-in, {r['label']}: recorded day {r['day']} -> {r['sim_median']:.1f} "
                     f"[{r['sim_p10']:.0f}-{r['sim_p90']:.0f}]")
    for part in ("fitted", "held_back"):
        b = report[part]
        rho = "n/a" if b["capture_order_spearman"] is None else f"{b['capture_order_spearman']:.2f}"
        lines.append(f"{part}: {b['captures_within_7_days_share']:.0%} of {b['captures']} captures within 7 days; "
                     f"capture-order Spearman {rho}; mean error {b['mean_abs_error_days']:.1f} days")
    held = report["held_back"]
    lines.append(f"Fall of the objective: median day {held['fall_day_median']:.0f} "
                 f"[{held['fall_day_p10']:.0f}-{held['fall_day_p90']:.0f}] (recorded {RECORDED_FALL_DAY}); "
                 f"fell in {held['fall_share']:.0%} of runs")
    for side, q in held["killed_by_side"].items():
        lines.append(f"Killed, {side}: median {q['median']:.0f} [{q['p10']:.0f}-{q['p90']:.0f}] "
                     f"(recorded {'-'.join(str(v) for v in sorted(set(RECORDED_KILLED[side])))}; "
                     f"error {held['killed_relative_error'][side]:+.0%})")
    ratio = held["exchange_ratio"]
    lines.append(f"Exchange ratio (rebel/government killed): {ratio['median']:.2f} "
                 f"(recorded {held['exchange_ratio_recorded'][0]:.2f}-{held['exchange_ratio_recorded'][1]:.2f})")
    met = [name for name, t in report["targets"].items() if t["met"]]
    missed = [name for name, t in report["targets"].items() if not t["met"]]
    lines.append(f"Held-back targets met: {', '.join(met) or 'none'}; missed: {', '.join(missed) or 'none'}")
    return lines

"""Historical fidelity: how well replicate runs of a scenario reproduce its recorded campaign.

Pure functions of run summaries (``summary.json``) against the scenario's record (sim/record.py: its dated
events, the objective's fall, the recorded losses). The record is split at its split date: the part up to it is
what the calibration may fit; the part after it (for al-Qusayr: the storming of the town, the air base, the fall
and the mopping-up) and the losses are held back to test the fit.

A dated capture's simulated day is the day the same side took the same place in a run, matching the n-th
capture in the record with the n-th in the run (a village may change hands several times). The objective's
capture by the attacker is the run's fall day (the day from which the attacker holds it to the end; the one
definition sim/records.py gives), not its first entry. A capture that never happened in a run is censored at one
day past the end and counts as missed. The fall day is reported both ways: censored over all runs (the target)
and over the runs in which the objective fell, side by side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from analysis.scores import censor_day, censored_day, censored_fall_day
from sim.record import DatedCapture, Loss, Record, date_text

WINDOW_DAYS = 7  # a capture "fell within 7 days" when its simulated median is this close to the record
LOW, HIGH = 10.0, 90.0  # an 80% interval
TARGETS = {"fall_day_days": 5, "captures_within_7_days_share": 0.7, "capture_order_spearman": 0.8,
           "killed_relative_error": 0.25, "held_share": 0.5}


def objective_battle(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How the objective was fought for over the runs: first capture and battle length (over the runs in which
    they happened), changes of hands, sustained encirclement, unopposed captures and captured per side."""
    def happened(key: str) -> list[float]:
        return [s[key] for s in summaries if s[key] is not None]

    fell = happened("objective_fall_day")
    captures = sum(len(s["captures"]) for s in summaries)
    sides = sorted({side for s in summaries for side in s["casualties_by_side"]})
    return {
        "fall_day_if_fell": _quantiles(fell) if fell else None,
        "first_capture_day": _quantiles(happened("objective_first_capture_day")) if any(
            s["objective_first_capture_day"] is not None for s in summaries) else None,
        "battle_days": _quantiles(happened("objective_battle_days")) if fell else None,
        "changes_of_hands": _quantiles([s["objective_changes_of_hands"] for s in summaries]),
        "encircled_share": sum(s["encirclement_day"] is not None for s in summaries) / len(summaries),
        "cut_episodes": _quantiles([s["cut_episodes"] for s in summaries]),
        "captures_unopposed_share": sum(s["captures_unopposed"] for s in summaries) / captures if captures else None,
        "captured_by_side": {side: _quantiles([s["casualties_by_side"].get(side, {}).get("captured", 0)
                                               for s in summaries]) for side in sides},
    }


def simulated_day(summary: Mapping[str, Any], capture: DatedCapture, attacker: str) -> float:
    """The day a run reproduced ``capture``, or the censor day if it did not (``attacker``: the scenario's
    attacking side, whose capture of the objective is the run's fall)."""
    if capture.kind == "capture" and capture.place == summary["objective"] and capture.side == attacker:
        return censored_fall_day(summary)
    if capture.kind == "assault" and capture.place == summary["objective"] and capture.side == attacker:
        return censored_day(summary, "objective_first_sector_day")  # the first break-in: a quarter of the town
    days = [c["day"] for c in summary["captures"] if c["place"] == capture.place and c["by"] == capture.side]
    return float(days[capture.occurrence - 1]) if len(days) >= capture.occurrence else censor_day(summary)


def capture_row(summaries: Sequence[Mapping[str, Any]], capture: DatedCapture, record: Record) -> dict[str, Any]:
    """One dated capture against the runs: simulated median day, 80% interval, and whether it is within 7 days."""
    days = np.array([simulated_day(s, capture, record.attacker) for s in summaries])
    censored = np.array([d >= censor_day(s) for d, s in zip(days, summaries, strict=True)])
    q = _quantiles(days)
    median = q["median"]
    median_taken = median < min(censor_day(s) for s in summaries)
    return {
        "place": capture.place, "name": capture.name, "label": capture.label, "side": capture.side,
        "occurrence": capture.occurrence, "date": capture.date, "day": capture.day,
        "part": "fitted" if capture.day <= record.split_day else "held_back",
        "sim_median": median, "sim_p10": q["p10"], "sim_p90": q["p90"],
        "taken_share": float(np.mean(~censored)),
        "runs_within_7_days_share": float(np.mean(~censored & (np.abs(days - capture.day) <= WINDOW_DAYS))),
        "within_7_days": bool(median_taken and abs(median - capture.day) <= WINDOW_DAYS),
    }


def capture_order_spearman(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Rank correlation of recorded and simulated median capture days (None when it is undefined, or meaningless:
    fewer than three captures)."""
    if len(rows) < 3:
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
        return (value - high) / max(high, 1)
    if value < low:
        return (value - low) / low
    return 0.0


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"median": float(np.median(arr)), "p10": float(np.percentile(arr, LOW)),
            "p90": float(np.percentile(arr, HIGH))}


def _killed(summaries: Sequence[Mapping[str, Any]], group: str, name: str) -> dict[str, float]:
    """Median and 80% interval of one side's (group ``casualties_by_side``) or faction's (``casualties``) killed."""
    return _quantiles([s[group].get(name, {}).get("killed", 0) for s in summaries])


def _recorded_ratio(record: Record) -> list[float] | None:
    """The recorded exchange ratio (defender killed per attacker killed) as [low, high], if both are recorded."""
    sides = record.losses_by_side
    if record.attacker not in sides or record.defender not in sides:
        return None
    defender, attacker = sides[record.defender].killed, sides[record.attacker].killed
    return [defender[0] / max(1, attacker[1]), defender[1] / max(1, attacker[0])]


def losses(summaries: Sequence[Mapping[str, Any]], record: Record) -> dict[str, Any]:
    """Killed per recorded side and faction (median and 80% interval) against the record."""
    killed = {side: _killed(summaries, "casualties_by_side", side) for side in record.losses_by_side}
    factions = {f: _killed(summaries, "casualties", f) for f in record.losses_by_faction}
    recorded: dict[str, Loss] = {**record.losses_by_side, **record.losses_by_faction}
    ratios = [s["casualties_by_side"][record.defender]["killed"]
              / max(1, s["casualties_by_side"][record.attacker]["killed"]) for s in summaries]
    return {
        "killed_by_side": killed,
        "killed_by_faction": factions,
        "killed_recorded": {k: list(v.killed) for k, v in recorded.items()},
        "killed_sources": {k: f"{v.source} ({v.period})" for k, v in recorded.items()},
        "killed_relative_error": {k: relative_error(q["median"], recorded[k].killed)
                                  for k, q in (killed | factions).items()},
        "exchange_ratio": _quantiles(ratios),
        "exchange_ratio_recorded": _recorded_ratio(record),
    }


def _block(summaries: Sequence[Mapping[str, Any]], rows: list[dict[str, Any]], record: Record | None
           ) -> dict[str, Any]:
    """The headline keys over one part of the record; with ``record``, also the outcome and the losses (which
    belong to the held-back part)."""
    block: dict[str, Any] = {
        "runs": len(summaries),
        "captures": len(rows),
        "captures_within_7_days_share": (sum(r["within_7_days"] for r in rows) / len(rows)) if rows else None,
        "capture_order_spearman": capture_order_spearman(rows),
        "mean_abs_error_days": float(np.mean([abs(r["sim_median"] - r["day"]) for r in rows])) if rows else None,
    }
    if record is not None:
        falls = [censored_fall_day(s) for s in summaries]
        block.update({f"fall_day_{key}": value for key, value in _quantiles(falls).items()})
        block["fall_share"] = sum(s["objective_fall_day"] is not None for s in summaries) / len(summaries)
        block["objective"] = objective_battle(summaries)
        lost = losses(summaries, record)
        block["killed"] = {side: q["median"] for side, q in lost["killed_by_side"].items()}
        block.update(lost)
    return block


def _outcome_target(block: Mapping[str, Any], record: Record) -> tuple[str, dict[str, Any]]:
    """The objective's fate: its fall day within 5 days of the record's, or, where it held, held in most runs."""
    if record.fall_day is None:
        held = 1.0 - block["fall_share"]
        return "objective_held", {"value": held, "target": f">= {TARGETS['held_share']} of runs",
                                  "met": held >= TARGETS["held_share"]}
    window = TARGETS["fall_day_days"]
    return "fall_day", {"value": block["fall_day_median"], "target": f"{record.fall_day} +/- {window}",
                        "met": abs(block["fall_day_median"] - record.fall_day) <= window}


def targets(block: Mapping[str, Any], record: Record) -> dict[str, dict[str, Any]]:
    """The fidelity targets, checked on one block (meant for the held-back one)."""
    name, outcome = _outcome_target(block, record)
    out = {
        name: outcome,
        "captures_within_7_days_share": {
            "value": block["captures_within_7_days_share"], "target": ">= 0.7",
            "met": (block["captures_within_7_days_share"] or 0.0) >= TARGETS["captures_within_7_days_share"]},
        "capture_order_spearman": {
            "value": block["capture_order_spearman"], "target": ">= 0.8",
            "met": (block["capture_order_spearman"] or -1.0) >= TARGETS["capture_order_spearman"]},
    }
    for side, loss in record.losses_by_side.items():
        err = block["killed_relative_error"][side]
        out[f"killed_{side}"] = {"value": block["killed"][side], "relative_error": err,
                                 "target": f"within 25% of {_range_text(loss.killed)}",
                                 "met": abs(err) <= TARGETS["killed_relative_error"]}
    return out


def fidelity_report(summaries: Sequence[Mapping[str, Any]], record: Record) -> dict[str, Any]:
    """The whole record, the fitted part and the held-back part, each with its headline keys; the record's
    assaults (the first break-in of a place, e.g. al-Qusayr stormed on 19 May 2013) are listed but not scored."""
    if not summaries:
        raise ValueError("fidelity needs at least one run")
    rows = [capture_row(summaries, c, record) for c in record.captures()]
    report = _block(summaries, rows, record)
    report.update({
        "record": record.path, "start_date": record.start_date.isoformat(), "attacker": record.attacker,
        "defender": record.defender, "split_day": record.split_day, "split_date": record.split_date.isoformat(),
        "fall_day_recorded": record.fall_day,
        "fitted": _block(summaries, [r for r in rows if r["part"] == "fitted"], None),
        "held_back": _block(summaries, [r for r in rows if r["part"] == "held_back"], record),
    })
    report["targets"] = targets(report["held_back"], record)
    report["capture_table"] = rows
    report["assault_table"] = [capture_row(summaries, a, record) for a in record.captures("assault")]
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


def fitted_loss(summaries: Sequence[Mapping[str, Any]], record: Record) -> float:
    """``fit_loss`` over the fitted record (captures up to the split day) of these runs."""
    return fit_loss([capture_row(summaries, c, record) for c in record.captures() if c.day <= record.split_day])


# ---------------------------------------------------------------- text


def _range_text(killed: Sequence[float]) -> str:
    return "-".join(f"{v:g}" for v in sorted(set(killed)))


def _outcome_line(report: Mapping[str, Any]) -> str:
    held = report["held_back"]
    recorded = report["fall_day_recorded"]
    history = "held in history" if recorded is None else f"recorded {recorded}"
    battle = held["objective"]
    fell = battle["fall_day_if_fell"]
    line = (f"Fall of the objective (censored: a run in which it held counts one day past the end): median day "
            f"{held['fall_day_median']:.0f} [{held['fall_day_p10']:.0f}-{held['fall_day_p90']:.0f}] ({history}); "
            f"fell in {held['fall_share']:.0%} of runs")
    if fell is None:
        return line
    days = battle["battle_days"]
    return (f"{line}; over the runs that fell: median day {fell['median']:.0f} [{fell['p10']:.0f}-{fell['p90']:.0f}], "
            f"battle for it {days['median']:.0f} days [{days['p10']:.0f}-{days['p90']:.0f}]")


def _battle_line(held: Mapping[str, Any]) -> str:
    battle = held["objective"]
    unopposed = battle["captures_unopposed_share"]
    return (f"Objective changed hands a median {battle['changes_of_hands']['median']:.0f} times; cut off "
            f"(a sustained cut) in {battle['encircled_share']:.0%} of runs; "
            + ("no captures" if unopposed is None else f"{unopposed:.0%} of captures unopposed") + "; captured: "
            + ", ".join(f"{side} {q['median']:.0f}" for side, q in battle["captured_by_side"].items()))


def _loss_lines(held: Mapping[str, Any], report: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, q in (held["killed_by_side"] | held["killed_by_faction"]).items():
        lines.append(f"Killed, {name}: median {q['median']:.0f} [{q['p10']:.0f}-{q['p90']:.0f}] "
                     f"(recorded {_range_text(held['killed_recorded'][name])}; "
                     f"error {held['killed_relative_error'][name]:+.0%})")
    ratio, recorded = held["exchange_ratio"], held["exchange_ratio_recorded"]
    history = "not recorded" if recorded is None else f"recorded {recorded[0]:.2f}-{recorded[1]:.2f}"
    lines.append(f"Exchange ratio ({report['defender']}/{report['attacker']} killed): {ratio['median']:.2f} "
                 f"({history})")
    return lines


def fidelity_lines(report: Mapping[str, Any]) -> list[str]:
    """A short plain-text account of a report, for the terminal."""
    lines = [f"{report['runs']} runs; day 0 = {report['start_date']}. "
             "Dated captures (recorded day -> simulated median [80% interval]):"]
    for r in report["capture_table"]:
        mark = "ok  " if r["within_7_days"] else "MISS"
        lines.append(f"  {mark} {r['part']:9} {r['label']:38} day {r['day']:>3} -> {r['sim_median']:5.1f} "
                     f"[{r['sim_p10']:.0f}-{r['sim_p90']:.0f}], taken in {r['taken_share']:.0%} of runs")
    for r in report["assault_table"]:
        lines.append(f"  (not scored) first break-in, {r['label']}: recorded day {r['day']} -> {r['sim_median']:.1f} "
                     f"[{r['sim_p10']:.0f}-{r['sim_p90']:.0f}]")
    for part in ("fitted", "held_back"):
        b = report[part]
        if not b["captures"]:
            lines.append(f"{part}: no dated captures")
            continue
        rho = "n/a" if b["capture_order_spearman"] is None else f"{b['capture_order_spearman']:.2f}"
        lines.append(f"{part}: {b['captures_within_7_days_share']:.0%} of {b['captures']} captures within 7 days; "
                     f"capture-order Spearman {rho}; mean error {b['mean_abs_error_days']:.1f} days")
    lines.append(_outcome_line(report))
    lines.append(_battle_line(report["held_back"]))
    lines += _loss_lines(report["held_back"], report)
    met = [name for name, t in report["targets"].items() if t["met"]]
    missed = [name for name, t in report["targets"].items() if not t["met"]]
    lines.append(f"Held-back targets met: {', '.join(met) or 'none'}; missed: {', '.join(missed) or 'none'}")
    return lines


def split_text(report: Mapping[str, Any]) -> str:
    """'13 May 2013': the split date of a report, for captions."""
    return date_text(dt.date.fromisoformat(report["split_date"]))


def start_text(report: Mapping[str, Any]) -> str:
    """'4 April 2013': day 0 of a report, for axis labels."""
    return date_text(dt.date.fromisoformat(report["start_date"]))

"""Scenario scores over replicates: medians with 90% intervals, ranked by how fast the supply was strangled.

Pure functions of run summaries (the ``summary.json`` of each run). Intervals are the 5th and 95th
percentiles of the replicates; the number of replicates is always reported beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

LOW, HIGH = 5.0, 95.0  # a 90% interval

SCORE_COLUMNS = [
    "rank", "scenario", "title", "runs",
    "encirclement_day_median", "encirclement_day_p05", "encirclement_day_p95", "encircled_share",
    "supply_auc_median", "supply_auc_p05", "supply_auc_p95",
    "fall_day_median", "fall_day_p05", "fall_day_p95", "fall_share",
    "fall_day_censored_median", "fall_day_censored_p05", "fall_day_censored_p95",
    "first_capture_day_median", "first_capture_day_p05", "first_capture_day_p95", "taken_share",
    "changes_of_hands_median", "changes_of_hands_p05", "changes_of_hands_p95",
    "battle_days_median", "battle_days_p05", "battle_days_p95",
    "cut_episodes_median", "captures_median", "captures_unopposed_share",
    "interdiction_efficiency_median",
]


def _quantiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    arr = np.asarray(values, dtype=float)
    return (float(np.median(arr)), float(np.percentile(arr, LOW)), float(np.percentile(arr, HIGH)))


def _put(row: dict[str, Any], name: str, values: list[float]) -> None:
    row[f"{name}_median"], row[f"{name}_p05"], row[f"{name}_p95"] = _quantiles(values)


def censor_day(summary: Mapping[str, Any]) -> float:
    """The day a capture, cut or fall that never happened is put at: one day past the end of the run."""
    return float(summary["days"]) + 1.0


def censored_day(summary: Mapping[str, Any], key: str) -> float:
    """A day measure of a run (``objective_fall_day``, ``encirclement_day``...), at the censor day where it never
    happened: the value a median over all runs takes, not only over those in which it happened."""
    day = summary[key]
    return censor_day(summary) if day is None else float(day)


def censored_fall_day(summary: Mapping[str, Any]) -> float:
    """The fall day of a run, censored (see ``censored_day``)."""
    return censored_day(summary, "objective_fall_day")


def _happened(summaries: list[Mapping[str, Any]], key: str) -> list[float]:
    return [s[key] for s in summaries if s[key] is not None]


def scenario_scores(name: str, summaries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One scenario's row: medians and 90% intervals over its replicates.

    Encirclement, first-capture, fall and battle days are summarised over the runs in which they happened (the
    shares say in how many); the censored fall day over all runs (see ``censored_fall_day``).
    """
    runs = len(summaries)
    row: dict[str, Any] = {"scenario": name, "title": summaries[0]["title"], "runs": runs}
    encircled = _happened(summaries, "encirclement_day")
    fell = _happened(summaries, "objective_fall_day")
    taken = _happened(summaries, "objective_first_capture_day")
    _put(row, "encirclement_day", encircled)
    row["encircled_share"] = len(encircled) / runs
    _put(row, "supply_auc", [s["supply_auc"] for s in summaries])
    _put(row, "fall_day", fell)
    row["fall_share"] = len(fell) / runs
    _put(row, "fall_day_censored", [censored_fall_day(s) for s in summaries])
    _put(row, "first_capture_day", taken)
    row["taken_share"] = len(taken) / runs
    _put(row, "changes_of_hands", [s["objective_changes_of_hands"] for s in summaries])
    _put(row, "battle_days", _happened(summaries, "objective_battle_days"))
    row["cut_episodes_median"] = float(np.median([s["cut_episodes"] for s in summaries]))
    captures = [len(s["captures"]) for s in summaries]
    row["captures_median"] = float(np.median(captures))
    unopposed = sum(s["captures_unopposed"] for s in summaries)
    row["captures_unopposed_share"] = unopposed / sum(captures) if sum(captures) else None
    row["interdiction_efficiency_median"] = float(np.median([s["interdiction"]["efficiency"] for s in summaries]))
    for side in sorted({side for s in summaries for side in s["casualties_by_side"]}):
        for what in ("killed", "wounded", "captured"):
            _put(row, f"{side}_{what}", [s["casualties_by_side"].get(side, {}).get(what, 0) for s in summaries])
    return row


def rank_scenarios(summaries_by_scenario: Mapping[str, list[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Score every scenario and rank them by median supply AUC, lowest (fastest strangulation) first."""
    rows = [scenario_scores(name, runs) for name, runs in summaries_by_scenario.items()]
    rows.sort(key=lambda r: (r["supply_auc_median"], r["scenario"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def score_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The fixed columns first, then the casualty columns the scenarios produced."""
    extra = sorted({k for r in rows for k in r} - set(SCORE_COLUMNS))
    return SCORE_COLUMNS + extra


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _interval(row: Mapping[str, Any], name: str, digits: int = 0) -> str:
    if row[f"{name}_median"] is None:
        return "never"
    median, low, high = (_fmt(row[f"{name}_{q}"], digits) for q in ("median", "p05", "p95"))
    return f"{median} ({low}–{high})"


def scores_markdown(rows: list[Mapping[str, Any]], reference: str = "historical") -> str:
    """The comparison as a Markdown table (medians with 90% intervals); the reference scenario is marked."""
    sides = sorted({k.removesuffix("_killed_median") for r in rows for k in r if k.endswith("_killed_median")})
    head = ["rank", "scenario", "runs", "cut off (day)", "supply AUC", "fell (day, runs that fell)", "fell in",
            "fell (day, censored)", "battle (days)", "changes of hands", "unopposed captures"]
    head += [f"{side} {what}" for side in sides for what in ("killed", "captured")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        name = f"**{r['scenario']}** (reference)" if r["scenario"] == reference else r["scenario"]
        cells = [str(r["rank"]), name, str(r["runs"]),
                 _interval(r, "encirclement_day") + ("" if r["encircled_share"] in (0, 1) else
                                                     f" in {r['encircled_share']:.0%}"),
                 _interval(r, "supply_auc", 2), _interval(r, "fall_day"), f"{r['fall_share']:.0%}",
                 _interval(r, "fall_day_censored"), _interval(r, "battle_days"), _interval(r, "changes_of_hands"),
                 _share(r["captures_unopposed_share"])]
        cells += [_interval(r, f"{side}_{what}") for side in sides for what in ("killed", "captured")]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Medians over the replicates with 90% intervals (5th–95th percentile) in brackets. Days count "
                 "from the start date. Cut off: the first day of a cut of the defender-held objective that lasted "
                 "at least `encirclement_min_days`, over the runs cut off. Fell: the day from which the attacker "
                 "held the objective to the end, over the runs in which it fell; censored: over all runs, a run in "
                 "which it held counted one day past the end. Battle: from the first fight in the objective to its "
                 "fall. Unopposed captures: share of all captures taken without a fight. Supply AUC is the "
                 "time-average share of the defender's supply flow left (1 = never reduced; lower = strangled "
                 "sooner). Ranked by median supply AUC.")
    return "\n".join(lines) + "\n"


def scores_text(rows: list[Mapping[str, Any]], reference: str = "historical") -> str:
    """The comparison as a fixed-width table for the terminal."""
    head = (f"{'#':>2}  {'scenario':<26} {'runs':>4}  {'cut off':>17}  {'supply AUC':>17}  {'fell (if fell)':>17} "
            f"{'share':>6}  {'fell (censored)':>17}  {'battle days':>15}")
    out = [head, "-" * len(head)]
    for r in rows:
        mark = "*" if r["scenario"] == reference else " "
        out.append(f"{r['rank']:>2}{mark} {r['scenario']:<26} {r['runs']:>4}  {_interval(r, 'encirclement_day'):>17}  "
                   f"{_interval(r, 'supply_auc', 2):>17}  {_interval(r, 'fall_day'):>17} {r['fall_share']:>6.0%}  "
                   f"{_interval(r, 'fall_day_censored'):>17}  {_interval(r, 'battle_days'):>15}")
    starred = f"* = {reference}; " if any(r["scenario"] == reference for r in rows) else ""
    out.append(f"{starred}medians with 90% intervals; fell (if fell): over the runs that fell; censored: over all "
               "runs, one that held counted one day past the end; ranked by supply AUC (lower = strangled sooner).")
    return "\n".join(out)

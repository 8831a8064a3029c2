"""Run records: run a scenario with a seed, and keep what it produced (summary, event log, daily series).

``simulate(scenario, seed)`` is the one entry point every front end uses (command line, batches, the web app);
its result is a pure function of (scenario, seed). The writers here put a record on disk atomically: each file
is written to a temporary name and renamed, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.agents import Formation
from sim.events import EVENT_COLUMNS, Event, format_date
from sim.model import QusayrModel
from sim.scenario import Scenario


@dataclass
class RunRecord:
    """Everything one run produced."""

    summary: dict[str, Any]
    events: list[Event]
    timeseries: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- reporters (plain functions of the model)


def control_column(place: str) -> str:
    return f"control.{place}"


def strength_column(faction: str) -> str:
    return f"strength.{faction}"


def held_column(side: str) -> str:
    return f"held.{side}"


def faction_strength(model: QusayrModel) -> dict[str, int]:
    """Personnel present in the theatre per faction."""
    out = dict.fromkeys(model.spec.factions, 0)
    for f in model.agents_by_type.get(Formation, []):
        if f.active:
            out[f.faction] += f.personnel
    return out


def held_shares(model: QusayrModel) -> dict[str, float]:
    """Share of the map's places each side holds."""
    n = len(model.places)
    return {side: sum(1 for c in model.control.values() if c == side) / n for side in model.spec.sides}


def day_row(model: QusayrModel) -> dict[str, Any]:
    """One row of the daily series: date, shares held, strength per faction, controller of every place."""
    row: dict[str, Any] = {"day": model.day, "date": model.date.isoformat()}
    for side, share in held_shares(model).items():
        row[held_column(side)] = round(share, 6)
    for faction, men in faction_strength(model).items():
        row[strength_column(faction)] = men
    for place in model.places:
        row[control_column(place)] = model.control[place] or ""
    return row


def casualties(model: QusayrModel) -> dict[str, dict[str, Any]]:
    """Killed, wounded and captured per faction (with its side)."""
    out = {fid: {"side": f.side, "killed": 0, "wounded": 0, "captured": 0}
           for fid, f in model.spec.factions.items()}
    for f in model.agents_by_type.get(Formation, []):
        c = out[f.faction]
        c["killed"] += f.killed
        c["wounded"] += f.wounded
        c["captured"] += f.captured
    return out


def by_side(per_faction: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c in per_faction.values():
        side = out.setdefault(c["side"], {"killed": 0, "wounded": 0, "captured": 0})
        for key in side:
            side[key] += c[key]
    return out


def objective_fall_day(model: QusayrModel) -> float | None:
    """The day the attacker last took the objective, if it still holds it at the end; else None."""
    if model.control[model.objective] != model.attacker:
        return None
    days = [c["day"] for c in model.captures if c["place"] == model.objective and c["by"] == model.attacker]
    return days[-1] if days else 0.0


def summarise(model: QusayrModel, seed: int) -> dict[str, Any]:
    scenario = model.campaign
    fall = objective_fall_day(model)
    per_faction = casualties(model)
    strength = faction_strength(model)
    return {
        "scenario": scenario.name,
        "title": model.spec.name,
        "seed": seed,
        "start_date": model.start_date.isoformat(),
        "end_date": model.spec.end_date.isoformat(),
        "days": model.days,
        "step_days": model.dt,
        "objective": model.objective,
        "objective_name": model.place_name(model.objective),
        "objective_fall_day": fall,
        "objective_fall_date": None if fall is None else model.start_date.isoformat() if fall == 0 else
        (model.start_date + __import__("datetime").timedelta(days=fall)).isoformat(),
        "captures": [{k: c[k] for k in ("place", "day", "date", "by")} for c in model.captures],
        "casualties": per_faction,
        "casualties_by_side": by_side(per_faction),
        "personnel": {fid: {"initial": model.initial_personnel[fid], "arrived": model.arrived_personnel[fid],
                            "present": strength[fid]} for fid in model.spec.factions},
        "final_control": {side: sum(1 for c in model.control.values() if c == side) for side in model.spec.sides},
    }


def simulate(scenario: Scenario, seed: int) -> RunRecord:
    """Run ``scenario`` to its end date with ``seed``; return its records."""
    model = QusayrModel(scenario, rng=seed)
    rows = [day_row(model)]
    while model.running:
        model.step()
        rows.append(day_row(model))
    return RunRecord(summarise(model, seed), model.events, rows)


# ---------------------------------------------------------------- writers


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def to_json(data: Any) -> str:
    return json.dumps(_json_safe(data), indent=2, ensure_ascii=False) + "\n"


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_run(record: RunRecord, out_dir: str | Path) -> list[Path]:
    """Write summary.json, events.csv and timeseries.csv into ``out_dir``; return their paths."""
    out = Path(out_dir)
    files = {
        out / "summary.json": to_json(record.summary),
        out / "events.csv": to_csv([e.row() for e in record.events], EVENT_COLUMNS),
        out / "timeseries.csv": to_csv(record.timeseries, list(record.timeseries[0])),
    }
    for path, text in files.items():
        atomic_write_text(path, text)
    return list(files)


def summary_lines(record: RunRecord) -> list[str]:
    """A short human summary of a run for the terminal."""
    s = record.summary
    fall = s["objective_fall_day"]
    start = s["start_date"]
    lines = [f"{s['title']} (seed {s['seed']}), {start} to {s['end_date']}"]
    if fall is None:
        lines.append(f"{s['objective_name']} did not fall.")
    else:
        import datetime as dt

        date = dt.date.fromisoformat(start) + dt.timedelta(days=fall)
        lines.append(f"{s['objective_name']} fell on day {fall:g} ({format_date(date)}).")
    lines.append(f"{len(s['captures'])} captures; losses by side:")
    for side, c in s["casualties_by_side"].items():
        lines.append(f"  {side}: {c['killed']:,} killed, {c['wounded']:,} wounded, {c['captured']:,} captured")
    return lines

"""Run records: what a run produced (summary, event log, daily series), the reporters that read them off the
model, and the writers.

``simulate(scenario, seed)`` (sim/simulation.py) makes a record. The writers here put a record on disk
atomically: each file is written to a temporary name and renamed, so an interrupted run never leaves a
half-written file.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import os
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from sim.agents import Formation
from sim.errors import InputError
from sim.events import EVENT_COLUMNS, Event, format_date
from sim.metrics import MetricsCache, SupplyMetrics, interdiction_efficiency
from sim.model import SiegeModel
from sim.scenario import Scenario
from sim.supply import RoadShares
from sim.theatre import town_sectors

_CACHES: weakref.WeakKeyDictionary[Scenario, MetricsCache] = weakref.WeakKeyDictionary()
TOWN_SINK_SUFFIX = "#town"  # the node the supply metrics measure to, for an objective town with sectors
TOWN_SINK_CLASS, TOWN_SINK_KM = "highway", 0.001  # its links to the sectors: never the bottleneck


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


def faction_strength(model: SiegeModel) -> dict[str, int]:
    """Personnel present in the theatre per faction."""
    out = dict.fromkeys(model.spec.factions, 0)
    for f in model.agents_by_type.get(Formation, []):
        if f.active:
            out[f.faction] += f.personnel
    return out


def held_shares(model: SiegeModel) -> dict[str, float]:
    """Share of the map's places each side holds."""
    n = len(model.places)
    holders = list(model.control.values())
    return {side: holders.count(side) / n for side in model.spec.sides}


def metrics_cache(scenario: Scenario) -> MetricsCache:
    """The supply-metrics cache of a scenario, shared by all its runs in this process.

    The baseline is the defender's open ground on day 0, on the scenario's roads (blocked roads removed).
    """
    cache = _CACHES.get(scenario)
    if cache is None:
        graph = scenario.graph.copy()
        graph.remove_edges_from(scenario.spec.blocked_roads)
        for place in graph:  # places count alike in the isolation share: most villages' populations are unknown
            graph.nodes[place]["population"] = 0
        target = add_town_sink(graph, scenario.spec.objective)
        start = SiegeModel(scenario, rng=0)
        side = scenario.spec.sides[scenario.defender]
        cache = _CACHES[scenario] = MetricsCache(graph, side.supply_sources, target,
                                                 start.open_sets[scenario.defender] | {target},
                                                 scenario.params.road_capacity, scenario.params.supply_speed_kmh)
    return cache


def add_town_sink(graph: nx.Graph, objective: str) -> str:
    """Rule: supply is measured to the objective town as a whole: when it has sectors, a node standing for the
    town joins each of them by a road of the highest capacity and next to no length, so the supply metrics
    measure what reaches any part of the town the defender can use. Returns the node to measure to (the
    objective itself when the town has no sectors)."""
    sectors = town_sectors(graph, objective)
    if len(sectors) == 1:
        return objective
    sink = f"{objective}{TOWN_SINK_SUFFIX}"
    graph.add_node(sink, name=graph.nodes[objective]["name"], population=0)
    for sector in sectors:
        graph.add_edge(sector, sink, road_class=TOWN_SINK_CLASS, km=TOWN_SINK_KM)
    return sink


def defender_supply(model: SiegeModel, cache: MetricsCache) -> SupplyMetrics:
    """Today's supply metrics of the defending side to the objective (the town as a whole: ``add_town_sink``)."""
    return cache.metrics(*defender_state(model, cache))


def defender_state(model: SiegeModel, cache: MetricsCache) -> tuple[frozenset[str], frozenset[str], RoadShares]:
    """What the defender's supply metrics are measured on today: the places open to its supply
    (``defender_open``), the places it holds, and the roads under the enemy's fires."""
    defender = model.defender
    held = frozenset([p for p, c in model.control.items() if c == defender])  # a list: asked every day of every run
    return defender_open(model, cache), held, model.space.roads_under_fire(defender)


def defender_open(model: SiegeModel, cache: MetricsCache) -> frozenset[str]:
    """The places open to the defender's supply today, and the town's node when the cache measures to one."""
    open_places = model.open_sets[model.defender]
    return open_places if cache.objective in model.graph else open_places | {cache.objective}


def supply_row(model: SiegeModel, cache: MetricsCache) -> dict[str, float]:
    """Today's supply-line metrics of the defending side (computed once per distinct control state)."""
    today = cache.day(*defender_state(model, cache))
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in today.items()}


def day_row(model: SiegeModel, cache: MetricsCache) -> dict[str, Any]:
    """One row of the daily series: date, supply metrics, shares held, strength per faction, control."""
    row: dict[str, Any] = {"day": model.day, "date": model.date.isoformat()}
    row.update(supply_row(model, cache))
    # the engine's own trace (any quarter the defender holds; ``supply_connected`` measures to the town as a whole
    # on the same roads under the same fires): cuts read it
    row["objective_supplied"] = int(model.objective_supplied)  # any quarter of the town the defender holds
    for side, share in held_shares(model).items():
        row[held_column(side)] = round(share, 6)
        row[objective_share_column(side)] = round(model.space.town_share(side), 6)
    for faction, men in faction_strength(model).items():
        row[strength_column(faction)] = men
    control = model.control
    row.update(zip(control_columns(model.places), [control[place] or "" for place in model.places], strict=True))
    return row


@functools.cache
def control_columns(places: tuple[str, ...]) -> tuple[str, ...]:
    """The daily series' control columns of a map's places, in their order (the same every day of every run)."""
    return tuple(control_column(place) for place in places)


LOSS_KINDS = ("killed", "wounded", "captured", "trapped")  # the casualty counts per faction and side (runs.parquet's
# killed_<side>, ...): ``trapped`` is part of ``wounded``


def casualties(model: SiegeModel) -> dict[str, dict[str, Any]]:
    """Killed, wounded and captured per faction (with its side), and ``trapped``: of its wounded, those still
    carried by formations cut off from supply at the end (the wounded of a cut-off garrison)."""
    out = {fid: {"side": f.side, **dict.fromkeys(LOSS_KINDS, 0)} for fid, f in model.spec.factions.items()}
    for f in model.agents_by_type.get(Formation, []):
        c = out[f.faction]
        c["killed"] += f.killed
        c["wounded"] += f.wounded
        c["captured"] += f.captured
        c["trapped"] += f.trapped_wounded
    return out


def by_side(per_faction: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c in per_faction.values():
        side = out.setdefault(c["side"], dict.fromkeys(LOSS_KINDS, 0))
        for key in side:
            side[key] += c[key]
    return out


def objective_share_column(side: str) -> str:
    """The daily series' column of the share of the objective town ``side`` holds."""
    return f"objective_held.{side}"


def objective_share_path(model: SiegeModel) -> list[tuple[float, float]]:
    """Rule: the share of the objective town the attacker holds, (day, share) at the start and after each capture
    of one of its sectors (``Space.town_share``: sectors count alike). Replayed from the captures, so it is the
    same whenever it is asked."""
    sectors = model.space.objective_sectors
    holder = {p: (model.attacker if p in model.initially_held[model.attacker] else model.defender) for p in sectors}
    path = [(0.0, sum(h == model.attacker for h in holder.values()) / len(sectors))]
    for c in model.captures:
        if c["place"] in holder:
            holder[c["place"]] = c["by"]
            path.append((c["day"], sum(h == model.attacker for h in holder.values()) / len(sectors)))
    return path


def objective_fall_day(model: SiegeModel) -> float | None:
    """The day from which the attacker holds the whole objective (every sector of the town) to the end, or None
    when it does not hold all of it at the end. The one definition of "fall day" every table uses."""
    path = objective_share_path(model)
    if path[-1][1] < 1.0:
        return None
    last_partial = max((i for i, (_, share) in enumerate(path) if share < 1.0), default=None)
    return 0.0 if last_partial is None else path[last_partial + 1][0]


def objective_metrics(model: SiegeModel, fall: float | None) -> dict[str, Any]:
    """What happened to the objective: the first day the attacker held all of it, how often it passed wholly to the
    other side, its sectors' changes of hands, the first sector the attacker took, the length of the battle for
    it (from the first fight in any of its sectors, or the first capture of one if that came sooner, to its fall)
    and the path of the share of it the attacker held."""
    path = objective_share_path(model)
    first = next((day for day, share in path if share == 1.0 and day > 0), None)
    whole_changes, whole = 0, ("defender" if path[0][1] == 0.0 else "attacker" if path[0][1] == 1.0 else None)
    for _, share in path[1:]:
        side = "attacker" if share == 1.0 else "defender" if share == 0.0 else None
        if side is not None and side != whole:
            whole_changes += 1
            whole = side
    sectors = model.space.objective_sectors
    taken = [c for c in model.captures if c["place"] in sectors]
    foothold = next((c["day"] for c in taken if c["by"] == model.attacker), None)
    starts = [d for d in (*(model.first_assault.get(p) for p in sectors), foothold) if d is not None]
    return {"objective_first_capture_day": first,
            "objective_changes_of_hands": whole_changes,
            "objective_sector_changes": len(taken),
            "objective_first_sector_day": foothold,
            "objective_battle_days": None if fall is None or not starts else fall - min(starts),
            "objective_share_path": [[day, round(share, 6)] for day, share in path]}


def cut_spells(rows: list[dict[str, Any]], defender: str) -> list[tuple[float, float, bool]]:
    """The spells in which the defender held some of the objective (a sector of the town) and the engine traced
    no supply to the part it held (a road shut by the enemy's fires counts: ``objective_supplied``): (first day,
    day it ended, whether it ended by reconnection). A spell ends when the objective is reconnected, leaves the
    defender's hands, or the run ends (then it lasts to one step past the last row)."""
    column = objective_share_column(defender)
    spells: list[tuple[float, float, bool]] = []
    start: float | None = None
    for row in rows:
        cut = row[column] > 0 and not row["objective_supplied"]
        if cut and start is None:
            start = row["day"]
        elif not cut and start is not None:
            spells.append((start, row["day"], row[column] > 0))
            start = None
    if start is not None:
        step = rows[1]["day"] - rows[0]["day"] if len(rows) > 1 else 1.0
        spells.append((start, rows[-1]["day"] + step, False))
    return spells


def encirclement_day(spells: list[tuple[float, float, bool]], min_days: float) -> float | None:
    """Rule: the objective is encircled from the first day of a cut of the defender-held objective that lasts at
    least ``min_days`` (parameter ``encirclement_min_days``): a capture is not a cut, a raid on the road is not
    an encirclement."""
    return next((start for start, end, _ in spells if end - start >= min_days), None)


def encirclement_metrics(model: SiegeModel, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Encirclement day, and the cut episodes: every spell the defender-held objective was cut off, and how many
    of them ended in reconnection."""
    spells = cut_spells(rows, model.defender)
    return {"encirclement_day": encirclement_day(spells, model.params.encirclement_min_days),
            "cut_episodes": len(spells),
            "cut_reconnections": sum(reconnected for _, _, reconnected in spells)}


def supply_auc(rows: list[dict[str, Any]]) -> float:
    """Time-average of the residual flow share phi over the campaign (trapezoids): 1 = never touched,
    0 = cut from the first day. Lower means faster strangulation."""
    if len(rows) < 2:
        return rows[0]["supply_flow_share"] if rows else 1.0
    area = sum((b["day"] - a["day"]) * (a["supply_flow_share"] + b["supply_flow_share"]) / 2
               for a, b in zip(rows, rows[1:], strict=False))
    return area / (rows[-1]["day"] - rows[0]["day"])


def interdiction_score(model: SiegeModel, cache: MetricsCache, until_day: float) -> dict[str, Any]:
    """How well the attacker's captures cut supply, against the best that as many captures could have done.

    Walk the attacker's captures of the defender's places in order, up to ``until_day``. After the k-th, the actual
    flow is the baseline network's max flow without the k places taken; the best is the smallest flow any k places
    could leave (exact search, Wood 1993). Efficiency after k = (flow0 - actual) / (flow0 - best); the score is its
    mean over the sequence, so an attacker that cut the main routes first scores higher than one that got there in
    the end by a roundabout way.
    """
    baseline = cache.baseline_open
    # candidates: the defender's places the attacker could take, i.e. in the objective's country (not Arsal)
    country = model.graph.nodes[model.objective].get("country")
    candidates = frozenset(p for p in baseline - {cache.objective, *model.space.objective_sectors}
                           if model.graph.nodes[p].get("country") == country)
    taken: list[str] = []
    for c in model.captures:
        if c["by"] == model.attacker and c["day"] <= until_day and c["place"] in candidates and c["place"] not in taken:
            taken.append(c["place"])
    flow0 = actual = cache.baseline.max_flow
    best, best_set = cache.best_interdiction(0, candidates)
    curve = []
    for k in range(1, len(taken) + 1):
        actual = cache.max_flow(baseline - set(taken[:k]))
        best, best_set = cache.best_interdiction(k, candidates)
        curve.append(interdiction_efficiency(flow0, actual, best))
    return {"k": len(taken), "flow0": flow0, "actual_flow": actual,
            "best_flow": best, "best_places": list(best_set), "captured": taken,
            "efficiency_by_k": [round(e, 4) for e in curve],
            "efficiency": round(sum(curve) / len(curve), 4) if curve else 1.0}


def supply_scores(model: SiegeModel, rows: list[dict[str, Any]], cache: MetricsCache,
                  fall: float | None) -> dict[str, Any]:
    """The headline scores of a run: when, how completely and how efficiently the supply was cut."""
    encirclement = encirclement_metrics(model, rows)
    cut = encirclement["encirclement_day"]
    return {
        **encirclement,
        "supply_auc": round(supply_auc(rows), 6),
        "final_supply_flow_share": rows[-1]["supply_flow_share"],
        "days_encirclement_to_fall": None if cut is None or fall is None else fall - cut,
        "interdiction": interdiction_score(model, cache, model.days if cut is None else cut),
    }


def summarise(model: SiegeModel, seed: int, rows: list[dict[str, Any]], cache: MetricsCache) -> dict[str, Any]:
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
        "objective_fall_date": None if fall is None else (model.start_date + dt.timedelta(days=fall)).isoformat(),
        **objective_metrics(model, fall),
        **supply_scores(model, rows, cache, fall),
        "captures": [{k: c[k] for k in ("place", "day", "date", "by", "opposed")} for c in model.captures],
        "captures_unopposed": sum(not c["opposed"] for c in model.captures),
        "casualties": per_faction,
        "casualties_by_side": by_side(per_faction),
        "personnel": {fid: {"initial": model.initial_personnel[fid], "arrived": model.arrived_personnel[fid],
                            "present": strength[fid]} for fid in model.spec.factions},
        "final_control": {side: sum(1 for c in model.control.values() if c == side) for side in model.spec.sides},
    }


# ---------------------------------------------------------------- writers


TEMP_SUFFIX = ".tmp"  # the ending of the temporary files of atomic writes (see remove_temp_files)


@contextmanager
def atomic_path(path: Path, replace: bool = True) -> Iterator[str]:
    """A temporary file beside ``path`` for the block to write; when the block ends it becomes ``path`` in one
    step, and when the block fails (or is interrupted) it is removed: readers see the old file or the new, never
    half of one. With ``replace=False`` an existing ``path`` is kept and FileExistsError raised (the last step is
    then a hard link, which fails atomically when the name is taken)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        yield tmp
        make_readable(tmp)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a folder to write in, made if needed; InputError (naming ``option``) when it cannot be one."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(str(folder), "", f"is a file, not a folder: choose another {option}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(folder), "", f"cannot be made a folder ({exc.strerror or exc}): choose another "
                         f"{option}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(str(folder), "", f"is not writable: choose another {option}")
    return folder


def remove_temp_files(folder: Path) -> None:
    """Remove the temporary files that a killed writer left in ``folder`` (call only while no one writes there)."""
    if folder.is_dir():
        for path in folder.glob(f".*{TEMP_SUFFIX}"):
            path.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str, replace: bool = True) -> None:
    """Write a text file atomically (see atomic_path)."""
    atomic_write_bytes(path, text.encode("utf-8"), replace)


def make_readable(path: str) -> None:
    """Give a finished temporary file the permissions of a normally created one (mkstemp makes it private)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_write_bytes(path: Path, data: bytes, replace: bool = True) -> None:
    """Write a file (a picture, say) atomically (see atomic_path)."""
    with atomic_path(path, replace) as tmp:
        Path(tmp).write_bytes(data)


# ---------------------------------------------------------------- provenance


def scenario_paths(scenario: Scenario) -> list[Path]:
    """The files a scenario was made from: itself, every file it extends, its map."""
    return [Path(p) for p in (*scenario.files, scenario.spec.map)]


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of all of a scenario's files together: a changed input changes it (saved games, batch stores)."""
    digest = hashlib.sha256()
    for path in scenario_paths(scenario):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digests(scenario: Scenario) -> list[dict[str, str]]:
    """Each of a scenario's files with its SHA-256, for the records of what made a result."""
    return [{"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for path in scenario_paths(scenario)]


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
        date = dt.date.fromisoformat(s["objective_fall_date"])
        lines.append(f"{s['objective_name']} fell on day {fall:g} ({format_date(date)}).")
    first = s["objective_first_capture_day"]
    if first is not None:
        battle = s["objective_battle_days"]
        lines.append(f"First taken on day {first:g}; changed hands {s['objective_changes_of_hands']} times"
                     + ("" if battle is None else f"; the battle for it lasted {battle:g} days") + ".")
    path = s["objective_share_path"]
    if len(path) > 1 and any(0.0 < share < 1.0 for _, share in path):
        lines.append("Share of it the attacker held: " + ", ".join(f"{share:.0%} on day {day:g}" for day, share
                                                                  in path[1:]) + ".")
    cut = s["encirclement_day"]
    lines.append("Supply: " + ("never cut off for long" if cut is None else f"encircled from day {cut:g}")
                 + f" ({s['cut_episodes']} cut episodes, {s['cut_reconnections']} reconnected)"
                 + f"; supply AUC {s['supply_auc']:.3f} (1 = never reduced, lower = faster strangulation); "
                 f"interdiction efficiency {s['interdiction']['efficiency']:.2f}.")
    lines.append(f"{len(s['captures'])} captures ({s['captures_unopposed']} unopposed); losses by side:")
    for side, c in s["casualties_by_side"].items():
        trapped = f" ({c['trapped']:,} of them trapped, cut off)" if c["trapped"] else ""
        lines.append(f"  {side}: {c['killed']:,} killed, {c['wounded']:,} wounded{trapped}, {c['captured']:,} captured")
    return lines

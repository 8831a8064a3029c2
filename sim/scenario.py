"""Scenario files: safe YAML loading, ``extends`` merging, and validation against the map.

A scenario names its map, calendar, sides, factions, formations and orders. A counterfactual ``extends`` another
scenario and states only what differs; problems are reported against the merged result, naming the file that
introduced the offending field. Every problem is an InputError (file, field path, what is wrong).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import networkx as nx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import InputError
from sim.parameters import Parameters, apply_overrides
from sim.theatre import load_theatre


class UnitType(enum.StrEnum):
    """What a formation is; sets its combat value per person and its march speed."""

    ARMOUR = "armour"
    MECHANISED = "mechanised"
    INFANTRY = "infantry"
    SPECIAL_FORCES = "special_forces"
    MILITIA = "militia"
    ARTILLERY = "artillery"


class Role(enum.StrEnum):
    """A side's role: the attacker tries to take the objective, the defender to hold it."""

    ATTACKER = "attacker"
    DEFENDER = "defender"


Number = Field(allow_inf_nan=False)


class Strict(BaseModel):
    """Base for scenario models: unknown fields are errors, numbers are numbers (no bools, no strings)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Fires(Strict):
    artillery: float = Field(0.0, ge=0, le=5, allow_inf_nan=False)
    air: float = Field(0.0, ge=0, le=5, allow_inf_nan=False)


class SideSpec(Strict):
    name: str = Field(min_length=1)
    role: Role = Field(strict=False)
    supply_sources: list[str] = Field(min_length=1)
    holds: list[str] = []
    fires: Fires = Fires()


class FactionSpec(Strict):
    name: str = Field(min_length=1)
    side: str
    short: str | None = None


class Raid(Strict):
    """Lie in wait on a road between two days, then go back to base."""

    road: list[str] = Field(min_length=2, max_length=2)
    from_day: float = Field(ge=0, allow_inf_nan=False)
    until_day: float = Field(ge=0, allow_inf_nan=False)
    base: str


class Orders(Strict):
    """Exactly one of: an axis of objectives, hold a place, stay in reserve at a place, move to a place, raid."""

    axis: list[str] | None = Field(None, min_length=1)
    hold: str | None = None
    reserve: str | None = None
    move: str | None = None
    raid: Raid | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Orders:
        given = [k for k in ("axis", "hold", "reserve", "move", "raid") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of axis, hold, reserve, move, raid (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("axis", "hold", "reserve", "move", "raid") if getattr(self, k) is not None)

    def places(self) -> list[tuple[str, str]]:
        """(field path, place id) of every place the orders name, for validation."""
        if self.axis is not None:
            return [(f"axis[{i}]", p) for i, p in enumerate(self.axis)]
        if self.raid is not None:
            return [("raid.road[0]", self.raid.road[0]), ("raid.road[1]", self.raid.road[1]),
                    ("raid.base", self.raid.base)]
        kind = self.kind
        return [(kind, getattr(self, kind))]


class FormationSpec(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    faction: str
    type: UnitType = Field(strict=False)
    personnel: int = Field(gt=0, le=200_000)
    tanks: int = Field(0, ge=0, le=5_000)
    quality: float = Field(1.0, gt=0, le=5, allow_inf_nan=False)
    morale: float = Field(0.8, ge=0, le=1, allow_inf_nan=False)
    supply: float = Field(1.0, ge=0, le=1, allow_inf_nan=False)
    at: str
    arrival_day: float = Field(0.0, ge=0, allow_inf_nan=False)
    orders: Orders


class Doctrine(Strict):
    """Switches for doctrine rules that counterfactuals change (see sim/doctrine.py)."""

    siege_before_assault: bool = True  # the attacker storms the objective only once it is cut off
    breakout_when_cut: bool = False  # the defender's cut-off formations break out towards supplied ground


class ScenarioSpec(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    map: str
    record: str | None = None  # the historical record file (sim/record.py), relative to the scenario file
    start_date: dt.date = Field(strict=False)
    end_date: dt.date = Field(strict=False)
    step_days: float = Field(1.0, gt=0, le=7, allow_inf_nan=False)
    objective: str
    sides: dict[str, SideSpec] = Field(min_length=2, max_length=2)
    factions: dict[str, FactionSpec] = Field(min_length=1)
    formations: list[FormationSpec] = Field(min_length=1)
    fortifications: dict[str, float] = {}
    blocked_roads: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = []
    doctrine: Doctrine = Doctrine()
    parameters: dict[str, Any] = {}


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario with its map loaded and its parameters resolved."""

    path: str
    spec: ScenarioSpec
    graph: nx.Graph
    params: Parameters
    files: tuple[str, ...]  # the file and every file it extends, child first

    @property
    def days(self) -> float:
        return float((self.spec.end_date - self.spec.start_date).days)

    @property
    def attacker(self) -> str:
        return next(k for k, s in self.spec.sides.items() if s.role is Role.ATTACKER)

    @property
    def defender(self) -> str:
        return next(k for k, s in self.spec.sides.items() if s.role is Role.DEFENDER)

    @property
    def name(self) -> str:
        return Path(self.path).stem


# ---------------------------------------------------------------- loading and merging


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file safely into a mapping, or raise InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(str(path), where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"must be a mapping at the top level, got {type(data).__name__}")
    return data


Provenance = dict[tuple, str]
REPLACED_WHOLE = {"orders"}  # a child's orders replace the parent's (hold -> reserve must not merge into both)


def _mark(data: Any, file: str, prefix: tuple, prov: Provenance) -> None:
    prov[prefix] = file
    if isinstance(data, dict):
        for key, value in data.items():
            _mark(value, file, (*prefix, key), prov)


def _merge(base: dict, child: dict, file: str, prefix: tuple, prov: Provenance) -> dict:
    """Deep-merge ``child`` over ``base``: mappings merge, formations merge by id, other values replace."""
    out = dict(base)
    for key, value in child.items():
        path = (*prefix, key)
        if key == "formations" and not prefix and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = _merge_formations(base[key], value, file, prov)
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key not in REPLACED_WHOLE:
            prov[path] = prov.get(path, file)
            out[key] = _merge(base[key], value, file, path, prov)
        else:
            _mark(value, file, path, prov)
            out[key] = value
    return out


def _merge_formations(base: list, child: list, file: str, prov: Provenance) -> list:
    merged = list(base)
    index = {f.get("id"): i for i, f in enumerate(base) if isinstance(f, dict)}
    for entry in child:
        fid = entry.get("id") if isinstance(entry, dict) else None
        if fid in index:
            i = index[fid]
            merged[i] = _merge(merged[i], entry, file, ("formations", i), prov)
        else:
            index[fid] = len(merged)
            _mark(entry, file, ("formations", len(merged)), prov)
            merged.append(entry)
    return merged


def _remove_formations(data: dict, file: str, prov: Provenance) -> dict:
    removals = data.get("remove_formations", [])
    if not isinstance(removals, list):
        raise InputError(file, "remove_formations", "must be a list of formation ids")
    formations = data.get("formations", [])
    if not isinstance(formations, list):
        return {k: v for k, v in data.items() if k not in ("remove_formations", "extends")}
    ids = [f.get("id") if isinstance(f, dict) else None for f in formations]
    for i, fid in enumerate(removals):
        if fid not in ids:
            raise InputError(prov.get(("remove_formations",), file), f"remove_formations[{i}]",
                             f"no formation {fid!r} to remove")
    keep = [i for i, fid in enumerate(ids) if fid not in removals]
    renumbered: Provenance = {}
    for path, src in prov.items():
        if path[:1] == ("formations",) and len(path) > 1:
            if path[1] in keep:
                renumbered[("formations", keep.index(path[1]), *path[2:])] = src
        else:
            renumbered[path] = src
    prov.clear()
    prov.update(renumbered)
    out = {k: v for k, v in data.items() if k not in ("remove_formations", "extends")}
    out["formations"] = [formations[i] for i in keep]
    return out


def resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, Provenance, tuple[str, ...]]:
    """Load a scenario and everything it extends into one mapping, remembering which file set each field."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise InputError(str(chain[-1]), "extends", f"extends itself in a cycle: {cycle}")
    data = read_yaml(path)
    file = str(path)
    parent = data.get("extends")
    if parent is None:
        prov: Provenance = {}
        _mark(data, file, (), prov)
        merged, files = data, (file,)
    else:
        if not isinstance(parent, str):
            raise InputError(file, "extends", "must be the path of another scenario file")
        parent_path = path.parent / parent
        if not parent_path.exists():
            raise InputError(file, "extends", f"no such scenario file: {parent}")
        base, prov, parent_files = resolve_extends(parent_path, (*chain, path))
        merged = _merge(base, {k: v for k, v in data.items() if k != "extends"}, file, (), prov)
        files = (file, *parent_files)
    merged = _remove_formations(merged, file, prov)
    for key in ("map", "record"):  # paths relative to the file that set them
        if isinstance(merged.get(key), str):
            merged[key] = str(Path(prov.get((key,), file)).parent / merged[key])
    return merged, prov, files


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _source_of(loc: tuple, prov: Provenance, default: str) -> str:
    for n in range(len(loc), -1, -1):
        if tuple(loc[:n]) in prov:
            return prov[tuple(loc[:n])]
    return default


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge, validate and resolve a scenario file (and its map); raise InputError on any problem."""
    path = Path(path)
    data, prov, files = resolve_extends(path)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        # a misspelt field shows up twice (unknown + missing): report the unknown one, which names the typo
        err = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
        loc = tuple(p for p in loc if p not in {"tagged-union", "json-or-python"})
        raise InputError(_source_of(loc, prov, files[0]), _field_path(loc), err["msg"]) from None
    if not Path(spec.map).is_file():
        raise InputError(_source_of(("map",), prov, files[0]), "map", f"no such map file: {spec.map}")
    graph = load_theatre(spec.map)
    params = apply_overrides(Parameters(), spec.parameters, _source_of(("parameters",), prov, files[0]))
    scenario = Scenario(str(path), spec, graph, params, files)
    _check_references(scenario, prov)
    return scenario


def _check_references(scenario: Scenario, prov: Provenance) -> None:
    """Cross-field checks pydantic cannot do: places exist, factions and sides exist, ids are unique."""
    spec, graph = scenario.spec, scenario.graph
    default = scenario.files[0]

    def fail(loc: tuple, problem: str) -> None:
        raise InputError(_source_of(loc, prov, default), _field_path(loc), problem)

    def place(loc: tuple, pid: str) -> None:
        if pid not in graph:
            fail(loc, f"unknown place {pid!r} (not on the map {Path(spec.map).name})")

    if spec.end_date <= spec.start_date:
        fail(("end_date",), "must be after start_date")
    place(("objective",), spec.objective)
    roles = sorted(s.role for s in spec.sides.values())
    if roles != [Role.ATTACKER, Role.DEFENDER]:
        fail(("sides",), "need exactly one attacker side and one defender side")
    held: dict[str, str] = {}
    for name, side in spec.sides.items():
        for i, pid in enumerate(side.supply_sources):
            place(("sides", name, "supply_sources", i), pid)
        for i, pid in enumerate(side.holds):
            place(("sides", name, "holds", i), pid)
            if pid in held:
                fail(("sides", name, "holds", i), f"{pid!r} is already held by side {held[pid]!r}")
            held[pid] = name
    for fid, faction in spec.factions.items():
        if faction.side not in spec.sides:
            fail(("factions", fid, "side"), f"unknown side {faction.side!r} (sides: {', '.join(spec.sides)})")
    seen: dict[str, int] = {}
    for i, f in enumerate(spec.formations):
        if f.id in seen:
            fail(("formations", i, "id"), f"duplicate formation id {f.id!r} (also formations[{seen[f.id]}])")
        seen[f.id] = i
        if f.faction not in spec.factions:
            fail(("formations", i, "faction"), f"unknown faction {f.faction!r}")
        place(("formations", i, "at"), f.at)
        if f.arrival_day > scenario.days:
            fail(("formations", i, "arrival_day"), f"{f.arrival_day:g} is after the scenario ends "
                 f"(day {scenario.days:g})")
        for sub, pid in f.orders.places():
            place(("formations", i, "orders", *_split(sub)), pid)
        if f.orders.raid is not None:
            a, b = f.orders.raid.road
            if not graph.has_edge(a, b):
                fail(("formations", i, "orders", "raid", "road"), f"no road between {a!r} and {b!r}")
            if f.orders.raid.until_day < f.orders.raid.from_day:
                fail(("formations", i, "orders", "raid", "until_day"), "must not be before from_day")
    for pid, level in spec.fortifications.items():
        place(("fortifications", pid), pid)
        if not (isinstance(level, (int, float)) and math.isfinite(level) and 0 <= level <= 5):
            fail(("fortifications", pid), f"must be a number from 0 to 5, got {level!r}")
    for i, (a, b) in enumerate(spec.blocked_roads):
        if not graph.has_edge(a, b):
            fail(("blocked_roads", i), f"no road between {a!r} and {b!r}")


def _split(sub: str) -> tuple:
    """'axis[2]' -> ('axis', 2); 'raid.base' -> ('raid', 'base')."""
    out: list[Any] = []
    for part in sub.split("."):
        if "[" in part:
            name, idx = part[:-1].split("[")
            out += [name, int(idx)]
        else:
            out.append(part)
    return tuple(out)


Kind = Literal["scenario", "map"]


def validate_file(path: str | Path) -> tuple[Kind, list[str]]:
    """Validate a map (.geojson/.json) or a scenario (.yaml/.yml); return its kind and any warnings."""
    path = Path(path)
    if path.suffix.lower() in {".geojson", ".json"}:
        graph = load_theatre(path)
        return "map", list(graph.graph.get("warnings", []))
    scenario = load_scenario(path)
    return "scenario", list(scenario.graph.graph.get("warnings", []))

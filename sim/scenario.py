"""Scenario files: loading within limits, ``extends`` merging, and validation against the map.

A scenario names its map, calendar, sides, factions, formations and orders. A counterfactual ``extends`` another
scenario and states only what differs; problems are reported against the merged result, naming the file (and
line) that introduced the offending field. Every problem is an InputError (file, field path, what is wrong).
Loading checks everything a run needs, so a scenario that loads also starts; the traps that let a run start but
make little sense (a formation starting on enemy ground, a siege rule the attacker's axes cannot satisfy) are
returned as warnings by :func:`scenario_warnings`. The fields are documented in docs/scenario-format.md, which
``python -m sim.scenario_doc`` writes from the models below.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import InputError
from sim.loader import Document, bulk, check_regular_file, load_yaml
from sim.parameters import Parameters, apply_overrides
from sim.supply import open_places, supplied_places
from sim.theatre import load_theatre

MAX_EXTENDS = 16
"""Longest ``extends`` chain: a counterfactual of a counterfactual of ... sixteen files deep."""

MAX_DAYS = 3660
"""Longest campaign, in days (ten years)."""

MAX_STEPS = 10_000
"""Most steps a run may take (days / step_days): beyond this a run takes hours and gigabytes."""


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


def _f(default: Any = ..., *, doc: str, example: Any = None, **limits: Any) -> Any:
    """A documented scenario field: its meaning and an example go into docs/scenario-format.md."""
    extra = {"example": example} if example is not None else None
    return Field(default, description=doc, json_schema_extra=extra, **limits)


class Strict(BaseModel):
    """Base for scenario models: unknown fields are errors, numbers are numbers (no bools, no strings)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Fires(Strict):
    """Fire support a side brings to its attacks, in levels: 0 none, 1 a typical brigade's, 5 overwhelming."""

    artillery: float = _f(0.0, ge=0, le=5, allow_inf_nan=False, example=1.0,
                          doc="artillery support level; each level multiplies attack power by 1 + "
                              "`artillery_bonus` (docs/parameters.md)")
    air: float = _f(0.0, ge=0, le=5, allow_inf_nan=False, example=0.5,
                    doc="air support level; each level multiplies attack power by 1 + `air_bonus`")


class SideSpec(Strict):
    """One of the two sides: its role, where its supply comes from, what it holds at the start."""

    name: str = _f(min_length=1, doc="display name", example="Blue League")
    role: Role = _f(strict=False, doc="`attacker` (takes the objective) or `defender` (holds it); one of each",
                    example="attacker")
    supply_sources: list[str] = _f(min_length=1, example=["harbour"],
                                   doc="place ids supply flows from; must not be held by the other side, and the "
                                       "defender's must reach the objective at the start")
    holds: list[str] = _f([], example=["harbour", "crossroads"],
                          doc="place ids this side holds at the start (a place is held by at most one side; "
                              "places nobody lists are held by whoever starts there, else by nobody)")
    fires: Fires = _f(Fires(), doc="fire support levels (see Fires)", example={"artillery": 1.0, "air": 0.5})


class FactionSpec(Strict):
    """A group fighting for a side (an army, a militia): losses and strength are reported per faction."""

    name: str = _f(min_length=1, doc="display name", example="Red Guard")
    side: str = _f(doc="id of the side it fights for (a key of `sides`)", example="red")
    short: str | None = _f(None, doc="short label for charts (default: the name)", example="RG")


class Raid(Strict):
    """Lie in wait on a road between two days, then go back to base."""

    road: list[str] = _f(min_length=2, max_length=2, doc="the two place ids at the ends of a road on the map",
                         example=["ridge", "depot"])
    from_day: float = _f(ge=0, allow_inf_nan=False, doc="day the ambush starts (0 = start_date)", example=5)
    until_day: float = _f(ge=0, allow_inf_nan=False, doc="day it ends; not before from_day", example=12)
    base: str = _f(doc="place id the raiders return to", example="ford")


ORDER_KINDS = ("axis", "hold", "reserve", "move", "raid")


class Orders(Strict):
    """Exactly one of: an axis of objectives, hold a place, stay in reserve at a place, move to a place, raid."""

    axis: list[str] | None = _f(None, min_length=1, example=["ridge", "depot", "oldtown"],
                                doc="place ids to take in order (attackers and counterattacks)")
    hold: str | None = _f(None, doc="place id to hold to the last", example="oldtown")
    reserve: str | None = _f(None, doc="place id to wait at; reinforces threatened places within `reinforce_km`",
                             example="ford")
    move: str | None = _f(None, doc="place id to march to, then hold", example="crossroads")
    raid: Raid | None = _f(None, doc="ambush on a road (see Raid)",
                           example={"road": ["ridge", "depot"], "from_day": 5, "until_day": 12, "base": "ford"})

    @model_validator(mode="after")
    def _exactly_one(self) -> Orders:
        given = [k for k in ORDER_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of axis, hold, reserve, move, raid (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ORDER_KINDS if getattr(self, k) is not None)

    def places(self) -> list[tuple[tuple[Any, ...], str]]:
        """(field path under ``orders``, place id) of every place the orders name, for validation."""
        if self.axis is not None:
            return [(("axis", i), p) for i, p in enumerate(self.axis)]
        if self.raid is not None:
            return [(("raid", "road", 0), self.raid.road[0]), (("raid", "road", 1), self.raid.road[1]),
                    (("raid", "base"), self.raid.base)]
        return [((self.kind,), getattr(self, self.kind))]


class FormationSpec(Strict):
    """A unit on the map: a brigade, a battalion, a band of fighters."""

    id: str = _f(min_length=1, doc="unique id; a child scenario changes a formation by giving its id",
                 example="blue_tanks")
    name: str = _f(min_length=1, doc="display name", example="1st Tank Brigade")
    faction: str = _f(doc="id of its faction (a key of `factions`)", example="blue_army")
    type: UnitType = _f(strict=False, doc="sets combat value per person (`type_value`) and march speed "
                        "(`march_km_per_day`)", example="armour")
    personnel: int = _f(gt=0, le=200_000, doc="people", example=1200)
    tanks: int = _f(0, ge=0, le=5_000, doc="tanks, each worth `tank_value` people in combat", example=20)
    quality: float = _f(1.0, gt=0, le=5, allow_inf_nan=False, example=1.2,
                        doc="combat power multiplier for training and leadership: 1 ordinary, 0.5 poor, 2 elite")
    morale: float = _f(0.8, ge=0, le=1, allow_inf_nan=False, example=0.85,
                       doc="starting morale, 0 (broken) to 1; it breaks below `morale_break`")
    supply: float = _f(1.0, ge=0, le=1, allow_inf_nan=False, doc="starting supply level, 0 (none) to 1 (full)",
                       example=1.0)
    at: str = _f(doc="place id where it starts (or arrives)", example="harbour")
    arrival_day: float = _f(0.0, ge=0, allow_inf_nan=False, example=3,
                            doc="day it enters the campaign (0 = on the map at the start); not after the end")
    orders: Orders = _f(doc="what it does (see Orders); a child's orders replace the parent's whole",
                        example={"axis": ["ridge", "depot", "oldtown"]})


class Doctrine(Strict):
    """Switches for doctrine rules (sim/doctrine.py): each theatre, and each counterfactual, chooses its own."""

    siege_before_assault: bool = _f(True, example=False,
                                    doc="the attacker storms the objective only once it is cut off from the "
                                        "defender's supply sources (or at `direct_assault_ratio`). Right for a "
                                        "methodical siege; where the attacker's axes cannot cut every route, "
                                        "the objective is never stormed: set it to false there")
    breakout_when_cut: bool = _f(False, example=True,
                                 doc="the defender's cut-off formations break out towards supplied ground")
    pickets: bool = _f(True, example=False,
                       doc="zone of control: an empty place a side holds is not walked into while that side has a fit "
                           "formation next door; that formation moves in and the place is fought for")
    storm_from_day: float | None = _f(None, ge=0, allow_inf_nan=False, example=45,
                                      doc="with `siege_before_assault`, the day (from the start date) from which the "
                                          "objective is stormed at `storm_ratio`, cut off or not, and before which "
                                          "only at `direct_assault_ratio`: a dated decision to storm")


Fortification = Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)]
Road = Annotated[list[str], Field(min_length=2, max_length=2)]


class ScenarioSpec(Strict):
    """A scenario file. A child scenario adds `extends: PARENT.yaml` and `remove_formations: [ids]` and states
    only what differs: mappings merge key by key, formations merge by id, other values replace."""

    name: str = _f(min_length=1, doc="title", example="Tiny: the Vale of Ember")
    description: str = _f("", doc="what the scenario is about (shown in reports and the app)",
                          example="Blue pushes from the harbour on two axes to take the old town.")
    map: str = _f(doc="the GeoJSON map (docs/map-format.md), relative to the file that names it",
                  example="maps/vale.geojson")
    record: str | None = _f(None, doc="the historical record file (docs/record-format.md), relative to the file "
                            "that names it; `fidelity`, `calibrate` and the report's history read it",
                            example="record/record.yaml")
    start_date: dt.date = _f(strict=False, doc="day 0 of the campaign (YYYY-MM-DD)", example="2020-03-01")
    end_date: dt.date = _f(strict=False, example="2020-03-31",
                           doc=f"last day; after start_date, at most {MAX_DAYS:,} days later")
    step_days: float = _f(1.0, gt=0, le=7, allow_inf_nan=False, example=1,
                          doc=f"days per step; the run takes (end - start) / step_days steps, at most {MAX_STEPS:,}")
    objective: str = _f(doc="place id the attacker must take; held by the defender (or nobody) at the start, not "
                        "a supply source, and connected to the defender's sources", example="oldtown")
    sides: dict[str, SideSpec] = _f(min_length=2, max_length=2, doc="exactly two sides by id: one attacker, one "
                                    "defender (see SideSpec)", example={"blue": {"name": "Blue League", "role":
                                    "attacker", "supply_sources": ["harbour"]}})
    factions: dict[str, FactionSpec] = _f(min_length=1, doc="factions by id (see FactionSpec)",
                                          example={"blue_army": {"name": "Blue Army", "side": "blue"}})
    formations: list[FormationSpec] = _f(min_length=1, doc="the formations (see FormationSpec)",
                                         example=[{"id": "red_garrison", "name": "Old Town garrison",
                                                   "faction": "red_guard", "type": "infantry", "personnel": 400,
                                                   "at": "oldtown", "orders": {"hold": "oldtown"}}])
    fortifications: dict[str, Fortification] = _f({}, example={"oldtown": 0.5},
                                                  doc="fortification level 0..5 by place id; each level multiplies "
                                                      "the defender's power by 1 + `fortification_bonus`")
    blocked_roads: list[Road] = _f([], example=[["crossroads", "ford"]],
                                   doc="roads closed for the whole campaign, as pairs of place ids")
    doctrine: Doctrine = _f(Doctrine(), doc="doctrine switches (see Doctrine)",
                            example={"siege_before_assault": False})
    parameters: dict[str, Any] = _f({}, example={"attack_ratio": 3.0, "march_km_per_day": {"militia": 12}},
                                    doc="model parameter overrides by name (docs/parameters.md); tables key by key")


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


# ---------------------------------------------------------------- where each value came from


Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Origin:
    """One scenario file of an ``extends`` chain: its name and where each of its values is written."""

    file: str
    doc: Document


Source = tuple[Origin, Loc]  # the file that set a value, and the value's path in that file
Provenance = dict[Loc, Source]
REPLACED_WHOLE = {"orders"}  # a child's orders replace the parent's (hold -> reserve must not merge into both)


def read_mapping(path: str | Path) -> Document:
    """Parse a YAML file (sim/loader.py limits) whose top level must be a mapping."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(str(path), "", f"must be a mapping at the top level, got {type(doc.data).__name__}")
    return doc


def _mark(value: Any, origin: Origin, src: Loc, dst: Loc, prov: Provenance) -> None:
    """Record that ``value`` and everything inside it, now at ``dst``, was written at ``src`` in ``origin``."""
    stack = [(value, src, dst)]
    while stack:
        item, s, d = stack.pop()
        prov[d] = (origin, s)
        if isinstance(item, dict):
            stack.extend((v, (*s, k), (*d, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*s, i), (*d, i)) for i, v in enumerate(item))


def _merge(base: dict, child: dict, origin: Origin, src: Loc, dst: Loc, prov: Provenance) -> dict:
    """Deep-merge ``child`` over ``base``: mappings merge, formations merge by id, other values replace."""
    out = dict(base)
    for key, value in child.items():
        s, d = (*src, key), (*dst, key)
        if key == "formations" and not dst and isinstance(value, list) and isinstance(base.get(key), list):
            prov.setdefault(d, (origin, s))
            out[key] = _merge_formations(base[key], value, origin, prov)
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key not in REPLACED_WHOLE:
            prov.setdefault(d, (origin, s))
            out[key] = _merge(base[key], value, origin, s, d, prov)
        else:
            _mark(value, origin, s, d, prov)
            out[key] = value
    return out


def _formation_id(entry: Any, j: int, origin: Origin) -> str | None:
    """The id of a formation entry in a child, checked before merging by it (None: no id, pydantic says so)."""
    fid = entry.get("id") if isinstance(entry, dict) else None
    if fid is not None and not isinstance(fid, str):
        raise InputError(origin.file, f"formations[{j}].id", f"must be a string, got {type(fid).__name__}"
                         f"{_line_note(origin, ('formations', j, 'id'))}")
    return fid


def _merge_formations(base: list, child: list, origin: Origin, prov: Provenance) -> list:
    merged = list(base)
    index = {f["id"]: i for i, f in enumerate(base) if isinstance(f, dict) and isinstance(f.get("id"), str)}
    added: dict[str, int] = {}
    for j, entry in enumerate(child):
        fid = _formation_id(entry, j, origin)
        if fid in added:
            raise InputError(origin.file, f"formations[{j}].id", f"formation id {fid!r} appears twice in this file "
                             f"(also formations[{added[fid]}]){_line_note(origin, ('formations', j, 'id'))}")
        if fid is not None:
            added[fid] = j
        if fid in index:
            i = index[fid]
            merged[i] = _merge(merged[i], entry, origin, ("formations", j), ("formations", i), prov)
        else:
            if fid is not None:
                index[fid] = len(merged)
            _mark(entry, origin, ("formations", j), ("formations", len(merged)), prov)
            merged.append(entry)
    return merged


def _remove_formations(data: dict, origin: Origin, prov: Provenance) -> dict:
    """Drop the formations ``remove_formations`` names (linear in the number of formations)."""
    out = {k: v for k, v in data.items() if k not in ("remove_formations", "extends")}
    if "remove_formations" not in data:
        return out
    removals = data["remove_formations"]
    src = _source_of(("remove_formations",), prov, origin)
    if not isinstance(removals, list) or not all(isinstance(r, str) for r in removals):
        raise _error(src, ("remove_formations",), "must be a list of formation ids")
    formations = data.get("formations", [])
    if not isinstance(formations, list):
        return out
    ids = [f.get("id") if isinstance(f, dict) else None for f in formations]
    known = {fid for fid in ids if isinstance(fid, str)}
    for i, fid in enumerate(removals):
        if fid not in known:
            raise _error(src, ("remove_formations", i), f"no formation {fid!r} to remove")
    gone = set(removals)
    keep = [i for i, fid in enumerate(ids) if fid not in gone]
    if not keep:
        raise _error(src, ("remove_formations",), "removes every formation: a scenario needs at least one")
    new_index = {old: new for new, old in enumerate(keep)}
    renumbered: Provenance = {}
    for path, where in prov.items():
        if path[:1] == ("formations",) and len(path) > 1:
            if path[1] in new_index:
                renumbered[("formations", new_index[path[1]], *path[2:])] = where
        else:
            renumbered[path] = where
    prov.clear()
    prov.update(renumbered)
    out["formations"] = [formations[i] for i in keep]
    return out


def resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, Provenance, tuple[Origin, ...]]:
    """Load a scenario and everything it extends into one mapping, remembering which file set each field."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise InputError(str(chain[-1]), "extends", f"extends itself in a cycle: {cycle}")
    origin = Origin(str(path), read_mapping(path))
    data = origin.doc.data
    parent = data.get("extends")
    if parent is None:
        prov: Provenance = {}
        _mark(data, origin, (), (), prov)
        merged, origins = data, (origin,)
    else:
        if len(chain) + 1 >= MAX_EXTENDS:  # blamed on the file asked for: its chain is what is too long
            raise InputError(str((*chain, path)[0]), "extends", f"the extends chain is longer than {MAX_EXTENDS} "
                             f"files (it reaches {path.name}, which extends {parent}): extend a scenario nearer "
                             "the root")
        if not isinstance(parent, str) or not parent:
            raise _error((origin, ("extends",)), ("extends",), "must be the path of another scenario file")
        parent_path = path.parent / parent
        try:
            check_regular_file(parent_path)
        except InputError as exc:
            problem = "no such scenario file" if exc.problem == "file not found" else exc.problem
            raise _error((origin, ("extends",)), ("extends",), f"{problem}: {parent}") from None
        base, prov, parents = resolve_extends(parent_path, (*chain, path))
        merged = _merge(base, {k: v for k, v in data.items() if k != "extends"}, origin, (), (), prov)
        origins = (origin, *parents)
    merged = _remove_formations(merged, origin, prov)
    for key in ("map", "record"):  # paths relative to the file that set them
        if isinstance(merged.get(key), str):
            key_origin = _source_of((key,), prov, origin)[0]
            merged[key] = str(Path(key_origin.file).parent / merged[key])
    return merged, prov, origins


# ---------------------------------------------------------------- error messages


def field_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _source_of(loc: Loc, prov: Provenance, default: Origin) -> Source:
    """The file that wrote the value at ``loc`` (or its nearest ancestor), and where in that file."""
    for n in range(len(loc), -1, -1):
        found = prov.get(tuple(loc[:n]))
        if found is not None:
            origin, src = found
            return origin, (*src, *loc[n:])
    return default, tuple(loc)


def _line_note(origin: Origin, src: Loc) -> str:
    line = origin.doc.line(src)
    return f" (line {line})" if line is not None else ""


def _error(source: Source, loc: Loc, problem: str) -> InputError:
    """An InputError at the merged field ``loc``, naming the file and line that wrote it."""
    origin, src = source
    return InputError(origin.file, field_path(loc), f"{problem}{_line_note(origin, src)}")


def _newest(locs: list[Loc], prov: Provenance, files: tuple[str, ...], default: Origin) -> Loc:
    """Of several clashing fields (in file order), the one written by the file nearest the child, which is the
    one that changed; within one file, the last."""
    rank = {f: i for i, f in enumerate(files)}
    order = {loc: -i for i, loc in enumerate(locs)}
    return min(locs, key=lambda loc: (rank.get(_source_of(loc, prov, default)[0].file, len(files)), order[loc]))


def unwrap(annotation: Any) -> Any:
    """``X | None`` -> X, ``Annotated[X, ...]`` -> X."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The scenario model that holds the field at ``loc`` (e.g. ('formations', 2) -> FormationSpec)."""
    current: Any = ScenarioSpec
    for part in loc:
        current = unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _validation_error(exc: ValidationError, prov: Provenance, default: Origin) -> InputError:
    # a misspelt field shows up twice (unknown + missing): report the unknown one, which names the typo
    err = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
    loc = tuple(p for p in loc if p not in {"tagged-union", "json-or-python"})
    problem = err["msg"]
    if err["type"] == "extra_forbidden" and loc:
        model = model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        if model is ScenarioSpec:
            allowed += ["extends", "remove_formations"]
        problem = f"unknown field {loc[-1]!r}{did_you_mean(str(loc[-1]), allowed)}"
        if allowed:
            problem += f"; allowed: {', '.join(allowed)}"
    return _error(_container_source(loc, prov, default), loc, problem)


def _container_source(loc: Loc, prov: Provenance, default: Origin) -> Source:
    """The file to blame for a whole mapping or list (too many sides, no formations left): the one nearest the
    child among those that wrote its entries, else the one that wrote it."""
    source = _source_of(loc, prov, default)
    depth = len(loc) + 1
    entries = [where for path, where in prov.items() if len(path) == depth and path[:-1] == loc]
    newest = [where for where in entries if where[0] is default]
    return (newest[0][0], newest[0][1][:-1]) if newest and source[0] is not default else source


# ---------------------------------------------------------------- loading


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge, validate and resolve a scenario file (and its map); raise InputError on any problem."""
    path = Path(path)
    with bulk():
        data, prov, origins = resolve_extends(path)
        child, files = origins[0], tuple(origin.file for origin in origins)
        try:
            spec = ScenarioSpec.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(exc, prov, child) from None
    map_source = _source_of(("map",), prov, child)
    try:
        check_regular_file(spec.map)
    except InputError as exc:
        problem = "no such map file" if exc.problem == "file not found" else f"the map {exc.problem}"
        raise _error(map_source, ("map",), f"{problem}: {spec.map}") from None
    graph = load_theatre(spec.map)
    check = _Checker(spec, graph, prov, files, child)
    params = check.parameters()
    scenario = Scenario(str(path), spec, graph, params, files)
    check.all()
    return scenario


def unusable_type_values(spec: ScenarioSpec, params: Parameters) -> tuple[str, str] | None:
    """Rule of input: a unit type the scenario uses needs a march speed and a combat value above 0 (a sweep or a
    parameter set setting one to 0 would make formations that never move or never fight). Returns (parameter,
    problem) for the first that is not, or None."""
    for table in ("march_km_per_day", "type_value"):
        for kind in sorted({f.type.value for f in spec.formations}):
            if getattr(params, table)[kind] <= 0:
                effect = ", which could never move" if table == "march_km_per_day" else \
                    ", which would have no combat power"
                return f"{table}.{kind}", f"must be above 0: the scenario has {kind} formations{effect}"
    return None


class _Checker:
    """Cross-field checks pydantic cannot do, each failure naming the file and line that wrote the field."""

    def __init__(self, spec: ScenarioSpec, graph: nx.Graph, prov: Provenance, files: tuple[str, ...],
                 child: Origin) -> None:
        self.spec, self.graph, self.prov, self.files, self.child = spec, graph, prov, files, child

    def fail(self, loc: Loc, problem: str) -> InputError:
        return _error(_source_of(loc, self.prov, self.child), loc, problem)

    def newest(self, *locs: Loc) -> Loc:
        return _newest(list(locs), self.prov, self.files, self.child)

    def place(self, loc: Loc, pid: str) -> None:
        if pid not in self.graph:
            hint = did_you_mean(pid, self.graph.nodes)
            raise self.fail(loc, f"unknown place {pid!r}{hint} (not on the map {Path(self.spec.map).name})")

    def all(self) -> None:
        self.calendar()
        self.place(("objective",), self.spec.objective)
        self.sides()
        self.factions_and_formations()
        self.ground()
        self.start()

    def parameters(self) -> Parameters:
        try:
            params = apply_overrides(Parameters(), self.spec.parameters, self.child.file)
        except InputError as exc:
            loc = tuple(int(p) if p.isdigit() else p for p in exc.field.split("."))
            raise self.fail(loc, exc.problem) from None
        problem = unusable_type_values(self.spec, params)
        if problem is not None:
            raise self.fail(("parameters", *problem[0].split(".")), problem[1])
        return params

    def calendar(self) -> None:
        spec = self.spec
        days = (spec.end_date - spec.start_date).days
        if days <= 0:
            raise self.fail(("end_date",), "must be after start_date")
        if days > MAX_DAYS:
            raise self.fail(("end_date",), f"is {days:,} days after start_date; a campaign lasts at most "
                            f"{MAX_DAYS:,} days")
        steps = days / spec.step_days
        if steps > MAX_STEPS:
            raise self.fail(("step_days",), f"{spec.step_days:g} days per step makes {steps:,.0f} steps over "
                            f"{days} days; at most {MAX_STEPS:,} (raise step_days or shorten the campaign)")

    def sides(self) -> None:
        spec = self.spec
        if sorted(s.role for s in spec.sides.values()) != [Role.ATTACKER, Role.DEFENDER]:
            loc = self.newest(*(("sides", name, "role") for name in spec.sides))
            raise self.fail(loc, "need exactly one attacker side and one defender side")
        held: dict[str, Loc] = {}
        for name, side in spec.sides.items():
            for i, pid in enumerate(side.supply_sources):
                self.place(("sides", name, "supply_sources", i), pid)
            for i, pid in enumerate(side.holds):
                here = ("sides", name, "holds", i)
                self.place(here, pid)
                if pid in held:
                    first = held[pid]
                    loc = self.newest(first, here)
                    other = first if loc == here else here
                    raise self.fail(loc, f"{pid!r} is already held by side {other[1]!r} ({field_path(other)})")
                held[pid] = here

    def factions_and_formations(self) -> None:
        spec = self.spec
        for fid, faction in spec.factions.items():
            if faction.side not in spec.sides:
                raise self.fail(("factions", fid, "side"), f"unknown side {faction.side!r}"
                                f"{did_you_mean(faction.side, spec.sides)} (sides: {', '.join(spec.sides)})")
        seen: dict[str, int] = {}
        days = (spec.end_date - spec.start_date).days
        for i, f in enumerate(spec.formations):
            if f.id in seen:
                loc = self.newest(("formations", seen[f.id], "id"), ("formations", i, "id"))
                raise self.fail(loc, f"duplicate formation id {f.id!r} (formations[{seen[f.id]}] and "
                                f"formations[{i}])")
            seen[f.id] = i
            if f.faction not in spec.factions:
                raise self.fail(("formations", i, "faction"), f"unknown faction {f.faction!r}"
                                f"{did_you_mean(f.faction, spec.factions)}")
            self.place(("formations", i, "at"), f.at)
            if f.arrival_day > days:
                raise self.fail(("formations", i, "arrival_day"), f"{f.arrival_day:g} is after the scenario ends "
                                f"(day {days})")
            self.orders(i, f.orders)

    def orders(self, i: int, orders: Orders) -> None:
        for sub, pid in orders.places():
            self.place(("formations", i, "orders", *sub), pid)
        if orders.raid is not None:
            a, b = orders.raid.road
            if not self.graph.has_edge(a, b):
                raise self.fail(("formations", i, "orders", "raid", "road"), f"no road between {a!r} and {b!r}")
            if orders.raid.until_day < orders.raid.from_day:
                raise self.fail(("formations", i, "orders", "raid", "until_day"), "must not be before from_day")

    def ground(self) -> None:
        for pid in self.spec.fortifications:
            self.place(("fortifications", pid), pid)
        for i, (a, b) in enumerate(self.spec.blocked_roads):
            if not self.graph.has_edge(a, b):
                raise self.fail(("blocked_roads", i), f"no road between {a!r} and {b!r}")

    def start(self) -> None:
        """What a run needs on day 0: the defender holds its objective and can supply it; no source is lost."""
        spec = self.spec
        attacker = next(k for k, s in spec.sides.items() if s.role is Role.ATTACKER)
        defender = next(k for k, s in spec.sides.items() if s.role is Role.DEFENDER)
        holder = {pid: (name, i) for name, side in spec.sides.items() for i, pid in enumerate(side.holds)}
        for name, side in spec.sides.items():
            for i, pid in enumerate(side.supply_sources):
                here = ("sides", name, "supply_sources", i)
                if pid == spec.objective:
                    raise self.fail(self.newest(("objective",), here), f"the objective {pid!r} is also a supply "
                                    f"source of side {name!r}: the defender could never be cut off from it")
                owner = holder.get(pid)
                if owner is not None and owner[0] != name:
                    there = ("sides", owner[0], "holds", owner[1])
                    raise self.fail(self.newest(there, here), f"supply source {pid!r} of side {name!r} is held "
                                    f"by side {owner[0]!r} at the start ({field_path(there)})")
        owner = holder.get(spec.objective)
        if owner is not None and owner[0] == attacker:
            there = ("sides", attacker, "holds", owner[1])
            raise self.fail(self.newest(there, ("objective",)), f"the objective {spec.objective!r} is held by the "
                            f"attacker {attacker!r} at the start: the defender must hold it (or nobody)")
        control, present = initial_control(spec)
        if spec.objective not in defender_supplied(spec, self.graph, control, present, defender):
            sources = ", ".join(spec.sides[defender].supply_sources)
            raise self.fail(("objective",), f"{spec.objective!r} has no supply route from the defender's sources "
                            f"({sources}) at the start: no road leads there through ground the defender holds or "
                            "nobody holds")


def initial_control(spec: ScenarioSpec) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Who holds each place on day 0 and which sides stand in it, as the model sets them up (sim/model.py)."""
    control = {pid: name for name, side in spec.sides.items() for pid in side.holds}
    present: dict[str, set[str]] = {}
    for f in spec.formations:
        if f.arrival_day <= 0:
            side = spec.factions[f.faction].side
            control.setdefault(f.at, side)
            present.setdefault(f.at, set()).add(side)
    return control, present


def defender_supplied(spec: ScenarioSpec, graph: nx.Graph, control: dict[str, str],
                      present: dict[str, set[str]], side: str, closed: Iterable[str] = ()) -> frozenset[str]:
    """Places a side's supply reaches with ``control``, over open roads, with the ``closed`` places taken."""
    shut = set(closed)
    usable = open_places([p for p in graph if p not in shut], control, side, present)
    blocked = {frozenset(road) for road in spec.blocked_roads}
    adjacency = {p: [q for q in graph.adj[p] if frozenset((p, q)) not in blocked] for p in graph}
    return supplied_places(adjacency, usable, spec.sides[side].supply_sources)


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Its map's warnings, then the traps a run survives but a reader should know about: formations on enemy
    ground; a siege the attacker's axes cannot close while ``siege_before_assault`` is on."""
    spec = scenario.spec
    out = [f"{scenario.spec.map}: {w}" if not w.startswith(scenario.spec.map) else w
           for w in scenario.graph.graph.get("warnings", [])]
    holder = {pid: name for name, side in spec.sides.items() for pid in side.holds}
    for i, f in enumerate(spec.formations):
        side = spec.factions[f.faction].side
        owner = holder.get(f.at)
        if owner is not None and owner != side:
            when = "starts" if f.arrival_day <= 0 else f"arrives on day {f.arrival_day:g}"
            out.append(f"formations[{i}].at: {f.id!r} of side {side!r} {when} at {f.at!r}, which side {owner!r} "
                       "holds at the start")
    if spec.doctrine.siege_before_assault:
        out += _siege_warning(scenario)
    return out


def _siege_warning(scenario: Scenario) -> list[str]:
    spec = scenario.spec
    attacker, defender = scenario.attacker, scenario.defender
    taken = {p for f in spec.formations if spec.factions[f.faction].side == attacker and f.orders.axis
             for p in f.orders.axis} | set(spec.sides[attacker].holds)
    taken.discard(spec.objective)
    control, present = initial_control(spec)
    if spec.objective not in defender_supplied(spec, scenario.graph, control, present, defender, taken):
        return []
    return [f"doctrine.siege_before_assault: the attacker's axes do not cut {spec.objective!r} off from the "
            f"defender's sources ({', '.join(spec.sides[defender].supply_sources)}), so the objective is stormed "
            "only at direct_assault_ratio: add axis places that cut every route, or set "
            "doctrine.siege_before_assault: false"]


Kind = Literal["scenario", "map"]


def validate_file(path: str | Path) -> tuple[Kind, list[str]]:
    """Validate a map (.geojson/.json) or a scenario (.yaml/.yml); return its kind and any warnings."""
    path = Path(path)
    if path.suffix.lower() in {".geojson", ".json"}:
        graph = load_theatre(path)
        return "map", list(graph.graph.get("warnings", []))
    scenario = load_scenario(path)
    return "scenario", scenario_warnings(scenario)

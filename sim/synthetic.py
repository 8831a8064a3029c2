"""Synthetic theatres: a seeded map and record-free scenario K times the size of the shipped theatre.

Why: how the cost of a run grows with the theatre (places, roads, formations) can only be measured on theatres of
several sizes, and the record gives one. ``synthetic_theatre(scale, seed)`` grows one from the shipped theatre's
numbers (``TEMPLATE``), each count times ``scale``, in the project's own map and scenario formats
(docs/map-format.md, scenarios/historical.yaml), so every command that takes a scenario takes it.

The ground: places scattered at the template's density over a square whose area grows with ``scale``; roads from
their Delaunay triangulation (so the road map is planar), thinned to the template's number of roads and degree
distribution, always keeping a spanning tree (so it is connected). A border and a river cross the square from
south to north; a road across the border is a border crossing, a road across the river a river crossing; a trunk
of highways joins the cities, and the minor roads to villages and hills are tracks. The attacker's supply comes
from the north and from across the border in the north-west, the defender's from across the border in the
south-west and from the east; each side holds the places nearer (by road) to its own sources (the objective
counting as the defender's), plus a corridor from each defender source to the objective. The attacker's
formations advance along axes of the defender's places on their roads to the objective; the defender's hold
places on those axes or wait in reserve.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import yaml
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from sim.errors import InputError
from sim.records import atomic_write_text
from sim.theatre import haversine_km, theatre_to_geojson

MAX_SCALE = 100  # 4,800 places: beyond that a run takes minutes, and nothing measures it


@dataclass(frozen=True)
class Template:
    """The counts a synthetic theatre multiplies by its scale (1x: the shipped historical theatre's)."""

    place_kinds: dict[str, int]  # road places by kind (terrain such as lakes is left out)
    roads: int
    crossings: dict[str, int]  # roads that cross the border or the river, by class
    highways: int
    tracks: int
    degrees: dict[int, int]  # places by number of roads
    attacker_sources: tuple[int, int]  # (north edge, across the border)
    defender_sources: tuple[int, int]  # (across the border, east edge)
    attacker_axis_types: tuple[str, ...]  # one formation with an axis of objectives per entry
    attacker_holds: int
    attacker_reserves: int
    defender_holds: int
    defender_reserves: int
    side_km: float  # side of the square at 1x
    days: int


# The shipped historical theatre (scenarios/maps/qusayr.geojson, scenarios/historical.yaml); its defender's raid,
# move and axis orders count here as holds, and its two map sides (61 x 63 km) as a 62 km square.
TEMPLATE = Template(
    place_kinds={"city": 2, "town": 5, "village": 36, "hill": 2, "airbase": 1, "crossing": 1, "farm": 3},
    roads=75, crossings={"border_crossing": 3, "river_crossing": 3}, highways=5, tracks=15,
    degrees={1: 2, 2: 19, 3: 15, 4: 11, 5: 1, 6: 1, 10: 1},
    attacker_sources=(2, 1), defender_sources=(1, 2),
    attacker_axis_types=("armour", "mechanised", "special_forces", "special_forces", "infantry", "infantry",
                         "special_forces"),
    attacker_holds=5, attacker_reserves=1, defender_holds=20, defender_reserves=2,
    side_km=62.0, days=65,
)

ATTACKER, DEFENDER = "besiegers", "defenders"
HOME, ABROAD = "Centralia", "Westmark"  # the objective's country, and the one across the border
ORIGIN = (20.0, 40.0)  # lon, lat of the square's south-west corner
KM_PER_DEGREE = 111.2
START_DATE = dt.date(2001, 3, 1)

# personnel range, tanks range and quality of each unit type (the orders of magnitude of the shipped scenario)
TYPE_PROFILE: dict[str, tuple[tuple[int, int], tuple[int, int], float]] = {
    "armour": ((1500, 2000), (15, 25), 1.0),
    "mechanised": ((1200, 1800), (10, 15), 1.0),
    "special_forces": ((250, 450), (0, 0), 1.3),
    "infantry": ((150, 650), (0, 0), 1.1),
    "militia": ((80, 400), (0, 0), 1.0),
}
ATTACKER_FACTIONS = {"regulars": "Regular army", "guards": "Guards", "volunteers": "Volunteer militia"}
DEFENDER_FACTIONS = {f"brigade_{i}": f"Brigade {i}" for i in range(1, 6)}
AXIS_STOPS = 8  # most objectives on an axis before the objective itself (the shipped axes have 1 to 10)


@dataclass
class Ground:
    """The map being grown: places (index i) with their km coordinates, and roads between them."""

    xy: np.ndarray  # (n, 2) km east and north of the south-west corner
    side_km: float
    kinds: list[str] = field(default_factory=list)
    roads: dict[tuple[int, int], str] = field(default_factory=dict)  # (i, j), i < j -> road class
    km: dict[tuple[int, int], float] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.xy)

    def border_x(self, y: float) -> float:
        """Where the border runs (km east) at ``y`` km north: a gentle wave, so crossings are not all alike."""
        return self.side_km * (0.18 + 0.03 * math.sin(2 * math.pi * y / self.side_km * 1.3))

    def river_x(self, y: float) -> float:
        """Where the river runs (km east) at ``y`` km north: between the border and the objective."""
        return self.side_km * (0.40 + 0.04 * math.sin(2 * math.pi * y / self.side_km * 2.1 + 1.0))

    def crossing(self, i: int, j: int) -> str | None:
        """The class a road between i and j takes from the line it crosses, if any."""
        for name, line in (("border_crossing", self.border_x), ("river_crossing", self.river_x)):
            (xi, yi), (xj, yj) = self.xy[i], self.xy[j]
            if (xi < line(yi)) != (xj < line(yj)):
                return name
        return None

    def abroad(self, i: int) -> bool:
        x, y = self.xy[i]
        return bool(x < self.border_x(y))

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon = ORIGIN[0] + x / (KM_PER_DEGREE * math.cos(math.radians(ORIGIN[1])))
        return round(lon, 5), round(ORIGIN[1] + y / KM_PER_DEGREE, 5)

    def graph(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        graph.add_weighted_edges_from(((i, j, self.km[i, j]) for i, j in self.roads), weight="km")
        return graph


# ---------------------------------------------------------------- the ground


def scatter(rng: np.random.Generator, n: int, side_km: float) -> np.ndarray:
    """``n`` points in the square, none closer than 40% of the mean spacing to another (dart throwing)."""
    spacing = 0.4 * side_km / math.sqrt(n)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        candidate = rng.uniform(0.0, side_km, 2)
        if all((candidate[0] - x) ** 2 + (candidate[1] - y) ** 2 >= spacing**2 for x, y in points):
            points.append((float(candidate[0]), float(candidate[1])))
    return np.array(points)


def delaunay_roads(xy: np.ndarray) -> list[tuple[int, int]]:
    """The edges of the Delaunay triangulation: every road a planar map of these places could have."""
    edges: set[tuple[int, int]] = set()
    for simplex in Delaunay(xy).simplices:
        a, b, c = sorted(int(v) for v in simplex)
        edges.update(((a, b), (a, c), (b, c)))
    return sorted(edges)


def spanning_tree(ground: Ground, candidates: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The shortest tree joining every place through the candidate roads (so the map is connected) among those
    with the fewest roads across the border and the river (each costs more than every other road together)."""
    rows, cols = zip(*candidates, strict=True)
    lengths = [float(np.hypot(*(ground.xy[i] - ground.xy[j]))) for i, j in candidates]
    penalty = sum(lengths)
    weights = [length + (penalty if ground.crossing(*edge) else 0.0) for length, edge in zip(lengths, candidates,
                                                                                               strict=True)]
    tree = minimum_spanning_tree(coo_matrix((weights, (rows, cols)), shape=(ground.n, ground.n))).tocoo()
    return sorted((min(i, j), max(i, j)) for i, j in zip(tree.row.tolist(), tree.col.tolist(), strict=True))


def thin_roads(ground: Ground, candidates: Sequence[tuple[int, int]], target_degree: Sequence[int],
               roads: int, crossing_quota: dict[str, int]) -> None:
    """Keep a spanning tree, then the shortest candidates up to ``roads``: first only between places still below
    their target degree, then any; a road across the border or the river only while its class has quota left."""
    degree = [0] * ground.n
    crossings = dict.fromkeys(crossing_quota, 0)

    def add(edge: tuple[int, int], what: str | None) -> None:
        ground.roads[edge] = what or "road"
        degree[edge[0]] += 1
        degree[edge[1]] += 1
        if what:
            crossings[what] += 1

    for edge in spanning_tree(ground, candidates):
        add(edge, ground.crossing(*edge))
    by_length = sorted(candidates, key=lambda e: float(np.hypot(*(ground.xy[e[0]] - ground.xy[e[1]]))))
    for capped in (True, False):
        for i, j in by_length:
            what = ground.crossing(i, j)
            full = len(ground.roads) >= roads or (what is not None and crossings[what] >= crossing_quota[what])
            if full or (i, j) in ground.roads:
                continue
            if not capped or (degree[i] < target_degree[i] and degree[j] < target_degree[j]):
                add((i, j), what)


def grow_ground(rng: np.random.Generator, scale: int) -> Ground:
    """Places and roads of a theatre ``scale`` times the template's (road classes: crossings and plain roads)."""
    n = sum(TEMPLATE.place_kinds.values()) * scale
    ground = Ground(scatter(rng, n, TEMPLATE.side_km * math.sqrt(scale)), TEMPLATE.side_km * math.sqrt(scale))
    degrees = list(TEMPLATE.degrees)
    weights = np.array(list(TEMPLATE.degrees.values()), dtype=float)
    target = [int(d) for d in rng.choice(degrees, size=n, p=weights / weights.sum())]
    quota = {what: count * scale for what, count in TEMPLATE.crossings.items()}
    thin_roads(ground, delaunay_roads(ground.xy), target, TEMPLATE.roads * scale, quota)
    for i, j in ground.roads:
        winding = rng.uniform(1.1, 1.4)  # roads are longer than the straight line (the shipped map: x1.3)
        ground.km[i, j] = max(0.1, round(haversine_km(ground.lonlat(*ground.xy[i]), ground.lonlat(*ground.xy[j]))
                                         * winding, 1))
    return ground


def nearest_free(ground: Ground, point: tuple[float, float], taken: set[int]) -> int:
    """The place nearest ``point`` (km) that is not yet ``taken``; it is taken."""
    order = np.argsort(np.hypot(ground.xy[:, 0] - point[0], ground.xy[:, 1] - point[1]), kind="stable")
    place = next(int(i) for i in order if int(i) not in taken)
    taken.add(place)
    return place


def spread(count: int, start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """``count`` points evenly spaced along a segment (centred in equal parts)."""
    return [(start[0] + (end[0] - start[0]) * (k + 0.5) / count, start[1] + (end[1] - start[1]) * (k + 0.5) / count)
            for k in range(count)]


@dataclass
class Layout:
    """The key places: the objective and each side's supply sources."""

    objective: int
    attacker_sources: list[int]
    defender_sources: list[int]


def key_places(ground: Ground, scale: int) -> Layout:
    """The objective at the centre; the sources on the edges and across the border (see the module's docstring)."""
    s = ground.side_km
    taken: set[int] = set()
    objective = nearest_free(ground, (0.5 * s, 0.5 * s), taken)
    north, west = (count * scale for count in TEMPLATE.attacker_sources)
    south_west, east = (count * scale for count in TEMPLATE.defender_sources)
    attacker_points = spread(north, (0.3 * s, 0.97 * s), (0.97 * s, 0.97 * s)) + spread(west, (0.05 * s, 0.6 * s),
                                                                                        (0.05 * s, 0.97 * s))
    defender_points = spread(south_west, (0.05 * s, 0.03 * s), (0.05 * s, 0.4 * s)) + spread(
        east, (0.97 * s, 0.1 * s), (0.97 * s, 0.7 * s))
    return Layout(objective, [nearest_free(ground, p, taken) for p in attacker_points],
                  [nearest_free(ground, p, taken) for p in defender_points])


def assign_kinds(rng: np.random.Generator, ground: Ground, layout: Layout, scale: int) -> None:
    """Kinds in the template's numbers: sources are cities and towns, the objective a town, the rest at random."""
    pool = [kind for kind, count in TEMPLATE.place_kinds.items() for _ in range(count * scale)]
    kinds: dict[int, str] = {layout.objective: "town"}
    for place in (*layout.attacker_sources, *layout.defender_sources):
        kinds[place] = "city" if "city" in pool else "town"
        pool.remove(kinds[place])
    pool.remove("town")  # the objective's
    rest = [i for i in range(ground.n) if i not in kinds]
    for place, kind in zip(rest, rng.permutation(pool).tolist(), strict=True):
        kinds[place] = kind
    ground.kinds = [kinds[i] for i in range(ground.n)]


def assign_classes(rng: np.random.Generator, ground: Ground, layout: Layout, scale: int) -> None:
    """Highways along the shortest roads from city to city, to the objective, then on to the towns; tracks among
    the minor roads that reach a village, hill or farm; the rest stay roads (crossings keep their class)."""
    graph = ground.graph()
    hubs = [i for i, kind in enumerate(ground.kinds) if kind == "city"] + [layout.objective] + [
        i for i, kind in enumerate(ground.kinds) if kind == "town" and i != layout.objective]
    left = TEMPLATE.highways * scale
    for a, b in nx.utils.pairwise(hubs):
        for u, v in nx.utils.pairwise(nx.shortest_path(graph, a, b, weight="km")):
            key = (min(u, v), max(u, v))
            if left and ground.roads[key] == "road":
                ground.roads[key] = "highway"
                left -= 1
    minor = [e for e, c in ground.roads.items() if c == "road"
             and {ground.kinds[e[0]], ground.kinds[e[1]]} & {"village", "hill", "farm"}]
    for index in rng.permutation(len(minor))[: TEMPLATE.tracks * scale].tolist():
        ground.roads[minor[index]] = "track"


# ---------------------------------------------------------------- sides and formations


def territory(ground: Ground, layout: Layout) -> dict[int, str]:
    """Who holds each place: the side whose seeds are nearer by road, plus a corridor from each defender source
    to the objective (avoiding the attacker's sources), so the defender starts in supply."""
    graph = ground.graph()
    near_attacker = nx.multi_source_dijkstra_path_length(graph, layout.attacker_sources, weight="km")
    near_defender = nx.multi_source_dijkstra_path_length(graph, [layout.objective, *layout.defender_sources],
                                                         weight="km")
    holder = {i: DEFENDER if near_defender[i] < near_attacker[i] else ATTACKER for i in range(ground.n)}
    open_to_defender = graph.subgraph(set(range(ground.n)) - set(layout.attacker_sources))
    for source in layout.defender_sources:
        if nx.has_path(open_to_defender, source, layout.objective):
            for place in nx.shortest_path(open_to_defender, source, layout.objective, weight="km"):
                holder[place] = DEFENDER
    return holder


def axis_of(path: Sequence[int], holder: dict[int, str], objective: int) -> list[int]:
    """The defender's places along a road path, at most AXIS_STOPS of them evenly spaced, then the objective."""
    enemy = [p for p in path[:-1] if holder[p] == DEFENDER]
    if len(enemy) > AXIS_STOPS:
        enemy = [enemy[round(k * (len(enemy) - 1) / (AXIS_STOPS - 1))] for k in range(AXIS_STOPS)]
    return [*enemy, objective]


def formation(ids: Callable[[str], str], rng: np.random.Generator, unit_type: str, faction: str, at: str,
              orders: dict[str, Any], arrival_day: int = 0) -> dict[str, Any]:
    """One formation entry of a scenario file, its strength drawn from its type's profile."""
    (low, high), (tanks_low, tanks_high), quality = TYPE_PROFILE[unit_type]
    fid = ids(unit_type)
    entry: dict[str, Any] = {"id": fid, "name": fid.replace("_", " ").capitalize(), "faction": faction,
                             "type": unit_type, "personnel": int(rng.integers(low // 10, high // 10 + 1)) * 10}
    if tanks_high:
        entry["tanks"] = int(rng.integers(tanks_low, tanks_high + 1))
    if quality != 1.0:
        entry["quality"] = quality
    entry["at"] = at
    if arrival_day:
        entry["arrival_day"] = arrival_day
    entry["orders"] = orders
    return entry


def counter() -> Callable[[str], str]:
    """Ids made of a prefix (a kind of place, a unit type) and a running number per prefix."""
    seen: dict[str, int] = {}

    def next_id(prefix: str) -> str:
        seen[prefix] = seen.get(prefix, 0) + 1
        return f"{prefix}_{seen[prefix]}"

    return next_id


@dataclass
class Context:
    """What the formation builders share: the ground, who holds what, place ids, the generator."""

    rng: np.random.Generator
    ground: Ground
    layout: Layout
    holder: dict[int, str]
    names: list[str]
    ids: Callable[[str], str] = field(default_factory=counter)

    def held_by(self, side: str) -> list[int]:
        return [i for i in range(self.ground.n) if self.holder[i] == side]

    def pick(self, places: Sequence[int], count: int) -> list[int]:
        """``count`` places drawn from ``places`` (without repeats while there are enough)."""
        chosen = self.rng.choice(len(places), size=count, replace=count > len(places)).tolist()
        return [places[k] for k in chosen]


def attacker_formations(ctx: Context, scale: int) -> list[dict[str, Any]]:
    """Axis formations from the attacker's ground towards the objective; holds on its front; reserves at sources."""
    graph = ctx.ground.graph()
    own = ctx.held_by(ATTACKER)
    front = [p for p in own if any(ctx.holder[q] == DEFENDER for q in graph[p])] or own
    faction_of = {"armour": "regulars", "mechanised": "regulars", "militia": "volunteers"}
    out = []
    for unit_type in TEMPLATE.attacker_axis_types * scale:
        start = ctx.pick(own, 1)[0]
        axis = axis_of(nx.shortest_path(graph, start, ctx.layout.objective, weight="km"), ctx.holder,
                       ctx.layout.objective)
        arrival = int(ctx.rng.integers(0, int(0.75 * TEMPLATE.days)))
        out.append(formation(ctx.ids, ctx.rng, unit_type, faction_of.get(unit_type, "guards"), ctx.names[start],
                             {"axis": [ctx.names[p] for p in axis]}, arrival))
    for place in ctx.pick(front, TEMPLATE.attacker_holds * scale):
        out.append(formation(ctx.ids, ctx.rng, "militia", "volunteers", ctx.names[place], {"hold": ctx.names[place]}))
    for place in ctx.pick(ctx.layout.attacker_sources, TEMPLATE.attacker_reserves * scale):
        out.append(formation(ctx.ids, ctx.rng, "militia", "volunteers", ctx.names[place],
                             {"reserve": ctx.names[place]}))
    return out


def defender_formations(ctx: Context, scale: int, axes: Iterable[list[str]]) -> list[dict[str, Any]]:
    """A garrison in the objective, holds on the places the attacker's axes name first, reserves behind."""
    index = {name: i for i, name in enumerate(ctx.names)}
    on_axes = list(dict.fromkeys(index[name] for axis in axes for name in axis))
    others = [p for p in ctx.held_by(DEFENDER) if p not in on_axes]
    ordered = [ctx.layout.objective, *[p for p in on_axes if p != ctx.layout.objective], *ctx.rng.permutation(others)]
    factions = list(DEFENDER_FACTIONS)
    out = []
    for k in range(TEMPLATE.defender_holds * scale):
        place = int(ordered[k % len(ordered)])
        out.append(formation(ctx.ids, ctx.rng, ("infantry", "militia")[k % 2], factions[k % len(factions)],
                             ctx.names[place], {"hold": ctx.names[place]}))
    for k, place in enumerate([ctx.layout.objective, *ctx.pick(ctx.held_by(DEFENDER),
                                                              TEMPLATE.defender_reserves * scale - 1)]):
        out.append(formation(ctx.ids, ctx.rng, "infantry", factions[k % len(factions)], ctx.names[place],
                             {"reserve": ctx.names[place]}))
    return out


# ---------------------------------------------------------------- the files


@dataclass(frozen=True)
class Synthetic:
    """A generated theatre: its file stem, its map (GeoJSON) and its scenario (the mapping of the YAML file)."""

    stem: str
    map: dict[str, Any]
    scenario: dict[str, Any]


def place_names(ground: Ground) -> list[str]:
    """Ids such as ``town_3``: the kind and a running number, in order of the places."""
    next_id = counter()
    return [next_id(kind) for kind in ground.kinds]


def map_graph(ground: Ground, names: Sequence[str], stem: str, rng: np.random.Generator) -> nx.Graph:
    """The ground as a theatre graph (sim/theatre.py's form), with the border and the river as drawing layers."""
    graph = nx.Graph(name=f"Synthetic theatre {stem}", description="Generated by sim/synthetic.py; not a real place.")
    for i, name in enumerate(names):
        lon, lat = ground.lonlat(*ground.xy[i])
        kind = ground.kinds[i]
        population = int(rng.integers(50_000, 500_000)) if kind == "city" else (
            int(rng.integers(5_000, 40_000)) if kind == "town" else 0)
        graph.add_node(name, name=name.replace("_", " ").capitalize(), kind=kind, lon=lon, lat=lat,
                       country=ABROAD if ground.abroad(i) else HOME, population=population)
    for (i, j), road_class in sorted(ground.roads.items()):
        graph.add_edge(names[i], names[j], road_class=road_class, km=ground.km[i, j])
    ys = np.linspace(0.0, ground.side_km, 25).tolist()
    graph.graph["layers"] = [
        {"layer": layer, "name": layer.capitalize(), "type": "LineString", "approximate": True,
         "coordinates": [list(ground.lonlat(line(y), y)) for y in ys]}
        for layer, line in (("border", ground.border_x), ("river", ground.river_x))]
    return graph


def scenario_mapping(stem: str, scale: int, seed: int, ctx: Context) -> dict[str, Any]:
    """The scenario file's content: calendar, sides, factions, fortifications, formations; no parameters
    (the engine's defaults: nothing here is calibrated on a record)."""
    names, layout = ctx.names, ctx.layout
    attackers = attacker_formations(ctx, scale)
    defenders = defender_formations(ctx, scale, (f["orders"]["axis"] for f in attackers if "axis" in f["orders"]))
    hills = [names[i] for i in ctx.held_by(DEFENDER) if ctx.ground.kinds[i] == "hill"]
    return {
        "name": f"Synthetic theatre {scale}x (map seed {seed})",
        "description": f"Generated by run.py synth --scale {scale} --seed {seed}: a record-free theatre of "
                       f"{ctx.ground.n} places, {len(ctx.ground.roads)} roads and "
                       f"{len(attackers) + len(defenders)} formations, for benchmarks.",
        "map": f"{stem}.geojson",
        "start_date": START_DATE.isoformat(),
        "end_date": (START_DATE + dt.timedelta(days=TEMPLATE.days)).isoformat(),
        "step_days": 1,
        "objective": names[layout.objective],
        "sides": {
            ATTACKER: {"name": "Besieging coalition", "role": "attacker",
                       "supply_sources": [names[i] for i in layout.attacker_sources],
                       "fires": {"artillery": 1.0, "air": 0.6}, "holds": [names[i] for i in ctx.held_by(ATTACKER)]},
            DEFENDER: {"name": "Defenders", "role": "defender",
                       "supply_sources": [names[i] for i in layout.defender_sources],
                       "fires": {"artillery": 0.2, "air": 0.0}, "holds": [names[i] for i in ctx.held_by(DEFENDER)]},
        },
        "factions": {**{fid: {"name": name, "side": ATTACKER} for fid, name in ATTACKER_FACTIONS.items()},
                     **{fid: {"name": name, "side": DEFENDER} for fid, name in DEFENDER_FACTIONS.items()}},
        "fortifications": {names[layout.objective]: 1.0, **dict.fromkeys(hills, 0.4)},
        "formations": attackers + defenders,
        # random axes need not cut every route into the objective: storm it at the deliberate ratio, not only once
        # it is cut off (validate warns about a siege rule the axes cannot satisfy)
        "doctrine": {"siege_before_assault": False},
    }


def check_size(scale: int, seed: int) -> None:
    """Refuse a scale or seed the generator cannot use, naming the option."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise InputError("--scale", "", f"must be a whole number from 1 to {MAX_SCALE}, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("--seed", "", f"must be a non-negative whole number, got {seed!r}")


def synthetic_theatre(scale: int, seed: int) -> Synthetic:
    """A theatre ``scale`` times the template's size; a pure function of (scale, seed)."""
    check_size(scale, seed)
    rng = np.random.default_rng(seed)
    ground = grow_ground(rng, scale)
    layout = key_places(ground, scale)
    assign_kinds(rng, ground, layout, scale)
    assign_classes(rng, ground, layout, scale)
    names = place_names(ground)
    stem = f"synthetic-{scale}x-seed{seed}"
    ctx = Context(rng, ground, layout, territory(ground, layout), names)
    return Synthetic(stem, theatre_to_geojson(map_graph(ground, names, stem, rng)),
                     scenario_mapping(stem, scale, seed, ctx))


def write_synthetic(scale: int, seed: int, out: str | Path) -> Path:
    """Generate a theatre and write ``out/STEM.yaml`` and ``out/STEM.geojson``; return the scenario's path.

    The map is written before the scenario that names it, each atomically, so a scenario file never points to a
    missing or half-written map.
    """
    theatre = synthetic_theatre(scale, seed)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out", "is a file, not a folder")
    scenario_path = out / f"{theatre.stem}.yaml"
    header = f"# {theatre.scenario['description']}\n# Regenerate with the same command; do not edit by hand.\n"
    scenario_text = header + yaml.safe_dump(theatre.scenario, sort_keys=False, width=116, default_flow_style=None)
    try:
        atomic_write_text(out / f"{theatre.stem}.geojson", json.dumps(theatre.map, indent=1) + "\n")
        atomic_write_text(scenario_path, scenario_text)
    except OSError as exc:
        raise InputError(str(out), "--out", f"cannot write there: {exc.strerror or exc}") from None
    return scenario_path

"""The space of a run: places joined by roads, who stands where, who holds what, and the queries on them.

Like Mesa's ``discrete_space`` (a cell knows its agents, an agent knows its cell) and mesa-geo's ``GeoSpace``,
the space owns the occupancy indexes (formations at places and on roads) and formations move only through its
methods (``put``, ``set_out``, ``remove``), which keep a formation's own ``place``/``edge`` and the indexes in
step, so that "who is at this place?" is a dictionary look-up, not a scan. It also owns control (who holds each
place) and what follows from it: hostility, routes that skirt enemy ground, and the supply each side traces.
"""

from __future__ import annotations

import math
import weakref
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from sim import combat
from sim.movement import Costs, road_costs, road_neighbours, shortest_route
from sim.parameters import Parameters
from sim.scenario import Scenario, UnitType
from sim.states import Posture
from sim.supply import (
    RoadShare,
    RoadShares,
    open_places,
    road_shares,
    roads_carrying,
    roads_under_fire,
    shares_by_place,
    supplied_places,
    under_fire,
)
from sim.theatre import town_sectors

if TYPE_CHECKING:
    from sim.agents import Formation

ROUTE_CACHE_LIMIT = 100_000  # routes remembered per scenario before the cache starts afresh
TRACE_CACHE_LIMIT = 5_000  # supply traces (and roads under fire) likewise: each key holds two sets of places


BUILT_UP = frozenset({"town", "city"})  # place kinds fought over street by street (sim/combat.py urban rules)
UNARMED_TYPES = frozenset({UnitType.MILITIA})  # formations that call on no artillery or air (sim/supply.py fires)
Roads = dict[str, tuple[str, ...]]  # place -> the places its roads lead to
FireExtremes = tuple[Roads, Roads, tuple[tuple[str, str], ...]]  # (out of reach, in reach, the roads that differ)

@dataclass
class RoadTables:
    """What a scenario's roads and terrain give every run: computed once per scenario in a process.

    Routes and reach are pure functions of the roads (and, for routes, of the enemy's ground), the roads that
    carry supply of the enemy's fire reach, and a side's supply of those roads and the places open to it, so all
    runs of a scenario share their memo tables: replicates meet the same situations again and again.
    """

    adjacency: dict[str, tuple[str, ...]]
    around: dict[str, tuple[str, ...]]  # each place, then the places its roads lead to (the reach of a threat)
    blocked: set[frozenset]
    costs: dict[UnitType, Costs]
    neighbours: dict[UnitType, dict[str, list[tuple[str, float]]]]
    open_adjacency: dict[str, tuple[str, ...]]
    defence: dict[str, float]
    fortification: dict[str, float]  # each place's fortification level (a town's sectors take the town's)
    hops_to_objective: dict[str, int]
    hops_to_town: dict[str, int]
    hops_to_sources: dict[str, dict[str, int]]  # side -> roads from each place to the nearest of its supply sources
    capacity: dict[frozenset, float]
    fired_on: dict[str, FireExtremes]
    fire_ends: dict[str, frozenset[str]]  # side -> the places at a road its fires' extremes differ on (fire_ends)
    shares: dict[str, dict[str, tuple[RoadShare, ...]]]  # side -> each place's roads' shares under its fires
    routes: dict[tuple, tuple[str, ...] | None] = field(default_factory=dict)
    grounds: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)  # each side's enemy ground, once
    near: dict[tuple, list[str]] = field(default_factory=dict)
    carrying: dict[tuple[str, frozenset[str]], Roads] = field(default_factory=dict)
    under_fire: dict[tuple[str, frozenset[str]], RoadShares] = field(default_factory=dict)
    reaches: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)
    # (firing side, reach) -> the places of the reach in fire_ends[side]: what the roads carrying supply depend on
    telling: dict[tuple[str, frozenset[str]], frozenset[str]] = field(default_factory=dict)
    traces: dict[tuple, frozenset[str]] = field(default_factory=dict)
    supplied_without: dict[tuple, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> RoadTables:
        tables = _TABLES.get(scenario)
        if tables is None:
            tables = _TABLES[scenario] = cls.build(scenario)
        for memo, limit in ((tables.routes, ROUTE_CACHE_LIMIT), (tables.grounds, TRACE_CACHE_LIMIT),
                            (tables.carrying, TRACE_CACHE_LIMIT), (tables.under_fire, TRACE_CACHE_LIMIT),
                            (tables.reaches, TRACE_CACHE_LIMIT), (tables.telling, TRACE_CACHE_LIMIT),
                            (tables.traces, TRACE_CACHE_LIMIT),
                            (tables.supplied_without, TRACE_CACHE_LIMIT)):
            if len(memo) > limit:
                memo.clear()
        return tables

    @classmethod
    def build(cls, scenario: Scenario) -> RoadTables:
        graph, params, spec = scenario.graph, scenario.params, scenario.spec
        adjacency = {n: tuple(sorted(graph.neighbors(n))) for n in graph}
        blocked = {frozenset(r) for r in spec.blocked_roads}
        costs = {t: road_costs(graph, params.march_km_per_day[t], params, blocked) for t in UnitType}
        open_adjacency = {a: tuple(b for b in nbrs if frozenset((a, b)) not in blocked)
                          for a, nbrs in adjacency.items()}
        capacity = {frozenset((a, b)): params.road_capacity[data["road_class"]]
                    for a, b, data in graph.edges(data=True)}
        fire_level = {name: side.fires.artillery + side.fires.air for name, side in spec.sides.items()}
        fired_on = {name: fire_extremes(open_adjacency, capacity, level, params) for name, level in fire_level.items()}
        shares = {name: shares_by_place(road_shares(capacity, level, params.fire_interdiction, params.supply_min_flow))
                  for name, level in fire_level.items()}
        levels = {p: fortification(spec.fortifications, graph, p) for p in graph}
        return cls(
            adjacency=adjacency, around={p: (p, *nbrs) for p, nbrs in adjacency.items()}, blocked=blocked, costs=costs,
            neighbours={t: road_neighbours(adjacency, costs[t]) for t in UnitType},
            open_adjacency=open_adjacency, fire_ends={name: fire_ends(e) for name, e in fired_on.items()},
            defence={p: combat.defence_multiplier(terrain_defence(graph, p, params.kind_defence), level, params)
                     for p, level in levels.items()},
            fortification=levels,
            hops_to_objective=hops_from(adjacency, (spec.objective,)),
            hops_to_town=hops_from(adjacency, town_sectors(graph, spec.objective)),
            hops_to_sources={name: hops_from(adjacency, side.supply_sources) for name, side in spec.sides.items()},
            capacity=capacity, fired_on=fired_on, shares=shares)


_TABLES: weakref.WeakKeyDictionary[Scenario, RoadTables] = weakref.WeakKeyDictionary()


def fire_extremes(open_adjacency: Roads, capacity: Mapping[frozenset, float], fire_level: float,
                  params: Parameters) -> FireExtremes:
    """The roads that carry supply (``supply.roads_carrying``) under fires of ``fire_level`` with no place in
    their reach and with every place in it, and the roads (a, b), both ways, that carry in one and not the other:
    any reach's roads follow from these three (``carrying_under``)."""
    clear, shelled = (roads_carrying(open_adjacency, capacity, reach, fire_level, params.fire_interdiction,
                                     params.supply_min_flow) for reach in (frozenset(), frozenset(open_adjacency)))
    differ = tuple((a, b) for a, nbrs in open_adjacency.items() for b in nbrs
                   if (b in clear[a]) != (b in shelled[a]))
    return clear, shelled, differ


def fire_ends(extremes: FireExtremes) -> frozenset[str]:
    """The places at a road that carries in one of ``fire_extremes`` and not the other: ``carrying_under`` reads a
    reach only at them, so every reach with the same of them in it gives the same roads."""
    return frozenset(a for a, _ in extremes[2])


def carrying_under(extremes: FireExtremes, open_adjacency: Roads, reach: Collection[str]) -> Roads:
    """``supply.roads_carrying`` for the fires of ``fire_extremes`` on ``reach``, pieced together from its two
    extremes: only the roads that carry in one and not the other, with an end in reach, are looked at again (they
    carry as under fire); the others carry as out of reach. The answer is shared: do not change it."""
    clear, shelled, differ = extremes
    ends = {a for a, b in differ if a in reach or b in reach}
    if not ends:
        return clear
    out = dict(clear)
    for a in ends:
        if a in reach:  # every road from it is under fire: its roads are the shelled extreme's (in the same order)
            out[a] = shelled[a]
            continue
        under, out_of_reach = shelled[a], clear[a]
        out[a] = tuple(b for b in open_adjacency[a] if b in (under if b in reach else out_of_reach))
    return out


def terrain_defence(graph: nx.Graph, place: str, kind_defence: Mapping[str, float]) -> float:
    """A place's terrain defence: the map's own figure, else the scenario's ``kind_defence`` for its kind."""
    node = graph.nodes[place]
    return kind_defence[node["kind"]] if place in graph.graph.get("defence_from_kind", ()) else node["defence"]


def fortification(fortifications: Mapping[str, float], graph: nx.Graph, place: str) -> float:
    """A place's fortification level: its own in the scenario, else (for a sector of a town) its town's."""
    town = graph.nodes[place].get("sector_of", place)
    return fortifications.get(place, fortifications.get(town, 0.0))


def hops_from(adjacency: Mapping[str, tuple[str, ...]], sources: Collection[str]) -> dict[str, int]:
    """Roads to cross from the nearest of ``sources`` to every place (breadth-first)."""
    hops = dict.fromkeys(sources, 0)
    queue = deque(hops)
    while queue:
        node = queue.popleft()
        for nxt in adjacency[node]:
            if nxt not in hops:
                hops[nxt] = hops[node] + 1
                queue.append(nxt)
    return hops


class Space:
    """The ground of one run: roads and their costs, occupancy, control, and each side's supply."""

    def __init__(self, scenario: Scenario) -> None:
        spec = scenario.spec
        self.graph = scenario.graph
        self.places = tuple(self.graph.nodes)
        self.objective = spec.objective
        self.attacker, self.defender = scenario.attacker, scenario.defender
        self.hostile_entry_penalty = scenario.params.hostile_entry_penalty
        tables = RoadTables.of(scenario)
        self.adjacency, self.around = tables.adjacency, tables.around
        self.blocked = tables.blocked
        self.costs = tables.costs
        self.neighbours = tables.neighbours
        self.open_adjacency = tables.open_adjacency
        self.defence = tables.defence
        self.fortification = tables.fortification
        self.built_up = frozenset(p for p in self.places if self.graph.nodes[p].get("kind") in BUILT_UP)
        self.hops_to_objective = tables.hops_to_objective  # roads to the objective's own place
        self.hops_to_town = tables.hops_to_town  # roads to the objective town's nearest quarter
        self.hops_to_sources = tables.hops_to_sources  # side -> roads to its nearest supply source (the way out)
        self.objective_sectors = town_sectors(self.graph, self.objective)
        # the objective town's sectors and the places next to them, in the order of the set the town-pressure rule
        # (SiegeModel._measure_town_pressure) once built every step: its sums add in the same order
        self.objective_surroundings = tuple({q for p in self.objective_sectors for q in (p, *self.adjacency[p])})
        self._towns: Mapping[str, tuple[str, ...]] = self.graph.graph.get("towns", {})  # town -> its sectors
        # the towns split into sectors (each as its sectors, the town's own place first): fought street by street
        self.towns_with_sectors = tuple(tuple(s) for s in self._towns.values() if len(s) > 1)
        self.capacity = tables.capacity
        self.enemy_fire_reach: dict[str, frozenset[str]] = {}  # side -> places the enemy's guns reach today
        self._fired_on = tables.fired_on
        self._road_shares = tables.shares
        self._under_fire = tables.under_fire
        self._reaches = tables.reaches
        self._fire_ends, self._telling = tables.fire_ends, tables.telling
        self._near = tables.near
        self._routes, self._grounds = tables.routes, tables.grounds
        self._carrying, self._traces = tables.carrying, tables.traces
        self._supplied_without = tables.supplied_without
        self._enemy_ground: dict[str, frozenset[str]] = {}
        self.at_place: dict[str, list[Formation]] = {}
        # the same formations by side (each list in at_place's order): the power and presence queries, asked
        # for every formation every day, read one side's formations without looking at the other's
        self.side_at: dict[str, dict[str, list[Formation]]] = {self.attacker: {}, self.defender: {}}
        # each side's enemy formations by place: side_at of the other side
        self.enemy_at = {self.attacker: self.side_at[self.defender], self.defender: self.side_at[self.attacker]}
        self.on_road: dict[frozenset, list[Formation]] = {}
        self.control: dict[str, str | None] = dict.fromkeys(self.places)
        self.supplied: dict[str, frozenset[str]] = {}
        self.open_sets: dict[str, frozenset[str]] = {}

    # ------------------------------------------------------------------ moving formations
    def put(self, f: Formation, place: str) -> None:
        """Stand ``f`` at a place (leaving any road)."""
        self.remove(f)
        f.place, f.edge, f.km_done = place, None, 0.0
        self.at_place.setdefault(place, []).append(f)
        self.side_at[f.side].setdefault(place, []).append(f)

    def set_out(self, f: Formation, a: str, b: str, km_done: float = 0.0) -> None:
        """Set ``f`` out along the road a->b, ``km_done`` march-km along it."""
        if f.place is not None:
            f.came_from = f.place
        self.remove(f)
        f.place, f.edge, f.km_done = None, (a, b), km_done
        self.on_road.setdefault(frozenset((a, b)), []).append(f)

    def remove(self, f: Formation) -> None:
        """Take ``f`` off the map (it keeps its last place or road until it is put somewhere else)."""
        if f.place is not None:
            self.at_place[f.place].remove(f)
            self.side_at[f.side][f.place].remove(f)
        elif f.edge is not None:
            self.on_road[frozenset(f.edge)].remove(f)

    def take(self, place: str, side: str) -> None:
        """``side`` now holds ``place``."""
        self.control[place] = side
        self._enemy_ground.clear()

    def hold_towns_whole(self) -> list[tuple[str, str]]:
        """Rule: a sector of a town that no side was given starts held by whoever holds its town. Returns the
        (sector, town) pairs it gave a holder."""
        given = []
        for town, sectors in self.graph.graph.get("towns", {}).items():
            for sector in sectors:
                if self.control[sector] is None and self.control[town] is not None:
                    self.control[sector] = self.control[town]
                    given.append((sector, town))
        return given

    # ------------------------------------------------------------------ the town
    def town_share(self, side: str, town: str | None = None) -> float:
        """Rule: the share of a town (default the objective) that ``side`` holds: its sectors count alike (no
        source gives the quarters' sizes); a town without sectors is held whole or not at all."""
        sectors = self.objective_sectors if town is None else self.sectors_of(town)
        control = self.control
        return sum([control[p] == side for p in sectors]) / len(sectors)

    def sectors_of(self, place: str) -> tuple[str, ...]:
        """The sectors of the town ``place`` names, or just ``place`` when it has none."""
        return self._towns.get(place, (place,))

    def whole_holder(self, place: str) -> str | None:
        """The side that holds every sector of the town ``place`` names, or None while it is split or nobody's."""
        return next((side for side in (self.attacker, self.defender) if self.holds_whole(place, side)), None)

    def holds_whole(self, place: str, side: str) -> bool:
        """Whether ``side`` holds every sector of the town ``place`` names (the place itself if it has none)."""
        # a place without sectors is one look-up: asked for every axis place of every attacker every day
        control = self.control
        sectors = self._towns.get(place)
        if sectors is None:
            return control.get(place) == side
        return all(control.get(p) == side for p in sectors)

    # ------------------------------------------------------------------ queries
    def place_name(self, place: str) -> str:
        return self.graph.nodes[place]["name"]

    def enemy_of(self, side: str) -> str:
        return self.defender if side == self.attacker else self.attacker

    def active_at(self, place: str, side: str | None = None) -> list[Formation]:
        """The formations standing at ``place`` (of ``side`` only, if given), as a fresh list."""
        return list((self.at_place if side is None else self.side_at[side]).get(place, ()))

    def enemy_present(self, place: str, side: str) -> bool:
        """Whether a formation not of ``side`` stands at ``place`` (raiders slipping through do not count)."""
        # a plain loop, not any() of a generator: asked for every formation every day, it is a twentieth of a run
        for f in self.enemy_at[side].get(place, ()):  # noqa: SIM110
            if f.posture is not Posture.RAID:
                return True
        return False

    def hostile(self, place: str, side: str) -> bool:
        return self.control.get(place) == self.enemy_of(side) or self.enemy_present(place, side)

    def road_blocked(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.blocked

    def ambush_on(self, edge: tuple[str, str], side: str) -> Formation | None:
        for f in self.on_road.get(frozenset(edge), ()):
            if f.side != side and f.posture is Posture.AMBUSH:
                return f
        return None

    def route(self, f: Formation, goal: str, enemy_ground_cost: float | None = None) -> list[str] | None:
        """Cheapest route for ``f`` to ``goal``, skirting enemy-held places where it can (a fresh list)."""
        return self.route_to_any(f, frozenset((goal,)), enemy_ground_cost)

    def route_to_any(self, f: Formation, goals: frozenset[str],
                     enemy_ground_cost: float | None = None) -> list[str] | None:
        """Cheapest route to the nearest of ``goals``; entering an enemy-held place costs ``enemy_ground_cost``
        march-km (default ``hostile_entry_penalty``; 0 for raiders who slip through, inf for a withdrawal that
        must not cross enemy ground).

        Memoised on the enemy's ground, which changes only with captures; each enemy ground is one remembered set
        for every run of the scenario, so a look-up compares it by identity, not place by place.
        """
        cost = self.hostile_entry_penalty if enemy_ground_cost is None else enemy_ground_cost
        start = f.place if f.place is not None else f.edge[1]
        enemy_ground = self._enemy_ground.get(f.side)
        if enemy_ground is None:
            enemy = self.enemy_of(f.side)
            ground = frozenset(p for p, c in self.control.items() if c == enemy)
            enemy_ground = self._enemy_ground[f.side] = self._grounds.setdefault(ground, ground)
        key = (f.unit_type, start, goals, cost, enemy_ground)
        try:
            found = self._routes[key]  # (one look-up: nearly every route is found)
        except KeyError:
            found = shortest_route(self.neighbours[f.unit_type], start, goals, enemy_ground, cost)
            found = self._routes[key] = None if found is None else tuple(found)
        return None if found is None else list(found)

    def arrival_place(self, home: str, side: str, unit_type: UnitType) -> str:
        """Rule: a formation arrives at its home place if no enemy holds or stands in it, else at the nearest place
        (by march) its side holds with no enemy in it; only with none left does it arrive at home and fight its
        way in. Arrivals never appear inside enemy ground."""
        if not self.hostile(home, side):
            return home
        return next((p for p in self.places_near(home, unit_type, math.inf)
                     if self.control.get(p) == side and not self.enemy_present(p, side)), home)

    def places_near(self, start: str, unit_type: UnitType, km: float) -> list[str]:
        """Places within ``km`` march-km of ``start`` (including it), nearest first (roads never change)."""
        key = (start, unit_type, km)
        if key not in self._near:
            self._near[key] = self._places_near(start, unit_type, km)
        return self._near[key]

    def _places_near(self, start: str, unit_type: UnitType, km: float) -> list[str]:
        best = {start: 0.0}
        order = [start]
        frontier = deque([start])
        while frontier:
            node = frontier.popleft()
            for nxt, road in self.neighbours[unit_type][node]:
                d = best[node] + road
                if d <= km and d < best.get(nxt, float("inf")):
                    if nxt not in best:
                        order.append(nxt)
                    best[nxt] = d
                    frontier.append(nxt)
        return sorted(order, key=lambda p: (best[p], p))

    # ------------------------------------------------------------------ supply
    def trace_supply(self, sources: Mapping[str, tuple[str, ...]]) -> None:
        """Trace each side's supply from its ``sources`` through the places open to it, along the roads that still
        carry supply under the enemy's fires (sim/supply.py). The fires go with the enemy's formations that have
        guns to call on (every type but ``UNARMED_TYPES``: village militias have none), detachments included."""
        present: dict[str, set[str]] = {}
        guns: dict[str, set[str]] = {}  # side -> places its formations that call on its fires stand in
        for place, fs in self.at_place.items():
            if not fs:
                continue  # (a place once stood in keeps its empty list)
            sides = None
            for f in fs:
                if f.posture is not Posture.RAID:
                    if sides is None:
                        sides = present[place] = set()
                    sides.add(f.side)
                    if f.unit_type not in UNARMED_TYPES:
                        guns.setdefault(f.side, set()).add(place)
        for side, side_sources in sources.items():
            open_set = self.open_sets[side] = open_places(self.places, self.control, side, present)
            enemy = self.enemy_of(side)
            reach = self.enemy_fire_reach[side] = self._reach(frozenset(guns.get(enemy, ())))
            self.supplied[side] = self._supplied(tuple(side_sources), open_set, enemy, reach)

    def _reach(self, guns: frozenset[str]) -> frozenset[str]:
        """``supply.under_fire`` of the places where guns stand, memoised on them for every run of the scenario: the
        guns stand in the same few places day after day, and the one set of places for each reach makes the memos
        keyed on a reach (the places of it that tell which roads carry supply, roads under fire) find it by
        identity."""
        found = self._reaches.get(guns)
        if found is None:
            found = self._reaches[guns] = under_fire(self.adjacency, guns)
        return found

    def supplied_without(self, side: str, place: str, sources: Collection[str]) -> frozenset[str]:
        """``supply.supplied_places`` from ``sources`` through the places open to ``side`` today but ``place``, along
        the open roads: where a formation leaving ``place`` is still supplied (``doctrine.retreat_destination``).
        Memoised on (sources, the places open to ``side``, ``place``) for every run of the scenario: a retreat
        from one place in one situation comes back again and again."""
        open_set = self.open_sets[side]
        key = (tuple(sources), open_set, place)
        found = self._supplied_without.get(key)
        if found is None:
            found = self._supplied_without[key] = supplied_places(self.open_adjacency, open_set - {place}, key[0])
        return found

    def roads_under_fire(self, side: str) -> RoadShares:
        """``supply.roads_under_fire`` for ``side`` today (the enemy's guns on ``enemy_fire_reach[side]``), memoised
        on (enemy, reach) for every run of the scenario, like the roads that carry supply."""
        enemy, reach = self.enemy_of(side), self.enemy_fire_reach.get(side, frozenset())
        found = self._under_fire.get((enemy, reach))
        if found is None:
            found = self._under_fire[enemy, reach] = roads_under_fire(self._road_shares[enemy], reach)
        return found

    def _supplied(self, sources: tuple[str, ...], open_set: frozenset[str], enemy: str,
                  reach: frozenset[str]) -> frozenset[str]:
        """``supplied_places`` along the roads that carry supply under ``enemy``'s fires on ``reach``, memoised on
        (sources, open places, enemy, the places of reach at the roads the fires can shut: ``fire_ends``) for every
        run of the scenario, and the roads on (enemy, those places): the places open to a side and the reach of the
        enemy's guns change with moves and captures, and come back again and again; a reach that differs only where
        the fires shut no road (on a large theatre a third of the new ones) gives the same roads and traces."""
        telling = self._telling.get((enemy, reach))
        if telling is None:
            telling = self._telling[enemy, reach] = reach & self._fire_ends[enemy]
        key = (sources, open_set, enemy, telling)
        found = self._traces.get(key)
        if found is None:
            roads = self._carrying.get((enemy, telling))
            if roads is None:
                roads = self._carrying[enemy, telling] = carrying_under(self._fired_on[enemy], self.open_adjacency,
                                                                        telling)
            found = self._traces[key] = supplied_places(roads, open_set, sources)
        return found

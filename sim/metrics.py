"""Supply-line metrics for the defending side on the road graph.

Implements the measures of the reference section "Supply and encirclement on a road network"
(``/work/shared/reference/combat-parameters.md``): isolation share E, residual flow phi, edge and node
connectivity, route lengthening lambda, effective resistance, and the Wood (1993) interdiction benchmark.

Conventions used throughout:

* The road graph is an undirected ``nx.Graph`` with string node ids; every edge carries ``road_class``
  and ``km``; nodes may carry ``population``. The functions never modify it.
* ``open_places`` are the places the defender can trace supply through (the engine decides who counts).
  Everything is measured in the subgraph they induce. A source not in ``open_places`` is lost.
* Several live sources are merged into one node, as ``nx.contracted_nodes`` would do on a *MultiGraph*
  with ``self_loops=False``: roads between two sources vanish, parallel roads that the merge creates are
  kept (capacities add, each counts for edge connectivity). ``nx.contracted_nodes`` on a simple ``Graph``
  would keep only one of two roads from different sources to the same village (its capacity, and one unit
  of edge connectivity, would be lost), and ``nx.edge_connectivity`` collapses multi-edges too, so the
  merged network is built here directly and checked against networkx in the tests.
* The merged source keeps the name of the alphabetically first live source (like
  ``nx.contracted_nodes(G, first, other)``); cut edges are reported with the original source names.

* Flows, connectivities and travel times run on small integer-indexed networks (``_FlowNet``,
  Edmonds-Karp; Dijkstra; a grounded Laplacian solve) rather than through ``nx.maximum_flow``,
  ``nx.node_connectivity`` and ``nx.resistance_distance``: same definitions (the tests compare with
  those networkx functions), but ~1 ms per control state instead of ~10 ms.

Pure functions only; the one piece of state is the explicit ``MetricsCache``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.linalg import spsolve

from sim.parameters import Parameters
from sim.supply import RoadShares

Adjacency = Mapping[str, Iterable[str]]  # place -> its neighbours: graph.adj, or plain_adjacency(graph)
Road = tuple[str, frozenset[str], float, float]  # a neighbour, the road to it, its capacity and truck hours by class

__all__ = [
    "DAY_KEYS",
    "ROAD_CAPACITY",
    "SUPPLY_SPEED_KMH",
    "MetricsCache",
    "SupplyBaseline",
    "SupplyMetrics",
    "best_interdiction",
    "flow_share",
    "interdiction_efficiency",
    "route_lengthening",
    "supply_baseline",
    "supply_flow",
    "supply_metrics",
]

# The defaults of the model parameters ``road_capacity`` (relative daily throughput of one road by class, in
# "track equivalents") and ``supply_speed_kmh`` (a loaded supply truck by day in a contested area, stops
# included): assumptions, documented in sim/parameters.py. Read-only so that no caller can change the defaults of
# every later call; a run passes its scenario's values.
ROAD_CAPACITY: Mapping[str, float] = MappingProxyType(Parameters().road_capacity)
SUPPLY_SPEED_KMH: Mapping[str, float] = MappingProxyType(Parameters().supply_speed_kmh)

# The keys of MetricsCache.day(), in a fixed order for writers.
DAY_KEYS: tuple[str, ...] = (
    "supply_flow_share",
    "isolation_share",
    "edge_connectivity",
    "node_connectivity",
    "route_lengthening",
    "effective_resistance",
    "supply_connected",
)

INF = math.inf


@dataclass(frozen=True, slots=True)
class SupplyMetrics:
    """Supply-line measures of one control state (absolute values; see ``SupplyBaseline`` for ratios).

    When the objective is itself a live source it is trivially supplied: ``max_flow``,
    ``edge_connectivity`` and ``node_connectivity`` are inf, ``shortest_hours`` and
    ``effective_resistance`` are 0, ``min_cut`` is empty.
    When it is cut off: flow and connectivities 0, hours and resistance inf, ``min_cut`` empty.
    """

    max_flow: float
    """Max flow from the merged sources to the objective, road capacities by class."""
    min_cut: tuple[tuple[str, str], ...]
    """Roads of the minimum cut nearest the objective (as ``nx.minimum_cut`` picks it), each a sorted
    pair of places, in sorted order; empty when the flow is 0 (or inf)."""
    isolation_share: float
    """E: weight of held places not reachable from a live source, over the weight of all held places."""
    edge_connectivity: float
    """Fewest roads whose loss cuts the objective off (parallel roads from merged sources each count)."""
    node_connectivity: float
    """Internally disjoint routes (Menger); a direct source-objective road counts as one route."""
    shortest_hours: float
    """Fastest truck travel time from any live source to the objective."""
    effective_resistance: float
    """Resistance between merged sources and objective, capacities as conductances."""
    connected: bool
    """Whether the objective is reachable from a live source."""


@dataclass(frozen=True, slots=True)
class SupplyBaseline:
    """The metrics with the defender's full initial open set, to which daily values are compared."""

    metrics: SupplyMetrics

    @property
    def max_flow(self) -> float:
        return self.metrics.max_flow

    @property
    def shortest_hours(self) -> float:
        return self.metrics.shortest_hours

    def flow_share(self, current: SupplyMetrics) -> float:
        """phi = residual max flow / baseline max flow."""
        return flow_share(current, self)

    def route_lengthening(self, current: SupplyMetrics) -> float:
        """lambda = shortest travel time now / at baseline."""
        return route_lengthening(current, self)


def flow_share(current: SupplyMetrics, baseline: SupplyBaseline) -> float:
    """Residual flow share phi = max_flow / baseline.max_flow.

    Not clipped: if the defender opens roads it did not have at baseline, phi can exceed 1.
    Defined as 0 when the baseline flow is 0 (a share of nothing), 1 when both are inf
    (objective is a live source in both).
    """
    base = baseline.max_flow
    if base == 0:
        return 0.0
    if math.isinf(base):
        return 1.0 if math.isinf(current.max_flow) else 0.0
    return float(current.max_flow / base)


def route_lengthening(current: SupplyMetrics, baseline: SupplyBaseline) -> float:
    """Route lengthening lambda = shortest_hours / baseline.shortest_hours; inf when cut.

    Defined as 1 when both are 0 (objective is a live source), inf when the baseline is cut too.
    """
    now, base = current.shortest_hours, baseline.shortest_hours
    if math.isinf(now) or math.isinf(base):
        return INF
    if base == 0:
        return 1.0 if now == 0 else INF
    return float(now / base)


def _check_tables(capacity: Mapping[str, float], speed: Mapping[str, float] | None) -> None:
    """Reject non-positive capacities or speeds: they would make flows and resistances meaningless."""
    for name, table in (("capacity", capacity), ("speed", speed or {})):
        bad = {k: v for k, v in table.items() if not v > 0 or math.isinf(v)}
        if bad:
            raise ValueError(f"{name} table: values must be positive and finite, got {bad}")


def _check_places(known: nx.Graph | Mapping[str, Any], what: str, places: Iterable[str]) -> None:
    """Unknown place ids are a caller bug (typo, wrong map); say which, instead of silently ignoring them.
    ``known``: the road graph, or a dict keyed by its places (``MapTables.adjacency``), which is quicker: one
    look-up per place given in C, where a graph is walked whole for each check."""
    unknown = set(places).difference(known)
    if unknown:
        raise ValueError(f"{what}: places not in the road graph: {sorted(map(str, unknown))[:10]}")


def _edge_value(table: Mapping[str, float], data: Mapping[str, Any], u: str, v: str, what: str) -> float:
    """Look up an edge's class in a table, with a message that names the road."""
    cls = data.get("road_class")
    try:
        return float(table[cls])
    except KeyError:
        raise ValueError(f"road {u}-{v}: road_class {cls!r} has no {what} entry") from None


def _component(adj: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Places reachable from ``start`` (plain BFS; cheaper than building an nx graph for it)."""
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in adj.get(u, ()):
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


def place_weights(graph: nx.Graph) -> dict[str, float]:
    """Each place's weight in the isolation share: its population if positive, else 1 (a hamlet still counts)."""
    weights = {}
    for p, data in graph.nodes(data=True):
        pop = data.get("population", 0) or 0
        weights[p] = float(pop) if pop > 0 else 1.0
    return weights


def _isolation(weights: Mapping[str, float], held: Iterable[str], reach: set[str]) -> float:
    """E: held places outside the sources' component are isolated, each by its weight (``place_weights``)."""
    total = 0.0
    cut = 0.0
    for p in held:
        w = weights[p]
        total += w
        if p not in reach:
            cut += w
    return cut / total if total > 0 else 0.0


class _FlowNet:
    """Residual network on integer nodes for the small max-flow problems of one map.

    networkx's flow functions give the same answers (the tests check this) but copy the network into a
    dict-of-dicts residual graph on every call: about 1-2 ms per flow on a 50-place map, against about
    0.1 ms here, and a day's metrics need three flows. Arcs come in pairs ``a``, ``a ^ 1``; a road open
    both ways is one pair with its capacity on both arcs. Shortest augmenting paths (Edmonds-Karp):
    flows on a road map need only a handful of augmentations, so this beats Dinic's extra bookkeeping.
    """

    __slots__ = ("cap", "head", "orig", "to", "tol")

    def __init__(self, n: int, arcs: Iterable[tuple[int, int, float, float]]) -> None:
        """``arcs``: (u, v, capacity u->v, capacity v->u); the second is 0 for a one-way arc."""
        head: list[list[int]] = [[] for _ in range(n)]
        to: list[int] = []
        cap: list[float] = []
        for u, v, c, back in arcs:
            head[u].append(len(to))
            head[v].append(len(to) + 1)
            to += (v, u)
            cap += (c, back)
        self.head = head
        self.to = to
        self._set(cap)

    def _set(self, cap: list[float]) -> None:
        self.orig = cap
        self.cap = cap.copy()
        # Residual capacity below this counts as saturated (float capacities from the engine's table).
        self.tol = 1e-9 * max(cap, default=1.0)

    @classmethod
    def from_arcs(cls, head: list[list[int]], to: list[int], cap: list[float]) -> _FlowNet:
        """The network of arcs already numbered: ``head[u]`` the arcs out of u (pairs ``a``, ``a ^ 1``), ``to[a]``
        and ``cap[a]`` each arc's end and capacity."""
        new = object.__new__(cls)
        new.head = head
        new.to = to
        new._set(cap)
        return new

    def without(self, nodes: Iterable[int]) -> _FlowNet:
        """The same arcs with every arc at ``nodes`` shut (capacity 0 both ways), sharing the structure: a search
        passes a shut arc by, so flows, throughputs and cuts are those of the network without the nodes (the
        other arcs keep their order)."""
        cap = self.orig.copy()
        for v in nodes:
            for a in self.head[v]:
                cap[a] = cap[a ^ 1] = 0.0
        return self.recapacitated(cap)

    def recapacitated(self, cap: list[float]) -> _FlowNet:
        """The same arcs with other capacities (one per arc, in arc order), sharing the structure."""
        return _FlowNet.from_arcs(self.head, self.to, cap)

    def max_flow(self, s: int, t: int, bound: float = INF) -> float:
        """Push a maximum flow from s to t into the residual capacities and return its value. ``bound``: a value
        no flow can exceed (the capacities into t, for instance), known exactly (integer capacities): once the
        flow reaches it, the last search, which would find no path, is spared."""
        head, to, cap, tol = self.head, self.to, self.cap, self.tol
        n = len(head)
        total = 0.0
        while total < bound:
            parent = [-1] * n  # arc by which each node was reached
            parent[s] = -2
            queue = [s]
            found = False
            for u in queue:  # breadth-first; the list grows while it is read
                for a in head[u]:
                    if cap[a] > tol:
                        v = to[a]
                        if parent[v] == -1:
                            parent[v] = a
                            if v == t:
                                found = True
                                break
                            queue.append(v)
                if found:
                    break
            if not found:
                return total
            push = INF
            v = t
            while v != s:
                a = parent[v]
                push = min(push, cap[a])
                v = to[a ^ 1]
            v = t
            while v != s:
                a = parent[v]
                cap[a] -= push
                cap[a ^ 1] += push
                v = to[a ^ 1]
            total += push
        return total

    def reaching(self, t: int) -> set[int]:
        """Nodes that can still reach t through spare capacity: the sink side of the min cut nearest t."""
        return self._residual_closure(t, backward=True)

    def reachable(self, s: int) -> set[int]:
        """Nodes s can still reach through spare capacity: the source side of the min cut nearest s."""
        return self._residual_closure(s, backward=False)

    def _residual_closure(self, start: int, backward: bool) -> set[int]:
        """Nodes joined to ``start`` by arcs with spare capacity, followed forwards or (``backward``) in reverse."""
        head, to, cap, tol = self.head, self.to, self.cap, self.tol
        flip = 1 if backward else 0  # arc a ^ 1 runs w -> v: its spare capacity lets w reach v
        side = {start}
        stack = [start]
        while stack:
            v = stack.pop()
            for a in head[v]:
                w = to[a]
                if w not in side and cap[a ^ flip] > tol:
                    side.add(w)
                    stack.append(w)
        return side

    def throughput(self) -> list[float]:
        """Flow entering each node in the current flow (opposite flows on a road cancel)."""
        through = [0.0] * len(self.head)
        to, tol = self.to, self.tol
        for a, (c0, c) in enumerate(zip(self.orig, self.cap, strict=True)):
            if c0 - c > tol:
                through[to[a]] += c0 - c
        return through


def _checked_network(
    graph: nx.Graph,
    open_places: Iterable[str],
    sources: Iterable[str],
    objective: str,
    extra: tuple[str, list[str]],
    capacity: Mapping[str, float],
    speed: Mapping[str, float] | None = None,
    tables: MapTables | None = None,
) -> tuple[set[str], set[str]]:
    """Validate the inputs both entry points share; return the open set and the live sources in it. ``tables``:
    the graph's ``MapTables``, when the caller has them (the places are looked up in them)."""
    open_set = set(open_places)
    source_set = set(sources)
    known = graph if tables is None else tables.adjacency
    _check_places(known, "objective", [objective])
    _check_places(known, "sources", source_set)
    _check_places(known, "open_places", open_set)
    _check_places(known, *extra)
    _check_tables(capacity, speed)
    return open_set, source_set & open_set


def supply_metrics(
    graph: nx.Graph,
    open_places: Iterable[str],
    sources: Iterable[str],
    objective: str,
    held: Iterable[str],
    capacity: Mapping[str, float] = ROAD_CAPACITY,
    speed: Mapping[str, float] = SUPPLY_SPEED_KMH,
    networks: dict[NetworkKey, SupplyMetrics] | None = None,
    under_fire: RoadShares = frozenset(),
    tables: MapTables | None = None,
    layouts: dict[LayoutKey, RouteMeasures] | None = None,
) -> SupplyMetrics:
    """All supply-line measures for one control state.

    ``under_fire`` gives the roads the enemy's guns reach with the share of their capacity they still carry
    (``(road, factor)`` pairs, the road a frozenset of its two places; 0: the road carries nothing), as the
    engine's own supply trace sees them (sim/supply.py ``roads_carrying``), so the measures fall with the fires.

    ``held`` places outside ``open_places`` count as isolated (no supply can be traced to them).
    Raises ``ValueError`` for unknown places or road classes missing from the tables.
    Every measure but the isolation share depends only on the places that can lie on a route from a live source to
    the objective through open places (``_routes_core``; the rest of the open ground carries nothing to it):
    ``networks``, when given, memoises them on that set, for calls with the same graph, sources, objective and
    tables (``MetricsCache`` passes one: many control states differ only away from the supply network).
    ``tables``, when given, is ``MapTables.of(graph, capacity, speed)`` (``MetricsCache`` passes its own; else they
    are made for this call). ``layouts``, when given, memoises the measures that depend only on which roads of the
    core are open (``_route_measures``) on the core and its shut roads, for the same calls as ``networks``: the
    fires change what the roads carry far more often than which roads are shut.
    """
    held_list = list(dict.fromkeys(held))
    open_set, live = _checked_network(graph, open_places, sources, objective, ("held", held_list), capacity, speed,
                                      tables)
    factor = dict(under_fire)
    shut = frozenset(road for road, f in factor.items() if f <= 0.0)
    if tables is None:
        tables = MapTables.of(graph, capacity, speed)
    reach, core = _core(_without(tables.adjacency, shut), open_set, live, objective)
    isolation = _isolation(tables.weights, held_list, reach)
    if objective in live:
        return SupplyMetrics(INF, (), isolation, INF, INF, 0.0, 0.0, True)
    if core is None:
        return _cut_off(isolation)
    key = (core, frozenset([pair for pair in under_fire if pair[0] <= core]))  # (the pairs themselves: shared)
    network = None if networks is None else networks.get(key)
    if network is None:
        layout = (core, frozenset([road for road in shut if road <= core]))
        routes = None if layouts is None else layouts.get(layout)
        network = _network_metrics(_network(core, live, objective, tables.roads, factor), routes)
        if layouts is not None and routes is None:
            layouts[layout] = (network.edge_connectivity, network.node_connectivity, network.shortest_hours)
        if networks is not None:
            networks[key] = network
    return replace(network, isolation_share=isolation)


def supply_flow(
    graph: nx.Graph,
    open_places: Iterable[str],
    sources: Iterable[str],
    objective: str,
    capacity: Mapping[str, float] = ROAD_CAPACITY,
    speed: Mapping[str, float] = SUPPLY_SPEED_KMH,
    networks: Mapping[NetworkKey, SupplyMetrics] | None = None,
    flows: dict[frozenset[str], float] | None = None,
    tables: MapTables | None = None,
) -> float:
    """``supply_metrics(graph, open_places, sources, objective, (), capacity, speed).max_flow`` (nothing held, no
    roads under fire) alone: the interdiction score asks only the flow after each capture, and on a large theatre
    nearly every run's captures make supply networks never measured before, whose connectivities, route and
    resistance would cost one and a half times the flow again. ``networks``: ``supply_metrics``' memo, read for a
    network it has measured; ``flows``, when given, memoises the flows of the others on their core; ``tables`` as
    there."""
    open_set, live = _checked_network(graph, open_places, sources, objective, ("held", []), capacity, speed, tables)
    if tables is None:
        tables = MapTables.of(graph, capacity, speed)
    _, core = _core(tables.adjacency, open_set, live, objective)
    if core is None:
        return INF if objective in live else 0.0
    measured = None if networks is None else networks.get((core, frozenset()))
    if measured is not None:
        return measured.max_flow
    flow = None if flows is None else flows.get(core)
    if flow is None:
        net = _network(core, live, objective, tables.roads)
        flow = net.flow_net().max_flow(net.s, net.t)
        if flows is not None:
            flows[core] = flow
    return flow


def _core(adj: Adjacency, open_set: set[str], live: set[str],
          objective: str) -> tuple[set[str], frozenset[str] | None]:
    """The sources' component of the open ground (``_reached``) and its core (``_routes_core``), None when the
    objective is not in the component or is a live source itself; ``adj`` as in ``_routes_core``."""
    reach = _reached(adj, open_set, live)
    if objective in live or objective not in reach:
        return reach, None
    return reach, frozenset(_routes_core(adj, reach, live, objective))


_SOURCES = object()  # the live sources, merged into one node, as a neighbour in _routes_core
NetworkKey = tuple[frozenset[str], RoadShares]
LayoutKey = tuple[frozenset[str], frozenset[frozenset[str]]]  # a core and the roads in it shut by the enemy's guns
RouteMeasures = tuple[float, float, float]  # edge and node connectivity, fastest hours: ``_route_measures``


def plain_adjacency(graph: nx.Graph) -> dict[str, tuple[str, ...]]:
    """Each place's neighbours in ``graph.adj``'s order, as plain tuples: a search over them visits the places in
    the same order as over ``graph.adj``, without making a networkx view at every place."""
    return {place: tuple(neighbours) for place, neighbours in graph.adj.items()}


def road_table(graph: nx.Graph, capacity: Mapping[str, float],
               speed: Mapping[str, float]) -> dict[str, tuple[Road, ...]]:
    """Each place's roads in ``graph.adj``'s order, with their capacity and truck hours by class. Raises
    ``ValueError`` for a road class missing from the tables."""
    return {u: tuple((v, frozenset((u, v)), _edge_value(capacity, data, u, v, "capacity"),
                      float(data["km"]) / _edge_value(speed, data, u, v, "speed")) for v, data in nbrs.items())
            for u, nbrs in graph.adj.items()}


@dataclass(frozen=True, slots=True)
class MapTables:
    """What the supply metrics read of a map, worked out once for every control state (``MetricsCache`` keeps
    one): looking each road and its class up again, through networkx's views, for every new supply network was a
    third of its cost on a theatre ten times the historical one, where nearly every day is a new state."""

    adjacency: dict[str, tuple[str, ...]]
    """``plain_adjacency``: the same roads in the same order as ``graph.adj``, read faster than networkx's views."""
    roads: dict[str, tuple[Road, ...]]
    """``road_table``."""
    weights: dict[str, float]
    """``place_weights``."""

    @classmethod
    def of(cls, graph: nx.Graph, capacity: Mapping[str, float], speed: Mapping[str, float]) -> MapTables:
        return cls(plain_adjacency(graph), road_table(graph, capacity, speed), place_weights(graph))


def _routes_core(adj: Adjacency, reach: set[str], live: set[str], objective: str) -> set[str]:
    """The places of ``reach`` that can lie on a route from a live source to the objective: ``reach`` without the
    dead ends hanging off it. A place (not a source, not the objective) with at most one neighbour left, the live
    sources counting as one, is on no such route, so no flow, cut, route or current passes it; taking it away may
    leave another such place. The measures of the supply network are the same on the core, which changes less
    often than ``reach`` (a capture at the end of a side road leaves it as it was). ``adj``: the graph's roads
    (``graph.adj``, or ``plain_adjacency`` of it), without those shut (``_without``)."""
    core = set(reach)
    ends = [v for v in core if v not in live and v != objective]
    while ends:
        v = ends.pop()
        if v not in core:
            continue
        first = None  # its one neighbour left so far (the live sources as one): a second one ends the look
        for w in adj[v]:
            if w in core:
                w = _SOURCES if w in live else w
                if first is None:
                    first = w
                elif w != first:
                    break
        else:
            core.discard(v)
            ends.extend(w for w in adj[v] if w in core and w not in live and w != objective)
    return core


def _without(adj: Adjacency, shut: frozenset[frozenset[str]]) -> Adjacency:
    """``adj`` without the ``shut`` roads, each place's other roads in the same order: the searches then test no
    road (most days' supply networks have roads shut by the enemy's guns, a handful of all the roads)."""
    if not shut:
        return adj
    out = dict(adj)
    for road in shut:
        for u in road:
            out[u] = tuple(v for v in out[u] if frozenset((u, v)) not in shut)
    return out


def _reached(adj: Adjacency, open_set: set[str], live: set[str]) -> set[str]:
    """Places joined to a live source through open places (the sources' component of the open ground); ``adj`` as
    in ``_routes_core``."""
    seen = set(live)
    unseen = open_set - seen  # (one test a road instead of two)
    stack = list(live)
    while stack:
        u = stack.pop()
        for v in adj[u]:
            if v in unseen:
                unseen.discard(v)
                seen.add(v)
                stack.append(v)
    return seen


Edge = tuple[int, int, float, float, float]  # places i < j of a supply network, capacity, roads, fastest hours


@dataclass(frozen=True, slots=True)
class _Network:
    """The supply network on a set of places, the live sources merged into one: places by index (``names``), the
    source ``s`` and objective ``t``, its merged roads (``edges``, parallel roads summed, in sorted order) and the
    original roads each stands for (``merged``: u, v and their merged names a, b)."""

    names: list[str]
    s: int
    t: int
    edges: list[Edge]
    merged: list[tuple[str, str, str, str]]

    def flow_net(self) -> _FlowNet:
        """The roads as a flow network, each way with its capacity."""
        return _FlowNet(len(self.names), ((i, j, cap, cap) for i, j, cap, _, _ in self.edges))


def _network(
    reach: frozenset[str],
    live: set[str],
    objective: str,
    roads: Mapping[str, tuple[Road, ...]],
    factor: Mapping[frozenset[str], float] | None = None,
) -> _Network:
    """The supply network on ``reach`` (the live sources' component or its core, with the objective in it and not a
    source); ``roads``: ``road_table`` of the map; a road in ``factor`` carries that share of its capacity (none at
    0)."""
    rep = min(live)
    # One pass over the roads of the component, in graph.edges(reach)'s order (each road once, from the first of
    # its ends in reach's order): merged adjacency, parallel roads aggregated.
    # agg[(a, b)] = [summed capacity, number of roads, fastest hours], a < b, merged names.
    agg: dict[tuple[str, str], list[float]] = {}
    merged: list[tuple[str, str, str, str]] = []  # original u, v and merged a, b
    done: set[str] = set()
    for u in reach:
        for v, road, cap, hours in roads[u]:
            if v in done or v not in reach:
                continue
            a = rep if u in live else u
            b = rep if v in live else v
            if a == b:
                continue  # road between two sources: inside the merged node
            share = factor.get(road, 1.0) if factor else 1.0
            if share <= 0.0:
                continue  # shut by the enemy's guns
            cap *= share
            key = (a, b) if a < b else (b, a)
            entry = agg.get(key)
            if entry is None:
                agg[key] = [cap, 1.0, hours]
            else:
                entry[0] += cap
                entry[1] += 1.0
                entry[2] = min(entry[2], hours)
            merged.append((u, v, a, b))
        done.add(u)

    names = sorted((reach - live) | {rep})  # merged names
    index = {v: i for i, v in enumerate(names)}
    edges = [(index[a], index[b], e[0], e[1], e[2]) for (a, b), e in sorted(agg.items())]
    return _Network(names, index[rep], index[objective], edges, merged)


def _network_metrics(net: _Network, routes: RouteMeasures | None = None) -> SupplyMetrics:
    """The measures of a supply network (``_network``), with the isolation share left at 0; ``routes``: its
    ``_route_measures`` when they are known."""
    names, s, t, edges = net.names, net.s, net.t, net.edges
    n = len(names)
    flow_net = net.flow_net()
    max_flow = flow_net.max_flow(s, t)
    sink_side = {names[i] for i in flow_net.reaching(t)}
    min_cut = tuple(
        sorted(
            (u, v) if u < v else (v, u) for u, v, a, b in net.merged if (a in sink_side) != (b in sink_side)
        )
    )
    edge_conn, node_conn, hours = _route_measures(net, flow_net) if routes is None else routes
    resistance = _effective_resistance(n, edges, s, t)
    return SupplyMetrics(max_flow, min_cut, 0.0, edge_conn, node_conn, hours, resistance, True)


def _route_measures(net: _Network, flow_net: _FlowNet) -> RouteMeasures:
    """The edge and node connectivity and the fastest hours of a supply network (``_network``; ``flow_net`` its
    ``flow_net()``, whose structure the count of roads shares): they depend only on which roads it has, not on
    how much they carry."""
    names, s, t, edges = net.names, net.s, net.t, net.edges
    n = len(names)
    unit_net = flow_net.recapacitated([c for e in edges for c in (e[3], e[3])])
    # No more roads can be cut than meet at either end (counts of roads: sums of small integers, exact).
    ends = [sum(e[3] for e in edges if end in (e[0], e[1])) for end in (s, t)]
    edge_conn = int(round(unit_net.max_flow(s, t, bound=min(ends))))
    # Internally disjoint routes never outnumber edge-disjoint ones, and a connected pair has one.
    node_conn = 1 if edge_conn == 1 else _node_connectivity(n, edges, s, t, edge_conn)
    return edge_conn, node_conn, _shortest_hours(n, edges, s, t)


def _node_connectivity(n: int, edges: list[tuple[int, int, float, float, float]], s: int, t: int,
                       bound: int) -> int:
    """Local node connectivity by node splitting, as ``nx.node_connectivity(G, s, t)``.

    Place v becomes the arc 2v -> 2v+1 of capacity 1; flow runs from s "out" to t "in", so a direct
    s-t road is one more route, the networkx convention for adjacent nodes. ``bound``: the pair's edge
    connectivity, which the count of internally disjoint routes cannot exceed.
    """
    # The arcs, as _FlowNet((2v, 2v + 1) for each place v, then (2i + 1, 2j), (2j + 1, 2i) for each road (i, j))
    # would number them, without making a tuple per arc: place v's pair is 2v, 2v + 1; road k's pairs start at
    # 2n + 4k. Each node's arcs stay in that order.
    head: list[list[int]] = [[a] for a in range(2 * n)]  # in 2v: its own arc 2v; out 2v + 1: the reverse 2v + 1
    to = [x for v in range(n) for x in (2 * v + 1, 2 * v)]
    a = 2 * n
    for i, j, _, _, _ in edges:
        to += (2 * j, 2 * i + 1, 2 * i, 2 * j + 1)
        head[2 * i + 1].append(a)
        head[2 * j].append(a + 1)
        head[2 * j + 1].append(a + 2)
        head[2 * i].append(a + 3)
        a += 4
    net = _FlowNet.from_arcs(head, to, [1.0, 0.0] * (len(to) // 2))
    return int(round(net.max_flow(2 * s + 1, 2 * t, bound=bound)))


def _cut_off(isolation: float) -> SupplyMetrics:
    """Metrics of a state where the objective cannot be reached at all."""
    return SupplyMetrics(0.0, (), isolation, 0, 0, INF, INF, False)


def _shortest_hours(n: int, edges: list[tuple[int, int, float, float, float]], s: int, t: int) -> float:
    """Dijkstra travel time s -> t over the fastest of parallel roads."""
    adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, j, _, _, hours in edges:
        adj[i].append((j, hours))
        adj[j].append((i, hours))
    best = [INF] * n
    best[s] = 0.0
    heap = [(0.0, s)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == t:
            return d
        if d > best[u]:
            continue
        for v, w in adj[u]:
            if d + w < best[v]:
                best[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return INF


def _effective_resistance(n: int, edges: list[tuple[int, int, float, float, float]], s: int, t: int) -> float:
    """Effective resistance s-t with conductance = summed capacity, on s's connected component.

    Equals ``nx.resistance_distance(G, s, t, weight="capacity", invert_weight=False)``: networkx reads
    ``weight`` as a resistance and inverts it unless told not to. Here ``t`` is grounded and one
    positive-definite system is solved instead of a pseudo-inverse. The system is sparse (a road network has
    a few roads per place), so a sparse LU factorisation solves it: its cost grows about linearly with the
    theatre, where a dense solve's grows as the cube of the number of places (half the time of a run on a
    theatre ten times the historical one).
    """
    i, j, g = (np.array(col) for col in zip(*((e[0], e[1], e[2]) for e in edges), strict=True))
    places = np.arange(n)
    # Off-diagonal -g both ways (pairs are unique: parallel roads were summed into one conductance), then the
    # diagonal; row and column t are dropped (grounded) and the indices above t shift down by one.
    rows = np.concatenate((i, j, places))
    cols = np.concatenate((j, i, places))
    values = np.concatenate((-g, -g, np.bincount(i, g, n) + np.bincount(j, g, n)))
    kept = (rows != t) & (cols != t)
    rows, cols = rows[kept], cols[kept]
    lap = sparse.csc_array((values[kept], (rows - (rows > t), cols - (cols > t))), shape=(n - 1, n - 1))
    pos = s - (s > t)
    rhs = np.zeros(n - 1)
    rhs[pos] = 1.0
    return float(spsolve(lap, rhs)[pos])


def supply_baseline(
    graph: nx.Graph,
    baseline_open: Iterable[str],
    sources: Iterable[str],
    objective: str,
    capacity: Mapping[str, float] = ROAD_CAPACITY,
    speed: Mapping[str, float] = SUPPLY_SPEED_KMH,
) -> SupplyBaseline:
    """Metrics with the defender's full initial open set (held = open set; isolation is not used)."""
    open_list = list(baseline_open)
    return SupplyBaseline(supply_metrics(graph, open_list, sources, objective, open_list, capacity, speed))


STATE_CACHE_LIMIT = 5_000  # control states a MetricsCache remembers (with the roads under fire in their keys they are
# no longer bounded by the map alone); when full it forgets the least recently used quarter: the states every run
# meets (the first weeks of a campaign) stay, where starting afresh computed them all again (a 10,000-run batch
# computed about twice as many states). The supply networks under them are far fewer (most states are a few set
# operations on top of one): bounded alike, they start afresh when full.


def _recalled(memo: dict[Any, Any], key: Any) -> Any:
    """``memo[key]`` (None when it is not there), made the most recently used."""
    found = memo.pop(key, None)
    if found is not None:
        memo[key] = found
    return found


def _remembered(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """Store ``value`` as the most recently used; a full memo first forgets its least recently used quarter."""
    if len(memo) >= STATE_CACHE_LIMIT:
        for old in list(itertools.islice(memo, max(1, STATE_CACHE_LIMIT // 4))):
            del memo[old]
    memo[key] = value
    return value


class MetricsCache:
    """Daily supply metrics for one graph, sources and objective, memoised per control state.

    A run has ~66 days but only a few dozen distinct control states, so each state is computed once.
    The graph must not change while the cache is in use. One cache can be shared by all replicates of a
    scenario (same graph, sources, objective, baseline), which is where it pays most.
    """

    def __init__(
        self,
        graph: nx.Graph,
        sources: Iterable[str],
        objective: str,
        baseline_open: Iterable[str],
        capacity: Mapping[str, float] = ROAD_CAPACITY,
        speed: Mapping[str, float] = SUPPLY_SPEED_KMH,
    ) -> None:
        self.graph = graph
        self.sources = frozenset(sources)
        self.objective = objective
        self.capacity = capacity
        self.speed = speed
        self.baseline_open = frozenset(baseline_open)
        self._tables = MapTables.of(graph, capacity, speed)  # (the graph does not change while the cache is in use)
        if objective in self.sources:
            # Every connectivity would be inf: the daily numbers would say nothing about supply lines.
            raise ValueError(f"objective {objective!r} is itself a supply source")
        self.baseline = supply_baseline(graph, self.baseline_open, self.sources, objective, capacity, speed)
        if not self.baseline.metrics.connected:
            raise ValueError(f"objective {objective!r} has no supply route even in the baseline open set")
        self._metrics: dict[tuple[frozenset[str], frozenset[str], RoadShares], SupplyMetrics] = {}
        self._networks: dict[NetworkKey, SupplyMetrics] = {}  # supply_metrics' memo of the network measures
        self._layouts: dict[LayoutKey, RouteMeasures] = {}  # and of those of the roads' layout alone
        self._days: dict[tuple[frozenset[str], frozenset[str], RoadShares], dict[str, float]] = {}
        self._flows: dict[frozenset[str], float] = {}  # supply_flow's memo: the flows of networks not measured
        self._changed_flows: dict[tuple[frozenset[str], frozenset[str]], float] = {}  # max_flow's, on the change
        self._interdiction: dict[tuple[int, frozenset[str]], tuple[float, tuple[str, ...]]] = {}
        self.computations = 0
        """How many control states were actually computed (for tests and profiling)."""

    def metrics(self, open_places: Iterable[str], held: Iterable[str],
                under_fire: RoadShares = frozenset()) -> SupplyMetrics:
        """The full ``SupplyMetrics`` of a control state (and the roads under fire: ``supply_metrics``),
        computed at most once per state."""
        key = (frozenset(open_places), frozenset(held), under_fire)
        found = _recalled(self._metrics, key)
        if found is None:
            for memo in (self._networks, self._layouts):
                if len(memo) >= STATE_CACHE_LIMIT:  # a batch worker's memory stays flat however many runs
                    memo.clear()
            found = supply_metrics(self.graph, key[0], self.sources, self.objective, key[1], self.capacity, self.speed,
                                   self._networks, under_fire, self._tables, self._layouts)
            self.computations += 1
            _remembered(self._metrics, key, found)
        return found

    def max_flow(self, open_places: Iterable[str]) -> float:
        """``metrics(open_places, ()).max_flow``, without the measures it does not need (``supply_flow``).

        Memoised on the places closed and opened since the baseline: the interdiction score asks the baseline
        without the places taken, and the same captures come back run after run (on a large theatre most of its
        flows), where finding the supply network's core again searches hundreds of places."""
        open_set = frozenset(open_places)
        change = (self.baseline_open - open_set, open_set - self.baseline_open)
        flow = self._changed_flows.get(change)
        if flow is None:
            for memo in (self._flows, self._changed_flows):
                if len(memo) >= STATE_CACHE_LIMIT:  # bounded like the networks
                    memo.clear()
            flow = self._changed_flows[change] = supply_flow(
                self.graph, open_set, self.sources, self.objective, self.capacity, self.speed, self._networks,
                self._flows, self._tables)
        return flow

    def day(self, open_places: Iterable[str], held: Iterable[str],
            under_fire: RoadShares = frozenset()) -> dict[str, float]:
        """Flat JSON-friendly numbers for one day (keys ``DAY_KEYS``); a fresh dict each call.

        Only ``route_lengthening`` and ``effective_resistance`` can be inf (when supply is cut).
        """
        key = (frozenset(open_places), frozenset(held), under_fire)
        row = _recalled(self._days, key)
        if row is None:
            m = self.metrics(*key)
            row = {
                "supply_flow_share": flow_share(m, self.baseline),
                "isolation_share": float(m.isolation_share),
                "edge_connectivity": int(m.edge_connectivity),
                "node_connectivity": int(m.node_connectivity),
                "route_lengthening": route_lengthening(m, self.baseline),
                "effective_resistance": float(m.effective_resistance),
                "supply_connected": int(m.connected),
            }
            _remembered(self._days, key, row)
        return dict(row)

    def best_interdiction(self, k: int, candidates: Iterable[str]) -> tuple[float, tuple[str, ...]]:
        """``best_interdiction`` on the baseline open set, memoised per (k, candidates)."""
        key = (k, frozenset(candidates))
        found = self._interdiction.get(key)
        if found is None:
            found = best_interdiction(
                self.graph, self.baseline_open, self.sources, self.objective, k, key[1], self.capacity
            )
            self._interdiction[key] = found
        return found


# --- Interdiction benchmark ---------------------------------------------------------------------------


# Flow evaluations the branch and bound may spend (~0.1 ms each) before handing over to the integer
# program, which takes 50-300 ms but does not blow up on dense maps with a high-degree objective.
_SEARCH_BUDGET = 300


class _SearchTooLong(Exception):
    """The branch and bound ran out of budget."""


class _Interdiction:
    """The open road network around the objective, ready to evaluate max flow with places removed."""

    def __init__(
        self,
        graph: nx.Graph,
        open_set: set[str],
        live: set[str],
        objective: str,
        capacity: Mapping[str, float],
    ) -> None:
        adj: dict[str, set[str]] = {}
        roads: list[tuple[str, str, float]] = []
        for u, v, data in graph.edges(open_set, data=True):
            if v in open_set:
                roads.append((u, v, _edge_value(capacity, data, u, v, "capacity")))
                adj.setdefault(u, set()).add(v)
                adj.setdefault(v, set()).add(u)
        # Only the objective's component matters: nothing elsewhere carries or blocks its supply.
        self.names = sorted(_component(adj, objective))
        index = {v: i for i, v in enumerate(self.names)}
        self.index = index
        self.n = len(self.names)
        self.roads = sorted((index[u], index[v], c) for u, v, c in roads if u in index)
        self.live = sorted(index[s] for s in live if s in index)
        self.t = index[objective]
        # A source's own stocks: more than every road together can carry.
        self.big = 1.0 + sum(c for _, _, c in self.roads)
        self.evaluations = 0
        # The whole network, built once (n: the super-source); a flow with places removed shuts their arcs.
        self.network = _FlowNet(self.n + 1, [*((self.n, s, self.big, 0.0) for s in self.live),
                                             *((u, v, cap, cap) for u, v, cap in self.roads)])

    def flow(self, removed: frozenset[int]) -> tuple[float, list[float]]:
        """Max flow with ``removed`` places gone, and each place's throughput in that flow."""
        self.evaluations += 1
        net = self.network.without(removed)
        value = net.max_flow(self.n, self.t)
        return value, net.throughput()

    def node_cut(self, candidates: set[int]) -> tuple[float, tuple[int, ...]]:
        """Fewest candidate places whose loss cuts every live source from the objective (inf if none).

        Node splitting: a candidate's in->out arc has capacity 1, every other arc a capacity larger than
        any candidate set, so a finite answer names only candidates. Sources may be candidates
        (capturing a source loses it); the objective never is.
        """
        big = float(len(candidates) + 1)
        n = self.n
        arcs = [(2 * n, 2 * s, big, 0.0) for s in self.live]  # place v: in 2v, out 2v+1; super-source 2n
        arcs += [(2 * v, 2 * v + 1, 1.0 if v in candidates else big, 0.0) for v in range(n)]
        for u, v, _ in self.roads:
            arcs.append((2 * u + 1, 2 * v, big, 0.0))
            arcs.append((2 * v + 1, 2 * u, big, 0.0))
        net = _FlowNet(2 * n + 1, arcs)
        value = net.max_flow(2 * n, 2 * self.t)
        if value >= big:
            return INF, ()
        side = net.reachable(2 * n)
        cut = tuple(sorted(v for v in candidates if 2 * v in side and 2 * v + 1 not in side))
        return float(len(cut)), cut

    def wood_milp(self, candidates: set[int], k: int) -> frozenset[int]:
        """Best removal set by Wood's (1993) integer program, solved with HiGHS (``scipy.optimize.milp``).

        On the node-split network (place v: in 2v, out 2v+1), potentials alpha in [0, 1] mark the sink
        side (super-source side 0, the objective's "in" node 1); a road arc x->y is cut at cost
        capacity * beta with beta >= alpha_y - alpha_x; a place's own arc may only be cut if it is a
        removed candidate (gamma_v = 1, at most k of them). For fixed gamma this is the min-cut LP of the
        map without the removed places, so the optimum is the smallest max flow. The caller recomputes
        the flow of the returned set exactly.
        """
        n, t = self.n, self.t
        cands = sorted(candidates)
        n_alpha, n_beta = 2 * n, 2 * len(self.roads)
        n_var = n_alpha + n_beta + len(cands)
        cost = np.zeros(n_var)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        row = 0
        beta = n_alpha
        for u, v, cap in self.roads:
            for x, y in ((u, v), (v, u)):  # alpha[in y] - alpha[out x] - beta <= 0
                rows += (row, row, row)
                cols += (2 * y, 2 * x + 1, beta)
                vals += (1.0, -1.0, -1.0)
                cost[beta] = cap
                beta += 1
                row += 1
        gamma = {v: n_alpha + n_beta + i for i, v in enumerate(cands)}
        for v in range(n):
            if v == t:
                continue
            rows += (row, row)  # alpha[out v] - alpha[in v] - gamma_v <= 0 (gamma_v = 0: uncuttable)
            cols += (2 * v + 1, 2 * v)
            vals += (1.0, -1.0)
            if v in gamma:
                rows.append(row)
                cols.append(gamma[v])
                vals.append(-1.0)
            row += 1
        for g in gamma.values():  # budget: sum gamma <= k
            rows.append(row)
            cols.append(g)
            vals.append(1.0)
        matrix = sparse.csr_array((vals, (rows, cols)), shape=(row + 1, n_var))
        upper = np.zeros(row + 1)
        upper[row] = k
        low = np.zeros(n_var)
        high = np.ones(n_var)
        high[n_alpha : n_alpha + n_beta] = np.inf
        for s in self.live:
            high[2 * s] = 0.0  # fed by the super-source's infinite arcs: always on the source side
        low[2 * t] = 1.0
        integrality = np.zeros(n_var)
        integrality[n_alpha + n_beta :] = 1
        result = milp(
            cost,
            constraints=LinearConstraint(matrix, np.full(row + 1, -np.inf), upper),
            bounds=Bounds(low, high),
            integrality=integrality,
            options={"mip_rel_gap": 0.0},
        )
        if result.x is None:  # cannot happen (all-zero gamma is feasible); keep the search's answer
            return frozenset()
        return frozenset(v for v in cands if result.x[gamma[v]] > 0.5)


def best_interdiction(
    graph: nx.Graph,
    open_places: Iterable[str],
    sources: Iterable[str],
    objective: str,
    k: int,
    candidates: Iterable[str],
    capacity: Mapping[str, float] = ROAD_CAPACITY,
) -> tuple[float, tuple[str, ...]]:
    """Smallest max flow reachable by removing at most ``k`` places from ``candidates`` (Wood 1993).

    Returns the flow and the sorted removal set, which may be shorter than ``k`` (when fewer captures
    already reach the best flow). The objective itself and candidates outside the objective's open
    component are ignored; sources may be candidates (capturing a source loses it).

    Exact, by pruned search:

    * the floor is the flow with every candidate removed; no removal set can go below it, so the
      search stops as soon as it is reached (in particular at 0);
    * if ``k`` is at least the size of a minimum candidate node cut, the answer is 0 with that cut;
    * otherwise branch and bound from a greedy start. Only places carrying flow in the current max
      flow are branched on (if no place of an optimal set carries flow, the current flow survives its
      removal, so the current state is already optimal), and a branch is dropped when the current flow
      minus the ``r`` largest throughputs (``r`` removals left) cannot beat the best found, since
      removing a place lowers the flow by at most its throughput.

    * the search is exponential in ``k`` in the worst case (it only runs for ``k`` below the node
      connectivity, which is small on a sparse road map, but a dense map with a high-degree objective
      can take minutes), so after ``_SEARCH_BUDGET`` flow evaluations it hands over to Wood's integer
      program (``_Interdiction.wood_milp``), exact up to the solver's tolerance.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    cand_list = list(candidates)
    open_set, live = _checked_network(graph, open_places, sources, objective, ("candidates", cand_list), capacity)
    if objective not in open_set or not live:
        return 0.0, ()
    if objective in live:
        return INF, ()  # the objective supplies itself; capturing it is not interdiction
    net = _Interdiction(graph, open_set, live, objective, capacity)
    return _InterdictionSearch(net, {net.index[v] for v in cand_list if v in net.index} - {net.t}, k).run()


class _InterdictionSearch:
    """The pruned search of ``best_interdiction`` over one network, candidate set and ``k``."""

    def __init__(self, net: _Interdiction, cands: set[int], k: int) -> None:
        self.net, self.cands, self.k = net, cands, k
        self.best_value = INF
        self.best_set: frozenset[int] = frozenset()
        self.tol = self.floor = 0.0
        self.seen: set[frozenset[int]] = set()
        self.budget = 0

    def named(self, places: Iterable[int]) -> tuple[str, ...]:
        return tuple(sorted(self.net.names[v] for v in places))

    def run(self) -> tuple[float, tuple[str, ...]]:
        net, cands, k = self.net, self.cands, self.k
        flow0, through0 = net.flow(frozenset())
        if flow0 == 0 or k == 0 or not cands:
            return flow0, ()
        self.tol = 1e-9 * max(1.0, flow0)
        self.floor, _ = net.flow(frozenset(cands))
        if k >= len(cands):
            return self.floor, self.named(cands)
        if self.floor <= self.tol:
            cut_size, cut = net.node_cut(cands)
            if k >= cut_size:
                return 0.0, self.named(cut)
        self.best_value = flow0
        self.greedy(through0)
        self.budget = net.evaluations + _SEARCH_BUDGET
        if self.best_value > self.floor + self.tol:
            try:
                self.search(frozenset(), flow0, through0)
            except _SearchTooLong:
                removed = net.wood_milp(cands, k)
                self.keep_if_better(removed, net.flow(removed)[0])
        return self.best_value, self.named(self.best_set)

    def keep_if_better(self, removed: frozenset[int], value: float) -> None:
        if value < self.best_value - self.tol:
            self.best_value, self.best_set = value, removed

    def greedy(self, through: list[float]) -> None:
        """Greedy start (remove the busiest place each time): a good bound to prune against."""
        removed: frozenset[int] = frozenset()
        for _ in range(self.k):
            busy = [v for v in self.cands if through[v] > 0 and v not in removed]
            if not busy:
                break
            removed = removed | {max(busy, key=lambda v: (through[v], -v))}
            value, through = self.net.flow(removed)
            self.keep_if_better(removed, value)

    def search(self, removed: frozenset[int], value: float, through: list[float]) -> None:
        self.keep_if_better(removed, value)
        if self.net.evaluations > self.budget:
            raise _SearchTooLong
        left = self.k - len(removed)
        if left == 0 or self.best_value <= self.floor + self.tol:
            return
        busy = sorted((-through[v], v) for v in self.cands if through[v] > 0 and v not in removed)
        if value + sum(f for f, _ in busy[:left]) >= self.best_value - self.tol:
            return  # even the busiest places cannot beat the incumbent
        for _, v in busy:
            if self.best_value <= self.floor + self.tol:
                return
            child = removed | {v}
            if child in self.seen:
                continue
            self.seen.add(child)
            self.search(child, *self.net.flow(child))


def interdiction_efficiency(flow0: float, actual_flow: float, best_flow: float) -> float:
    """How much of the achievable supply cut the attacker achieved: (flow0 - actual) / (flow0 - best).

    1.0 when nothing could be cut (flow0 == best); clipped to [0, 1] (``actual`` can fall below ``best``
    when the engine's open set also drops contested places that were not counted as captures).

    Engine use, per day: ``flow0`` = baseline max flow; ``actual_flow`` = that day's max flow;
    ``k`` = number of places in ``candidates`` (defender-held at the start) the attacker has captured up
    to that day; ``best_flow`` = ``best_interdiction(graph, baseline_open, sources, objective, k,
    candidates)[0]`` (``MetricsCache.best_interdiction`` memoises it; k changes only on captures).
    """
    room = flow0 - best_flow
    if math.isnan(room) or room <= 1e-9 * max(1.0, abs(flow0)):
        return 1.0
    share = (flow0 - actual_flow) / room
    if math.isnan(share):
        return 0.0
    return float(min(1.0, max(0.0, share)))

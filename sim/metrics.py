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

Pure functions only; the one piece of state is the explicit ``MetricsCache``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
from networkx.algorithms.flow import preflow_push

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
    "supply_metrics",
]

# ASSUMPTION (not from a published source): relative daily throughput of one road by class, in "track
# equivalents". A two-lane highway (the Homs-Qusayr road, M5 spurs) moves about four times what a farm
# track moves; a paved local road about twice. River crossings of the Orontes (fords, footbridges, small
# bridges) and informal border crossings from Lebanon are bottlenecks no better than a track.
# Read-only so that no caller can change the defaults of every later call; the engine may pass its own.
ROAD_CAPACITY: Mapping[str, float] = MappingProxyType(
    {"highway": 4.0, "road": 2.0, "track": 1.0, "river_crossing": 1.0, "border_crossing": 1.0}
)

# ASSUMPTION: average speed (km/h) of a loaded supply truck or pickup moving by day in a contested area,
# including stops. Crossings are slow: fording or ferrying, checkpoints, smugglers' routes.
SUPPLY_SPEED_KMH: Mapping[str, float] = MappingProxyType(
    {"highway": 50.0, "road": 35.0, "track": 15.0, "river_crossing": 5.0, "border_crossing": 10.0}
)

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

# The super-source of the interdiction flow networks: a tuple can never collide with a string place id.
_SUPER: tuple[str] = ("<super-source>",)


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


def _check_places(graph: nx.Graph, what: str, places: Iterable[str]) -> None:
    """Unknown place ids are a caller bug (typo, wrong map); say which, instead of silently ignoring them."""
    unknown = [p for p in places if p not in graph]
    if unknown:
        raise ValueError(f"{what}: places not in the road graph: {sorted(map(str, unknown))[:10]}")


def _edge_value(table: Mapping[str, float], data: Mapping[str, Any], u: str, v: str, what: str) -> float:
    """Look up an edge's class in a table, with a message that names the road."""
    cls = data.get("road_class")
    try:
        return float(table[cls])
    except KeyError:
        raise ValueError(f"road {u}-{v}: road_class {cls!r} has no {what} entry") from None


def _weight(graph: nx.Graph, place: str) -> float:
    """Isolation weight of a place: its population if positive, else 1 (a hamlet still counts)."""
    pop = graph.nodes[place].get("population", 0) or 0
    return float(pop) if pop > 0 else 1.0


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


def _isolation(graph: nx.Graph, held: Iterable[str], reach: set[str], rep: str | None, live: set[str]) -> float:
    """E: held places whose (merged) node is outside the sources' component are isolated."""
    total = 0.0
    cut = 0.0
    for p in held:
        w = _weight(graph, p)
        total += w
        node = rep if p in live else p
        if node not in reach:
            cut += w
    return cut / total if total > 0 else 0.0


def supply_metrics(
    graph: nx.Graph,
    open_places: Iterable[str],
    sources: Iterable[str],
    objective: str,
    held: Iterable[str],
    capacity: Mapping[str, float] = ROAD_CAPACITY,
    speed: Mapping[str, float] = SUPPLY_SPEED_KMH,
) -> SupplyMetrics:
    """All supply-line measures for one control state.

    ``held`` places outside ``open_places`` count as isolated (no supply can be traced to them).
    Raises ``ValueError`` for unknown places or road classes missing from the tables.
    """
    open_set = set(open_places)
    source_set = set(sources)
    held_list = list(dict.fromkeys(held))
    _check_places(graph, "objective", [objective])
    _check_places(graph, "sources", source_set)
    _check_places(graph, "open_places", open_set)
    _check_places(graph, "held", held_list)
    _check_tables(capacity, speed)

    live = source_set & open_set
    if not live:
        return _cut_off(_isolation(graph, held_list, set(), None, live))
    rep = min(live)

    # One pass over the open roads: merged adjacency, parallel roads aggregated.
    # agg[(a, b)] = [summed capacity, number of roads, fastest hours], a < b, merged names.
    agg: dict[tuple[str, str], list[float]] = {}
    adj: dict[str, set[str]] = {}
    roads: list[tuple[str, str, str, str]] = []  # original u, v and merged a, b
    for u in open_set:
        a = rep if u in live else u
        for v, data in graph.adj[u].items():
            if v not in open_set or not u < v:
                continue
            b = rep if v in live else v
            if a == b:
                continue  # road between two sources: inside the merged node
            cap = _edge_value(capacity, data, u, v, "capacity")
            hours = float(data["km"]) / _edge_value(speed, data, u, v, "speed")
            key = (a, b) if a < b else (b, a)
            entry = agg.get(key)
            if entry is None:
                agg[key] = [cap, 1.0, hours]
                adj.setdefault(a, set()).add(b)
                adj.setdefault(b, set()).add(a)
            else:
                entry[0] += cap
                entry[1] += 1.0
                entry[2] = min(entry[2], hours)
            roads.append((u, v, a, b))

    reach = _component(adj, rep)
    isolation = _isolation(graph, held_list, reach, rep, live)
    if objective in live:
        return SupplyMetrics(INF, (), isolation, INF, INF, 0.0, 0.0, True)
    if objective not in reach:
        return _cut_off(isolation)

    edges = [(a, b, e) for (a, b), e in sorted(agg.items()) if a in reach]
    flow_net = nx.DiGraph()
    arcs = []
    for a, b, (cap, count, _hours) in edges:
        attrs = {"capacity": cap, "unit": count}
        arcs.append((a, b, attrs))
        arcs.append((b, a, attrs))
    flow_net.add_edges_from(arcs)

    max_flow, sink_side = _min_cut(flow_net, rep, objective)
    min_cut = tuple(
        sorted(
            (u, v) if u < v else (v, u)
            for u, v, a, b in roads
            if (a in sink_side) != (b in sink_side) and a in reach
        )
    )
    edge_conn = int(round(nx.maximum_flow_value(flow_net, rep, objective, capacity="unit")))

    simple = nx.Graph()
    simple.add_weighted_edges_from(((a, b, e[2]) for a, b, e in edges), weight="hours")
    node_conn = int(nx.node_connectivity(simple, rep, objective))
    hours = float(nx.dijkstra_path_length(simple, rep, objective, weight="hours"))
    resistance = _effective_resistance(edges, rep, objective)
    return SupplyMetrics(
        float(max_flow), min_cut, isolation, edge_conn, node_conn, hours, resistance, True
    )


def _min_cut(flow_net: nx.DiGraph, s: str, t: str) -> tuple[float, set[str]]:
    """Max flow value and the sink side of the minimum cut nearest ``t``.

    Same as ``nx.minimum_cut`` (preflow-push, then the places that still reach ``t`` over arcs with
    spare capacity), except that an arc counts as saturated within a relative tolerance: with
    fractional capacities preflow-push can leave ``flow`` a rounding error below ``capacity``, and
    networkx's exact test would then put the cut in the wrong place.
    """
    residual = preflow_push(flow_net, s, t, capacity="capacity", value_only=True)
    value = float(residual.graph["flow_value"])
    tol = 1e-9 * max(1.0, value)
    sink_side = {t}
    stack = [t]
    pred = residual.pred
    while stack:
        v = stack.pop()
        for u, attr in pred[v].items():
            if u not in sink_side and attr["capacity"] - attr["flow"] > tol:
                sink_side.add(u)
                stack.append(u)
    return value, sink_side


def _cut_off(isolation: float) -> SupplyMetrics:
    """Metrics of a state where the objective cannot be reached at all."""
    return SupplyMetrics(0.0, (), isolation, 0, 0, INF, INF, False)


def _effective_resistance(edges: list[tuple[str, str, list[float]]], s: str, t: str) -> float:
    """Effective resistance s-t with conductance = summed capacity, on s's connected component.

    Equals ``nx.resistance_distance(G, s, t, weight="capacity", invert_weight=False)`` (networkx treats
    ``weight`` as a resistance and inverts it unless told not to), but grounds ``t`` and solves one
    positive-definite system instead of a pseudo-inverse, which is several times faster.
    """
    index: dict[str, int] = {}
    for a, b, _ in edges:
        index.setdefault(a, len(index))
        index.setdefault(b, len(index))
    n = len(index)
    lap = np.zeros((n, n))
    for a, b, e in edges:
        i, j, g = index[a], index[b], e[0]
        lap[i, i] += g
        lap[j, j] += g
        lap[i, j] -= g
        lap[j, i] -= g
    ti, si = index[t], index[s]
    keep = [i for i in range(n) if i != ti]
    reduced = lap[np.ix_(keep, keep)]
    rhs = np.zeros(n - 1)
    pos = keep.index(si)
    rhs[pos] = 1.0
    potential = np.linalg.solve(reduced, rhs)
    return float(potential[pos])


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
        if objective in self.sources:
            # Every connectivity would be inf: the daily numbers would say nothing about supply lines.
            raise ValueError(f"objective {objective!r} is itself a supply source")
        self.baseline = supply_baseline(graph, self.baseline_open, self.sources, objective, capacity, speed)
        if not self.baseline.metrics.connected:
            raise ValueError(f"objective {objective!r} has no supply route even in the baseline open set")
        self._metrics: dict[tuple[frozenset[str], frozenset[str]], SupplyMetrics] = {}
        self._days: dict[tuple[frozenset[str], frozenset[str]], dict[str, float]] = {}
        self._interdiction: dict[tuple[int, frozenset[str]], tuple[float, tuple[str, ...]]] = {}
        self.computations = 0
        """How many control states were actually computed (for tests and profiling)."""

    def metrics(self, open_places: Iterable[str], held: Iterable[str]) -> SupplyMetrics:
        """The full ``SupplyMetrics`` of a control state, computed at most once per state."""
        key = (frozenset(open_places), frozenset(held))
        found = self._metrics.get(key)
        if found is None:
            found = supply_metrics(
                self.graph, key[0], self.sources, self.objective, key[1], self.capacity, self.speed
            )
            self.computations += 1
            self._metrics[key] = found
        return found

    def day(self, open_places: Iterable[str], held: Iterable[str]) -> dict[str, float]:
        """Flat JSON-friendly numbers for one day (keys ``DAY_KEYS``); a fresh dict each call.

        Only ``route_lengthening`` and ``effective_resistance`` can be inf (when supply is cut).
        """
        key = (frozenset(open_places), frozenset(held))
        row = self._days.get(key)
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
            self._days[key] = row
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


class _FlowProblem:
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
        for u in sorted(open_set):
            for v, data in graph.adj[u].items():
                if v in open_set and u < v:
                    roads.append((u, v, _edge_value(capacity, data, u, v, "capacity")))
                    adj.setdefault(u, set()).add(v)
                    adj.setdefault(v, set()).add(u)
        # Only the objective's component matters: nothing elsewhere carries or blocks its supply.
        self.reach = _component(adj, objective)
        self.roads = [r for r in roads if r[0] in self.reach]
        self.live = sorted(live & self.reach)
        self.objective = objective

    def flow(self, removed: frozenset[str]) -> tuple[float, dict[str, float]]:
        """Max flow with ``removed`` places gone, and each place's throughput (inflow) in that flow."""
        net = nx.DiGraph()
        net.add_nodes_from((_SUPER, self.objective))
        # Super-source arcs have no capacity attribute, i.e. infinite (a source's own stocks).
        net.add_edges_from((_SUPER, s) for s in self.live if s not in removed)
        arcs = []
        for u, v, cap in self.roads:
            if u not in removed and v not in removed:
                arcs.append((u, v, {"capacity": cap}))
                arcs.append((v, u, {"capacity": cap}))
        net.add_edges_from(arcs)
        value, flows = nx.maximum_flow(net, _SUPER, self.objective)
        through: dict[str, float] = {}
        for u, out in flows.items():
            for v, f in out.items():
                net_f = f - flows[v].get(u, 0.0) if u != _SUPER else f
                if net_f > 0:
                    through[v] = through.get(v, 0.0) + net_f
        return float(value), through

    def node_cut(self, candidates: set[str]) -> tuple[float, tuple[str, ...]]:
        """Fewest candidate places whose loss cuts every live source from the objective (inf if none).

        Node-splitting max flow: a candidate's in->out arc has capacity 1, everything else a capacity
        larger than any candidate set, so a finite answer names only candidates. Sources may be
        candidates (capturing a source loses it); the objective never is.
        """
        big = float(len(candidates) + 1)
        net = nx.DiGraph()
        sink = (self.objective, "in")
        net.add_nodes_from((_SUPER, sink))
        for s in self.live:
            net.add_edge(_SUPER, (s, "in"), capacity=big)
        for v in self.reach:
            if v != self.objective:
                net.add_edge((v, "in"), (v, "out"), capacity=1.0 if v in candidates else big)
        for u, v, _ in self.roads:
            net.add_edge((u, "out"), (v, "in"), capacity=big)
            net.add_edge((v, "out"), (u, "in"), capacity=big)
        value, (side, _) = nx.minimum_cut(net, _SUPER, sink)
        if value >= big:
            return INF, ()
        cut = tuple(sorted(v for v in candidates if (v, "in") in side and (v, "out") not in side))
        return float(len(cut)), cut


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
    already cut the supply, or extra captures cannot lower the flow). The objective itself and
    candidates outside the objective's open component are ignored; sources may be candidates.

    Exact, by pruned search:

    * if ``k`` is at least the number of candidate places in a minimum S-T node cut, the answer is 0
      with that cut (one max-flow computation);
    * otherwise branch and bound. Only places carrying flow in the current max flow are branched on
      (if no place of an optimal set carries flow, the current flow survives its removal, so the
      current state is already optimal), and a branch is dropped when the current flow minus the ``r``
      largest throughputs (``r`` removals left) cannot beat the best found, since removing a place
      lowers the flow by at most its throughput.

    The search is exponential in ``k`` in the worst case, but ``k`` stays below the node connectivity
    (the objective's degree at most), which is small on a road map.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    open_set = set(open_places)
    source_set = set(sources)
    cand_list = list(candidates)
    _check_places(graph, "objective", [objective])
    _check_places(graph, "sources", source_set)
    _check_places(graph, "open_places", open_set)
    _check_places(graph, "candidates", cand_list)
    _check_tables(capacity, None)

    live = source_set & open_set
    if objective not in open_set or not live:
        return 0.0, ()
    if objective in live:
        return INF, ()  # the objective supplies itself; capturing it is not interdiction
    problem = _FlowProblem(graph, open_set, live, objective, capacity)
    cands = (set(cand_list) & problem.reach) - {objective}

    flow0, through0 = problem.flow(frozenset())
    if flow0 == 0 or k == 0 or not cands:
        return flow0, ()
    cut_size, cut = problem.node_cut(cands)
    if k >= cut_size:
        return 0.0, cut

    best_value = flow0
    best_set: frozenset[str] = frozenset()

    # Greedy start (remove the busiest place each time) gives a good bound to prune against.
    removed: frozenset[str] = frozenset()
    through = through0
    for _ in range(k):
        busy = [v for v in through if v in cands and v not in removed]
        if not busy:
            break
        pick = max(busy, key=lambda v: (through[v], v))
        removed = removed | {pick}
        value, through = problem.flow(removed)
        if value < best_value:
            best_value, best_set = value, removed

    tol = 1e-9 * max(1.0, flow0)
    seen: set[frozenset[str]] = set()

    def search(removed: frozenset[str], value: float, through: dict[str, float]) -> None:
        nonlocal best_value, best_set
        if value < best_value - tol:
            best_value, best_set = value, removed
        left = k - len(removed)
        if left == 0:
            return
        busy = sorted(
            ((f, v) for v, f in through.items() if v in cands and v not in removed), key=lambda x: (-x[0], x[1])
        )
        if value - sum(f for f, _ in busy[:left]) >= best_value - tol:
            return  # even the best conceivable removals cannot beat the incumbent
        for _, v in busy:
            child = removed | {v}
            if child in seen:
                continue
            seen.add(child)
            child_value, child_through = problem.flow(child)
            search(child, child_value, child_through)

    search(frozenset(), flow0, through0)
    return best_value, tuple(sorted(best_set))


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

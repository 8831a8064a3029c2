"""Tests for sim.metrics: hand-worked small maps, then properties checked against networkx."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim import metrics
from sim.metrics import (
    DAY_KEYS,
    MetricsCache,
    SupplyBaseline,
    best_interdiction,
    flow_share,
    interdiction_efficiency,
    route_lengthening,
    supply_baseline,
    supply_metrics,
)

# Fixed tables so the hand-worked numbers do not depend on the module's assumptions.
CAP = {"highway": 4.0, "road": 2.0, "track": 1.0, "river_crossing": 1.0, "border_crossing": 1.0}
SPEED = {"highway": 50.0, "road": 30.0, "track": 10.0, "river_crossing": 5.0, "border_crossing": 5.0}
CLASSES = sorted(CAP)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def road_graph(*roads: tuple[str, str, str, float], population: dict[str, int] | None = None) -> nx.Graph:
    graph = nx.Graph()
    for u, v, cls, km in roads:
        graph.add_edge(u, v, road_class=cls, km=km)
    for place, pop in (population or {}).items():
        graph.nodes[place]["population"] = pop
    return graph


def two_paths() -> nx.Graph:
    """S -highway 10 km- A -highway 10 km- T, and S -track 5 km- B -track 5 km- T."""
    return road_graph(
        ("S", "A", "highway", 10.0),
        ("A", "T", "highway", 10.0),
        ("S", "B", "track", 5.0),
        ("B", "T", "track", 5.0),
    )


def run(graph: nx.Graph, open_places, sources, objective="T", held=None) -> metrics.SupplyMetrics:
    held = open_places if held is None else held
    return supply_metrics(graph, open_places, sources, objective, held, CAP, SPEED)


# --- hand-worked maps ---------------------------------------------------------------------------------


def test_two_paths_baseline() -> None:
    m = run(two_paths(), {"S", "A", "B", "T"}, {"S"})
    # Flow: highway path min(4, 4) = 4 plus track path min(1, 1) = 1.
    assert m.max_flow == pytest.approx(5.0)
    # Cut nearest T (networkx's choice): the two roads into T, capacities 4 + 1 = 5 = flow.
    assert m.min_cut == (("A", "T"), ("B", "T"))
    assert (m.edge_connectivity, m.node_connectivity) == (2, 2)
    # Fastest: 20 km of highway at 50 km/h = 0.4 h (track path: 10 km at 10 km/h = 1 h).
    assert m.shortest_hours == pytest.approx(0.4)
    # Conductances: highway path 4 and 4 in series -> R = 1/4 + 1/4 = 0.5; track path 1 + 1 = 2;
    # in parallel 1 / (1/0.5 + 1/2) = 1 / 2.5 = 0.4.
    assert m.effective_resistance == pytest.approx(0.4)
    assert m.connected and m.isolation_share == 0.0


def test_two_paths_highway_village_captured() -> None:
    graph = two_paths()
    base = supply_baseline(graph, {"S", "A", "B", "T"}, {"S"}, "T", CAP, SPEED)
    m = run(graph, {"S", "B", "T"}, {"S"}, held={"S", "B", "T"})
    assert m.max_flow == pytest.approx(1.0)
    assert flow_share(m, base) == pytest.approx(0.2)  # phi = 1 / 5
    assert base.flow_share(m) == pytest.approx(0.2)
    # Only the track path is left: 1 h against 0.4 h -> lambda = 2.5.
    assert m.shortest_hours == pytest.approx(1.0)
    assert route_lengthening(m, base) == pytest.approx(2.5)
    assert base.route_lengthening(m) == pytest.approx(2.5)
    assert m.effective_resistance == pytest.approx(2.0)  # 1/1 + 1/1 in series
    assert m.min_cut == (("B", "T"),)
    assert (m.edge_connectivity, m.node_connectivity) == (1, 1)


def test_roads_under_fire_carry_their_share_and_a_shut_road_nothing() -> None:
    graph, places = two_paths(), {"S", "A", "B", "T"}
    half = frozenset({(frozenset(("A", "T")), 0.5)})  # the highway's last leg at half its capacity: 4 -> 2
    m = supply_metrics(graph, places, {"S"}, "T", places, CAP, SPEED, under_fire=half)
    assert m.max_flow == pytest.approx(3.0)  # 2 along the highway + 1 along the track
    shut = frozenset({(frozenset(("A", "T")), 0.5), (frozenset(("B", "T")), 0.0)})
    m = supply_metrics(graph, places, {"S"}, "T", places, CAP, SPEED, under_fire=shut)
    assert m.max_flow == pytest.approx(2.0) and m.min_cut == (("A", "T"),)
    both = frozenset({(frozenset(("A", "T")), 0.0), (frozenset(("B", "T")), 0.0)})
    m = supply_metrics(graph, places, {"S"}, "T", places, CAP, SPEED, under_fire=both)
    assert not m.connected and m.max_flow == 0.0
    cache = MetricsCache(graph, {"S"}, "T", places, CAP, SPEED)  # a state with fires is a state of its own
    assert cache.day(places, places)["supply_flow_share"] == pytest.approx(1.0)
    assert cache.day(places, places, half)["supply_flow_share"] == pytest.approx(0.6)


def test_isolation_weighs_population() -> None:
    # S - X - Y and S - Z; the attacker took X, so Y (pop 300) is cut off; S and Z weigh 1 (pop 0).
    graph = road_graph(
        ("S", "X", "road", 3.0),
        ("X", "Y", "road", 3.0),
        ("S", "Z", "track", 2.0),
        population={"S": 0, "X": 100, "Y": 300, "Z": 0},
    )
    m = supply_metrics(graph, {"S", "Y", "Z"}, {"S"}, "Y", {"S", "Y", "Z"}, CAP, SPEED)
    assert m.isolation_share == pytest.approx(300 / 302)
    assert not m.connected
    assert (m.max_flow, m.min_cut, m.edge_connectivity, m.node_connectivity) == (0.0, (), 0, 0)
    assert math.isinf(m.shortest_hours) and math.isinf(m.effective_resistance)
    # A held place outside the open set (contested) counts as isolated too: X weighs 100.
    m = supply_metrics(graph, {"S", "Y", "Z"}, {"S"}, "Y", {"S", "X", "Z"}, CAP, SPEED)
    assert m.isolation_share == pytest.approx(100 / 102)
    # Nothing held: 0/0 is defined as 0.
    assert supply_metrics(graph, set(graph), {"S"}, "Y", set(), CAP, SPEED).isolation_share == 0.0


def test_sources_merge_keeps_parallel_roads() -> None:
    # Two sources each with a track straight into T. Merged, T is adjacent to S: one route by node
    # connectivity (networkx's convention: the direct road is one internally disjoint path), but two
    # roads must be cut (a simple-graph contraction would keep only one and say 1).
    graph = road_graph(("S1", "T", "track", 4.0), ("S2", "T", "track", 4.0), ("S1", "S2", "highway", 1.0))
    m = run(graph, set(graph), {"S1", "S2"})
    assert m.max_flow == pytest.approx(2.0)  # 1 + 1; the S1-S2 road is inside the merged source
    assert m.edge_connectivity == 2
    assert m.node_connectivity == 1
    assert m.min_cut == (("S1", "T"), ("S2", "T"))
    assert m.effective_resistance == pytest.approx(0.5)  # conductances 1 + 1 in parallel
    assert m.shortest_hours == pytest.approx(0.4)  # 4 km of track at 10 km/h


def test_parallel_roads_from_two_sources_add_capacity() -> None:
    # S1 -road- X, S2 -road- X, X -highway- T: merged flow 2 + 2 = 4 (networkx's contracted_nodes on a
    # simple Graph would drop one S-X road and give 2).
    graph = road_graph(("S1", "X", "road", 1.0), ("S2", "X", "road", 1.0), ("X", "T", "highway", 1.0))
    m = run(graph, set(graph), {"S1", "S2"})
    assert m.max_flow == pytest.approx(4.0)
    assert m.min_cut == (("T", "X"),)
    assert (m.edge_connectivity, m.node_connectivity) == (1, 1)
    # Conductance 2 + 2 = 4 to X, then 4 to T: R = 1/4 + 1/4.
    assert m.effective_resistance == pytest.approx(0.5)


def test_objective_adjacent_to_source_with_second_route() -> None:
    # S -track- T plus S -road- A -road- T: node connectivity 2 (direct road + route via A), as networkx.
    graph = road_graph(("S", "T", "track", 2.0), ("S", "A", "road", 3.0), ("A", "T", "road", 3.0))
    m = run(graph, set(graph), {"S"})
    assert nx.node_connectivity(graph, "S", "T") == 2
    assert (m.edge_connectivity, m.node_connectivity) == (2, 2)
    assert m.max_flow == pytest.approx(3.0)
    # Direct conductance 1; via A 2 and 2 in series = 1; in parallel 2 -> R = 0.5.
    assert m.effective_resistance == pytest.approx(0.5)


def test_objective_is_a_live_source() -> None:
    graph = two_paths()
    m = run(graph, set(graph), {"S", "T"})
    assert m.connected and m.min_cut == ()
    assert math.isinf(m.max_flow) and math.isinf(m.edge_connectivity) and math.isinf(m.node_connectivity)
    assert (m.shortest_hours, m.effective_resistance) == (0.0, 0.0)
    base = SupplyBaseline(m)
    assert flow_share(m, base) == 1.0 and route_lengthening(m, base) == 1.0
    with pytest.raises(ValueError, match="itself a supply source"):
        MetricsCache(graph, {"S", "T"}, "T", set(graph), CAP, SPEED)


def test_objective_captured_or_sources_lost() -> None:
    graph = two_paths()
    base = supply_baseline(graph, set(graph), {"S"}, "T", CAP, SPEED)
    for open_places in ({"S", "A", "B"}, {"A", "B", "T"}):
        m = run(graph, open_places, {"S"})
        assert not m.connected and m.max_flow == 0.0 and m.min_cut == ()
        assert flow_share(m, base) == 0.0 and math.isinf(route_lengthening(m, base))
    # Source lost: everything the defender holds is isolated.
    assert run(graph, {"A", "B", "T"}, {"S"}).isolation_share == 1.0


def test_bad_input_is_rejected() -> None:
    graph = two_paths()
    with pytest.raises(ValueError, match="not in the road graph"):
        run(graph, {"S", "T", "Nowhere"}, {"S"})
    with pytest.raises(ValueError, match="objective"):
        supply_metrics(graph, set(graph), {"S"}, "Qusayr", set(), CAP, SPEED)
    graph.add_edge("A", "B", road_class="canal", km=1.0)
    with pytest.raises(ValueError, match="canal"):
        run(graph, set(graph), {"S"})
    with pytest.raises(ValueError, match="positive"):
        supply_metrics(two_paths(), {"S", "T"}, {"S"}, "T", set(), {**CAP, "track": 0.0}, SPEED)
    with pytest.raises(ValueError, match="no supply route"):
        MetricsCache(two_paths(), {"S"}, "T", {"S", "T"}, CAP, SPEED)
    cache = MetricsCache(two_paths(), {"S"}, "T", set(two_paths()), CAP, SPEED)  # (places looked up in its tables)
    with pytest.raises(ValueError, match=r"open_places: places not in the road graph: \['Nowhere'\]"):
        cache.metrics({"S", "T", "Nowhere"}, set())
    with pytest.raises(ValueError, match=r"held: places not in the road graph: \['Qusayr'\]"):
        cache.metrics({"S", "T"}, {"T", "Qusayr"})
    with pytest.raises(ValueError, match=r"open_places: places not in the road graph: \['Nowhere'\]"):
        cache.max_flow({"S", "A", "T", "Nowhere"})


def test_default_tables_cover_every_class_and_are_read_only() -> None:
    assert set(metrics.ROAD_CAPACITY) == set(CAP) == set(metrics.SUPPLY_SPEED_KMH)
    with pytest.raises(TypeError):
        metrics.ROAD_CAPACITY["highway"] = 99.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        run(two_paths(), {"S", "T"}, {"S"}).max_flow = 1.0  # type: ignore[misc]


# --- interdiction ---------------------------------------------------------------------------------------


def test_best_interdiction_two_paths() -> None:
    graph = two_paths()
    everything = set(graph)
    assert best_interdiction(graph, everything, {"S"}, "T", 0, {"A", "B"}, CAP) == (5.0, ())
    assert best_interdiction(graph, everything, {"S"}, "T", 1, {"A", "B"}, CAP) == (1.0, ("A",))
    # k = 2 reaches the candidate node cut {A, B}: flow 0.
    assert best_interdiction(graph, everything, {"S"}, "T", 2, {"A", "B"}, CAP) == (0.0, ("A", "B"))
    assert best_interdiction(graph, everything, {"S"}, "T", 9, {"A", "B", "T"}, CAP) == (0.0, ("A", "B"))


def test_best_interdiction_stops_at_the_uncuttable_floor() -> None:
    # The direct S-T track cannot be cut by capturing A: floor 1 whatever k is.
    graph = road_graph(("S", "T", "track", 2.0), ("S", "A", "highway", 3.0), ("A", "T", "highway", 3.0))
    for k in (1, 2, 5):
        assert best_interdiction(graph, set(graph), {"S"}, "T", k, {"A"}, CAP) == (1.0, ("A",))


def not_greedy_map() -> nx.Graph:
    """S -road- T directly (2), and S -track- C (1), C -highway- A -highway- T, C -road- B -highway- T."""
    return road_graph(
        ("S", "T", "road", 1.0),
        ("S", "C", "track", 1.0),
        ("C", "A", "highway", 1.0),
        ("C", "B", "road", 1.0),
        ("A", "T", "highway", 1.0),
        ("B", "T", "highway", 1.0),
    )


def test_best_interdiction_is_not_greedy() -> None:
    # Flow 2 + 1 = 3; the 1 unit through C goes on through A or B, which tie with C as the busiest places.
    # Capturing A or B only reroutes it (flow stays 3); capturing C cuts it: flow 2.
    graph = not_greedy_map()
    assert best_interdiction(graph, set(graph), {"S"}, "T", 1, {"A", "B", "C"}, CAP) == (2.0, ("C",))
    # The direct road is the floor: more captures cannot do better.
    assert best_interdiction(graph, set(graph), {"S"}, "T", 3, {"A", "B", "C"}, CAP)[0] == 2.0


def test_interdiction_efficiency() -> None:
    assert interdiction_efficiency(5.0, 1.0, 0.0) == pytest.approx(0.8)
    assert interdiction_efficiency(5.0, 5.0, 5.0) == 1.0  # nothing could be cut
    assert interdiction_efficiency(5.0, 0.0, 1.0) == 1.0  # clipped above
    assert interdiction_efficiency(5.0, 6.0, 1.0) == 0.0  # clipped below
    assert interdiction_efficiency(math.inf, math.inf, math.inf) == 1.0


# --- cache ----------------------------------------------------------------------------------------------


def test_cache_matches_direct_calls_and_computes_each_state_once(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = two_paths()
    calls: list[frozenset[str]] = []
    real = metrics.supply_metrics

    def counting(*args, **kwargs):
        calls.append(frozenset(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "supply_metrics", counting)
    cache = MetricsCache(graph, {"S"}, "T", set(graph), CAP, SPEED)
    assert len(calls) == 1  # the baseline
    full = {"S", "A", "B", "T"}
    cut = {"S", "B", "T"}
    days = [full] * 10 + [cut] * 20 + [full] * 5
    rows = [cache.day(state, state) for state in days]
    assert len(calls) == 3 and cache.computations == 2
    assert set(rows[0]) == set(DAY_KEYS)

    base = supply_baseline(graph, set(graph), {"S"}, "T", CAP, SPEED)
    for state, row in zip(days, rows, strict=True):
        m = real(graph, state, {"S"}, "T", state, CAP, SPEED)
        assert row == {
            "supply_flow_share": flow_share(m, base),
            "isolation_share": m.isolation_share,
            "edge_connectivity": m.edge_connectivity,
            "node_connectivity": m.node_connectivity,
            "route_lengthening": route_lengthening(m, base),
            "effective_resistance": m.effective_resistance,
            "supply_connected": int(m.connected),
        }
    assert rows[10]["supply_flow_share"] == pytest.approx(0.2)
    assert rows[10]["route_lengthening"] == pytest.approx(2.5)
    rows[0]["isolation_share"] = 42.0  # callers get copies
    assert cache.day(full, full)["isolation_share"] == 0.0
    # Held is part of the state; order and container type are not.
    cache.day(list(cut), ["S", "T"])
    cache.day(tuple(sorted(cut)), {"T", "S"})
    assert cache.computations == 3
    assert cache.best_interdiction(1, {"A", "B"}) == (1.0, ("A",))
    # A cut-off day: inf only where documented.
    row = cache.day({"S", "A", "B"}, {"S", "A", "B"})
    assert row["supply_connected"] == 0 and row["supply_flow_share"] == 0.0
    assert math.isinf(row["route_lengthening"]) and math.isinf(row["effective_resistance"])
    assert all(math.isfinite(row[key]) for key in DAY_KEYS[:4])


# --- properties against networkx -------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn, max_places: int = 7, fractional: bool = False) -> dict:
    """A small random road map, with sources, objective, open and held sets."""
    n = draw(st.integers(2, max_places))
    names = [f"p{i}" for i in range(n)]
    pairs = list(itertools.combinations(names, 2))
    graph = nx.Graph()
    graph.add_nodes_from(names)
    for u, v in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))):
        graph.add_edge(u, v, road_class=draw(st.sampled_from(CLASSES)), km=draw(st.floats(0.5, 40.0)))
    for v in names:
        graph.nodes[v]["population"] = draw(st.integers(0, 3000))
    objective = draw(st.sampled_from(names))
    sources = draw(st.sets(st.sampled_from([v for v in names if v != objective]), min_size=1, max_size=3))
    open_places = set(names) - draw(st.sets(st.sampled_from(names), max_size=n // 2))
    held = draw(st.sets(st.sampled_from(names)))
    capacity = CAP
    if fractional:
        values = st.floats(0.1, 5.0, allow_nan=False, allow_infinity=False)
        capacity = draw(st.fixed_dictionaries({cls: values for cls in CLASSES}))
    return {
        "graph": graph,
        "objective": objective,
        "sources": sources,
        "open": open_places,
        "held": held,
        "capacity": capacity,
    }


def open_subgraph(sc: dict, open_places: set[str] | None = None) -> nx.Graph:
    return sc["graph"].subgraph(sc["open"] if open_places is None else open_places).copy()


def reference_flow(sc: dict, open_places: set[str] | None = None) -> float:
    """Max flow with networkx on an explicit DiGraph: each road both ways, infinite super-source arcs."""
    sub = open_subgraph(sc, open_places)
    live = sc["sources"] & set(sub)
    if sc["objective"] not in sub or not live:
        return 0.0
    net = nx.DiGraph()
    net.add_nodes_from(sub)
    for u, v, data in sub.edges(data=True):
        cap = sc["capacity"][data["road_class"]]
        net.add_edge(u, v, capacity=cap)
        net.add_edge(v, u, capacity=cap)
    net.add_edges_from(("super", s) for s in live)  # no capacity attribute: infinite
    return nx.maximum_flow_value(net, "super", sc["objective"])


def merged(sc: dict, graph: nx.Graph) -> tuple[nx.Graph, str]:
    """Sources contracted with nx.contracted_nodes, as the reference prescribes."""
    live = sorted(sc["sources"] & set(graph))
    rep = live[0]
    for other in live[1:]:
        graph = nx.contracted_nodes(graph, rep, other, self_loops=False)
    return graph, rep


def measure(sc: dict, open_places: set[str] | None = None) -> metrics.SupplyMetrics:
    open_places = sc["open"] if open_places is None else open_places
    return supply_metrics(sc["graph"], open_places, sc["sources"], sc["objective"], sc["held"], sc["capacity"], SPEED)


def supplied(sc: dict) -> bool:
    """Objective open, not a live source, and reachable from one."""
    sub = open_subgraph(sc)
    live = sc["sources"] & set(sub)
    t = sc["objective"]
    return t in sub and t not in live and any(nx.has_path(sub, s, t) for s in live)


@PROPERTY
@given(scenarios(fractional=True))
def test_max_flow_and_cut_match_networkx(sc: dict) -> None:
    assume(sc["objective"] not in sc["sources"] & sc["open"])
    m = measure(sc)
    assert m.max_flow == pytest.approx(reference_flow(sc), rel=1e-9, abs=1e-9)
    assert m.connected == supplied(sc)
    if m.max_flow == 0:
        assert m.min_cut == ()
        return
    # The cut roads disconnect every live source from the objective and carry exactly the flow.
    graph = sc["graph"]
    assert list(m.min_cut) == sorted(set(m.min_cut)) and all(u < v for u, v in m.min_cut)
    cut_capacity = sum(sc["capacity"][graph.edges[u, v]["road_class"]] for u, v in m.min_cut)
    assert cut_capacity == pytest.approx(m.max_flow, rel=1e-9)
    sub = open_subgraph(sc)
    sub.remove_edges_from(m.min_cut)
    assert not any(nx.has_path(sub, s, sc["objective"]) for s in sc["sources"] & sc["open"])


@PROPERTY
@given(scenarios())
def test_connectivity_matches_networkx_on_contracted_graph(sc: dict) -> None:
    assume(supplied(sc))
    m = measure(sc)
    t = sc["objective"]
    contracted, rep = merged(sc, open_subgraph(sc))
    assert m.node_connectivity == nx.node_connectivity(contracted, rep, t)
    # Edge connectivity counts parallel roads created by the merge. Subdividing every road first keeps
    # the edge connectivity and stops contracted_nodes from collapsing parallel roads.
    subdivided = nx.Graph()
    for u, v in open_subgraph(sc).edges:
        subdivided.add_edges_from([(u, f"{u}~{v}"), (f"{u}~{v}", v)])
    contracted, rep = merged(sc, subdivided)
    assert m.edge_connectivity == nx.edge_connectivity(contracted, rep, t)


@PROPERTY
@given(scenarios(fractional=True))
def test_hours_and_resistance_match_networkx(sc: dict) -> None:
    assume(supplied(sc))
    m = measure(sc)
    sub = open_subgraph(sc)
    t = sc["objective"]

    def hours(u: str, v: str, data: dict) -> float:
        return data["km"] / SPEED[data["road_class"]]

    live = sc["sources"] & set(sub)
    assert m.shortest_hours == pytest.approx(nx.multi_source_dijkstra_path_length(sub, live, weight=hours)[t])
    # Resistance: conductances of parallel roads after the merge add up (MultiGraph contraction).
    for _, _, data in sub.edges(data=True):
        data["g"] = sc["capacity"][data["road_class"]]
    multi, rep = merged(sc, nx.MultiGraph(sub))
    simple = nx.Graph()
    for u, v, data in multi.edges(data=True):
        if simple.has_edge(u, v):
            simple[u][v]["g"] += data["g"]
        else:
            simple.add_edge(u, v, g=data["g"])
    component = simple.subgraph(nx.node_connected_component(simple, rep))
    expected = nx.resistance_distance(component, rep, t, weight="g", invert_weight=False)
    assert m.effective_resistance == pytest.approx(expected, rel=1e-7)


def test_resistance_of_a_theatre_sized_network_matches_networkx() -> None:
    """A 12 x 20 grid of places (a theatre five times the historical one) with roads of every class: the sparse
    solve gives networkx's resistance to 1e-9."""
    rnd = random.Random(17)
    grid = nx.grid_2d_graph(12, 20)
    graph = road_graph(*((f"{u}", f"{v}", rnd.choice(CLASSES), 1.0) for u, v in grid.edges))
    m = run(graph, set(graph), {"(0, 0)"}, objective="(11, 19)")
    for _, _, data in graph.edges(data=True):
        data["g"] = CAP[data["road_class"]]
    expected = nx.resistance_distance(graph, "(0, 0)", "(11, 19)", weight="g", invert_weight=False)
    assert m.effective_resistance == pytest.approx(expected, rel=1e-9)


@PROPERTY
@given(scenarios())
def test_isolation_share(sc: dict) -> None:
    m = measure(sc)
    assert 0.0 <= m.isolation_share <= 1.0
    sub = open_subgraph(sc)
    supplied_places = set().union(*(nx.node_connected_component(sub, s) for s in sc["sources"] & set(sub)))

    def weight(p: str) -> float:
        return max(sc["graph"].nodes[p]["population"], 0) or 1.0

    total = sum(weight(p) for p in sc["held"])
    cut = sum(weight(p) for p in sc["held"] if p not in supplied_places)
    assert m.isolation_share == pytest.approx(cut / total if total else 0.0)


@PROPERTY
@given(scenarios(fractional=True), st.data())
def test_removing_places_never_helps_supply(sc: dict, data: st.DataObject) -> None:
    assume(sc["objective"] not in sc["sources"])
    removed = data.draw(st.sets(st.sampled_from(sorted(sc["graph"]))))
    before = measure(sc)
    after = measure(sc, sc["open"] - removed)
    tol = 1e-9 * max(1.0, before.max_flow)
    assert after.max_flow <= before.max_flow + tol
    assert after.edge_connectivity <= before.edge_connectivity
    assert after.node_connectivity <= before.node_connectivity
    assert after.shortest_hours >= before.shortest_hours - 1e-12
    # Rayleigh monotonicity: removing conductors never lowers the resistance.
    assert after.effective_resistance >= before.effective_resistance * (1 - 1e-9)
    # phi stays in [0, 1] when the state's open set is inside the baseline's.
    baseline = SupplyBaseline(before)
    if before.max_flow > 0:
        assert 0.0 <= flow_share(after, baseline) <= 1.0 + 1e-9
        assert route_lengthening(after, baseline) >= 1.0 - 1e-9


def brute_force_interdiction(sc: dict, k: int, candidates: set[str]) -> float:
    usable = sorted((candidates & sc["open"]) - {sc["objective"]})
    return min(
        reference_flow(sc, sc["open"] - set(removed))
        for r in range(min(k, len(usable)) + 1)
        for removed in itertools.combinations(usable, r)
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_places=7, fractional=True), st.integers(0, 4), st.data())
def test_best_interdiction_matches_brute_force(sc: dict, k: int, data: st.DataObject) -> None:
    assume(sc["objective"] not in sc["sources"])
    places = sorted(sc["graph"])
    # Usually every place but the sources may be captured (where greedy choices go wrong), sometimes any.
    candidates = data.draw(
        st.one_of(st.just(set(places) - sc["sources"]), st.sets(st.sampled_from(places))), label="candidates"
    )
    if data.draw(st.booleans(), label="all open"):
        sc["open"] = set(places)
    value, removed = best_interdiction(
        sc["graph"], sc["open"], sc["sources"], sc["objective"], k, candidates, sc["capacity"]
    )
    assert len(removed) <= k and set(removed) <= candidates and sc["objective"] not in removed
    assert value == pytest.approx(reference_flow(sc, sc["open"] - set(removed)), abs=1e-9)
    assert value == pytest.approx(brute_force_interdiction(sc, k, candidates), abs=1e-9)


@PROPERTY
@given(scenarios(max_places=7, fractional=True), st.integers(1, 4))
def test_integer_program_matches_brute_force(sc: dict, k: int) -> None:
    # Wood's integer program alone (the fallback of long searches), without the search around it.
    assume(sc["objective"] in sc["open"] and sc["objective"] not in sc["sources"])
    live = sc["sources"] & sc["open"]
    assume(live)
    net = metrics._Interdiction(sc["graph"], sc["open"], live, sc["objective"], sc["capacity"])
    candidates = set(sc["graph"]) - sc["sources"] - {sc["objective"]}
    chosen = net.wood_milp({net.index[v] for v in candidates if v in net.index}, k)
    removed = {net.names[v] for v in chosen}
    assert len(removed) <= k and removed <= candidates
    value = reference_flow(sc, sc["open"] - removed)
    assert value == pytest.approx(brute_force_interdiction(sc, k, candidates), abs=1e-6)


def test_long_search_hands_over_to_the_integer_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_SEARCH_BUDGET", 0)
    calls = []
    real = metrics._Interdiction.wood_milp

    def counting(self, candidates, k):
        calls.append(k)
        return real(self, candidates, k)

    monkeypatch.setattr(metrics._Interdiction, "wood_milp", counting)
    graph = not_greedy_map()
    # Greedy alone would give 3 here; the integer program finds C.
    assert best_interdiction(graph, set(graph), {"S"}, "T", 1, {"A", "B", "C"}, CAP) == (2.0, ("C",))
    assert calls == [1]


@PROPERTY
@given(scenarios(max_places=7), st.integers(0, 7), st.randoms(use_true_random=False))
def test_best_interdiction_beats_random_captures(sc: dict, k: int, rnd: random.Random) -> None:
    assume(sc["objective"] not in sc["sources"])
    candidates = sorted(set(sc["graph"]) - {sc["objective"]})
    value, _ = best_interdiction(sc["graph"], sc["open"], sc["sources"], sc["objective"], k, candidates, sc["capacity"])
    removed = set(rnd.sample(candidates, min(k, len(candidates))))
    assert value <= reference_flow(sc, sc["open"] - removed) + 1e-9


# --- a village-sized map ---------------------------------------------------------------------------------


def village_map(seed: int, rows: int = 5, cols: int = 10, roads: int = 70) -> nx.Graph:
    """A planar 50-place map: a 5 x 10 grid thinned at random to 70 roads, still connected."""
    rng = random.Random(seed)
    graph = nx.grid_2d_graph(rows, cols)
    graph = nx.relabel_nodes(graph, {(r, c): f"v{r}_{c}" for r, c in graph})
    edges = sorted(graph.edges)
    rng.shuffle(edges)
    for u, v in edges:
        if graph.number_of_edges() <= roads:
            break
        graph.remove_edge(u, v)
        if not nx.is_connected(graph):
            graph.add_edge(u, v)
    for u, v in graph.edges:
        graph.edges[u, v].update(road_class=rng.choice(CLASSES), km=rng.uniform(1.0, 8.0))
    for v in graph:
        graph.nodes[v]["population"] = rng.randrange(0, 5000)
    return graph


@pytest.mark.parametrize("seed", range(3))
def test_village_map_against_networkx_and_interdiction_sweep(seed: int) -> None:
    graph = village_map(seed)
    objective = "v2_5"
    sources = {"v0_0", "v4_9", "v4_0"}
    sc = {"graph": graph, "objective": objective, "sources": sources, "open": set(graph), "held": set(graph)}
    sc["capacity"] = CAP
    m = measure(sc)
    assert m.max_flow == pytest.approx(reference_flow(sc))
    contracted, rep = merged(sc, graph.copy())
    assert m.node_connectivity == nx.node_connectivity(contracted, rep, objective)
    # Every k up to the number of places: optimal flows never rise with k and end at 0.
    candidates = set(graph) - sources - {objective}
    previous = math.inf
    for k in range(len(graph) + 1):
        value, removed = best_interdiction(graph, set(graph), sources, objective, k, candidates, CAP)
        assert value <= previous + 1e-9 and len(removed) <= k
        assert value == pytest.approx(reference_flow(sc, set(graph) - set(removed)))
        previous = value
    assert previous == 0.0

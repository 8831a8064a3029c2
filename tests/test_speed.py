"""The speed-ups of issue 17 change no answer: every memo the engine keeps gives what the rule computed afresh
gives, and follows what it depends on (a move, a loss, a capture, the enemy's guns moving).

Worlds: the four-place world of tests/test_doctrine.py (base - mid - town - depot, and a track mid - depot; blue
attacks from base, red is supplied from the depot) and the six-place tiny theatre of tests/conftest.py.
"""

from __future__ import annotations

import gc
import itertools
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from test_batch import assert_same_store
from test_doctrine import unit, world
from test_metrics import CAP, SPEED, road_graph, two_paths

from sim import doctrine, metrics, store
from sim.batch import make_plan, open_store, run_task
from sim.metrics import MetricsCache, supply_metrics
from sim.model import SiegeModel
from sim.parameters import Parameters
from sim.scenario import Scenario
from sim.space import UNARMED_TYPES, Space, carrying_under, fire_ends, fire_extremes
from sim.states import Intent, Posture
from sim.store import Store
from sim.supply import road_shares, roads_carrying, roads_under_fire, shares_by_place, supplied_places, under_fire
from sim.workers import WORKER_GC_THRESHOLDS, start_worker

ROOT = Path(__file__).resolve().parents[1]
GUNS = {"artillery": 1.0, "air": 0.6}  # 1.6 levels x 0.35 take 56%: a road of capacity 1 carries 0.44 < 0.5


def reach_afresh(m: SiegeModel, side: str) -> frozenset[str]:
    """The places the enemy's guns reach by the rule (``supply.under_fire`` of where its formations that call on
    fires stand), computed now without any memo."""
    enemy = m.space.enemy_of(side)
    guns = [place for place, fs in m.space.at_place.items() for f in fs
            if f.side == enemy and f.posture is not Posture.RAID and f.unit_type not in UNARMED_TYPES]
    return under_fire(m.space.adjacency, guns)


def traced_afresh(m: SiegeModel, side: str) -> frozenset[str]:
    """The side's supply by the rules of sim/supply.py, computed now without any memo."""
    space, p = m.space, m.params
    enemy_fires = m.spec.sides[space.enemy_of(side)].fires
    roads = roads_carrying(space.open_adjacency, space.capacity, space.enemy_fire_reach[side],
                           enemy_fires.artillery + enemy_fires.air, p.fire_interdiction, p.supply_min_flow)
    return supplied_places(roads, space.open_sets[side], m.supply_sources[side])


def retrace(m: SiegeModel) -> frozenset[str]:
    """Trace both sides' supply again; return red's, after checking both (and the reach of the enemy's guns)
    against the rules computed afresh."""
    m.space.trace_supply(m.supply_sources)
    for side in m.spec.sides:
        assert m.space.enemy_fire_reach[side] == reach_afresh(m, side)
        assert m.supplied[side] == traced_afresh(m, side)
    return m.supplied["red"]


# ---------------------------------------------------------------- the supply traces (Space.trace_supply)


def test_the_remembered_trace_follows_the_enemys_guns(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_m", "blue_army", "mid", {"hold": "mid"}, 300),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              blue_fires=GUNS, parameters={"road_capacity": {"road": 1.0, "track": 1.0}})
    assert "town" not in retrace(m)  # blue's guns at mid reach the town's one road to the depot
    m.space.put(m.formation("blue_m"), "base")
    assert "town" in retrace(m)  # from base they reach base and mid only
    m.space.put(m.formation("blue_m"), "mid")
    assert "town" not in retrace(m)  # the same situation again: the remembered answer


def test_the_remembered_trace_follows_a_capture(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_b", "blue_army", "base", {"hold": "base"}, 300),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    assert "mid" not in retrace(m) and "mid" in m.supplied["blue"]
    m.space.take("mid", "red")
    assert "mid" in retrace(m) and "mid" not in m.supplied["blue"]
    m.space.take("mid", "blue")
    assert "mid" not in retrace(m) and "mid" in m.supplied["blue"]


def test_the_remembered_trace_follows_a_move_and_a_loss(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_b", "blue_army", "base", {"hold": "base"}, 300),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    red = m.formation("red_t")
    m.space.put(red, "mid")  # red contests blue's mid: open to red, which traces supply through it
    assert "mid" in retrace(m)
    red.take_losses(red.personnel, 0)  # destroyed: off the map
    assert "mid" not in retrace(m)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_step_of_a_run_traces_what_the_rules_give(tiny: Scenario, seed: int) -> None:
    """Two runs of one scenario share the memo: the second meets situations the first left in it."""
    for run_seed in (seed, seed + 2):
        m = SiegeModel(tiny, rng=run_seed)
        while m.running:
            m.step()
            for side in m.spec.sides:
                assert m.supplied[side] == traced_afresh(m, side)


def test_every_step_under_fire_traces_what_the_rules_give(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"axis": ["mid", "town"]}, 3000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 300)],
              blue_fires=GUNS, red_fires={"artillery": 1.0},
              parameters={"road_capacity": {"road": 1.0, "track": 1.0}})
    while m.running:
        m.step()
        for side in m.spec.sides:
            assert m.supplied[side] == traced_afresh(m, side)
        retrace(m)  # where the formations stand after the step: the remembered reach of the guns follows them


def test_the_remembered_roads_under_fire_follow_the_enemys_guns(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_m", "blue_army", "mid", {"hold": "mid"}, 300),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              blue_fires=GUNS, parameters={"road_capacity": {"road": 1.0, "track": 1.0}})
    p = m.params

    def afresh() -> frozenset:
        shares = road_shares(m.space.capacity, 1.6, p.fire_interdiction, p.supply_min_flow)
        return roads_under_fire(shares_by_place(shares), m.space.enemy_fire_reach["red"])

    for at in ("mid", "base", "mid"):  # the guns move, then come back to a situation already remembered
        m.space.put(m.formation("blue_m"), at)
        m.space.trace_supply(m.supply_sources)
        assert m.space.roads_under_fire("red") == afresh() != frozenset()


@pytest.mark.parametrize("fire_level", [0.0, 1.4, 1.6, 3.0])
@pytest.mark.parametrize("min_flow", [0.3, 0.5, 1.5])
def test_roads_carrying_pieced_together_is_the_rule_for_every_reach(tiny: Scenario, fire_level: float,
                                                                    min_flow: float) -> None:
    """Every subset of the tiny theatre's six places as the guns' reach; roads of capacity 0.5 to 4. The places of
    the reach at the roads the extremes differ on (``fire_ends``) give the same roads as the whole reach."""
    space = Space(tiny)
    params = replace(Parameters(), supply_min_flow=min_flow)
    extremes = fire_extremes(space.open_adjacency, space.capacity, fire_level, params)
    for size in range(len(space.places) + 1):
        for reach in itertools.combinations(space.places, size):
            rule = roads_carrying(space.open_adjacency, space.capacity, reach, fire_level, params.fire_interdiction,
                                  min_flow)
            assert carrying_under(extremes, space.open_adjacency, frozenset(reach)) == rule
            assert carrying_under(extremes, space.open_adjacency, frozenset(reach) & fire_ends(extremes)) == rule


# ---------------------------------------------------------------- the supply metrics (sim/metrics.py)


def with_outpost() -> nx.Graph:
    """two_paths (S - A - T on highways, S - B - T on tracks) and a loop of tracks T - L - X - S."""
    graph = two_paths()
    graph.add_edges_from([("T", "L"), ("L", "X"), ("X", "S")], road_class="track", km=3.0)
    return graph


def test_the_network_measures_are_remembered_per_supply_network(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = with_outpost()
    states = [({"S", "A", "B", "T", "X"}, {"A", "T", "X"}),  # X open, a dead end while L is not
              ({"S", "A", "B", "T"}, {"A", "T", "X"}),  # X no longer open: the same supply network
              ({"S", "A", "B", "T"}, {"A", "T"}),  # X no longer held: the same again
              ({"S", "B", "T"}, {"B", "T"}),  # A captured: a new network
              ({"S", "A", "B", "T", "L"}, {"T"}),  # L open, a dead end while X is not: as before A was captured
              ({"S", "A", "B", "T", "L", "X"}, {"T"})]  # L and X open: a third route
    afresh = [supply_metrics(graph, open_places, {"S"}, "T", held, CAP, SPEED) for open_places, held in states]
    cache = MetricsCache(graph, {"S"}, "T", set(graph), CAP, SPEED)
    computed = []
    real = metrics._network_metrics
    monkeypatch.setattr(metrics, "_network_metrics",
                        lambda net, routes=None: computed.append(set(net.names)) or real(net, routes))
    assert [cache.metrics(open_places, held) for open_places, held in states] == afresh
    assert computed == [{"S", "A", "B", "T"}, {"S", "B", "T"}, {"S", "A", "B", "T", "L", "X"}]
    assert afresh[0].isolation_share == 0.0 and afresh[1].isolation_share == pytest.approx(1 / 3)
    assert afresh[3].max_flow == 1.0 and afresh[4].max_flow == 5.0 and afresh[5].max_flow == 6.0


def test_the_route_measures_are_remembered_per_layout_of_the_roads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connectivities and the fastest hours depend only on which roads of the supply network are open: a network
    under other fires that shut the same roads reuses them, one with another road shut does not."""
    graph = with_outpost()
    road = {name: frozenset(name) for name in ("SA", "AT", "SB", "BT", "TL", "LX", "XS")}
    states = [frozenset(),  # no fire
              frozenset({(road["SA"], 0.5)}),  # S - A halved: the same roads
              frozenset({(road["SA"], 0.5), (road["BT"], 0.0)}),  # B - T shut: another layout
              frozenset({(road["SA"], 0.25), (road["BT"], 0.0), (road["TL"], 0.5)}),  # the same layout again
              frozenset({(road["BT"], 0.0)})]  # and again
    afresh = [supply_metrics(graph, set(graph), {"S"}, "T", {"T"}, CAP, SPEED, under_fire=fire) for fire in states]
    cache = MetricsCache(graph, {"S"}, "T", set(graph), CAP, SPEED)
    measured = []
    real = metrics._route_measures
    monkeypatch.setattr(metrics, "_route_measures",
                        lambda net, flow_net: measured.append(net.edges) or real(net, flow_net))
    assert [cache.metrics(set(graph), {"T"}, fire) for fire in states] == afresh
    assert len(measured) == 2
    assert [m.max_flow for m in afresh] == [6.0, 4.0, 3.0, 1.5, 5.0]
    assert [m.node_connectivity for m in afresh] == [3, 3, 2, 2, 2]


def test_the_remembered_states_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = with_outpost()
    cache = MetricsCache(graph, {"S"}, "T", set(graph), CAP, SPEED)
    monkeypatch.setattr(metrics, "STATE_CACHE_LIMIT", 2)
    states = [{"S", "A", "B", "T"}, {"S", "B", "T"}, {"S", "A", "T"}, {"S", "A", "B", "T"}]
    for state in states:
        assert cache.day(state, state) == cache.day(set(state), list(state))  # remembered, or computed again
        assert len(cache._metrics) <= 2
    assert [cache.metrics(state, state) for state in states] == [
        supply_metrics(graph, state, {"S"}, "T", state, CAP, SPEED) for state in states]


def test_a_full_memo_forgets_the_state_used_longest_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = with_outpost()
    cache = MetricsCache(graph, {"S"}, "T", set(graph), CAP, SPEED)
    monkeypatch.setattr(metrics, "STATE_CACHE_LIMIT", 2)
    first, second, third = {"S", "A", "B", "T"}, {"S", "B", "T"}, {"S", "A", "T"}
    for state in (first, second, first, third):  # the first used again after the second: the second goes
        cache.metrics(state, state)
    assert cache.computations == 3
    assert cache.metrics(first, first) == supply_metrics(graph, first, {"S"}, "T", first, CAP, SPEED)
    assert cache.computations == 3  # still remembered
    assert cache.metrics(second, second) == supply_metrics(graph, second, {"S"}, "T", second, CAP, SPEED)
    assert cache.computations == 4  # computed again


def test_a_dead_end_changes_no_measure_of_the_supply_network() -> None:
    """The core leaves out the dead ends, places on no route from a source to the objective (a branching side
    road, a place between two sources only): the measures with and without them are the same (computed here
    without any memo)."""
    graph = with_outpost()
    graph.add_edges_from([("A", "D1"), ("D1", "D2"), ("D1", "D3"), ("D3", "D4")], road_class="road", km=2.0)
    graph.add_edges_from([("S", "E"), ("E", "S2")], road_class="road", km=2.0)  # E: between two sources only
    everything = supply_metrics(graph, set(graph), {"S", "S2"}, "T", set(graph), CAP, SPEED)
    assert metrics._routes_core(graph.adj, set(graph), {"S", "S2"}, "T") == {"S", "S2", "A", "B", "T", "L", "X"}
    core = supply_metrics(graph, {"S", "S2", "A", "B", "T", "L", "X"}, {"S", "S2"}, "T", set(graph), CAP, SPEED)
    assert replace(core, isolation_share=0.0) == replace(everything, isolation_share=0.0)


def test_a_shared_network_memo_gives_the_measures_computed_afresh() -> None:
    """Every open set of a five-place map with two sources, one memo for all of them."""
    graph = road_graph(("S1", "A", "road", 4.0), ("S2", "A", "track", 3.0), ("A", "T", "highway", 5.0),
                       ("S2", "B", "road", 2.0), ("B", "T", "track", 6.0), ("S1", "S2", "road", 1.0),
                       population={"A": 300, "T": 5000})
    memo: dict = {}
    places = sorted(graph)
    for size in range(len(places) + 1):
        for open_places in itertools.combinations(places, size):
            held = [p for p in open_places if p != "S1"] + ["B"]
            shared = supply_metrics(graph, open_places, {"S1", "S2"}, "T", held, CAP, SPEED, memo)
            assert shared == supply_metrics(graph, open_places, {"S1", "S2"}, "T", held, CAP, SPEED)
    assert 0 < len(memo) < 2 ** len(places)


def test_the_map_tables_read_the_graphs_own_roads_in_its_order() -> None:
    """``MetricsCache`` reads ``MapTables``: the roads of ``graph.adj`` in its order, with their class's capacity and
    hours, and each place's weight; the flow alone (``supply_flow``, the cache's ``max_flow``) is the measures'."""
    graph = road_graph(("S1", "A", "road", 4.0), ("S2", "A", "track", 3.0), ("A", "T", "highway", 5.0),
                       ("S2", "B", "road", 2.0), ("B", "T", "track", 6.0), ("S1", "S2", "road", 1.0),
                       ("B", "D", "track", 2.0), population={"A": 300, "T": 5000})
    tables = metrics.MapTables.of(graph, CAP, SPEED)
    assert tables.adjacency == {place: tuple(graph.adj[place]) for place in graph}
    assert tables.roads == {u: tuple((v, frozenset((u, v)), CAP[data["road_class"]],
                                      data["km"] / SPEED[data["road_class"]]) for v, data in graph.adj[u].items())
                            for u in graph}
    assert tables.weights == {place: {"A": 300.0, "T": 5000.0}.get(place, 1.0) for place in graph}
    cache = MetricsCache(graph, {"S1", "S2"}, "T", set(graph), CAP, SPEED)
    places = sorted(graph)
    for size in range(len(places) + 1):
        for open_places in itertools.combinations(places, size):
            held = [p for p in open_places if p != "S1"] + ["B"]
            measures = supply_metrics(graph, open_places, {"S1", "S2"}, "T", held, CAP, SPEED)
            assert supply_metrics(graph, open_places, {"S1", "S2"}, "T", held, CAP, SPEED, tables=tables) == measures
            flow = supply_metrics(graph, open_places, {"S1", "S2"}, "T", (), CAP, SPEED).max_flow
            assert metrics.supply_flow(graph, open_places, {"S1", "S2"}, "T", CAP, SPEED) == flow
            assert cache.max_flow(open_places) == flow == cache.metrics(open_places, ()).max_flow


def test_the_flow_after_captures_is_remembered_on_what_changed_since_the_baseline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The interdiction score's flows (``MetricsCache.max_flow``) are remembered on the places closed and opened
    since the baseline: asked again, a change gives the flow computed afresh without a search."""
    graph = with_outpost()
    baseline = {"S", "A", "B", "T", "L"}
    cache = MetricsCache(graph, {"S"}, "T", baseline, CAP, SPEED)
    changes = [baseline - {"A"}, baseline - {"A", "B"}, baseline | {"X"}, (baseline - {"A"}) | {"X"}]
    afresh = [metrics.supply_flow(graph, open_places, {"S"}, "T", CAP, SPEED) for open_places in changes]
    assert afresh == [1.0, 0.0, 6.0, 2.0]
    searched = []
    real = metrics.supply_flow
    monkeypatch.setattr(metrics, "supply_flow", lambda *args: searched.append(args[1]) or real(*args))
    assert [cache.max_flow(open_places) for open_places in changes + changes[::-1]] == afresh + afresh[::-1]
    assert searched == changes


# ---------------------------------------------------------------- occupancy by side, power queries (sim/space.py)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_step_the_occupancy_by_side_and_the_power_queries_are_the_formations_own(historical: Scenario,
                                                                                      seed: int) -> None:
    """``Space.side_at`` (kept by every put and removal) is each place's formations of one side, in their order,
    so the power sums read from it add the same numbers in the same order as a scan of everyone there; the
    remembered supply without a place (``Space.supplied_without``, a retreat's) is the rule's computed afresh."""
    m = SiegeModel(historical, rng=seed)
    while m.running:
        m.step()
        space = m.space
        for place in m.places:
            here = space.at_place.get(place, [])
            for side in m.spec.sides:
                enemy = space.enemy_of(side)
                own = [f for f in here if f.side == side]
                assert space.side_at[side].get(place, []) == own == space.active_at(place, side)
                assert space.enemy_present(place, side) == any(f.side == enemy and f.posture is not Posture.RAID
                                                               for f in here)
                assert m.side_power_at(place, side) == sum([m.formation_power(f, False) for f in own])
                assert m.threat_to(place, side) == sum([m.formation_power(f, True)
                                                        for p in (place, *space.adjacency[place])
                                                        for f in space.at_place.get(p, ()) if f.side == enemy])
            for side, sources in m.supply_sources.items():  # remembered over both runs of the scenario
                assert space.supplied_without(side, place, sources) == supplied_places(
                    space.open_adjacency, space.open_sets[side] - {place}, sources)
        sectors = space.objective_sectors  # the town-pressure rule's places, in the order of its set of them
        assert space.objective_surroundings == tuple({q for p in sectors for q in (p, *space.adjacency[p])})


def test_a_remembered_standing_intent_is_the_one_made_afresh() -> None:
    for posture, hold, roll in itertools.product(Posture, (None, "mid", "town"), (None, 0.0, 0.05)):
        remembered = doctrine._standing(posture, hold, roll)
        assert remembered == Intent(posture, hold=hold, counterattack_roll=roll)
        assert doctrine._standing(posture, hold, roll) is remembered


# ---------------------------------------------------------------- batch start-up (sim/batch.py, sim/sweep.py)


def test_consolidation_reads_a_part_across_two_ranges_once_and_stores_what_one_range_does(
        tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven runs in parts of three, consolidated two tasks at a time: the parts of tasks 0-2 and 3-5 straddle a
    boundary of ranges, are kept for the next range, and each part is read whole once."""
    plan = make_plan([str(tiny_path)], 7, 5)
    results = [(task.index, run_task(task)) for task in plan.tasks()]

    def stored(out: Path, per_part: int) -> Store:
        written = open_store(plan, out, False, [])
        for index, (run, series) in results:
            written.add(index, run, series)
            if (index + 1) % per_part == 0:
                written.flush()
        written.flush()
        return written

    stored(tmp_path / "whole", 7).consolidate()
    read_whole: list[str] = []
    real_read = store.pq.read_table

    def counted(path: object, **options: object) -> object:
        if "columns" not in options:
            read_whole.append(str(path))
        return real_read(path, **options)

    monkeypatch.setattr(store.pq, "read_table", counted)
    monkeypatch.setattr(store, "RANGE", 2)
    stored(tmp_path / "ranged", 3).consolidate()
    assert len(read_whole) == len(set(read_whole)) == 6  # three parts, runs and series, once each
    assert_same_store(tmp_path / "ranged", tmp_path / "whole")


def test_a_batch_worker_collects_garbage_less_often_and_never_the_engine_it_inherits() -> None:
    thresholds, handler = gc.get_threshold(), signal.getsignal(signal.SIGINT)
    try:
        start_worker()
        assert gc.get_threshold() == WORKER_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        signal.signal(signal.SIGINT, handler)


@pytest.mark.e2e
def test_a_local_batch_imports_neither_dask_nor_scipy_stats(tiny_path: Path, tmp_path: Path) -> None:
    """Its process and the workers' fork server import what a local batch runs, not Dask's distributed (0.2 s) or
    scipy.stats (0.3 s, for LHS designs only)."""
    probe = ("import sys; from sim.batch import execute; "
             f"execute([{str(tiny_path)!r}], 2, 1, {str(tmp_path / 'out')!r}, workers=1, echo=lambda _: None); "
             "print(sorted(m for m in ('distributed', 'dask', 'scipy.stats') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "runs.parquet").exists()

"""Supply tracing (sim/supply.py): which places are open to a side, which are supplied, and supply levels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.model import SiegeModel
from sim.scenario import load_scenario
from sim.supply import next_supply_level, open_places, supplied_places

# ---------------------------------------------------------------- open_places

PLACES = ["held", "enemy_held", "empty", "enemy_in_neutral", "contested", "enemy_in_ours", "ours_in_neutral"]
CONTROL = {"held": "blue", "enemy_held": "red", "empty": None, "enemy_in_neutral": None, "contested": "red",
           "enemy_in_ours": "blue", "ours_in_neutral": None}
PRESENT = {"enemy_in_neutral": {"red"}, "contested": {"blue", "red"}, "enemy_in_ours": {"red"},
           "ours_in_neutral": {"blue"}}


def test_open_places_rule_for_each_situation() -> None:
    blue = open_places(PLACES, CONTROL, "blue", PRESENT)
    # held by the side; nobody's and empty; contested (a Blue formation in a Red place); Blue's own place
    # with only Red inside it (the side still holds it); nobody's place with Blue in it
    assert blue == {"held", "empty", "contested", "enemy_in_ours", "ours_in_neutral"}
    assert "enemy_held" not in blue  # enemy-held, even when empty
    assert "enemy_in_neutral" not in blue  # nobody's, but an enemy formation stands there
    red = open_places(PLACES, CONTROL, "red", PRESENT)
    assert red == {"enemy_held", "empty", "enemy_in_neutral", "contested", "enemy_in_ours"}


def test_open_places_treats_missing_entries_as_nobodys_and_empty() -> None:
    assert open_places(["x", "y"], {}, "blue", {}) == {"x", "y"}
    assert open_places(["x", "y"], {"y": "red"}, "blue", {}) == {"x"}


# ---------------------------------------------------------------- supplied_places
#   S - a - b - c        T - d        (two pieces; S and T are sources)


ADJ = {"S": ["a"], "a": ["S", "b"], "b": ["a", "c"], "c": ["b"], "T": ["d"], "d": ["T"]}
ALL = set(ADJ)


def without(adjacency: dict[str, list[str]], blocked: set[frozenset]) -> dict[str, list[str]]:
    """The road network with blocked roads left out (the form supplied_places expects)."""
    return {a: [b for b in nbrs if frozenset((a, b)) not in blocked] for a, nbrs in adjacency.items()}


def test_supply_flows_through_open_places_from_each_source() -> None:
    assert supplied_places(ADJ, ALL, ["S"]) == {"S", "a", "b", "c"}
    assert supplied_places(ADJ, ALL, ["S", "T"]) == ALL
    assert supplied_places(ADJ, ALL, []) == set()


def test_a_closed_place_cuts_the_line_beyond_it() -> None:
    assert supplied_places(ADJ, ALL - {"b"}, ["S"]) == {"S", "a"}


def test_a_blocked_road_cuts_the_line() -> None:
    assert supplied_places(without(ADJ, {frozenset(("a", "b"))}), ALL, ["S"]) == {"S", "a"}
    assert supplied_places(without(ADJ, {frozenset(("S", "a"))}), ALL, ["S", "T"]) == {"S", "T", "d"}


def test_a_lost_source_supplies_nothing() -> None:
    assert supplied_places(ADJ, ALL - {"S"}, ["S"]) == set()
    assert supplied_places(ADJ, ALL - {"S"}, ["S", "T"]) == {"T", "d"}


# ---------------------------------------------------------------- properties on random graphs


@st.composite
def supply_cases(draw: st.DrawFn) -> tuple[dict, set, list, set, set]:
    n = draw(st.integers(min_value=1, max_value=14))
    nodes = [f"p{i}" for i in range(n)]
    pairs = [(nodes[i], nodes[j]) for i in range(n) for j in range(i + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=30)) if pairs else []
    adjacency: dict[str, list[str]] = {p: [] for p in nodes}
    for a, b in edges:
        adjacency[a].append(b)
        adjacency[b].append(a)
    open_set = set(draw(st.lists(st.sampled_from(nodes), unique=True)))
    sources = draw(st.lists(st.sampled_from(nodes), max_size=3))
    blocked = {frozenset(e) for e in draw(st.lists(st.sampled_from(edges), unique=True))} if edges else set()
    extra = set(draw(st.lists(st.sampled_from(nodes), unique=True)))
    return adjacency, open_set, sources, blocked, extra


def reference_supplied(adjacency: dict, open_set: set, sources: list, blocked: set) -> set:
    """The same rule computed with networkx: components of the open subgraph that contain a live source."""
    g = nx.Graph()
    g.add_nodes_from(open_set)
    g.add_edges_from((a, b) for a in open_set for b in adjacency[a] if b in open_set
                     and frozenset((a, b)) not in blocked)
    out: set[str] = set()
    for s in sources:
        if s in open_set:
            out |= nx.node_connected_component(g, s)
    return out


@settings(max_examples=150, deadline=None)
@given(supply_cases())
def test_supplied_is_the_open_component_of_the_live_sources(case: tuple) -> None:
    adjacency, open_set, sources, blocked, _ = case
    supplied = supplied_places(without(adjacency, blocked), open_set, sources)
    assert supplied <= open_set
    assert supplied == reference_supplied(adjacency, open_set, sources, blocked)


@settings(max_examples=150, deadline=None)
@given(supply_cases())
def test_opening_more_places_never_shrinks_supply(case: tuple) -> None:
    adjacency, open_set, sources, blocked, extra = case
    roads = without(adjacency, blocked)
    before = supplied_places(roads, open_set, sources)
    after = supplied_places(roads, open_set | extra, sources)
    assert before <= after
    # and unblocking roads never shrinks it, while blocking every road leaves only the live sources
    assert before <= supplied_places(adjacency, open_set, sources)
    no_roads = supplied_places({a: [] for a in adjacency}, open_set, sources)
    assert no_roads <= before
    assert no_roads == {s for s in sources if s in open_set}


def test_the_model_traces_supply_around_blocked_roads(write_scenario: Callable[..., Path]) -> None:
    # the tiny theatre: Red's only source is the depot, with roads to the old town and to the (unheld) ridge
    def supplied(blocked: list[list[str]]) -> SiegeModel:
        path = write_scenario({"extends": "tiny.yaml", "blocked_roads": blocked}, "blocked.yaml")
        return SiegeModel(load_scenario(path), rng=0)

    m = supplied([])
    assert m.supplied["red"] == {"depot", "oldtown", "ford", "ridge"}
    assert m.objective_supplied
    # with the direct road blocked, supply goes round by the ridge
    m = supplied([["oldtown", "depot"]])
    assert m.supplied["red"] == {"depot", "oldtown", "ford", "ridge"}
    # with both of the depot's roads blocked, the town would be cut off from the start: a run could not measure
    # its supply lines, so the scenario is refused when it is loaded
    with pytest.raises(InputError, match="'oldtown' has no supply route from the defender's sources"):
        supplied([["oldtown", "depot"], ["depot", "ridge"]])


# ---------------------------------------------------------------- supply levels


@pytest.mark.parametrize(
    ("level", "in_supply", "dt", "expected"),
    [
        (0.5, True, 1.0, 0.75),  # + 0.25 a day
        (0.9, True, 1.0, 1.0),  # capped at 1
        (0.2, True, 2.0, 0.7),
        (0.5, False, 1.0, 0.45),  # - 0.05 a day
        (0.5, False, 2.0, 0.4),
        (0.03, False, 1.0, 0.0),  # floored at 0
        (0.0, False, 7.0, 0.0),
        (1.0, True, 7.0, 1.0),
    ],
)
def test_next_supply_level_hand_worked(level: float, in_supply: bool, dt: float, expected: float) -> None:
    assert next_supply_level(level, in_supply, dt, 0.25, 0.05) == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(level=st.floats(min_value=0.0, max_value=1.0), in_supply=st.booleans(),
       dt=st.floats(min_value=0.0, max_value=7.0), recovery=st.floats(min_value=0.0, max_value=1.0),
       depletion=st.floats(min_value=0.0, max_value=1.0))
def test_next_supply_level_stays_in_bounds_and_moves_the_right_way(level: float, in_supply: bool, dt: float,
                                                                   recovery: float, depletion: float) -> None:
    new = next_supply_level(level, in_supply, dt, recovery, depletion)
    assert 0.0 <= new <= 1.0
    assert new >= level if in_supply else new <= level

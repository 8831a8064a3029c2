"""The state of a run on any day, for maps: where every formation stood, who held what, which roads fed the town.

A run's records keep control per day but not formation positions. Runs are deterministic and fast (~0.1 s),
so instead of storing positions the run is replayed with the same scenario and seed, stepping the model to
the wanted day and reading it; the engine is not changed. The state of day d is the model after step d,
the same moment as row d of the run's timeseries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from sim.agents import Formation
from sim.events import Event
from sim.model import SiegeModel
from sim.records import defender_supply, metrics_cache
from sim.scenario import Scenario


@dataclass(frozen=True)
class FormationState:
    """One formation on the map: where it is (a place, or a fraction of the way along a road) and how strong."""

    fid: str
    label: str
    faction: str
    side: str
    personnel: int
    place: str | None
    edge: tuple[str, str] | None
    along: float  # fraction of the road from edge[0] to edge[1] covered (0 at a place)


@dataclass(frozen=True)
class MapState:
    """Everything a map of one day shows."""

    day: float
    date: dt.date
    control: dict[str, str | None]
    formations: list[FormationState]
    supplied: frozenset[str]  # places the defender's supply reaches
    supply_roads: list[tuple[str, str]]  # roads carrying the defender's supply to the objective
    min_cut: list[tuple[str, str]]  # today's minimum cut between the defender's sources and the objective
    connected: bool  # the objective still has a supply path
    events: list[Event]  # the events of this day


def _formation(f: Formation, graph: nx.Graph) -> FormationState:
    along = 0.0
    if f.edge is not None:
        km = graph.edges[f.edge]["km"]
        along = min(1.0, f.km_done / km) if km > 0 else 0.0
    return FormationState(f.fid, f.label, f.faction, f.side, f.personnel, f.place, f.edge, along)


def supply_roads(graph: nx.Graph, supplied: frozenset[str], objective: tuple[str, ...],
                 blocked: set[frozenset]) -> list[tuple[str, str]]:
    """Roads between supplied places in the part of the supplied network that reaches the objective (any of
    its sectors)."""
    ends = [p for p in objective if p in supplied]
    if not ends:
        return []
    sub = nx.Graph((a, b) for a, b in graph.subgraph(supplied).edges if frozenset((a, b)) not in blocked)
    sub.add_nodes_from(ends)
    reach = set().union(*(nx.node_connected_component(sub, p) for p in ends))
    return sorted(tuple(sorted(e)) for e in sub.subgraph(reach).edges)


def map_state(model: SiegeModel, events_from: int) -> MapState:
    """What the theatre map draws for the model's current day (the web app draws live games with it too)."""
    cache = metrics_cache(model.campaign)
    metrics = defender_supply(model, cache)
    supplied = model.supplied[model.defender]
    connected = model.objective_supplied  # the engine's trace: a road shut by fires cuts too
    return MapState(
        day=model.day, date=model.date, control=dict(model.control),
        formations=[_formation(f, model.graph) for f in model.formations() if f.active],
        supplied=supplied,
        supply_roads=supply_roads(model.graph, supplied, model.space.objective_sectors, model.blocked),
        min_cut=[tuple(e) for e in metrics.min_cut if cache.objective not in e or cache.objective in model.graph]
        if connected else [],
        connected=connected,
        events=model.events[events_from:])


def replay(scenario: Scenario, seed: int) -> Iterator[MapState]:
    """The state of every day of the run (scenario, seed), day 0 first."""
    model = SiegeModel(scenario, rng=seed)
    yield map_state(model, len(model.events))
    while model.running:
        seen = len(model.events)
        model.step()
        yield map_state(model, seen)


def state_at(scenario: Scenario, seed: int, day: float) -> MapState:
    """The state at the end of ``day`` (the last day of the run if ``day`` is past it)."""
    state = None
    for state in replay(scenario, seed):
        if state.day >= day - 1e-9:
            break
    assert state is not None  # replay always yields day 0
    return state

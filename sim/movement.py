"""Movement along roads: travel cost by road class and formation type, routing, and a day's march.

A road's cost is counted in "march-km": its length divided by the share of march speed kept on its class, plus
the delay of a river or border crossing converted at the formation's speed. A formation marches
``march_km_per_day`` march-km a day. It stops on entering a place that the enemy holds or occupies, at its
destination, or when ambushed on a road.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

import networkx as nx

from sim.parameters import Parameters
from sim.states import Posture

if TYPE_CHECKING:
    from sim.agents import Formation
    from sim.model import SiegeModel

Costs = dict[frozenset, float]


def march_cost(km: float, road_class: str, speed: float, params: Parameters) -> float:
    """Cost of one road in march-km for a formation whose road-march speed is ``speed`` km/day."""
    cost = km / params.road_speed_factor[road_class]
    return cost + params.crossing_delay_days.get(road_class, 0.0) * speed


def road_costs(graph: nx.Graph, speed: float, params: Parameters, blocked: set[frozenset]) -> Costs:
    """March cost of every open road for one speed."""
    return {frozenset((a, b)): march_cost(d["km"], d["road_class"], speed, params)
            for a, b, d in graph.edges(data=True) if frozenset((a, b)) not in blocked}


def road_neighbours(adjacency: Mapping[str, Iterable[str]], costs: Costs) -> dict[str, list[tuple[str, float]]]:
    """Each place's open roads with their cost, for fast routing."""
    return {a: [(b, costs[frozenset((a, b))]) for b in nbrs if frozenset((a, b)) in costs]
            for a, nbrs in adjacency.items()}


def shortest_route(neighbours: Mapping[str, list[tuple[str, float]]], start: str, goals: Collection[str],
                   penalised: Collection[str] = (), penalty: float = 0.0) -> list[str] | None:
    """Cheapest route from start to the nearest goal (excluding start), by Dijkstra.

    ``neighbours`` maps a place to its (neighbour, road cost) pairs; entering a place of ``penalised`` other than a
    goal (e.g. enemy ground) costs ``penalty`` more (a set and a number rather than a function: a call per road
    looked at was a third of a search).
    """
    if start in goals:
        return []
    best = {start: 0.0}
    parent: dict[str, str] = {}
    queue = [(0.0, start)]
    pop, push = heapq.heappop, heapq.heappush
    while queue:
        cost, node = pop(queue)
        if node in goals:
            path = [node]
            while parent[path[-1]] != start:
                path.append(parent[path[-1]])
            return path[::-1]
        if cost > best[node]:
            continue
        for nxt, road in neighbours[node]:
            new = cost + road + (penalty if nxt in penalised and nxt not in goals else 0.0)
            if new < best.get(nxt, math.inf):
                best[nxt] = new
                parent[nxt] = node
                push(queue, (new, nxt))
    return None


def advance(f: Formation, m: SiegeModel) -> None:
    """Rule: march ``f`` along its path for one step, ``march_km_per_day`` march-km a day; stop at the end of the
    path, on entering a place the enemy occupies (or holds, unless raiding), or where an enemy ambush lies."""
    if not f.active or f.posture is Posture.AMBUSH or (not f.path and f.edge is None):
        return
    space = m.space
    costs = space.costs[f.unit_type]
    budget = m.params.march_km_per_day[f.unit_type] * m.dt
    raiding = f.posture is Posture.RAID
    while budget > 1e-9:
        if f.edge is None:
            if not f.path:
                return
            space.set_out(f, f.place, f.path[0])
        b = f.edge[1]
        length = costs[frozenset(f.edge)]
        ambusher = space.ambush_on(f.edge, f.side)
        if ambusher is not None and ambusher is not f:
            f.km_done = max(f.km_done, length * m.params.ambush_position)
            return
        remaining = length - f.km_done
        if budget < remaining:
            f.km_done += budget
            return
        budget -= remaining
        f.path.pop(0)
        space.put(f, b)
        if not f.path or space.enemy_present(b, f.side) or (
                not raiding and space.control.get(b) == space.enemy_of(f.side)):
            return

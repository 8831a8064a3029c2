"""Supply tracing: pure functions of the road graph and who holds what.

The rule: a side's supply flows from its supply sources (scenario places it still holds or contests) along
open roads through every place that is *open* to it. A place is open to a side when the side holds it, when it
is held by nobody and no enemy formation stands in it, or when the side contests it (has a formation there,
whoever holds it). A formation is in supply when it stands in a supplied place, or is on a road with a
supplied place at either end. A road under the enemy's fires carries less (``roads_carrying``): supply passes
only roads that still carry ``supply_min_flow``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

RoadShare = tuple[frozenset, float]  # a road, with the share of its capacity it keeps under the enemy's fires
RoadShares = frozenset[RoadShare]  # roads under fire


def open_places(places: Iterable[str], control: Mapping[str, str | None], side: str,
                present: Mapping[str, Collection[str]]) -> frozenset[str]:
    """Places the side can trace supply through; ``present`` maps a place to the sides with formations in it."""
    sides_at = present.get
    return frozenset([place for place in places if (holder := control.get(place)) == side
                      or ((side in sides_here) if (sides_here := sides_at(place)) else holder is None)])


def supplied_places(adjacency: Mapping[str, Iterable[str]], open_set: Collection[str],
                    sources: Iterable[str]) -> frozenset[str]:
    """Places reachable from a live source through open places along the roads of ``adjacency`` (breadth-first;
    leave blocked roads out of ``adjacency``)."""
    live = [s for s in sources if s in open_set]
    seen = set(live)
    unseen = set(open_set).difference(live)  # (one test a road instead of two)
    queue = live.copy()
    for node in queue:  # breadth-first: the list grows while it is read
        for nxt in adjacency[node]:
            if nxt in unseen:
                unseen.discard(nxt)
                seen.add(nxt)
                queue.append(nxt)
    return frozenset(seen)


def under_fire(adjacency: Mapping[str, Iterable[str]], enemy_at: Iterable[str]) -> frozenset[str]:
    """Places the enemy's guns reach: every place an enemy formation stands in, and every place next to one."""
    reach = set()
    for place in enemy_at:
        reach.add(place)
        reach.update(adjacency[place])
    return frozenset(reach)


def share_under_fire(fire_level: float, interdiction: float) -> float:
    """The share of its capacity a road under the enemy's fires of ``fire_level`` keeps: ``1 - interdiction x
    fire_level``, never below 0."""
    return max(0.0, 1.0 - interdiction * fire_level)


def roads_carrying(adjacency: Mapping[str, Iterable[str]], capacity: Mapping[frozenset, float],
                   reach: Collection[str], fire_level: float, interdiction: float,
                   min_flow: float) -> dict[str, tuple[str, ...]]:
    """Rule: a road with an end in the enemy's reach (``under_fire``) carries its class capacity times
    ``1 - interdiction x fire_level`` (the enemy's artillery plus air levels; never below 0), any other its full
    capacity; supply passes only the roads that still carry ``min_flow``. Returns the adjacency of those roads."""
    hit = share_under_fire(fire_level, interdiction)
    out = {}
    for a, nbrs in adjacency.items():
        out[a] = tuple(b for b in nbrs
                       if capacity[frozenset((a, b))] * (hit if a in reach or b in reach else 1.0) >= min_flow)
    return out


def road_shares(capacity: Mapping[frozenset, float], fire_level: float, interdiction: float,
                min_flow: float) -> dict[frozenset, tuple[frozenset, float]]:
    """Each road, as the pair (road, the share of its capacity it still carries for supply under the enemy's fires of
    ``fire_level``) by ``roads_carrying``'s rule (0 where what is left is below ``min_flow``): the pieces of
    ``roads_under_fire``, the same for every reach of the guns."""
    hit = share_under_fire(fire_level, interdiction)
    return {road: (road, hit if cap * hit >= min_flow else 0.0) for road, cap in capacity.items()}


def shares_by_place(shares: Mapping[frozenset, RoadShare]) -> dict[str, tuple[RoadShare, ...]]:
    """``road_shares``' pairs of the roads at each place: ``roads_under_fire`` looks only at the places in reach."""
    at: dict[str, list[RoadShare]] = {}
    for road, pair in shares.items():
        for place in road:
            at.setdefault(place, []).append(pair)
    return {place: tuple(pairs) for place, pairs in at.items()}


def roads_under_fire(shares_at: Mapping[str, Iterable[RoadShare]], reach: Collection[str]) -> RoadShares:
    """The roads with an end in the enemy's reach, each with the share of its capacity it still carries for supply
    (``road_shares``, by place: ``shares_by_place``): what the supply metrics see. The pairs are ``road_shares``'
    own, so the roads under fire of every reach share them (a long batch remembers thousands of such sets)."""
    return frozenset([pair for place in reach for pair in shares_at.get(place, ())])


def next_supply_level(level: float, in_supply: bool, dt: float, recovery: float, depletion: float) -> float:
    """Supply level after a step: rises toward 1 in supply, falls toward 0 when cut off."""
    if in_supply:
        return min(1.0, level + recovery * dt)
    return max(0.0, level - depletion * dt)

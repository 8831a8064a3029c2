"""Orders and doctrine: what a formation does today, given its scenario orders and the situation.

Orders (from the scenario): an *axis* of objectives taken in turn; *hold* a place; stay in *reserve* at a
place; *move* to a place and hold it; *raid* a road between two days. Doctrine fills in what orders leave open:

- attack only with the wanted power ratio (ATP 5-0.2-1: 2.5:1 hasty, 3:1 deliberate), the whole group at the
  staging place together; pause to consolidate after a capture;
- siege before assault: the scenario's objective is stormed only once it is cut off from supply, unless the
  ratio is overwhelming (``direct_assault_ratio``);
- call off an assault when morale falls below ``halt_morale``; withdraw to supplied ground when cut off;
- reserves reinforce the most threatened friendly place within reach;
- the defending side counterattacks lightly held places next to it, and a formation that lost its post holds
  where it fell back to; with ``breakout_when_cut`` its cut-off formations break out towards supplied ground;
- the attacker never leaves the taken objective empty, and with its axis done mops up the pocket around it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.movement import HOSTILE_ENTRY_PENALTY
from sim.scenario import Orders
from sim.states import Posture

MOP_UP_HOPS = 3  # how far from the objective (in roads) mopping-up operations reach

if TYPE_CHECKING:
    from sim.agents import Formation
    from sim.model import QusayrModel


def decide(f: Formation, m: QusayrModel) -> None:
    """Set ``f.path`` and ``f.posture`` for today."""
    if f.order_kind == "raid":
        _raid(f, m)  # raiders slip through: neither the road they are on nor enemies around stop them deciding
        return
    if f.edge is not None:
        return  # keep marching
    here = f.place
    if m.enemy_present(here, f.side):
        if f.posture is Posture.ATTACK and f.morale < m.params.halt_morale:
            m.retreat(f, "called off its assault on")
        return  # the fight here goes on
    if f.posture is Posture.RETREAT:
        f.posture = Posture.HOLD
    if f.side == m.attacker and f.supply < m.params.withdraw_supply and here not in m.supplied[f.side]:
        _withdraw_to_supply(f, m)
        return
    if f.side == m.defender and m.spec.doctrine.breakout_when_cut and not f.in_supply:
        _withdraw_to_supply(f, m, through_enemy=True)  # break out of the pocket
        return
    kind = f.order_kind
    if kind == "axis":
        _axis(f, m)
    elif kind == "hold":
        _hold(f, m, f.orders.hold)
    elif kind == "reserve":
        _reserve(f, m, f.orders.reserve)
    elif kind == "move":
        if here == f.orders.move:
            f.orders = Orders(hold=here)
            _hold(f, m, here)
        else:
            _go_or_attack(f, m, f.orders.move)


# --------------------------------------------------------------------------- orders


def _axis(f: Formation, m: QusayrModel) -> None:
    if m.day < f.rest_until:
        _stand(f, Posture.HOLD)
        return
    if f.place == m.objective and m.control.get(f.place) == f.side and len(m.active_at(f.place, f.side)) == 1:
        _stand(f, Posture.HOLD)  # never leave the taken objective empty
        return
    goal = next((p for p in f.orders.axis if m.control.get(p) != f.side), None)
    if goal is None and f.side == m.attacker:
        goal = m.objective if m.control.get(m.objective) != f.side else _mop_up_target(f, m)
    if goal is None:
        _stand(f, Posture.HOLD)
        return
    _go_or_attack(f, m, goal)


def _mop_up_target(f: Formation, m: QusayrModel) -> str | None:
    """With its axis done and the objective taken: the nearest enemy-held place around the objective."""
    enemy = m.enemy_of(f.side)
    pocket = [p for p, hops in m.hops_to_objective.items() if hops <= MOP_UP_HOPS and m.control.get(p) == enemy]
    route = m.route_to_any(f, frozenset(pocket)) if pocket else None
    return route[-1] if route else None


def _hold(f: Formation, m: QusayrModel, post: str) -> None:
    if f.place == post:
        _stand(f, Posture.HOLD)
        if f.side == m.defender:
            _maybe_counterattack(f, m)
        return
    if m.hostile(post, f.side):
        f.orders = Orders(hold=f.place)  # the post is lost: hold where we are
        _stand(f, Posture.HOLD)
        return
    _go_or_attack(f, m, post)


def _reserve(f: Formation, m: QusayrModel, base: str) -> None:
    threat = _most_threatened(f, m)
    if threat is not None and threat != f.place:
        route = m.route(f, threat)
        if route is not None and not any(m.hostile(p, f.side) for p in route):
            _go(f, route, Posture.ADVANCE)
            return
    if threat is None and f.place != base and not m.hostile(base, f.side):
        route = m.route(f, base)
        if route:
            _go(f, route, Posture.ADVANCE)
            return
    _stand(f, Posture.RESERVE)
    if f.side == m.defender and threat is None:
        _maybe_counterattack(f, m)


def _raid(f: Formation, m: QusayrModel) -> None:
    """Wait at base until the raid starts; slip through to the road and lie in wait on it until the raid ends
    or the ambush is sprung; then walk off the road and go back to base, where the raid order becomes a hold."""
    raid = f.orders.raid
    road = frozenset(raid.road)
    if raid.from_day <= m.day <= raid.until_day and not f.engaged_ambush:
        if f.edge is not None:
            if frozenset(f.edge) == road:
                _stand(f, Posture.AMBUSH)  # wait where we are on the road
            return  # else still slipping through towards it
        if f.place in road:
            other = raid.road[1] if f.place == raid.road[0] else raid.road[0]
            f.set_edge(f.place, other, m.costs[f.unit_type][road] * 0.5)
            _stand(f, Posture.AMBUSH)
            return
        route = m.route_to_any(f, road, enemy_ground_cost=0.0)
        if route is not None:
            _go(f, route, Posture.RAID)
            return
    if f.edge is not None:
        if f.posture is Posture.AMBUSH:
            _go(f, [f.edge[1]], Posture.RAID)  # walk off the road to the end it faces, then home
        return
    if f.place == raid.base:
        if m.day > raid.until_day or f.engaged_ambush:
            f.orders = Orders(hold=raid.base)  # the raid is over
        _stand(f, Posture.HOLD)
        return
    route = m.route(f, raid.base, enemy_ground_cost=0.0)
    if route is not None:
        _go(f, route, Posture.RAID)
    else:
        f.orders = Orders(hold=f.place)  # cut off from base: hold where it stands
        _stand(f, Posture.HOLD)


# --------------------------------------------------------------------------- building blocks


def _stand(f: Formation, posture) -> None:
    f.path = []
    f.posture = posture


def _go(f: Formation, route: list[str], posture) -> None:
    f.path = list(route)
    f.posture = posture


def _go_or_attack(f: Formation, m: QusayrModel, goal: str) -> None:
    """Advance over friendly ground towards ``goal``; attack the first hostile place on the way when ready."""
    route = m.route(f, goal)
    if not route:
        _stand(f, Posture.HOLD)
        return
    hostile_at = next((i for i, p in enumerate(route) if m.hostile(p, f.side)), None)
    if hostile_at is None:
        _go(f, route, Posture.ADVANCE)
        return
    if hostile_at > 0:
        _go(f, route[:hostile_at], Posture.ADVANCE)
        return
    target = route[0]
    group = [g for g in m.at_place[f.place] if g.side == f.side and g.active and g.order_kind in ("axis", "move")
             and g.morale >= m.params.halt_morale and m.day >= g.rest_until and not g.path]
    if f not in group:
        group.append(f)
    if m.ready_to_attack(group, target):
        for g in group:
            _go(g, [target], Posture.ATTACK)
    else:
        _stand(f, Posture.HOLD)


def _most_threatened(f: Formation, m: QusayrModel) -> str | None:
    """The friendly place within reach under the heaviest threat (the objective first), if any."""
    best, best_score = None, 0.0
    for place in m.places_near(f.place, f.unit_type, m.params.reinforce_km):
        if m.control.get(place) != f.side:
            continue
        threat = m.threat_to(place, f.side)
        if threat <= 0:
            continue
        own = m.side_power_at(place, f.side) + 1.0
        score = threat / own * (2.0 if place == m.objective else 1.0)
        if score > best_score:
            best, best_score = place, score
    return best


def _maybe_counterattack(f: Formation, m: QusayrModel) -> None:
    """Defending side's local initiative: now and then retake lost ground next to it that is lightly held.

    Only ground the side held when the campaign began, and never leaving its own post open to another threat.
    """
    p = m.params
    if f.morale < 0.6 or f.supply < 0.5 or m.random.random() >= p.counterattack_chance * m.dt:
        return
    own = m.formation_power(f, attacking=True)
    enemy = m.enemy_of(f.side)
    others_here = any(g is not f for g in m.active_at(f.place, f.side))
    for place in m.adjacency[f.place]:
        if (m.control.get(place) != enemy or place not in m.initially_held[f.side]
                or m.road_blocked(f.place, place)):
            continue
        other_threats = any(m.active_at(q, enemy) for q in m.adjacency[f.place] if q != place)
        if other_threats and not others_here:
            continue
        defence = m.side_power_at(place, enemy)
        if defence == 0 or own >= p.counterattack_ratio * defence:
            _go(f, [place], Posture.ATTACK)
            return


def _withdraw_to_supply(f: Formation, m: QusayrModel, through_enemy: bool = False) -> None:
    """Fall back to supplied ground over friendly ground only; a break-out (``through_enemy``) fights its way."""
    cost = HOSTILE_ENTRY_PENALTY if through_enemy else math.inf
    route = m.route_to_any(f, m.supplied[f.side], enemy_ground_cost=cost)
    if route:
        _go(f, route, Posture.ADVANCE)
    else:
        _stand(f, Posture.HOLD)


def retreat_destination(f: Formation, m: QusayrModel) -> str | None:
    """Where a broken formation falls back to: a neighbouring place free of the enemy, best first.

    Own supplied ground beats own ground beats no-man's land beats an empty enemy-held place; the defending side
    falls back towards the objective, the attacking side towards where it came from.
    """
    here = f.place if f.place is not None else f.edge[0]
    options = []
    for place in m.adjacency[here]:
        if m.enemy_present(place, f.side) or m.road_blocked(here, place):
            continue
        holder = m.control.get(place)
        rank = (0 if place in m.supplied[f.side] else 1) if holder == f.side else (2 if holder is None else 3)
        # the defending side falls back towards the objective, the attacking side the way it came
        toward = m.hops_to_objective.get(place, 99) if f.side == m.defender else int(place != f.came_from)
        options.append((rank, toward, place))
    return min(options)[2] if options else None

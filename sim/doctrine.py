"""Orders and doctrine: what a formation means to do today, given its scenario orders and the situation.

Doctrine only decides: ``decide(formation, situation)`` reads a narrow, read-only ``Situation`` and returns an
``Intent`` (sim/states.py) that the model carries out; it never changes the formation, the model or the space.

Orders (from the scenario): an *axis* of objectives taken in turn; *hold* a place; stay in *reserve* at a
place; *move* to a place and hold it; *raid* a road between two days. Doctrine fills in what orders leave open,
one rule per function (each opens with "Rule:"; docs/model.md lists them):

- attack only with the wanted power ratio (ATP 5-0.2-1: 2.5:1 hasty, 3:1 deliberate), the whole group at the
  staging place together; pause to consolidate after a capture;
- siege before assault: the scenario's objective is stormed only once it is cut off from supply, unless the
  ratio is overwhelming (``direct_assault_ratio``);
- join an attack only steady (``halt_morale``), and in a fight press on until broken; withdraw to supplied ground
  when cut off;
- reserves reinforce the most threatened friendly place within reach (the objective weighs more);
- the defending side counterattacks lightly held places next to it, and a formation that lost its post holds
  where it fell back to; with ``breakout_when_cut`` its cut-off formations break out towards supplied ground;
- the attacker never leaves the taken objective empty, and with its axis done mops up the pocket around it;
- a formation that falls back goes to the best neighbouring place.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Protocol

from sim import combat
from sim.parameters import Parameters
from sim.scenario import Doctrine, UnitType
from sim.states import Intent, Posture

if TYPE_CHECKING:
    from sim.agents import Formation

HOLD = Intent(Posture.HOLD)
CALL_OFF = Intent(Posture.RETREAT, call_off=True)


class Ground(Protocol):
    """The read-only queries of the space (sim/space.py) that doctrine asks."""

    @property
    def objective(self) -> str: ...
    @property
    def control(self) -> Mapping[str, str | None]: ...
    @property
    def supplied(self) -> Mapping[str, frozenset[str]]: ...
    @property
    def adjacency(self) -> Mapping[str, tuple[str, ...]]: ...
    @property
    def hops_to_objective(self) -> Mapping[str, int]: ...
    @property
    def hops_to_town(self) -> Mapping[str, int]: ...
    @property
    def costs(self) -> Mapping[UnitType, Mapping[frozenset, float]]: ...
    @property
    def open_adjacency(self) -> Mapping[str, tuple[str, ...]]: ...
    @property
    def open_sets(self) -> Mapping[str, frozenset[str]]: ...
    def enemy_of(self, side: str) -> str: ...
    def active_at(self, place: str, side: str | None = None) -> list[Formation]: ...
    def enemy_present(self, place: str, side: str) -> bool: ...
    def hostile(self, place: str, side: str) -> bool: ...
    def road_blocked(self, a: str, b: str) -> bool: ...
    def route(self, f: Formation, goal: str, enemy_ground_cost: float | None = None) -> list[str] | None: ...
    def route_to_any(self, f: Formation, goals: frozenset[str],
                     enemy_ground_cost: float | None = None) -> list[str] | None: ...
    def places_near(self, start: str, unit_type: UnitType, km: float) -> list[str]: ...
    @property
    def objective_sectors(self) -> tuple[str, ...]: ...
    def town_share(self, side: str, town: str | None = None) -> float: ...
    def holds_whole(self, place: str, side: str) -> bool: ...
    def supplied_without(self, side: str, place: str, sources: Collection[str]) -> frozenset[str]: ...
    def sectors_of(self, place: str) -> tuple[str, ...]: ...


class Situation(Protocol):
    """What doctrine may know of the world: the day, the rules in force, the ground, and the forces on it."""

    @property
    def day(self) -> float: ...
    @property
    def dt(self) -> float: ...
    @property
    def params(self) -> Parameters: ...
    @property
    def doctrine(self) -> Doctrine: ...
    @property
    def attacker(self) -> str: ...
    @property
    def defender(self) -> str: ...
    @property
    def space(self) -> Ground: ...
    @property
    def initially_held(self) -> Mapping[str, frozenset[str]]: ...
    @property
    def ever_held(self) -> Mapping[str, set[str]]: ...
    @property
    def supply_sources(self) -> Mapping[str, tuple[str, ...]]: ...
    def formation_power(self, f: Formation, attacking: bool, at: str | None = None) -> float: ...
    def side_power_at(self, place: str, side: str) -> float: ...
    def side_power_with(self, place: str, f: Formation) -> float: ...
    def threat_to(self, place: str, side: str) -> float: ...
    @property
    def town_pressure_days(self) -> float: ...
    @property
    def town_last_stand_days(self) -> float: ...


def decide(f: Formation, s: Situation) -> Intent | None:
    """Rule: what ``f`` does today; None carries on as it is (on the march, or in a fight it does not call off)."""
    if f.order_kind == "raid":
        return _raid(f, s)  # raiders slip through: neither the road they are on nor enemies around stop them
    if f.edge is not None:
        return None  # keep marching
    here = f.place
    if f.side == s.defender and here in s.space.objective_sectors and abandons_town(f, s):
        way_out = withdraw_from_town(f, s)  # the last act, under assault too
        if way_out is not None:
            return way_out
    if s.space.enemy_present(here, f.side):
        if f.posture is Posture.RAID:
            return _follow_orders(f, s)  # a relief column slipping through: on its way, or fights if the town is lost
        if f.posture is Posture.ATTACK and combat.breaks(f.morale, s.params):
            return CALL_OFF
        return None  # the fight here goes on
    if f.posture is Posture.RETREAT and s.space.hostile(here, f.side):
        return fall_back_to_own_ground(f, s)
    if f.side == s.attacker and f.supply < s.params.withdraw_supply and here not in s.space.supplied[f.side]:
        return withdraw_to_supply(f, s)
    if f.side == s.defender and s.doctrine.breakout_when_cut and not f.in_supply:
        return withdraw_to_supply(f, s, through_enemy=True)  # break out of the pocket
    return _follow_orders(f, s)


def _follow_orders(f: Formation, s: Situation) -> Intent:
    kind = f.order_kind
    if kind == "axis":
        return _axis(f, s)
    if kind == "hold":
        return _hold(f, s, f.orders.hold)
    if kind == "reserve":
        return _reserve(f, s, f.orders.reserve)
    goal = f.orders.move
    relief = quarters_held(goal, f.side, s)
    if f.place == goal or f.place in relief:  # move: arrived (a relief column: in the town), so hold here
        return _stand_and_watch(f, s, Posture.HOLD, hold=f.place)
    if relief and not clear_route(f, relief, s):
        return break_in(f, s, relief)
    if not relief and goal in s.initially_held[f.side]:  # too late: its town has fallen
        return withdraw_to_the_rear(f, s) if town_lost(f, s) else _stand_and_watch(f, s, Posture.HOLD, hold=f.place)
    return go_or_attack(f, s, goal)


def quarters_held(town: str, side: str, s: Situation) -> frozenset[str]:
    """The places of ``town`` (its sectors, or itself) that ``side`` holds: where its own fall back to, and where
    a relief column ordered there goes."""
    return frozenset(p for p in s.space.sectors_of(town) if s.space.control.get(p) == side)


def break_in(f: Formation, s: Situation, posts: frozenset[str]) -> Intent:
    """Rule (a relief column): a formation ordered to a town its side still holds, with no way in over its own
    ground, slips through the enemy's lines to the nearest of ``posts`` by the shortest road, taking no ground
    and storming nothing on the way (the 30 May relief of 300 broke in through the army's lines at Shamsin;
    reinforcements got in in the town battle's last week: urban-combat notes 4d); the model makes it pay
    ``interdicted_move_loss`` on the way when the enemy's guns reach the route. It holds where it gets in; one
    that comes too late, its side's town all lost, holds where it stands."""
    route = s.space.route_to_any(f, posts, enemy_ground_cost=0.0)
    if not route:
        return HOLD
    return Intent(Posture.RAID, tuple(route), break_in=f.posture is not Posture.RAID)


# --------------------------------------------------------------------------- orders


def _axis(f: Formation, s: Situation) -> Intent:
    """Rule: take the axis's places in turn, pausing after a capture (``consolidation_pause``); with the axis done,
    the attacker goes for the objective, then mops up; the garrison of the taken objective stays."""
    space = s.space
    if s.day < f.rest_until:
        return HOLD
    if garrisons_objective(f, s):
        return HOLD  # never leave the taken objective empty
    goal = next((p for p in f.orders.axis if not space.holds_whole(p, f.side)), None)
    if goal is None and f.side == s.attacker:
        goal = space.objective if not space.holds_whole(space.objective, f.side) else mop_up_target(f, s)
    if goal is None:
        return withdraw_to_the_rear(f, s) if town_lost(f, s) else HOLD
    return go_or_attack(f, s, sector_to_take(f, s, goal))


def consolidation_pause(side: str, s: Situation) -> float:
    """Rule: after a capture the attacker consolidates ``consolidation_days`` before its next attack; once it holds
    the whole objective it pursues without a pause (the record: Dabaa, Salhiyeh, Masoudiyeh and al-Buwaydah fell
    on the three days after the town, against defenders who had fled there)."""
    return 0.0 if s.space.holds_whole(s.space.objective, side) else s.params.consolidation_days


def sector_to_take(f: Formation, s: Situation, goal: str) -> str:
    """Rule: going for the objective town, a formation goes for its nearest sector its side does not hold (by
    route, skirting enemy ground); any other goal stays as it is."""
    space = s.space
    if goal != space.objective or len(space.objective_sectors) == 1:
        return goal
    left = frozenset(p for p in space.objective_sectors if space.control.get(p) != f.side)
    route = space.route_to_any(f, left) if f.place not in left else None
    return route[-1] if route else goal if goal in left else min(left)


def garrisons_objective(f: Formation, s: Situation) -> bool:
    """Rule: the garrison of the objective its side holds (the whole of it, when the town has sectors: while the
    town is fought over, every formation fights) is the side's strongest formation in each of its sectors (most
    personnel, then id): one formation, the same whichever decides first, so two in a town never both leave it,
    no quarter is left empty to walk back into, and no group attack takes it along."""
    space = s.space
    if f.place not in space.objective_sectors or not space.holds_whole(space.objective, f.side):
        return False
    return max(space.active_at(f.place, f.side), key=lambda g: (g.personnel, g.fid)) is f


def mop_up_target(f: Formation, s: Situation) -> str | None:
    """Rule: with its axis done and the objective taken, the attacker pursues the enemy's main body: of the
    enemy-held places within ``mop_up_hops`` roads of the objective town (counted from its nearest quarter), the
    one where most of the enemy's men stand (the nearest if several), by the shortest road, the first enemy-held
    place on the way being today's target; an empty one next door it takes first (the record's pursuit followed
    the defenders who withdrew north towards al-Buwaydah, taking Dabaa, Salhiyeh, Masoudiyeh and al-Buwaydah on
    the three days after the town, one to three roads out). Never one of the enemy's supply sources: a source
    stands for country off the map (Lebanon, the Homs countryside, east of the M5), not a place to clear."""
    space = s.space
    enemy = space.enemy_of(f.side)
    sources = s.supply_sources[enemy]
    pocket = [p for p, hops in space.hops_to_town.items()
              if hops <= s.params.mop_up_hops and space.control.get(p) == enemy and p not in sources]
    men = {p: sum(g.personnel for g in space.side_at[enemy].get(p, ())) for p in pocket}
    empty_next_door = [p for p in space.adjacency[f.place] if men.get(p) == 0]
    if empty_next_door:
        return min(empty_next_door)
    most = max(men.values(), default=0)
    route = space.route_to_any(f, frozenset(p for p in pocket if men[p] == most), enemy_ground_cost=0.0)
    return next(p for p in route if space.control.get(p) == enemy) if route else None


def _hold(f: Formation, s: Situation, post: str) -> Intent:
    """Rule: hold the post; go back to it if away (a break-out from the town slips on through the enemy's lines,
    ``withdraw_from_town``), unless the enemy has it (then ``fall_back_on_the_town``, or with the town lost
    ``withdraw_to_the_rear``); a broken formation (morale below ``morale_break``) re-forms where it fell back to
    before it goes back."""
    if f.place == post:
        return _stand_and_watch(f, s, Posture.HOLD)
    if f.posture is Posture.RAID:
        return break_in(f, s, frozenset({post}))  # a break-out from the town on its way: it slips on through
    lost = s.space.hostile(post, f.side)
    if lost and town_lost(f, s):
        return withdraw_to_the_rear(f, s)
    if combat.breaks(f.morale, s.params):
        return _stand_and_watch(f, s, Posture.HOLD)
    if lost:
        return fall_back_on_the_town(f, s)
    return go_or_attack(f, s, post)


def fall_back_on_the_town(f: Formation, s: Situation) -> Intent:
    """Rule: a defending formation whose post is lost falls back on the objective town, to the nearest quarter its
    side holds, over its own ground, and holds that quarter (the villages' fighters joined the town's defence:
    by 24 May the rebels were confined to the triangle Arjoun - al-Dab'a - northern al-Qusayr, and the town battle
    was fought by most of the 1,900); the attacker, or a defender who cannot get there, holds where it stands."""
    held = quarters_held(s.space.objective, f.side, s)
    route = clear_route(f, held, s) if f.side == s.defender and f.place not in held else None
    if not route:
        return Intent(Posture.HOLD, hold=f.place)
    return Intent(Posture.ADVANCE, tuple(route), hold=route[-1])


def town_lost(f: Formation, s: Situation) -> bool:
    """Whether ``f`` defends and its side holds no quarter of the objective town any more."""
    return f.side == s.defender and not quarters_held(s.space.objective, f.side, s)


def withdraw_to_the_rear(f: Formation, s: Situation) -> Intent:
    """Rule: a defending formation whose post is lost, with no quarter of the objective town left to its side,
    falls back over its own ground to the nearest of ``rear_places`` and holds it, broken or not (a rout does not
    wait to re-form); with none it can reach, it holds where it stands."""
    rear = rear_places(f, s)
    route = clear_route(f, rear, s) if f.place not in rear else None
    if not route:
        return Intent(Posture.HOLD, hold=f.place)
    return Intent(Posture.RETREAT, tuple(route), hold=route[-1])


def rear_places(f: Formation, s: Situation) -> frozenset[str]:
    """The places ``f``'s side holds nearest the way out of the pocket, the fewest roads from one of its supply
    sources (not the sources: country off the map), among those it can reach over its own ground: the record's
    defenders, the town lost, withdrew north through Dabaa, and "most rebels from al-Qusayr had retreated" to
    al-Buwaydah, next to the road out, by the next day, leaving a few in Dabaa and the orchards (5-6 June)."""
    space, sources = s.space, s.supply_sources[f.side]
    hops = space.hops_to_sources[f.side]
    held = [p for p, holder in space.control.items() if holder == f.side and p not in sources and p in hops]
    for level in sorted({hops[p] for p in held}):
        rear = frozenset(p for p in held if hops[p] == level)
        if f.place in rear or clear_route(f, rear, s):
            return rear
    return frozenset()


def clear_route(f: Formation, goals: frozenset[str], s: Situation,
                enemy_ground_cost: float | None = math.inf) -> list[str] | None:
    """The cheapest route to the nearest of ``goals`` that no enemy formation stands on (entering enemy-held
    ground costs ``enemy_ground_cost``, as in ``route_to_any``: by default it may not be crossed); None when
    there is none."""
    space = s.space
    route = space.route_to_any(f, goals, enemy_ground_cost=enemy_ground_cost) if goals else None
    return route if route and not any(space.enemy_present(p, f.side) for p in route) else None


def _reserve(f: Formation, s: Situation, base: str) -> Intent:
    """Rule: a reserve reinforces the most threatened friendly place within reach over friendly ground, else
    returns to its base; a defending reserve with no threat about may counterattack."""
    space = s.space
    threat = most_threatened(f, s)
    if threat is not None and threat != f.place:
        route = space.route(f, threat)
        if route is not None and not any(space.hostile(p, f.side) for p in route):
            return Intent(Posture.ADVANCE, tuple(route))
    if threat is None and f.place != base and not space.hostile(base, f.side):
        route = space.route(f, base)
        if route:
            return Intent(Posture.ADVANCE, tuple(route))
    if threat is None:
        return _stand_and_watch(f, s, Posture.RESERVE)
    return Intent(Posture.RESERVE)


def _raid(f: Formation, s: Situation) -> Intent | None:
    """Rule: a raider waits at base until the raid starts; slips through to the road and lies in wait on it
    (at ``ambush_position``) until the raid ends or the ambush is sprung; then walks off the road and goes back
    to base, where the raid order becomes a hold."""
    raid = f.orders.raid
    road = frozenset(raid.road)
    if raid.from_day <= s.day <= raid.until_day and not f.engaged_ambush:
        if f.edge is not None:
            return Intent(Posture.AMBUSH) if frozenset(f.edge) == road else None  # wait, or keep slipping through
        if f.place in road:
            other = raid.road[1] if f.place == raid.road[0] else raid.road[0]
            position = s.space.costs[f.unit_type][road] * s.params.ambush_position
            return Intent(Posture.AMBUSH, enter_road=(f.place, other, position))
        route = s.space.route_to_any(f, road, enemy_ground_cost=0.0)
        if route is not None:
            return Intent(Posture.RAID, tuple(route))
    if f.edge is not None:
        if f.posture is Posture.AMBUSH:
            return Intent(Posture.RAID, (f.edge[1],))  # walk off the road to the end it faces, then home
        return None
    if f.place == raid.base:
        over = s.day > raid.until_day or f.engaged_ambush
        return Intent(Posture.HOLD, hold=raid.base if over else None)
    route = s.space.route(f, raid.base, enemy_ground_cost=0.0)
    if route is not None:
        return Intent(Posture.RAID, tuple(route))
    return Intent(Posture.HOLD, hold=f.place)  # cut off from base: hold where it stands


# --------------------------------------------------------------------------- building blocks


def go_or_attack(f: Formation, s: Situation, goal: str) -> Intent:
    """Rule: advance over friendly ground towards ``goal``; at the first hostile place on the way, attack it with
    every ready formation of the same orders at the staging place together, if they have the ratio; else hold."""
    space = s.space
    route = space.route(f, goal)
    if not route:
        return HOLD
    hostile_at = next((i for i, p in enumerate(route) if space.hostile(p, f.side)), None)
    if hostile_at is None:
        return Intent(Posture.ADVANCE, tuple(route))
    if hostile_at > 0:
        return Intent(Posture.ADVANCE, tuple(route[:hostile_at]))
    target = route[0]
    group = [g for place in staging_places(f, target, s) for g in space.active_at(place)
             if g.side == f.side and joins_an_attack(g, s)]
    if f not in group:
        group.append(f)
    if ready_to_attack(group, target, s) or ready_to_storm(f.side, target, s):
        return Intent(Posture.ATTACK, (target,), group=tuple(g.fid for g in group))
    return HOLD


def joins_an_attack(g: Formation, s: Situation) -> bool:
    """Whether ``g`` is free to join an attack: active, on axis or move orders, steady, rested, not on the march
    and not the objective's garrison."""
    return (g.active and g.order_kind in ("axis", "move") and combat.steady(g.morale, s.params)
            and s.day >= g.rest_until and not g.path and not garrisons_objective(g, s))


def ready_to_storm(side: str, target: str, s: Situation) -> bool:
    """Rule (the storm from several directions): from the doctrine's ``storm_from_day`` (siege before assault),
    the attacker's formations free to attack in and around the objective town go into its sectors together once
    they number ``storm_headcount_ratio`` men to each defender in it, as one battle is fought there
    (``engagements._storm``): the record's town was "stormed from several directions" on 19 May, not one quarter
    at a time, its assault troops about one to one with the defenders; a dated decision is reckoned in men, not
    in the power the fight will show."""
    space, rules = s.space, s.doctrine
    if (not rules.siege_before_assault or rules.storm_from_day is None or s.day < rules.storm_from_day
            or side != s.attacker or target not in space.objective_sectors):
        return False
    enemy_at = space.side_at[space.enemy_of(side)]
    defenders = sum(f.personnel for p in space.objective_sectors for f in enemy_at.get(p, ()))
    storming = sum(g.personnel for p in space.objective_surroundings for g in space.active_at(p)
                   if g.side == side and joins_an_attack(g, s))
    return storming >= s.params.storm_headcount_ratio * defenders


def staging_places(f: Formation, target: str, s: Situation) -> tuple[str, ...]:
    """Rule: a group attack gathers at ``f``'s place; on a sector of the objective town it also takes in the
    side's formations in the town's other sectors next to the target (a converging assault, street by street)."""
    space = s.space
    if target not in space.objective_sectors:
        return (f.place,)
    return (f.place, *(p for p in space.adjacency[target] if p != f.place and p in space.objective_sectors
                       and space.control.get(p) == f.side and not space.road_blocked(p, target)))


def assault_ratio_needed(target: str, side: str, s: Situation) -> float:
    """Rule: the power ratio wanted before attacking: ``attack_ratio``; for the attacker storming the objective
    ``assault_ratio_objective``, but while it is still supplied and doctrine says siege before assault,
    ``direct_assault_ratio``. A dated decision to storm (the doctrine's ``storm_from_day``, with siege before
    assault) decides instead: from that day the objective is stormed at ``storm_ratio``, cut off or not, and
    before it only at ``direct_assault_ratio`` (the record: the ring closed about 5 May, the storm came on 19 May,
    its assault troops about one to one with the defenders). The defender retaking its own objective
    counterattacks at the ordinary ``attack_ratio``: the siege rules are the attacker's."""
    p, space, rules = s.params, s.space, s.doctrine
    if target not in space.objective_sectors or side != s.attacker:
        return p.attack_ratio
    if rules.siege_before_assault:
        if rules.storm_from_day is not None:
            return p.storm_ratio if s.day >= rules.storm_from_day else p.direct_assault_ratio
        if target in space.supplied[space.enemy_of(side)]:
            return p.direct_assault_ratio
    return p.assault_ratio_objective


def ready_to_attack(group: list[Formation], target: str, s: Situation) -> bool:
    """Rule: go when the group's attacking power reaches the wanted ratio to the target's defence (an empty
    place is always a go); the defence of a sector of the objective town counts the enemy in the town's sectors
    next to it too (``town_defence``)."""
    enemy = s.space.enemy_of(group[0].side)
    at_target = s.side_power_at(target, enemy)
    if at_target <= 0:
        return True
    defence = town_defence(target, enemy, s, at_target)
    power = sum(s.formation_power(g, attacking=True) for g in group)
    return power >= assault_ratio_needed(target, group[0].side, s) * defence


def town_defence(target: str, side: str, s: Situation, at_target: float | None = None) -> float:
    """Rule: the defence an attacker reckons with at ``target``: ``side``'s power in it and, for a sector of the
    objective town, in the town's sectors next to it that ``side`` holds, whose defenders reach it within hours.
    ``at_target``: ``side``'s power in ``target``, when the caller has weighed it already."""
    space = s.space
    defence = s.side_power_at(target, side) if at_target is None else at_target
    if target in space.objective_sectors:
        for p in space.adjacency[target]:  # (added in the same order as ever: the same total)
            if p in space.objective_sectors and space.control.get(p) == side:
                defence += s.side_power_at(p, side)
    return defence


def most_threatened(f: Formation, s: Situation) -> str | None:
    """Rule: the friendly place within ``reinforce_km`` under the heaviest threat for its defence (enemy attacking
    power next to it over own power in it with ``f`` there: ``side_power_with``, whichever place ``f`` stands in),
    the objective's threat weighing ``objective_threat_weight`` times."""
    best, best_score = None, 0.0
    space = s.space
    for place in space.places_near(f.place, f.unit_type, s.params.reinforce_km):
        if space.control.get(place) != f.side:
            continue
        threat = s.threat_to(place, f.side)
        if threat <= 0:
            continue
        own = s.side_power_with(place, f) + 1.0
        score = threat / own * (s.params.objective_threat_weight if place in space.objective_sectors else 1.0)
        if score > best_score:
            best, best_score = place, score
    return best


def _stand_and_watch(f: Formation, s: Situation, posture: Posture, hold: str | None = None) -> Intent:
    """Stand in ``posture``; a defending formation may seize a chance to counterattack."""
    roll = counterattack_chance(f, s) if f.side == s.defender else None
    return _standing(posture, hold, roll)


@functools.lru_cache(maxsize=1024)
def _standing(posture: Posture, hold: str | None, roll: float | None) -> Intent:
    """``Intent(posture, hold=hold, counterattack_roll=roll)``, made once (an Intent is immutable): most formations
    stand and watch most days."""
    return Intent(posture, hold=hold, counterattack_roll=roll)


def counterattack_chance(f: Formation, s: Situation) -> float | None:
    """Rule: a defending formation standing at its post (or a reserve with no threat about) with at least
    ``counterattack_morale`` and ``counterattack_supply`` counterattacks with daily chance
    ``counterattack_chance``; None when it is not eligible (the model then does not roll). A formation ordered
    to hold the objective never counterattacks: it holds the objective."""
    p = s.params
    if (f.order_kind == "hold" and f.orders.hold in s.space.objective_sectors) or f.morale < p.counterattack_morale \
            or f.supply < p.counterattack_supply:
        return None
    return p.counterattack_chance * s.dt


def counterattack_target(f: Formation, s: Situation) -> str | None:
    """Rule: the local counterattack's target: a neighbouring place the enemy took from the side's starting
    ground, open by road, that ``f`` alone outguns by ``counterattack_ratio`` (or that is empty), never leaving
    its own post open to another threat, and never into the objective town once its side is giving it up
    (``abandons_town``)."""
    space = s.space
    own = s.formation_power(f, attacking=True)
    enemy = space.enemy_of(f.side)
    others_here = any(g is not f for g in space.active_at(f.place, f.side))
    giving_up = f.side == s.defender and abandons_town(f, s)
    for place in space.adjacency[f.place]:
        if (space.control.get(place) != enemy or place not in s.initially_held[f.side]
                or space.road_blocked(f.place, place) or giving_up and place in space.objective_sectors):
            continue
        other_threats = any(space.active_at(q, enemy) for q in space.adjacency[f.place] if q != place)
        if other_threats and not others_here:
            continue
        if own >= s.params.counterattack_ratio * s.side_power_at(place, enemy):  # (any power outguns an empty place)
            return place
    return None


def abandons_town(f: Formation, s: Situation) -> bool:
    """Rule (the defenders' last act): the defenders of the objective town give it up once they hold none of it,
    once they have held at most ``town_withdraw_share`` of it for ``town_withdraw_days`` days in a row
    (``town_last_stand_days``: the record's rebels, down to the north about 28 May, voted to leave on 3 June),
    when their supply falls below ``town_withdraw_supply``, or, while still supplied, when they have stood
    outnumbered ``pullout_ratio`` to one in and around the town for ``pullout_days`` days (``town_pressure_days``;
    both counts kept by the model)."""
    p = s.params
    share = s.space.town_share(f.side)
    return (share == 0.0 or share <= p.town_withdraw_share and s.town_last_stand_days >= p.town_withdraw_days
            or f.supply < p.town_withdraw_supply or (f.in_supply and s.town_pressure_days >= p.pullout_days))


def withdraw_from_town(f: Formation, s: Situation) -> Intent | None:
    """Rule: the organised withdrawal from the objective town goes along the last open route (no enemy-held
    place on it, no enemy standing in it) to the nearest place outside the town its side holds, supplied
    ones first, and holds there, whether or not it is under assault where it stands. With no open route the
    defenders break out: they slip through the enemy's lines by the shortest road to that place, taking
    nothing on the way (the record's last act: the escapers went north on foot, off the roads, through a ring
    that leaked both ways, urban-combat notes 4d and 6). None (fight on where they stand) only when their side
    holds nothing outside the town."""
    space = s.space
    outside = frozenset(p for p, c in space.control.items() if c == f.side and p not in space.objective_sectors)
    supplied_first = (outside & space.supplied[f.side], outside)
    for goals in supplied_first:
        route = clear_route(f, goals, s)
        if route:
            return Intent(Posture.RETREAT, tuple(route), hold=route[-1], withdraw=True)
    for goals in supplied_first:
        route = space.route_to_any(f, goals, enemy_ground_cost=0.0) if goals else None
        if route:
            return Intent(Posture.RAID, tuple(route), hold=route[-1], withdraw=True)
    return None


def withdraw_to_supply(f: Formation, s: Situation, through_enemy: bool = False) -> Intent:
    """Rule: an attacking formation low on supply and cut off falls back to supplied ground over friendly ground
    only; a defender's break-out (``through_enemy``) may fight its way through."""
    cost = s.params.hostile_entry_penalty if through_enemy else math.inf
    route = s.space.route_to_any(f, s.space.supplied[f.side], enemy_ground_cost=cost)
    if route:
        return Intent(Posture.ADVANCE, tuple(route))
    return HOLD


def retreat_destination(f: Formation, s: Situation) -> str | None:
    """Rule: a formation that falls back goes to the best neighbouring place free of the enemy, by open road:
    own ground in supply without the place it leaves beats other own ground beats no-man's land beats an empty
    enemy-held place (which it passes through, taking nothing: see ``sim.ground.update_control``); ties go
    towards the objective for the defending side, and back the way it came for the attacking side. A defender
    leaving a quarter of the objective town goes into another quarter its side holds before anything else (the
    record's defenders were driven into the north of the town, not scattered over the villages)."""
    space = s.space
    here = f.place if f.place is not None else f.edge[0]
    # the place it leaves may be lost: supply that reaches a neighbour only through it does not count
    supplied = space.supplied_without(f.side, here, s.supply_sources[f.side])
    in_town = f.side == s.defender and here in space.objective_sectors
    options = []
    for place in space.adjacency[here]:
        if space.enemy_present(place, f.side) or space.road_blocked(here, place):
            continue
        holder = space.control.get(place)
        rank = (0 if place in supplied else 1) if holder == f.side else (2 if holder is None else 3)
        if in_town and holder == f.side and place in space.objective_sectors:
            rank = -1
        toward = space.hops_to_objective.get(place, 99) if f.side == s.defender else int(place != f.came_from)
        options.append((rank, toward, place))
    return min(options)[2] if options else None



def retreat_route(f: Formation, s: Situation) -> list[str] | None:
    """Rule: a formation that falls back goes one road, to ``retreat_destination``; but a defender pushed out of
    the objective town, with no quarter of it to fall back into, leaves the way the organised withdrawal does
    (``withdraw_from_town``'s open route, all of it), not into the next village: the record's rebels, the town
    lost, withdrew north through Dabaa, and most had reached al-Buwaydah by the next day (5-6 June). None: no
    way out."""
    dest = retreat_destination(f, s)
    town = s.space.objective_sectors
    if dest is None or f.side != s.defender or f.place not in town or dest in town:
        return None if dest is None else [dest]
    way = withdraw_from_town(f, s)
    return list(way.path) if way is not None and way.posture is Posture.RETREAT and way.path else [dest]


def fall_back_to_own_ground(f: Formation, s: Situation) -> Intent:
    """Rule: a broken formation that fell back onto empty enemy-held ground goes on to its side's nearest own
    ground, passing through enemy-held places nobody stands in and taking nothing; with none it can reach, it
    stops falling back and holds where it is."""
    own = frozenset(p for p, c in s.space.control.items() if c == f.side)
    route = clear_route(f, own, s, enemy_ground_cost=None)
    if route:
        return Intent(Posture.RETREAT, tuple(route))
    return Intent(Posture.HOLD, hold=f.place)


def picket_for(place: str, side: str, s: Situation) -> Formation | None:
    """Rule (zone of control, with the doctrine's ``pickets``): an enemy who walks into an empty place ``side``
    holds is met by ``side``'s strongest formation next door (by open road) that is free and fit to move: not in
    the objective, not in a fight, not falling back or raiding, with no enemy in its own place, and with the
    morale and supply of a counterattack (``counterattack_morale``, ``counterattack_supply``), and never into the
    objective town once its side is giving it up (``abandons_town``). None when no one is: then the place is taken
    unopposed."""
    space, p = s.space, s.params
    into_town = place in space.objective_sectors and side == s.defender
    free = [g for q in space.adjacency[place] if q not in space.objective_sectors and not space.road_blocked(place, q)
            and not space.enemy_present(q, side) for g in space.active_at(q, side)
            if not g.engaged and g.posture not in (Posture.RETREAT, Posture.RAID)
            and g.morale >= p.counterattack_morale and g.supply >= p.counterattack_supply
            and not (into_town and abandons_town(g, s))]
    return max(free, key=lambda g: (g.personnel, g.fid)) if free else None


def detachment_for(f: Formation, intent: Intent, s: Situation) -> int:
    """Rule (held ground): a formation on an axis that sets out from ground it took (or took back: home ground the
    enemy never held needs none) that matters leaves a detachment of ``detachment_share`` of its personnel to
    hold it, when no other formation of its side stands there: a place
    matters when at least ``detachment_crossroads`` roads meet there or it is next to one of the enemy's supply
    sources (a supply gateway). Never from any quarter of the objective (its garrison holds it once all of it is
    taken; while it is fought over the assault needs every man), never a detachment smaller
    than ``detachment_min``. Returns the men to leave (0: none)."""
    space, p = s.space, s.params
    here = f.place
    if (f.order_kind != "axis" or here is None or not intent.path or intent.path[0] == here
            or here in space.objective_sectors or space.control.get(here) != f.side
            or s.ever_held.get(here, set()) <= {f.side} and here in s.initially_held[f.side]
            or any(g is not f for g in space.active_at(here, f.side))):
        return 0
    roads = space.adjacency[here]
    gateway = any(source in roads for source in s.supply_sources[space.enemy_of(f.side)])
    if len(roads) < p.detachment_crossroads and not gateway:
        return 0
    men = int(f.personnel * p.detachment_share)
    return men if men >= p.detachment_min else 0

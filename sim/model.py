"""The Mesa model: wires one step of the campaign together.

A step is ``step_days`` of calendar time: trace each side's supply; every formation decides (in random order),
then marches; engagements are fought on roads and in places; places held without opposition change hands;
formations out of combat recover; the day is recorded. Arrivals are dated events (``schedule_event``): a
formation arrives at the end of its arrival day and acts from the next step.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import deque
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim import combat, doctrine
from sim.agents import Formation
from sim.events import Event, EventKind, casualty_text, format_date
from sim.movement import HOSTILE_ENTRY_PENALTY, Costs, road_costs, road_neighbours, shortest_route
from sim.scenario import Scenario, UnitType
from sim.states import EngagementKind, Losses, Posture, Status
from sim.supply import next_supply_level, open_places, supplied_places

ROUTE_CACHE_LIMIT = 100_000  # routes remembered per scenario before the cache starts afresh


@dataclass
class RoadTables:
    """What a scenario's roads and terrain give every run: computed once per scenario in a process.

    Routes and reach are pure functions of the roads (and, for routes, of the enemy's ground), so all runs of a
    scenario share their memo tables: replicates meet the same situations again and again.
    """

    adjacency: dict[str, tuple[str, ...]]
    blocked: set[frozenset]
    costs: dict[UnitType, Costs]
    neighbours: dict[UnitType, dict[str, list[tuple[str, float]]]]
    open_adjacency: dict[str, tuple[str, ...]]
    defence: dict[str, float]
    routes: dict[tuple, tuple[str, ...] | None] = field(default_factory=dict)
    near: dict[tuple, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> RoadTables:
        tables = _TABLES.get(scenario)
        if tables is None:
            tables = _TABLES[scenario] = cls.build(scenario)
        if len(tables.routes) > ROUTE_CACHE_LIMIT:
            tables.routes.clear()
        return tables

    @classmethod
    def build(cls, scenario: Scenario) -> RoadTables:
        graph, params, spec = scenario.graph, scenario.params, scenario.spec
        adjacency = {n: tuple(sorted(graph.neighbors(n))) for n in graph}
        blocked = {frozenset(r) for r in spec.blocked_roads}
        costs = {t: road_costs(graph, params.march_km_per_day[t], params, blocked) for t in UnitType}
        return cls(
            adjacency=adjacency, blocked=blocked, costs=costs,
            neighbours={t: road_neighbours(adjacency, costs[t]) for t in UnitType},
            open_adjacency={a: tuple(b for b in nbrs if frozenset((a, b)) not in blocked)
                            for a, nbrs in adjacency.items()},
            defence={p: combat.defence_multiplier(graph.nodes[p]["defence"], spec.fortifications.get(p, 0.0), params)
                     for p in graph})


_TABLES: weakref.WeakKeyDictionary[Scenario, RoadTables] = weakref.WeakKeyDictionary()


class QusayrModel(mesa.Model):
    """One run of a scenario; a pure function of (scenario, rng seed)."""

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence | None = None) -> None:
        super().__init__(rng=rng)
        spec = scenario.spec
        self.campaign = scenario  # (Mesa reserves model.scenario)
        self.spec = spec
        self.params = scenario.params
        self.graph = scenario.graph
        self.dt = spec.step_days
        self.days = scenario.days
        self.day = 0.0
        self.start_date = spec.start_date
        self.objective = spec.objective
        self.attacker, self.defender = scenario.attacker, scenario.defender
        self.places = tuple(self.graph.nodes)
        tables = RoadTables.of(scenario)
        self.adjacency = tables.adjacency
        self.blocked = tables.blocked
        self.costs = tables.costs
        self.neighbours = tables.neighbours
        self.open_adjacency = tables.open_adjacency
        self.defence = tables.defence
        self._near = tables.near
        self._routes = tables.routes
        self.support = {name: combat.support_multiplier(s.fires.artillery, s.fires.air, self.params)
                        for name, s in spec.sides.items()}
        self.hops_to_objective = self._hops_from(self.objective)
        self._enemy_ground: dict[str, frozenset[str]] = {}
        self._date_text = (self.start_date.isoformat(), format_date(self.start_date))
        self.at_place: dict[str, list[Formation]] = {}
        self.on_road: dict[frozenset, list[Formation]] = {}
        self.control: dict[str, str | None] = dict.fromkeys(self.places)
        self.holder_name: dict[str, str] = {}
        for side_id, side in spec.sides.items():
            for place in side.holds:
                self.control[place] = side_id
                self.holder_name[place] = side.name
        self.ever_held = {p: {c} for p, c in self.control.items() if c is not None}
        self.initially_held: dict[str, frozenset[str]] = {}
        self.assault_start: dict[str, float] = {}
        self.fight_losses: dict[str, list[int]] = {}  # place -> [att killed, att wounded, def killed, def wounded]
        self.events: list[Event] = []
        self.human_orders: dict = {}  # formation id -> a player's command (sim/play.py) that replaces doctrine
        self.adjudications: list[dict] | None = None  # set to [] to record every engagement's numbers
        self.captures: list[dict] = []
        self.supplied: dict[str, frozenset[str]] = {}
        self.open_sets: dict[str, frozenset[str]] = {}
        self.objective_supplied = True
        self.initial_personnel = dict.fromkeys(spec.factions, 0)
        self.arrived_personnel = dict.fromkeys(spec.factions, 0)
        self.faction_side = {fid: f.side for fid, f in spec.factions.items()}
        for fs in spec.formations:
            faction = spec.factions[fs.faction]
            f = Formation(self, fs, faction.side, faction.name)
            if fs.arrival_day <= 0:
                f.status = Status.ACTIVE
                f.set_place(fs.at)
                self.initial_personnel[fs.faction] += fs.personnel
                if self.control[fs.at] is None:
                    self.control[fs.at] = f.side
                    self.ever_held[fs.at] = {f.side}
                self.holder_name.setdefault(fs.at, f.label)
            else:
                self.schedule_event(f.arrive, at=fs.arrival_day / self.dt)
        self.initially_held = {side: frozenset(p for p, c in self.control.items() if c == side)
                               for side in spec.sides}
        self._trace_supply(log=False)

    # ------------------------------------------------------------------ queries used by doctrine and movement
    def place_name(self, place: str) -> str:
        return self.graph.nodes[place]["name"]

    def enemy_of(self, side: str) -> str:
        return self.defender if side == self.attacker else self.attacker

    def formations(self) -> list[Formation]:
        return list(self.agents_by_type.get(Formation, []))

    def active_at(self, place: str, side: str | None = None) -> list[Formation]:
        return [f for f in self.at_place.get(place, ()) if side is None or f.side == side]

    def enemy_present(self, place: str, side: str) -> bool:
        return any(f.side != side and f.posture is not Posture.RAID for f in self.at_place.get(place, ()))

    def hostile(self, place: str, side: str) -> bool:
        return self.control.get(place) == self.enemy_of(side) or self.enemy_present(place, side)

    def road_blocked(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.blocked

    def ambush_on(self, edge: tuple[str, str], side: str) -> Formation | None:
        for f in self.on_road.get(frozenset(edge), ()):
            if f.side != side and f.posture is Posture.AMBUSH:
                return f
        return None

    def formation_power(self, f: Formation, attacking: bool) -> float:
        power = combat.combat_power(f.personnel, f.tanks, self.params.type_value[f.unit_type], f.quality,
                                    f.morale, f.supply, self.params)
        if attacking:
            return power * self.support[f.side]
        if f.place is not None and self.control.get(f.place) == f.side:
            return power * self.defence[f.place]
        return power

    def side_power_at(self, place: str, side: str) -> float:
        """Defensive power of a side's formations standing in a place."""
        return sum(self.formation_power(f, attacking=False) for f in self.active_at(place, side))

    def threat_to(self, place: str, side: str) -> float:
        """Enemy attacking power in or next to a place."""
        enemy = self.enemy_of(side)
        near = (place, *self.adjacency[place])
        return sum(self.formation_power(f, attacking=True) for p in near for f in self.active_at(p, enemy))

    def ready_to_attack(self, group: list[Formation], target: str) -> bool:
        """Doctrine's go/no-go: does the group have the power ratio it wants against the target?"""
        enemy = self.enemy_of(group[0].side)
        defence = self.side_power_at(target, enemy)
        if defence <= 0:
            return True
        need = self.params.attack_ratio
        if target == self.objective:
            need = self.params.assault_ratio_objective
            if self.spec.doctrine.siege_before_assault and target in self.supplied[enemy]:
                need = self.params.direct_assault_ratio
        return sum(self.formation_power(g, attacking=True) for g in group) >= need * defence

    def route(self, f: Formation, goal: str, enemy_ground_cost: float = HOSTILE_ENTRY_PENALTY) -> list[str] | None:
        """Cheapest route for ``f`` to ``goal``, skirting enemy-held places where it can (a fresh list)."""
        return self.route_to_any(f, frozenset((goal,)), enemy_ground_cost)

    def route_to_any(self, f: Formation, goals: frozenset[str],
                     enemy_ground_cost: float = HOSTILE_ENTRY_PENALTY) -> list[str] | None:
        """Cheapest route to the nearest of ``goals``; entering an enemy-held place costs ``enemy_ground_cost``
        march-km (0 for raiders who slip through, inf for a withdrawal that must not cross enemy ground).

        Memoised on the enemy's ground, which changes only with captures.
        """
        start = f.place if f.place is not None else f.edge[1]
        enemy_ground = self._enemy_ground.get(f.side)
        if enemy_ground is None:
            enemy = self.enemy_of(f.side)
            enemy_ground = self._enemy_ground[f.side] = frozenset(p for p, c in self.control.items() if c == enemy)
        key = (f.unit_type, start, goals, enemy_ground_cost, enemy_ground)
        if key not in self._routes:
            found = shortest_route(self.neighbours[f.unit_type], start, goals,
                                   lambda p: enemy_ground_cost if p in enemy_ground else 0.0)
            self._routes[key] = None if found is None else tuple(found)
        found = self._routes[key]
        return None if found is None else list(found)

    def places_near(self, start: str, unit_type: UnitType, km: float) -> list[str]:
        """Places within ``km`` march-km of ``start`` (including it), nearest first (roads never change)."""
        key = (start, unit_type, km)
        if key not in self._near:
            self._near[key] = self._places_near(start, unit_type, km)
        return self._near[key]

    def _places_near(self, start: str, unit_type: UnitType, km: float) -> list[str]:
        best = {start: 0.0}
        order = [start]
        frontier = deque([start])
        while frontier:
            node = frontier.popleft()
            for nxt, road in self.neighbours[unit_type][node]:
                d = best[node] + road
                if d <= km and d < best.get(nxt, float("inf")):
                    if nxt not in best:
                        order.append(nxt)
                    best[nxt] = d
                    frontier.append(nxt)
        return sorted(order, key=lambda p: (best[p], p))

    def _hops_from(self, source: str) -> dict[str, int]:
        hops = {source: 0}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for nxt in self.adjacency[node]:
                if nxt not in hops:
                    hops[nxt] = hops[node] + 1
                    queue.append(nxt)
        return hops

    @property
    def date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.day)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        self.day = self.time * self.dt
        self._date_text = (self.date.isoformat(), format_date(self.date))
        self._trace_supply(log=True)
        active = self.agents_by_type[Formation].select(lambda f: f.active)
        for f in active:
            f.engaged = False
        active.shuffle_do("decide")
        active.shuffle_do("move")
        self._fight()
        self._update_control()
        self._recover()
        if self.day >= self.days - 1e-9:
            self.running = False

    def on_arrival(self, f: Formation) -> None:
        self.arrived_personnel[f.faction] += f.personnel
        self.log(EventKind.ARRIVAL, f"{f.label} arrived at {self.place_name(f.home)} "
                 f"with {f.personnel:,} men" + (f" and {f.tanks} tanks" if f.tanks else ""),
                 place=f.home, formation=f)

    # ------------------------------------------------------------------ supply
    def _trace_supply(self, log: bool) -> None:
        present: dict[str, set[str]] = {}
        for place, fs in self.at_place.items():
            for f in fs:
                if f.posture is not Posture.RAID:
                    present.setdefault(place, set()).add(f.side)
        self.present_sides = present
        for side_id, side in self.spec.sides.items():
            self.open_sets[side_id] = open_places(self.places, self.control, side_id, present)
            self.supplied[side_id] = supplied_places(self.open_adjacency, self.open_sets[side_id],
                                                     side.supply_sources)
        cut = self.objective not in self.supplied[self.defender]
        if log and cut == self.objective_supplied:
            kind = EventKind.OBJECTIVE_CUT if cut else EventKind.OBJECTIVE_RECONNECTED
            what = "is cut off: no supply path reaches it" if cut else "is reconnected to supply"
            self.log(kind, f"{self.place_name(self.objective)} {what}", place=self.objective,
                     side=self.defender)
        self.objective_supplied = not cut
        if not log:
            return
        for f in self.agents_by_type.get(Formation, []):
            if not f.active:
                continue
            ends = (f.place,) if f.place is not None else f.edge
            in_supply = any(p in self.supplied[f.side] for p in ends)
            if in_supply != f.in_supply:
                kind = EventKind.SUPPLY_RESTORED if in_supply else EventKind.SUPPLY_CUT
                what = "is back in supply" if in_supply else "is cut off from supply"
                self.log(kind, f"{f.label} {what} at {f.location_text()}", place=f.place or "", formation=f)
                f.in_supply = in_supply
            f.supply = next_supply_level(f.supply, f.in_supply, self.dt, self.params.supply_recovery,
                                         self.params.supply_depletion)

    # ------------------------------------------------------------------ combat
    def _fight(self) -> None:
        for fs in list(self.on_road.values()):
            fighters = list(fs)
            if len({f.side for f in fighters}) == 2:
                self._engage_road(fighters)
        for place, fs in list(self.at_place.items()):
            fighters = [f for f in fs if f.posture is not Posture.RAID]
            if len({f.side for f in fighters}) == 2:
                self._engage_place(place, fighters)
            elif place in self.assault_start and not fighters:
                self.assault_start.pop(place, None)

    def _engage_road(self, fighters: list[Formation]) -> None:
        ambushers = [f for f in fighters if f.posture is Posture.AMBUSH]
        if ambushers:
            kind = EngagementKind.AMBUSH
            attackers = [f for f in fighters if f.side == ambushers[0].side]
        else:
            kind = EngagementKind.MEETING
            attackers = [f for f in fighters if f.side == self.attacker]
        defenders = [f for f in fighters if f.side != attackers[0].side]
        a_loss, d_loss = self._attrit(kind, attackers, defenders, first_day=True)
        a, b = attackers[0].edge
        where = f"the road {self.place_name(a)}-{self.place_name(b)}"
        verb = "ambushed" if kind is EngagementKind.AMBUSH else "met"
        self.log(EventKind.AMBUSH if kind is EngagementKind.AMBUSH else EventKind.ENGAGEMENT,
                 f"{_names(attackers)} {verb} {_names(defenders)} on {where}: {_names(defenders)} lost "
                 f"{d_loss.describe()}; {_names(attackers)} lost {a_loss.describe()}",
                 formation=attackers[0], other=defenders[0], losses=a_loss, enemy_losses=d_loss)
        for f in ambushers:
            f.engaged_ambush = True
        for f in fighters:
            if f.active and combat.breaks(f.morale, self.params):
                self.retreat(f, "broke on")

    def _engage_place(self, place: str, fighters: list[Formation]) -> None:
        holder = self.control.get(place)
        sides = {f.side for f in fighters}
        if holder in sides:
            kind = EngagementKind.ASSAULT
            defenders = [f for f in fighters if f.side == holder]
        else:
            kind = EngagementKind.MEETING
            defenders = [f for f in fighters if f.side == self.defender]
        attackers = [f for f in fighters if f not in defenders]
        first = place not in self.assault_start
        if first:
            self.assault_start[place] = self.day
            self.fight_losses[place] = [0, 0, 0, 0]
        a_loss, d_loss = self._attrit(kind, attackers, defenders, first, place)
        tally = self.fight_losses[place]
        tally[0] += a_loss.killed
        tally[1] += a_loss.wounded
        tally[2] += d_loss.killed
        tally[3] += d_loss.wounded
        verb = "assaulted" if kind is EngagementKind.ASSAULT else "fought"
        held = (f" held by {_names(defenders)}" if kind is EngagementKind.ASSAULT
                else f" with {_names(defenders)}")
        self.log(EventKind.ENGAGEMENT,
                 f"{_names(attackers)} {verb} {self.place_name(place)}{held}: attackers lost "
                 f"{a_loss.describe()}; defenders lost {d_loss.describe()}",
                 place=place, formation=attackers[0], other=defenders[0], losses=a_loss, enemy_losses=d_loss)
        for f in defenders:
            if f.active and combat.breaks(f.morale, self.params):
                self.retreat(f, "broke and fell back from")
        for f in attackers:
            if f.active and f.morale < self.params.halt_morale:
                self.retreat(f, "called off its assault on")

    def _attrit(self, kind: EngagementKind, attackers: list[Formation], defenders: list[Formation],
                first_day: bool, place: str | None = None) -> tuple[Losses, Losses]:
        """Draw and apply one step's losses for both sides; return the totals (attackers, defenders)."""
        att_power = sum(self.formation_power(f, attacking=True) for f in attackers)
        def_power = sum(self.formation_power(f, attacking=False) for f in defenders)
        a_rate, d_rate = combat.loss_rates(kind, att_power, def_power, first_day, self.params)
        record = None if self.adjudications is None else self._adjudication(
            kind, attackers, defenders, first_day, place, att_power, def_power, a_rate, d_rate)
        totals = []
        for group, rate, role in ((attackers, a_rate, "attacker"), (defenders, d_rate, "defender")):
            killed = wounded = 0
            for f in group:
                before = f.personnel
                if record is not None:
                    entry = {"formation": f.fid, "label": f.label, "side": f.side, "role": role, "personnel": before,
                             "power": round(self.formation_power(f, role == "attacker"), 1),
                             "morale_before": round(f.morale, 3)}
                loss = combat.draw_losses(before, rate, self.dt, self.params, self.rng)
                f.morale = combat.morale_after_losses(f.morale, loss.total / before, self.params)
                if record is not None:
                    entry.update(morale_after=round(f.morale, 3), killed=loss.killed, wounded=loss.wounded)
                    record["formations"].append(entry)
                f.engaged = True
                f.take_losses(loss.killed, loss.wounded)
                if not f.active:
                    self.log(EventKind.DESTROYED, f"{f.label} was destroyed", place=place or "", formation=f)
                killed += loss.killed
                wounded += loss.wounded
            totals.append(Losses(killed, wounded))
        return totals[0], totals[1]

    def _adjudication(self, kind: EngagementKind, attackers: list[Formation], defenders: list[Formation],
                      first_day: bool, place: str | None, att_power: float, def_power: float, a_rate: float,
                      d_rate: float) -> dict:
        """Start the record of one engagement's numbers (appended to ``self.adjudications``), for students."""
        if place is not None:
            where = self.place_name(place)
        else:
            a, b = attackers[0].edge
            where = f"the road {self.place_name(a)}-{self.place_name(b)}"
        holder = defenders[0].side
        record = {
            "index": len(self.adjudications), "day": self.day, "date": self.date.isoformat(), "kind": kind.value,
            "place": place or "", "where": where, "first_day": first_day,
            "attacker_side": attackers[0].side, "defender_side": holder,
            "attacker_power": round(att_power, 1), "defender_power": round(def_power, 1),
            "ratio": round(att_power / max(def_power, 1e-9), 3),
            "attacker_support": round(self.support[attackers[0].side], 3),
            "defence_multiplier": round(self.defence[place], 3)
            if place is not None and self.control.get(place) == holder else 1.0,
            "attacker_rate": round(a_rate, 5), "defender_rate": round(d_rate, 5), "step_days": self.dt,
            "formations": []}
        self.adjudications.append(record)
        return record

    def retreat(self, f: Formation, why: str) -> None:
        """A broken formation falls back one place, or surrenders when there is no way out."""
        here = f.place if f.place is not None else f.edge[0]
        where = self.place_name(here) if f.place is not None else f.location_text()
        dest = doctrine.retreat_destination(f, self)
        if dest is None:
            if f.morale < self.params.surrender_morale:
                men = f.personnel
                f.surrender()
                self.log(EventKind.SURRENDER, f"{f.label} surrendered at {where} ({men:,} captured)",
                         place=here, formation=f)
            return
        loss = combat.draw_losses(f.personnel, self.params.retreat_loss, self.dt, self.params, self.rng)
        f.take_losses(loss.killed, loss.wounded)
        if not f.active:
            return
        if f.edge is not None:
            f.set_place(here)
        f.set_edge(here, dest)
        f.path = [dest]
        f.posture = Posture.RAID if f.order_kind == "raid" else Posture.RETREAT  # raiders slip away, taking nothing
        f.rest_until = self.day + self.params.consolidation_days
        self.log(EventKind.RETREAT, f"{f.label} {why} {where} and retreated to {self.place_name(dest)} "
                 f"({loss.describe()} on the way)", place=here, formation=f, losses=loss)

    # ------------------------------------------------------------------ control and recovery
    def _update_control(self) -> None:
        for place, fs in list(self.at_place.items()):
            holders = [f for f in fs if f.posture is not Posture.RAID]
            sides = {f.side for f in holders}
            if len(sides) == 1:
                side = holders[0].side
                if self.control[place] != side:
                    self._capture(place, side, holders)

    def _capture(self, place: str, side: str, captors: list[Formation]) -> None:
        previous = self.control[place]
        lead = max(captors, key=lambda f: (f.personnel, f.fid))
        verb = "retook" if side in self.ever_held.get(place, ()) else "took"
        loser = self.holder_name.get(place, "nobody") if previous is not None else "nobody"
        tally = self.fight_losses.pop(place, None)
        self.assault_start.pop(place, None)
        if tally:
            cost = (f" (defenders lost {casualty_text(tally[2], tally[3])}; "
                    f"attackers {casualty_text(tally[0], tally[1])})")
        else:
            cost = " unopposed"
        source = f" from {loser}" if previous is not None else ""
        self.log(EventKind.CAPTURE, f"{lead.label} {verb} {self.place_name(place)}{source}{cost}",
                 place=place, formation=lead, other_side=previous or "",
                 losses=Losses(tally[0], tally[1]) if tally else None,
                 enemy_losses=Losses(tally[2], tally[3]) if tally else None)
        self.control[place] = side
        self._enemy_ground.clear()
        self.ever_held.setdefault(place, set()).add(side)
        self.holder_name[place] = lead.label
        self.captures.append({"place": place, "day": self.day, "date": self.date.isoformat(), "by": side,
                              "formation": lead.fid, "from": previous})
        if side == self.attacker:
            for f in captors:
                f.rest_until = self.day + self.params.consolidation_days

    def _recover(self) -> None:
        p = self.params
        for f in self.agents_by_type[Formation]:
            if not f.active or f.engaged:
                continue
            if f.in_supply:
                f.morale = min(1.0, f.morale + p.morale_recovery * self.dt)
            else:
                f.morale = max(0.0, f.morale - p.morale_unsupplied * self.dt)

    # ------------------------------------------------------------------ the log
    def log(self, kind: EventKind, text: str, place: str = "", side: str = "", formation: Formation | None = None,
            other: Formation | None = None, other_side: str = "", losses: Losses | None = None,
            enemy_losses: Losses | None = None) -> None:
        iso, date = self._date_text
        self.events.append(Event(
            day=self.day, date=iso, kind=kind, place=place,
            side=formation.side if formation else side, faction=formation.faction if formation else "",
            formation=formation.fid if formation else "",
            other_side=other.side if other else other_side,
            killed=losses.killed if losses else 0, wounded=losses.wounded if losses else 0,
            enemy_killed=enemy_losses.killed if enemy_losses else 0,
            enemy_wounded=enemy_losses.wounded if enemy_losses else 0,
            text=f"{date}: {text}."))


def _names(formations: list[Formation]) -> str:
    labels = [f.label for f in sorted(formations, key=lambda f: (-f.personnel, f.fid))]
    if len(labels) <= 2:
        return " and ".join(labels)
    return f"{labels[0]}, {labels[1]} and {len(labels) - 2} more"

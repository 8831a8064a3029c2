"""The Mesa model of a siege: wires one step of a campaign together.

A step is ``step_days`` of calendar time: trace each side's supply; every formation decides (in random order)
and its intent is carried out, then every formation marches; engagements are fought on roads and in places;
places held without opposition change hands; formations out of combat recover; the day is recorded. Arrivals
are dated events (``schedule_event``): a formation arrives at the end of its arrival day and acts from the next
step. The rules live elsewhere, one function each: doctrine (sim/doctrine.py), combat (sim/combat.py),
movement (sim/movement.py), supply (sim/supply.py); the ground is the model's space (sim/space.py), the power
doctrine weighs its strength (sim/strength.py); supply tracing and changes of hands are carried out by
sim/ground.py, the fights by sim/engagements.py.
"""

from __future__ import annotations

import datetime as dt
import random

import mesa
import numpy as np

from sim import combat, doctrine, engagements, ground
from sim.agents import Formation
from sim.combat import Outcome
from sim.events import Event, EventKind, format_date
from sim.scenario import Doctrine, FactionSpec, FormationSpec, Orders, Scenario
from sim.space import Space
from sim.states import Fate, Intent, Losses, Posture, Status
from sim.strength import Strength


def shuffle(items: list, rng: random.Random) -> None:
    """Shuffle ``items`` in place exactly as ``rng.shuffle`` does (the same draws, the same order), without its
    call per item: Python 3.12's ``random.shuffle`` with ``_randbelow_with_getrandbits``, the model's twice a step."""
    getrandbits = rng.getrandbits
    for i in range(len(items) - 1, 0, -1):
        bound = i + 1
        bits = bound.bit_length()
        j = getrandbits(bits)
        while j >= bound:
            j = getrandbits(bits)
        items[i], items[j] = items[j], items[i]


def _not_falling_back(f: Formation) -> bool:
    """Rule (the head start): formations falling back march before the rest; they broke contact and took the
    road the day before, so a pursuer that reaches the same place the same day finds them gone, where a random
    order of march caught them there one day in two (the record's rebels left al-Qusayr on 5 June and were
    through Dabaa before it fell on 6 June)."""
    return f.posture is not Posture.RETREAT


class SiegeModel(mesa.Model):
    """One run of a scenario; a pure function of (scenario, rng seed). It is the ``Situation`` doctrine reads."""

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence | None = None) -> None:
        super().__init__(rng=rng)
        spec = scenario.spec
        self.campaign = scenario  # (Mesa reserves model.scenario)
        self.spec, self.params, self.graph = spec, scenario.params, scenario.graph
        self.dt, self.days, self.day = spec.step_days, scenario.days, 0.0
        self.start_date, self.objective = spec.start_date, spec.objective
        self.attacker, self.defender = scenario.attacker, scenario.defender
        self.space = Space(scenario)
        # read-only views of the space for the reporters (sim/records.py) and the front ends
        self.places, self.control, self.blocked = self.space.places, self.space.control, self.space.blocked
        self.supplied, self.open_sets = self.space.supplied, self.space.open_sets
        self.strength = Strength(scenario, self.space)
        self.support, self.bombardment = self.strength.support, self.strength.bombardment
        # the power queries of doctrine's Situation (sim/strength.py)
        self.formation_power = self.strength.formation_power
        self.side_power_at, self.threat_to = self.strength.side_power_at, self.strength.threat_to
        self.side_power_with = self.strength.side_power_with
        self.supply_sources = {name: s.supply_sources for name, s in spec.sides.items()}
        self.date = self.start_date  # the date of ``day``: start_date + day, set with it each step
        self._date_text = (self.start_date.isoformat(), format_date(self.start_date))
        self.holder_name: dict[str, str] = {}
        for side_id, side in spec.sides.items():
            for place in side.holds:
                self.control[place] = side_id
                self.holder_name[place] = side.name
        for sector, town in self.space.hold_towns_whole():
            self.holder_name[sector] = self.holder_name[town]
        self.ever_held = {p: {c} for p, c in self.control.items() if c is not None}
        self.assault_start: dict[str, float] = {}
        self.storm_start: dict[str, float] = {}  # town -> day the storm of it began (sim/engagements.py)
        self.cleared: dict[str, float] = {}  # sector -> km of it its attackers have cleared (engagements._clear)
        self.first_assault: dict[str, float] = {}  # place -> day of the first fight in it (the metrics read it)
        self.fight_losses: dict[str, list[int]] = {}  # place -> [att killed, att wounded, def killed, def wounded]
        self.events: list[Event] = []
        self.human_orders: dict = {}  # formation id -> a player's command (sim/play.py) that replaces doctrine
        self.adjudications: list[dict] | None = None  # set to [] to record every engagement's numbers
        self.captures: list[dict] = []
        self.objective_supplied = True
        self.town_pressure_days = 0.0  # days in a row the objective town's defenders stood outnumbered, supplied
        self.town_last_stand_days = 0.0  # days in a row they held at most town_withdraw_share of it
        self.initial_personnel = dict.fromkeys(spec.factions, 0)
        self.arrived_personnel = dict.fromkeys(spec.factions, 0)
        self._by_fid: dict[str, Formation] = {}
        for fs in spec.formations:
            self._enter(fs, spec.factions[fs.faction])
        self.initially_held = {side: frozenset(p for p, c in self.control.items() if c == side)
                               for side in spec.sides}
        ground.trace_supply(self, log=False)

    def _enter(self, fs: FormationSpec, faction: FactionSpec) -> None:
        """Create a formation: on the map now, or scheduled to arrive on its day."""
        f = self._by_fid[fs.id] = Formation(self, fs, faction.side, faction.name)
        if fs.arrival_day > 0:
            self.schedule_event(f.arrive, at=fs.arrival_day / self.dt)
            return
        f.status = Status.ACTIVE
        self.space.put(f, fs.at)
        self.initial_personnel[fs.faction] += fs.personnel
        if self.control[fs.at] is None:
            self.control[fs.at] = f.side
            self.ever_held[fs.at] = {f.side}
        self.holder_name.setdefault(fs.at, f.label)

    # ------------------------------------------------------------------ what doctrine and the front ends read
    @property
    def doctrine(self) -> Doctrine:
        return self.spec.doctrine

    def place_name(self, place: str) -> str:
        return self.space.place_name(place)

    def enemy_of(self, side: str) -> str:
        return self.space.enemy_of(side)

    def formations(self) -> list[Formation]:
        return list(self.agents_by_type.get(Formation, []))

    def formation(self, fid: str) -> Formation | None:
        """The formation with this id (arrived or not), or None."""
        return self._by_fid.get(fid)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        self.day = self.time * self.dt
        self.date = date = self.start_date + dt.timedelta(days=self.day)
        self._date_text = (date.isoformat(), format_date(date))
        ground.trace_supply(self, log=True)
        self._measure_town_pressure()
        active = [f for f in self.agents_by_type[Formation] if f.active]
        for f in active:
            f.engaged = False
        # Mesa's shuffle_do, without an AgentSet a step
        order = active.copy()
        shuffle(order, self.random)
        for f in order:
            f.decide()
        order = active.copy()
        shuffle(order, self.random)
        order.sort(key=_not_falling_back)  # (stable: in the shuffled order within each group)
        for f in order:
            if f.path or f.edge is not None:  # (a formation with no road to go has no march: movement.advance)
                f.move()
        engagements.fight(self)
        ground.update_control(self)
        self._recover()
        if self.day >= self.days - 1e-9:
            self.running = False

    def on_arrival(self, f: Formation) -> None:
        self.arrived_personnel[f.faction] += f.personnel
        self.log(EventKind.ARRIVAL, f"{f.label} arrived at {self.place_name(f.place)} "
                 f"with {f.personnel:,} men" + (f" and {f.tanks} tanks" if f.tanks else ""),
                 place=f.place, formation=f)

    def carry_out(self, f: Formation, intent: Intent | None) -> None:
        """Carry out what ``f`` (doctrine or its player) decided; None carries on as it is."""
        if intent is None:
            return
        if intent.call_off:
            self.fall_back(f, "called off its assault on")
            return
        if intent.withdraw or intent.break_in:
            self._run_the_gauntlet(f, intent)
            if not f.active:
                return
        men = doctrine.detachment_for(f, intent, self) if intent.path else 0  # (one that stays leaves none)
        if men:
            self.leave_detachment(f, men)
        if intent.hold is not None:
            f.orders = Orders(hold=intent.hold)
        if intent.enter_road is not None:
            self.space.set_out(f, *intent.enter_road)
        if intent.group:
            for fid in intent.group:
                g = self._by_fid[fid]
                g.path, g.posture = list(intent.path), intent.posture
        else:
            f.path, f.posture = list(intent.path), intent.posture
        if intent.counterattack_roll is not None and self.random.random() < intent.counterattack_roll:
            target = doctrine.counterattack_target(f, self)
            if target is not None:
                f.path, f.posture = [target], Posture.ATTACK

    def _measure_town_pressure(self) -> None:
        """Rule: count the days in a row that the enemy's attacking power in and next to the objective town has
        been at least ``pullout_ratio`` times its supplied defenders' power in it, and the days in a row that the
        defenders have held at most ``town_withdraw_share`` of it (doctrine's ``abandons_town`` reads both)."""
        last_stand = self.space.town_share(self.defender) <= self.params.town_withdraw_share
        self.town_last_stand_days = self.town_last_stand_days + self.dt if last_stand else 0.0
        sectors = self.space.objective_sectors
        # sums of lists, not of generators (the same numbers in the same order: the same totals, sooner)
        own = sum([self.side_power_at(p, self.defender) for p in sectors])
        attackers_at = self.space.side_at[self.attacker]
        enemy = sum([self.formation_power(f, attacking=True) for q in self.space.objective_surroundings
                     for f in attackers_at.get(q, ())])
        pressed = self.objective_supplied and own > 0 and enemy >= self.params.pullout_ratio * own
        self.town_pressure_days = self.town_pressure_days + self.dt if pressed else 0.0

    def _run_the_gauntlet(self, f: Formation, intent: Intent) -> None:
        """Rule: a formation withdrawing from the town, or a relief column breaking into it, loses
        ``interdicted_move_loss`` of its men on the way (``combat.share_lost``) when the enemy's guns reach a place
        on its route (where it sets out included). A withdrawal with no open route breaks out through the lines."""
        here, path = f.place, intent.path
        shelled = self._under_fire(f, (here, *path))
        loss = combat.share_lost(f.personnel, self.params.interdicted_move_loss if shelled else 0.0, self.params,
                                 self.rng, f.side == self.attacker)
        died, wounded_died = self._wounded_on_the_way(f, shelled)
        cost = f"{loss.describe()} on the way{' under fire' if shelled else ''}{wounded_died}"
        if intent.withdraw:
            how = "broke out of" if intent.posture is Posture.RAID else "withdrew from"
            kind, text = EventKind.WITHDRAWAL, (
                f"{f.label} {how} {self.place_name(self.objective)} towards {self.place_name(path[-1])} "
                f"({self.space.town_share(f.side):.0%} of the town held, supply {f.supply:.0%}; {cost})")
        else:
            kind, text = EventKind.BREAK_IN, (f"{f.label} set out from {self.place_name(here)} to break through the "
                                              f"enemy's lines into {self.place_name(path[-1])} ({cost})")
        self.log(kind, text, place=here, formation=f, losses=_with_dead(loss, died))
        self._suffer(f, loss, here)

    def _under_fire(self, f: Formation, route: tuple[str, ...]) -> bool:
        """Whether the enemy's guns reach a place on ``f``'s route."""
        reach = self.space.enemy_fire_reach.get(f.side, frozenset())
        return any(p in reach for p in route)

    def _wounded_on_the_way(self, f: Formation, shelled: bool) -> tuple[int, str]:
        """Rule: the wounded ``f`` carries through the ring round the objective town along a route under fire (a
        withdrawal or a retreat out of the town, a break-in) are lost at ``interdicted_move_loss``
        (``combat.wounded_lost``), and the lost die; a retreat from one quarter of the town into another, or
        between places outside it (``fall_back``), carries them and loses none (the record: ~970-1,200 wounded
        trapped in the town, the dead among those who tried to get out; after its fall the rebels' wounded went
        north with them, and the column attacked in the orchards lost 20 fighters). Returns how many died, and the
        words for the log ("" when it carried none)."""
        carried = f.trapped_wounded
        died = combat.wounded_lost(carried, self.params.interdicted_move_loss if shelled else 0.0, self.rng)
        f.trapped_wounded, f.wounded, f.killed = carried - died, f.wounded - died, f.killed + died
        return died, f"; {died:,} of the {carried:,} wounded it carried died" if carried else ""

    def leave_detachment(self, f: Formation, men: int) -> None:
        """Split ``men`` off ``f`` as a new formation that holds ``f``'s place (``doctrine.detachment_for``)."""
        place = f.place
        fid = f"{f.fid}@{place}:{self.day:g}"
        spec = FormationSpec(id=fid, name=f"{f.name} detachment", faction=f.faction, type=f.unit_type,
                             personnel=men, quality=f.quality, morale=f.morale, supply=f.supply, at=place,
                             orders=Orders(hold=place))
        detachment = self._by_fid[fid] = Formation(self, spec, f.side, f.faction_name)
        detachment.status, detachment.in_supply = Status.ACTIVE, f.in_supply
        self.space.put(detachment, place)
        f.personnel -= men
        self.log(EventKind.DETACHMENT, f"{f.label} left {men:,} men to hold {self.place_name(place)}",
                 place=place, formation=f)

    # ------------------------------------------------------------------ combat
    def apply_outcome(self, attackers: list[Formation], defenders: list[Formation], outcome: Outcome,
                      place: str | None) -> None:
        """Apply each formation's losses and morale from a resolved engagement (sim/engagements.py)."""
        for f, hit in zip(attackers + defenders, outcome.attackers + outcome.defenders, strict=True):
            f.morale = hit.morale
            f.engaged = True
            self._suffer(f, hit.losses, place)

    def _suffer(self, f: Formation, losses: Losses, place: str | None) -> None:
        """``f`` takes ``losses`` at ``place``; a formation that has no one left is logged destroyed there."""
        here = f.place
        f.take_losses(losses.killed, losses.wounded)
        if not f.active:
            self.log(EventKind.DESTROYED, f"{f.label} was destroyed", place=place or "", formation=f)
            self._leave_wounded(f, here)

    def _leave_wounded(self, f: Formation, here: str | None) -> None:
        """Rule: the wounded a destroyed or surrendering formation carried pass to a formation of its faction where
        it stood (on its books: each faction's casualties stay its own), or else are captured."""
        carried, f.trapped_wounded = f.trapped_wounded, 0
        if not carried:
            return
        comrades = [g for g in self.space.active_at(here, f.side) if g.faction == f.faction] if here else []
        if comrades:
            f.wounded -= carried
            comrades[0].wounded += carried
            comrades[0].trapped_wounded += carried
            return
        self._wounded_captured(f, carried, here)

    def leave_wounded_behind(self, f: Formation, wounded: int, place: str) -> None:
        """Carry out ``combat.wounded_left_behind``: ``f``, driven out of ``place``, leaves ``wounded`` of the day's
        fight there (no more than it still counts), and they are captured; those it carried go from its load."""
        left = min(wounded, f.wounded)
        if left > 0:
            f.trapped_wounded = max(0, f.trapped_wounded - left)
            self._wounded_captured(f, left, place)

    def _wounded_captured(self, f: Formation, wounded: int, here: str | None) -> None:
        """``wounded`` of ``f`` left behind at ``here`` are captured: they leave its wounded for its captured."""
        f.wounded -= wounded
        f.captured += wounded
        where = f" in {self.place_name(here)}" if here else ""
        self.log(EventKind.PRISONERS, f"{wounded:,} wounded of {f.label} left behind{where} were captured",
                 place=here or "", formation=f, losses=Losses(0, -wounded))

    def stand_fast(self, f: Formation, town: str) -> None:
        """Rule: an attacker that calls off its part in the storm of ``town`` in a quarter its side holds stands
        fast there and reorganises for ``consolidation_days`` (urban-combat notes P15: a failing attack pauses and
        reorganises): it is on its own ground, with nothing to fall back from and no retreat to pay for, and still
        in the one battle the storm is (``sim/engagements.py`` ``_storm``). Logged once while it reorganises."""
        if f.rest_until <= self.day:
            self.log(EventKind.HALT, f"{f.label} called off its part in the storm of {self.place_name(town)} and "
                     f"stood fast in {self.place_name(f.place)} to reorganise", place=f.place, formation=f)
        f.path, f.posture = [], Posture.HOLD
        f.rest_until = self.day + self.params.consolidation_days

    def fall_back(self, f: Formation, why: str) -> None:
        """Carry out ``combat.fate_of_broken`` for ``f``: retreat along doctrine's way out, surrender or stand."""
        here = f.place if f.place is not None else f.edge[0]
        where = self.place_name(here) if f.place is not None else f.location_text()
        route = doctrine.retreat_route(f, self)
        dest = route[0] if route else None
        fate = combat.fate_of_broken(dest is not None, f.morale, self.params, cut_off=not f.in_supply)
        if fate is Fate.SURRENDER:
            men = f.personnel
            f.surrender()
            self._leave_wounded(f, here)
            self.log(EventKind.SURRENDER, f"{f.label} surrendered at {where} ({men:,} captured)",
                     place=here, formation=f)
        if fate is not Fate.RETREAT:
            return
        loss = combat.draw_losses(f.personnel, self.params.retreat_loss, self.dt, self.params, self.rng,
                                  f.side == self.attacker)
        town = self.space.objective_sectors
        out_of_the_town = here in town and dest not in town  # (through the ring round it)
        died, wounded_died = self._wounded_on_the_way(f, out_of_the_town and self._under_fire(f, (here, dest)))
        self._suffer(f, loss, here)
        if not f.active:
            self.log(EventKind.RETREAT, f"{f.label} {why} {where} and was lost falling back ({loss.describe()}"
                     f"{wounded_died})", place=here, formation=f, losses=_with_dead(loss, died))
            return
        if f.edge is not None:
            self.space.put(f, here)
        self.space.set_out(f, here, dest)
        f.path = route
        f.posture = Posture.RAID if f.order_kind == "raid" else Posture.RETREAT  # raiders slip away, taking nothing
        f.rest_until = self.day + self.params.consolidation_days
        whither = (f"by {self.place_name(dest)} towards {self.place_name(route[-1])}" if len(route) > 1
                   else f"to {self.place_name(dest)}")
        self.log(EventKind.RETREAT, f"{f.label} {why} {where} and retreated {whither} "
                 f"({loss.describe()} on the way{wounded_died})", place=here, formation=f,
                 losses=_with_dead(loss, died))

    # ------------------------------------------------------------------ recovery
    def _recover(self) -> None:
        """Rule: out of combat, morale recovers in supply and decays out of it, in a built-up place its side
        holds at ``urban_morale_factor`` of the rate (defenders in their own town break later)."""
        p = self.params
        recovery = p.morale_recovery * self.dt
        for f in self.agents_by_type[Formation]:
            if not f.active or f.engaged:
                continue
            if f.in_supply:
                f.morale = min(1.0, f.morale + recovery)
            else:
                steadiness = p.urban_morale_factor if f.place in self.space.built_up and \
                    self.control.get(f.place) == f.side else 1.0
                f.morale = max(0.0, f.morale - p.morale_unsupplied * steadiness * self.dt)

    # ------------------------------------------------------------------ the log
    def log(self, kind: EventKind, text: str, place: str = "", side: str = "", formation: Formation | None = None,
            other: Formation | None = None, other_side: str = "", losses: Losses | None = None,
            enemy_losses: Losses | None = None) -> None:
        iso, date = self._date_text
        # (by position, in Event's order: day, date, kind, place, side, faction, formation, other_side, killed,
        # wounded, enemy_killed, enemy_wounded, text; quicker than by keyword)
        self.events.append(Event(
            self.day, iso, kind, place,
            formation.side if formation else side, formation.faction if formation else "",
            formation.fid if formation else "",
            other.side if other else other_side,
            losses.killed if losses else 0, losses.wounded if losses else 0,
            enemy_losses.killed if enemy_losses else 0,
            enemy_losses.wounded if enemy_losses else 0,
            f"{date}: {text}."))


def _with_dead(losses: Losses, died: int) -> Losses:
    """An event's losses when ``died`` of the wounded carried died as well: they leave the wounded for the killed."""
    return Losses(losses.killed + died, losses.wounded - died)

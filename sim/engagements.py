"""Engagements: who fights whom in a step, where, and in what kind of fight; each is resolved by the combat
rules (sim/combat.py), the model applies the outcome (losses, morale, who falls back) and the log words it.

An *assault* is a fight for a place one side holds (its holders defend); a *meeting* is a fight where neither
holds the ground (the defending side counts as the defender); on a road, a side lying in *ambush* attacks,
otherwise the attacking side does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import combat
from sim.combat import Combatant, Outcome
from sim.events import EventKind
from sim.states import EngagementKind, Losses, Posture

if TYPE_CHECKING:
    from sim.agents import Formation
    from sim.model import SiegeModel


def fight(m: SiegeModel) -> None:
    """Fight every engagement of the step: on roads where both sides meet, the storm of each town split into
    sectors that both sides stand in (one battle), then in the other places."""
    for fs in list(m.space.on_road.values()):
        if len(fs) > 1 and len({f.side for f in fs}) == 2:  # (most roads and places hold one formation or none)
            _engage_road(m, list(fs))
    stormed = set()
    for sectors in m.space.towns_with_sectors:
        if _storm(m, sectors):
            stormed.update(sectors)
    for place, fs in list(m.space.at_place.items()):
        if place in stormed:
            continue
        if len(fs) > 1:  # (most places hold one formation or none: no fight there)
            fighters = [f for f in fs if f.posture is not Posture.RAID]
            if len(fighters) > 1 and len({f.side for f in fighters}) == 2:
                _engage_place(m, place, fighters)
                continue
        if place in m.assault_start and all(f.posture is Posture.RAID for f in fs):  # no one left to fight
            m.assault_start.pop(place, None)
    for side, rate in m.bombardment.items():
        if rate > 0:
            _bombard(m, side, rate)


def in_contact(m: SiegeModel, side: str) -> list[Formation]:
    """The enemy formations a side's fires can reach: standing in a place next to one where the side has a
    formation, and not in a fight today."""
    space = m.space
    adjacency, own_at, enemy_at = space.adjacency, space.side_at[side], space.enemy_at[side]
    found = []
    # in the order of at_place (each side's list in a place is in at_place's order): the order of the draws. Only
    # the few places with enemies in them look at their neighbours (roads run both ways: a place is next to one
    # of the side's posts when one of its neighbours is a post)
    for place in space.at_place:
        enemies = enemy_at.get(place)
        if enemies:
            for near in adjacency[place]:
                if own_at.get(near):  # (the formations standing in places are the active ones)
                    found += [f for f in enemies if not f.engaged]
                    break
    return found


def _bombard(m: SiegeModel, side: str, rate: float) -> None:
    """Rule: ``combat.bombardment_rate`` applied to every enemy formation in contact (``in_contact``); one event a
    day per side that hit anyone."""
    killed = wounded = 0
    share = combat.loss_share(rate, m.dt)  # (combat.draw_losses for each, the share worked out once)
    for f in in_contact(m, side):
        loss = combat.share_lost(f.personnel, share, m.params, m.rng, f.side == m.attacker)
        f.take_losses(loss.killed, loss.wounded)
        killed, wounded = killed + loss.killed, wounded + loss.wounded
        if not f.active:
            m.log(EventKind.DESTROYED, f"{f.label} was destroyed by fire", formation=f)
    if killed + wounded:
        hit = Losses(killed, wounded)
        m.log(EventKind.BOMBARDMENT, f"{m.spec.sides[side].name} fires hit the enemy in contact: "
              f"{hit.describe()}", side=side, other_side=m.enemy_of(side), enemy_losses=hit)

def _storm(m: SiegeModel, sectors: tuple[str, ...]) -> bool:
    """Rule (the storm of a town is one battle): while both sides stand in the sectors of a town split into
    sectors, everyone in them fights one assault a day (``combat.resolve``, built-up: the urban rates, which
    include each side's fires, at the whole town's force ratio and engaged shares), the holders of each sector
    as its defenders; an attacker who calls off falls back from a sector the enemy holds and stands fast in one
    its side holds (``SiegeModel.stand_fast``), a broken defender holds its own (it is cleared out: ``_clear``),
    and the sectors change hands as their last defenders go (``ground.update_control``). The record: the town was
    "stormed from several directions"; 76-90 rebels and 31 Hezbollah killed in its first two or three days
    (urban-combat notes 7 P1 and P2: 1-2 %/day for the attacker, 3-6 %/day for the defender under active
    assault). Returns whether the town was fought for today."""
    town = sectors[0]
    fighters = [f for p in sectors for f in m.space.at_place.get(p, ()) if f.posture is not Posture.RAID]
    attackers = [f for f in fighters if f.side == m.attacker]
    defenders = [f for f in fighters if f.side != m.attacker]
    if not attackers or not defenders:
        m.storm_start.pop(town, None)
        return False
    first = town not in m.storm_start
    m.storm_start.setdefault(town, m.day)
    for place in {f.place for f in attackers} & {f.place for f in defenders}:  # the quarters fought in
        _fight_begins(m, place)
    hits = _resolve(m, EngagementKind.ASSAULT, attackers, defenders, first, town)
    for f, hit in zip(attackers, hits.attackers, strict=True):
        _tally(m, f.place, 0, hit.losses)
    for f, hit in zip(defenders, hits.defenders, strict=True):
        _tally(m, f.place, 2, hit.losses)
    a_loss, d_loss = hits.attacker_losses, hits.defender_losses
    m.log(EventKind.ENGAGEMENT, f"{_names(attackers)} stormed {m.place_name(town)}, held in part by "
          f"{_names(defenders)}: attackers lost {a_loss.describe()}; defenders lost {d_loss.describe()}",
          place=town, formation=attackers[0], other=defenders[0], losses=a_loss, enemy_losses=d_loss)
    for f, hit in zip(attackers, hits.attackers, strict=True):
        if hit.falls_back and f.active:
            if m.space.control.get(f.place) == f.side:
                m.stand_fast(f, town)
            else:
                m.fall_back(f, "called off its assault on")
    _clear(m, sectors)
    return True


def _clear(m: SiegeModel, sectors: tuple[str, ...]) -> None:
    """Rule (clearing a quarter): the attackers standing in a sector the defenders hold clear
    ``combat.clearing_rate`` of it a day (less the more it is fortified) while their power there is at least its
    defenders' (Dupuy: advance needs local superiority and is otherwise not tied to the force ratio; urban-combat
    notes 7 P6: 0.3-0.5 km/day of depth); once they have cleared ``quarter_depth_km`` its defenders are pushed out
    (they fall back) and it changes hands. Ground taken by advance, not by killing the last defender: the record's
    town was "more than half" taken within hours and its defenders held on in the north."""
    p, space = m.params, m.space
    for place in sectors:
        if space.control.get(place) == m.attacker or place not in m.assault_start:
            m.cleared.pop(place, None)
            continue
        holder = space.control.get(place) or m.defender
        held_by = [f for f in space.side_at[holder].get(place, ()) if f.posture is not Posture.RAID]
        storming = [f for f in space.side_at[m.attacker].get(place, ()) if f.posture is not Posture.RAID]
        if not held_by or not storming:
            continue
        if sum(m.formation_power(f, attacking=True) for f in storming) >= m.side_power_at(place, holder):
            m.cleared[place] = m.cleared.get(place, 0.0) + combat.clearing_rate(space.fortification[place], p) * m.dt
        if m.cleared.get(place, 0.0) >= p.quarter_depth_km:
            for f in held_by:  # (standing in a place, each is active: nothing has hit them since)
                m.fall_back(f, "fell back from the cleared streets of")


def _fight_begins(m: SiegeModel, place: str) -> bool:
    """Whether the fight at ``place`` begins today: if so, note its first day (the capture's log and the metrics
    read them) and open its tally of losses."""
    if place in m.assault_start:
        return False
    m.assault_start[place] = m.day
    m.first_assault.setdefault(place, m.day)
    m.fight_losses[place] = [0, 0, 0, 0]
    return True


def _tally(m: SiegeModel, place: str | None, column: int, losses: Losses) -> None:
    """Add losses to the tally of the fight for ``place`` (column 0: the attackers', 2: the defenders'), if one is
    open there (the capture's log reads it)."""
    tally = m.fight_losses.get(place)
    if tally is not None:
        tally[column] += losses.killed
        tally[column + 1] += losses.wounded


def _engage_road(m: SiegeModel, fighters: list[Formation]) -> None:
    ambushers = [f for f in fighters if f.posture is Posture.AMBUSH]
    kind = EngagementKind.AMBUSH if ambushers else EngagementKind.MEETING
    lead_side = ambushers[0].side if ambushers else m.attacker
    attackers = [f for f in fighters if f.side == lead_side]
    defenders = [f for f in fighters if f.side != lead_side]
    road = attackers[0].location_text()  # before the fight, which may destroy the formation and take it off the road
    hits = _resolve(m, kind, attackers, defenders, first_day=True)
    a_loss, d_loss = hits.attacker_losses, hits.defender_losses
    verb = "ambushed" if ambushers else "met"
    m.log(EventKind.AMBUSH if ambushers else EventKind.ENGAGEMENT,
             f"{_names(attackers)} {verb} {_names(defenders)} on {road}: "
             f"{_names(defenders)} lost {d_loss.describe()}; {_names(attackers)} lost {a_loss.describe()}",
             formation=attackers[0], other=defenders[0], losses=a_loss, enemy_losses=d_loss)
    for f in ambushers:
        f.engaged_ambush = True
    falls_back = {f for f, hit in zip(attackers + defenders, hits.attackers + hits.defenders, strict=True)
                  if hit.falls_back}
    for f in fighters:
        if f in falls_back and f.active:  # the destroyed are off the map: nobody is left to fall back
            m.fall_back(f, "broke on")

def _engage_place(m: SiegeModel, place: str, fighters: list[Formation]) -> None:
    holder = m.control.get(place)
    kind = EngagementKind.ASSAULT if holder in {f.side for f in fighters} else EngagementKind.MEETING
    defending = holder if kind is EngagementKind.ASSAULT else m.defender
    defenders = [f for f in fighters if f.side == defending]
    attackers = [f for f in fighters if f not in defenders]
    first = _fight_begins(m, place)
    hits = _resolve(m, kind, attackers, defenders, first, place)
    a_loss, d_loss = hits.attacker_losses, hits.defender_losses
    _tally(m, place, 0, a_loss)
    _tally(m, place, 2, d_loss)
    verb, held = (("assaulted", f" held by {_names(defenders)}") if kind is EngagementKind.ASSAULT
                  else ("fought", f" with {_names(defenders)}"))
    m.log(EventKind.ENGAGEMENT,
             f"{_names(attackers)} {verb} {m.place_name(place)}{held}: attackers lost "
             f"{a_loss.describe()}; defenders lost {d_loss.describe()}",
             place=place, formation=attackers[0], other=defenders[0], losses=a_loss, enemy_losses=d_loss)
    broken = [(f, hit) for f, hit in zip(defenders, hits.defenders, strict=True) if hit.falls_back and f.active]
    for f, _ in broken:
        m.fall_back(f, "broke and fell back from")
    for f, hit in zip(attackers, hits.attackers, strict=True):
        if hit.falls_back and f.active:
            m.fall_back(f, "called off its assault on")
    if kind is EngagementKind.ASSAULT and broken:  # (most fights break nobody: no one to leave wounded behind)
        holding = {f.side for f in m.space.at_place.get(place, ())
                   if combat.holds_ground(f.posture, f.morale, m.params)}
        overrun = holding == {attackers[0].side}
        for f, hit in broken:
            if f.active:
                m.leave_wounded_behind(f, combat.wounded_left_behind(hit.losses.wounded, overrun), place)

def _resolve(m: SiegeModel, kind: EngagementKind, attackers: list[Formation], defenders: list[Formation],
             first_day: bool, place: str | None = None) -> Outcome:
    """Resolve one step of a fight (sim/combat.py), record its numbers if asked, and have the model apply it."""
    outcome = combat.resolve(kind, [_combatant(m, f, True) for f in attackers],
                             [_combatant(m, f, False) for f in defenders], first_day, place is not None,
                             m.dt, m.params, m.rng, place in m.space.built_up)
    if m.adjudications is not None:
        m.adjudications.append(_adjudication(m, kind, attackers, defenders, first_day, place, outcome))
    m.apply_outcome(attackers, defenders, outcome, place)
    return outcome


def _combatant(m: SiegeModel, f: Formation, attacking: bool) -> Combatant:
    return Combatant(f.personnel, f.morale, m.formation_power(f, attacking), f.side == m.attacker)

def _adjudication(m: SiegeModel, kind: EngagementKind, attackers: list[Formation], defenders: list[Formation],
                  first_day: bool, place: str | None, o: Outcome) -> dict:
    """The record of one engagement's numbers, for students (``m.adjudications``)."""
    holder = defenders[0].side
    fought = [(f, "attacker", h) for f, h in zip(attackers, o.attackers, strict=True)]
    fought += [(f, "defender", h) for f, h in zip(defenders, o.defenders, strict=True)]
    return {
        "index": len(m.adjudications), "day": m.day, "date": m.date.isoformat(), "kind": kind.value,
        "place": place or "",
        "where": m.place_name(place) if place is not None else attackers[0].location_text(),
        "first_day": first_day, "attacker_side": attackers[0].side, "defender_side": holder,
        "attacker_power": round(o.attacker_power, 1), "defender_power": round(o.defender_power, 1),
        "ratio": round(o.attacker_power / max(o.defender_power, 1e-9), 3),
        "attacker_support": round(m.support[attackers[0].side], 3),
        "defence_multiplier": round(m.space.defence[place], 3)
        if place is not None and m.control.get(place) == holder else 1.0,
        "attacker_rate": round(o.attacker_rate, 5), "defender_rate": round(o.defender_rate, 5),
        "step_days": m.dt,
        "formations": [{"formation": f.fid, "label": f.label, "side": f.side, "role": role,
                        "personnel": f.personnel, "power": round(m.formation_power(f, role == "attacker"), 1),
                        "morale_before": round(f.morale, 3), "morale_after": round(h.morale, 3),
                        "killed": h.losses.killed, "wounded": h.losses.wounded} for f, role, h in fought]}


def _names(formations: list[Formation]) -> str:
    labels = [f.label for f in sorted(formations, key=lambda f: (-f.personnel, f.fid))]
    if len(labels) <= 2:
        return " and ".join(labels)
    return f"{labels[0]}, {labels[1]} and {len(labels) - 2} more"

"""What the ground does in a step, applied to the model and worded in its log: supply is traced from each side's
sources (and the changes logged: the objective cut off or reconnected, formations cut off or back in supply), and
places held without opposition change hands.

The space (sim/space.py) answers the queries; the rules of supply are in sim/supply.py; these functions carry
them out on a ``SiegeModel`` as the engagements (sim/engagements.py) carry out the combat rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import combat, doctrine
from sim.agents import Formation
from sim.events import EventKind
from sim.states import Losses, Posture
from sim.supply import next_supply_level

if TYPE_CHECKING:
    from sim.model import SiegeModel


def trace_supply(m: SiegeModel, log: bool) -> None:
    """Trace each side's supply; with ``log``, log what changed and move each formation's supply level a step."""
    m.space.trace_supply(m.supply_sources)
    cut = not any(p in m.supplied[m.defender] for p in m.space.objective_sectors)  # any quarter of the town
    if log and cut == m.objective_supplied:
        kind = EventKind.OBJECTIVE_CUT if cut else EventKind.OBJECTIVE_RECONNECTED
        what = "is cut off: no supply path reaches it" if cut else "is reconnected to supply"
        m.log(kind, f"{m.place_name(m.objective)} {what}", place=m.objective, side=m.defender)
    m.objective_supplied = not cut
    if not log:
        return
    supplied_by_side, dt, recovery, depletion = m.supplied, m.dt, m.params.supply_recovery, m.params.supply_depletion
    for f in m.agents_by_type.get(Formation, []):
        if not f.active:
            continue
        supplied = supplied_by_side[f.side]
        in_supply = f.place in supplied if f.place is not None else f.edge[0] in supplied or f.edge[1] in supplied
        if in_supply != f.in_supply:
            kind = EventKind.SUPPLY_RESTORED if in_supply else EventKind.SUPPLY_CUT
            what = "is back in supply" if in_supply else "is cut off from supply"
            evacuated = f" and evacuated {f.trapped_wounded:,} wounded" if in_supply and f.trapped_wounded else ""
            m.log(kind, f"{f.label} {what} at {f.location_text()}{evacuated}", place=f.place or "", formation=f)
            f.in_supply = in_supply
        if in_supply:
            f.trapped_wounded = 0  # Rule: back in supply, the wounded it carried are evacuated
        f.supply = next_supply_level(f.supply, f.in_supply, dt, recovery, depletion)


def update_control(m: SiegeModel) -> None:
    """Rule: a place changes hands when formations of one side only stand in it; raiders, formations falling
    back and broken ones take nothing (``combat.holds_ground``); an
    empty place whose holder has a picket next door (``doctrine.picket_for``) is not taken: the picket moves in,
    and the place is fought for. A place won in a fight (its defenders broke or fell there) is the winner's: the
    picket stops a walk-in, it does not restart a lost fight (the counterattack rule may)."""
    enemy_at = m.space.enemy_at
    for place, fs in list(m.space.at_place.items()):
        holder = m.control[place]
        if not fs or holder is not None and not enemy_at[holder].get(place):
            continue  # empty, or only its holder's formations in it: no change of hands (most places, most days)
        holders = [f for f in fs if combat.holds_ground(f.posture, f.morale, m.params)]
        if len({f.side for f in holders}) != 1 or holder == holders[0].side:
            continue
        previous = holder
        picket = (doctrine.picket_for(place, previous, m) if m.doctrine.pickets and previous is not None
                  and len(holders) == len(fs) and place not in m.assault_start else None)  # (no fight on there)
        if picket is None:
            capture(m, place, holders[0].side, holders)
            continue
        m.space.put(picket, place)
        picket.path, picket.posture = [], Posture.HOLD
        m.log(EventKind.PICKET, f"{picket.label} moved into {m.place_name(place)} to meet "
              f"{holders[0].label}", place=place, formation=picket, other=holders[0])


def capture(m: SiegeModel, place: str, side: str, captors: list[Formation]) -> None:
    """``side`` takes ``place``: log it with the fight's tally, record the capture, and rest the attacker's captors."""
    previous = m.control[place]
    lead = max(captors, key=lambda f: (f.personnel, f.fid))
    verb = "retook" if side in m.ever_held.get(place, ()) else "took"
    tally = m.fight_losses.pop(place, None)
    began = m.assault_start.pop(place, None)
    # what happened at the capture (each day's losses are in that day's engagement line, not repeated here)
    how = (" unopposed" if tally is None else " once its defenders had gone" if began is None
           else " after a day of fighting" if began == m.day else f" after fighting there since day {began:g}")
    source = f" from {m.holder_name.get(place, 'nobody')}" if previous is not None else ""
    m.log(EventKind.CAPTURE, f"{lead.label} {verb} {m.place_name(place)}{source}{how}",
          place=place, formation=lead, other_side=previous or "",
          losses=Losses(tally[0], tally[1]) if tally else None,
          enemy_losses=Losses(tally[2], tally[3]) if tally else None)
    m.space.take(place, side)
    if place in m.space.objective_sectors and len(m.space.objective_sectors) > 1:
        m.log(EventKind.TOWN_SHARE, f"{m.spec.sides[m.attacker].name} now hold "
              f"{m.space.town_share(m.attacker):.0%} of {m.place_name(m.objective)}", place=m.objective,
              side=m.attacker)
    m.ever_held.setdefault(place, set()).add(side)
    m.holder_name[place] = lead.label
    m.captures.append({"place": place, "day": m.day, "date": m.date.isoformat(), "by": side,
                       "formation": lead.fid, "from": previous, "opposed": tally is not None})
    if side == m.attacker:
        pause = doctrine.consolidation_pause(side, m)
        for f in captors:
            f.rest_until = m.day + pause

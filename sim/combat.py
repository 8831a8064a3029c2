"""Combat adjudication: pure functions of numbers and a random generator.

Losses follow the stochastic attrition form in the reference notes: in a step of ``dt`` days each of a side's
``n`` people is lost with probability ``1 - exp(-rate * dt)``, where the daily rate is the published rate for
the situation (FM 101-10-1/2) scaled by the force ratio to the power ``ratio_exponent`` (Dupuy: the link
between ratio and casualty rate is weak). Killed and wounded are drawn apart at each side's ``killed_fraction``.
Morale falls with the share of strength lost; a formation breaks below ``morale_break``.

``resolve`` fights one engagement and returns its ``Outcome`` (powers, rates, each formation's losses and
morale, who falls back); ``fate_of_broken`` is the rule for what becomes of a formation that falls back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sim.parameters import Parameters
from sim.states import EngagementKind, Fate, Losses, Posture


def combat_power(personnel: int, tanks: int, type_value: float, quality: float, morale: float, supply: float,
                 params: Parameters, built_up: bool = False) -> float:
    """Rule: power is people (by type value and quality) plus tanks, scaled down by low morale and low supply; in a
    built-up place a tank is worth ``urban_tank_factor`` of its value."""
    tank_value = params.tank_value * (params.urban_tank_factor if built_up else 1.0)
    raw = personnel * type_value * quality + tanks * tank_value
    supply_factor = params.supply_power_floor + (1.0 - params.supply_power_floor) * supply
    morale_factor = params.morale_power_floor + (1.0 - params.morale_power_floor) * morale
    return raw * morale_factor * supply_factor


def support_multiplier(artillery: float, air: float, params: Parameters) -> float:
    """Rule: fires (artillery and air) multiply a side's power when it attacks, never when it defends."""
    return 1.0 + artillery * params.artillery_bonus + air * params.air_bonus


def bombardment_rate(artillery: float, air: float, params: Parameters) -> float:
    """Rule: a side's fires wear down the enemy in contact every day, fight or no fight: ``bombardment_loss`` a
    day per level of artillery and air (the table rates of a fight already include its fires)."""
    return params.bombardment_loss * (artillery + air)


def fortification_multiplier(fortification: float, params: Parameters) -> float:
    """What a place's fortification multiplies its holders' power by: 1 + ``fortification_bonus`` per level."""
    return 1.0 + fortification * params.fortification_bonus


def defence_multiplier(terrain_defence: float, fortification: float, params: Parameters) -> float:
    """Rule: a held place multiplies its holders' power by its terrain, then by its fortification."""
    return terrain_defence * fortification_multiplier(fortification, params)


def clearing_rate(fortification: float, params: Parameters) -> float:
    """Rule: the depth of a town's quarter its attackers clear in a day falls as its defenders' fortification
    grows, in the proportion the fortification multiplies their power (Dupuy's advance-rate verities, urban-combat
    notes 2): ``urban_advance_km`` in an unfortified quarter."""
    return params.urban_advance_km / fortification_multiplier(fortification, params)


def loss_rates(kind: EngagementKind, attacker_power: float, defender_power: float, first_day: bool,
               params: Parameters, built_up: bool = False) -> tuple[float, float]:
    """Rule: daily loss rates (attacker, defender) are the table's rates for the kind of fight and the terrain,
    the attacker's divided and the defender's multiplied by the power ratio to ``ratio_exponent``, each kept within
    ``loss_band`` of its table rate (FM 101-10 / Dupuy: the ratio decides who wins, not that a side is wiped out in
    a day) and capped. In a built-up place both table rates are ``urban_loss_factor`` of the open ground's, but
    the defender under assault there has the urban table's own rate, ``urban_defence_loss`` (street fighting
    costs the defender of a town more, not less: urban-combat notes P2)."""
    if kind is EngagementKind.ASSAULT:
        attack = params.attack_loss_first_day if first_day else params.attack_loss
        defence = params.defence_loss_first_day if first_day else params.defence_loss
    elif kind is EngagementKind.AMBUSH:
        attack = params.meeting_loss / params.ambush_multiplier
        defence = params.meeting_loss * params.ambush_multiplier
    else:
        attack = defence = params.meeting_loss
    if built_up:
        attack *= params.urban_loss_factor
        defence = params.urban_defence_loss if kind is EngagementKind.ASSAULT else defence * params.urban_loss_factor
    ratio = max(attacker_power, 1e-9) / max(defender_power, 1e-9)
    scale = ratio ** params.ratio_exponent
    return _in_band(attack / scale, attack, params), _in_band(defence * scale, defence, params)


def _in_band(rate: float, table: float, params: Parameters) -> float:
    return min(max(rate, table / params.loss_band), table * params.loss_band, params.max_daily_loss)


def draw_losses(personnel: int, daily_rate: float, dt: float, params: Parameters, rng: np.random.Generator,
                attacking_side: bool = False) -> Losses:
    """Rule: each person is lost with probability 1 - exp(-rate * dt); ``killed_fraction`` of the lost are killed."""
    if personnel <= 0 or daily_rate <= 0:
        return Losses(0, 0)
    return share_lost(personnel, loss_share(daily_rate, dt), params, rng, attacking_side)


def loss_share(daily_rate: float, dt: float) -> float:
    """The chance that one person is lost in a step of ``dt`` days at ``daily_rate``: 1 - exp(-rate * dt) (the
    bombardment works it out once for everyone it hits)."""
    return 1.0 - math.exp(-daily_rate * dt)


def share_lost(personnel: int, share: float, params: Parameters, rng: np.random.Generator,
               attacking_side: bool) -> Losses:
    """Rule: each person is lost with probability ``share``; ``killed_fraction`` of the lost are killed."""
    lost = int(rng.binomial(personnel, share)) if personnel > 0 and share > 0 else 0
    killed = int(rng.binomial(lost, killed_fraction(attacking_side, params))) if lost else 0
    return Losses(killed, lost - killed)


def killed_fraction(attacking_side: bool, params: Parameters) -> float:
    """Rule: of a side's casualties, ``attacker_killed_share`` are killed on the attacking side and ``killed_share``
    on the defending side: an attacker that gets its wounded out loses fewer of them dead (urban-combat notes P4:
    attackers' K:W 1:3 to 1:6) than a besieged garrison (al-Qusayr's rebels: 500 killed and 1,000 wounded)."""
    return params.attacker_killed_share if attacking_side else params.killed_share


def wounded_lost(wounded: int, share: float, rng: np.random.Generator) -> int:
    """Rule: each wounded man carried along a route under fire is lost with probability ``share``, and lost is
    dead: hit again, with no care on the way."""
    return int(rng.binomial(wounded, share)) if wounded > 0 and share > 0 else 0


def morale_after_losses(morale: float, lost_share: float, params: Parameters, steadiness: float = 1.0) -> float:
    """Rule: morale falls by ``morale_per_loss`` times the share of strength lost in the step (times
    ``steadiness``: ``urban_morale_factor`` for defenders of a built-up place)."""
    return max(0.0, morale - params.morale_per_loss * steadiness * lost_share)


def breaks(morale: float, params: Parameters) -> bool:
    """Rule: a formation breaks when its morale falls below ``morale_break``."""
    return morale < params.morale_break


def calls_off(morale: float, day_loss: float, params: Parameters) -> bool:
    """Rule (urban-combat notes P15: "pause and reorganise after ≳8% loss in a day"): an attacker in a place calls
    off its assault when it lost ``pause_loss`` or more of its strength in the day's fight, or when it breaks; a
    worn attacker whose fight goes well presses on (the 2013 pursuit: Dabaa, Salhiyeh, Masoudiyeh and al-Buwaydah
    fell on the three days after the seventeen-day battle for the town)."""
    return day_loss >= params.pause_loss or breaks(morale, params)


def steady(morale: float, params: Parameters) -> bool:
    """Rule: a formation joins or launches an attack only at or above ``halt_morale``; below it, it waits for its
    morale to recover."""
    return morale >= params.halt_morale


def holds_ground(posture: Posture, morale: float, params: Parameters) -> bool:
    """Rule: who counts when a place changes hands: not raiders, not formations falling back, not the broken
    (stranded, they stand but hold nothing)."""
    return posture is not Posture.RAID and posture is not Posture.RETREAT and not breaks(morale, params)


def wounded_left_behind(wounded: int, overrun: bool) -> int:
    """Rule: a defender driven out of a place by the assault that takes it (``overrun``: after the fight only
    the attacker holds ground there, ``holds_ground``) leaves the men wounded in that day's fight where they fell,
    and the enemy captures them; while its side still holds the place it carries its own wounded back (the
    record: "dozens of rebels were captured alive" in the final assault on al-Buwaydah, 8 June 2013). Returns how
    many are left behind."""
    return wounded if overrun else 0


def fate_of_broken(way_out: bool, morale: float, params: Parameters, cut_off: bool) -> Fate:
    """Rule: a formation that falls back retreats if it has a way out; with none it surrenders only when it is
    truly trapped, cut off from supply as well, and its morale is below ``surrender_morale``; otherwise it
    stands and fights on where it is (the record's "dozens" captured, not whole garrisons)."""
    if way_out:
        return Fate.RETREAT
    return Fate.SURRENDER if cut_off and morale < params.surrender_morale else Fate.STAND


class Combatant(NamedTuple):
    """One formation as a fight sees it: strength, morale, its power in this fight, and whether it is of the
    scenario's attacking side (``killed_fraction``)."""

    personnel: int
    morale: float
    power: float
    attacking_side: bool = False


class Hit(NamedTuple):
    """What one formation suffered in a fight: its losses, its morale after, and whether it falls back."""

    losses: Losses
    morale: float
    falls_back: bool


class Outcome(NamedTuple):
    """One engagement resolved: the powers and rates it was fought at, and each formation's ``Hit``."""

    attacker_power: float
    defender_power: float
    attacker_rate: float
    defender_rate: float
    attackers: tuple[Hit, ...]
    defenders: tuple[Hit, ...]

    @property
    def attacker_losses(self) -> Losses:
        return _total(self.attackers)

    @property
    def defender_losses(self) -> Losses:
        return _total(self.defenders)


def _total(hits: Sequence[Hit]) -> Losses:
    return Losses(sum(h.losses.killed for h in hits), sum(h.losses.wounded for h in hits))


def resolve(kind: EngagementKind, attackers: Sequence[Combatant], defenders: Sequence[Combatant], first_day: bool,
            in_place: bool, dt: float, params: Parameters, rng: np.random.Generator,
            built_up: bool = False) -> Outcome:
    """Fight one step of an engagement: loss rates from the summed powers, then each formation's losses (drawn
    attackers first, in order) and morale.

    Rule: who falls back afterwards: a defender (or anyone fighting on a road) that breaks; an attacker in a place
    that calls off its assault (``calls_off``: a costly day, or broken). Rule: in a built-up place the loss rates
    are the urban ones (``loss_rates``), and the defenders lose morale at ``urban_morale_factor`` of the rate.
    """
    att_power = sum(c.power for c in attackers)
    def_power = sum(c.power for c in defenders)
    a_rate, d_rate = loss_rates(kind, att_power, def_power, first_day, params, built_up)
    steadiness = params.urban_morale_factor if built_up else 1.0
    att_men, def_men = sum(c.personnel for c in attackers), sum(c.personnel for c in defenders)
    a_engaged, d_engaged = engaged_share(att_men, def_men, params), engaged_share(def_men, att_men, params)
    attacker_yields = calls_off if in_place else _breaks
    return Outcome(att_power, def_power, a_rate, d_rate,
                   tuple(_hit(c, a_rate * a_engaged, attacker_yields, dt, params, rng) for c in attackers),
                   tuple(_hit(c, d_rate * d_engaged, _breaks, dt, params, rng, steadiness) for c in defenders))


def engaged_share(own_men: int, enemy_men: int, params: Parameters) -> float:
    """Rule: only so many can fight a place at once: at most ``engaged_ratio`` times the enemy's personnel of a
    side are engaged and take the loss rate (the published rates are of the committed force); the rest stand by."""
    if own_men <= 0:
        return 1.0
    return min(1.0, params.engaged_ratio * enemy_men / own_men)


def _hit(c: Combatant, rate: float, yields, dt: float, params: Parameters, rng: np.random.Generator,
         steadiness: float = 1.0) -> Hit:
    loss = draw_losses(c.personnel, rate, dt, params, rng, c.attacking_side)
    day_loss = loss.total / c.personnel
    morale = morale_after_losses(c.morale, day_loss, params, steadiness)
    return Hit(loss, morale, loss.total < c.personnel and yields(morale, day_loss, params))


def _breaks(morale: float, day_loss: float, params: Parameters) -> bool:
    """``breaks`` as ``_hit`` asks it (whatever the day's loss)."""
    return breaks(morale, params)

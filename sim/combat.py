"""Combat adjudication: pure functions of numbers and a random generator.

Losses follow the stochastic attrition form in the reference notes: in a step of ``dt`` days each of a side's
``n`` people is lost with probability ``1 - exp(-rate * dt)``, where the daily rate is the published rate for
the situation (FM 101-10-1/2) scaled by the force ratio to the power ``ratio_exponent`` (Dupuy: the link
between ratio and casualty rate is weak). Killed and wounded are drawn apart with ``killed_share``.
Morale falls with the share of strength lost; a formation breaks below ``morale_break``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.parameters import Parameters
from sim.states import EngagementKind, Losses


def combat_power(personnel: int, tanks: int, type_value: float, quality: float, morale: float, supply: float,
                 params: Parameters) -> float:
    """Effective power of one formation: people and tanks, scaled by quality, morale and supply."""
    raw = personnel * type_value * quality + tanks * params.tank_value
    supply_factor = params.supply_power_floor + (1.0 - params.supply_power_floor) * supply
    return raw * (0.5 + 0.5 * morale) * supply_factor


def support_multiplier(artillery: float, air: float, params: Parameters) -> float:
    """How much a side's artillery and air support multiply its power when it attacks."""
    return 1.0 + artillery * params.artillery_bonus + air * params.air_bonus


def defence_multiplier(terrain_defence: float, fortification: float, params: Parameters) -> float:
    """How much a held place multiplies its defenders' power: terrain, then fortification."""
    return terrain_defence * (1.0 + fortification * params.fortification_bonus)


def loss_rates(kind: EngagementKind, attacker_power: float, defender_power: float, first_day: bool,
               params: Parameters) -> tuple[float, float]:
    """Daily loss rates (attacker, defender) for an engagement of this kind and power ratio."""
    if kind is EngagementKind.ASSAULT:
        attack = params.attack_loss_first_day if first_day else params.attack_loss
        defence = params.defence_loss_first_day if first_day else params.defence_loss
    elif kind is EngagementKind.AMBUSH:
        attack = params.meeting_loss / params.ambush_multiplier
        defence = params.meeting_loss * params.ambush_multiplier
    else:
        attack = defence = params.meeting_loss
    ratio = max(attacker_power, 1e-9) / max(defender_power, 1e-9)
    scale = ratio ** params.ratio_exponent
    cap = params.max_daily_loss
    return min(attack / scale, cap), min(defence * scale, cap)


def draw_losses(personnel: int, daily_rate: float, dt: float, params: Parameters,
                rng: np.random.Generator) -> Losses:
    """Binomial losses for one formation over a step, split into killed and wounded."""
    if personnel <= 0 or daily_rate <= 0:
        return Losses(0, 0)
    lost = int(rng.binomial(personnel, 1.0 - math.exp(-daily_rate * dt)))
    killed = int(rng.binomial(lost, params.killed_share)) if lost else 0
    return Losses(killed, lost - killed)


def morale_after_losses(morale: float, lost_share: float, params: Parameters) -> float:
    """Morale after losing ``lost_share`` of strength in a step."""
    return max(0.0, morale - params.morale_per_loss * lost_share)


def breaks(morale: float, params: Parameters) -> bool:
    return morale < params.morale_break

"""Strength: the power of formations and sides, the numbers doctrine weighs and the engagements fight with.

Each side's fire support (a multiplier on its attacking power) and bombardment rate come from its fires once per
run; a formation's power is ``combat.combat_power`` of its men, tanks, type, quality, morale and supply, times its
side's support when it attacks, or times the place's defence when it defends a place its side holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import combat
from sim.scenario import Scenario
from sim.space import Space

if TYPE_CHECKING:
    from sim.agents import Formation


class Strength:
    """The power queries of one run over its space (the model hands them to doctrine as part of its Situation)."""

    def __init__(self, scenario: Scenario, space: Space) -> None:
        self.params, self.space = scenario.params, space
        self._type_value, self._built_up = self.params.type_value, space.built_up  # read for every power asked
        sides = scenario.spec.sides
        self.support = {name: combat.support_multiplier(s.fires.artillery, s.fires.air, self.params)
                        for name, s in sides.items()}
        self.bombardment = {name: combat.bombardment_rate(s.fires.artillery, s.fires.air, self.params)
                            for name, s in sides.items()}

    def formation_power(self, f: Formation, attacking: bool, at: str | None = None) -> float:
        """Rule: a formation's power, times its side's fire support when it attacks, or times the place's
        defence when it defends a place its side holds. ``at``: the place to reckon it in, were it standing there
        (``side_power_with``); by default where it stands."""
        place = f.place if at is None else at
        power = combat.combat_power(f.personnel, f.tanks, self._type_value[f.unit_type], f.quality,
                                    f.morale, f.supply, self.params, place in self._built_up)
        if attacking:
            return power * self.support[f.side]
        if place is not None and self.space.control.get(place) == f.side:
            return power * self.space.defence[place]
        return power

    def side_power_at(self, place: str, side: str) -> float:
        """Defensive power of a side's formations standing in a place."""
        # sum() of a list, not of a generator (the same numbers in the same order: the same total, sooner)
        power = self.formation_power
        return sum([power(f, False) for f in self.space.side_at[side].get(place, ())])

    def side_power_with(self, place: str, f: Formation) -> float:
        """Rule (what a reserve weighs, ``doctrine.most_threatened``): the defensive power ``f``'s side would have in
        ``place`` with ``f`` standing there beside the others there now. The same whether ``f`` stands there already
        or not: a reserve that counted itself only where it stands saw every other place as weaker than its own,
        and walked back and forth between two of them day after day."""
        power = self.formation_power
        others = sum([power(g, False) for g in self.space.side_at[f.side].get(place, ()) if g is not f])
        return others + power(f, False, at=place)

    def threat_to(self, place: str, side: str) -> float:
        """Enemy attacking power in or next to a place."""
        power, enemy_at = self.formation_power, self.space.enemy_at[side]
        return sum([power(f, True) for p in self.space.around[place] for f in enemy_at.get(p, ())])

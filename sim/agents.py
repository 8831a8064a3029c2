"""Formation agents: brigades, divisions and militias that move, fight, hold ground and draw supply.

A formation is at a place or in transit on a road (never both). It moves only through the space of its model
(sim/space.py), which keeps the formation's ``place``/``edge`` and the occupancy indexes in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim import doctrine, movement
from sim.scenario import FormationSpec, Orders, UnitType
from sim.states import Posture, Status

if TYPE_CHECKING:
    from sim.model import SiegeModel


class Formation(mesa.Agent):
    """One formation of one faction; strength in personnel (and tanks), with morale and supply levels."""

    model: SiegeModel

    def __init__(self, model: SiegeModel, spec: FormationSpec, side: str, faction_name: str) -> None:
        super().__init__(model)
        self.fid = spec.id
        self.name = spec.name
        self.faction = spec.faction
        self.faction_name = faction_name
        # the name the log gives it (its faction's name first, unless its own name starts with it)
        self.label = self.name if self.name.startswith(faction_name) else f"{faction_name} {self.name}"
        self.side = side
        self.unit_type: UnitType = spec.type
        self.quality = spec.quality
        self.personnel = spec.personnel
        self.tanks = spec.tanks
        self.morale = spec.morale
        self.supply = spec.supply
        self.orders = spec.orders
        self.home = spec.at
        self.arrival_day = spec.arrival_day
        self.status = Status.PENDING
        self.posture = Posture.RESERVE if spec.orders.reserve else Posture.HOLD
        self.place: str | None = None
        self.edge: tuple[str, str] | None = None  # (from, to) while in transit
        self.km_done = 0.0  # march-km covered along the current edge
        self.path: list[str] = []  # places still to go through, next first
        self.came_from: str | None = None
        self.rest_until = 0.0
        self.in_supply = True
        self.engaged = False  # fought this step
        self.engaged_ambush = False  # a raid that has sprung its ambush goes home
        self.killed = self.wounded = self.captured = 0
        self.trapped_wounded = 0  # of its wounded, those it could not evacuate (taken while cut off from supply)

    # ------------------------------------------------------------------ state helpers
    @property
    def orders(self) -> Orders:
        return self._orders

    @orders.setter
    def orders(self, value: Orders) -> None:
        self._orders = value
        self.order_kind = value.kind  # a plain attribute: doctrine reads it for every formation every day

    @property
    def status(self) -> Status:
        return self._status

    @status.setter
    def status(self, value: Status) -> None:
        self._status = value
        self.active = value is Status.ACTIVE  # a plain attribute: read on every hot path

    def location_text(self) -> str:
        """Where the formation is, in words: a place's name or "the road A-B"."""
        if self.place is not None:
            return self.model.place_name(self.place)
        a, b = self.edge
        return f"the road {self.model.place_name(a)}-{self.model.place_name(b)}"

    # ------------------------------------------------------------------ scheduled and stepped behaviour
    def arrive(self) -> None:
        """Enter the theatre on the arrival day at the scenario's place, or the nearest friendly one to it
        (``Space.arrival_place``)."""
        self.status = Status.ACTIVE
        space = self.model.space
        space.put(self, space.arrival_place(self.home, self.side, self.unit_type))
        self.model.on_arrival(self)

    def decide(self) -> None:
        """Choose what to do today: a player's standing order if it has one (sim/play.py), else doctrine."""
        command = self.model.human_orders.get(self.fid)
        intent = doctrine.decide(self, self.model) if command is None else command.execute(self, self.model)
        self.model.carry_out(self, intent)

    def move(self) -> None:
        """March along the chosen path as far as today's march allows."""
        movement.advance(self, self.model)

    def take_losses(self, killed: int, wounded: int) -> None:
        """Rule: wounded taken while cut off from supply cannot be evacuated (casualties go out along the supply
        lines): the formation carries them (``trapped_wounded``) until it is back in supply."""
        self.personnel -= killed + wounded
        self.killed += killed
        self.wounded += wounded
        if not self.in_supply:
            self.trapped_wounded += wounded
        if self.tanks and self.personnel >= 0:
            self.tanks = min(self.tanks, round(self.tanks * self.personnel / max(1, self.personnel + killed + wounded)))
        if self.personnel <= 0:
            self.personnel = 0
            self.status = Status.DESTROYED
            self._leave_the_map()

    def surrender(self) -> None:
        self.captured += self.personnel
        self.personnel = 0
        self.tanks = 0
        self.status = Status.SURRENDERED
        self._leave_the_map()

    def _leave_the_map(self) -> None:
        self.model.space.remove(self)
        self.place = self.edge = None

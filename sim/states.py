"""The states of play: what a formation is, how it stands, what a fight is, what a formation means to do.

A leaf module: it imports nothing from the engine but the event texts, so every other module (agents, doctrine,
movement, combat, the model, the front ends) can name these states without importing one another.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from sim.events import casualty_text


class Status(enum.Enum):
    PENDING = "pending"  # not yet arrived in the theatre
    ACTIVE = "active"
    DESTROYED = "destroyed"  # no personnel left
    SURRENDERED = "surrendered"


class Posture(enum.Enum):
    HOLD = "hold"
    RESERVE = "reserve"
    ADVANCE = "advance"  # moving on its own side's ground
    ATTACK = "attack"  # moving on, or fighting for, a place the enemy holds
    RETREAT = "retreat"
    RAID = "raid"  # slipping through to an ambush position; takes no ground
    AMBUSH = "ambush"  # lying in wait on a road


class EngagementKind(enum.StrEnum):
    ASSAULT = "assault"  # one side attacks a place the other holds
    MEETING = "meeting"  # neither side holds the ground: on a road or in a no-man's place
    AMBUSH = "ambush"  # one side lies in wait on a road


class Fate(enum.Enum):
    """What becomes of a formation that breaks (see ``sim.combat.fate_of_broken``)."""

    RETREAT = "retreat"  # falls back one place
    SURRENDER = "surrender"  # no way out and its morale is gone
    STAND = "stand"  # no way out, but it fights on where it is


class Losses(NamedTuple):
    """Killed and wounded (a named tuple, so immutable, and cheap to make: every draw of losses makes one)."""

    killed: int
    wounded: int

    @property
    def total(self) -> int:
        return self.killed + self.wounded

    def describe(self) -> str:
        return casualty_text(self.killed, self.wounded)


class Intent(NamedTuple):
    """What a formation means to do today. Doctrine and players only decide; the model carries it out.

    ``path`` is the places to march through (next first) in ``posture``. The other fields are the few decisions
    that change more than the march: ``hold`` gives the formation new standing orders to hold that place;
    ``enter_road`` = (from, to, march-km done) puts it on a road (a raider taking its ambush position);
    ``call_off`` breaks off the assault here and falls back; ``group`` names every formation (ids) that attacks
    along ``path`` together; ``counterattack_roll`` is the chance today of a local counterattack, which the model
    rolls for (None: not eligible, no roll) and, on success, asks doctrine for the target; ``withdraw`` marks an
    organised withdrawal from the objective town and ``break_in`` a relief column setting out through the enemy's
    lines (the model takes the losses of both on the way and logs them).

    A named tuple, so immutable, and cheap to make: every formation makes one every day.
    """

    posture: Posture
    path: tuple[str, ...] = ()
    hold: str | None = None
    enter_road: tuple[str, str, float] | None = None
    call_off: bool = False
    group: tuple[str, ...] = ()
    counterattack_roll: float | None = None
    withdraw: bool = False
    break_in: bool = False

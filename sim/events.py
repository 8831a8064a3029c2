"""The event log: every arrival, engagement, capture, retreat, surrender and change of supply, dated, with a
plain sentence a student can read."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from typing import NamedTuple


class EventKind(enum.StrEnum):
    ARRIVAL = "arrival"
    ENGAGEMENT = "engagement"
    AMBUSH = "ambush"
    BOMBARDMENT = "bombardment"
    PICKET = "picket"
    DETACHMENT = "detachment"
    CAPTURE = "capture"
    RETREAT = "retreat"
    HALT = "halt"  # an attacker calls off its part in a storm and stands fast in a quarter its side holds
    SURRENDER = "surrender"
    PRISONERS = "prisoners"  # wounded left behind, by a formation overrun or gone, taken by the enemy
    DESTROYED = "destroyed"
    SUPPLY_CUT = "supply_cut"
    SUPPLY_RESTORED = "supply_restored"
    OBJECTIVE_CUT = "objective_cut"
    OBJECTIVE_RECONNECTED = "objective_reconnected"
    TOWN_SHARE = "town_share"  # the share of the objective town each side holds, after a sector changed hands
    WITHDRAWAL = "withdrawal"  # an organised withdrawal from the objective town (the defenders' last act)
    BREAK_IN = "break_in"  # a relief column sets out through the enemy's lines into a town its side holds


class Event(NamedTuple):
    """One dated record; ``text`` is the sentence, the other fields are for filtering and analysis. ``killed``
    and ``wounded`` change the side's totals, so they sum to them: wounded who later die on the way or are left
    behind and captured leave ``wounded`` (a negative count) for ``killed`` or the captured. (A named tuple, so
    immutable, and cheap to make: a run makes hundreds, each three times quicker than a frozen dataclass.)"""

    day: float
    date: str
    kind: EventKind
    place: str = ""
    side: str = ""
    faction: str = ""
    formation: str = ""
    other_side: str = ""
    killed: int = 0
    wounded: int = 0
    enemy_killed: int = 0
    enemy_wounded: int = 0
    text: str = ""

    def row(self) -> dict:
        row = self._asdict()
        row["kind"] = self.kind.value
        return row


EVENT_COLUMNS = list(Event._fields)


@functools.lru_cache(maxsize=4096)
def format_date(date: dt.date) -> str:
    """'12 May 2013' (no leading zero), the form the article uses."""
    return f"{date.day} {date:%B %Y}"


def casualty_text(killed: int, wounded: int) -> str:
    return f"{killed} killed, {wounded} wounded"

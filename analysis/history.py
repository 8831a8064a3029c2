"""The historical record of a scenario, as the pictures and the report use it: dated events, the objective's fall
and encirclement dates.

Every use of history in analysis/ goes through ``history_of(scenario)``, so a scenario is only ever shown its own
record: a scenario with no record gets None (and the report says so), never another theatre's.

Today the only record is the project's copy of the first theatre's timeline (``scenarios/timeline.csv``), which
belongs to the scenario file ``scenarios/historical.yaml`` and to every scenario that ``extends`` it (its
counterfactuals share its ground and calendar). When scenarios name their own record files this module becomes an
adapter over that loader; its callers do not change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# The record file of each scenario file that has one; scenarios extending such a file share its record.
RECORDS = {SCENARIOS / "historical.yaml": SCENARIOS / "timeline.csv"}
NO_RECORD = "no historical record for this scenario"


@dataclass(frozen=True)
class RecordedEvent:
    """One dated event of the record: what happened (``kind``), where, and to or by which side."""

    date: dt.date
    kind: str  # capture, assault, clash, bombardment, ...
    places: tuple[str, ...]  # place ids of the scenario's map
    place_names: tuple[str, ...]
    side: str  # a side id of the scenario, or the record's own word ("both") when it names none
    text: str


@dataclass(frozen=True)
class History:
    """A scenario's record: its dated events and the dates that matter most to a siege."""

    source: str  # the file it was read from
    events: tuple[RecordedEvent, ...]
    fall_date: dt.date | None  # the objective taken by the attacker
    encirclement_date: dt.date | None  # the objective's last supply route reported cut

    def captures(self, side: str | None = None) -> list[RecordedEvent]:
        """The recorded captures (by ``side`` if given), in date order."""
        return [e for e in self.events if e.kind == "capture" and (side is None or e.side == side)]

    def within(self, start: dt.date, end: dt.date) -> list[RecordedEvent]:
        """The events dated from ``start`` to ``end``, inclusive."""
        return [e for e in self.events if start <= e.date <= end]


def _side_id(word: str, sides: list[str]) -> str:
    """The scenario's side a record's side word names: the same id, or the one id it begins (rebel -> rebels)."""
    if word in sides:
        return word
    matches = [s for s in sides if word and s.startswith(word)]
    return matches[0] if len(matches) == 1 else word


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part for part in str(cell).split(";") if part)


def read_record(path: Path, scenario: Scenario) -> History:
    """Read a record CSV (date, kind, places, place_names, side, detail; ``place`` accepted for ``places``)."""
    try:
        table = pd.read_csv(path, keep_default_na=False, dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", f"cannot be read: {exc}") from None
    table = table.rename(columns={"place": "places"})
    missing = {"date", "kind", "places", "side"} - set(table.columns)
    if missing:
        raise InputError(str(path), ", ".join(sorted(missing)), "missing column(s)")
    sides = list(scenario.spec.sides)
    graph = scenario.graph
    events = []
    for i, row in enumerate(table.to_dict("records"), start=2):
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            raise InputError(str(path), f"line {i}, date", f"not a date: {row['date']!r}") from None
        places = _split(row["places"])
        names = _split(row.get("place_names", "")) or tuple(graph.nodes[p]["name"] if p in graph else p
                                                            for p in places)
        events.append(RecordedEvent(date, row["kind"], places, names, _side_id(row["side"], sides),
                                    row.get("detail", "")))
    events.sort(key=lambda e: e.date)
    return History(str(path), tuple(events), _fall_date(events, scenario), None)


def _fall_date(events: list[RecordedEvent], scenario: Scenario) -> dt.date | None:
    """The last recorded capture of the objective by the attacker (the one that stood)."""
    taken = [e.date for e in events if e.kind == "capture" and e.side == scenario.attacker
             and scenario.spec.objective in e.places]
    return taken[-1] if taken else None


def record_file(scenario: Scenario) -> Path | None:
    """The record file of the scenario: that of the nearest file in its ``extends`` chain that has one."""
    for file in scenario.files:
        found = RECORDS.get(Path(file).resolve())
        if found is not None:
            return found
    return None


def history_of(scenario: Scenario) -> History | None:
    """The scenario's own record, or None when it has none."""
    path = record_file(scenario)
    return None if path is None else read_record(path, scenario)


def day_of(date: dt.date, start: dt.date) -> float:
    """Days from ``start`` to ``date``."""
    return float((date - start).days)

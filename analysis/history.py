"""The historical record of a scenario, as the pictures and the report use it: a thin layer over sim/record.py.

Every use of history in analysis/ goes through ``history_of(scenario)``, so a scenario is only ever shown its own
record (the file its ``record:`` field names): a scenario with no record gets None, and the report says so.
"""

from __future__ import annotations

import datetime as dt

from sim.record import Event, Record, load_record
from sim.scenario import Scenario

History = Record  # the name the report and the pictures use
NO_RECORD = "no historical record for this scenario"


def history_of(scenario: Scenario) -> History | None:
    """The scenario's own record, or None when it names none (InputError when it names a broken one)."""
    return load_record(scenario)


def captures_by(history: History, side: str) -> list[Event]:
    """The recorded captures by ``side``, in date order (one event may name several places)."""
    return sorted((e for e in history.events if e.kind == "capture" and e.side == side), key=lambda e: e.date)


def events_within(history: History, start: dt.date, end: dt.date) -> list[Event]:
    """The recorded events dated from ``start`` to ``end``, inclusive, in date order."""
    return sorted((e for e in history.events if start <= e.date <= end), key=lambda e: e.date)

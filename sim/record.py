"""The historical record of a scenario: dated events, the objective's fate, losses and the calibration split.

A scenario names its record with ``record: FILE`` (a YAML file, relative to the scenario; inherited through
``extends``). The record file names a CSV of dated events and gives the dates and losses that fidelity and
calibration measure runs against (docs/record-format.md). Days are counted from the scenario's start date, so
one record serves every scenario of a theatre. Every problem is an InputError naming the file and the field
(or the CSV line and column).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.errors import InputError
from sim.loader import read_text
from sim.scenario import read_mapping

if TYPE_CHECKING:
    from sim.scenario import Scenario

BOTH = "both"  # an event's side when both sides fought (a clash); also accepted: an empty side
REQUIRED_COLUMNS = ("date", "kind", "side")
OPTIONAL_COLUMNS = ("place_names", "detail", "source", "day")  # ``day`` is for readers: days come from dates
PLACE_COLUMNS = ("places", "place")  # one of them: several places split by ';', or one place
PYDANTIC_TAG = re.compile(r"^(int|list\[.*\]|function-.*|constrained-.*)$")  # union members in error paths


class _RecordModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Killed = Annotated[int, Field(ge=0)]


class LossSpec(_RecordModel):
    """Recorded killed of one side or faction: a figure or a [low, high] range, its source and period."""

    killed: Killed | Annotated[list[Killed], Field(min_length=2, max_length=2)]
    source: str = Field(min_length=1)
    period: str = Field(min_length=1)  # what the figure covers, e.g. "4 April - 8 June 2013 (whole offensive)"

    @field_validator("killed")
    @classmethod
    def _ordered(cls, value: int | list[int]) -> int | list[int]:
        if isinstance(value, list) and value[0] > value[1]:
            raise ValueError(f"a range must be [low, high], got {value}")
        return value

    @property
    def range(self) -> tuple[int, int]:
        return (self.killed, self.killed) if isinstance(self.killed, int) else (self.killed[0], self.killed[1])


RecordDate = Annotated[dt.date, Field(strict=False)]


class PartialLossSpec(LossSpec):
    """A partial figure of the fitted period: one side's killed up to a date, at one place if ``place`` is given
    (e.g. the killed of one engagement), the only losses calibration may fit."""

    side: str = Field(min_length=1)
    place: str | None = None
    until: RecordDate


class LossesSpec(_RecordModel):
    sides: dict[str, LossSpec] = {}
    factions: dict[str, LossSpec] = {}
    fitted: list[PartialLossSpec] = []


class RecordSpec(_RecordModel):
    """The record file's fields (docs/record-format.md)."""

    events: str = Field(min_length=1)  # CSV of dated events, relative to the record file
    source: str = Field(min_length=1)  # where the events come from, for rows without a ``source`` column
    objective_fall: RecordDate | None  # required: give null when the objective held
    encirclement: RecordDate | None = None
    first_assault: RecordDate | None = None
    split: RecordDate  # the last day of the record calibration may fit; later events are held back
    losses: LossesSpec = LossesSpec()


@dataclass(frozen=True)
class Event:
    """One dated event of the record."""

    date: dt.date
    day: int  # from the scenario's start date
    places: tuple[str, ...]
    place_names: tuple[str, ...]  # display names, one per place
    side: str  # a side id of the scenario, ``both`` or empty
    kind: str  # capture, assault, clash, bombardment, ... (only capture and assault are scored)
    text: str
    source: str


@dataclass(frozen=True)
class DatedCapture:
    """One place taken by one side on a recorded day; ``occurrence`` counts that side's captures of it."""

    place: str
    name: str
    side: str
    day: int
    date: str
    occurrence: int
    kind: str = "capture"  # or "assault": the day the place was first broken into

    @property
    def label(self) -> str:
        again = " (again)" if self.occurrence > 1 else ""
        return f"{self.name}{again}, {self.side}"


@dataclass(frozen=True)
class Loss:
    """Recorded killed as a (low, high) range (low == high for a single figure)."""

    killed: tuple[int, int]
    source: str
    period: str


@dataclass(frozen=True)
class PartialLoss:
    """A recorded partial loss of the fitted period: ``side``'s killed (at ``place``, or anywhere) to ``day``."""

    side: str
    place: str | None
    day: int
    killed: tuple[int, int]
    source: str
    period: str


@dataclass(frozen=True)
class Record:
    """A scenario's historical record, with days counted from the scenario's start."""

    path: str
    start_date: dt.date
    attacker: str
    defender: str
    objective: str
    events: tuple[Event, ...]
    fall_date: dt.date | None
    encirclement_date: dt.date | None
    first_assault_date: dt.date | None
    split_date: dt.date
    losses_by_side: Mapping[str, Loss]
    losses_by_faction: Mapping[str, Loss]
    partial_losses: tuple[PartialLoss, ...] = ()

    def day_of(self, date: dt.date) -> int:
        return (date - self.start_date).days

    def _day(self, date: dt.date | None) -> int | None:
        return None if date is None else self.day_of(date)

    @property
    def fall_day(self) -> int | None:
        return self._day(self.fall_date)

    @property
    def encirclement_day(self) -> int | None:
        return self._day(self.encirclement_date)

    @property
    def first_assault_day(self) -> int | None:
        return self._day(self.first_assault_date)

    @property
    def split_day(self) -> int:
        return self.day_of(self.split_date)

    def captures(self, kind: str = "capture") -> list[DatedCapture]:
        """Every capture (or assault) by one side, one per place, in record order."""
        seen: Counter[tuple[str, str]] = Counter()
        out = []
        for event in self.events:
            if event.kind != kind or event.side not in (self.attacker, self.defender):
                continue
            for place, name in zip(event.places, event.place_names, strict=True):
                seen[(place, event.side)] += 1
                out.append(DatedCapture(place, name, event.side, event.day, event.date.isoformat(),
                                        seen[(place, event.side)], kind))
        return out


def date_text(date: dt.date) -> str:
    """'13 May 2013': how dates are written for people."""
    return f"{date.day} {date:%B %Y}"


# ---------------------------------------------------------------- loading


def load_record(scenario: Scenario) -> Record | None:
    """The scenario's record, checked against its map and sides, or None when the scenario names none."""
    if scenario.spec.record is None:
        return None
    path = Path(scenario.spec.record)
    if not path.is_file():
        raise InputError(scenario.files[0], "record", f"no such record file: {path}")
    spec = _read_spec(path)
    _check_names(spec, path, scenario)
    start = scenario.spec.start_date
    for field in ("objective_fall", "encirclement", "first_assault", "split"):
        date = getattr(spec, field)
        if date is not None and not start <= date <= scenario.spec.end_date:
            raise InputError(str(path), field, f"{date} is outside the scenario's calendar "
                             f"({start} to {scenario.spec.end_date})")
    return Record(
        path=str(path), start_date=start, attacker=scenario.attacker, defender=scenario.defender,
        objective=scenario.spec.objective, events=read_events(path.parent / spec.events, scenario, spec.source),
        fall_date=spec.objective_fall, encirclement_date=spec.encirclement, first_assault_date=spec.first_assault,
        split_date=spec.split,
        losses_by_side={k: Loss(v.range, v.source, v.period) for k, v in spec.losses.sides.items()},
        losses_by_faction={k: Loss(v.range, v.source, v.period) for k, v in spec.losses.factions.items()},
        partial_losses=tuple(PartialLoss(v.side, v.place, (v.until - start).days, v.range, v.source, v.period)
                             for v in spec.losses.fitted),
    )


def _read_spec(path: Path) -> RecordSpec:
    data = read_mapping(path).data
    try:
        return RecordSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"] if not PYDANTIC_TAG.match(str(p)))
        raise InputError(str(path), field, err["msg"]) from None


def _check_names(spec: RecordSpec, path: Path, scenario: Scenario) -> None:
    """Sides and factions of the losses must be the scenario's."""
    for group, known in (("sides", scenario.spec.sides), ("factions", scenario.spec.factions)):
        for name in getattr(spec.losses, group):
            if name not in known:
                raise InputError(str(path), f"losses.{group}.{name}",
                                 f"not a {group[:-1]} of the scenario ({', '.join(known)})")
    for i, partial in enumerate(spec.losses.fitted):
        field = f"losses.fitted.{i}"
        if partial.side not in scenario.spec.sides:
            raise InputError(str(path), f"{field}.side",
                             f"not a side of the scenario ({', '.join(scenario.spec.sides)})")
        if partial.place is not None and partial.place not in scenario.graph:
            raise InputError(str(path), f"{field}.place", f"unknown place {partial.place!r}")
        if not scenario.spec.start_date <= partial.until <= spec.split:
            raise InputError(str(path), f"{field}.until", f"{partial.until} is not in the fitted period "
                             f"({scenario.spec.start_date} to the split, {spec.split})")
    if not (path.parent / spec.events).is_file():
        raise InputError(str(path), "events", f"no such events file: {spec.events}")


def read_events(path: Path, scenario: Scenario, default_source: str) -> tuple[Event, ...]:
    """The dated events of a CSV file, each checked against the scenario's map and sides; ``default_source``
    is the source of rows that name none."""
    text = read_text(path)  # the loader's limits (a regular UTF-8 file of bounded size) hold for the CSV too
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = list(reader.fieldnames or [])
        _check_columns(path, columns)
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(str(path), "", f"not valid CSV: {exc}") from None
    return tuple(_event(path, line, row, scenario, default_source) for line, row in enumerate(rows, start=2))


def _check_columns(path: Path, columns: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(str(path), missing[0], "missing column")
    place_columns = [c for c in PLACE_COLUMNS if c in columns]
    if len(place_columns) != 1:
        raise InputError(str(path), "places", "give exactly one of the columns 'places' (several, split by ';') "
                         "or 'place'")
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *PLACE_COLUMNS)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise InputError(str(path), unknown[0], f"unknown column (known: {', '.join(known)})")


def _event(path: Path, line: int, row: Mapping[str, Any], scenario: Scenario, default_source: str) -> Event:
    def fail(column: str, problem: str) -> InputError:
        return InputError(str(path), f"line {line}.{column}", problem)

    if None in row:  # more cells than columns
        raise fail("", f"has more cells than the header's {len(row) - 1} columns")
    try:
        date = dt.date.fromisoformat((row["date"] or "").strip())
    except ValueError:
        raise fail("date", f"must be a date YYYY-MM-DD, got {row['date']!r}") from None
    column = "places" if "places" in row else "place"
    places = tuple(p.strip() for p in (row[column] or "").split(";") if p.strip())
    for place in places:
        if place not in scenario.graph:
            raise fail(column, f"unknown place {place!r} (not on the map {Path(scenario.spec.map).name})")
    names = tuple(n.strip() for n in (row.get("place_names") or "").split(";") if n.strip())
    if len(names) != len(places):  # no names, or one name for several places: the map's names
        names = tuple(scenario.graph.nodes[p].get("name", p) for p in places)
    side = (row["side"] or "").strip()
    if side not in scenario.spec.sides and side not in ("", BOTH):
        raise fail("side", f"unknown side {side!r} (sides: {', '.join(scenario.spec.sides)}; or {BOTH}, or empty)")
    kind = (row["kind"] or "").strip()
    if not kind:
        raise fail("kind", "must not be empty")
    return Event(date, (date - scenario.spec.start_date).days, places, names, side, kind,
                 (row.get("detail") or "").strip(), (row.get("source") or "").strip() or default_source)

"""Play: a student commands one side with orders; the other side follows doctrine. Games save, load and branch.

One module serves every front end (the web app and the terminal), so an order means the same thing and is
refused for the same reason wherever it is given. An order is *standing*: the formation carries it out day after
day (it replaces the doctrine of sim/doctrine.py for that formation) until it is done, when the formation holds
where it stands, or until a new order replaces it. Formations never ordered keep following doctrine.

A saved game is the scenario (path and content hash), the seed, the knobs, the player's side and the list of
orders given with their days: loading replays the run deterministically to the saved day, so a reloaded game is
the same state, and a *branch* is a loaded game that goes on with new choices.

A server keeps games in one folder (GamesFolder): players give a game's name, never a path, cannot replace a
game they did not save unless they ask to, and can only load games of the scenarios the server offers.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tempfile
import threading
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.agents import Formation
from sim.errors import InputError
from sim.events import Event, format_date
from sim.loader import check_regular_file
from sim.model import SiegeModel
from sim.parameters import apply_overrides
from sim.record import load_record
from sim.records import RunRecord, atomic_write_text, day_row, metrics_cache, scenario_digest, summarise
from sim.scenario import Scenario, field_path, load_scenario, read_mapping
from sim.simulation import simulate
from sim.states import Intent, Posture, Status

ACTIONS = ("move", "attack", "hold", "reinforce", "withdraw")
NEEDS_PLACE = ("move", "attack", "reinforce")
SAVE_FORMAT = "siege-game/1"
MAX_SAVED_ORDERS = 20_000  # a saved game replays every order: far more than a class gives in a campaign


# ---------------------------------------------------------------- knobs: the main settings a teacher changes


class Knobs(BaseModel):
    """Changes to a scenario for one game; None keeps the scenario's own value."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    attack_ratio: float | None = Field(None, gt=0, le=10, allow_inf_nan=False)
    """Force ratio doctrine waits for before an attack (parameter ``attack_ratio``)."""
    siege_before_assault: bool | None = None
    """Whether the attacker storms the objective only once it is cut off (doctrine switch)."""
    breakout_when_cut: bool | None = None
    """Whether the defender's cut-off formations break out (doctrine switch)."""


def with_knobs(scenario: Scenario, knobs: Knobs) -> Scenario:
    """The scenario with the knobs applied (the same object when no knob is set)."""
    if knobs == Knobs():
        return scenario
    params = scenario.params
    if knobs.attack_ratio is not None:
        params = apply_overrides(params, {"attack_ratio": knobs.attack_ratio}, "knobs")
    switches = {k: v for k in ("siege_before_assault", "breakout_when_cut") if (v := getattr(knobs, k)) is not None}
    spec = scenario.spec.model_copy(update={"doctrine": scenario.spec.doctrine.model_copy(update=switches)})
    return Scenario(scenario.path, spec, scenario.graph, params, scenario.files)


# ---------------------------------------------------------------- orders and their legality


@dataclass(frozen=True)
class Order:
    """An order as given: on ``day`` (the last day played), for the next step on."""

    day: float
    formation: str
    action: str
    target: str = ""


@dataclass
class Command:
    """A standing order being carried out; the model calls ``execute`` in place of doctrine (Formation.decide)."""

    action: str
    target: str = ""
    origin: str = ""  # where an attack starts from

    def execute(self, f: Formation, m: SiegeModel) -> Intent | None:
        """Today's intent for ``f`` under this order (None: carry on); the model carries it out."""
        if f.edge is not None:
            return None  # on the march: keep going
        here = f.place
        if self.action == "withdraw" and here != self.target:
            return self._march(f, m)
        if m.space.enemy_present(here, f.side):
            return None  # the fight here goes on
        if self.action == "attack" and here == self.origin and m.space.hostile(self.target, f.side) \
                and f.posture is not Posture.RETREAT:
            return Intent(Posture.ATTACK, (self.target,))
        if self.action in ("move", "reinforce") and here != self.target:
            return self._march(f, m)
        self.hold()
        return Intent(Posture.HOLD)

    def hold(self) -> None:
        """The order is done (or cannot go on): from now on the formation holds where it stands."""
        self.action, self.target, self.origin = "hold", "", ""

    def _march(self, f: Formation, m: SiegeModel) -> Intent:
        """Go towards the target over ground free of the enemy; stop short of enemy ground, hold when blocked."""
        safe = _until_hostile(m.space.route(f, self.target) or [], m, f.side)
        if not safe:
            self.hold()
            return Intent(Posture.HOLD)
        return Intent(Posture.ADVANCE, tuple(safe))


def _until_hostile(route: list[str], m: SiegeModel, side: str) -> list[str]:
    out = []
    for place in route:
        if m.space.hostile(place, side):
            break
        out.append(place)
    return out


def refusal(m: SiegeModel, side: str, fid: str, action: str, target: str = "") -> str | None:
    """Why this order cannot be given now (a sentence for the player), or None when it is legal."""
    if action not in ACTIONS:
        return f"unknown order {action!r}: give one of {', '.join(ACTIONS)}"
    f = m.formation(fid)
    if f is None:
        return f"no formation {fid!r} (list shows yours)"
    why = _formation_refusal(m, f, side, action)
    if why is not None or action == "hold":
        return why
    return _target_refusal(m, f, action, target)


def _formation_refusal(m: SiegeModel, f: Formation, side: str, action: str) -> str | None:
    """Why this formation cannot take an order now, or None."""
    if f.side != side:
        return f"{f.label} belongs to the other side"
    if f.status is Status.PENDING:
        return f"{f.label} has not arrived yet (it arrives on day {f.arrival_day:g})"
    if not f.active:
        return f"{f.label} is out of the fight ({f.status.value})"
    if f.edge is not None:
        a, b = f.edge
        return (f"{f.label} is on the road from {m.place_name(a)} to {m.place_name(b)}: "
                "it takes new orders when it arrives")
    if m.space.enemy_present(f.place, side) and action not in ("hold", "withdraw"):
        return f"{f.label} is in combat at {m.place_name(f.place)}: it can only hold or withdraw"
    return None


def _target_refusal(m: SiegeModel, f: Formation, action: str, target: str) -> str | None:
    """Why this formation cannot move, attack, reinforce or withdraw to ``target``, or None."""
    side, here = f.side, f.place
    if action in NEEDS_PLACE and not target:
        return f"{action} needs a place"
    if target and target not in m.graph:
        return f"no place {target!r} on the map"
    if target == here:
        return f"{f.label} is already at {m.place_name(here)}"
    if action == "attack":
        return _attack_refusal(m, f, target)
    if action == "withdraw":
        if not target:
            return f"{f.label} has no own ground free of the enemy to withdraw to"
        if m.control.get(target) != side or m.space.enemy_present(target, side):
            return f"{m.place_name(target)} is not your ground free of the enemy: withdraw only to your own places"
    elif m.space.hostile(target, side):
        return f"{m.place_name(target)} is held by the enemy: attack it from a neighbouring place"
    elif action == "reinforce" and m.control.get(target) != side:
        return f"{m.place_name(target)} is not held by your side: reinforce only your own places"
    return _route_refusal(m, f, target)


def _attack_refusal(m: SiegeModel, f: Formation, target: str) -> str | None:
    here = f.place
    name = m.place_name(target)
    if target not in m.space.adjacency[here]:
        near = ", ".join(m.place_name(p) for p in m.space.adjacency[here])
        return f"{name} is not next to {m.place_name(here)} (its neighbours: {near})"
    if m.space.road_blocked(here, target):
        return f"the road {m.place_name(here)}-{name} is blocked"
    if not m.space.hostile(target, f.side):
        return f"{name} is not held by the enemy: use move"
    return None


def _route_refusal(m: SiegeModel, f: Formation, target: str) -> str | None:
    route = m.space.route(f, target)
    if route is None:
        return f"no open road leads from {m.place_name(f.place)} to {m.place_name(target)}"
    blocked = next((p for p in route[:-1] if m.space.hostile(p, f.side)), None)
    if blocked is not None:
        return f"the way to {m.place_name(target)} runs through enemy ground at {m.place_name(blocked)}"
    return None


def find_place(m: SiegeModel, text: str) -> str:
    """A place id from what a player typed: its id or its name (any case); '' when none matches."""
    if text in m.graph:
        return text
    wanted = text.strip().lower()
    return next((p for p in m.places if m.place_name(p).lower() == wanted or p.lower() == wanted), "")


def withdraw_target(m: SiegeModel, f: Formation) -> str:
    """Where a plain ``withdraw`` goes: the nearest own supplied place free of the enemy ('' when none)."""
    if f.place is None:
        return ""
    own = frozenset(p for p in m.supplied[f.side]
                    if p != f.place and m.control.get(p) == f.side and not m.space.enemy_present(p, f.side))
    route = m.space.route_to_any(f, own) if own else None
    return route[-1] if route else ""


# ---------------------------------------------------------------- fog of war: what a side knows of the enemy

REPORT_BAND = 100  # men: a sighted enemy formation's strength is reported to the nearest band, as a range


def contact_places(m: SiegeModel, side: str) -> frozenset[str]:
    """Where ``side`` can see: the places its active formations stand on or march between, and their neighbours."""
    seen: set[str] = set()
    for f in m.formations():
        if f.side == side and f.active:
            here = (f.place,) if f.place is not None else tuple(f.edge or ())
            for place in here:
                seen.add(place)
                seen.update(m.space.adjacency.get(place, ()))
    return frozenset(seen)


def sighted(m: SiegeModel, side: str, f: Formation, seen: frozenset[str]) -> bool:
    """Whether ``side`` sees the enemy formation ``f``: it is in the field, where ``side`` can see."""
    where = (f.place,) if f.place is not None else tuple(f.edge or ())
    return f.active and any(p in seen for p in where)


def event_known(event: Event, side: str, seen: frozenset[str]) -> bool:
    """Whether ``side`` learns of ``event``: it took part, or it happened where ``side`` can see, or it concerns
    nobody in particular (the objective cut off, say)."""
    return side in (event.side, event.other_side) or not event.side or event.place in seen


def reported_strength(men: int) -> tuple[int, int]:
    """A sighted enemy's strength as a report gives it: the band of REPORT_BAND men it falls in."""
    low = men // REPORT_BAND * REPORT_BAND
    return low, low + REPORT_BAND


# ---------------------------------------------------------------- a game


class Game:
    """One run of a scenario in which a player may command one side (``side=None``: watch doctrine play both).

    ``every`` is the decision interval in steps: orders are taken when the number of steps played is a
    multiple of it. The run keeps its daily series (``rows``, as in the run records) and every engagement's
    numbers (``model.adjudications``).
    """

    def __init__(self, scenario: str | Path, seed: int = 1, side: str | None = None, every: int = 1,
                 knobs: Knobs | None = None) -> None:
        self.knobs = knobs or Knobs()
        self.source = load_scenario(scenario)
        self.scenario = with_knobs(self.source, self.knobs)
        if side is not None and side not in self.scenario.spec.sides:
            raise InputError("--side", "", f"unknown side {side!r} (sides: {', '.join(self.scenario.spec.sides)})")
        if every < 1:
            raise InputError("--every", "", "must be at least 1")
        self.seed, self.side, self.every = seed, side, every
        self.model = SiegeModel(self.scenario, rng=seed)
        self.model.adjudications = []
        self.cache = metrics_cache(self.scenario)
        self.rows: list[dict[str, Any]] = [day_row(self.model, self.cache)]
        self.orders: list[Order] = []
        self.order_men: list[int] = []  # the strength of each order's formation when it was given
        self.reached: dict[int, float] = {}  # order index -> the day its formation reached the order's place

    # -------------------------------------------------------------- state
    @property
    def day(self) -> float:
        return self.model.day

    @property
    def over(self) -> bool:
        return not self.model.running

    @property
    def decision_day(self) -> bool:
        return self.side is not None and not self.over and self.model.steps % self.every == 0

    def formations(self, side: str | None = None) -> list[Formation]:
        """The formations of a side (default: the player's), in scenario order."""
        side = side or self.side
        return [f for f in self.model.formations() if f.side == side]

    def standing(self, f: Formation) -> str:
        """What a formation is doing, in words: its player's order, or doctrine's."""
        command = self.model.human_orders.get(f.fid)
        if command is None:
            return f"doctrine ({f.orders.kind})"
        if command.target:
            return f"{command.action} {self.model.place_name(command.target)}"
        return command.action

    # -------------------------------------------------------------- orders
    def give(self, fid: str, action: str, target: str = "") -> str | None:
        """Give an order to one of the player's formations; return the reason it is refused, or None."""
        if self.side is None:
            return "nobody is playing: start a game with a side to give orders"
        if self.over:
            return "the campaign is over"
        if not self.decision_day:
            nxt = (self.model.steps // self.every + 1) * self.every * self.model.dt
            return f"orders are given every {self.every} days: the next decision day is day {nxt:g}"
        return self.command_for(self.side, fid, action, target)

    def check(self, side: str, fid: str, action: str, target: str = "") -> tuple[str | None, str]:
        """Why ``side`` cannot give this order now (None: it can), and the order's place (a plain withdraw's
        place is the nearest own supplied ground)."""
        f = self.model.formation(fid)
        if action == "withdraw" and not target and f is not None and f.side == side:
            target = withdraw_target(self.model, f)
        return refusal(self.model, side, fid, action, target), target

    def command_for(self, side: str, fid: str, action: str, target: str = "") -> str | None:
        """Give ``side``'s order now, if it is legal; return the reason it is refused, or None."""
        why, target = self.check(side, fid, action, target)
        if why is None:
            self._command(Order(self.day, fid, action, target))
        return why

    def _command(self, order: Order) -> None:
        origin = self.model.formation(order.formation).place or ""
        self.model.human_orders[order.formation] = Command(order.action, order.target, origin)
        self.orders.append(order)
        self.order_men.append(self.model.formation(order.formation).personnel)

    # -------------------------------------------------------------- time
    def step(self) -> None:
        """Play one step (a day) of the campaign."""
        if self.over:
            return
        self.model.step()
        self.rows.append(day_row(self.model, self.cache))
        for i, order in enumerate(self.orders):
            if order.target and i not in self.reached and self.model.formation(order.formation).place == order.target:
                self.reached[i] = self.day

    def advance(self) -> None:
        """Play to the next decision point (one step when nobody plays), or to the end."""
        self.step()
        while self.side is not None and not self.over and not self.decision_day:
            self.step()

    def dated(self, day: float) -> str:
        """A day of the campaign as a date, its number after it: '22 May 2013 (day 48)'."""
        return f"{format_date(self.scenario.spec.start_date + dt.timedelta(days=day))} (day {day:g})"

    def record(self) -> RunRecord:
        """The run so far as a run record (summary, events, daily series), as ``simulate`` makes one."""
        return RunRecord(summarise(self.model, self.seed, self.rows, self.cache), self.model.events, self.rows)

    def outcome(self, i: int) -> str:
        """What came of order ``i``, in words: whether its place was reached or taken, and the strength lost."""
        order, m = self.orders[i], self.model
        f = m.formation(order.formation)
        place = m.place_name(order.target) if order.target else ""
        if order.action == "attack":
            taken = [c["day"] for c in m.captures if c["place"] == order.target and c["by"] == f.side
                     and c["day"] > order.day]
            result = f"{place} taken on {self.dated(taken[0])}" if taken else f"{place} not taken"
        elif order.target:
            result = (f"reached {place} on {self.dated(self.reached[i])}" if i in self.reached
                      else f"did not reach {place}")
        else:
            result = f"held {m.place_name(f.place)}" if f.place else f"{f.status.value}"
        men = self.order_men[i]
        return f"{result}; {f.label}: {men:,} men then, {f.personnel:,} now" + (
            "" if f.active else f" ({f.status.value})")

    # -------------------------------------------------------------- adjudication
    def engagements(self, day: float | None = None) -> list[dict[str, Any]]:
        """The recorded numbers of every engagement (of one day, when given)."""
        found = self.model.adjudications
        return list(found) if day is None else [a for a in found if a["day"] == day]

    # -------------------------------------------------------------- save, load, branch
    def saved(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The saved form of this game (see SavedGame)."""
        path = Path(self.source.path).resolve()
        where = os.path.relpath(path, relative_to.resolve()) if relative_to is not None else str(path)
        return {"format": SAVE_FORMAT, "scenario": where, "scenario_sha256": scenario_digest(self.source),
                "seed": self.seed, "side": self.side, "every": self.every,
                "knobs": self.knobs.model_dump(exclude_none=True), "day": self.day,
                "orders": [asdict(o) for o in self.orders]}

    def save_text(self, relative_to: Path | None = None) -> str:
        """The saved game as YAML text (scenario path relative to ``relative_to``, else absolute)."""
        return ("# siege wargame: a saved game (python run.py play --load FILE, or Load in the web app)\n"
                + yaml.safe_dump(self.saved(relative_to), sort_keys=False))

    def save(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the game to a YAML file (atomically); the scenario is named relative to the file. Without
        ``overwrite`` an existing file is kept and FileExistsError raised."""
        path = Path(path)
        atomic_write_text(path, self.save_text(path.parent), replace=overwrite)
        return path


class SavedOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    day: float = Field(ge=0, allow_inf_nan=False)
    formation: str = Field(min_length=1)
    action: Literal["move", "attack", "hold", "reinforce", "withdraw"]
    target: str = ""


class SavedGame(BaseModel):
    """The schema of a saved game file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal["siege-game/1", "qusayr-game/1"]  # qusayr-game/1: the same format under its first name
    scenario: str = Field(min_length=1)
    scenario_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    seed: int = Field(ge=0)
    side: str | None = None
    every: int = Field(1, ge=1)
    knobs: Knobs = Knobs()
    day: float = Field(ge=0, allow_inf_nan=False)
    orders: list[SavedOrder] = Field([], max_length=MAX_SAVED_ORDERS)


def read_saved(path: str | Path) -> SavedGame:
    """Read and validate a saved game file; every problem is an InputError naming file, field and problem."""
    doc = read_mapping(path)
    try:
        return SavedGame.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        line = doc.line(tuple(err["loc"]))
        raise InputError(str(path), field_path(err["loc"]), err["msg"] + (f" (line {line})" if line else "")) from None


def load_game(path: str | Path, side: str | None = None, every: int | None = None) -> Game:
    """Replay a saved game to its saved day. With ``side``/``every``, the game goes on as a branch with them."""
    path = Path(path)
    saved = read_saved(path)
    if every is not None and every < 1:
        raise InputError("--every", "", "must be at least 1")
    try:
        game = Game(saved_scenario(path, saved), saved.seed, saved.side, saved.every, saved.knobs)
    except InputError as exc:
        if exc.file == "--side":  # the saved file's side, not the command line's
            raise InputError(str(path), "side", exc.problem) from None
        raise
    _check_against(saved, game, path)
    _replay(saved, game, path)
    if side is not None or every is not None:
        branch = side if side is not None else game.side
        if branch is not None and branch not in game.scenario.spec.sides:
            raise InputError("--side", "", f"unknown side {branch!r} (sides: {', '.join(game.scenario.spec.sides)})")
        game.side = branch
        game.every = every if every is not None else game.every
    return game


def saved_scenario(path: Path, saved: SavedGame) -> Path:
    """The scenario file a saved game names (relative to the saved file), which must be a readable file."""
    scenario = Path(saved.scenario)
    if not scenario.is_absolute():
        scenario = path.parent / scenario
    try:
        check_regular_file(scenario)
    except InputError as exc:
        problem = "no such scenario file" if exc.problem == "file not found" else exc.problem
        raise InputError(str(path), "scenario", f"{problem}: {saved.scenario}") from None
    return scenario


def _check_against(saved: SavedGame, game: Game, path: Path) -> None:
    """What the schema cannot check: the scenario is unchanged, the day and the orders' days fit it."""
    if scenario_digest(game.source) != saved.scenario_sha256:
        raise InputError(str(path), "scenario_sha256", f"{saved.scenario} (or its map) changed since the game "
                         "was saved: the replay would not be the same game")
    if saved.day > game.scenario.days:
        raise InputError(str(path), "day", f"{saved.day:g} is after the scenario ends (day {game.scenario.days:g})")
    for i, order in enumerate(saved.orders):
        if order.day > saved.day or (i and order.day < saved.orders[i - 1].day):
            raise InputError(str(path), f"orders[{i}].day", "orders must be in order of day, up to the saved day")


def _replay(saved: SavedGame, game: Game, path: Path) -> None:
    """Play the game to its saved day, giving each saved order on its day; a refused order is a bad file."""
    i = 0
    while True:
        while i < len(saved.orders) and saved.orders[i].day <= game.day + 1e-9:
            order = saved.orders[i]
            f = game.model.formation(order.formation)
            side = game.side or (f.side if f is not None else "")
            why = game.command_for(side, order.formation, order.action, order.target) if side else \
                f"no formation {order.formation!r}"
            if why is not None:
                raise InputError(str(path), f"orders[{i}]", f"refused on replay: {why}")
            i += 1
        if game.day >= saved.day - 1e-9 or game.over:
            return
        game.step()


# ---------------------------------------------------------------- two players and an umpire at one table


class Table:
    """A game two players share, one side each, with an umpire who sees everything.

    Each side's orders are collected during the turn (checked against the same situation, so neither side's
    orders depend on the other's); the turn resolves when both sides are ready, or when the umpire advances: the
    orders take effect together and the game plays ``every`` days. Nobody is the game's ``side``: the saved game
    holds both sides' orders and replays like any other.
    """

    def __init__(self, game: Game) -> None:
        self.game = game
        self.sides = tuple(game.scenario.spec.sides)
        self.pending: dict[str, list[tuple[str, str, str]]] = {side: [] for side in self.sides}
        self.ready: set[str] = set()
        self.turn = 0  # turns resolved
        self.lock = threading.Lock()  # two browsers act on one table

    def order(self, side: str, fid: str, action: str, target: str = "") -> str | None:
        """Add ``side``'s order for this turn; return why it is refused, or None."""
        with self.lock:
            if self.game.over:
                return "the campaign is over"
            if side in self.ready:
                return "you have ended your turn: wait for the other side"
            why, target = self.game.check(side, fid, action, target)
            if why is None:
                self.pending[side] = [o for o in self.pending[side] if o[0] != fid] + [(fid, action, target)]
            return why

    def end_turn(self, side: str) -> bool:
        """``side`` is ready; resolve the turn when both are. Return whether the turn was resolved."""
        with self.lock:
            self.ready.add(side)
            if self.ready != set(self.sides):
                return False
            self._resolve()
            return True

    def advance(self) -> None:
        """The umpire resolves the turn with the orders given so far."""
        with self.lock:
            self._resolve()

    def _resolve(self) -> None:
        game = self.game
        for side in self.sides:
            for fid, action, target in self.pending[side]:
                game.command_for(side, fid, action, target)  # still legal: nothing moved since it was checked
        for _ in range(game.every):
            game.step()
        self.pending = {side: [] for side in self.sides}
        self.ready.clear()
        self.turn += 1


# ---------------------------------------------------------------- the debrief: the game against doctrine and history

DOCTRINE_RUNS = 40  # runs of doctrine alone the player's campaign is set against (seeds 0..39)


@dataclass(frozen=True)
class Spread:
    """Days of one event (cut-off or fall) over doctrine's runs: the days it happened, and how many runs never."""

    days: tuple[float, ...]
    never: int

    def text(self) -> str:
        if not self.days:
            return f"never, in all {self.never} runs"
        ordered = sorted(self.days)
        median = ordered[len(ordered) // 2]
        never = f"; never in {self.never}" if self.never else ""
        return f"day {ordered[0]:g} to {ordered[-1]:g} (median {median:g}) in {len(ordered)} runs{never}"

    def rank(self, day: float | None) -> str:
        """Where a day stands among doctrine's: how many runs were earlier, later, or never."""
        if day is None:
            return f"{self.never} of {self.never + len(self.days)} doctrine runs also never"
        earlier = sum(1 for d in self.days if d < day)
        return f"{earlier} of {self.never + len(self.days)} doctrine runs earlier"


@functools.lru_cache(maxsize=8)
def doctrine_spread(scenario: Scenario, knobs: Knobs, runs: int = DOCTRINE_RUNS) -> tuple[Spread, Spread, dict]:
    """Cut-off and fall days of ``runs`` runs of doctrine alone (seeds 0..runs-1), and its mean killed by side."""
    played = with_knobs(scenario, knobs)
    cuts, falls, killed = [], [], {}
    for seed in range(runs):
        s = simulate(played, seed).summary
        cuts.append(s["encirclement_day"])
        falls.append(s["objective_fall_day"])
        for side, c in s["casualties_by_side"].items():
            killed[side] = killed.get(side, 0) + c["killed"] / runs
    return (Spread(tuple(d for d in cuts if d is not None), cuts.count(None)),
            Spread(tuple(d for d in falls if d is not None), falls.count(None)), killed)


def debrief(game: Game, runs: int = DOCTRINE_RUNS) -> dict[str, list[str]]:
    """The debrief of a game so far: cut-off and fall days against doctrine and history, losses against the
    record, and each order with what came of it."""
    summary = game.record().summary
    cut, fall = summary["encirclement_day"], summary["objective_fall_day"]
    if not game.over:
        fall = fall if game.model.space.holds_whole(game.model.objective, game.model.attacker) else None
    cuts, falls, killed = doctrine_spread(game.source, game.knobs, runs)
    record = load_record(game.scenario)
    so_far = "" if game.over else f" (day {game.day:g} of {game.scenario.days:g}: the campaign is not over)"

    def day(d: float | None) -> str:
        return ("never" if game.over else "not yet") if d is None else game.dated(d)

    def history(d: int | None) -> str:
        return "" if record is None else f"; history: {'never' if d is None else game.dated(d)}"

    town = game.model.place_name(game.model.objective)
    lines = [f"Cut off: {day(cut)}{so_far}; doctrine alone: {cuts.text()} ({cuts.rank(cut)})"
             + history(record.encirclement_day if record else None),
             f"{town} fell: {day(fall)}; doctrine alone: {falls.text()} ({falls.rank(fall)})"
             + history(record.fall_day if record else None)]
    losses = []
    for side, c in summary["casualties_by_side"].items():
        name = game.scenario.spec.sides[side].name
        known = record.losses_by_side.get(side) if record else None
        low, high = known.killed if known else (0, 0)
        recorded = "" if known is None else f"; the record: {low:,}{f'-{high:,}' if high != low else ''} killed " \
            f"({known.period})"
        losses.append(f"{name}: {c['killed']:,} killed, {c['wounded']:,} wounded; doctrine's mean "
                      f"{killed.get(side, 0):,.0f} killed{recorded}")
    orders = [f"{game.dated(o.day)}: {game.model.formation(o.formation).label} {o.action}"
              + (f" {game.model.place_name(o.target)}" if o.target else "") + f" - {game.outcome(i)}"
              for i, o in enumerate(game.orders)]
    return {"Against doctrine and history": lines, "Losses": losses,
            "Your orders and what came of them": orders or ["No orders were given: doctrine played every formation."]}


# ---------------------------------------------------------------- a server's folder of saved games

GAME_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_GAME_BYTES = 1_000_000  # a saved game is a few hundred bytes plus about 80 per order
MAX_GAMES = 1000  # games a folder keeps (with MAX_GAME_BYTES, a bound on the disk a classroom can fill)


class GamesFolder:
    """The one folder where a server's players save and load games, by name.

    A name is 1 to 64 letters, digits, ``-`` or ``_``, so no name reaches outside the folder; a save never
    replaces an existing game unless asked to; files are at most MAX_GAME_BYTES and the folder holds at most
    MAX_GAMES; only games of the ``scenarios`` offered are loaded (a saved game names its scenario file, and the
    server reads no other). Every refusal is an InputError naming the game.
    """

    def __init__(self, folder: Path, scenarios: Collection[Path]) -> None:
        self.folder = folder
        self.scenarios = frozenset(Path(p).resolve() for p in scenarios)

    def path(self, name: str) -> Path:
        if not GAME_NAME.fullmatch(name):
            raise InputError("game name", "", f"{name!r} is not one: a name is 1 to 64 letters, digits, - or _ "
                             "(no folders: games stay in the games folder)")
        return self.folder / f"{name}.yaml"

    def names(self) -> list[str]:
        """The saved games, by name."""
        return sorted(p.stem for p in self.folder.glob("*.yaml") if GAME_NAME.fullmatch(p.stem))

    def text(self, game: Game) -> str:
        """The saved form of ``game`` as this folder writes it (a download is the same text)."""
        return game.save_text(self.folder)

    def save(self, game: Game, name: str, overwrite: bool = False) -> Path:
        """Save ``game`` as ``name``; an existing game of that name is replaced only with ``overwrite``."""
        path = self.path(name)
        text = self.text(game)
        if len(text.encode("utf-8")) > MAX_GAME_BYTES:
            raise InputError(name, "orders", f"the game is larger than {MAX_GAME_BYTES:,} bytes")
        if not path.exists() and len(self.names()) >= MAX_GAMES:
            raise InputError(name, "", f"the games folder is full ({MAX_GAMES} games): ask the teacher to clear it")
        try:
            atomic_write_text(path, text, replace=overwrite)
        except FileExistsError:
            raise InputError(name, "", "a saved game of this name exists: choose another name, or tick "
                             "Overwrite to replace it") from None
        return path

    def load(self, name: str, side: str | None = None) -> Game:
        """Replay the saved game ``name`` (with ``side``: as a branch in which that side is played)."""
        path = self.path(name)
        if not path.is_file():
            raise InputError(name, "", "no saved game of this name")
        if path.stat().st_size > MAX_GAME_BYTES:
            raise InputError(name, "", f"is larger than {MAX_GAME_BYTES:,} bytes: not a saved game")
        return self._replay(path, side, name)

    def upload(self, name: str, data: bytes, side: str | None = None) -> Game:
        """Replay a game file sent by a player (a download of this folder's, say); errors name ``name``."""
        if len(data) > MAX_GAME_BYTES:
            raise InputError(name, "", f"is larger than {MAX_GAME_BYTES:,} bytes: not a saved game")
        with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".upload-", suffix=".tmp") as handle:
            handle.write(data)
            handle.flush()
            return self._replay(Path(handle.name), side, name)

    def _replay(self, path: Path, side: str | None, name: str) -> Game:
        """Load the game in ``path`` if its scenario is one offered; errors about the file name ``name``."""
        try:
            scenario = saved_scenario(path, read_saved(path)).resolve()
            if scenario not in self.scenarios:
                raise InputError(str(path), "scenario", "is not one of the scenarios this server offers")
            return load_game(path, side=side)
        except InputError as exc:
            if exc.file != str(path):
                raise
            raise InputError(name, exc.field, exc.problem) from None

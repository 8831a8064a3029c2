"""The classroom web app (``python run.py serve``): Mesa's SolaraViz over a game of sim/play.py.

SolaraViz gives the controls (step, play, pause, reset) and the settings (scenario, seed, knobs, side played);
the components show the theatre map (analysis/theatre_map.py; a click on it chooses an order's formation or
place), live charts of the encirclement, the event log as a story, the player's orders (the same orders and
refusals as ``run.py play``), the numbers behind every engagement, and saving, loading and branching of games (the
sidebar then shows the loaded game's settings). Each browser session has its own game.

Games are saved in the server's games folder (``run.py serve --games DIR``), by name only (sim/play.py's
GamesFolder); a player downloads the current game and uploads a downloaded one. Whatever a player sends, the page
shows a sentence, never a traceback.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

import ipyvuetify
import mesa
import solara
import solara.server.settings
import traitlets
import uvicorn
import yaml
from mesa.visualization import SolaraViz, solara_viz
from mesa.visualization.utils import force_update, update_counter

from analysis.palette import side_colours
from analysis.replay import MapState, map_state
from app.charts import Series, line_chart
from app.live_map import LiveMap, Picture, Spot, spot_at
from app.story import briefing, engagement_title, explain, formation_rows, headline
from sim.errors import InputError
from sim.events import format_date
from sim.play import (
    ACTIONS,
    GAME_NAME,
    MAX_GAME_BYTES,
    Game,
    GamesFolder,
    Knobs,
    Table,
    contact_places,
    debrief,
    event_known,
    reported_strength,
    sighted,
)
from sim.records import output_folder
from sim.scenario import ScenarioSpec, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios"
SCENARIOS_ENV = "SIEGE_SCENARIOS"  # the scenario files ``serve`` offers, joined by os.pathsep (set by serve())
RECORD_FOLDER = "record"  # records (sim/record.py) live in record/ folders and are not scenarios
DEFAULT = "historical"
AS_SCENARIO = "as in scenario"
SWITCH = {AS_SCENARIO: None, "on": True, "off": False}
WATCH = "watch (doctrine plays both)"
GAMES_DIR = "WARGAME_GAMES_DIR"  # the environment variable by which serve() tells the app its games folder
DEFAULT_GAMES = ROOT / "out" / "games"
game_name = solara.reactive("")  # per browser session ('': the session's own default); kept when the tab changes
overwrite = solara.reactive(False)
saved_here = solara.reactive(frozenset[str]())  # names this session saved: it may replace its own games
chosen_formation = solara.reactive("")  # the order's formation (an id), chosen in the form or on the map
chosen_place = solara.reactive("")  # the order's target (a place id), chosen in the form or on the map
save_note = solara.reactive("")  # what came of the last save, load or branch
loaded_settings = solara.reactive((0, dict[str, object]()))  # (loads so far, the sidebar settings of the last game
# loaded or branched): the sidebar shows them, and Reset starts from them
NAMES_SHOWN = 30
ENGAGEMENTS_SHOWN = 40  # newest first
STORY_EVENTS = 60  # the newest events the story shows (older ones: the report, or the terminal)
UMPIRE = "umpire"
TABLE_POLL_S = 0.5  # how often a waiting player's page looks whether the turn has resolved
tables: dict[str, Table] = {}  # the server's two-player tables by name (module state: shared by every session)
MAX_TABLES = 100  # tables a server keeps in memory (each holds a game): a bound on what a classroom can fill
tables_lock = threading.Lock()
SCROLL = {"height": "100%", "overflow-y": "auto"}  # a component scrolls inside its cell of the grid
MAP_DPI = 75  # the map and its key are about 1,000 px wide: sharp across the page at 1400 x 900
MAP_MIN_PX, KEY_MIN_PX = 560, 240  # narrower than this, the map would not be read: the key goes under it
FOG = {"off": False, "on": True}
# Page 0's grid (12 columns, rows of 30 px): the briefing, then the map across the page, then the orders and the
# story side by side, then the charts and the debrief. Page 1: engagements and saving. SolaraViz lays out a page
# by its number of components only, so the layouts are chosen by that number (mesa's default for any other).
PAGE_LAYOUTS = {
    6: [{"i": 0, "x": 0, "y": 0, "w": 12, "h": 5}, {"i": 1, "x": 0, "y": 5, "w": 12, "h": 25},
        {"i": 2, "x": 0, "y": 30, "w": 7, "h": 16}, {"i": 3, "x": 7, "y": 30, "w": 5, "h": 16},
        {"i": 4, "x": 0, "y": 46, "w": 6, "h": 15}, {"i": 5, "x": 6, "y": 46, "w": 6, "h": 15}],
    3: [{"i": 0, "x": 0, "y": 0, "w": 7, "h": 22}, {"i": 1, "x": 7, "y": 0, "w": 5, "h": 13},
        {"i": 2, "x": 7, "y": 13, "w": 5, "h": 9}],
}
mesa_layout = solara_viz.make_initial_grid_layout


def classroom_layout(components: int) -> list[dict]:
    """The grid of a page with ``components`` components (see PAGE_LAYOUTS)."""
    return [{**cell, "moved": False} for cell in PAGE_LAYOUTS[components]] if components in PAGE_LAYOUTS \
        else mesa_layout(components)


solara_viz.make_initial_grid_layout = classroom_layout  # SolaraViz has no layout argument: this is its one hook


def scenario_files(folder: Path) -> list[Path]:
    """Every scenario file under ``folder`` (``*.yaml``, records' folders left out), shallowest first."""
    found = [p for p in folder.rglob("*.yaml") if RECORD_FOLDER not in p.relative_to(folder).parts[:-1]]
    return sorted(found, key=lambda p: (len(p.relative_to(folder).parts), str(p)))


def choice_names(files: list[Path]) -> dict[str, Path]:
    """The name each scenario file is offered under: its stem, or folder/stem where two stems are the same."""
    stems = [p.stem for p in files]
    return {(p.stem if stems.count(p.stem) == 1 else f"{p.parent.name}/{p.stem}"): p for p in files}


def side_names(spec: ScenarioSpec) -> dict[str, str]:
    """A scenario's sides by the name they are offered under (their own; with the id after a name two share)."""
    names = [side.name for side in spec.sides.values()]
    return {(side.name if names.count(side.name) == 1 else f"{side.name} ({sid})"): sid
            for sid, side in spec.sides.items()}


@functools.cache
def _offered(joined: str) -> tuple[dict[str, Path], dict[str, str]]:
    files = [Path(p) for p in joined.split(os.pathsep)] if joined else scenario_files(SHIPPED)
    offered = choice_names(files)
    sides: dict[str, str] = {}  # every scenario's sides by the name they are offered under
    for path in offered.values():
        for name, sid in side_names(load_scenario(path).spec).items():
            sides[name if sides.get(name, sid) == sid else f"{name} ({sid})"] = sid
    return offered, sides


def offered_side(spec: ScenarioSpec, sid: str) -> str:
    """The name the sidebar offers side ``sid`` of ``spec`` under."""
    own = {v: k for k, v in side_names(spec).items()}[sid]
    sides = _offered(os.environ.get(SCENARIOS_ENV, ""))[1]
    return next((name for name in (own, f"{own} ({sid})") if sides.get(name) == sid), own)


def offered() -> dict[str, Path]:
    """The scenarios the app offers, by name: those ``serve`` was given, else every shipped one."""
    return _offered(os.environ.get(SCENARIOS_ENV, ""))[0]


def default_choice() -> str:
    names = list(offered())
    return DEFAULT if DEFAULT in names else names[0]


class Classroom(mesa.Model):
    """The model SolaraViz steps: one game. A step is one turn: a day, or up to the next decision day."""

    def __init__(self, campaign: str = "", seed: int = 1, side: str = WATCH, every: int = 1,
                 attack_ratio: str = AS_SCENARIO, siege_before_assault: str = AS_SCENARIO,
                 breakout_when_cut: str = AS_SCENARIO, fog: str = "off") -> None:
        super().__init__(rng=seed)
        self.fog = FOG[fog]
        self.live_map: LiveMap | None = None
        self.table: Table | None = None  # a two-player table this session sits at
        self.seat = ""  # at a table: a side id, or UMPIRE
        self.table_name = ""
        knobs = Knobs(attack_ratio=None if attack_ratio == AS_SCENARIO else float(attack_ratio),
                      siege_before_assault=SWITCH[siege_before_assault], breakout_when_cut=SWITCH[breakout_when_cut])
        path = offered()[campaign or default_choice()]
        sides = load_scenario(path).spec.sides
        sid = _offered(os.environ.get(SCENARIOS_ENV, ""))[1].get(side, side)  # offered by name
        self.other_side = side if sid not in (WATCH, *sides) else None  # a side of another scenario: watch
        played = None if sid == WATCH or self.other_side else sid
        self.use(Game(path, int(seed), played, int(every), knobs))

    def use(self, game: Game) -> None:
        """Play ``game`` from now on (a new, loaded or branched game)."""
        if self.live_map is None or self.live_map.map.scenario.path != game.scenario.path:
            self.live_map = LiveMap(game.scenario, MAP_DPI)
        self.game = game
        self.turn_events = len(game.model.events)  # events before this index are older than the last turn
        self.running = not game.over

    @property
    def side(self) -> str | None:
        """The side this session commands (None: it watches, or umpires, and sees everything)."""
        if self.table is not None:
            return None if self.seat == UMPIRE else self.seat
        return self.game.side

    @property
    def fogged(self) -> bool:
        """Whether the enemy is seen through the fog: when asked for, and always for a player at a table."""
        return self.side is not None and (self.fog or self.table is not None)

    def sit(self, name: str, table: Table, seat: str) -> None:
        """Sit at a two-player table, as a side or as the umpire."""
        self.table, self.seat, self.table_name = table, seat, name
        self.use(table.game)

    def step(self) -> None:
        """A turn: at a table, Step ends the player's turn (the umpire's resolves it); otherwise it plays one."""
        self.turn_events = len(self.game.model.events)
        if self.table is None:
            self.game.advance()
        elif self.seat == UMPIRE:
            self.table.advance()
        else:
            self.table.end_turn(self.seat)
        self.running = not self.game.over


def model_params() -> dict:
    """The settings in SolaraViz's sidebar; Reset starts a game with them."""
    names, sides = _offered(os.environ.get(SCENARIOS_ENV, ""))
    switch = {"type": "Select", "value": AS_SCENARIO, "values": list(SWITCH)}
    return {
        "campaign": {"type": "Select", "value": default_choice(), "values": list(names), "label": "Scenario"},
        # choices, not sliders: a slider hides its value until it is dragged
        "seed": {"type": "Select", "value": 1, "values": list(range(100)), "label": "Seed"},
        "side": {"type": "Select", "value": WATCH, "values": [WATCH, *sides], "label": "You command"},
        "every": {"type": "Select", "value": 1, "values": list(range(1, 8)), "label": "Orders every (days)"},
        "attack_ratio": {"type": "Select", "value": AS_SCENARIO, "label": "Attack ratio doctrine waits for",
                         "values": [AS_SCENARIO, *ATTACK_RATIOS]},
        "siege_before_assault": {**switch, "label": "Siege before assault"},
        "breakout_when_cut": {**switch, "label": "Defenders break out when cut"},
        "fog": {"type": "Select", "value": "off", "values": list(FOG), "label": "Fog of war"},
    }


ATTACK_RATIOS = ("1.5", "2.0", "2.5", "3.0", "4.0")


def settings_of(model: Classroom) -> dict[str, object]:
    """The sidebar settings that start ``model``'s game again (after Load or Branch the sidebar shows these)."""
    game = model.game
    names = {path.resolve(): name for name, path in offered().items()}
    switch = {value: name for name, value in SWITCH.items()}
    ratio = game.knobs.attack_ratio
    side = offered_side(game.scenario.spec, game.side) if game.side else WATCH
    return {"campaign": names[Path(game.source.path).resolve()], "seed": game.seed, "side": side,
            "every": game.every, "attack_ratio": AS_SCENARIO if ratio is None else str(float(ratio)),
            "siege_before_assault": switch[game.knobs.siege_before_assault],
            "breakout_when_cut": switch[game.knobs.breakout_when_cut],
            "fog": next(name for name, on in FOG.items() if on == model.fog)}


def with_values(params: dict, values: dict[str, object]) -> dict:
    """``params`` (model_params()) showing ``values``; a value not among a select's choices is added to them."""
    shown = {}
    for name, spec in params.items():
        if name not in values:
            shown[name] = spec
            continue
        choices = spec.get("values")
        extra = [values[name]] if choices is not None and values[name] not in choices else []
        shown[name] = {**spec, "value": values[name], **({"values": [*choices, *extra]} if extra else {})}
    return shown


mesa_creator = solara_viz.ModelCreator


@solara.component
def SettingsInSync(model: solara.Reactive[mesa.Model], user_params: dict, *,
                   model_parameters: solara.Reactive[dict]) -> None:
    """Mesa's settings card, started again whenever a game is loaded or branched: its controls then show that
    game's settings, and mesa's own start-up sets them as what Reset plays."""
    count, values = loaded_settings.value
    mesa_creator(model, with_values(user_params, values), model_parameters=model_parameters).key(f"loaded-{count}")


@solara.component
def GameDay(model: Classroom) -> None:
    """The sidebar's clock: the game's date and turn, where mesa shows its count of steps (not the game's day: a
    loaded game starts at its own day, and a step may be several days). It also carries the page's style (the
    sidebar is on every page)."""
    update_counter.get()
    game = model.game
    solara.Text(f"{format_date(game.model.date)}, day {game.day:g} of {game.scenario.days:g}")
    solara.Style(NARROW_PAGE)


NARROW_PAGE = """@media (max-width: 1100px) {
  .vue-grid-layout { height: auto !important; }
  .vue-grid-item { position: relative !important; transform: none !important; width: 100% !important;
                   height: auto !important; margin-bottom: 10px; }
  .vue-grid-item > .vue-resizable-handle { display: none; }
}"""  # a narrow page (1024 x 768, a projector's): the components one under the other, each across the page


solara_viz.ModelCreator = SettingsInSync  # SolaraViz names its settings card and its clock, and takes no others
solara_viz.ShowSteps = GameDay


# ---------------------------------------------------------------- components (each redraws on every step)


def sections_html(sections: dict[str, list[str]]) -> str:
    """Headed lists (a briefing, a debrief) as HTML."""
    return "".join(f"<h4 style='margin:6px 0 2px'>{escape(head)}</h4><ul style='margin:0'>"
                   + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"
                   for head, lines in sections.items())


@solara.component
def Briefing(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _Briefing(model)


@solara.component
def _Briefing(model: Classroom) -> None:
    """The briefing of the side played (both sides' when watching), all derived from the scenario file."""
    update_counter.get()
    game = model.game
    spec = game.scenario.spec
    sides = [model.side] if model.side else list(spec.sides)
    solara.HTML(unsafe_innerHTML=f"<h3 style='margin:0'>{escape(spec.name)}</h3><p style='margin:0'>"
                f"{format_date(spec.start_date)} to {format_date(spec.end_date)}. {escape(headline(game))}</p>")
    for side in sides:
        solara.Details(summary=f"Briefing: {spec.sides[side].name} ({spec.sides[side].role.value})",
                       children=[solara.HTML(unsafe_innerHTML=sections_html(briefing(game, side)))],
                       expand=game.day == 0 and len(sides) == 1)


def fogged(model: Classroom, state: MapState) -> MapState:
    """The map state as the player's side knows it: with fog, only enemy formations in contact, at a reported
    strength (the middle of its band); never any not yet arrived (map_state shows active formations only)."""
    side = model.side
    if not model.fogged:
        return state
    m = model.game.model
    seen = contact_places(m, side)
    shown = []
    for f in state.formations:
        if f.side == side:
            shown.append(f)
        elif sighted(m, side, m.formation(f.fid), seen):
            low, high = reported_strength(f.personnel)
            shown.append(dataclasses.replace(f, personnel=(low + high) // 2))
    return dataclasses.replace(state, formations=shown,
                               events=[e for e in state.events if event_known(e, side, seen)])


class ClickableMap(ipyvuetify.VuetifyTemplate):
    """The map (a picture that tells the server where it was clicked, as fractions of its width and height: it is
    shown at whatever size the page gives it), its key, and its caption as text. The map and key stand
    side by side, in proportion to their pictures' widths, when the page has room for both at a readable size,
    else one under the other, the map across the page. ``clicked`` changes on every click, so that a second click
    on the same spot is seen too."""

    template = traitlets.Unicode("""<template><div>
        <div style="display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start">
          <img :src="src" alt="the campaign map: click a formation of yours, then a place"
            :style="`flex: ${map_width} 1 0; min-width: min(100%, ${MAP_MIN_PX}px); display: block;
            cursor: crosshair`" @click="clicked = {x: $event.offsetX / $event.target.clientWidth,
            y: $event.offsetY / $event.target.clientHeight, at: Date.now()}"/>
          <img :src="key_src" alt="the map's key"
            :style="`flex: ${key_width} 1 0; min-width: ${KEY_MIN_PX}px; max-width: ${key_width}px; display: block`"/>
        </div>
        <div v-for="line in caption" style="font-size: 16px; margin-top: 4px">{{ line }}</div>
        </div></template>""".replace("MAP_MIN_PX", str(MAP_MIN_PX)).replace("KEY_MIN_PX", str(KEY_MIN_PX))
    ).tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    key_src = traitlets.Unicode("").tag(sync=True)
    map_width = traitlets.Int(1).tag(sync=True)  # the pictures' widths in pixels: their shares of a wide page
    key_width = traitlets.Int(1).tag(sync=True)
    caption = traitlets.List(traitlets.Unicode()).tag(sync=True)
    clicked = traitlets.Dict().tag(sync=True)


def choose_on_map(model: Classroom, spot: Spot | None) -> None:
    """A click on the map: one of the player's formations becomes the order's formation; a place (or an enemy
    formation's place) its target."""
    if spot is None or model.side is None:
        return
    m = model.game.model
    formation = m.formation(spot.key) if spot.kind == "formation" else None
    if formation is not None and formation.side == model.side:
        if chosen_formation.value != spot.key:
            chosen_place.set("")  # a place chosen for another formation would be a surprising target
        chosen_formation.set(spot.key)
    elif formation is not None:
        if formation.place is not None:  # an enemy on the road is at no place to attack
            chosen_place.set(formation.place)
    else:
        chosen_place.set(spot.key)


@solara.component
def MapView(model: Classroom) -> None:
    """The campaign map (the report's), redrawn on every step over a background kept per state of control; a
    click on it chooses an order's formation or target. A button beside its title does what the sidebar's Step
    does, so that the sidebar can be hidden on a projector and the map take the page's width."""
    update_counter.get()
    game = model.game

    def draw() -> Picture:
        return model.live_map.picture(fogged(model, map_state(game.model, model.turn_events)))

    # drawn again only when the day or the viewer changes: an order given or a turn ended redraws the page, not this
    picture = solara.use_memo(draw, [game, game.model.steps, model.turn_events, model.side, model.fogged])

    def clicked(where: dict) -> None:
        choose_on_map(model, spot_at(picture.spots, float(where["x"]), float(where["y"]), picture.aspect))

    def next_turn() -> None:
        model.step()
        force_update()

    with solara.Column(style=SCROLL):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML(unsafe_innerHTML=f"<span style='font-size:20px;font-weight:bold'>{escape(picture.title)}"
                        "</span>")
            solara.Button("Next turn", color="primary", on_click=next_turn, disabled=game.over)
            solara.Text("(the sidebar's Step; \u2630 at the top left hides the sidebar: the map grows)",
                        style={"color": "#555"})
        ClickableMap.element(src=data_url(picture.map), key_src=data_url(picture.key),
                             map_width=picture.map_width, key_width=picture.key_width,
                             caption=list(picture.caption), on_clicked=clicked)


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


@solara.component
def Charts(model: Classroom) -> None:
    """Encirclement progress so far: the town's supply flow and isolation, and the ground each side holds."""
    update_counter.get()
    game = model.game
    days = [r["day"] for r in game.rows]
    town = game.model.place_name(game.model.objective)
    supply = line_chart(f"Supply of {town} (100% = the flow on day 0)", days, [
        Series("supply flow", "#e84393", [r["supply_flow_share"] for r in game.rows]),
        Series("defender's ground cut off", "#222222", [r["isolation_share"] for r in game.rows], dashed=True)],
        game.scenario.days)
    colours = side_colours(game.scenario.spec)
    ground = line_chart("Share of the places each side holds", days, [
        Series(spec.name, colours[side], [r[f"held.{side}"] for r in game.rows])
        for side, spec in game.scenario.spec.sides.items()], game.scenario.days)
    with solara.Column(style=SCROLL):
        solara.HTML(unsafe_innerHTML=supply + ground)


@solara.component
def Debrief(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _Debrief(model)


@solara.component
def _Debrief(model: Classroom) -> None:
    """The debrief: shown at the end of the campaign, and on demand before it."""
    update_counter.get()
    game = model.game
    asked = solara.use_reactive(-1.0)  # the day the debrief was asked for
    if not game.over and asked.value != game.day:
        solara.HTML(unsafe_innerHTML="<b>Debrief</b>: at the end of the campaign, your cut-off and fall days "
                    "against 40 runs of doctrine alone and history, your losses against the record, and what came "
                    "of each of your orders.")
        solara.Button("Debrief now", on_click=lambda: asked.set(game.day))
        return
    solara.HTML(unsafe_innerHTML=f"<b>Debrief</b> - {escape(headline(game))}" + sections_html(debrief(game)))

@solara.component
def Story(model: Classroom) -> None:
    """The event log, newest day first, as dated sentences."""
    update_counter.get()
    game = model.game
    events = game.model.events
    seen = contact_places(game.model, model.side) if model.fogged else None
    items = [f"<li{' class=new' if i >= model.turn_events else ''}>{escape(events[i].text)}</li>"
             for i in range(len(events) - 1, max(-1, len(events) - STORY_EVENTS), -1)
             if seen is None or event_known(events[i], model.side, seen)]
    story = f"<ul>{''.join(items)}</ul>" if items else "<p>Nothing has happened yet: press Step.</p>"
    with solara.Column(style=SCROLL):
        solara.HTML(unsafe_innerHTML=f"<p><b>{escape(headline(game))}</b></p>{story}<style>li.new{{font-weight:"
                    "bold}</style>")


@solara.component
def Orders(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _Orders(model)


@solara.component
def _Orders(model: Classroom) -> None:
    """The player's formations and the order form (sim/play.py decides what is legal)."""
    update_counter.get()
    game = model.game
    action = solara.use_reactive("move")
    note = solara.use_reactive("")  # what became of the last order
    seat = model.table.turn if model.table else None
    solara.use_thread(lambda: wait_for_turn(model.table, seat), dependencies=[model.table, seat])
    if model.side is None:
        if model.table is not None:
            solara.HTML(unsafe_innerHTML=f"<b>Umpire</b> of table {escape(model.table_name)}: you see everything. "
                        f"{escape(table_status(model.table))} Step resolves the turn with the orders given so far.")
            return
        other = (f"The side you chose, {escape(model.other_side)}, is not in this scenario. "
                 if model.other_side else "")
        sides = escape(", ".join(side_names(game.scenario.spec)))
        solara.HTML(unsafe_innerHTML=f"<b>Watch mode.</b> {other}To command a side, choose one of this scenario's "
                    f"({sides}) under <i>You command</i> and press Reset (or load a game and branch it with a side).")
        return
    m = game.model
    side = model.side
    rows = formation_rows(game, side)
    by_name = {r["name"]: r for r in rows}
    chosen = next((r for r in rows if r["id"] == chosen_formation.value), None)
    near = m.space.adjacency.get(chosen["at"], ()) if chosen and chosen["at"] else ()
    # the chosen formation's neighbours first (where attacks go), then every place by name
    names = {m.place_name(p): p for p in (*sorted(near, key=m.place_name),
                                                   *sorted(m.places, key=lambda p: m.place_name(p).casefold()))}
    place_name = m.place_name(chosen_place.value) if chosen_place.value in m.places else ""

    def choose_formation(name: str) -> None:
        chosen_formation.set(by_name[name]["id"] if name in by_name else "")
        chosen_place.set("")  # a place chosen for another formation would be a surprising target
        note.set("")

    def give() -> None:
        fid = chosen["id"] if chosen else ""
        if model.table is None:
            why = game.give(fid, action.value, chosen_place.value)
            done = "" if why else game.standing(m.formation(fid))
        else:
            why = model.table.order(side, fid, action.value, chosen_place.value)
            done = f"{action.value} {place_name}".strip() + " (when the turn resolves)"
        note.set(f"refused: {why}" if why else f"ok: {chosen['name']}: {done}")
        force_update()

    side_name = game.scenario.spec.sides[side].name
    if model.table is not None:
        turn = f"give your orders, then Step to end your turn. {table_status(model.table)}"
    elif game.decision_day:
        turn = "give your orders, then Step"
    else:
        turn = "no orders today: Step to the next decision day"
    solara.HTML(unsafe_innerHTML=f"<b>You command the {escape(side_name)}</b> - {escape(headline(game))} - {turn}"
                f"<br>{escape(turn_track(game, side))}")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Select("Formation", values=list(by_name), value=chosen["name"] if chosen else "",
                      on_value=choose_formation, style={"min-width": "16em"})
        solara.Select("Order", values=list(ACTIONS), value=action)
        solara.Select("Place", values=["", *names], value=place_name,
                      on_value=lambda name: chosen_place.set(names.get(name, "")), style={"min-width": "12em"})
        solara.Button("Give order", color="primary", on_click=give)
    if note.value:
        (solara.Error if note.value.startswith("refused") else solara.Success)(note.value)
    columns = ("name", "where", "men", "morale", "supply", "posture", "orders")  # roads out: the Place list, first
    solara.HTML(unsafe_innerHTML=table(columns, rows, "formation") + enemy_table(game, side, model.fogged)
                + TABLE_STYLE)


TABLE_STYLE = ("<style>table.orders td,table.orders th{padding:2px 8px;text-align:left;font-size:14px;"
               "vertical-align:top}</style>")


def table(columns: Sequence[str], rows: Sequence[dict], first: str) -> str:
    head = "".join(f"<th>{first if i == 0 else c}</th>" for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r[c]))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table class=orders><tr>{head}</tr>{body}</table>"


def turn_track(game: Game, side: str) -> str:
    """'Turn 3 of 65. Your next arrivals: 8 April 2013 (day 4): Unit 910 (450 men); ...' for the side played."""
    spec = game.scenario.spec
    turns = math.ceil(game.scenario.days / spec.step_days / game.every)
    now = game.model.steps // game.every + 1
    coming = [f for f in spec.formations if spec.factions[f.faction].side == side and f.arrival_day > game.day]
    arrivals = "; ".join(f"{game.dated(f.arrival_day)}: {f.name} ({f.personnel:,} men)" for f in coming[:4])
    return f"Turn {min(now, turns)} of {turns}. Your next arrivals: {arrivals or 'none'}"


def enemy_table(game: Game, side: str, fog: bool) -> str:
    """The enemy the player knows of: all of them without fog; with fog, only those in contact, at a reported
    strength; never those not yet arrived."""
    m = game.model
    enemy = m.enemy_of(side)
    seen = contact_places(m, side)
    rows = []
    for r in formation_rows(game, enemy):
        f = m.formation(r["id"])
        if not f.active or (fog and not sighted(m, side, f, seen)):
            continue
        low, high = reported_strength(f.personnel)
        rows.append({**r, "men": f"{low:,}-{high:,} (reported)" if fog else f"{f.personnel:,}"})
    title = "Enemy in contact (reports)" if fog else "Enemy formations in the field"
    if not rows:
        return f"<p><b>{title}</b>: none</p>"
    return f"<p style='margin:6px 0 0'><b>{title}</b></p>" + table(("name", "where", "men", "posture"), rows,
                                                                    "formation")


@solara.component
def Engagements(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _Engagements(model)


@solara.component
def _Engagements(model: Classroom) -> None:
    """Every engagement so far, newest first; open one to see the numbers that decided it."""
    update_counter.get()
    game = model.game
    found = game.engagements()[::-1][:ENGAGEMENTS_SHOWN]
    solara.HTML(unsafe_innerHTML=f"<b>Engagements</b> ({len(game.engagements())} so far; the newest {len(found)} "
                "shown: open one to see the numbers that decided it)"
                "<style>.v-expansion-panel-header{white-space:normal;line-height:1.3}</style>")  # whole titles
    for adj in found:
        text = "\n".join(explain(adj, game.scenario.params.ratio_exponent))
        solara.Details(summary=engagement_title(adj), children=[solara.Preformatted(text)])


def wait_for_turn(table: Table | None, turn: int | None) -> None:
    """In a player's page: wait until the table's turn ``turn`` has resolved, then redraw the page."""
    if table is None:
        return
    while table.turn == turn:
        time.sleep(TABLE_POLL_S)
    force_update()


def table_status(table: Table) -> str:
    """Who the table waits for."""
    names = table.game.scenario.spec.sides
    waiting = [names[s].name for s in table.sides if s not in table.ready]
    given = ", ".join(f"{names[s].name} {len(table.pending[s])}" for s in table.sides)
    return f"Turn {table.turn + 1}: waiting for {' and '.join(waiting)} (orders given: {given})."


@solara.component
def Tables(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _Tables(model)


@solara.component
def _Tables(model: Classroom) -> None:
    """Two players and an umpire: each opens the same table by name, one as each side and one as umpire.

    The first to open a table sets it up with this page's game settings (scenario, seed, knobs, orders every);
    each side's page then shows only what that side knows (fog of war), and a turn resolves when both sides have
    pressed Step (or when the umpire does)."""
    update_counter.get()
    name = solara.use_reactive("")
    seat = solara.use_reactive(UMPIRE)
    note = solara.use_reactive("")
    game = model.game

    def sit() -> None:
        if not GAME_NAME.fullmatch(name.value):
            note.set("refused: a table's name is 1 to 64 letters, digits, - or _")
            return
        with tables_lock:
            table = tables.get(name.value)
            if table is None and len(tables) >= MAX_TABLES:
                note.set(f"refused: this server has {MAX_TABLES} tables already: sit at one of them")
                return
            if table is None:
                table = tables[name.value] = Table(Game(game.source.path, game.seed, None, game.every, game.knobs))
        sid = side_names(game.scenario.spec).get(seat.value, seat.value)
        if sid != UMPIRE and sid not in table.sides:
            note.set(f"refused: table {name.value} plays {table.game.scenario.spec.name}: sit as one of "
                     f"{', '.join(side_names(table.game.scenario.spec))} or {UMPIRE}")
            return
        model.sit(name.value, table, sid)
        note.set(f"at table {name.value} as {seat.value}")
        force_update()

    solara.HTML(unsafe_innerHTML="<b>Two players</b>: open the same table on two computers, one as each side (and "
                "a third as umpire, who sees everything). Orders are collected from both sides; the turn resolves "
                "when both have pressed Step, or when the umpire presses Step.")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.InputText("Table name", value=name)
        solara.Select("Seat", values=[*side_names(game.scenario.spec), UMPIRE], value=seat)
        solara.Button("Sit at table", color="primary", on_click=sit)
    if note.value:
        (solara.Error if note.value.startswith("refused") else solara.Success)(note.value)
    if model.table is not None:
        solara.Text(table_status(model.table))


@solara.component
def SaveLoad(model: Classroom) -> None:
    with solara.Column(style=SCROLL):
        _SaveLoad(model)


def games() -> GamesFolder:
    """The server's games folder, for the scenarios the app offers."""
    return GamesFolder(Path(os.environ.get(GAMES_DIR, DEFAULT_GAMES)), offered().values())


def default_name() -> str:
    """This session's own game name, so that two sessions never save over each other by default."""
    return "game-" + hashlib.sha256(solara.get_kernel_id().encode()).hexdigest()[:6]


def attempt(note: solara.Reactive[str], action: Callable[[], str]) -> None:
    """Run a player's save or load; what came of it, or why it was refused, becomes the note (never a traceback)."""
    try:
        note.set(action())
    except InputError as exc:
        note.set(f"refused: {exc}")
    except OSError as exc:
        note.set(f"refused: the games folder cannot be used ({exc.strerror or exc})")
    except (ValueError, TypeError, RecursionError, MemoryError, yaml.YAMLError) as exc:  # a file beyond the checks
        note.set(f"refused: not a saved game this app can read ({type(exc).__name__})")


@solara.component
def _SaveLoad(model: Classroom) -> None:
    """Save the game by name, load one, branch one (load it and take a side from its saved day), download the
    game, or upload a downloaded one."""
    update_counter.get()
    folder = games()
    name = game_name.value or default_name()  # as shown; actions read it again when they run
    branch_side = solara.use_reactive(WATCH)
    note = save_note
    game = model.game

    def save() -> str:
        chosen = game_name.value or default_name()
        written = folder.save(game, chosen, overwrite=overwrite.value or chosen in saved_here.value)
        saved_here.set(saved_here.value | {chosen})
        return f"saved day {game.day:g} as {written.stem}"

    def play(loaded: Game, what: str) -> str:
        model.table = None  # a loaded game is this session's own, not a table's
        model.use(loaded)
        loaded_settings.set((loaded_settings.value[0] + 1, settings_of(model)))
        force_update()
        return f"{what} at day {loaded.day:g}"

    def load(branch: bool) -> str:
        chosen = game_name.value or default_name()
        side = side_names(game.scenario.spec).get(branch_side.value) if branch else None  # watch: None
        return play(folder.load(chosen, side=side), f"{'branched' if branch else 'loaded'} {chosen}")

    def upload(info: dict) -> str:
        sent = str(info["name"])[:80]
        if info["size"] > MAX_GAME_BYTES:
            raise InputError(sent, "", f"is larger than {MAX_GAME_BYTES:,} bytes: not a saved game")
        loaded = folder.upload(sent, info["file_obj"].read(MAX_GAME_BYTES + 1))
        game_name.set(re.sub(r"[^A-Za-z0-9_-]", "-", Path(sent).stem)[:64] or default_name())
        return play(loaded, f"loaded {sent}") + ": Save to keep it in the games folder"

    solara.HTML(unsafe_innerHTML="<b>Save, load, branch</b> (by name, in the games folder of this server; a saved "
                "game replays the same run and orders to its day). Reset starts a new game from the sidebar's "
                "settings: save a loaded game first to keep it.")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.InputText("Game name", value=name, on_value=game_name.set)
        solara.Checkbox(label="Overwrite", value=overwrite)
        solara.Button("Save", color="primary", on_click=lambda: attempt(note, save))
        solara.Button("Load", on_click=lambda: attempt(note, lambda: load(False)))
        solara.Select("Branch as", values=[WATCH, *side_names(game.scenario.spec)], value=branch_side)
        solara.Button("Branch", on_click=lambda: attempt(note, lambda: load(True)))
    if note.value:
        (solara.Error if note.value.startswith("refused") else solara.Success)(note.value)
    names = folder.names() if folder.folder.is_dir() else []
    solara.Text(f"Saved games: {', '.join(names[:NAMES_SHOWN]) or 'none yet'}"
                + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""))
    solara.FileDownload(lambda: folder.text(game), filename=f"{name}.yaml", label="Download this game")
    solara.FileDrop(label=f"Drop a downloaded game here to load it (at most {MAX_GAME_BYTES:,} bytes)",
                    on_file=lambda info: attempt(note, lambda: upload(info)), lazy=True)


@solara.component
def Page() -> None:
    """One game per browser session."""
    model = solara.use_memo(Classroom, [])
    SolaraViz(model, components=[(Briefing, 0), (MapView, 0), (Orders, 0), (Story, 0), (Charts, 0), (Debrief, 0),
                                 (Engagements, 1), (SaveLoad, 1), (Tables, 1)],
              model_params=model_params(), name="Siege wargame - classroom", play_interval=300)


def serve(scenarios: Sequence[Path], host: str = "127.0.0.1", port: int = 8765,
          games_dir: Path = DEFAULT_GAMES) -> int:
    """Serve the app offering ``scenarios`` until interrupted (on the local address unless told otherwise), with
    its games folder."""
    for path in scenarios:
        load_scenario(path)  # a bad scenario stops here, before the server starts
    os.environ[SCENARIOS_ENV] = os.pathsep.join(str(Path(p).resolve()) for p in scenarios)
    os.environ[GAMES_DIR] = str(output_folder(games_dir, "--games").resolve())
    os.environ["SOLARA_APP"] = "app.webapp"
    solara.server.settings.theme.show_banner = False  # Solara's "runs on Solara" corner covers the page's text

    print(f"Classroom app: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0

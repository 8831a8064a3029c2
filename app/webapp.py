"""The classroom web app (``python run.py serve``): Mesa's SolaraViz over a game of sim/play.py.

SolaraViz gives the controls (step, play, pause, reset) and the settings (scenario, seed, knobs, side played);
the components show the theatre map (analysis/theatre_map.py), live charts of the encirclement, the event log
as a story, the player's orders (the same orders and refusals as ``run.py play``), the numbers behind every
engagement, and saving, loading and branching of games. Each browser session has its own game.

Games are saved in the server's games folder (``run.py serve --games DIR``), by name only (sim/play.py's
GamesFolder); a player downloads the current game and uploads a downloaded one. Whatever a player sends, the page
shows a sentence, never a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

import mesa
import solara
import uvicorn
import yaml
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from analysis.palette import new_figure, png_bytes, side_colours
from analysis.replay import map_state
from analysis.theatre_map import map_figure
from app.story import engagement_title, explain, formation_rows, headline
from sim.errors import InputError
from sim.play import ACTIONS, MAX_GAME_BYTES, Game, GamesFolder, Knobs
from sim.records import output_folder
from sim.scenario import load_scenario

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
NAMES_SHOWN = 30
ENGAGEMENTS_SHOWN = 40  # newest first
STORY_EVENTS = 150  # the newest events the story shows
SCROLL = {"height": "100%", "overflow-y": "auto"}  # a component scrolls inside its cell of the grid


def scenario_files(folder: Path) -> list[Path]:
    """Every scenario file under ``folder`` (``*.yaml``, records' folders left out), shallowest first."""
    found = [p for p in folder.rglob("*.yaml") if RECORD_FOLDER not in p.relative_to(folder).parts[:-1]]
    return sorted(found, key=lambda p: (len(p.relative_to(folder).parts), str(p)))


def choice_names(files: list[Path]) -> dict[str, Path]:
    """The name each scenario file is offered under: its stem, or folder/stem where two stems are the same."""
    stems = [p.stem for p in files]
    return {(p.stem if stems.count(p.stem) == 1 else f"{p.parent.name}/{p.stem}"): p for p in files}


@functools.cache
def _offered(joined: str) -> tuple[dict[str, Path], tuple[str, ...]]:
    files = [Path(p) for p in joined.split(os.pathsep)] if joined else scenario_files(SHIPPED)
    offered = choice_names(files)
    sides = dict.fromkeys(side for path in offered.values() for side in load_scenario(path).spec.sides)
    return offered, tuple(sides)


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
                 breakout_when_cut: str = AS_SCENARIO) -> None:
        super().__init__(rng=seed)
        knobs = Knobs(attack_ratio=None if attack_ratio == AS_SCENARIO else float(attack_ratio),
                      siege_before_assault=SWITCH[siege_before_assault], breakout_when_cut=SWITCH[breakout_when_cut])
        path = offered()[campaign or default_choice()]
        sides = load_scenario(path).spec.sides
        self.other_side = side if side not in (WATCH, *sides) else None  # a side of another scenario: watch
        played = None if side == WATCH or self.other_side else side
        self.use(Game(path, int(seed), played, int(every), knobs))

    def use(self, game: Game) -> None:
        """Play ``game`` from now on (a new, loaded or branched game)."""
        self.game = game
        self.turn_events = len(game.model.events)  # events before this index are older than the last turn
        self.running = not game.over

    def step(self) -> None:
        self.turn_events = len(self.game.model.events)
        self.game.advance()
        self.running = not self.game.over


def model_params() -> dict:
    """The settings in SolaraViz's sidebar; Reset starts a game with them."""
    names, sides = _offered(os.environ.get(SCENARIOS_ENV, ""))
    switch = {"type": "Select", "value": AS_SCENARIO, "values": list(SWITCH)}
    return {
        "campaign": {"type": "Select", "value": default_choice(), "values": list(names), "label": "Scenario"},
        "seed": {"type": "SliderInt", "value": 1, "min": 0, "max": 99, "step": 1, "label": "Seed"},
        "side": {"type": "Select", "value": WATCH, "values": [WATCH, *sides], "label": "You command"},
        "every": {"type": "SliderInt", "value": 1, "min": 1, "max": 7, "step": 1, "label": "Orders every (days)"},
        "attack_ratio": {"type": "Select", "value": AS_SCENARIO, "label": "Attack ratio doctrine waits for",
                         "values": [AS_SCENARIO, "1.5", "2.0", "2.5", "3.0", "4.0"]},
        "siege_before_assault": {**switch, "label": "Siege before assault"},
        "breakout_when_cut": {**switch, "label": "Defenders break out when cut"},
    }


# ---------------------------------------------------------------- components (each redraws on every step)


@solara.component
def Briefing(model: Classroom) -> None:
    """The scenario's title, dates, objective, sides and description: the briefing, all from the scenario file."""
    update_counter.get()
    spec = model.game.scenario.spec
    sides = "; ".join(f"{escape(s.name)} ({s.role.value}: "
                      f"{escape(', '.join(f.name for f in spec.factions.values() if f.side == sid))})"
                      for sid, s in spec.sides.items())
    objective = escape(model.game.model.place_name(spec.objective))
    solara.HTML(unsafe_innerHTML=f"<h3 style='margin:0'>{escape(spec.name)}</h3><p>{spec.start_date:%d %B %Y} to "
                f"{spec.end_date:%d %B %Y}; objective: <b>{objective}</b>. {sides}.</p>"
                f"<p>{escape(spec.description)}</p>")


@solara.component
def MapView(model: Classroom) -> None:
    update_counter.get()
    game = model.game
    state = map_state(game.model, model.turn_events)
    solara.Image(png_bytes(map_figure(game.scenario, state), dpi=90), width="100%")


@solara.component
def Charts(model: Classroom) -> None:
    """Encirclement progress so far: the town's supply flow and isolation, and the ground each side holds."""
    update_counter.get()
    game = model.game
    days = [r["day"] for r in game.rows]
    fig = new_figure(9, 6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(days, [r["supply_flow_share"] for r in game.rows], color="#e84393", lw=3, label="supply flow to the town")
    top.plot(days, [r["isolation_share"] for r in game.rows], color="#222222", lw=2, ls="--",
             label="defender's ground cut off")
    top.set_ylim(-0.05, 1.05)
    top.set_ylabel("share")
    top.legend(loc="lower left", fontsize=12)
    colours = side_colours(game.scenario.spec)
    for side, spec in game.scenario.spec.sides.items():
        bottom.plot(days, [r[f"held.{side}"] for r in game.rows], color=colours[side], lw=3,
                    label=f"held by {spec.name}")
    bottom.set_ylabel("share of places")
    bottom.set_xlabel("day of the campaign")
    bottom.set_xlim(0, game.scenario.days)
    bottom.legend(loc="center left", fontsize=12)
    top.set_title(headline(game), fontsize=14, loc="left")
    solara.Image(png_bytes(fig, dpi=80), width="100%")


@solara.component
def Story(model: Classroom) -> None:
    """The event log, newest day first, as dated sentences."""
    update_counter.get()
    game = model.game
    events = game.model.events
    items = [f"<li{' class=new' if i >= model.turn_events else ''}>{escape(events[i].text)}</li>"
             for i in range(len(events) - 1, max(-1, len(events) - STORY_EVENTS), -1)]
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
    formation = solara.use_reactive("")
    action = solara.use_reactive("move")
    place = solara.use_reactive("")
    note = solara.use_reactive("")  # what became of the last order
    if game.side is None:
        other = (f"The side you chose, {escape(model.other_side)}, is not in this scenario. "
                 if model.other_side else "")
        solara.HTML(unsafe_innerHTML=f"<b>Watch mode.</b> {other}To command a side, choose one of this scenario's "
                    f"({escape(', '.join(game.scenario.spec.sides))}) under <i>You command</i> and press Reset (or "
                    "load a game and branch it with a side).")
        return
    m = game.model
    rows = formation_rows(game)
    chosen = next((r for r in rows if r["id"] == formation.value), None)
    near = m.space.adjacency.get(chosen["at"], ()) if chosen and chosen["at"] else ()
    # the chosen formation's neighbours first (where attacks go), then every place by name
    names = {m.place_name(p): p for p in (*sorted(near, key=m.place_name),
                                                   *sorted(m.places, key=lambda p: m.place_name(p).casefold()))}
    ids = [r["id"] for r in rows]

    def give() -> None:
        why = game.give(formation.value, action.value, names.get(place.value, ""))
        note.set(f"refused: {why}" if why else f"ok: {formation.value} {action.value} {place.value}".strip())
        force_update()

    side_name = game.scenario.spec.sides[game.side].name
    turn = "give your orders, then Step" if game.decision_day else "no orders today: Step to the next decision day"
    solara.HTML(unsafe_innerHTML=f"<b>You command the {escape(side_name)}</b> - {escape(headline(game))} - {turn}")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Select("Formation", values=ids, value=formation, style={"min-width": "14em"})
        solara.Select("Order", values=list(ACTIONS), value=action)
        solara.Select("Place", values=["", *names], value=place, style={"min-width": "12em"})
        solara.Button("Give order", color="primary", on_click=give)
    if note.value:
        (solara.Error if note.value.startswith("refused") else solara.Success)(note.value)
    columns = ("id", "where", "men", "morale", "supply", "posture", "orders")  # roads out: the Place list, first
    head = "".join(f"<th>{'formation' if c == 'id' else c}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r[c]))}</td>" for c in columns) + "</tr>" for r in rows)
    solara.HTML(unsafe_innerHTML=f"<table class=orders><tr>{head}</tr>{body}</table>"
                "<style>table.orders td,table.orders th{padding:2px 8px;text-align:left;font-size:13px}</style>")


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
                "shown: open one to see the numbers that decided it)")
    for adj in found:
        text = "\n".join(explain(adj, game.scenario.params.ratio_exponent))
        solara.Details(summary=engagement_title(adj), children=[solara.Preformatted(text)])


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
    note = solara.use_reactive("")
    game = model.game

    def save() -> str:
        chosen = game_name.value or default_name()
        written = folder.save(game, chosen, overwrite=overwrite.value or chosen in saved_here.value)
        saved_here.set(saved_here.value | {chosen})
        return f"saved day {game.day:g} as {written.stem}"

    def play(loaded: Game, what: str) -> str:
        model.use(loaded)
        force_update()
        return f"{what} at day {loaded.day:g}"

    def load(branch: bool) -> str:
        chosen = game_name.value or default_name()
        side = None if not branch or branch_side.value == WATCH else branch_side.value
        return play(folder.load(chosen, side=side), f"{'branched' if branch else 'loaded'} {chosen}")

    def upload(info: dict) -> str:
        sent = str(info["name"])[:80]
        if info["size"] > MAX_GAME_BYTES:
            raise InputError(sent, "", f"is larger than {MAX_GAME_BYTES:,} bytes: not a saved game")
        loaded = folder.upload(sent, info["file_obj"].read(MAX_GAME_BYTES + 1))
        game_name.set(re.sub(r"[^A-Za-z0-9_-]", "-", Path(sent).stem)[:64] or default_name())
        return play(loaded, f"loaded {sent}") + ": Save to keep it in the games folder"

    solara.HTML(unsafe_innerHTML="<b>Save, load, branch</b> (by name, in the games folder of this server; a saved "
                "game replays the same run and orders to its day)")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.InputText("Game name", value=name, on_value=game_name.set)
        solara.Checkbox(label="Overwrite", value=overwrite)
        solara.Button("Save", color="primary", on_click=lambda: attempt(note, save))
        solara.Button("Load", on_click=lambda: attempt(note, lambda: load(False)))
        solara.Select("Branch as", values=[WATCH, *game.scenario.spec.sides], value=branch_side)
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
    SolaraViz(model, components=[(Briefing, 0), (MapView, 0), (Charts, 0), (Story, 0), (Orders, 0),
                                 (Engagements, 1), (SaveLoad, 1)],
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

    print(f"Classroom app: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0

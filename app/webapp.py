"""The classroom web app (``python run.py serve``): Mesa's SolaraViz over a game of sim/play.py.

SolaraViz gives the controls (step, play, pause, reset) and the settings (scenario, seed, knobs, side played);
the components show the theatre map (analysis/theatre_map.py), live charts of the encirclement, the event log
as a story, the player's orders (the same orders and refusals as ``run.py play``), the numbers behind every
engagement, and saving, loading and branching of games. Each browser session has its own game.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import mesa
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from analysis.palette import new_figure, png_bytes, side_colours
from analysis.replay import map_state
from analysis.theatre_map import map_figure
from app.story import engagement_title, explain, formation_rows, headline
from sim.errors import InputError
from sim.play import ACTIONS, Game, Knobs, load_game
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"historical": ROOT / "scenarios" / "historical.yaml",
             **{p.stem: p for p in sorted((ROOT / "scenarios" / "counterfactuals").glob("*.yaml"))}}
AS_SCENARIO = "as in scenario"
SWITCH = {AS_SCENARIO: None, "on": True, "off": False}
WATCH = "watch (doctrine plays both)"
save_path = solara.reactive("out/games/game.yaml")  # per browser session; kept when the tab changes
ENGAGEMENTS_SHOWN = 40  # newest first
STORY_EVENTS = 150  # the newest events the story shows
SCROLL = {"height": "100%", "overflow-y": "auto"}  # a component scrolls inside its cell of the grid


class Classroom(mesa.Model):
    """The model SolaraViz steps: one game. A step is one turn: a day, or up to the next decision day."""

    def __init__(self, campaign: str = "historical", seed: int = 1, side: str = WATCH, every: int = 1,
                 attack_ratio: str = AS_SCENARIO, siege_before_assault: str = AS_SCENARIO,
                 breakout_when_cut: str = AS_SCENARIO) -> None:
        super().__init__(rng=seed)
        knobs = Knobs(attack_ratio=None if attack_ratio == AS_SCENARIO else float(attack_ratio),
                      siege_before_assault=SWITCH[siege_before_assault], breakout_when_cut=SWITCH[breakout_when_cut])
        self.use(Game(SCENARIOS[campaign], int(seed), None if side == WATCH else side, int(every), knobs))

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
    sides = list(load_scenario(SCENARIOS["historical"]).spec.sides)
    switch = {"type": "Select", "value": AS_SCENARIO, "values": list(SWITCH)}
    return {
        "campaign": {"type": "Select", "value": "historical", "values": list(SCENARIOS), "label": "Scenario"},
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
        solara.HTML(unsafe_innerHTML="<b>Watch mode.</b> To command a side, choose it under <i>You command</i> "
                    "and press Reset (or load a game and branch it with a side).")
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


@solara.component
def _SaveLoad(model: Classroom) -> None:
    """Save the game to a file, load one, or branch one (load it and take a side from its saved day)."""
    update_counter.get()
    path = save_path
    branch_side = solara.use_reactive(WATCH)
    note = solara.use_reactive("")
    game = model.game

    def save() -> None:
        try:
            written = game.save(path.value)
        except OSError as exc:
            note.set(f"refused: cannot write {path.value}: {exc.strerror}")
        else:
            note.set(f"saved day {game.day:g} to {written}")

    def load(branch: bool) -> None:
        try:
            side = None if not branch or branch_side.value == WATCH else branch_side.value
            loaded = load_game(path.value, side=side)
        except InputError as exc:
            note.set(f"refused: {exc}")
            return
        model.use(loaded)
        note.set(f"{'branched' if branch else 'loaded'} {path.value} at day {loaded.day:g}")
        force_update()

    solara.HTML(unsafe_innerHTML="<b>Save, load, branch</b> (a file on this computer; a saved game replays the "
                "same run and orders to its day)")
    solara.InputText("Game file", value=path)
    with solara.Row():
        solara.Button("Save", color="primary", on_click=save)
        solara.Button("Load", on_click=lambda: load(False))
        solara.Select("Branch as", values=[WATCH, *game.scenario.spec.sides], value=branch_side)
        solara.Button("Branch", on_click=lambda: load(True))
    if note.value:
        (solara.Error if note.value.startswith("refused") else solara.Success)(note.value)
    solara.FileDownload(lambda: game.save_text(), filename=Path(path.value).name, label="Download this game")


@solara.component
def Page() -> None:
    """One game per browser session."""
    model = solara.use_memo(Classroom, [])
    SolaraViz(model, components=[(MapView, 0), (Charts, 0), (Story, 0), (Orders, 0),
                                 (Engagements, 1), (SaveLoad, 1)],
              model_params=model_params(), name="al-Qusayr 2013 - classroom", play_interval=300)


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the app until interrupted (on the local address unless told otherwise)."""
    import uvicorn

    os.environ["SOLARA_APP"] = "app.webapp"

    print(f"Classroom app: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0

"""Play from the terminal (``python run.py play``): the web app's play mode for classrooms without a browser.

Reads one command a line from a stream (a keyboard, or a script piped in), so lessons and tests can be scripted.
The orders and their refusals come from sim/play.py, exactly as in the web app.
"""

from __future__ import annotations

import shlex
from typing import TextIO

from app.story import (
    briefing,
    engagement_title,
    explain,
    formation_line,
    formation_lines,
    formation_rows,
    headline,
    text_map,
)
from sim.errors import InputError
from sim.play import ACTIONS, Game, contact_places, debrief, find_place, reported_strength, sighted
from sim.records import summary_lines

HELP = """\
Commands:
  list                               your formations: where, strength, orders, roads out
  enemy                              the enemy formations in contact, at their reported strength
  map                                the theatre as text: who holds each place
  brief                              your briefing again
  debrief                            how your campaign compares with doctrine and history, and your orders
  order FORMATION ACTION [PLACE]     ACTION is move, attack, hold, reinforce or withdraw (FORMATION: the
                                     id in brackets, or the name in quotes)
  move|attack|reinforce FORMATION PLACE   the same, shorter
  hold FORMATION | withdraw FORMATION [PLACE]
  next                               end the turn: play to the next decision day
  events                             the story of the last turn again
  fights [DAY]                       the engagements (of a day); why N shows the numbers of one
  why N                              the numbers behind engagement N
  save FILE                          save the game (load it with: run.py play --load FILE)
  help, quit"""


class Terminal:
    """One player's session: parses commands, prints the situation and the story."""

    def __init__(self, game: Game, out: TextIO) -> None:
        self.game = game
        self.out = out
        self.seen_events = 0
        self.last_rows: dict[str, tuple] = {}  # each formation's news as last shown: a turn shows what changed

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)

    def prompt(self) -> str:
        side = self.game.side or "watch"
        return f"day {self.game.day:g} {side}> "

    def turn_start(self) -> None:
        """The headline and the formations whose place, strength, posture or orders changed since last shown."""
        self.say("", headline(self.game))
        rows = formation_rows(self.game)
        changed = [r for r in rows if self.last_rows.get(r["id"]) != _news(r)]
        self.last_rows = {r["id"]: _news(r) for r in rows}
        if self.game.decision_day:
            unchanged = len(rows) - len(changed)
            self.say(f"Your orders (list shows all your formations{f', {unchanged} unchanged' if unchanged else ''}; "
                     "next ends the turn):")
            self.say(*(formation_line(r) for r in changed))

    def briefing(self) -> None:
        for head, lines in briefing(self.game, self.game.side).items():
            self.say(f"{head}:", *(f"  {line}" for line in lines))

    def debrief(self) -> None:
        for head, lines in debrief(self.game).items():
            self.say(f"{head}:", *(f"  {line}" for line in lines))

    def enemy(self) -> None:
        """The enemy in contact, at its reported strength; never those not yet arrived."""
        game = self.game
        m = game.model
        seen = contact_places(m, game.side)
        lines = []
        for f in game.formations(m.enemy_of(game.side)):
            if sighted(m, game.side, f, seen):
                low, high = reported_strength(f.personnel)
                lines.append(f"  {f.label}: {f.location_text()}, {low:,}-{high:,} men (reported)")
        self.say(*(lines or ["(no enemy in contact)"]))

    def story(self) -> None:
        events = self.game.model.events[self.seen_events:]
        self.seen_events = len(self.game.model.events)
        self.say(*(e.text for e in events))

    def handle(self, line: str) -> bool:
        """Carry out one command line; return False when the session ends."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.say(f"? {exc}")
            return True
        if not words:
            return True
        verb, args = words[0].lower(), words[1:]
        if verb in ("quit", "exit"):
            return False
        if verb == "next":
            return self.next_turn()
        plain = {"help": lambda: self.say(HELP), "list": self.list_formations, "enemy": self.enemy,
                 "map": lambda: self.say(*text_map(self.game, self.game.side)), "brief": self.briefing,
                 "debrief": self.debrief, "events": self.events, "fights": lambda: self.fights(args)}
        if verb in plain:
            plain[verb]()
        elif verb == "order" and len(args) >= 2:
            self.order(args[0], args[1].lower(), args[2:])
        elif verb in ACTIONS and args:
            self.order(args[0], verb, args[1:])
        elif verb == "why" and args and args[0].lstrip("#").isdigit():
            self.why(int(args[0].lstrip("#")))
        elif verb == "save" and args:
            self.save(args[0])
        else:
            self.say(f"? {line.strip()!r}: not a command (help lists them)")
        return True

    def list_formations(self) -> None:
        self.say(headline(self.game), *formation_lines(self.game))

    def next_turn(self) -> bool:
        """Play to the next decision day; at the end of the campaign, the summary and the debrief (and stop)."""
        game = self.game
        game.advance()
        self.story()
        if game.over:
            self.say("", *summary_lines(game.record()), "")
            self.debrief()
            return False
        self.turn_start()
        return True

    def events(self) -> None:
        day = self.game.day
        self.say(*([e.text for e in self.game.model.events if e.day == day] or ["(nothing happened that day)"]))

    def fights(self, args: list[str]) -> None:
        day = float(args[0]) if args and _is_number(args[0]) else None
        self.say(*([engagement_title(a) for a in self.game.engagements(day)] or ["(no engagements)"]))

    def why(self, n: int) -> None:
        found = self.game.engagements()
        self.say(*explain(found[n], self.game.scenario.params.ratio_exponent) if n < len(found)
                 else [f"refused: no engagement #{n} (fights lists them)"])

    def save(self, name: str) -> None:
        try:
            path = self.game.save(name)
        except OSError as exc:
            self.say(f"refused: cannot write {name}: {exc.strerror}")
        else:
            self.say(f"saved day {self.game.day:g} to {path}")

    def order(self, who: str, action: str, rest: list[str]) -> None:
        target = " ".join(rest)
        place = find_place(self.game.model, target) or target if target else ""
        fid = next((f.fid for f in self.game.formations() if who.casefold() in (f.fid, f.label.casefold(),
                                                                               f.name.casefold())), who)
        why = self.game.give(fid, action, place)
        if why is None:
            f = self.game.model.formation(fid)
            self.say(f"ok: {f.label}: {self.game.standing(f)}")
        else:
            self.say(f"refused: {why}")


def _news(row: dict) -> tuple:
    """What a player needs to hear again when it changes: where a formation is, its men, posture and orders."""
    return row["where"], row["men"], row["posture"], row["orders"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def play(game: Game, stdin: TextIO, out: TextIO) -> int:
    """Run a terminal session until ``quit``, the end of the input or the end of the campaign."""
    if game.side is None:
        raise InputError("--side", "", "choose the side you command")
    term = Terminal(game, out)
    term.say(f"{game.scenario.spec.name}: you command the {game.scenario.spec.sides[game.side].name} "
             f"({game.side}); orders every {game.every} day(s). Type help for the commands.", "")
    term.briefing()
    term.seen_events = len(game.model.events)
    term.turn_start()
    while True:
        out.write(term.prompt())
        out.flush()
        line = stdin.readline()
        if not line:
            term.say("")
            return 0
        if not term.handle(line):
            return 0

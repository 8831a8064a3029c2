"""Play from the terminal (``python run.py play``): the web app's play mode for classrooms without a browser.

Reads one command a line from a stream (a keyboard, or a script piped in), so lessons and tests can be scripted.
The orders and their refusals come from sim/play.py, exactly as in the web app.
"""

from __future__ import annotations

import shlex
from typing import TextIO

from app.story import engagement_title, explain, formation_lines, headline
from sim.errors import InputError
from sim.play import ACTIONS, Game, find_place
from sim.records import summary_lines

HELP = """\
Commands:
  list                               your formations: where, strength, orders, roads out
  enemy                              the other side's formations
  order FORMATION ACTION [PLACE]     ACTION is move, attack, hold, reinforce or withdraw
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

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)

    def prompt(self) -> str:
        side = self.game.side or "watch"
        return f"day {self.game.day:g} {side}> "

    def turn_start(self) -> None:
        self.say("", headline(self.game))
        if self.game.decision_day:
            self.say("Your orders (help lists the commands; next ends the turn):")
            self.say(*formation_lines(self.game))

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
        game = self.game
        if verb in ("quit", "exit"):
            return False
        if verb == "help":
            self.say(HELP)
        elif verb == "list":
            self.say(headline(game), *formation_lines(game))
        elif verb == "enemy":
            self.say(*formation_lines(game, game.model.enemy_of(game.side) if game.side else game.model.defender))
        elif verb == "order" and len(args) >= 2:
            self.order(args[0], args[1].lower(), args[2:])
        elif verb in ACTIONS and args:
            self.order(args[0], verb, args[1:])
        elif verb == "next":
            game.advance()
            self.story()
            if game.over:
                self.say("", *summary_lines(game.record()))
                return False
            self.turn_start()
        elif verb == "events":
            day = game.day
            self.say(*([e.text for e in game.model.events if e.day == day] or ["(nothing happened that day)"]))
        elif verb == "fights":
            day = float(args[0]) if args and _is_number(args[0]) else None
            self.say(*([engagement_title(a) for a in game.engagements(day)] or ["(no engagements)"]))
        elif verb == "why" and args and args[0].lstrip("#").isdigit():
            n = int(args[0].lstrip("#"))
            found = game.engagements()
            self.say(*explain(found[n], game.scenario.params.ratio_exponent) if n < len(found)
                     else [f"refused: no engagement #{n} (fights lists them)"])
        elif verb == "save" and args:
            try:
                path = game.save(args[0])
            except OSError as exc:
                self.say(f"refused: cannot write {args[0]}: {exc.strerror}")
            else:
                self.say(f"saved day {game.day:g} to {path}")
        else:
            self.say(f"? {line.strip()!r}: not a command (help lists them)")
        return True

    def order(self, fid: str, action: str, rest: list[str]) -> None:
        target = " ".join(rest)
        place = find_place(self.game.model, target) or target if target else ""
        why = self.game.give(fid, action, place)
        if why is None:
            f = self.game.model.formation(fid)
            self.say(f"ok: {f.label}: {self.game.standing(f)}")
        else:
            self.say(f"refused: {why}")


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
             f"({game.side}); orders every {game.every} day(s). Type help for the commands.")
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

"""Terminal play's event lines: a capture says how the place was taken, and never repeats the losses that the
assault's daily engagement lines already gave (a reader adding up the lines counts each loss once)."""

from __future__ import annotations

import re

from sim.events import EventKind
from sim.play import Game


def test_capture_lines_tell_how_the_place_fell_and_repeat_no_losses(historical_path):
    game = Game(historical_path, 1, None)
    while not game.over:
        game.advance()
    events = game.model.events
    captures = [e for e in events if e.kind is EventKind.CAPTURE]
    assert captures
    fought = 0
    for capture in captures:
        assert " lost " not in capture.text and not re.search(r"\d+ (killed|wounded)", capture.text)
        since = re.search(r"after fighting there since day (\d+(\.\d+)?)\.$", capture.text)
        if since:  # the assault named began with an engagement at the place (or the storm of its town) that day
            fought += 1
            began = float(since.group(1))
            assert began < capture.day
            fought_at = {capture.place, game.model.graph.nodes[capture.place].get("sector_of", capture.place)}
            assert any(e.kind is EventKind.ENGAGEMENT and e.place in fought_at and e.day == began for e in events)
        else:
            assert re.search(r"( unopposed| once its defenders had gone| after a day of fighting)\.$", capture.text)
    assert fought > 0

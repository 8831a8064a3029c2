"""What the model does with a fight's outcome and with a decision, one rule at a time, on the hand-built four-place
world of tests/test_doctrine.py (sim/model.py's ``apply_outcome``, ``fall_back``, ``stand_fast``,
``leave_detachment``, ``leave_wounded_behind`` and the running of the gauntlet):

- a formation falling back retreats to doctrine's way out, along the road from where it stood, in retreat posture
  (a raider slips away in raid posture) and rests ``consolidation_days``; with no way out, cut off and with its
  morale gone, it surrenders;
- an attacker calling off its part in a storm stands fast where it is and reorganises;
- the losses of a fight are suffered (the formation is marked as having fought, so its morale does not recover that
  day); a formation with no one left is logged destroyed where it fought;
- the wounded a destroyed or surrendering formation carried pass to a comrade of its faction where it stood, or are
  captured; wounded left behind by a formation driven out of a place are captured;
- a relief column breaking into the town, or a garrison withdrawing out of it, runs the gauntlet of the enemy's
  guns and loses ``interdicted_move_loss`` of its men on the way (the attacking side's lost killed at
  ``attacker_killed_share``, the defending side's at ``killed_share``);
- a formation leaving a detachment splits it off as a new formation, just like it, that holds its place.

Every one of these is logged, and the log is what a student reads: each test checks the event's words and fields.
Random draws are replaced where exact numbers are needed: ``expected_share_lost`` loses exactly the expected share.
The world (places are named by their ids)::

    base --road 5 km-- mid --road 5 km-- town --road 5 km-- depot
                         \\_______________track 6 km_____________/
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest

from sim import combat
from sim.agents import Formation
from sim.combat import Hit, Outcome
from sim.events import Event, EventKind
from sim.model import SiegeModel
from sim.parameters import Parameters
from sim.scenario import Orders
from sim.states import Intent, Losses, Posture, Status
from tests.test_doctrine import unit, words, world

FACTION = {"blue": "blue_army", "red": "red_army"}


def expected_share_lost(personnel: int, share: float, params: Parameters, rng: np.random.Generator,
                        attacking_side: bool) -> Losses:
    """``combat.share_lost`` without its draws: exactly ``share`` of the men are lost, and of them exactly the
    side's killed fraction killed."""
    lost = round(personnel * share)
    killed = round(lost * combat.killed_fraction(attacking_side, params))
    return Losses(killed, lost - killed)


def fields(e: Event) -> tuple[Any, ...]:
    """An event's kind, place, side, formation, other side, losses and enemy losses, and its words (no date)."""
    return (e.kind, e.place, e.side, e.formation, e.other_side, e.killed, e.wounded, e.enemy_killed,
            e.enemy_wounded, words(e))


def last(m: SiegeModel, kind: EventKind) -> tuple[Any, ...]:
    """The fields of the log's last event of ``kind``."""
    return fields([e for e in m.events if e.kind is kind][-1])


def lose(f: Formation, wounded: int, trapped: int = 0, captured: int = 0) -> None:
    """Give ``f`` casualties already on its books: ``wounded``, ``trapped`` of them carried, ``captured`` taken."""
    f.wounded, f.trapped_wounded, f.captured = wounded, trapped, captured


def hit(m: SiegeModel, f: Formation, losses: Losses, place: str | None, morale: float = 0.1) -> None:
    """Apply the outcome of a fight at ``place`` (None: on a road) in which ``f`` took ``losses`` and was left at
    ``morale``."""
    m.apply_outcome([], [f], Outcome(1.0, 1.0, 0.0, 0.0, (), (Hit(losses, morale, False),)), place)


# ---------------------------------------------------------------- the losses of a fight
def test_a_formation_that_fought_keeps_its_morale_from_the_fight_that_day(tmp_path: Path) -> None:
    # blue's 1000 at mid (in supply) take 10 killed and 20 wounded and drop to morale 0.5; it fought today, so the
    # day's recovery (+0.04 a day in supply) passes it by
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000)])
    blue = m.formation("blue_a")
    hit(m, blue, Losses(10, 20), "mid", morale=0.5)
    m._recover()
    assert (blue.engaged, blue.morale, blue.personnel, blue.killed, blue.wounded) == (True, 0.5, 970, 10, 20)


@pytest.mark.parametrize(("place", "logged_at"), [("mid", "mid"), (None, "")])
def test_a_formation_with_no_one_left_is_logged_destroyed_where_it_fought(
        tmp_path: Path, place: str | None, logged_at: str) -> None:
    # red's 10 at mid lose 4 killed and 6 wounded: none left; a fight on a road (no place) is logged at no place
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 10)])
    red = m.formation("red_x")
    hit(m, red, Losses(4, 6), place)
    assert (red.status, red.personnel, red.killed, red.wounded) == (Status.DESTROYED, 0, 4, 6)
    assert last(m, EventKind.DESTROYED) == (EventKind.DESTROYED, logged_at, "red", "red_x", "", 0, 0, 0, 0,
                                            "Red Army red_x was destroyed.")


# ---------------------------------------------------------------- wounded left behind
def test_a_comrade_takes_the_carried_wounded_on_top_of_its_own(tmp_path: Path) -> None:
    # red_x (10 men, carrying 5 wounded) is destroyed at mid, where red_y already has 7 wounded, 3 of them carried:
    # red_y now has 7 + 5 = 12 wounded, 3 + 5 = 8 carried; red_x keeps only its 4 dead and 6 new wounded
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 10),
                         unit("red_y", "red_army", "mid", {"hold": "mid"}, 100)])
    red, comrade = m.formation("red_x"), m.formation("red_y")
    lose(red, 5, trapped=5)
    lose(comrade, 7, trapped=3)
    hit(m, red, Losses(4, 6), "mid")
    assert (red.wounded, red.trapped_wounded, red.captured) == (6, 0, 0)
    assert (comrade.wounded, comrade.trapped_wounded) == (12, 8)
    assert not [e for e in m.events if e.kind is EventKind.PRISONERS]


def test_the_wounded_carried_by_a_formation_destroyed_on_a_road_are_captured(tmp_path: Path) -> None:
    # red_x (10 men, 2 already captured, carrying 5 wounded) is wiped out on the road mid-town: no comrade stands on
    # a road, so the 5 are captured (2 + 5 = 7), and the log names no place
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 10)])
    red = m.formation("red_x")
    m.space.set_out(red, "mid", "town", 1.0)
    lose(red, 5, trapped=5, captured=2)
    hit(m, red, Losses(4, 6), None)
    assert (red.wounded, red.trapped_wounded, red.captured) == (6, 0, 7)
    assert last(m, EventKind.PRISONERS) == (EventKind.PRISONERS, "", "red", "red_x", "", 0, -5, 0, 0,
                                            "5 wounded of Red Army red_x left behind were captured.")


@pytest.mark.parametrize(("left", "trapped", "carried_after"), [(1, 4, 3), (5, 3, 0)])
def test_wounded_left_behind_by_a_formation_driven_out_are_captured(
        tmp_path: Path, left: int, trapped: int, carried_after: int) -> None:
    # red_x at mid has 10 wounded (``trapped`` of them carried) and 2 already captured; driven out of mid it leaves
    # ``left`` of them, who are captured and go from its load (never below none carried)
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 100)])
    red = m.formation("red_x")
    lose(red, 10, trapped=trapped, captured=2)
    m.leave_wounded_behind(red, left, "mid")
    assert (red.wounded, red.trapped_wounded, red.captured) == (10 - left, carried_after, 2 + left)
    assert last(m, EventKind.PRISONERS) == (EventKind.PRISONERS, "mid", "red", "red_x", "", 0, -left, 0, 0,
                                            f"{left} wounded of Red Army red_x left behind in mid were captured.")


# ---------------------------------------------------------------- standing fast, falling back, surrendering
def test_an_attacker_that_calls_off_its_part_in_a_storm_stands_fast_and_reorganises(tmp_path: Path) -> None:
    # blue_a, attacking into town, stands fast in mid on day 0: it holds, goes nowhere, rests till day 0 + 2
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000)])
    blue = m.formation("blue_a")
    blue.path, blue.posture = ["town"], Posture.ATTACK
    m.stand_fast(blue, "town")
    assert (blue.path, blue.posture, blue.rest_until) == ([], Posture.HOLD, 2.0)
    assert last(m, EventKind.HALT) == (EventKind.HALT, "mid", "blue", "blue_a", "", 0, 0, 0, 0,
                                       "Blue Army blue_a called off its part in the storm of town and stood fast "
                                       "in mid to reorganise.")


def retreat(tmp_path: Path, orders: dict[str, Any], on_road: bool, lost: Losses) -> tuple[SiegeModel, Formation]:
    """Red's 100 at town (or on the road town-mid, 1 km out, having come to town from the depot) with these orders
    fall back, losing ``lost``; blue's 1000 in mid bar the way there, so doctrine's way out is the depot."""
    m = world(tmp_path, [unit("red_x", "red_army", "town", orders, 100),
                         unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000)])
    red = m.formation("red_x")
    if on_road:
        m.space.set_out(red, "town", "mid", 1.0)
        red.came_from = "depot"
    with patch.object(combat, "draw_losses", return_value=lost):
        m.fall_back(red, "broke and fell back from")
    return m, red


@pytest.mark.parametrize(("orders", "on_road", "posture", "from_where"),
                         [({"hold": "town"}, False, Posture.RETREAT, "town"),
                          ({"hold": "town"}, True, Posture.RETREAT, "the road town-mid"),
                          ({"raid": {"road": ["mid", "base"], "from_day": 2, "until_day": 5, "base": "depot"}},
                           False, Posture.RAID, "town")])
def test_a_broken_formation_retreats_to_its_way_out_and_rests(
        tmp_path: Path, orders: dict[str, Any], on_road: bool, posture: Posture, from_where: str) -> None:
    # red's 100 lose 2 killed and 3 wounded on the way: 95 set out from town (where the road it was on began) for
    # the depot, having come from town, and rest till day 0 + 2 (a raider slips away in raid posture)
    m, red = retreat(tmp_path, orders, on_road, Losses(2, 3))
    assert (red.place, red.edge, red.came_from, red.path) == (None, ("town", "depot"), "town", ["depot"])
    assert (red.posture, red.rest_until, red.personnel, red.killed, red.wounded) == (posture, 2.0, 95, 2, 3)
    assert last(m, EventKind.RETREAT) == (EventKind.RETREAT, "town", "red", "red_x", "", 2, 3, 0, 0,
                                          f"Red Army red_x broke and fell back from {from_where} and retreated to "
                                          "depot (2 killed, 3 wounded on the way).")


def test_a_broken_formation_that_loses_everyone_falling_back_is_lost(tmp_path: Path) -> None:
    # red's 100 lose 40 killed and 60 wounded on the way: destroyed in town, and the retreat logged as its loss
    m, red = retreat(tmp_path, {"hold": "town"}, False, Losses(40, 60))
    assert (red.status, red.personnel, red.killed, red.wounded) == (Status.DESTROYED, 0, 40, 60)
    assert last(m, EventKind.DESTROYED)[:4] == (EventKind.DESTROYED, "town", "red", "red_x")
    assert last(m, EventKind.RETREAT) == (EventKind.RETREAT, "town", "red", "red_x", "", 40, 60, 0, 0,
                                          "Red Army red_x broke and fell back from town and was lost falling back "
                                          "(40 killed, 60 wounded).")


def test_a_trapped_formation_with_its_morale_gone_surrenders_and_a_comrade_takes_its_wounded(
        tmp_path: Path) -> None:
    # red_x's 40 at base (blue's only way in is mid, where blue's 1000 stand) are cut off at morale 0.1 < 0.15:
    # all 40 are captured; the 6 wounded they carried pass to red_y beside them (none captured)
    m = world(tmp_path, [unit("red_x", "red_army", "base", {"hold": "base"}, 40),
                         unit("red_y", "red_army", "base", {"hold": "base"}, 50),
                         unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000)])
    red, comrade = m.formation("red_x"), m.formation("red_y")
    red.in_supply, red.morale = False, 0.1
    lose(red, 6, trapped=6)
    m.fall_back(red, "broke and fell back from")
    assert (red.status, red.personnel, red.captured, red.wounded) == (Status.SURRENDERED, 0, 40, 0)
    assert (comrade.wounded, comrade.trapped_wounded) == (6, 6)
    assert last(m, EventKind.SURRENDER) == (EventKind.SURRENDER, "base", "red", "red_x", "", 0, 0, 0, 0,
                                            "Red Army red_x surrendered at base (40 captured).")


# ---------------------------------------------------------------- running the gauntlet
def column(tmp_path: Path, side: str, guns: bool, personnel: int = 1000) -> tuple[SiegeModel, Formation]:
    """A relief column of ``side`` at base, the enemy's guns in town (reaching mid, town and the depot) if asked;
    of the lost, 20% are killed on the attacking side and 50% on the defending side."""
    enemy = "red" if side == "blue" else "blue"
    m = world(tmp_path, [unit("col", FACTION[side], "base", {"hold": "base"}, personnel),
                         *([unit("guns", FACTION[enemy], "town", {"hold": "town"}, 100)] if guns else [])],
              parameters={"attacker_killed_share": 0.2, "killed_share": 0.5})
    return m, m.formation("col")


BREAK_IN = Intent(Posture.ATTACK, path=("mid", "depot", "town"), break_in=True)


@pytest.mark.parametrize(("side", "guns", "lost", "cost"),
                         [("blue", True, Losses(40, 160), "40 killed, 160 wounded on the way under fire"),
                          ("red", True, Losses(100, 100), "100 killed, 100 wounded on the way under fire"),
                          ("blue", False, Losses(0, 0), "0 killed, 0 wounded on the way")])
def test_a_column_breaking_into_the_town_under_fire_loses_its_share_on_the_way(
        tmp_path: Path, side: str, guns: bool, lost: Losses, cost: str) -> None:
    # 1000 men, 20% (interdicted_move_loss) lost when the guns reach the route: 200, of them 20% killed on the
    # attacking side (blue: 40 killed, 160 wounded), 50% on the defending side (red: 100, 100); no guns, no loss
    m, col = column(tmp_path, side, guns)
    with patch.object(combat, "share_lost", expected_share_lost):
        m._run_the_gauntlet(col, BREAK_IN)
    assert (col.personnel, col.killed, col.wounded) == (1000 - lost.total, *lost)
    label = "Blue Army col" if side == "blue" else "Red Army col"
    assert last(m, EventKind.BREAK_IN) == (EventKind.BREAK_IN, "base", side, "col", "", *lost, 0, 0,
                                           f"{label} set out from base to break through the enemy's lines into "
                                           f"town ({cost}).")


def test_a_column_cut_down_running_the_gauntlet_is_destroyed_where_it_set_out(tmp_path: Path) -> None:
    # the column's 10 lose 3 killed and 7 wounded on the way: none left, destroyed at base where it set out
    m, col = column(tmp_path, "blue", True, personnel=10)
    with patch.object(combat, "share_lost", return_value=Losses(3, 7)):
        m._run_the_gauntlet(col, BREAK_IN)
    assert (col.status, col.killed, col.wounded) == (Status.DESTROYED, 3, 7)
    assert last(m, EventKind.DESTROYED)[:4] == (EventKind.DESTROYED, "base", "blue", "col")


# ---------------------------------------------------------------- detachments
def test_a_detachment_left_to_hold_a_place_is_a_new_formation_like_its_parent(tmp_path: Path) -> None:
    # blue_a (1000 men, quality 1.2, morale 0.6, supply 0.7) leaves 150 to hold mid on day 0: 850 go on
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000, quality=1.2, morale=0.6,
                              supply=0.7)])
    blue = m.formation("blue_a")
    blue.in_supply = False
    m.leave_detachment(blue, 150)
    d = m.formation("blue_a@mid:0")
    assert (d.label, d.faction, d.side, d.personnel, d.quality, d.morale, d.supply) == (
        "Blue Army blue_a detachment", "blue_army", "blue", 150, 1.2, 0.6, 0.7)
    assert (d.status, d.place, d.orders, d.in_supply, blue.personnel) == (
        Status.ACTIVE, "mid", Orders(hold="mid"), False, 850)
    assert last(m, EventKind.DETACHMENT) == (EventKind.DETACHMENT, "mid", "blue", "blue_a", "", 0, 0, 0, 0,
                                             "Blue Army blue_a left 150 men to hold mid.")

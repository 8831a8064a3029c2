"""What the ground does in a step (sim/ground.py), one rule at a time on the four-place world of
tests/test_doctrine.py: supply traced and its changes logged, formations' supply levels moved a step, places
changing hands, and the capture's record (the log line students read, the capture list the metrics read).

    base --road 5 km-- mid --road 5 km-- town --road 5 km-- depot
                         \\_______________track 6 km_____________/

Blue holds base and mid and is supplied from base; red holds the objective town and depot, its supply source.
Supply levels move by the defaults: down ``supply_depletion`` 0.05 a day cut off, up ``supply_recovery`` 0.25 a
day in supply, within 0-1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import ground
from sim.events import EventKind
from sim.model import SiegeModel
from sim.states import Posture, Status
from tests.test_doctrine import unit, walk_in, words, world


def red_in_town(tmp_path: Path, **extra: int) -> SiegeModel:
    """Red's 300 hold the town, blue's 100 stand in mid; ``extra``: more red formations (id: men) in the depot,
    listed before the town's garrison."""
    return world(tmp_path, [*(unit(fid, "red_army", "depot", {"hold": "depot"}, men) for fid, men in extra.items()),
                            unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                            unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 100)])


def new_events(m: SiegeModel, before: int) -> list[tuple[EventKind, str, str, str, str]]:
    """The events logged since ``before`` events: kind, place, side, formation and the words after the date."""
    return [(e.kind, e.place, e.side, e.formation, words(e)) for e in m.events[before:]]


# ---------------------------------------------------------------- supply traced and its changes logged


def test_the_objective_cut_off_and_reconnected_is_logged_once_each_way(tmp_path: Path) -> None:
    m = red_in_town(tmp_path)
    assert m.objective_supplied and m.events == []  # (the model's own first trace logs nothing)
    m.space.take("depot", "blue")  # red's only source lost: no supply reaches the town
    ground.trace_supply(m, log=True)
    assert not m.objective_supplied
    cut = (EventKind.OBJECTIVE_CUT, "town", "red", "", "town is cut off: no supply path reaches it.")
    assert new_events(m, 0)[0] == cut
    before = len(m.events)
    ground.trace_supply(m, log=True)  # still cut: nothing new to say
    assert new_events(m, before) == []
    m.space.take("depot", "red")
    ground.trace_supply(m, log=True)
    assert m.objective_supplied
    assert new_events(m, before)[0] == (EventKind.OBJECTIVE_RECONNECTED, "town", "red", "",
                                        "town is reconnected to supply.")


def test_a_trace_without_the_log_changes_the_state_and_says_nothing(tmp_path: Path) -> None:
    m = red_in_town(tmp_path)
    red = m.formation("red_t")
    m.space.take("depot", "blue")
    ground.trace_supply(m, log=False)
    assert not m.objective_supplied and m.events == []
    assert (red.in_supply, red.supply) == (True, 1.0)  # a formation's supply moves only in a logged step


def test_a_formation_cut_off_is_logged_and_its_supply_falls_a_step_a_day(tmp_path: Path) -> None:
    m = red_in_town(tmp_path)
    red, blue = m.formation("red_t"), m.formation("blue_a")
    m.space.take("depot", "blue")
    ground.trace_supply(m, log=True)
    assert (EventKind.SUPPLY_CUT, "town", "red", "red_t",
            "Red Army red_t is cut off from supply at town.") in new_events(m, 0)
    assert (red.in_supply, red.supply) == (False, 0.95)
    assert (blue.in_supply, blue.supply) == (True, 1.0)  # in supply, already full: no event, no change
    ground.trace_supply(m, log=True)
    assert red.supply == pytest.approx(0.90)
    assert [e.formation for e in m.events].count("red_t") == 1  # logged when it changed, not every day


def test_back_in_supply_a_formation_is_logged_with_the_wounded_evacuated_and_its_supply_rises(
        tmp_path: Path) -> None:
    m = red_in_town(tmp_path)
    red = m.formation("red_t")
    red.in_supply, red.supply, red.trapped_wounded = False, 0.6, 30
    ground.trace_supply(m, log=True)
    assert new_events(m, 0) == [(EventKind.SUPPLY_RESTORED, "town", "red", "red_t",
                                 "Red Army red_t is back in supply at town and evacuated 30 wounded.")]
    assert (red.in_supply, red.trapped_wounded, red.supply) == (True, 0, pytest.approx(0.85))
    red.in_supply, red.supply = False, 0.9  # back again with no wounded: the line says only that
    ground.trace_supply(m, log=True)
    assert new_events(m, 1)[0][4] == "Red Army red_t is back in supply at town."
    assert red.supply == 1.0  # 0.9 + 0.25, never above full


def test_a_destroyed_formation_is_passed_over_and_the_others_still_traced(tmp_path: Path) -> None:
    m = red_in_town(tmp_path, red_gone=50)  # the destroyed one comes first among the formations
    m.formation("red_gone").take_losses(50, 0)
    assert m.formation("red_gone").status is Status.DESTROYED
    m.space.take("depot", "blue")
    ground.trace_supply(m, log=True)
    assert m.formation("red_t").supply == 0.95
    assert "red_gone" not in [e.formation for e in m.events]


@pytest.mark.parametrize(("road", "in_supply"), [(("mid", "town"), True), (("town", "mid"), True),
                                                 (("base", "mid"), False)])
def test_a_formation_on_a_road_is_in_supply_when_either_end_is(tmp_path: Path, road: tuple[str, str],
                                                               in_supply: bool) -> None:
    # red's supplied places are the town and the depot; blue holds base and mid
    m = red_in_town(tmp_path)
    red = m.formation("red_t")
    m.space.set_out(red, *road, 1.0)
    ground.trace_supply(m, log=True)
    assert red.in_supply is in_supply
    if not in_supply:  # the line says where it is: on the road
        assert new_events(m, 0)[-1][1:] == ("", "red", "red_t",
                                            "Red Army red_t is cut off from supply at the road base-mid.")


# ---------------------------------------------------------------- places changing hands


def test_every_place_a_lone_side_stands_in_changes_hands_whatever_comes_before_it(tmp_path: Path) -> None:
    # the town, fought over (both sides in it), comes first and changes nothing; blue_b alone in red's empty depot
    # takes it
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 100),
                         unit("blue_b", "blue_army", "depot", {"hold": "depot"}, 100)], doctrine={"pickets": False})
    assert list(m.space.at_place)[:2] == ["town", "depot"]
    ground.update_control(m)
    assert (m.control["town"], m.control["depot"]) == ("red", "blue")


def test_a_picket_moving_in_is_logged_with_both_formations(tmp_path: Path) -> None:
    # blue walks into red's empty mid; red's depot garrison is next door (by the track) and moves in to meet it
    m = walk_in(tmp_path, [unit("red_d", "red_army", "depot", {"hold": "depot"}, 300)])
    assert m.control["mid"] == "red" and m.formation("red_d").place == "mid"
    picket = m.events[-1]
    assert (picket.kind, picket.place, picket.formation, picket.other_side) == (EventKind.PICKET, "mid", "red_d",
                                                                                "blue")
    assert picket.text.endswith(": Red Army red_d moved into mid to meet Blue Army blue_a.")


# ---------------------------------------------------------------- the capture and its record


@pytest.mark.parametrize(("tally", "began", "how", "losses"), [
    (None, None, " unopposed", (0, 0, 0, 0)),
    ([1, 2, 3, 4], 5.0, " after a day of fighting", (1, 2, 3, 4)),
    ([5, 6, 7, 8], 2.0, " after fighting there since day 2", (5, 6, 7, 8)),
    ([0, 1, 2, 0], None, " once its defenders had gone", (0, 1, 2, 0)),  # the fight ended before the capture
])
def test_a_capture_is_logged_with_how_it_was_won_and_the_fights_losses(
        tmp_path: Path, tally: list[int] | None, began: float | None, how: str,
        losses: tuple[int, int, int, int]) -> None:
    m = red_in_town(tmp_path)
    m.day = 5.0
    if tally is not None:
        m.fight_losses["depot"] = tally
    if began is not None:
        m.assault_start["depot"] = began
    ground.capture(m, "depot", "blue", [m.formation("blue_a")])
    e = m.events[0]
    assert (e.kind, e.place, e.side, e.formation, e.other_side) == (EventKind.CAPTURE, "depot", "blue", "blue_a", "red")
    assert e.text.endswith(f": Blue Army blue_a took depot from Red{how}.")
    assert (e.killed, e.wounded, e.enemy_killed, e.enemy_wounded) == losses
    assert "depot" not in m.fight_losses and "depot" not in m.assault_start  # the fight there is over
    assert m.captures == [{"place": "depot", "day": 5.0, "date": m.date.isoformat(), "by": "blue",
                           "formation": "blue_a", "from": "red", "opposed": tally is not None}]


def test_a_place_taken_back_is_retaken_from_the_formation_that_took_it(tmp_path: Path) -> None:
    m = red_in_town(tmp_path)
    ground.capture(m, "depot", "blue", [m.formation("blue_a")])
    assert (m.control["depot"], m.holder_name["depot"]) == ("blue", "Blue Army blue_a")
    assert m.ever_held["depot"] == {"red", "blue"}
    ground.capture(m, "depot", "red", [m.formation("red_t")])
    assert m.events[-1].text.endswith(": Red Army red_t retook depot from Blue Army blue_a unopposed.")
    assert m.events[-1].other_side == "blue"
    assert [c["by"] for c in m.captures] == ["blue", "red"]


def test_a_place_nobody_held_is_taken_from_no_one(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 100)], blue_holds=("base",))
    assert m.control["mid"] is None
    ground.capture(m, "mid", "blue", [m.formation("blue_a")])
    e = m.events[-1]
    assert e.text.endswith(": Blue Army blue_a took mid unopposed.") and e.other_side == ""
    assert m.captures[-1]["from"] is None and m.ever_held["mid"] == {"blue"}


def test_the_strongest_captor_is_named_and_only_the_attackers_captors_rest(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "depot", {"axis": ["depot"]}, 100),
                         unit("blue_b", "blue_army", "depot", {"axis": ["depot"]}, 300),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    m.day = 4.0
    ground.capture(m, "depot", "blue", [m.formation("blue_a"), m.formation("blue_b")])
    assert m.captures[-1]["formation"] == "blue_b" and m.holder_name["depot"] == "Blue Army blue_b"
    assert [m.formation(f).rest_until for f in ("blue_a", "blue_b")] == [6.0, 6.0]  # consolidation_days 2
    ground.capture(m, "depot", "red", [m.formation("red_t")])
    assert m.formation("red_t").rest_until == 0.0  # the defender's retaking rests no one


@pytest.mark.parametrize(("sectors", "place", "share"), [
    ({"east": "town"}, "east", "50%"),  # a town of two quarters: half of it
    ({"east": "town"}, "mid", None),  # a village: no word of the town
    ({}, "town", None),  # a town of one place: its capture is the whole of it, said by the capture
])
def test_a_quarter_taken_tells_how_much_of_the_town_the_attacker_holds(
        tmp_path: Path, sectors: dict[str, str], place: str, share: str | None) -> None:
    places = {"base": (0.0, 0.0), "mid": (0.05, 0.0), "town": (0.10, 0.0), "east": (0.11, 0.0),
              "depot": (0.15, 0.0)}
    roads = [("base", "mid", "road", 5.0), ("mid", "town", "road", 5.0), ("town", "east", "road", 1.0),
             ("east", "depot", "road", 5.0)]
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100)], places=places, roads=roads,
              red_holds=("town", "east", "depot"), sector_of=sectors)
    before = len(m.events)
    ground.capture(m, place, "blue", [m.formation("blue_a")])
    said = [e for e in m.events[before:] if e.kind is EventKind.TOWN_SHARE]
    if share is None:
        assert said == []
    else:
        assert [(e.place, e.side, words(e)) for e in said] == [
            ("town", "blue", f"Blue now hold {share} of town.")]


def test_a_retreating_formation_alone_in_a_place_takes_nothing(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "depot", {"hold": "mid"}, 100)], doctrine={"pickets": False})
    blue = m.formation("blue_a")
    blue.posture = Posture.RETREAT
    ground.update_control(m)
    assert m.control["depot"] == "red"
    blue.posture = Posture.HOLD
    ground.update_control(m)
    assert m.control["depot"] == "blue"

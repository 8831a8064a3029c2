"""The wounded of a cut-off garrison, one rule at a time, on the six-place world of tests/test_town.py: wounded
taken while cut off from supply stay with their formation; back in supply they are evacuated; carried along a
route under the enemy's fires through the ring round the town they are lost, and the lost die; left behind by a
formation destroyed or surrendering, a comrade in the same place carries them, or the enemy captures them.

The record (urban-combat notes 4d): in the 2013 town battle ~970-1,200 wounded were trapped, and of each ~50
who tried to get out ~25 came back and the rest were killed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import combat, doctrine, ground
from sim.events import EventKind
from sim.model import SiegeModel
from sim.records import by_side, casualties
from sim.states import Losses
from tests.test_town import take, unit, world


def test_wounded_lost_on_the_way_is_a_binomial_share_of_those_carried() -> None:
    rng = np.random.default_rng(0)
    assert combat.wounded_lost(0, 0.5, rng) == 0
    assert combat.wounded_lost(100, 0.0, rng) == 0
    assert combat.wounded_lost(100, 1.0, rng) == 100
    assert combat.wounded_lost(1, 1.0, rng) == 1  # one man is carried too
    draws = [combat.wounded_lost(1000, 0.2, rng) for _ in range(50)]
    assert 190 <= np.mean(draws) <= 210


def red_in_the_north(tmp_path: Path, blue_in_centre: bool = True, **parameters: float) -> SiegeModel:
    """300 red hold the north quarter; blue holds the centre and the south (with 500 in the centre when asked),
    so blue's guns reach the north."""
    blue = [unit("blue_c", "blue_army", "town", {"hold": "town"}, 500)] if blue_in_centre else []
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300), *blue],
              parameters=parameters)
    take(m, "blue", "town", "south")
    return m


@pytest.mark.parametrize(("cut_off", "carried"), [(True, 20), (False, 0)])
def test_wounded_taken_while_cut_off_stay_with_the_formation(tmp_path: Path, cut_off: bool, carried: int) -> None:
    m = red_in_the_north(tmp_path)
    red = m.formation("red_n")
    red.in_supply = not cut_off
    red.take_losses(5, 20)
    assert (red.personnel, red.killed, red.wounded, red.trapped_wounded) == (275, 5, 20, carried)


@pytest.mark.parametrize(("refuge_holder", "evacuated"), [("red", True), ("blue", False)])
def test_back_in_supply_the_carried_wounded_are_evacuated(tmp_path: Path, refuge_holder: str,
                                                          evacuated: bool) -> None:
    m = red_in_the_north(tmp_path)
    take(m, refuge_holder, "refuge")
    red = m.formation("red_n")
    red.in_supply, red.trapped_wounded = False, 30
    ground.trace_supply(m, log=True)
    assert red.trapped_wounded == (0 if evacuated else 30)
    assert any("is back in supply at north and evacuated 30 wounded" in e.text for e in m.events) == evacuated


@pytest.mark.parametrize(("blue_guns_next_door", "share", "died_between"),
                         [(True, 0.2, (20, 65)), (True, 0.0, (0, 0)), (False, 0.2, (0, 0))])
def test_the_wounded_carried_out_of_the_town_under_fire_are_lost_and_die(
        tmp_path: Path, blue_guns_next_door: bool, share: float, died_between: tuple[int, int]) -> None:
    """200 wounded carried out of the north in a withdrawal: about a fifth (interdicted_move_loss) die on the
    way when blue's guns reach the route; they move from the wounded to the killed."""
    m = red_in_the_north(tmp_path, blue_guns_next_door, town_withdraw_share=0.5, town_withdraw_days=0.0,
                         interdicted_move_loss=share)
    red = m.formation("red_n")
    red.wounded = red.trapped_wounded = 200
    m.carry_out(red, doctrine.decide(red, m))
    died = 200 - red.trapped_wounded
    assert died_between[0] <= died <= died_between[1]
    event = m.events[-1]
    assert event.kind is EventKind.WITHDRAWAL
    assert red.killed == event.killed  # the event counts the dead among its killed ...
    assert red.wounded == 200 + event.wounded  # ... and takes them off the wounded (the newly wounded added)
    assert f"{died} of the 200 wounded it carried died" in m.events[-1].text


@pytest.mark.parametrize(("blue_guns_next_door", "some_die"), [(True, True), (False, False)])
def test_a_broken_formation_falling_back_under_fire_loses_the_wounded_it_carries(
        tmp_path: Path, blue_guns_next_door: bool, some_die: bool) -> None:
    m = red_in_the_north(tmp_path, blue_guns_next_door, interdicted_move_loss=0.5)
    red = m.formation("red_n")
    red.wounded = red.trapped_wounded = 100
    killed_before = red.killed
    m.fall_back(red, "broke and fell back from")
    died = 100 - red.trapped_wounded
    assert (died > 0) == some_die and red.killed - killed_before >= died and red.wounded <= 100 - died + 5
    assert m.events[-1].kind is EventKind.RETREAT and ("wounded it carried died" in m.events[-1].text)


def test_wounded_carried_from_one_quarter_into_another_of_the_town_are_not_lost(tmp_path: Path) -> None:
    """Red in the north falls back into the centre its side still holds, under blue's guns in the south next door:
    its wounded go through the town's own streets, and none die (only a move out of the town loses them)."""
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300),
                         unit("blue_s", "blue_army", "south", {"hold": "south"}, 500)],
              parameters={"interdicted_move_loss": 0.5})
    take(m, "blue", "south")
    red = m.formation("red_n")
    red.wounded = red.trapped_wounded = 100
    m.fall_back(red, "fell back from the cleared streets of")
    assert red.path == ["town"] and m._under_fire(red, ("north", "town"))
    assert red.trapped_wounded == 100 and "0 of the 100 wounded it carried died" in m.events[-1].text


def test_wounded_carried_between_places_outside_the_town_are_not_lost(tmp_path: Path) -> None:
    """The town lost, red falls back from the refuge to the depot under blue's guns in the north next door: only
    the ring round the town kills the wounded carried through it, so none die (the record: after the fall the
    rebels' wounded went north with them)."""
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 300),
                         unit("blue_n", "blue_army", "north", {"hold": "north"}, 500)],
              parameters={"interdicted_move_loss": 0.5})
    take(m, "blue", "town", "south", "north")
    red = m.formation("red_r")
    red.wounded = red.trapped_wounded = 100
    m.fall_back(red, "broke and fell back from")
    assert red.path == ["depot"] and m._under_fire(red, ("refuge", "depot"))
    assert red.trapped_wounded == 100 and "0 of the 100 wounded it carried died" in m.events[-1].text


@pytest.mark.parametrize(("comrade_faction", "comrade"), [("red_army", True), ("red_militia", False), (None, False)])
def test_the_wounded_of_a_destroyed_formation_pass_to_a_comrade_or_are_captured(
        tmp_path: Path, comrade_faction: str | None, comrade: bool) -> None:
    """A comrade of its own faction in the same place takes them on (and on its books); another faction's
    formation there does not (each faction's casualties stay its own): then they are captured."""
    others = [unit("red_m", comrade_faction, "north", {"hold": "north"}, 100)] if comrade_faction else []
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 10), *others],
              factions={"blue_army": {"name": "Blue Army", "side": "blue"},
                        "red_army": {"name": "Red Army", "side": "red"},
                        "red_militia": {"name": "Red Militia", "side": "red"}})
    red = m.formation("red_n")
    red.in_supply = False
    red.take_losses(0, 5)  # five wounded carried
    m.apply_outcome([], [red], combat.Outcome(1.0, 1.0, 0.0, 0.0, (), (combat.Hit(Losses(5, 0), 0.5, False),)),
                    "north")
    assert not red.active and red.wounded == 0 and red.trapped_wounded == 0
    if comrade:
        other = m.formation("red_m")
        assert (red.captured, other.wounded, other.trapped_wounded) == (0, 5, 5)
    else:
        assert red.captured == 5
        assert m.events[-1].kind is EventKind.PRISONERS
        assert "5 wounded of Red Army red_n left behind in north were captured" in m.events[-1].text


def test_the_records_count_the_wounded_still_trapped_per_faction_and_side(tmp_path: Path) -> None:
    m = red_in_the_north(tmp_path)
    red = m.formation("red_n")
    red.in_supply = False
    red.take_losses(2, 12)
    per_faction = casualties(m)
    assert per_faction["red_army"] == {"side": "red", "killed": 2, "wounded": 12, "captured": 0, "trapped": 12}
    assert by_side(per_faction)["red"]["trapped"] == 12 and by_side(per_faction)["blue"]["trapped"] == 0

"""The order of play and the model's own rules and bookkeeping (sim/model.py's ``SiegeModel``: the step, recovery,
the town's pressure, arrivals, the log; sim/strength.py's power queries), on the four-place world of
tests/test_doctrine.py (blue holds base and mid, red the objective town and its source, the depot; the world's
scenario runs 1-10 January 2020: 9 days).

Powers by hand from the defaults: an infantry man at morale 0.8 and full supply is worth 1.0 * (0.5 + 0.5 * 0.8) =
0.9; a tank 12 men, in a built-up place half that (``urban_tank_factor``); a held village multiplies its holders'
power by 1.5, a held town by 2.0. Morale recovers 0.04 a day in supply out of combat and falls 0.015 a day cut off,
at 0.3 of that in a built-up place its side holds.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from sim import combat
from sim.events import EventKind
from sim.model import SiegeModel, shuffle
from sim.states import Intent, Posture
from tests.test_doctrine import said, unit, words, world
from tests.test_town import world as town_world


def red_and_blue(tmp_path: Path, **spec: object) -> SiegeModel:
    """Red's 300 hold the town; blue's 100 hold base, away from any fight."""
    return world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                            unit("blue_a", "blue_army", "base", {"hold": "base"}, 100)], **spec)


# ---------------------------------------------------------------- the step


@pytest.mark.parametrize("length", [0, 1, 2, 3, 31, 64, 65])
def test_the_order_of_play_is_shuffled_as_pythons_shuffle_would(length: int) -> None:
    """The model's own shuffle (quicker: no call per item) draws what ``random.shuffle`` draws."""
    for seed in range(50):
        ours, theirs = list(range(length)), list(range(length))
        ours_rng, theirs_rng = random.Random(seed), random.Random(seed)
        shuffle(ours, ours_rng)
        theirs_rng.shuffle(theirs)
        assert ours == theirs
        assert ours_rng.random() == theirs_rng.random()  # the generator is left in the same state


def test_steps_of_half_a_day_count_the_days_and_dates_by_halves(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path, step_days=0.5)
    seen = []
    for _ in range(3):
        m.step()
        seen.append((m.day, m.date))
    # (the clock moves before the step: the first step is half a day in)
    assert seen == [(0.5, dt.date(2020, 1, 1)), (1.0, dt.date(2020, 1, 2)), (1.5, dt.date(2020, 1, 2))]


def test_the_run_ends_with_the_step_of_its_last_day(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path)
    steps = 0
    while m.running:
        m.step()
        steps += 1
    assert (steps, m.day) == (9, 9.0)  # days 1 to 9: the steps to 2-10 January


def test_each_step_traces_supply_and_logs_what_changed(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path)
    m.space.take("depot", "blue")  # red's source lost before the day begins
    m.step()
    assert EventKind.OBJECTIVE_CUT in [e.kind for e in m.events]
    assert m.formation("red_t").supply == 0.95  # its supply falls a step the same day


def test_yesterdays_fight_is_forgotten_and_a_formation_out_of_it_recovers(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path)
    blue = m.formation("blue_a")
    blue.engaged, blue.morale = True, 0.5
    m.step()
    assert not blue.engaged and blue.morale == pytest.approx(0.54)


# ---------------------------------------------------------------- recovery


@pytest.mark.parametrize(("place", "in_supply", "engaged", "morale"), [
    ("base", True, False, 0.52),  # in supply, out of combat: + 0.04 x 0.5 day
    ("base", True, True, 0.5),  # in a fight: no recovery
    ("base", False, False, 0.4925),  # cut off: - 0.015 x 0.5 day
    ("mid", False, False, 0.4925),  # cut off in a village: the same
    ("town", False, False, 0.49775),  # cut off in a town its side holds: - 0.015 x 0.3 x 0.5 day
    ("depot", False, False, 0.4925),  # in red's village: no town to steady it
])
def test_morale_recovers_out_of_combat_in_supply_and_decays_cut_off_slower_in_a_town_held(
        tmp_path: Path, place: str, in_supply: bool, engaged: bool, morale: float) -> None:
    # a destroyed formation comes first: recovery passes it over and goes on to the others
    m = world(tmp_path, [unit("blue_gone", "blue_army", "base", {"hold": "base"}, 10),
                         unit("blue_a", "blue_army", "base", {"hold": "base"}, 100)], step_days=0.5,
              blue_holds=("base", "mid", "town"), red_holds=("depot",))
    m.formation("blue_gone").take_losses(10, 0)
    blue = m.formation("blue_a")
    m.space.put(blue, place)
    blue.in_supply, blue.engaged, blue.morale = in_supply, engaged, 0.5
    m._recover()
    assert blue.morale == pytest.approx(morale)


def test_morale_recovers_to_full_and_decays_to_nothing_no_further(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path)
    blue, red = m.formation("blue_a"), m.formation("red_t")
    blue.morale, red.morale, red.in_supply = 0.99, 0.01, False
    red.place = None  # (on no place: no town to steady it)
    m._recover()
    assert (blue.morale, red.morale) == (1.0, 0.0)


# ---------------------------------------------------------------- the town's pressure


def test_an_empty_town_is_under_no_pressure(tmp_path: Path) -> None:
    # blue's 1,000 stand next to the town; red has no one in it: nobody is outnumbered, the count stays at 0
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000),
                         unit("red_d", "red_army", "depot", {"hold": "depot"}, 100)])
    m._measure_town_pressure()
    assert m.town_pressure_days == 0.0


# ---------------------------------------------------------------- power


@pytest.mark.parametrize(("place", "power"), [("mid", 0.9 * (100 + 2 * 12) * 1.5),  # a held village
                                              ("town", 0.9 * (100 + 2 * 6) * 2.0)])  # built-up: a tank is worth 6
def test_tanks_count_for_less_in_a_built_up_place(tmp_path: Path, place: str, power: float) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", place, {"hold": place}, 100, tanks=2)],
              blue_holds=("base", "mid", "town"), red_holds=("depot",), blue_fires={"artillery": 0.4})
    blue_a = m.formation("blue_a")
    assert m.formation_power(blue_a, attacking=False) == pytest.approx(power)
    # attacking out of it, the same men and tanks times the side's fire support instead of the place's defence
    defence = 1.5 if place == "mid" else 2.0
    assert m.formation_power(blue_a, attacking=True) == pytest.approx(power / defence * m.support["blue"])


def test_a_formation_on_ground_its_side_does_not_hold_defends_with_no_help_from_it(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "depot", {"hold": "depot"}, 100)])  # in red's depot
    assert m.formation_power(m.formation("blue_a"), attacking=False) == pytest.approx(90.0)  # not x 1.5


def test_the_threat_to_a_place_is_the_enemys_attacking_power_around_it(tmp_path: Path) -> None:
    # blue's 100 in its own mid next to the town, with artillery 1: 90 x (1 + 0.5) attacking, not 90 x 1.5 held
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)], blue_fires={"artillery": 0.4})
    support = combat.support_multiplier(0.4, 0.0, m.params)
    assert support != 1.5
    assert m.threat_to("town", "red") == pytest.approx(90.0 * support)


# ---------------------------------------------------------------- carrying out a decision


@pytest.mark.parametrize("order_seed", range(8))
def test_a_formation_falling_back_marches_first_and_is_gone_when_the_pursuit_arrives(
        tmp_path: Path, order_seed: int) -> None:
    """Red, broken at mid, is on the road to the town and on to the depot (10 km: a day's march); blue, 5 km
    behind, follows to the town. Whatever the day's shuffled order, red goes first: it passes through the town
    before blue reaches it, and nobody fights (in a random order of march blue would be in the town first one day
    in two, and red, entering a place the enemy stands in, would stop there and fight)."""
    m = world(tmp_path, [unit("red_m", "red_army", "town", {"hold": "mid"}, 100),
                         unit("blue_a", "blue_army", "base", {"axis": ["town"]}, 300)])
    m.random.seed(order_seed)
    red, blue = m.formation("red_m"), m.formation("blue_a")
    m.space.set_out(red, "mid", "town")
    red.path, red.posture = ["town", "depot"], Posture.RETREAT
    m.space.set_out(blue, "base", "mid")
    blue.path, blue.posture = ["mid", "town"], Posture.ADVANCE
    m.step()
    assert (red.place, blue.place) == ("depot", "town")
    assert not said(m, EventKind.ENGAGEMENT)


def test_a_called_off_assault_is_logged_as_such(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 100),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    m.carry_out(m.formation("blue_a"), Intent(Posture.HOLD, call_off=True))
    assert "Blue Army blue_a called off its assault on town and retreated to mid" in m.events[-1].text


# ---------------------------------------------------------------- arrivals and the books


def test_a_model_is_a_function_of_its_seed(tmp_path: Path) -> None:
    first, again = red_and_blue(tmp_path), red_and_blue(tmp_path)
    assert [first.random.random() for _ in range(3)] == [again.random.random() for _ in range(3)]
    assert first.rng.random() == again.rng.random()


def test_a_formation_standing_where_nobody_holds_takes_it_and_is_named_its_holder(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("blue_b", "blue_army", "base", {"hold": "base"}, 50)], blue_holds=("base",))
    assert (m.control["mid"], m.ever_held["mid"], m.holder_name["mid"]) == ("blue", {"blue"}, "Blue Army blue_a")
    assert m.holder_name["base"] == "Blue"  # a place held from the start keeps its side's name
    assert m.initial_personnel == {"blue_army": 150, "red_army": 0}
    assert m.arrived_personnel == {"blue_army": 0, "red_army": 0}


def test_a_quarter_of_a_town_held_whole_is_named_after_its_holder(tmp_path: Path) -> None:
    m = town_world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 100)])
    assert m.holder_name["north"] == m.holder_name["south"] == m.holder_name["town"] == "Red"


def test_formations_arrive_on_their_day_and_the_arrivals_are_counted_and_logged(tmp_path: Path) -> None:
    # with half-day steps, day 1 is the second step; each arrival adds its men to its faction's tally
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("red_x", "red_army", "depot", {"hold": "depot"}, 200, arrival_day=1, tanks=3),
                         unit("red_y", "red_army", "depot", {"hold": "depot"}, 50, arrival_day=1)], step_days=0.5)
    m.step()
    assert m.formation("red_x").place is None
    m.step()
    assert m.formation("red_x").place == "depot" and m.arrived_personnel["red_army"] == 250
    arrivals = [(e.formation, e.place, words(e)) for e in m.events if e.kind is EventKind.ARRIVAL]
    assert arrivals == [("red_x", "depot", "Red Army red_x arrived at depot with 200 men and 3 tanks."),
                        ("red_y", "depot", "Red Army red_y arrived at depot with 50 men.")]


def test_an_event_with_no_formation_names_no_faction(tmp_path: Path) -> None:
    m = red_and_blue(tmp_path)
    m.log(EventKind.BOMBARDMENT, "fires", side="blue")
    m.log(EventKind.PICKET, "a move", formation=m.formation("red_t"))
    m.log(EventKind.OBJECTIVE_CUT, "nothing more")
    quiet, named, bare = m.events
    assert (quiet.day, quiet.date, quiet.side, quiet.faction, quiet.other_side) == (0.0, "2020-01-01", "blue", "", "")
    assert (named.side, named.faction, named.formation) == ("red", "red_army", "red_t")
    assert (bare.place, bare.side, bare.formation, bare.other_side) == ("", "", "", "")

"""The end of a siege, one rule at a time: the defenders of a lost town withdraw towards the way out, and the
attacker pursues their main body (sim/doctrine.py ``withdraw_to_the_rear``, ``rear_places``, ``mop_up_target``).

The world: blue has taken the objective ``town`` from ``base``; red still holds the villages beyond it, ``near``
and ``far`` on the road to its source ``exit`` (country off the map), and ``side``, a dead end next to the town;
blue holds ``loop``, a long way round to ``far``::

    base --5 km-- town --5 km-- near --5 km-- far --5 km-- exit
                  |  \\___3 km___ side              |
                  \\______10 km______ loop --10 km--/

The record: the town lost, the rebels withdrew north through Dabaa, "most rebels from al-Qusayr had retreated" to
al-Buwaydah, next to the road out, and the government took Dabaa, Salhiyeh, Masoudiyeh and al-Buwaydah on the
three days after the town.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import doctrine
from sim.model import SiegeModel
from sim.states import Intent, Posture
from tests.test_doctrine import unit, world

PLACES = {"base": (0.0, 0.0), "town": (0.05, 0.0), "near": (0.10, 0.0), "far": (0.15, 0.0), "exit": (0.20, 0.0),
          "side": (0.05, 0.03), "loop": (0.10, -0.05)}
ROADS = [("base", "town", "road", 5.0), ("town", "near", "road", 5.0), ("near", "far", "road", 5.0),
         ("far", "exit", "road", 5.0), ("town", "side", "road", 3.0), ("town", "loop", "road", 10.0),
         ("loop", "far", "road", 10.0)]


def end_world(tmp_path: Path, formations: list[dict[str, Any]], red_holds: tuple[str, ...] = ("near", "far", "side"),
              **spec: Any) -> SiegeModel:
    """Blue holds the town, the base and the loop; red ``red_holds`` and its source (the town is red's at the
    start, so that it is among the places red held: a relief column ordered there comes too late)."""
    m = world(tmp_path, formations, blue_holds=("base", "loop"), red_holds=("town", *red_holds, "exit"),
              sources=("base", "exit"), places=PLACES, roads=ROADS, **spec)
    m.space.take("town", "blue")
    m.space.trace_supply({side: s.supply_sources for side, s in m.spec.sides.items()})
    return m


PURSUER = unit("blue_p", "blue_army", "town", {"axis": ["town"]}, 3000)
GARRISON = unit("blue_g", "blue_army", "town", {"hold": "town"}, 4000)  # the strongest stays in the town


# ---------------------------------------------------------------- the pursuit


def test_the_pursuit_goes_for_the_main_body_by_the_shortest_road(tmp_path: Path) -> None:
    # red's main body (300) is at far, 30 at near, 20 at side (3 km away: the nearest): the pursuer goes for far by
    # the road through near, and near, the first enemy-held place on the way, is the day's target; skirting enemy
    # ground would have taken the long way round by blue's loop straight into far
    m = end_world(tmp_path, [PURSUER, GARRISON, unit("red_f", "red_army", "far", {"hold": "far"}, 300),
                             unit("red_n", "red_army", "near", {"hold": "near"}, 30),
                             unit("red_s", "red_army", "side", {"hold": "side"}, 20)])
    blue = m.formation("blue_p")
    assert doctrine.mop_up_target(blue, m) == "near"
    assert doctrine.decide(blue, m) == Intent(Posture.ATTACK, ("near",), group=("blue_p",))


def test_an_empty_enemy_village_next_door_is_taken_first(tmp_path: Path) -> None:
    # side is red's but nobody stands in it: the pursuer walks into it before going on after the main body
    m = end_world(tmp_path, [PURSUER, GARRISON, unit("red_f", "red_army", "far", {"hold": "far"}, 300),
                             unit("red_n", "red_army", "near", {"hold": "near"}, 30)])
    assert doctrine.mop_up_target(m.formation("blue_p"), m) == "side"
    m.space.take("side", "blue")  # taken: now the main body again
    assert doctrine.mop_up_target(m.formation("blue_p"), m) == "near"


# ---------------------------------------------------------------- the withdrawal


@pytest.mark.parametrize("morale", [0.1, 0.8])  # broken or not: a rout does not wait to re-form
def test_with_the_town_lost_its_defenders_withdraw_towards_the_way_out(tmp_path: Path, morale: float) -> None:
    # red_g's post, the town, is lost and red holds none of it: it goes on from near to far, the place red holds
    # nearest its source (exit itself is country off the map), and holds it
    m = end_world(tmp_path, [unit("red_g", "red_army", "near", {"hold": "town"}, 300, morale=morale)])
    red = m.formation("red_g")
    assert doctrine.rear_places(red, m) == frozenset({"far"})
    assert doctrine.decide(red, m) == Intent(Posture.RETREAT, ("far",), hold="far")


def test_a_rear_place_it_cannot_reach_over_its_own_ground_is_passed_over(tmp_path: Path) -> None:
    # blue stands in far: the next place back red can reach is near, where red_g stands: it holds there
    m = end_world(tmp_path, [unit("red_g", "red_army", "near", {"hold": "town"}, 300),
                             unit("blue_f", "blue_army", "far", {"hold": "far"}, 100)])
    red = m.formation("red_g")
    assert doctrine.rear_places(red, m) == frozenset({"near"})
    assert doctrine.decide(red, m) == Intent(Posture.HOLD, hold="near")


def test_while_its_side_holds_the_town_a_defender_whose_post_is_lost_falls_back_on_it(tmp_path: Path) -> None:
    # side lost, the town still red's: red_s goes back into the town, not towards the way out
    m = end_world(tmp_path, [unit("red_s", "red_army", "near", {"hold": "side"}, 50)])
    m.space.take("town", "red")
    m.space.take("side", "blue")
    m.space.trace_supply({side: s.supply_sources for side, s in m.spec.sides.items()})
    assert doctrine.decide(m.formation("red_s"), m) == Intent(Posture.ADVANCE, ("town",), hold="town")


def test_a_relief_column_too_late_for_the_town_withdraws_too(tmp_path: Path) -> None:
    m = end_world(tmp_path, [unit("red_m", "red_army", "near", {"move": "town"}, 300)])
    assert doctrine.decide(m.formation("red_m"), m) == Intent(Posture.RETREAT, ("far",), hold="far")


def test_a_defender_with_its_axis_done_withdraws_once_the_town_is_lost(tmp_path: Path) -> None:
    m = end_world(tmp_path, [unit("red_a", "red_army", "near", {"axis": ["near"]}, 300)])
    assert doctrine.decide(m.formation("red_a"), m) == Intent(Posture.RETREAT, ("far",), hold="far")

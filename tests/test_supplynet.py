"""The supply net, fires on roads, detachments and pickets (issue 11), each on the hand-built four-place world.

The world (tests/test_doctrine.py): base - mid - town - depot, and a track mid - depot. Blue attacks from base;
red's source is the depot and the objective the town. Each test fails when its rule is removed or inverted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_doctrine import unit, world

from sim import doctrine
from sim.model import SiegeModel
from sim.scenario import Orders, load_scenario
from sim.simulation import simulate
from sim.states import Intent, Posture
from sim.supply import road_shares, roads_carrying, roads_under_fire, shares_by_place, supplied_places, under_fire

ROOT = Path(__file__).resolve().parents[1]

LINE = {"a": ("b",), "b": ("a", "c"), "c": ("b",)}
CAPACITY = {frozenset(("a", "b")): 1.0, frozenset(("b", "c")): 2.0}


# ---------------------------------------------------------------- fires on roads (sim/supply.py)


def test_the_guns_reach_the_places_next_to_where_the_enemy_stands() -> None:
    assert under_fire(LINE, ["a"]) == {"a", "b"}
    assert under_fire(LINE, []) == frozenset()


@pytest.mark.parametrize(("fire_level", "kept"), [
    (0.0, {("a", "b"), ("b", "c")}),  # no fires: every road carries its class capacity
    (1.6, {("b", "c")}),  # 1.6 levels x 0.35 take 56%: the track carries 0.44 < 0.5, the road 0.88 >= 0.5
    (1.4, {("a", "b"), ("b", "c")}),  # 1.4 x 0.35 = 49%: the track still carries 0.51
])
def test_a_road_under_fire_carries_less_and_below_the_least_flow_none(fire_level: float,
                                                                      kept: set[tuple[str, str]]) -> None:
    roads = roads_carrying(LINE, CAPACITY, reach={"a"}, fire_level=fire_level, interdiction=0.35, min_flow=0.5)
    assert {(a, b) for a, nbrs in roads.items() for b in nbrs if a < b} == kept


def test_a_road_out_of_the_guns_reach_keeps_its_capacity() -> None:
    roads = roads_carrying(LINE, CAPACITY, reach=set(), fire_level=10.0, interdiction=1.0, min_flow=0.5)
    assert supplied_places(roads, {"a", "b", "c"}, ["c"]) == {"a", "b", "c"}


def test_a_road_below_the_least_flow_carries_nothing_even_out_of_the_guns_reach() -> None:
    roads = roads_carrying(LINE, CAPACITY, reach=set(), fire_level=0.0, interdiction=0.35, min_flow=1.5)
    assert supplied_places(roads, {"a", "b", "c"}, ["c"]) == {"b", "c"}  # the track (1.0 < 1.5) is no supply road


def test_a_road_left_with_exactly_the_least_flow_still_carries_it() -> None:
    # fires of level 1 at interdiction 0.5 leave half of each road: the track keeps 0.5, exactly the least flow
    roads = roads_carrying(LINE, CAPACITY, reach={"a"}, fire_level=1.0, interdiction=0.5, min_flow=0.5)
    assert roads["a"] == ("b",)
    assert road_shares(CAPACITY, 1.0, 0.5, 0.5)[frozenset(("a", "b"))][1] == 0.5  # the metrics see it the same


def fired_on(tmp_path: Path, blue_type: str, fires: dict[str, float] | None) -> SiegeModel:
    """Red holds the town, supplied from the depot over one road (capacity 1 here); blue stands next door."""
    blue = unit("blue_m", "blue_army", "mid", {"hold": "mid"}, 300)
    blue["type"] = blue_type
    return world(tmp_path, [blue, unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
                 blue_fires=fires, parameters={"road_capacity": {"road": 1.0, "track": 1.0}})


@pytest.mark.parametrize(("blue_type", "fires", "supplied"), [
    ("infantry", {"artillery": 1.0, "air": 0.6}, False),  # 1 x (1 - 0.35 x 1.6) = 0.44 < 0.5: the town is cut
    ("infantry", {}, True),  # no fires: the road carries its whole capacity
    ("militia", {"artillery": 1.0, "air": 0.6}, True),  # a village militia calls on no guns
])
def test_fires_cut_the_objectives_last_road(tmp_path: Path, blue_type: str, fires: dict[str, float] | None,
                                           supplied: bool) -> None:
    m = fired_on(tmp_path, blue_type, fires)
    assert ("town" in m.supplied["red"]) is supplied
    assert "depot" in m.supplied["red"]  # the source itself is always open to its side


def test_the_supply_metrics_see_each_road_under_fire_as_the_trace_does() -> None:
    track, road = frozenset(("a", "b")), frozenset(("b", "c"))
    capacity = {track: 1.0, road: 2.0, frozenset(("c", "d")): 2.0}
    # fires of level 1 at interdiction 0.35 leave 0.65 of a road: the track keeps 0.65 >= 0.5, the road 1.3
    assert dict(roads_under_fire(shares_by_place(road_shares(capacity, 1.0, 0.35, 0.5)), {"b"})) == pytest.approx(
        {track: 0.65, road: 0.65})
    # level 2 leaves 0.3: the track (0.3 < 0.5) carries nothing, the road 0.6
    level_2 = shares_by_place(road_shares(capacity, 2.0, 0.35, 0.5))
    assert dict(roads_under_fire(level_2, {"b"})) == pytest.approx({track: 0.0, road: 0.3})
    assert roads_under_fire(level_2, set()) == frozenset()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_daily_supply_metrics_agree_with_the_engines_cut_off(seed: int) -> None:
    # the metrics' road graph and the engine's own trace (fires included) say the same every day of a real run
    days = simulate(load_scenario(ROOT / "scenarios" / "historical.yaml"), seed).timeseries
    assert [d["supply_connected"] for d in days] == [d["objective_supplied"] for d in days]
    assert all(d["supply_flow_share"] == 0.0 for d in days if not d["objective_supplied"])
    assert any(not d["objective_supplied"] for d in days)


# ---------------------------------------------------------------- detachments (sim/doctrine.py, sim/model.py)


def advanced_to(tmp_path: Path, place: str, men: int = 1000, others: int = 0) -> SiegeModel:
    """Blue's axis formation stands in ``place``, ground it took (held by red at the start)."""
    formations = [unit("blue_a", "blue_army", "base", {"axis": ["town"]}, men),
                  unit("red_t", "red_army", "town", {"hold": "town"}, 100)]
    if others:
        formations.append(unit("blue_b", "blue_army", "base", {"hold": "base"}, others))
    m = world(tmp_path, formations, blue_holds=("base",), red_holds=("mid", "town", "depot"))
    m.space.take(place, "blue")
    for fid in ("blue_a", "blue_b") if others else ("blue_a",):
        m.space.put(m.formation(fid), place)
    return m


ONWARD = Intent(Posture.ADVANCE, ("town",))


def test_an_axis_formation_leaves_a_detachment_at_a_supply_gateway_it_took(tmp_path: Path) -> None:
    m = advanced_to(tmp_path, "mid")  # mid is next to the depot, red's source: a gateway
    blue = m.formation("blue_a")
    assert doctrine.detachment_for(blue, ONWARD, m) == 50  # 5% of 1,000
    assert doctrine.detachment_for(blue, Intent(Posture.HOLD), m) == 0  # staying: nothing to leave
    m.carry_out(blue, ONWARD)
    left = [f for f in m.space.active_at("mid", "blue") if f is not blue]
    assert [(f.personnel, f.orders.hold, f.faction) for f in left] == [(50, "mid", "blue_army")]
    assert blue.personnel == 950 and m.events[-1].kind == "detachment"
    assert doctrine.detachment_for(blue, ONWARD, m) == 0  # the place is held now: no second detachment


def test_no_detachment_where_the_place_does_not_matter_or_is_home_ground(tmp_path: Path) -> None:
    m = advanced_to(tmp_path, "base")  # one road, not next to red's source
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 0
    m = advanced_to(tmp_path, "mid", men=300)  # 5% of 300 = 15 < detachment_min 20: it keeps together
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 0
    m = advanced_to(tmp_path, "mid", men=400)  # 5% of 400 = 20: just enough
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 20
    m.formation("blue_a").orders = Orders(move="town")  # only a formation on an axis leaves ground it took held
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 0


def test_an_enemy_raider_passing_through_does_not_hold_the_place_for_the_side(tmp_path: Path) -> None:
    m = advanced_to(tmp_path, "mid")
    raider = m.formation("red_t")
    m.space.put(raider, "mid")
    raider.posture = Posture.RAID
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 50
    m = advanced_to(tmp_path, "mid", others=100)  # another formation of its side holds it already
    assert doctrine.detachment_for(m.formation("blue_a"), ONWARD, m) == 0


def test_home_ground_the_enemy_took_and_was_taken_back_keeps_a_detachment(tmp_path: Path) -> None:
    m = advanced_to(tmp_path, "mid")
    blue = m.formation("blue_a")
    m.space.take("base", "blue")
    m.space.put(blue, "base")  # home ground never lost: no detachment (and base is no gateway nor crossroads)
    m.params = replace(m.params, detachment_crossroads=1.0)  # every place matters now
    assert doctrine.detachment_for(blue, ONWARD, m) == 0
    m.ever_held["base"] = {"blue", "red"}  # red held it once: blue took it back, so it is held now
    assert doctrine.detachment_for(blue, ONWARD, m) == 50


def test_crossroads_matter_too(tmp_path: Path) -> None:
    m = advanced_to(tmp_path, "mid")
    m.supply_sources = {"blue": ("base",), "red": ()}  # no gateway left: mid is 3 roads
    blue = m.formation("blue_a")
    assert doctrine.detachment_for(blue, ONWARD, m) == 0  # 3 < detachment_crossroads 4
    m.params = replace(m.params, detachment_crossroads=3.0)
    assert doctrine.detachment_for(blue, ONWARD, m) == 50


# ---------------------------------------------------------------- pickets on by default


def test_pickets_are_on_unless_a_scenario_switches_them_off(tmp_path: Path) -> None:
    assert world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 100)]).doctrine.pickets
    assert not world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 100)],
                     doctrine={"pickets": False}).doctrine.pickets

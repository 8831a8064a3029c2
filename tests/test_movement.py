"""Movement (sim/movement.py): road costs by class, routing, and a day's march on the tiny theatre.

Costs are in march-km: km / road_speed_factor[class] + crossing_delay_days[class] * speed. Defaults:
factors highway 1.0, road 0.8, track 0.5, river_crossing 0.5, border_crossing 0.8; delays river 0.5 day,
border 0.25 day; speeds armour 26, infantry 17 km/day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sim.agents import Formation
from sim.model import SiegeModel
from sim.movement import advance, march_cost, road_costs, road_neighbours, shortest_route
from sim.parameters import Parameters
from sim.scenario import Scenario, UnitType
from sim.states import Posture
from tests.test_doctrine import ROADS as FOUR_ROADS
from tests.test_doctrine import unit, world

P = Parameters()


# ---------------------------------------------------------------- march_cost


@pytest.mark.parametrize(
    ("road_class", "speed", "expected"),
    [
        ("highway", 17.0, 10.0),  # 10 / 1.0
        ("road", 17.0, 12.5),  # 10 / 0.8
        ("track", 17.0, 20.0),  # 10 / 0.5
        ("river_crossing", 17.0, 28.5),  # 10 / 0.5 + 0.5 day * 17 km/day
        ("river_crossing", 26.0, 33.0),  # 10 / 0.5 + 0.5 * 26: a faster formation loses more march-km waiting
        ("border_crossing", 17.0, 16.75),  # 10 / 0.8 + 0.25 * 17
        ("border_crossing", 20.0, 17.5),  # 10 / 0.8 + 0.25 * 20
    ],
)
def test_march_cost_of_ten_km_by_road_class(road_class: str, speed: float, expected: float) -> None:
    assert march_cost(10.0, road_class, speed, P) == pytest.approx(expected)


def test_march_cost_follows_parameter_overrides() -> None:
    params = replace(P, road_speed_factor={**P.road_speed_factor, "track": 0.25},
                     crossing_delay_days={"river_crossing": 2.0, "border_crossing": 0.0})
    assert march_cost(5.0, "track", 17.0, params) == pytest.approx(20.0)
    assert march_cost(5.0, "river_crossing", 10.0, params) == pytest.approx(5.0 / 0.5 + 20.0)
    assert march_cost(5.0, "border_crossing", 10.0, params) == pytest.approx(5.0 / 0.8)


def test_road_costs_cover_every_open_road(tiny: Scenario) -> None:
    costs = road_costs(tiny.graph, 17.0, P, blocked=set())
    assert len(costs) == tiny.graph.number_of_edges() == 7
    assert costs[frozenset(("harbour", "crossroads"))] == pytest.approx(8.0)
    assert costs[frozenset(("ford", "oldtown"))] == pytest.approx(2.0 / 0.5 + 0.5 * 17)
    assert costs[frozenset(("oldtown", "depot"))] == pytest.approx(9.0 / 0.8 + 0.25 * 17)
    blocked = road_costs(tiny.graph, 17.0, P, blocked={frozenset(("ford", "oldtown"))})
    assert frozenset(("ford", "oldtown")) not in blocked
    assert len(blocked) == 6


# ---------------------------------------------------------------- shortest_route

#      1     1         1
#   A --- B --- D ----- E        F (no roads)
#    \         /
#   2 \       / 2
#       C ---
ROADS = {("A", "B"): 1.0, ("B", "D"): 1.0, ("A", "C"): 2.0, ("C", "D"): 2.0, ("D", "E"): 1.0}
ADJ = {"A": ("B", "C"), "B": ("A", "D"), "C": ("A", "D"), "D": ("B", "C", "E"), "E": ("D",), "F": ()}
COSTS = {frozenset(k): v for k, v in ROADS.items()}


def route(start: str, goals: set[str], penalised: Collection[str] = (), penalty: float = 0.0,
          costs: dict | None = None) -> list[str] | None:
    return shortest_route(road_neighbours(ADJ, COSTS if costs is None else costs), start, goals, penalised, penalty)


def test_road_neighbours_lists_open_roads_with_their_cost() -> None:
    nbrs = road_neighbours(ADJ, COSTS)
    assert sorted(nbrs["D"]) == [("B", 1.0), ("C", 2.0), ("E", 1.0)]
    assert nbrs["F"] == []
    cut = road_neighbours(ADJ, {k: v for k, v in COSTS.items() if k != frozenset(("D", "E"))})
    assert sorted(cut["D"]) == [("B", 1.0), ("C", 2.0)]
    assert cut["E"] == []


def test_route_takes_the_cheapest_path_excluding_the_start() -> None:
    assert route("A", {"E"}) == ["B", "D", "E"]
    assert route("E", {"A"}) == ["D", "B", "A"]


def test_entry_penalty_diverts_round_hostile_places() -> None:
    # B hostile: via B costs 3 + 10, via C costs 5
    assert route("A", {"E"}, {"B"}, 10.0) == ["C", "D", "E"]
    # a small penalty is not worth the detour
    assert route("A", {"E"}, {"B"}, 1.0) == ["B", "D", "E"]
    # with no way round, the route goes through the hostile place anyway
    assert route("A", {"E"}, {"D"}, 100.0) == ["B", "D", "E"]


def test_goals_are_not_penalised_and_the_nearest_goal_wins() -> None:
    assert route("A", {"B"}, set(ADJ), 100.0) == ["B"]
    assert route("A", {"C", "E"}) == ["C"]
    assert route("A", {"C", "E"}, {"C"}, 5.0) == ["C"]
    assert route("A", {"D", "E"}) == ["B", "D"]


def test_start_in_goals_is_an_empty_route() -> None:
    assert route("A", {"A", "E"}) == []


def test_unreachable_goal_gives_none() -> None:
    assert route("A", {"F"}) is None
    # a road missing from the costs (blocked) is not travelled
    cut = {k: v for k, v in COSTS.items() if k != frozenset(("D", "E"))}
    assert route("A", {"E"}, costs=cut) is None
    assert route("A", {"D", "E"}, costs=cut) == ["B", "D"]


def test_the_cheapest_route_wins_however_many_roads_it_takes() -> None:
    # A to D by B is two roads of 1, straight one road of 2.5
    nbrs = road_neighbours({"A": ("B", "D"), "B": ("A", "D"), "D": ("A", "B")},
                           {frozenset(("A", "B")): 1.0, frozenset(("B", "D")): 1.0, frozenset(("A", "D")): 2.5})
    assert shortest_route(nbrs, "A", {"D"}, (), 0.0) == ["B", "D"]


def test_a_place_reached_the_long_way_round_first_is_routed_the_short_way() -> None:
    # C is first reached straight from A (5), then by B (1 + 1 = 2): the route to E goes by B, past the dearer
    # way to C left waiting in the search
    nbrs = road_neighbours({"A": ("B", "C"), "B": ("A", "C"), "C": ("A", "B", "E"), "E": ("C",)},
                           {frozenset(("A", "B")): 1.0, frozenset(("B", "C")): 1.0, frozenset(("A", "C")): 5.0,
                            frozenset(("C", "E")): 10.0})
    assert shortest_route(nbrs, "A", {"E"}, (), 0.0) == ["B", "C", "E"]


# ---------------------------------------------------------------- a day's march on the tiny theatre
# harbour -8- crossroads -7.5- ridge -20- depot ; crossroads -10- ford -(4 + 13)- oldtown  (armour march-km)


@pytest.fixture
def model(tiny: Scenario) -> SiegeModel:
    return SiegeModel(tiny, rng=0)


def formation(m: SiegeModel, fid: str) -> Formation:
    return next(f for f in m.formations() if f.fid == fid)


def test_armour_marches_26_march_km_and_stops_on_the_road(model: SiegeModel) -> None:
    tanks = formation(model, "blue_tanks")
    assert tanks.place == "harbour"
    tanks.path = ["crossroads", "ridge", "depot"]
    advance(tanks, model)
    # 8 (highway) + 7.5 (road) = 15.5 to the ridge, then 10.5 of the 20 march-km of track to the depot
    assert tanks.place is None
    assert tanks.edge == ("ridge", "depot")
    assert tanks.km_done == pytest.approx(10.5)
    assert tanks.path == ["depot"]
    assert tanks.came_from == "ridge"
    assert tanks in model.space.on_road[frozenset(("ridge", "depot"))]
    assert all(tanks not in fs for fs in model.space.at_place.values())
    # next day: the last 9.5 march-km, then it stops in the (empty) enemy-held depot
    advance(tanks, model)
    assert tanks.place == "depot"
    assert tanks.edge is None
    assert tanks.path == []
    assert tanks in model.space.at_place["depot"]
    assert tanks not in model.space.on_road[frozenset(("ridge", "depot"))]


def test_march_stops_on_entering_a_place_the_enemy_occupies(model: SiegeModel) -> None:
    tanks = formation(model, "blue_tanks")
    tanks.path = ["crossroads", "ford", "oldtown"]
    advance(tanks, model)  # 8 + 10 = 18 < 26, but the ford is Red's and Red's bands stand in it
    assert tanks.place == "ford"
    assert tanks.path == ["oldtown"]


def test_raiders_slip_through_empty_enemy_ground(model: SiegeModel) -> None:
    tanks = formation(model, "blue_tanks")
    model.space.put(tanks, "ridge")
    tanks.path = ["depot", "oldtown"]
    tanks.posture = Posture.RAID
    advance(tanks, model)  # 20 to the depot (Red's, empty), then 6 of the 17.75 border crossing
    assert tanks.edge == ("depot", "oldtown")
    assert tanks.km_done == pytest.approx(6.0)
    # a formation that is not raiding stops in the depot
    model.space.put(tanks, "ridge")
    tanks.path = ["depot", "oldtown"]
    tanks.posture = Posture.ADVANCE
    advance(tanks, model)
    assert tanks.place == "depot"


def test_an_ambush_stops_a_column_halfway_along_the_road(model: SiegeModel) -> None:
    tanks, bands = formation(model, "blue_tanks"), formation(model, "red_bands")
    model.space.set_out(bands, "ridge", "crossroads", km_done=1.0)
    bands.posture = Posture.AMBUSH
    tanks.path = ["crossroads", "ridge"]
    advance(tanks, model)
    assert tanks.edge == ("crossroads", "ridge")
    assert tanks.km_done == pytest.approx(7.5 / 2)
    assert tanks.path == ["ridge"]


def test_crossing_delays_depend_on_the_formations_speed(model: SiegeModel) -> None:
    ford = frozenset(("ford", "oldtown"))
    assert model.space.costs[UnitType.ARMOUR][ford] == pytest.approx(2.0 / 0.5 + 0.5 * 26)
    assert model.space.costs[UnitType.INFANTRY][ford] == pytest.approx(2.0 / 0.5 + 0.5 * 17)
    assert model.space.costs[UnitType.MILITIA][frozenset(("oldtown", "depot"))] == pytest.approx(9.0 / 0.8 + 0.25 * 17)


def test_inactive_or_idle_formations_do_not_move(model: SiegeModel) -> None:
    rifles = formation(model, "blue_rifles")  # arrives on day 3
    rifles.path = ["crossroads"]
    advance(rifles, model)
    assert rifles.place is None and rifles.edge is None
    tanks = formation(model, "blue_tanks")
    advance(tanks, model)  # no path: stays put
    assert tanks.place == "harbour"


# ---------------------------------------------------------------- a day's march on the four-place world
# (tests/test_doctrine.py: base --road 5 km-- mid --road 5 km-- town, red's; 5 / 0.8 = 6.25 march-km a road;
# infantry march 17 march-km a day)


def marcher(tmp_path: Path, formations: tuple[dict[str, Any], ...] = (),
            roads: list[tuple[str, str, str, float]] = FOUR_ROADS, **spec: Any) -> tuple[Formation, SiegeModel]:
    """Blue's 100 infantry at the base, with ``formations`` about, on the four-place world (or its ``roads``)."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 100), *formations], roads=roads,
              **spec)
    return m.formation("blue_a"), m


@pytest.mark.parametrize(("km", "place", "edge", "km_done"), [
    (17.0, "mid", None, 0.0),  # a day's march ends in mid: it stops there, not at the start of the next road
    (16.5, None, ("mid", "town"), 0.5),  # the last half march-km is marched on the next road
])
def test_a_march_uses_the_whole_days_budget_and_no_more(tmp_path: Path, km: float, place: str | None,
                                                        edge: tuple[str, str] | None, km_done: float) -> None:
    f, m = marcher(tmp_path, roads=[("base", "mid", "highway", km), *FOUR_ROADS[1:]])  # a highway: km = march-km
    f.path = ["mid", "town"]
    advance(f, m)
    assert (f.place, f.edge, f.path) == (place, edge, ["town"])
    assert f.km_done == pytest.approx(km_done)


def test_a_step_of_half_a_day_marches_half_a_days_march(tmp_path: Path) -> None:
    f, m = marcher(tmp_path, step_days=0.5)
    f.path = ["mid", "town"]
    advance(f, m)  # 8.5 march-km: 6.25 to mid, 2.25 beyond
    assert (f.edge, f.km_done) == (("mid", "town"), pytest.approx(2.25))


def test_a_column_part_way_along_a_road_goes_on_from_where_it_stopped(tmp_path: Path) -> None:
    f, m = marcher(tmp_path, roads=[("base", "mid", "highway", 40.0), *FOUR_ROADS[1:]])
    m.space.set_out(f, "base", "mid", 2.0)
    f.path = ["mid"]
    advance(f, m)
    assert (f.edge, f.km_done) == (("base", "mid"), pytest.approx(19.0))  # 2 + 17


def test_a_column_marches_past_its_own_sides_ambush(tmp_path: Path) -> None:
    f, m = marcher(tmp_path, (unit("blue_x", "blue_army", "mid", {"hold": "mid"}, 50),))
    lurking = m.formation("blue_x")
    m.space.set_out(lurking, "mid", "base", 3.0)
    lurking.posture = Posture.AMBUSH
    f.path = ["mid", "town"]
    advance(f, m)  # 6.25 + 6.25 march-km: into red's town, where it stops
    assert (f.place, f.path) == ("town", [])


def test_a_march_stops_where_the_enemy_stands_even_on_its_own_sides_ground(tmp_path: Path) -> None:
    f, m = marcher(tmp_path, (unit("red_x", "red_army", "mid", {"hold": "town"}, 50),))  # red's 50 in blue's mid
    f.path = ["mid", "town"]
    advance(f, m)  # 6.25 march-km: it stops in mid, 10.75 of its day unused
    assert (f.place, f.path) == ("mid", ["town"])

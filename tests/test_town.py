"""The battle for a town of sectors, one rule at a time, on a hand-built six-place world (sim/theatre.py's
``sector_of``, sim/space.py's town share, sim/doctrine.py's town rules and the defenders' last act, sim/records.py's
metrics of the town as a whole).

The world: blue attacks from ``base`` into the town, whose centre ``town`` has two quarters, ``south`` and
``north`` (streets of 1 km, all three next to each other); red holds the town and ``refuge`` north of it,
supplied from ``depot``::

    base --5 km-- south --1-- town --1-- north --3 km-- refuge --5 km-- depot
                      \\________1 km________/

Powers are worked by hand from the defaults: an infantry person at morale 0.8 and full supply is worth
1.0 * (0.5 + 0.5 * 0.8) = 0.9; a held village multiplies its holders' power by 1.5, a held town (every sector) by 2.0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import yaml

from sim import combat, doctrine, engagements, ground
from sim.agents import Formation
from sim.combat import Hit, Outcome
from sim.errors import InputError
from sim.events import EventKind
from sim.model import SiegeModel
from sim.records import day_row, metrics_cache, objective_fall_day, objective_share_column
from sim.scenario import FormationSpec, Orders, _Checker, load_scenario
from sim.states import EngagementKind, Intent, Losses, Posture, Status
from sim.theatre import theatre_from_geojson, town_sectors
from tests.test_doctrine import said
from tests.test_doctrine import world as doctrine_world

POS = {"base": (0.0, 0.0), "south": (0.05, 0.0), "town": (0.06, 0.0), "north": (0.07, 0.0),
       "refuge": (0.10, 0.0), "depot": (0.15, 0.0)}
KINDS = {"base": "village", "south": "town", "town": "town", "north": "town", "refuge": "village",
         "depot": "village"}
ROADS = [("base", "south", 5.0), ("south", "town", 1.0), ("town", "north", 1.0), ("south", "north", 1.0),
         ("north", "refuge", 3.0), ("refuge", "depot", 5.0)]
SECTORS = ("town", "north", "south")


def features() -> list[dict[str, Any]]:
    places = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(POS[p])},
               "properties": {"id": p, "kind": KINDS[p], **({"sector_of": "town"} if p in ("north", "south")
                                                             else {})}} for p in POS]
    roads = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(POS[a]), list(POS[b])]},
              "properties": {"from": a, "to": b, "road_class": "road", "km": km}} for a, b, km in ROADS]
    return places + roads


def unit(fid: str, faction: str, at: str, orders: dict[str, Any], personnel: int) -> dict[str, Any]:
    return {"id": fid, "name": fid, "faction": faction, "type": "infantry", "personnel": personnel, "at": at,
            "orders": orders}


def world(tmp_path: Path, formations: list[dict[str, Any]], blue_holds: tuple[str, ...] = ("base",),
          red_holds: tuple[str, ...] = ("town", "refuge", "depot"), **spec: Any) -> SiegeModel:
    """A model of the six-place world with these formations and holdings (seed 0)."""
    (tmp_path / "six.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features()}))
    data = {
        "name": "A town of quarters", "map": "six.geojson", "start_date": "2020-01-01", "end_date": "2020-01-10",
        "objective": "town",
        "sides": {"blue": {"name": "Blue", "role": "attacker", "supply_sources": ["base"], "holds": list(blue_holds)},
                  "red": {"name": "Red", "role": "defender", "supply_sources": ["depot"], "holds": list(red_holds)}},
        "factions": {"blue_army": {"name": "Blue Army", "side": "blue"},
                     "red_army": {"name": "Red Army", "side": "red"}},
        "formations": formations, **spec}
    path = tmp_path / "six.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with patch.object(_Checker, "start"):  # mid-campaign situations that `validate` rightly refuses as a start
        return SiegeModel(load_scenario(path), rng=0)


def take(m: SiegeModel, side: str, *places: str) -> None:
    """``side`` now holds ``places``; supply traced again."""
    for place in places:
        m.space.take(place, side)
    m.space.trace_supply({side: s.supply_sources for side, s in m.spec.sides.items()})


# ---------------------------------------------------------------- the map


def test_a_town_is_its_own_place_and_the_places_naming_it_in_sector_of() -> None:
    graph = theatre_from_geojson({"type": "FeatureCollection", "features": features()}, "six.geojson")
    assert graph.graph["towns"] == {"town": ("town", "south", "north")}  # the town first, then in file order
    assert town_sectors(graph, "town") == ("town", "south", "north")
    assert town_sectors(graph, "refuge") == ("refuge",)  # a place without sectors is a town of one


@pytest.mark.parametrize(("sector_of", "problem"), [("nowhere", "must name another place"),
                                                    ("south", "is itself a sector of 'town'"),
                                                    ("north", "must name another place")])
def test_a_sector_names_a_town_of_the_map_that_is_not_itself_a_sector(sector_of: str, problem: str) -> None:
    data = {"type": "FeatureCollection", "features": features()}
    north = next(f for f in data["features"] if f["properties"].get("id") == "north")
    north["properties"]["sector_of"] = sector_of
    with pytest.raises(InputError, match=problem) as err:
        theatre_from_geojson(data, "six.geojson")
    assert "properties.sector_of" in str(err.value)


# ---------------------------------------------------------------- the space


def test_the_quarters_start_with_the_town_and_share_its_fortification(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 100)], fortifications={"town": 1.0})
    assert [m.control[p] for p in SECTORS] == ["red"] * 3  # only the town is in red's holds
    assert m.space.defence["north"] == m.space.defence["town"] > m.space.defence["refuge"]
    assert m.space.town_share("red") == 1.0 and m.space.holds_whole("town", "red")
    take(m, "blue", "south")
    assert m.space.town_share("blue") == pytest.approx(1 / 3) and not m.space.holds_whole("town", "blue")


# ---------------------------------------------------------------- the attack


def test_the_garrison_of_the_taken_town_is_the_sides_strongest_there_not_a_bigger_enemy_raider(
        tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000),
                         unit("red_x", "red_army", "town", {"hold": "refuge"}, 2000)])
    take(m, "blue", "town", "north", "south")
    m.formation("red_x").posture = Posture.RAID
    assert doctrine.garrisons_objective(m.formation("blue_a"), m)


def test_going_for_the_town_means_its_nearest_quarter_not_yet_held(tmp_path: Path) -> None:
    # blue holds the centre and the south: the old rule saw the objective held and, with no pocket to mop up in
    # reach (mop_up_hops 0), stood still; the town is not taken while red holds the north
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 2000)],
              parameters={"mop_up_hops": 0})
    take(m, "blue", "town", "south")
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ATTACK, ("north",), group=("blue_a",))
    take(m, "blue", "north")
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD  # all of it held: its garrison stays


@pytest.mark.parametrize(("at", "blue_holds", "sector"), [
    ("base", (), "south"),  # the nearest quarter by road (5 km), not the centre named in the orders
    ("south", (), "town"),  # standing in a quarter nobody holds: the one its orders name
    ("south", ("town",), "north"),  # ... and with that one held, the first of those left (north, south)
])
def test_the_quarter_to_take_is_the_nearest_not_yet_held(tmp_path: Path, at: str, blue_holds: tuple[str, ...],
                                                         sector: str) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", at, {"axis": ["town"]}, 2000)], red_holds=("refuge", "depot"))
    m.space.control.update(dict.fromkeys(("town", "north", "south")))  # nobody holds the town
    take(m, "blue", *blue_holds)
    assert doctrine.sector_to_take(m.formation("blue_a"), m, "town") == sector
    assert doctrine.sector_to_take(m.formation("blue_a"), m, "refuge") == "refuge"  # any other goal stays


def test_while_the_town_is_fought_over_no_quarter_keeps_a_garrison_once_taken_each_does(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 2000),
                         unit("blue_b", "blue_army", "south", {"axis": ["town"]}, 1000),
                         unit("blue_c", "blue_army", "south", {"axis": ["town"]}, 500)])
    take(m, "blue", "town", "south")
    assert not any(doctrine.garrisons_objective(m.formation(f), m) for f in ("blue_a", "blue_b", "blue_c"))
    take(m, "blue", "north")  # all of it held: the strongest in each quarter stays, so none is left empty
    assert [doctrine.garrisons_objective(m.formation(f), m) for f in ("blue_a", "blue_b", "blue_c")] == [
        True, True, False]


def test_no_detachment_is_left_in_a_quarter_of_the_town_but_one_is_at_a_gateway_outside_it(tmp_path: Path) -> None:
    # south meets three roads (base, town, north): a crossroads at detachment_crossroads 3; refuge, next to red's
    # source, is a gateway: outside the town the same formation leaves 5% of its 2,000
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 2000),
                         unit("red_t", "red_army", "north", {"hold": "north"}, 100)],
              parameters={"detachment_crossroads": 3.0})
    blue = m.formation("blue_a")
    take(m, "blue", "south")
    assert doctrine.detachment_for(blue, Intent(Posture.ATTACK, ("town",)), m) == 0
    take(m, "blue", "refuge")
    m.space.put(blue, "refuge")
    assert doctrine.detachment_for(blue, Intent(Posture.ATTACK, ("north",)), m) == 100


@pytest.mark.parametrize(("neighbour_at", "attacks"), [("town", True), ("base", False)])
def test_an_assault_on_a_quarter_gathers_the_side_in_the_quarters_next_to_it(tmp_path: Path, neighbour_at: str,
                                                                              attacks: bool) -> None:
    # 300 red in the cut-off north: 300 * 0.9 * 2 = 540; blue needs 3 x 540 = 1620: 900 from the south alone is
    # not enough, 1800 with the 1000 in the centre (also next to the north) is
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 1000),
                         unit("blue_b", "blue_army", neighbour_at, {"axis": ["town"]}, 1000),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 300)])
    take(m, "blue", "town", "south", "refuge")  # red is cut off from the depot
    intent = doctrine.decide(m.formation("blue_a"), m)
    assert intent == (Intent(Posture.ATTACK, ("north",), group=("blue_a", "blue_b")) if attacks else doctrine.HOLD)


def test_no_one_joins_the_assault_on_a_quarter_from_across_a_blocked_street(tmp_path: Path) -> None:
    # as above with blue's second 1,000 in the centre, but the street from the centre to the north is blocked
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 1000),
                         unit("blue_b", "blue_army", "town", {"axis": ["town"]}, 1000),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 300)],
              blocked_roads=[["town", "north"]])
    take(m, "blue", "town", "south", "refuge")
    assert doctrine.staging_places(m.formation("blue_a"), "north", m) == ("south",)
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD


def test_an_empty_quarter_is_always_a_go_whoever_stands_next_to_it(tmp_path: Path) -> None:
    # red's 300 in the north (540 with the town's defence) stand next to the empty centre: blue's 100 walk in
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 100),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 300)])
    take(m, "blue", "south", "refuge")
    assert doctrine.ready_to_attack([m.formation("blue_a")], "town", m)
    assert not doctrine.ready_to_attack([m.formation("blue_a")], "north", m)


@pytest.mark.parametrize(("red_in_north", "attacks"), [(300, False), (0, True)])
def test_a_quarter_is_defended_by_the_enemy_in_the_quarters_next_to_it_too(tmp_path: Path, red_in_north: int,
                                                                            attacks: bool) -> None:
    # blue 2000 (1800) in the south against 300 red in the centre (540): 1800 >= 3 x 540; with 300 more red in
    # the north, next to the centre, 1800 < 3 x 1080
    red = [unit("red_t", "red_army", "town", {"hold": "town"}, 300)]
    if red_in_north:
        red.append(unit("red_n", "red_army", "north", {"hold": "north"}, red_in_north))
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 2000), *red])
    take(m, "blue", "south", "refuge")
    assert doctrine.town_defence("town", "red", m) == pytest.approx(540 + red_in_north * 0.9 * 2)
    assert doctrine.decide(m.formation("blue_a"), m).posture is (Posture.ATTACK if attacks else Posture.HOLD)


def test_a_village_next_to_a_quarter_adds_nothing_to_its_defence(tmp_path: Path) -> None:
    # red's 300 in the north (300 * 0.9 * 2 = 540) and 500 more in the refuge next to it, a village outside the town
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300),
                         unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 500)])
    assert doctrine.town_defence("north", "red", m) == pytest.approx(540)


def pursuit_world(tmp_path: Path, red_holds: tuple[str, ...], mop_up_hops: int) -> SiegeModel:
    """Blue holds the whole town, its garrison and a pursuer in the north quarter; red holds ``red_holds``."""
    blue_holds = tuple(p for p in POS if p not in red_holds)
    return world(tmp_path, [unit("blue_g", "blue_army", "north", {"hold": "town"}, 1000),
                            unit("blue_p", "blue_army", "north", {"axis": ["town"]}, 500)],
                 blue_holds=blue_holds, red_holds=red_holds, parameters={"mop_up_hops": mop_up_hops})


@pytest.mark.parametrize(("mop_up_hops", "target"), [(1, "refuge"), (0, None)])
def test_the_pursuit_counts_its_roads_from_the_towns_nearest_quarter(tmp_path: Path, mop_up_hops: int,
                                                                    target: str | None) -> None:
    # refuge is one road from the north quarter, two from the town's own place: one road of pursuit reaches it
    m = pursuit_world(tmp_path, ("refuge", "depot"), mop_up_hops)
    pursuer = m.formation("blue_p")
    assert doctrine.mop_up_target(pursuer, m) == target
    assert doctrine.decide(pursuer, m) == (doctrine.HOLD if target is None else
                                           Intent(Posture.ATTACK, (target,), group=("blue_p",)))


def test_the_pursuit_never_goes_for_the_enemys_supply_source(tmp_path: Path) -> None:
    # depot, two roads from the north quarter, is all red holds; it is red's source (country off the map)
    m = pursuit_world(tmp_path, ("depot",), 5)
    assert doctrine.mop_up_target(m.formation("blue_p"), m) is None
    assert doctrine.decide(m.formation("blue_p"), m) == doctrine.HOLD


# ---------------------------------------------------------------- the defenders' last act


def last_act_world(tmp_path: Path, **parameters: float) -> SiegeModel:
    """Blue holds the centre and the south; 300 red hold the north, with the refuge (supplied) behind them. The
    defenders give the town up as soon as a trigger is reached (``town_withdraw_days`` 0: the days they stand at
    ``town_withdraw_share`` have tests of their own)."""
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300)],
              parameters={"town_withdraw_days": 0.0, **parameters})
    take(m, "blue", "town", "south")
    return m


@pytest.mark.parametrize(("threshold", "withdraws"), [(0.4, True), (1 / 3, True), (0.3, False)])
def test_the_defenders_withdraw_when_they_hold_too_little_of_the_town(tmp_path: Path, threshold: float,
                                                                      withdraws: bool) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=threshold)  # red holds a third
    intent = doctrine.decide(m.formation("red_n"), m)
    if withdraws:  # along the last open route to the nearest place it holds outside the town, supplied first
        assert intent == Intent(Posture.RETREAT, ("refuge",), hold="refuge", withdraw=True)
    else:
        assert intent.posture is Posture.HOLD and not intent.withdraw


@pytest.mark.parametrize(("supply", "withdraws"), [(0.05, True), (0.1, False), (0.2, False)])
def test_the_defenders_withdraw_when_their_supply_runs_out(tmp_path: Path, supply: float, withdraws: bool) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.0, town_withdraw_supply=0.1)
    m.formation("red_n").supply = supply
    assert doctrine.decide(m.formation("red_n"), m).withdraw is withdraws


@pytest.mark.parametrize(("days", "in_supply", "withdraws"), [(7.0, True, True), (6.0, True, False),
                                                              (7.0, False, False)])
def test_the_defenders_pull_out_still_supplied_after_days_outnumbered(tmp_path: Path, days: float, in_supply: bool,
                                                                      withdraws: bool) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.0)
    m.town_pressure_days = days
    m.formation("red_n").in_supply = in_supply
    assert doctrine.decide(m.formation("red_n"), m).withdraw is withdraws


def test_with_no_open_route_the_defenders_break_out_through_the_lines_to_their_nearest_ground(
        tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.5)
    take(m, "blue", "refuge")  # the one way out is the enemy's: they slip through it to the depot, taking nothing
    intent = doctrine.decide(m.formation("red_n"), m)
    assert intent == Intent(Posture.RAID, ("refuge", "depot"), hold="depot", withdraw=True)


def test_a_break_out_slips_through_enemy_ground_by_the_shortest_way_and_holds_where_it_gets_to(
        tmp_path: Path) -> None:
    """Blue holds the refuge, and red's only ground outside the town is the base: the break-out from the north
    goes through blue's south (1 km + 5 km) rather than through blue's refuge and depot (3 + 5 km to nothing of
    red's); it holds the base."""
    m = last_act_world(tmp_path, town_withdraw_share=0.5)
    take(m, "blue", "refuge", "depot")
    take(m, "red", "base")
    assert doctrine.decide(m.formation("red_n"), m) == Intent(Posture.RAID, ("south", "base"), hold="base",
                                                              withdraw=True)


def test_a_break_out_from_the_centre_holds_the_place_it_makes_for_not_the_first_on_the_way(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              parameters={"town_withdraw_share": 0.7, "town_withdraw_days": 0.0})
    take(m, "blue", "south", "refuge")  # red holds two thirds of the town, the way out through blue's refuge
    assert doctrine.decide(m.formation("red_t"), m) == Intent(Posture.RAID, ("north", "refuge", "depot"),
                                                              hold="depot", withdraw=True)


def test_a_break_out_makes_for_supplied_ground_before_nearer_cut_off_ground(tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.5)
    take(m, "blue", "refuge")
    take(m, "red", "base")  # 6 km away through the south, but cut off; the depot is 8 km through the refuge
    ground.trace_supply(m, log=False)
    assert doctrine.decide(m.formation("red_n"), m).path == ("refuge", "depot")


def test_with_nothing_of_theirs_outside_the_town_the_defenders_fight_on(tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.5)
    take(m, "blue", "refuge", "depot")
    intent = doctrine.decide(m.formation("red_n"), m)
    assert not intent.withdraw and intent.posture is Posture.HOLD


def test_a_break_out_stopped_among_the_enemy_slips_on_even_when_broken(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_n", "red_army", "refuge", {"hold": "depot"}, 100),
                         unit("blue_r", "blue_army", "refuge", {"hold": "refuge"}, 300)])
    take(m, "blue", "town", "south", "refuge")
    red = m.formation("red_n")
    red.posture, red.morale = Posture.RAID, 0.1  # broken: a broken formation on its way back would stop to re-form
    assert doctrine.decide(red, m) == Intent(Posture.RAID, ("depot",))


def test_the_break_out_is_logged_as_one_and_pays_the_gauntlet(tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.5, interdicted_move_loss=0.5)
    take(m, "blue", "refuge")
    ground.trace_supply(m, log=False)
    red = m.formation("red_n")
    m.space.enemy_fire_reach = {"red": frozenset({"refuge"})}
    m.carry_out(red, doctrine.decide(red, m))
    assert "broke out of town towards depot" in m.events[-1].text and red.personnel < 300
    assert red.orders.hold == "depot" and red.posture is Posture.RAID


def test_the_withdrawal_is_logged_and_the_unit_holds_where_it_went(tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.5)
    red = m.formation("red_n")
    m.carry_out(red, doctrine.decide(red, m))
    assert red.orders.hold == "refuge" and red.path == ["refuge"]
    assert [e.kind for e in m.events][-1] is EventKind.WITHDRAWAL
    assert "withdrew from town towards refuge (33% of the town held" in m.events[-1].text


def test_the_days_under_pressure_count_while_outnumbered_and_supplied_and_start_again_otherwise(
        tmp_path: Path) -> None:
    # 100 red in the north (100 * 0.9 * 2 = 180) against 1200 blue next door in the centre (1080 = 6 x 180)
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1200),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 100)])
    take(m, "blue", "town", "south")
    ground.trace_supply(m, log=False)
    for day in (1.0, 2.0):
        m._measure_town_pressure()
        assert m.town_pressure_days == day
    m.formation("blue_a").personnel = 1100  # 990 < 1080: not outnumbered six to one any more
    m._measure_town_pressure()
    assert m.town_pressure_days == 0.0
    m.formation("blue_a").personnel = 1200
    take(m, "blue", "refuge")  # outnumbered again, but cut off: pulling out "while still supplied" is not this
    ground.trace_supply(m, log=False)
    m._measure_town_pressure()
    assert m.town_pressure_days == 0.0


@pytest.mark.parametrize(("days_stood", "withdraws"), [(6.0, True), (5.0, False), (0.0, False)])
def test_the_defenders_stand_days_at_their_last_share_of_the_town_before_they_leave(
        tmp_path: Path, days_stood: float, withdraws: bool) -> None:
    """Red holds a third of the town, at most the 0.4 it gives up: it leaves only on the sixth day in a row it has
    stood there (the record: down to the north about 28 May, the commanders voted to leave on 3 June)."""
    m = last_act_world(tmp_path, town_withdraw_share=0.4, town_withdraw_days=6.0)
    m.town_last_stand_days = days_stood
    assert doctrine.abandons_town(m.formation("red_n"), m) is withdraws
    assert doctrine.decide(m.formation("red_n"), m).withdraw is withdraws


def test_the_days_at_the_last_share_are_not_counted_while_the_defenders_hold_more(tmp_path: Path) -> None:
    # red holds a third: above 0.3, however long it has stood there, nothing to count and nothing to give up
    m = last_act_world(tmp_path, town_withdraw_share=0.3, town_withdraw_days=6.0)
    m.town_last_stand_days = 10.0
    assert not doctrine.abandons_town(m.formation("red_n"), m)


def test_defenders_who_hold_none_of_the_town_leave_it_at_once(tmp_path: Path) -> None:
    # the last of red's quarters taken with red still in it: out it goes, whatever the share and day count say
    m = last_act_world(tmp_path, town_withdraw_share=0.0, town_withdraw_days=6.0)
    take(m, "blue", "north")
    assert doctrine.abandons_town(m.formation("red_n"), m)


def test_the_days_at_the_last_share_count_in_a_row_and_start_again_when_the_defenders_hold_more(
        tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=1 / 3)  # red holds a third of the town: at most a third
    for day in (1.0, 2.0, 3.0):
        m._measure_town_pressure()
        assert m.town_last_stand_days == day
    take(m, "red", "south")  # two thirds: more than a third
    m._measure_town_pressure()
    assert m.town_last_stand_days == 0.0
    take(m, "blue", "south")
    m._measure_town_pressure()
    assert m.town_last_stand_days == 1.0


def test_the_objectives_hold_garrison_never_counterattacks_from_any_quarter(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300),
                         unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 300)])
    assert doctrine.counterattack_chance(m.formation("red_n"), m) is None
    assert doctrine.counterattack_chance(m.formation("red_r"), m) == m.params.counterattack_chance


def test_a_defender_whose_post_is_lost_falls_back_on_the_nearest_quarter_it_holds(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "depot"}, 100),
                         unit("blue_a", "blue_army", "base", {"hold": "refuge"}, 100)])
    take(m, "blue", "depot", "south")  # red's post is lost; blue's, refuge, is red's (blue holds a quarter)
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.ADVANCE, ("north",), hold="north")
    # the attacker, whose post is lost, holds where it stands
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.HOLD, hold="base")


def test_a_defender_cut_off_from_the_town_holds_where_it_stands(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "depot"}, 100),
                         unit("blue_a", "blue_army", "base", {"hold": "base"}, 100)])
    take(m, "blue", "depot", "north")  # the only way in is through the enemy's north quarter
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.HOLD, hold="refuge")
    take(m, "red", "north")
    m.space.put(m.formation("blue_a"), "north")  # red's again, but the enemy stands in it: no way through
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.HOLD, hold="refuge")


# ---------------------------------------------------------------- the records


def test_the_share_held_is_recorded_daily_and_supply_reaches_the_part_the_defender_holds(tmp_path: Path) -> None:
    m = last_act_world(tmp_path)
    ground.trace_supply(m, log=False)
    row = day_row(m, metrics_cache(m.campaign))
    assert row[objective_share_column("red")] == pytest.approx(1 / 3, abs=1e-6)
    assert row[objective_share_column("blue")] == pytest.approx(2 / 3, abs=1e-6)
    assert row["supply_connected"] == 1  # the centre is lost, but the north is still supplied through the refuge
    take(m, "blue", "refuge")
    assert day_row(m, metrics_cache(m.campaign))["supply_connected"] == 0


def test_a_capture_of_a_quarter_logs_the_share_and_the_town_falls_only_when_all_of_it_is_held(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 2000)])
    ground.capture(m, "south", "blue", [m.formation("blue_a")])
    assert m.events[-1].kind is EventKind.TOWN_SHARE and "Blue now hold 33% of town" in m.events[-1].text
    ground.capture(m, "town", "blue", [m.formation("blue_a")])
    assert objective_fall_day(m) is None
    m.day = 4.0
    ground.capture(m, "north", "blue", [m.formation("blue_a")])
    assert objective_fall_day(m) == 4.0


@pytest.mark.parametrize(("blue_guns_next_door", "share", "lost_between"),
                         [(True, 0.2, (40, 80)), (False, 0.2, (0, 0)), (True, 0.0, (0, 0))])
def test_a_withdrawal_along_a_road_the_enemys_guns_reach_costs_men(
        tmp_path: Path, blue_guns_next_door: bool, share: float, lost_between: tuple[int, int]) -> None:
    """300 red leave the north; blue infantry in the centre next door reach it with their fires: about a fifth
    (interdicted_move_loss) are lost on the way, a third of them killed; with no guns in reach, or the share at
    0, nobody."""
    blue = [unit("blue_c", "blue_army", "town", {"hold": "town"}, 500)] if blue_guns_next_door else []
    m = world(tmp_path, [unit("red_n", "red_army", "north", {"hold": "north"}, 300), *blue],
              parameters={"town_withdraw_share": 0.5, "town_withdraw_days": 0.0, "interdicted_move_loss": share})
    take(m, "blue", "town", "south")
    red = m.formation("red_n")
    m.carry_out(red, doctrine.decide(red, m))
    lost = 300 - red.personnel
    assert lost_between[0] <= lost <= lost_between[1]
    assert red.killed + red.wounded == lost and red.killed <= lost / 2
    assert m.events[-1].kind is EventKind.WITHDRAWAL and ("under fire" in m.events[-1].text) == blue_guns_next_door


# ---------------------------------------------------------------- the storm, the relief, the broken


def storm_world(tmp_path: Path, blue_at: str) -> SiegeModel:
    """Blue's 1,000 in ``blue_at`` (blue holds the south), red's 300 in the centre and 200 in the north."""
    m = world(tmp_path, [unit("blue_a", "blue_army", blue_at, {"hold": "south"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 200)])
    take(m, "blue", "south")
    return m


def test_the_storm_of_a_town_is_one_battle_of_everyone_in_its_quarters(tmp_path: Path) -> None:
    """Blue in the south, red in the centre and the north: nobody shares a place, yet the town is fought for
    as one assault of all three at the urban rates and the whole town's force ratio."""
    m = storm_world(tmp_path, "south")
    m.adjudications = []
    engagements.fight(m)
    [fight] = m.adjudications
    blue, reds = m.formation("blue_a"), [m.formation("red_t"), m.formation("red_n")]
    assert fight["place"] == "town" and fight["kind"] == "assault" and fight["first_day"]
    assert {f["formation"] for f in fight["formations"]} == {"blue_a", "red_t", "red_n"}
    attacker_power = fight["formations"][0]["power"]
    defender_power = sum(f["power"] for f in fight["formations"][1:])
    rates = combat.loss_rates(EngagementKind.ASSAULT, attacker_power, defender_power, True, m.params, built_up=True)
    assert (fight["attacker_rate"], fight["defender_rate"]) == pytest.approx(rates, abs=1e-4)
    assert blue.personnel < 1000 and all(f.personnel < start for f, start in zip(reds, (300, 200), strict=True))
    event = m.events[-1]
    assert event.kind is EventKind.ENGAGEMENT and "stormed town, held in part by" in event.text
    # the record of it: where, who against whom, and each side's losses, which add up to the sides' totals
    assert (event.place, event.side, event.formation, event.other_side) == ("town", "blue", "blue_a", "red")
    assert (event.killed + event.wounded, event.enemy_killed + event.enemy_wounded) == (
        1000 - blue.personnel, 500 - sum(f.personnel for f in reds))
    assert m.assault_start == {}  # no quarter is contested: none changes hands by this fight alone
    engagements.fight(m)
    assert not m.adjudications[-1]["first_day"]  # the storm goes on: later days' rates


def test_a_quarter_both_sides_stand_in_is_fought_for_in_the_storm_only(tmp_path: Path) -> None:
    m = storm_world(tmp_path, "town")  # blue's 1,000 in the centre with red's 300: still one battle a day
    m.adjudications = []
    engagements.fight(m)
    [fight] = m.adjudications
    assert fight["place"] == "town" and {f["formation"] for f in fight["formations"]} == {"blue_a", "red_t", "red_n"}


def test_the_storm_notes_its_first_day_and_tallies_the_quarter_both_sides_stand_in(tmp_path: Path) -> None:
    """Blue's 1,000 in the centre with red's 300, red's 200 in the north. The storm begins on day 4, and with it
    the fight for the centre, the one quarter both stand in: its tally holds blue's losses (1 killed, 3 wounded, fixed)
    and those of red's 300 (2, 5), not those of red's 200 in the north (4, 6). Once nobody is left in the centre
    and blue is out of the town, the storm and the fight for the centre are over."""
    m = storm_world(tmp_path, "town")
    hits = Outcome(900.0, 900.0, 0.01, 0.02, (Hit(Losses(1, 3), 0.8, False),),
                   (Hit(Losses(2, 5), 0.8, False), Hit(Losses(4, 6), 0.8, False)))
    m.day = 4.0
    with patch.object(combat, "resolve", return_value=hits):
        engagements.fight(m)
    assert m.storm_start == {"town": 4.0}
    assert (m.assault_start, m.first_assault, m.fight_losses) == ({"town": 4.0}, {"town": 4.0},
                                                                  {"town": [1, 3, 2, 5]})
    m.space.put(m.formation("blue_a"), "base")
    m.space.put(m.formation("red_t"), "north")
    engagements.fight(m)
    assert (m.storm_start, m.assault_start, m.first_assault) == ({}, {}, {"town": 4.0})

def test_a_storm_and_a_fight_outside_the_town_are_both_fought_the_same_day(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"axis": ["town"]}, 1000),
                              unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                              unit("blue_r", "blue_army", "refuge", {"axis": ["town"]}, 500),
                              unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 100)])
    m.adjudications = []
    engagements.fight(m)  # (the quarters stood in come before the refuge in the order of the places)
    assert [f["place"] for f in m.adjudications] == ["town", "refuge"]

def test_the_record_of_a_storm_is_of_the_town_wherever_its_attackers_stand(tmp_path: Path) -> None:
    m = storm_world(tmp_path, "south")  # blue in the south, red in the centre and the north
    m.adjudications = []
    engagements.fight(m)
    [fight] = m.adjudications
    assert (fight["place"], fight["where"], fight["defence_multiplier"]) == ("town", "town", 2.0)


def test_a_town_with_no_attacker_in_its_quarters_is_not_stormed(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    engagements.fight(m)
    assert m.formation("red_t").personnel == 300 and not m.events


def test_in_the_storm_a_broken_defender_holds_its_quarter(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "south", {"hold": "south"}, 1000),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 200)])
    take(m, "blue", "south")
    red = m.formation("red_n")
    red.morale = 0.1  # below morale_break: in the open it would fall back
    engagements.fight(m)
    assert red.place == "north" and red.posture is Posture.HOLD and not red.path


@pytest.mark.parametrize(("blue_at", "stands_fast"), [("south", True), ("north", False)])
def test_an_attacker_calling_off_in_its_own_quarter_stands_fast_and_in_the_enemys_falls_back(
        tmp_path: Path, blue_at: str, stands_fast: bool) -> None:
    m = storm_world(tmp_path, blue_at)
    blue = m.formation("blue_a")
    blue.morale = 0.3  # at morale_break: any loss today breaks it, and it calls off
    engagements.fight(m)
    assert blue.morale < 0.3
    if stands_fast:
        assert blue.place == "south" and blue.posture is Posture.HOLD and not blue.path
        assert blue.rest_until == m.day + m.params.consolidation_days
        [halt] = [e for e in m.events if e.kind is EventKind.HALT]
        assert "called off its part in the storm of town and stood fast in south" in halt.text
        assert not [e for e in m.events if e.kind is EventKind.RETREAT]  # no retreat, and none to pay for
        m.day += 1.0  # still in the one battle the storm is, still shaken: it calls off again, logged once
        engagements.fight(m)
        assert blue.place == "south" and blue.rest_until == m.day + m.params.consolidation_days
        assert len([e for e in m.events if e.kind is EventKind.HALT]) == 1
    else:
        assert blue.posture is Posture.RETREAT and blue.path
        assert "called off its assault on north" in m.events[-1].text
        assert not [e for e in m.events if e.kind is EventKind.HALT]


def several_directions_world(tmp_path: Path, with_the_north: bool, storm_from_day: int = 0) -> SiegeModel:
    """Red's 1,100 hold the town (700 in the centre, 200 in each quarter); blue's 600 at the base and,
    ``with_the_north``, 600 more in the refuge north of the town (blue holds it)."""
    blue = [unit("blue_s", "blue_army", "base", {"axis": ["town"]}, 600)]
    if with_the_north:
        blue.append(unit("blue_n", "blue_army", "refuge", {"axis": ["town"]}, 600))
    return world(tmp_path, [*blue, unit("red_t", "red_army", "town", {"hold": "town"}, 700),
                            unit("red_s", "red_army", "south", {"hold": "south"}, 200),
                            unit("red_n", "red_army", "north", {"hold": "north"}, 200)],
                 blue_holds=("base", "refuge"), red_holds=("town", "depot"),
                 doctrine={"storm_from_day": storm_from_day})


def test_the_storm_is_reckoned_by_head_count_of_those_free_to_attack_and_only_for_the_towns_quarters(
        tmp_path: Path) -> None:
    """Red's 1,100 in the centre alone (the quarters empty); blue's 600 at the base and 500 in the refuge."""
    def headcount_world(north_orders: dict[str, Any], north_men: int) -> SiegeModel:
        return world(tmp_path, [unit("blue_s", "blue_army", "base", {"axis": ["town"]}, 600),
                                unit("blue_n", "blue_army", "refuge", north_orders, north_men),
                                unit("red_t", "red_army", "town", {"hold": "town"}, 1100)],
                     blue_holds=("base", "refuge"), red_holds=("town", "depot"), doctrine={"storm_from_day": 0})

    m = headcount_world({"axis": ["town"]}, 500)
    assert doctrine.ready_to_storm("blue", "south", m)  # 1,100 men to 1,100 (storm_headcount_ratio 1): enough
    assert not doctrine.ready_to_storm("blue", "refuge", m)  # the storm is of the town's quarters only
    assert not doctrine.ready_to_storm("red", "south", m)  # and the attacker's
    m = headcount_world({"axis": ["town"]}, 499)
    assert not doctrine.ready_to_storm("blue", "south", m)  # 1,099 to 1,100
    m = headcount_world({"hold": "refuge"}, 500)
    assert not doctrine.ready_to_storm("blue", "south", m)  # the refuge's garrison holds: it is not counted


@pytest.mark.parametrize(("with_the_north", "storm_from_day", "attacks"), [
    # 1,200 men against 1,100 (storm_headcount_ratio 1), though blue's power, 1,080, is short of 1,100, and of the
    # one to one the south alone would want in power (its 360 and the 1,620 of the centre and the north next to it)
    (True, 0, True),
    (False, 0, False),  # 600 men against 1,100
    (True, 5, False),  # before the day of the storm each axis reckons alone, at the overwhelming ratio
])
def test_from_the_storm_day_the_town_is_stormed_from_several_directions_at_once(
        tmp_path: Path, with_the_north: bool, storm_from_day: int, attacks: bool) -> None:
    m = several_directions_world(tmp_path, with_the_north, storm_from_day)
    intent = doctrine.decide(m.formation("blue_s"), m)
    assert intent == (Intent(Posture.ATTACK, ("south",), group=("blue_s",)) if attacks else doctrine.HOLD)
    if with_the_north:
        north = doctrine.decide(m.formation("blue_n"), m)
        assert north.posture is (Posture.ATTACK if attacks else Posture.HOLD)


def clearing_world(tmp_path: Path, blue: int, **spec: Any) -> SiegeModel:
    """``blue`` men storming the north, which 200 red hold; blue holds the south, red the centre and the refuge
    (supplied: the north is red's only way from the centre to it). Blue's power 0.9 a man, red's 0.9 x 2."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "north", {"axis": ["town"]}, blue),
                         unit("red_n", "red_army", "north", {"hold": "north"}, 200)], **spec)
    take(m, "blue", "south")
    m.assault_start["north"] = 0.0  # the fight for the north is on
    return m


def test_with_local_superiority_the_attackers_clear_a_quarter_and_push_its_defenders_out(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)  # 900 against 360
    red = m.formation("red_n")
    for day in (1, 2):  # 0.4 km a day of a 0.9 km deep quarter
        engagements._clear(m, SECTORS)
        assert m.cleared["north"] == pytest.approx(0.4 * day) and red.place == "north" and not red.path
    engagements._clear(m, SECTORS)
    assert red.posture is Posture.RETREAT and red.path == ["town"]  # into the quarter its side still holds
    assert "fell back from the cleared streets of" in m.events[-1].text


def test_the_streets_cleared_are_lost_when_the_fight_for_the_quarter_stops(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)
    engagements._clear(m, SECTORS)
    assert m.cleared["north"] == pytest.approx(0.4)
    del m.assault_start["north"]  # the attackers went: the fight for the north is over
    engagements._clear(m, SECTORS)
    assert "north" not in m.cleared
    m.assault_start["north"] = 3.0  # a new fight starts from the edge of the quarter again
    engagements._clear(m, SECTORS)
    assert m.cleared["north"] == pytest.approx(0.4)


def test_a_fortified_quarter_is_cleared_more_slowly(tmp_path: Path) -> None:
    """The town at fortification 1 (its quarters take its level): 0.4 / (1 + 1 x 0.5) = 0.267 km a day, so the
    0.9 km quarter holds a fourth day where an unfortified one is cleared in three."""
    m = clearing_world(tmp_path, 1000, fortifications={"town": 1.0})  # 900 against 200 x 0.9 x 2 x 1.5 = 540
    red = m.formation("red_n")
    for day in (1, 2, 3):
        engagements._clear(m, SECTORS)
        assert m.cleared["north"] == pytest.approx(0.4 / 1.5 * day) and red.place == "north" and not red.path
    engagements._clear(m, SECTORS)
    assert red.posture is Posture.RETREAT and red.path == ["town"]


def test_without_local_superiority_no_ground_is_cleared(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 350)  # 315 against 360
    for _ in range(5):
        engagements._clear(m, SECTORS)
    assert m.cleared.get("north", 0.0) == 0.0 and m.formation("red_n").place == "north"


@pytest.mark.parametrize(("men", "cleared"), [(400, 0.4), (399, 0.0)])
def test_the_attackers_clear_a_quarter_from_even_power_on(tmp_path: Path, men: int, cleared: float) -> None:
    # 400 x 0.9 = 360 against the north's 200 x 0.9 x 2 = 360: even is enough; 399 (359.1) is not
    m = clearing_world(tmp_path, men)
    engagements._clear(m, SECTORS)
    assert m.cleared.get("north", 0.0) == pytest.approx(cleared)

def test_the_attackers_fire_support_counts_towards_local_superiority(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 350)  # 315 against 360: short, but for its artillery
    m.support["blue"] = 1.5  # artillery 1: 1 + 1 x 0.5; 315 x 1.5 = 472.5
    engagements._clear(m, SECTORS)
    assert m.cleared["north"] == pytest.approx(0.4)

def test_a_quarter_is_cleared_on_the_day_the_streets_cleared_reach_its_depth(tmp_path: Path) -> None:
    # a quarter 0.8 km deep, 0.4 km cleared a day: its defenders fall back (no loss on the way) on the second day
    m = clearing_world(tmp_path, 1000, parameters={"quarter_depth_km": 0.8, "retreat_loss": 0.0})
    engagements._clear(m, SECTORS)
    assert m.formation("red_n").place == "north"
    engagements._clear(m, SECTORS)
    assert said(m, EventKind.RETREAT) == ["Red Army red_n fell back from the cleared streets of north and retreated "
                                          "to town (0 killed, 0 wounded on the way)."]

def test_a_step_of_half_a_day_clears_half_a_days_streets(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000, step_days=0.5)
    engagements._clear(m, SECTORS)
    assert m.cleared["north"] == pytest.approx(0.2)

def test_the_streets_cleared_are_forgotten_once_the_attackers_hold_the_quarter(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)
    engagements._clear(m, SECTORS)
    take(m, "blue", "north")
    engagements._clear(m, SECTORS)
    assert "north" not in m.cleared

def test_a_quarter_nobody_holds_is_cleared_of_the_defending_side(tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)  # 900 against red's 180, with no ground of its own to defend
    m.space.control["north"] = None
    engagements._clear(m, SECTORS)
    assert m.cleared == {"north": pytest.approx(0.4)}

def test_only_a_quarter_with_both_sides_in_it_is_cleared(tmp_path: Path) -> None:
    """Fights are on in all three quarters, which red holds: red's 300 alone in the centre, blue's 100 alone in
    the south, both in the north. Only the north is cleared: the centre has no one to clear it, the south no one to
    push out (it changes hands when blue holds ground there alone: ground.update_control)."""
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                              unit("blue_a", "blue_army", "north", {"axis": ["town"]}, 1000),
                              unit("red_n", "red_army", "north", {"hold": "north"}, 200),
                              unit("blue_s", "blue_army", "south", {"axis": ["town"]}, 100)])
    m.assault_start.update(dict.fromkeys(SECTORS, 0.0))
    engagements._clear(m, SECTORS)
    assert m.cleared == {"north": pytest.approx(0.4)}


def test_a_defender_leaving_a_quarter_falls_back_into_the_town_before_supplied_ground_outside(
        tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)
    ground.trace_supply(m, log=False)
    assert "refuge" in m.supplied["red"]
    assert doctrine.retreat_destination(m.formation("red_n"), m) == "town"


def last_quarter_world(tmp_path: Path) -> SiegeModel:
    """Blue has taken the centre and the south and storms the north, red's last quarter; the refuge beyond it is
    no-man's land, so red's nearest ground outside the town is the depot, two roads from the north."""
    m = clearing_world(tmp_path, 1000)
    take(m, "blue", "town")
    m.space.control["refuge"] = None
    take(m, "red")
    return m


def test_a_defender_pushed_out_of_the_last_quarter_leaves_the_whole_way_the_withdrawal_goes(
        tmp_path: Path) -> None:
    """The record: the town lost, the rebels went north through Dabaa and most were in al-Buwaydah by the next
    day. One road would leave red in the refuge, where the pursuit catches it."""
    m = last_quarter_world(tmp_path)
    red = m.formation("red_n")
    assert doctrine.retreat_destination(red, m) == "refuge"
    assert doctrine.retreat_route(red, m) == ["refuge", "depot"]
    m.fall_back(red, "fell back from the cleared streets of")
    assert red.path == ["refuge", "depot"] and red.edge == ("north", "refuge")
    assert said(m, EventKind.RETREAT)[-1].startswith(
        "Red Army red_n fell back from the cleared streets of north and retreated by refuge towards depot (")


def test_out_of_a_quarter_into_another_or_out_of_a_village_a_formation_falls_back_one_road(
        tmp_path: Path) -> None:
    m = clearing_world(tmp_path, 1000)  # the centre is still red's: the north's defenders go into it
    assert doctrine.retreat_route(m.formation("red_n"), m) == ["town"]
    m = last_quarter_world(tmp_path)
    red = m.formation("red_n")
    m.space.put(red, "refuge")  # outside the town: one road, whatever the way out beyond it
    assert doctrine.retreat_route(red, m) == [doctrine.retreat_destination(red, m)] == ["depot"]
    blue = m.formation("blue_a")  # the attacker pushed out of the north: one road, back the way it came
    assert doctrine.retreat_route(blue, m) == [doctrine.retreat_destination(blue, m)]


def test_with_no_open_way_out_the_defender_pushed_out_of_the_last_quarter_falls_back_one_road(
        tmp_path: Path) -> None:
    """Blue stands in the depot: the withdrawal would have to slip through the lines (``withdraw_from_town``'s
    break-out); a broken formation does not, it goes one road, into no-man's land."""
    m = last_quarter_world(tmp_path)
    m.space.put(m.formation("blue_a"), "depot")
    assert doctrine.withdraw_from_town(m.formation("red_n"), m).posture is Posture.RAID
    assert doctrine.retreat_route(m.formation("red_n"), m) == ["refuge"]
    m.space.control["depot"] = None  # red holds nothing outside the town: no withdrawal at all
    assert doctrine.withdraw_from_town(m.formation("red_n"), m) is None
    assert doctrine.retreat_route(m.formation("red_n"), m) == ["refuge"]


def test_only_the_defender_leaving_its_town_goes_the_whole_way(tmp_path: Path) -> None:
    """On tests/test_doctrine.py's four-place world (base - mid - town - depot, a track mid - depot), with mid
    nobody's: red's raiders driven out of base fall back one road, into mid, not on to the depot; blue, driven out
    of the town, one road too, not on to base; and with the enemy standing all round there is no way out."""
    m = doctrine_world(tmp_path, [unit("red_b", "red_army", "base", {"hold": "base"}, 100)], blue_holds=("base",))
    assert doctrine.retreat_route(m.formation("red_b"), m) == ["mid"]
    m = doctrine_world(tmp_path, [unit("blue_t", "blue_army", "town", {"axis": ["town"]}, 100)],
                       blue_holds=("base",))
    assert doctrine.retreat_route(m.formation("blue_t"), m) == ["mid"]
    blue_all_round = [unit(f"blue_{p}", "blue_army", p, {"hold": p}, 100) for p in ("base", "town", "depot")]
    m = doctrine_world(tmp_path, [unit("red_m", "red_army", "mid", {"hold": "mid"}, 100), *blue_all_round])
    assert doctrine.retreat_route(m.formation("red_m"), m) is None


def relief_world(tmp_path: Path, blue_holds: tuple[str, ...]) -> SiegeModel:
    """A red column at the depot ordered into the town; blue 500 in the refuge when blue holds it."""
    blue = [unit("blue_r", "blue_army", "refuge", {"hold": "refuge"}, 500)] if "refuge" in blue_holds else []
    m = world(tmp_path, [unit("red_c", "red_army", "depot", {"move": "town"}, 300), *blue],
              parameters={"interdicted_move_loss": 0.2})
    take(m, "blue", *blue_holds)
    ground.trace_supply(m, log=False)
    return m


def test_a_relief_column_cut_off_from_its_town_slips_through_the_enemys_lines(tmp_path: Path) -> None:
    m = relief_world(tmp_path, ("refuge",))
    red = m.formation("red_c")
    assert doctrine.decide(red, m) == Intent(Posture.RAID, ("refuge", "north"), break_in=True)
    m.carry_out(red, doctrine.decide(red, m))
    assert 30 <= 300 - red.personnel <= 90  # about interdicted_move_loss 0.2: blue's guns reach the refuge
    assert m.events[-1].kind is EventKind.BREAK_IN and "under fire" in m.events[-1].text
    m.space.put(red, "refuge")  # through the lines: on into the town over its own ground, paying once
    onward = doctrine.decide(red, m)
    assert onward.path[0] == "north" and not onward.break_in
    m.space.put(red, "north")
    arrived = doctrine.decide(red, m)  # in: it holds the quarter it reached
    assert (arrived.posture, arrived.path, arrived.hold) == (Posture.HOLD, (), "north")


def test_a_relief_column_with_a_way_in_over_its_own_ground_marches_in(tmp_path: Path) -> None:
    m = relief_world(tmp_path, ())
    assert doctrine.decide(m.formation("red_c"), m) == Intent(Posture.ADVANCE, ("refuge", "north", "town"))


def test_a_relief_column_that_comes_too_late_holds_where_it_stands(tmp_path: Path) -> None:
    m = relief_world(tmp_path, ("refuge", "town", "north", "south"))
    intent = doctrine.decide(m.formation("red_c"), m)
    assert (intent.posture, intent.path, intent.hold) == (Posture.HOLD, (), "depot")


def test_the_defenders_last_act_is_taken_under_assault_too(tmp_path: Path) -> None:
    m = last_act_world(tmp_path, town_withdraw_share=0.4)
    m.space.put(world_unit(m, "blue_a"), "north")  # blue fights in the north quarter itself
    assert doctrine.decide(m.formation("red_n"), m) == Intent(Posture.RETREAT, ("refuge",), hold="refuge",
                                                              withdraw=True)


def world_unit(m: SiegeModel, fid: str) -> Formation:
    """A blue infantry formation of 500 put on the map of ``m`` (placed by the caller)."""
    from_spec = FormationSpec(id=fid, name=fid, faction="blue_army", type="infantry", personnel=500, at="base",
                              orders=Orders(hold="base"))
    f = Formation(m, from_spec, "blue", "Blue Army")
    f.status = Status.ACTIVE
    return f


@pytest.mark.parametrize(("morale", "goes_back"), [(0.2, False), (0.5, True)])
def test_a_broken_formation_re_forms_before_it_goes_back_to_its_post(tmp_path: Path, morale: float,
                                                                     goes_back: bool) -> None:
    m = world(tmp_path, [unit("red_n", "red_army", "refuge", {"hold": "north"}, 200)])
    red = m.formation("red_n")
    red.morale = morale  # morale_break 0.3
    expected = Intent(Posture.ADVANCE, ("north",)) if goes_back else Intent(Posture.HOLD)
    assert doctrine.decide(red, m)[:2] == expected[:2]


@pytest.mark.parametrize(("place", "decay"), [("north", 0.015 * 0.3), ("refuge", 0.015)])
def test_out_of_supply_morale_decays_slower_in_a_town_its_side_holds(tmp_path: Path, place: str,
                                                                     decay: float) -> None:
    m = world(tmp_path, [unit("red_n", "red_army", place, {"hold": place}, 200)])
    red = m.formation("red_n")
    red.in_supply, red.morale = False, 0.8
    m._recover()
    assert red.morale == pytest.approx(0.8 - decay)


@pytest.mark.parametrize(("withdraw_share", "target"), [(0.2, "north"), (0.7, None)])
def test_no_counterattack_into_a_town_its_side_is_giving_up(tmp_path: Path, withdraw_share: float,
                                                            target: str | None) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 300)],
              parameters={"town_withdraw_share": withdraw_share, "town_withdraw_days": 0.0})
    take(m, "blue", "north")  # empty, and red's at the start; red holds two thirds of the town
    assert doctrine.counterattack_target(m.formation("red_r"), m) == target


@pytest.mark.parametrize(("withdraw_share", "picket"), [(0.2, "red_r"), (0.7, None)])
def test_no_picket_moves_into_a_town_its_side_is_giving_up(tmp_path: Path, withdraw_share: float,
                                                           picket: str | None) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "refuge", {"hold": "refuge"}, 300)],
              parameters={"town_withdraw_share": withdraw_share, "town_withdraw_days": 0.0})
    take(m, "blue", "south")  # red holds two thirds of the town; blue walks into the empty north next
    found = doctrine.picket_for("north", "red", m)
    assert (found.fid if found else None) == picket
    # giving up the town does not keep a picket from meeting a walk-in outside it: the empty refuge, from the depot
    m = world(tmp_path, [unit("red_d", "red_army", "depot", {"hold": "depot"}, 300)],
              parameters={"town_withdraw_share": withdraw_share, "town_withdraw_days": 0.0})
    take(m, "blue", "south")
    assert doctrine.picket_for("refuge", "red", m) is m.formation("red_d")


def picket_world(tmp_path: Path, morale: float = 0.8, supply: float = 1.0, **spec: Any) -> SiegeModel:
    """Red's 300 in the depot, next to the empty refuge that blue's 100 walk into; blue's 400 in the base."""
    m = world(tmp_path, [unit("red_d", "red_army", "depot", {"hold": "depot"}, 300),
                         unit("blue_w", "blue_army", "refuge", {"axis": ["refuge"]}, 100),
                         unit("blue_b", "blue_army", "base", {"hold": "base"}, 400)], **spec)
    red = m.formation("red_d")
    red.morale, red.supply = morale, supply
    return m


@pytest.mark.parametrize(("morale", "supply", "comes"), [
    (0.6, 0.5, True),  # exactly fit to counterattack (counterattack_morale 0.6, counterattack_supply 0.5)
    (0.59, 1.0, False),
    (1.0, 0.49, False),
])
def test_a_picket_is_the_sides_own_formation_next_door_fit_to_counterattack(tmp_path: Path, morale: float,
                                                                           supply: float, comes: bool) -> None:
    m = picket_world(tmp_path, morale, supply)
    assert doctrine.picket_for("refuge", "red", m) is (m.formation("red_d") if comes else None)


def test_a_raider_slipping_through_the_pickets_place_neither_stops_it_nor_is_taken_for_it(tmp_path: Path) -> None:
    m = picket_world(tmp_path)
    raider = m.formation("blue_b")
    m.space.put(raider, "depot")
    raider.posture = Posture.RAID  # blue's 400 only passing through: red's 300 are free, and the picket is red's
    assert doctrine.picket_for("refuge", "red", m) is m.formation("red_d")


def test_no_picket_comes_by_a_blocked_road_or_from_a_place_with_the_enemy_in_it(tmp_path: Path) -> None:
    m = picket_world(tmp_path, blocked_roads=[["refuge", "depot"]])
    assert doctrine.picket_for("refuge", "red", m) is None
    m = picket_world(tmp_path)
    m.space.put(m.formation("blue_b"), "depot")  # blue's 400 are in the depot too: red's 300 are held there
    assert doctrine.picket_for("refuge", "red", m) is None

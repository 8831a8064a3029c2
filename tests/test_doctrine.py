"""Doctrine's rules, one at a time, on a hand-built four-place world (sim/doctrine.py, and the model carrying out
what doctrine decides).

The world: blue attacks from ``base`` through ``mid`` to the objective ``town``, which red supplies from ``depot``::

    base --road 5 km-- mid --road 5 km-- town --road 5 km-- depot
                         \\_______________track 6 km_____________/

Each test sets up the situation a rule is about, then checks the decision on both sides of the rule's threshold,
so that removing or inverting the rule fails the test. Powers are worked by hand from the defaults: an infantry
person at morale 0.8 and full supply is worth 1.0 * (0.5 + 0.5 * 0.8) = 0.9; a held village multiplies its
holders' power by 1.5, a held town by 2.0; no side has fire support unless a test gives it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import yaml

from sim import combat, doctrine, engagements, ground
from sim.events import Event, EventKind
from sim.model import SiegeModel
from sim.parameters import Parameters
from sim.scenario import _Checker, load_scenario
from sim.states import Intent, Posture, Status

POS = {"base": (0.0, 0.0), "mid": (0.05, 0.0), "town": (0.10, 0.0), "depot": (0.10, 0.05)}
KINDS = {"base": "village", "mid": "village", "town": "town", "depot": "village"}
ROADS = [("base", "mid", "road", 5.0), ("mid", "town", "road", 5.0), ("town", "depot", "road", 5.0),
         ("mid", "depot", "track", 6.0)]


def unit(fid: str, faction: str, at: str, orders: dict[str, Any], personnel: int, **extra: Any) -> dict[str, Any]:
    return {"id": fid, "name": fid, "faction": faction, "type": "infantry", "personnel": personnel, "at": at,
            "orders": orders, **extra}


def world(tmp_path: Path, formations: list[dict[str, Any]], blue_holds: tuple[str, ...] = ("base", "mid"),
          red_holds: tuple[str, ...] = ("town", "depot"), blue_fires: dict[str, float] | None = None,
          red_fires: dict[str, float] | None = None,
          sources: tuple[str, str] = ("base", "depot"), places: dict[str, tuple[float, float]] = POS,
          roads: list[tuple[str, str, str, float]] = ROADS, sector_of: dict[str, str] | None = None,
          **spec: Any) -> SiegeModel:
    """A model of the four-place world (or of ``places`` joined by ``roads``, ``sector_of`` naming the town each
    quarter of a town belongs to) with these formations and holdings (seed 0)."""
    quarters = sector_of or {}
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(places[p])},
                 "properties": {"id": p, "kind": "town" if p in quarters else KINDS.get(p, "village"),
                                **({"sector_of": quarters[p]} if p in quarters else {})}} for p in places]
    features += [{"type": "Feature", "geometry": {"type": "LineString",
                                                  "coordinates": [list(places[a]), list(places[b])]},
                  "properties": {"from": a, "to": b, "road_class": cls, "km": km}} for a, b, cls, km in roads]
    (tmp_path / "four.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    data = {
        "name": "Four places", "map": "four.geojson", "start_date": "2020-01-01", "end_date": "2020-01-10",
        "objective": "town",
        "sides": {"blue": {"name": "Blue", "role": "attacker", "supply_sources": [sources[0]],
                           "holds": list(blue_holds), "fires": blue_fires or {}},
                  "red": {"name": "Red", "role": "defender", "supply_sources": [sources[1]],
                          "holds": list(red_holds), "fires": red_fires or {}}},
        "factions": {"blue_army": {"name": "Blue Army", "side": "blue"},
                     "red_army": {"name": "Red Army", "side": "red"}},
        "formations": formations, **spec}
    path = tmp_path / "four.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    # A test's world is a situation in mid-campaign (a source or the objective already lost, a unit already behind
    # the lines) that `validate` rightly refuses as a start: its day-0 checks are left out here, the others run.
    with patch.object(_Checker, "start"):
        return SiegeModel(load_scenario(path), rng=0)


def words(e: Event) -> str:
    """An event's sentence without its date: what a test compares the log's words with."""
    return e.text.split(": ", 1)[1]


def said(m: SiegeModel, kind: EventKind) -> list[str]:
    """The sentences of the log's events of ``kind``, without their dates."""
    return [words(e) for e in m.events if e.kind is kind]


def retrace(m: SiegeModel) -> None:
    """Trace supply again after a test changed who holds what."""
    m.space.trace_supply({side: s.supply_sources for side, s in m.spec.sides.items()})


# ---------------------------------------------------------------- siege before assault


def siege_world(tmp_path: Path, blue: int, **spec: Any) -> SiegeModel:
    """Blue (``blue`` men) at mid with the town on its axis; 300 red hold the town: defence 300 * 0.9 * 2 = 540."""
    return world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, blue),
                            unit("red_t", "red_army", "town", {"hold": "town"}, 300)], **spec)


def cut_town_off(m: SiegeModel) -> None:
    m.space.take("depot", "blue")  # red's only supply source is lost: the town is cut off
    retrace(m)
    assert "town" not in m.supplied["red"]


@pytest.mark.parametrize(("blue", "supplied", "attacks"), [
    (2000, True, False),  # 1800:540 = 3.3 is enough for a deliberate assault (3) but not a direct one (6)
    (2000, False, True),  # ... so the attacker waits for the siege to cut the town off
    (1500, False, False),  # 1350:540 = 2.5 < 3: not even a cut-off objective is stormed
    (4000, True, True),  # 3600:540 = 6.7 >= 6: overwhelming power storms it at once
])
def test_siege_before_assault_storms_the_objective_once_it_is_cut_off(tmp_path: Path, blue: int, supplied: bool,
                                                                      attacks: bool) -> None:
    m = siege_world(tmp_path, blue)
    if not supplied:
        cut_town_off(m)
    intent = doctrine.decide(m.formation("blue_a"), m)
    assert intent == (Intent(Posture.ATTACK, ("town",), group=("blue_a",)) if attacks else doctrine.HOLD)


def test_without_siege_doctrine_the_objective_is_stormed_at_the_deliberate_ratio(tmp_path: Path) -> None:
    m = siege_world(tmp_path, 2000, doctrine={"siege_before_assault": False})
    assert doctrine.assault_ratio_needed("town", "blue", m) == m.params.assault_ratio_objective
    assert doctrine.decide(m.formation("blue_a"), m).posture is Posture.ATTACK


@pytest.mark.parametrize(("day", "cut_off", "ratio"), [(4.0, False, 6.0), (4.0, True, 6.0), (5.0, False, 1.0),
                                                     (5.0, True, 1.0)])
def test_a_dated_decision_storms_the_objective_on_its_day_at_the_storm_ratio_and_not_before(
        tmp_path: Path, day: float, cut_off: bool, ratio: float) -> None:
    m = siege_world(tmp_path, 2000, doctrine={"storm_from_day": 5})
    if cut_off:
        cut_town_off(m)  # before the day, even a cut-off town is stormed only at the overwhelming ratio
    m.day = day
    assert doctrine.assault_ratio_needed("town", "blue", m) == ratio


def test_without_siege_before_assault_the_date_does_not_hold_the_storm_back(tmp_path: Path) -> None:
    m = siege_world(tmp_path, 2000, doctrine={"storm_from_day": 5, "siege_before_assault": False})
    m.day = 1.0
    assert doctrine.assault_ratio_needed("town", "blue", m) == m.params.assault_ratio_objective == 3.0


def test_places_other_than_the_objective_need_the_hasty_attack_ratio(tmp_path: Path) -> None:
    m = siege_world(tmp_path, 2000)
    assert doctrine.assault_ratio_needed("depot", "blue", m) == m.params.attack_ratio == 2.5
    assert doctrine.assault_ratio_needed("town", "blue", m) == m.params.direct_assault_ratio == 6.0
    cut_town_off(m)
    assert doctrine.assault_ratio_needed("town", "blue", m) == m.params.assault_ratio_objective == 3.0


@pytest.mark.parametrize(("red", "attacks"), [(2000, True), (1400, False)])
def test_the_defender_retakes_its_objective_at_the_ordinary_ratio(tmp_path: Path, red: int, attacks: bool) -> None:
    # blue took the town and holds it in supply with 300 men (540); red's 2000 (1800: 3.3) counterattack at the
    # hasty 2.5, not held back by the attacker's siege ratio (6); 1400 (1260: 2.3) are too few even so
    m = world(tmp_path, [unit("red_a", "red_army", "depot", {"axis": ["town"]}, red),
                         unit("blue_t", "blue_army", "town", {"hold": "town"}, 300)],
              blue_holds=("base", "mid", "town"), red_holds=("depot",))
    assert "town" in m.supplied["blue"]
    assert doctrine.assault_ratio_needed("town", "red", m) == m.params.attack_ratio == 2.5
    intent = doctrine.decide(m.formation("red_a"), m)
    assert intent == (Intent(Posture.ATTACK, ("town",), group=("red_a",)) if attacks else doctrine.HOLD)


def test_the_whole_ready_group_attacks_together(tmp_path: Path) -> None:
    # two 1000-strong columns: neither is enough alone (900:540), together 1800:540 = 3.3 against a cut-off town
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000),
                         unit("blue_b", "blue_army", "mid", {"axis": ["town"]}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    cut_town_off(m)
    intent = doctrine.decide(m.formation("blue_a"), m)
    assert intent == Intent(Posture.ATTACK, ("town",), group=("blue_a", "blue_b"))
    m.carry_out(m.formation("blue_a"), intent)
    assert [(g.path, g.posture) for g in (m.formation("blue_a"), m.formation("blue_b"))] == [
        (["town"], Posture.ATTACK)] * 2


# ---------------------------------------------------------------- calling off an assault


@pytest.mark.parametrize(("morale", "calls_off"), [(0.29, True), (0.3, False), (0.44, False)])
def test_an_attacker_in_a_fight_calls_off_only_when_broken(tmp_path: Path, morale: float, calls_off: bool) -> None:
    # (below halt_morale it would not join a new attack; in one, it presses on until it breaks or has a costly day)
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000, morale=morale),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    blue = m.formation("blue_a")
    blue.posture = Posture.ATTACK
    assert doctrine.decide(blue, m) == (doctrine.CALL_OFF if calls_off else None)  # None: the fight goes on


def test_a_called_off_assault_falls_back_the_way_it_came(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000, morale=0.4),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    blue = m.formation("blue_a")
    m.space.set_out(blue, "mid", "town")
    m.space.put(blue, "town")
    m.carry_out(blue, doctrine.CALL_OFF)
    assert (blue.edge, blue.path, blue.posture) == (("town", "mid"), ["mid"], Posture.RETREAT)


# ---------------------------------------------------------------- withdrawal to supply


def cut_off_at_depot(tmp_path: Path, supply: float, mid_holder: str | None) -> SiegeModel:
    """Blue at the depot, red at mid and in the town: blue's way back to its base runs through mid."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "depot", {"hold": "depot"}, 1000, supply=supply),
                         unit("red_x", "red_army", "mid", {"hold": "mid"}, 50),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              blue_holds=("base", "depot"), red_holds=("town", "mid"))
    m.space.control["mid"] = mid_holder
    retrace(m)
    assert "depot" not in m.supplied["blue"]
    return m


@pytest.mark.parametrize(("mid_holder", "expected"), [
    (None, Intent(Posture.ADVANCE, ("mid", "base"))),  # mid is nobody's: the way back is open
    ("red", doctrine.HOLD),  # the only ways back cross enemy-held ground: it stays
])
def test_a_cut_off_attacker_withdraws_to_supply_never_over_enemy_ground(tmp_path: Path, mid_holder: str | None,
                                                                        expected: Intent) -> None:
    m = cut_off_at_depot(tmp_path, 0.29, mid_holder)
    assert doctrine.decide(m.formation("blue_a"), m) == expected


def test_an_attacker_with_supply_left_does_not_withdraw(tmp_path: Path) -> None:
    m = cut_off_at_depot(tmp_path, 0.3, None)
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD  # holds its post: supply 0.3 is enough


# ---------------------------------------------------------------- counterattacks


def counter_world(tmp_path: Path, blue: int, morale: float = 0.8, supply: float = 1.0) -> SiegeModel:
    """Red held mid, town and depot at the start; blue (``blue`` men) has since taken mid; red's post is the depot
    (the objective's own garrison never counterattacks)."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, blue),
                         unit("red_t", "red_army", "depot", {"hold": "depot"}, 300, morale=morale, supply=supply)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    m.space.take("mid", "blue")
    retrace(m)
    return m


@pytest.mark.parametrize(("morale", "supply", "eligible"), [
    (0.6, 0.5, True), (0.59, 1.0, False), (1.0, 0.49, False)])
def test_a_defender_may_counterattack_only_with_morale_and_supply(tmp_path: Path, morale: float, supply: float,
                                                                   eligible: bool) -> None:
    m = counter_world(tmp_path, 100, morale, supply)
    intent = doctrine.decide(m.formation("red_t"), m)
    assert intent == Intent(Posture.HOLD, counterattack_roll=0.04 if eligible else None)


def test_an_attacker_never_rolls_for_a_counterattack(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100)])
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD


@pytest.mark.parametrize(("blue", "target"), [
    (100, "mid"),  # red's 300 * 0.9 = 270 against 100 * 0.9 * 1.5 (blue holds the village) = 135: go
    (250, None),  # against 250 * 0.9 * 1.5 = 337.5 > 270: too strong for the 1:1 it wants
])
def test_a_counterattack_retakes_lightly_held_starting_ground(tmp_path: Path, blue: int, target: str | None) -> None:
    m = counter_world(tmp_path, blue)
    assert doctrine.counterattack_target(m.formation("red_t"), m) == target


def test_a_counterattack_goes_only_for_ground_the_side_held_at_the_start(tmp_path: Path) -> None:
    m = counter_world(tmp_path, 100)
    m.initially_held["red"] = frozenset({"town", "depot"})
    assert doctrine.counterattack_target(m.formation("red_t"), m) is None


@pytest.mark.parametrize(("roll", "attacks"), [(1.0, True), (0.0, False)])
def test_the_model_rolls_for_the_counterattack_doctrine_allows(tmp_path: Path, roll: float, attacks: bool) -> None:
    m = counter_world(tmp_path, 100)
    red = m.formation("red_t")
    m.carry_out(red, Intent(Posture.HOLD, counterattack_roll=roll))
    assert (red.path, red.posture) == ((["mid"], Posture.ATTACK) if attacks else ([], Posture.HOLD))


# ---------------------------------------------------------------- reserves


def reserve_world(tmp_path: Path, weight: float) -> SiegeModel:
    """Blue (1000 * 0.9 = 900) stands in mid, which threatens mid, the town and the depot alike. Red defends mid
    with 200 * 0.9 * 1.5 = 270, the town with 250 * 0.9 * 2 = 450, the depot with 600 * 0.9 * 1.5 = 810 and its
    reserve, 400 * 0.9 = 360, worth 540 in a held village and 720 in the held town. Threat over own power with the
    reserve there + 1: mid 900 / 811 = 1.11, town 900 / 1171 = 0.77, depot 900 / 1351 = 0.67; the town's doubled:
    1.54."""
    return world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000),
                            unit("red_m", "red_army", "mid", {"hold": "mid"}, 200),
                            unit("red_t", "red_army", "town", {"hold": "town"}, 250),
                            unit("red_d", "red_army", "depot", {"hold": "depot"}, 600),
                            unit("red_r", "red_army", "depot", {"reserve": "depot"}, 400)],
                 blue_holds=("base",), red_holds=("mid", "town", "depot"),
                 parameters={"objective_threat_weight": weight, "reinforce_km": 20})


def test_reserves_weigh_a_threat_to_the_objective_double(tmp_path: Path) -> None:
    m = reserve_world(tmp_path, 2.0)
    assert [m.side_power_at(p, "red") for p in ("mid", "town", "depot")] == pytest.approx([270, 450, 810 + 540])
    assert doctrine.most_threatened(m.formation("red_r"), m) == "town"
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.ADVANCE, ("town",))


def test_without_the_objective_weight_reserves_go_where_the_threat_is_heaviest(tmp_path: Path) -> None:
    m = reserve_world(tmp_path, 1.0)
    assert doctrine.most_threatened(m.formation("red_r"), m) == "mid"
    # mid has the enemy in it, so the reserve cannot get there: it stays, and with a threat about never
    # rolls for a counterattack
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.RESERVE)


@pytest.mark.parametrize("at", ["depot", "town"])
def test_a_reserve_weighs_each_place_with_itself_in_it_wherever_it_stands(tmp_path: Path, at: str) -> None:
    # Blue's 900 in its own mid threaten red's town (450 held) and depot (nobody else in it) alike. With the reserve
    # (worth 720 in the town, 540 in the depot) there: town 900 / 1171 = 0.77, depot 900 / 541 = 1.66, whichever it
    # stands in. Counting itself only where it stands, it saw the town at 900 / 451 = 2.0 from the depot and the
    # depot at 900 / 1 from the town: it walked back and forth between them every day (fsa_east and
    # farouq_reserve in the historical runs, before).
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 250),
                         unit("red_r", "red_army", at, {"reserve": "depot"}, 400)],
              blue_holds=("base", "mid"), red_holds=("town", "depot"), parameters={"reinforce_km": 20})
    reserve = m.formation("red_r")
    assert [m.side_power_with(p, reserve) for p in ("town", "depot")] == pytest.approx([450 + 720, 540])
    assert doctrine.most_threatened(reserve, m) == "depot"
    assert doctrine.decide(reserve, m) == (Intent(Posture.RESERVE) if at == "depot"
                                           else Intent(Posture.ADVANCE, ("depot",)))


def test_a_reserve_with_no_threat_about_stays_in_reserve(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 1000),
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 200)])
    assert doctrine.most_threatened(m.formation("red_r"), m) is None
    assert doctrine.decide(m.formation("red_r"), m).posture is Posture.RESERVE


# ---------------------------------------------------------------- mop-up


def rear_world(tmp_path: Path, formations: list[dict[str, Any]], red_holds: tuple[str, ...],
               **spec: Any) -> SiegeModel:
    """The four-place world with red's source moved to ``rear``, a fifth place 5 km behind the depot, so that the
    depot is a place to mop up (the pursuit never goes for the enemy's source)."""
    return world(tmp_path, formations, places={**POS, "rear": (0.15, 0.05)},
                 roads=[*ROADS, ("depot", "rear", "road", 5.0)], sources=("base", "rear"),
                 red_holds=(*red_holds, "rear"), **spec)


@pytest.mark.parametrize(("red_place", "hops", "target"), [
    ("depot", 1, "depot"),  # one road from the taken town
    ("base", 1, None),  # two roads away: out of reach
    ("base", 2, "base"),
])
def test_mop_up_reaches_mop_up_hops_roads_round_the_objective(tmp_path: Path, red_place: str, hops: int,
                                                              target: str | None) -> None:
    m = rear_world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000),
                              unit("blue_t", "blue_army", "town", {"hold": "town"}, 500),
                              unit("red_x", "red_army", red_place, {"hold": red_place}, 10)],
                   blue_holds=tuple(sorted({"mid", "town", "base", "depot"} - {red_place})), red_holds=(red_place,),
                   parameters={"mop_up_hops": hops})
    blue = m.formation("blue_a")
    assert doctrine.mop_up_target(blue, m) == target
    assert doctrine.decide(blue, m) == (doctrine.HOLD if target is None else
                                        Intent(Posture.ATTACK, (target,), group=("blue_a",)))


# ---------------------------------------------------------------- retreat


def retreat_world(tmp_path: Path, **spec: Any) -> SiegeModel:
    return world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300, morale=0.2)], **spec)


def test_retreat_picks_the_best_neighbour(tmp_path: Path) -> None:
    m = retreat_world(tmp_path)
    red = m.formation("red_t")
    assert doctrine.retreat_destination(red, m) == "depot"  # own supplied ground, before blue's empty mid
    m.space.take("depot", "blue")
    m.space.control["mid"] = None
    retrace(m)
    assert doctrine.retreat_destination(red, m) == "mid"  # no-man's land beats an empty enemy-held place
    m.space.take("mid", "red")
    m.space.control["depot"] = None
    retrace(m)
    assert doctrine.retreat_destination(red, m) == "mid"  # own ground beats no-man's land


def test_retreat_never_goes_where_the_enemy_stands(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 100)], blue_holds=("base",))
    assert doctrine.retreat_destination(m.formation("red_t"), m) == "mid"


def test_an_attacker_falls_back_the_way_it_came(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 300)],
              blue_holds=("base", "mid", "depot"), red_holds=("town",))
    blue = m.formation("blue_a")
    for came_from in ("mid", "depot"):
        blue.came_from = came_from
        assert doctrine.retreat_destination(blue, m) == came_from


def trapped(tmp_path: Path, morale: float) -> SiegeModel:
    """Red's town garrison with blue standing in both its neighbours: no way out."""
    return world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300, morale=morale),
                            unit("blue_m", "blue_army", "mid", {"hold": "mid"}, 100),
                            unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 100)])


@pytest.mark.parametrize(("morale", "in_supply", "status"), [
    (0.14, False, Status.SURRENDERED),  # no way out, cut off, morale gone: truly trapped
    (0.15, False, Status.ACTIVE),  # not beaten: fights on
    (0.14, True, Status.ACTIVE),  # still in supply: not truly trapped, fights on
])
def test_a_broken_formation_with_no_way_out_surrenders_or_stands(tmp_path: Path, morale: float, in_supply: bool,
                                                                 status: Status) -> None:
    m = trapped(tmp_path, morale)
    red = m.formation("red_t")
    red.in_supply = in_supply
    m.fall_back(red, "broke and fell back from")
    assert red.status is status
    if status is Status.SURRENDERED:
        assert (red.captured, red.personnel, red.place) == (300, 0, None)
        assert m.events[-1].kind == "surrender"
    else:
        assert (red.place, red.personnel, red.edge) == ("town", 300, None)  # fights on where it stands


def test_a_broken_formation_with_a_way_out_retreats_even_without_morale(tmp_path: Path) -> None:
    m = retreat_world(tmp_path)
    red = m.formation("red_t")
    red.morale = 0.0
    m.fall_back(red, "broke and fell back from")
    assert red.status is Status.ACTIVE and red.edge == ("town", "depot") and red.posture is Posture.RETREAT


# ---------------------------------------------------------------- fires


def test_fires_multiply_attacking_power_only(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000)],
              blue_fires={"artillery": 1.0, "air": 0.5})
    blue = m.formation("blue_a")
    raw = 1000 * 0.9
    assert m.support["blue"] == pytest.approx(1 + 1.0 * 0.5 + 0.5 * 0.3)
    assert m.formation_power(blue, attacking=True) == pytest.approx(raw * 1.65)
    assert m.formation_power(blue, attacking=False) == pytest.approx(raw * 1.5)  # the village, not the guns
    assert combat.support_multiplier(0.0, 0.0, m.params) == 1.0


# ---------------------------------------------------------------- orders: axis, hold, move, reserve


def test_an_axis_is_taken_place_by_place_then_the_objective(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot", "town"]}, 1000)])
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ATTACK, ("depot",), group=("blue_a",))
    m.space.take("depot", "blue")
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ATTACK, ("town",), group=("blue_a",))
    m.formation("blue_a").orders = m.formation("blue_a").orders.model_copy(update={"axis": ["mid"]})
    # its axis done and the objective still the enemy's: the attacker goes for the objective
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ATTACK, ("town",), group=("blue_a",))


def test_after_a_capture_an_axis_waits_until_rested(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 1000)])
    m.formation("blue_a").rest_until = 2.0
    m.day = 1.0
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD
    m.day = 2.0
    assert doctrine.decide(m.formation("blue_a"), m).posture is Posture.ATTACK


@pytest.mark.parametrize(("town_taken", "pause"), [(False, 2.0), (True, 0.0)])
def test_captors_consolidate_until_the_objective_is_taken_then_pursue(tmp_path: Path, town_taken: bool,
                                                                      pause: float) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 1000)],
              blue_holds=("base", "mid", "town") if town_taken else ("base", "mid"),
              red_holds=("depot",) if town_taken else ("town", "depot"))
    m.day = 3.0
    ground.capture(m, "depot", "blue", [m.formation("blue_a")])
    assert doctrine.consolidation_pause("blue", m) == pause
    assert m.formation("blue_a").rest_until == 3.0 + pause


@pytest.mark.parametrize(("blue_b", "garrison"), [(600, "blue_a"), (1200, "blue_b"), (1000, "blue_b")])
def test_the_strongest_formation_in_the_taken_objective_garrisons_it(tmp_path: Path, blue_b: int,
                                                                     garrison: str) -> None:
    m = rear_world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000),
                              unit("blue_b", "blue_army", "town", {"axis": ["town"]}, blue_b)],
                   blue_holds=("base", "mid", "town"), red_holds=("depot",))
    other = "blue_b" if garrison == "blue_a" else "blue_a"  # (at equal strength the id decides)
    assert doctrine.decide(m.formation(garrison), m) == doctrine.HOLD
    # the other mops up alone, whichever decides first: the garrison is not taken along
    assert doctrine.decide(m.formation(other), m) == Intent(Posture.ATTACK, ("depot",), group=(other,))


def test_a_lone_formation_in_the_taken_objective_stays(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000)],
              blue_holds=("base", "mid", "town"), red_holds=("depot",))
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD


def test_a_defender_with_its_axis_done_holds(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"axis": ["town"]}, 300)])
    assert doctrine.decide(m.formation("red_t"), m) == doctrine.HOLD


def test_a_holding_formation_goes_back_to_its_post_unless_the_enemy_has_it(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "depot", {"hold": "town"}, 300)])
    red = m.formation("red_t")
    assert doctrine.decide(red, m) == Intent(Posture.ADVANCE, ("town",))
    m.space.take("town", "blue")
    intent = doctrine.decide(red, m)
    assert intent == Intent(Posture.HOLD, hold="depot")  # the post is lost: hold where it stands
    m.carry_out(red, intent)
    assert red.orders.hold == "depot" and red.order_kind == "hold"


def test_a_move_order_marches_then_becomes_a_hold(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"move": "base"}, 1000),
                         unit("red_r", "red_army", "depot", {"move": "depot"}, 200)])
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ADVANCE, ("base",))
    m.space.put(m.formation("blue_a"), "base")
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.HOLD, hold="base")
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.HOLD, hold="depot", counterattack_roll=0.04)


def test_a_reserve_with_no_threat_about_goes_back_to_its_base(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_r", "red_army", "town", {"reserve": "depot"}, 200)])
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.ADVANCE, ("depot",))
    m.space.take("depot", "blue")  # ... unless the enemy has it
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.RESERVE, counterattack_roll=0.04)


@pytest.mark.parametrize(("blue", "mid_held_by"), [
    (100, 200),  # blue's 100 at base (90) threaten only mid, held by 270: score 90 / 271 = 0.33
    (1, 200),  # one man (0.9): 0.9 / 271, as light as a threat gets, is still one
    (100, 0),  # mid held by nobody standing in it: 90 / (0 + 1)
])
def test_a_reserve_goes_to_even_a_light_threat_beyond_its_own_quiet_place(tmp_path: Path, blue: int,
                                                                          mid_held_by: int) -> None:
    # the depot and the town are quiet
    garrison = [unit("red_m", "red_army", "mid", {"hold": "mid"}, mid_held_by)] if mid_held_by else []
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, blue), *garrison,
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 200)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.ADVANCE, ("mid",))


# ---------------------------------------------------------------- going and attacking


def test_an_advance_stops_short_of_the_first_hostile_place(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"move": "town"}, 1000)])
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ADVANCE, ("mid",))
    m.space.take("town", "blue")
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.ADVANCE, ("mid", "town"))


def test_only_ready_formations_under_attack_orders_join_the_attack(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 1000),
                         unit("blue_b", "blue_army", "mid", {"axis": ["depot"]}, 1000, morale=0.4),  # shaken
                         unit("blue_c", "blue_army", "mid", {"axis": ["depot"]}, 1000),  # resting
                         unit("blue_d", "blue_army", "mid", {"hold": "mid"}, 1000),  # other orders
                         unit("blue_e", "blue_army", "mid", {"move": "depot"}, 1000),  # ready
                         unit("blue_f", "blue_army", "mid", {"axis": ["depot"]}, 1000)])  # already going
    m.formation("blue_c").rest_until = 5.0
    m.formation("blue_f").path = ["base"]
    m.formation("blue_a").path = ["town"]  # left over from a stop: it still leads its own attack
    intent = doctrine.decide(m.formation("blue_a"), m)
    assert intent == Intent(Posture.ATTACK, ("depot",), group=("blue_e", "blue_a"))


def test_the_attack_goes_at_exactly_the_wanted_ratio(tmp_path: Path) -> None:
    # 600 * 0.9 = 540 against 200 * 0.9 * 1.5 = 270 in the depot: 2:1, and the wanted ratio is set to 2
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 600),
                         unit("red_r", "red_army", "depot", {"hold": "depot"}, 200)],
              parameters={"attack_ratio": 2.0})
    assert doctrine.ready_to_attack([m.formation("blue_a")], "depot", m)
    m.formation("blue_a").personnel = 599
    assert not doctrine.ready_to_attack([m.formation("blue_a")], "depot", m)


# ---------------------------------------------------------------- break-out


def pocket(tmp_path: Path, **spec: Any) -> SiegeModel:
    """Red's town cut off: red is supplied from base (which it holds) but blue holds mid and the depot."""
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300)], blue_holds=("mid", "depot"),
              red_holds=("base", "town"), sources=("depot", "base"), **spec)
    m.formation("red_t").in_supply = False
    assert "town" not in m.supplied["red"]
    return m


def test_with_breakout_when_cut_a_cut_off_defender_fights_its_way_out(tmp_path: Path) -> None:
    m = pocket(tmp_path, doctrine={"breakout_when_cut": True})
    assert doctrine.decide(m.formation("red_t"), m) == Intent(Posture.ADVANCE, ("mid", "base"))
    m.formation("red_t").in_supply = True
    assert doctrine.decide(m.formation("red_t"), m) == doctrine.HOLD  # the objective's garrison: no counterattack


def test_without_breakout_a_cut_off_defender_holds(tmp_path: Path) -> None:
    m = pocket(tmp_path)
    assert doctrine.decide(m.formation("red_t"), m) == doctrine.HOLD


def test_the_attacker_never_breaks_out(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 300)],
              doctrine={"breakout_when_cut": True})
    m.formation("blue_a").in_supply = False
    assert doctrine.decide(m.formation("blue_a"), m) == doctrine.HOLD


# ---------------------------------------------------------------- raids


def raider(tmp_path: Path, at: str = "depot", **spec: Any) -> SiegeModel:
    """A red raiding party based at the depot, to lie in wait on the base-mid road from day 2 to day 5."""
    return world(tmp_path, [unit("red_x", "red_army", at, {"raid": {"road": ["mid", "base"], "from_day": 2,
                                                                     "until_day": 5, "base": "depot"}}, 50)],
                 **spec)


def test_a_raider_waits_at_base_until_the_raid_starts(tmp_path: Path) -> None:
    m = raider(tmp_path)
    m.day = 1.0
    assert doctrine.decide(m.formation("red_x"), m) == doctrine.HOLD


def test_a_raider_slips_through_enemy_ground_to_the_road(tmp_path: Path) -> None:
    m = raider(tmp_path)
    m.day = 2.0
    assert doctrine.decide(m.formation("red_x"), m) == Intent(Posture.RAID, ("mid",))  # blue's mid, no matter


def test_a_raider_takes_post_on_the_road_at_the_ambush_position(tmp_path: Path) -> None:
    m = raider(tmp_path, at="mid", parameters={"ambush_position": 0.4})
    m.day = 3.0
    red = m.formation("red_x")
    intent = doctrine.decide(red, m)
    assert intent == Intent(Posture.AMBUSH, enter_road=("mid", "base", 5.0 / 0.8 * 0.4))
    m.carry_out(red, intent)
    assert (red.edge, red.km_done, red.posture) == (("mid", "base"), pytest.approx(2.5), Posture.AMBUSH)
    assert doctrine.decide(red, m) == Intent(Posture.AMBUSH)  # and lies in wait there


def test_a_raider_on_another_road_keeps_going(tmp_path: Path) -> None:
    m = raider(tmp_path)
    m.day = 3.0
    red = m.formation("red_x")
    m.space.set_out(red, "depot", "mid")
    red.posture = Posture.RAID
    assert doctrine.decide(red, m) is None


@pytest.mark.parametrize(("day", "sprung"), [(6.0, False), (3.0, True)])
def test_when_the_raid_is_over_the_raider_walks_off_the_road_and_home(tmp_path: Path, day: float,
                                                                      sprung: bool) -> None:
    m = raider(tmp_path, at="mid")
    red = m.formation("red_x")
    m.space.set_out(red, "mid", "base", 3.0)
    red.posture, red.engaged_ambush = Posture.AMBUSH, sprung
    m.day = day
    assert doctrine.decide(red, m) == Intent(Posture.RAID, ("base",))  # off the road, to the end it faces
    red.posture = Posture.RAID
    assert doctrine.decide(red, m) is None  # walking off
    m.space.put(red, "mid")
    assert doctrine.decide(red, m) == Intent(Posture.RAID, ("depot",))  # going home
    m.space.put(red, "depot")
    intent = doctrine.decide(red, m)
    assert intent == Intent(Posture.HOLD, hold="depot")  # home: the raid order becomes a hold
    m.carry_out(red, intent)
    assert red.order_kind == "hold"


def test_a_raider_cut_off_from_its_base_holds_where_it_is(tmp_path: Path) -> None:
    m = raider(tmp_path, at="mid", blocked_roads=[["mid", "depot"], ["town", "depot"]])
    m.day = 6.0
    assert doctrine.decide(m.formation("red_x"), m) == Intent(Posture.HOLD, hold="mid")


# ---------------------------------------------------------------- more on counterattacks and retreats


@pytest.mark.parametrize(("comrade", "blue_at_depot", "target"), [
    (False, False, "mid"),
    (False, True, None),  # another threat next to its post, and nobody else to hold it: it stays
    (True, True, "mid"),  # a comrade holds the post
])
def test_a_counterattack_never_leaves_the_post_open_to_another_threat(tmp_path: Path, comrade: bool,
                                                                      blue_at_depot: bool, target: str | None) -> None:
    formations = [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                  unit("red_t", "red_army", "town", {"hold": "town"}, 300)]
    formations += [unit("red_u", "red_army", "town", {"hold": "town"}, 10)] * comrade
    formations += [unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 10)] * blue_at_depot
    m = world(tmp_path, formations, blue_holds=("base",), red_holds=("mid", "town", "depot"))
    m.space.take("mid", "blue")
    assert doctrine.counterattack_target(m.formation("red_t"), m) == target


def test_a_counterattack_needs_an_open_road(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"), blocked_roads=[["mid", "town"]])
    m.space.take("mid", "blue")
    assert doctrine.counterattack_target(m.formation("red_t"), m) is None


def test_a_counterattack_goes_at_exactly_one_to_one(tmp_path: Path) -> None:
    # red's 300 * 0.9 = 270 attacking against blue's 200 * 0.9 * 1.5 = 270 holding mid
    m = counter_world(tmp_path, 200)
    assert doctrine.counterattack_target(m.formation("red_t"), m) == "mid"


def test_the_counterattack_chance_is_per_day(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "depot", {"hold": "depot"}, 300)], step_days=0.5)
    assert doctrine.decide(m.formation("red_t"), m) == Intent(Posture.HOLD, counterattack_roll=0.02)


def test_a_defender_falls_back_towards_the_objective(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 300)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    assert doctrine.retreat_destination(m.formation("red_x"), m) == "town"  # not the depot, one road further


def test_a_defender_does_not_fall_back_into_ground_supplied_only_through_the_place_it_leaves(tmp_path: Path) -> None:
    # the town-depot road is closed: red's town is supplied from the depot only through mid. A defender
    # falling back from mid (which it may lose) goes to the depot, in supply on its own, not into the town
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 300)], blocked_roads=[["town", "depot"]],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    assert "town" in m.supplied["red"]
    assert doctrine.retreat_destination(m.formation("red_x"), m) == "depot"


def test_own_ground_cut_off_still_beats_no_mans_land(tmp_path: Path) -> None:
    # blue falls back from mid, where it came from the empty base; its town is supplied only through mid, so
    # cut off once mid is left: still its own ground, it beats going back the way it came into no-man's land
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 300)],
              blue_holds=("mid", "town"), red_holds=("depot",))
    blue = m.formation("blue_a")
    blue.came_from = "base"
    assert m.control["base"] is None
    assert doctrine.retreat_destination(blue, m) == "town"


def test_a_formation_that_fell_back_onto_its_own_ground_follows_its_orders_again(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 1000)], red_holds=("town",))
    blue = m.formation("blue_a")
    blue.posture = Posture.RETREAT
    assert doctrine.decide(blue, m) == Intent(Posture.ADVANCE, ("depot",))  # not a hold where it stands
    m.space.take("mid", "red")  # ... but on enemy ground it goes on falling back to its own
    assert doctrine.decide(blue, m) == Intent(Posture.RETREAT, ("base",))


def test_retreat_never_takes_a_blocked_road(tmp_path: Path) -> None:
    m = retreat_world(tmp_path, blocked_roads=[["town", "depot"]], blue_holds=("base",))
    assert doctrine.retreat_destination(m.formation("red_t"), m) == "mid"


def test_a_formation_broken_on_a_road_falls_back_from_where_it_set_out(tmp_path: Path) -> None:
    m = retreat_world(tmp_path)
    red = m.formation("red_t")
    m.space.set_out(red, "town", "mid", 1.0)
    assert doctrine.retreat_destination(red, m) == "depot"


def test_an_attacker_whose_post_the_enemy_took_holds_where_it_stands(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "base"}, 300)],
              blue_holds=("mid",), red_holds=("base", "town", "depot"), sources=("mid", "depot"))
    assert doctrine.decide(m.formation("blue_a"), m) == Intent(Posture.HOLD, hold="mid")


def test_a_reserve_whose_own_place_is_most_threatened_stays_there(tmp_path: Path) -> None:
    # blue's 900 in mid against red's 1350 in mid, 1800 (x2) in the town, and the reserve's own 67.5 in the depot
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000),
                         unit("red_m", "red_army", "mid", {"hold": "mid"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 1000),
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 50)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    assert doctrine.most_threatened(m.formation("red_r"), m) == "depot"
    assert doctrine.decide(m.formation("red_r"), m) == Intent(Posture.RESERVE)


def test_an_attacking_reserve_does_not_go_back_to_a_base_the_enemy_took(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_r", "blue_army", "mid", {"reserve": "base"}, 300)],
              blue_holds=("mid",), red_holds=("base", "town", "depot"), sources=("mid", "depot"))
    assert doctrine.decide(m.formation("blue_r"), m) == Intent(Posture.RESERVE)


def test_a_raid_runs_to_its_last_day_inclusive(tmp_path: Path) -> None:
    m = raider(tmp_path)
    m.day = 5.0
    assert doctrine.decide(m.formation("red_x"), m) == Intent(Posture.RAID, ("mid",))


def test_a_raider_at_either_end_of_the_road_takes_post_facing_the_other(tmp_path: Path) -> None:
    m = raider(tmp_path, at="base")
    m.day = 3.0
    assert doctrine.decide(m.formation("red_x"), m).enter_road == ("base", "mid", 5.0 / 0.8 * 0.5)


def test_the_target_defence_counts_only_the_enemy_in_it(tmp_path: Path) -> None:
    # 900 against red's 270 in the depot: 3.3 >= 2.5, whatever blue formation is already fighting there
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["depot"]}, 1000),
                         unit("red_r", "red_army", "depot", {"hold": "depot"}, 200),
                         unit("blue_z", "blue_army", "depot", {"axis": ["depot"]}, 1000)])
    assert doctrine.ready_to_attack([m.formation("blue_a")], "depot", m)


@pytest.mark.parametrize("town_holder", ["red", None])
def test_a_reserve_looks_past_places_that_are_not_its_sides(tmp_path: Path, town_holder: str | None) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 100),
                         unit("red_m", "red_army", "mid", {"hold": "mid"}, 200),
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 200)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    m.space.control["town"] = town_holder
    assert doctrine.most_threatened(m.formation("red_r"), m) == "mid"


def test_own_formations_next_door_are_no_threat_to_a_counterattack(tmp_path: Path) -> None:
    comrade = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                               unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                               unit("red_r", "red_army", "depot", {"reserve": "depot"}, 200)],
                    blue_holds=("base",), red_holds=("mid", "town", "depot"))
    comrade.space.take("mid", "blue")
    assert doctrine.counterattack_target(comrade.formation("red_t"), comrade) == "mid"


def test_an_enemy_raider_in_its_place_is_no_comrade_to_leave_it_to(tmp_path: Path) -> None:
    # blue took red's depot (empty) and stands in mid, next to the town: red's garrison would leave the town open
    # to mid; a blue raider slipping through the town does not hold it for red
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("blue_x", "blue_army", "town", {"hold": "mid"}, 50),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)])
    m.space.take("depot", "blue")
    m.formation("blue_x").posture = Posture.RAID
    assert doctrine.counterattack_target(m.formation("red_t"), m) is None


def test_a_counterattack_skips_a_threatened_target_for_the_next_one(tmp_path: Path) -> None:
    # red took both the depot and mid from the start; blue's 100 stand in mid, the depot is empty: going for the
    # depot would leave the town open to mid, but going for mid leaves nothing behind
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 300)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    m.space.take("mid", "blue")
    m.space.take("depot", "blue")
    assert doctrine.counterattack_target(m.formation("red_t"), m) == "mid"


def test_retreat_may_go_where_own_formations_stand(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("red_r", "red_army", "depot", {"reserve": "depot"}, 200)])
    assert doctrine.retreat_destination(m.formation("red_t"), m) == "depot"


def test_the_objectives_garrison_never_counterattacks_but_a_post_beside_it_may(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300),
                         unit("red_d", "red_army", "depot", {"hold": "depot"}, 300)])
    assert doctrine.counterattack_chance(m.formation("red_t"), m) is None
    assert doctrine.counterattack_chance(m.formation("red_d"), m) == 0.04


def test_a_broken_formation_passes_through_empty_enemy_ground_and_takes_nothing(tmp_path: Path) -> None:
    # blue stands in the depot and holds the empty mid: red's broken town garrison falls back into mid
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300, morale=0.5),
                         unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 100)],
              doctrine={"pickets": False})  # this rule alone (with pickets, blue_d would meet red in mid)
    red = m.formation("red_t")
    assert doctrine.retreat_destination(red, m) == "mid"
    m.space.put(red, "mid")
    red.posture = Posture.RETREAT
    ground.update_control(m)
    assert m.control["mid"] == "blue"  # a broken formation takes no ground
    assert doctrine.decide(red, m) == Intent(Posture.RETREAT, ("town",))  # it goes on to its own ground
    m.space.take("town", "blue")
    assert doctrine.decide(red, m) == Intent(Posture.HOLD, hold="mid")  # none left to reach: it stops and holds
    red.posture = Posture.HOLD
    ground.update_control(m)
    assert m.control["mid"] == "red"  # ... and only then is the place its side's


@pytest.mark.parametrize(("morale", "takes"), [(0.29, False), (0.3, True)])
def test_a_broken_formation_stranded_on_enemy_ground_holds_nothing(tmp_path: Path, morale: float,
                                                                   takes: bool) -> None:
    # red stands alone in blue's empty mid, holding (not falling back): below morale_break 0.3 it takes nothing
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "mid"}, 300, morale=morale),
                         unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 100)],
              doctrine={"pickets": False})
    red = m.formation("red_t")
    m.space.put(red, "mid")
    red.posture = Posture.HOLD
    ground.update_control(m)
    assert (m.control["mid"] == "red") is takes


@pytest.mark.parametrize(("mid_holder", "arrives_at"), [("red", "mid"), (None, "mid"), ("blue", "town")])
def test_an_arrival_appears_at_the_nearest_friendly_place_never_on_enemy_ground(
        tmp_path: Path, mid_holder: str | None, arrives_at: str) -> None:
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 100, arrival_day=1)],
              blue_holds=("base",), red_holds=("town", "depot"))
    m.space.control["mid"] = mid_holder
    m.step()
    m.step()
    assert m.formation("red_x").place == arrives_at  # the town is 5 km from mid, the depot 6 km
    assert [e.place for e in m.events if e.kind == "arrival"] == [arrives_at]


# ---------------------------------------------------------------- fires every day


def bombarded(tmp_path: Path, red_at: str, **fires: Any) -> SiegeModel:
    """Blue's 1,000 at mid; red's 1,000 holding ``red_at``; each side's fires as given."""
    return world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000),
                            unit("red_t", "red_army", red_at, {"hold": red_at}, 1000)], **fires)


def test_fires_wear_down_the_enemy_in_contact_every_day(tmp_path: Path) -> None:
    m = bombarded(tmp_path, "town", blue_fires={"artillery": 1.0, "air": 0.6})
    assert m.bombardment == {"blue": pytest.approx(0.004 * 1.6), "red": 0.0}
    assert engagements.in_contact(m, "blue") == [m.formation("red_t")]
    assert engagements.in_contact(m, "red") == [m.formation("blue_a")]  # red has no fires: no one is hit
    total = 0
    for _ in range(10):
        engagements.fight(m)
        total = 1000 - m.formation("red_t").personnel
    # 10 days at 0.64%: 1 - exp(-0.064) = 6.2% of 1,000 expected
    assert 30 <= total <= 100 and m.formation("blue_a").personnel == 1000
    assert [e.kind for e in m.events] == ["bombardment"] * 10


def test_the_defenders_fires_hit_the_attacker_too(tmp_path: Path) -> None:
    m = bombarded(tmp_path, "town", red_fires={"air": 1.0})
    for _ in range(10):
        engagements.fight(m)
    assert m.formation("blue_a").personnel < 1000 and m.formation("red_t").personnel == 1000


def test_fires_reach_only_formations_in_contact_and_not_in_a_fight(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"hold": "base"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 1000)],
              blue_fires={"artillery": 1.0})
    assert engagements.in_contact(m, "blue") == []  # base is two roads from the town
    m = bombarded(tmp_path, "town", blue_fires={"artillery": 1.0})
    m.formation("red_t").engaged = True  # in a fight today: the fight's own rates include its fires
    assert engagements.in_contact(m, "blue") == []


# ---------------------------------------------------------------- zone of control


def walk_in(tmp_path: Path, red: list[dict[str, Any]], pickets: bool = True) -> SiegeModel:
    """Red holds mid, the town and the depot; blue's 500 walk into the empty mid; control is then updated."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"axis": ["mid"]}, 500), *red],
              blue_holds=("base",), red_holds=("mid", "town", "depot"), doctrine={"pickets": pickets})
    blue = m.formation("blue_a")
    m.space.put(blue, "mid")
    blue.posture = Posture.ADVANCE
    ground.update_control(m)
    return m


@pytest.mark.parametrize(("red", "picket"), [
    ([unit("red_d", "red_army", "depot", {"hold": "depot"}, 100)], "red_d"),  # next door by the track: it meets them
    ([unit("red_d", "red_army", "depot", {"hold": "depot"}, 100),
      unit("red_e", "red_army", "depot", {"hold": "depot"}, 200)], "red_e"),  # the strongest goes
    ([unit("red_d", "red_army", "depot", {"hold": "depot"}, 100, morale=0.5)], None),  # too shaken to go
    ([unit("red_t", "red_army", "town", {"reserve": "town"}, 300)], None),  # nobody leaves the objective
])
def test_an_empty_place_is_not_walked_into_while_a_picket_is_next_door(tmp_path: Path, red: list[dict[str, Any]],
                                                                       picket: str | None) -> None:
    m = walk_in(tmp_path, red)
    if picket is None:
        assert m.control["mid"] == "blue" and m.captures[-1]["opposed"] is False
    else:
        assert m.control["mid"] == "red" and m.captures == []
        assert m.formation(picket).place == "mid"  # it moved in: tomorrow the place is fought for
        assert m.events[-1].kind == "picket" and "moved into" in m.events[-1].text
        assert walk_in(tmp_path, red, pickets=False).control["mid"] == "blue"  # the doctrine's switch


@pytest.mark.parametrize("fought_there", [True, False])
def test_a_place_won_in_a_fight_is_the_winners_no_picket_restarts_the_fight(tmp_path: Path,
                                                                           fought_there: bool) -> None:
    """Blue fought for mid and its defenders have gone: it takes mid though red has a picket next door (the
    picket stops a walk-in, not a fight that is over); with no fight there, the picket moves in as before."""
    red = [unit("red_d", "red_army", "depot", {"hold": "depot"}, 100)]
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"axis": ["mid"]}, 500), *red],
              blue_holds=("base",), red_holds=("mid", "town", "depot"))
    if fought_there:
        engagements._fight_begins(m, "mid")
    blue = m.formation("blue_a")
    m.space.put(blue, "mid")
    blue.posture = Posture.ADVANCE
    ground.update_control(m)
    assert m.control["mid"] == ("blue" if fought_there else "red")
    assert (m.formation("red_d").place == "mid") is not fought_there
    if fought_there:
        assert m.captures[-1]["opposed"] is True


# ---------------------------------------------------------------- a fifth place: a short cut through a farm
# The four-place world cannot tell "the shortest way" from "the way round enemy ground" or "the objective" from
# "the nearest enemy place": a farm between the depot and mid makes them differ. The depot-mid track becomes a
# 4.4 km road (5.5 march-km); through the farm it is 2 + 2 km of road (2.5 + 2.5 = 5.0 march-km)::
#
#     base --5-- mid --5-- town --5-- depot
#                 \\ \\_____4.4________/ /
#                  \\--2-- farm --2---/

FIVE_POS = {**POS, "farm": (0.07, 0.04)}
FIVE_ROADS = [*ROADS[:3], ("mid", "depot", "road", 4.4), ("mid", "farm", "road", 2.0), ("farm", "depot", "road", 2.0)]


def five_places(tmp_path: Path, formations: list[dict[str, Any]], farm_holder: str, **spec: Any) -> SiegeModel:
    """The five-place world, the farm held by ``farm_holder`` (blue also holds base and mid, red town and depot)."""
    return world(tmp_path, formations, places=FIVE_POS, roads=FIVE_ROADS,
                 blue_holds=("base", "mid", "farm") if farm_holder == "blue" else ("base", "mid"),
                 red_holds=("town", "depot", "farm") if farm_holder == "red" else ("town", "depot"), **spec)


def test_a_raider_takes_the_short_cut_through_enemy_ground_to_the_road(tmp_path: Path) -> None:
    # through blue's farm 5.0 march-km, round it by the direct road 5.5: entering enemy ground costs a raider
    # nothing, so it goes by the farm (at any cost of entry of 0.5 march-km or more it would go round)
    m = five_places(tmp_path, [unit("red_x", "red_army", "depot", {"raid": {"road": ["mid", "base"], "from_day": 2,
                                                                             "until_day": 5, "base": "depot"}}, 50)],
                    farm_holder="blue")
    m.day = 2.0
    assert doctrine.decide(m.formation("red_x"), m) == Intent(Posture.RAID, ("farm", "mid"))


def test_a_raider_goes_home_by_the_short_cut_through_enemy_ground(tmp_path: Path) -> None:
    m = five_places(tmp_path, [unit("red_x", "red_army", "mid", {"raid": {"road": ["mid", "base"], "from_day": 2,
                                                                           "until_day": 5, "base": "depot"}}, 50)],
                    farm_holder="blue")
    m.day = 6.0  # the raid is over
    assert doctrine.decide(m.formation("red_x"), m) == Intent(Posture.RAID, ("farm", "depot"))


def test_other_formations_go_round_enemy_ground(tmp_path: Path) -> None:
    # the same way for a formation under move orders skirts blue's farm: the raiders' short cut is their rule only
    m = five_places(tmp_path, [unit("red_m", "red_army", "mid", {"move": "depot"}, 50)], farm_holder="blue")
    assert doctrine.decide(m.formation("red_m"), m) == Intent(Posture.ADVANCE, ("depot",))


def test_with_its_axis_done_the_attacker_goes_for_the_objective_before_mopping_up(tmp_path: Path) -> None:
    # red's farm is 2.5 march-km from mid, red's town 6.25: the nearer enemy place waits until the town is taken
    m = five_places(tmp_path, [unit("blue_a", "blue_army", "mid", {"axis": ["mid"]}, 1000)], farm_holder="red")
    blue = m.formation("blue_a")
    assert doctrine.mop_up_target(blue, m) == "farm"
    assert doctrine.decide(blue, m) == Intent(Posture.ATTACK, ("town",), group=("blue_a",))
    m.space.take("town", "blue")  # the objective taken: now the farm is mopped up
    assert doctrine.decide(blue, m) == Intent(Posture.ATTACK, ("farm",), group=("blue_a",))


@pytest.mark.parametrize(("town_defence", "power"), [(2.0, 540.0), (3.0, 810.0)])
def test_a_place_the_map_gives_no_defence_takes_its_kinds_from_the_parameters(tmp_path: Path, town_defence: float,
                                                                              power: float) -> None:
    # the hand-built map writes no defence: the town's 300 holders (270) are worth kind_defence["town"] times that
    kinds = {**Parameters().kind_defence, "town": town_defence}
    m = siege_world(tmp_path, 1000, parameters={"kind_defence": kinds})
    assert "town" in m.graph.graph["defence_from_kind"]
    assert m.side_power_at("town", "red") == pytest.approx(power)


# ---------------------------------------------------------------- orders that come too late, and ways through
# A world of one line (no track from mid to the depot), so that the depot is two roads from mid::
#
#     base --5-- mid --5-- town --5-- depot

LINE_ROADS = ROADS[:3]


def test_a_move_order_to_a_place_lost_holds_where_it_stands_while_the_town_is_held(tmp_path: Path) -> None:
    """Red's column at mid was ordered to the base, which blue has taken: too late; red still holds the town, so
    it holds where it stands, and does not fall back on the rear (the town, nearest red's source) as it would with
    the town lost."""
    m = world(tmp_path, [unit("red_m", "red_army", "mid", {"move": "base"}, 200)], roads=LINE_ROADS,
              blue_holds=(), red_holds=("base", "mid", "town", "depot"))
    m.space.take("base", "blue")
    retrace(m)
    intent = doctrine.decide(m.formation("red_m"), m)
    assert (intent.posture, intent.path, intent.hold) == (Posture.HOLD, (), "mid")


def test_a_broken_formation_on_enemy_ground_goes_on_through_empty_enemy_ground_to_its_own(tmp_path: Path) -> None:
    """Red's broken 50 fell back into blue's empty base; the way to red's own ground passes through blue's empty
    mid: it goes through, as a retreat may (not as a withdrawal, which must not cross enemy ground)."""
    m = world(tmp_path, [unit("red_x", "red_army", "base", {"hold": "town"}, 50)])
    red = m.formation("red_x")
    red.posture = Posture.RETREAT
    assert doctrine.decide(red, m) == Intent(Posture.RETREAT, ("mid", "town"))


# The town and the base, two ways between them: through two places (e1, e2) by 10 km, or one (w) by 10.5 km, so
# that the cost of entering enemy ground decides the way::
#
#     town --5-- e1 --2-- e2 --3-- base
#         \--5.5-- w --5--------/

OUT_POS = {"town": (0.0, 0.0), "e1": (0.05, 0.01), "e2": (0.07, 0.01), "w": (0.05, -0.01), "base": (0.10, 0.0)}
OUT_ROADS = [("town", "e1", "road", 5.0), ("e1", "e2", "road", 2.0), ("e2", "base", "road", 3.0),
             ("town", "w", "road", 5.5), ("w", "base", "road", 5.0)]


def test_a_relief_column_slips_through_enemy_ground_by_the_shortest_way_at_no_cost(tmp_path: Path) -> None:
    """Red's column at the base ordered into the town, with no way in over its own ground (blue holds e1 and e2,
    and blue's 300 stand in red's w): it breaks in by the shortest road, through e2 and e1 (10 km against 10.5):
    entering enemy ground costs it nothing (12.5 march-km and two entries against 13.125 by w: at more than 0.31
    march-km an entry it would go by w)."""
    m = world(tmp_path, [unit("red_c", "red_army", "base", {"move": "town"}, 300),
                         unit("blue_w", "blue_army", "w", {"hold": "w"}, 300)], places=OUT_POS, roads=OUT_ROADS,
              sources=("e1", "base"), blue_holds=("e1", "e2"), red_holds=("town", "w", "base"))
    assert doctrine.decide(m.formation("red_c"), m) == Intent(Posture.RAID, ("e2", "e1", "town"), break_in=True)


def test_a_break_out_takes_the_shortest_road_however_much_enemy_ground_it_crosses(tmp_path: Path) -> None:
    """The town's defenders, out of supply, give it up; no way out is their own, so they slip through by the
    shortest road (10 km through two of blue's places, not 10.5 through one: crossing costs them nothing)."""
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 300)], places=OUT_POS, roads=OUT_ROADS,
              sources=("e1", "base"), blue_holds=("e1", "e2", "w"), red_holds=("town", "base"),
              parameters={"town_withdraw_supply": 0.1})
    red = m.formation("red_t")
    red.supply = 0.05  # below town_withdraw_supply
    assert doctrine.decide(red, m) == Intent(Posture.RAID, ("e1", "e2", "base"), hold="base", withdraw=True)


def test_the_pursuit_goes_for_the_enemys_main_body_by_the_shortest_road_through_his_ground(tmp_path: Path) -> None:
    """Blue has the town; red's main body (300) is in the base, small posts in e1, e2 and w: the pursuit's road is
    the shortest (through e1 and e2, 10 km, not w, 10.5 km, though it crosses one more of red's places), and
    today's target the first red place on it."""
    posts = [unit(f"red_{p}", "red_army", p, {"hold": p}, 10) for p in ("e1", "e2", "w")]
    m = world(tmp_path, [unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000), *posts,
                         unit("red_b", "red_army", "base", {"hold": "base"}, 300)], places=OUT_POS, roads=OUT_ROADS,
              sources=("town", "e2"), blue_holds=("town",), red_holds=("e1", "e2", "w", "base"))
    assert doctrine.mop_up_target(m.formation("blue_a"), m) == "e1"

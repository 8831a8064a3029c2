"""Engagements on the hand-built four-place world of tests/test_doctrine.py: who fights whom, and the log of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from sim import combat, engagements
from sim.combat import Hit, Outcome
from sim.events import EventKind
from sim.model import SiegeModel
from sim.parameters import Parameters
from sim.states import EngagementKind, Losses, Posture, Status
from tests.test_doctrine import said, unit, world


def test_an_ambush_whose_ambushers_are_wiped_out_is_logged_on_its_road(tmp_path: Path) -> None:
    # red's 10 men lie in wait on the mid-base road; blue's 1000 walk into them and the fight kills all ten
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 10),
                         unit("blue_a", "blue_army", "base", {"axis": ["town"]}, 1000)])
    red, blue = m.formation("red_x"), m.formation("blue_a")
    m.space.set_out(red, "mid", "base", 2.0)
    red.posture = Posture.AMBUSH
    m.space.set_out(blue, "base", "mid", 5.0)
    wiped_out = Outcome(900.0, 9.0, 0.5, 0.01, (Hit(Losses(3, 7), 0.0, True),), (Hit(Losses(0, 1), 0.8, False),))
    with patch.object(combat, "resolve", return_value=wiped_out):
        engagements.fight(m)
    assert red.status is Status.DESTROYED
    ambush = next(e for e in m.events if e.kind is EventKind.AMBUSH)
    assert "on the road mid-base:" in ambush.text
    assert (ambush.formation, ambush.killed, ambush.enemy_wounded) == ("red_x", 3, 1)


def test_a_garrison_wiped_out_in_its_place_is_not_asked_to_fall_back(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 10),
                         unit("blue_a", "blue_army", "town", {"axis": ["town"]}, 1000)])
    wiped_out = Outcome(900.0, 18.0, 0.01, 0.5, (Hit(Losses(0, 1), 0.8, False),), (Hit(Losses(4, 6), 0.0, True),))
    with patch.object(combat, "resolve", return_value=wiped_out):
        engagements.fight(m)
    assert m.formation("red_t").status is Status.DESTROYED
    assert [(e.kind, e.place) for e in m.events] == [(EventKind.DESTROYED, "town"), (EventKind.ENGAGEMENT, "town")]


def test_a_combatant_counts_as_the_attacking_side_by_its_side_not_its_part_in_the_fight(tmp_path: Path) -> None:
    # killed_fraction is a side's (its wounded got out along its supply lines or not): red counterattacking is
    # still the defending side, blue defending a place is still the attacking side
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 10),
                         unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000)])
    assert not engagements._combatant(m, m.formation("red_t"), True).attacking_side
    assert engagements._combatant(m, m.formation("blue_a"), False).attacking_side


def test_fire_and_retreats_split_the_attacking_sides_losses_at_its_own_killed_share(tmp_path: Path) -> None:
    # red's guns hit blue in contact, and blue falls back: each draw is the attacking side's (killed_fraction)
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 10),
                         unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000)])
    blue = m.formation("blue_a")
    with patch.object(combat, "share_lost", wraps=combat.share_lost) as drawn:
        engagements._bombard(m, "red", 0.05)
        m.fall_back(blue, "called off its assault on")
    assert [call.args[-1] for call in drawn.call_args_list] == [True, True]


def test_a_formation_lost_falling_back_is_logged_destroyed_with_its_losses(tmp_path: Path) -> None:
    # red's last 3 men break in the town; the retreat's losses take all three
    m = world(tmp_path, [unit("red_t", "red_army", "town", {"hold": "town"}, 3)])
    red = m.formation("red_t")
    with patch.object(combat, "draw_losses", return_value=Losses(1, 2)):
        m.fall_back(red, "broke and fell back from")
    assert red.status is Status.DESTROYED
    assert [e.kind for e in m.events] == [EventKind.DESTROYED, EventKind.RETREAT]
    assert m.events[-1].killed + m.events[-1].wounded == 3 and "was lost falling back" in m.events[-1].text


@pytest.mark.parametrize(("red_other", "blue_calls_off", "left_behind"),
                         [(None, False, 6), ("holder", False, 0), ("passing", False, 6), (None, True, 0)])
def test_a_defender_driven_out_by_the_assault_that_takes_its_place_leaves_that_days_wounded_to_be_captured(
        tmp_path: Path, red_other: str | None, blue_calls_off: bool, left_behind: int) -> None:
    """Red's 100 in mid break under blue's assault (2 killed, 6 wounded) and fall back to the town. When no red
    holding ground is left in mid and blue stays, mid is overrun: the 6 are captured where they fell (a comrade
    only passing through on its way back holds nothing). A comrade who holds on, or an attacker who calls off
    too, leaves mid red's, and red carries its wounded back."""
    other = [unit("red_h", "red_army", "mid", {"hold": "mid"}, 400)] if red_other else []
    m = world(tmp_path, [unit("red_t", "red_army", "mid", {"hold": "mid"}, 100), *other,
                         unit("blue_a", "blue_army", "mid", {"axis": ["town"]}, 1000)],
              blue_holds=("base",), red_holds=("mid", "town", "depot"),
              parameters={"retreat_loss": 0.0})  # (no loss on the way: the counts are the fight's)
    if red_other == "passing":
        m.formation("red_h").posture, m.formation("red_h").path = Posture.RETREAT, ["town"]
    red = m.formation("red_t")
    red.in_supply = False  # the day's wounded join those it carries (trapped_wounded)
    red.take_losses(0, 4)
    blue_hit = Hit(Losses(0, 3), 0.2 if blue_calls_off else 0.8, blue_calls_off)
    red_hits = (Hit(Losses(2, 6), 0.2, True), *([Hit(Losses(0, 0), 0.8, False)] if red_other else []))
    with patch.object(combat, "resolve", return_value=Outcome(900.0, 90.0, 0.01, 0.1, (blue_hit,), red_hits)):
        engagements.fight(m)
    assert red.active and red.place is None  # on the road to the town, in every case
    assert (red.captured, red.wounded, red.trapped_wounded) == (left_behind, 10 - left_behind, 10 - left_behind)
    prisoners = [e for e in m.events if e.kind is EventKind.PRISONERS]
    if left_behind:
        assert [(e.formation, e.wounded) for e in prisoners] == [("red_t", -6)]
        assert "6 wounded of Red Army red_t left behind in mid were captured" in prisoners[0].text
    else:
        assert not prisoners


def test_the_wounded_left_behind_are_the_days_wounded_of_an_overrun_defender_only() -> None:
    assert combat.wounded_left_behind(6, overrun=True) == 6
    assert combat.wounded_left_behind(6, overrun=False) == 0


@pytest.mark.parametrize(("posture", "morale", "holds"),
                         [(Posture.HOLD, 0.8, True), (Posture.ATTACK, 0.8, True), (Posture.RAID, 0.8, False),
                          (Posture.RETREAT, 0.8, False), (Posture.HOLD, 0.2, False)])
def test_raiders_formations_falling_back_and_the_broken_hold_no_ground(posture: Posture, morale: float,
                                                                         holds: bool) -> None:
    assert combat.holds_ground(posture, morale, Parameters()) is holds  # morale_break 0.3


def test_the_fires_record_whom_they_hit_and_how_many_and_a_unit_they_destroy(tmp_path: Path) -> None:
    # blue's guns on red's town and depot, both next to blue's mid: both hit (in the order of the places)
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 1000),
                         unit("red_d", "red_army", "depot", {"hold": "depot"}, 3)])
    assert engagements.in_contact(m, "blue") == [m.formation("red_t"), m.formation("red_d")]
    engagements._bombard(m, "blue", 50.0)  # everyone in contact is lost
    *destroyed, fire = m.events
    assert [(e.kind, e.formation) for e in destroyed] == [(EventKind.DESTROYED, "red_t"),
                                                          (EventKind.DESTROYED, "red_d")]
    assert said(m, EventKind.DESTROYED) == ["Red Army red_t was destroyed by fire.",
                                            "Red Army red_d was destroyed by fire."]
    assert (fire.kind, fire.side, fire.other_side) == (EventKind.BOMBARDMENT, "blue", "red")
    assert said(m, EventKind.BOMBARDMENT) == [f"Blue fires hit the enemy in contact: {fire.enemy_killed} killed, "
                                              f"{fire.enemy_wounded} wounded."]
    reds = [m.formation("red_t"), m.formation("red_d")]
    assert (fire.enemy_killed, fire.enemy_wounded) == (sum(f.killed for f in reds), sum(f.wounded for f in reds))
    assert fire.enemy_killed + fire.enemy_wounded == 1003


def test_fires_that_kill_as_many_as_they_wound_are_logged_too(tmp_path: Path) -> None:
    # red's town and depot in contact with blue's mid: 2 killed and 2 wounded in each (fixed), 4 and 4 in all
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 1000),
                         unit("red_t", "red_army", "town", {"hold": "town"}, 1000),
                         unit("red_d", "red_army", "depot", {"hold": "depot"}, 100)])
    with patch.object(combat, "share_lost", return_value=Losses(2, 2)):
        engagements._bombard(m, "blue", 0.05)
    [fire] = m.events
    assert (fire.kind, fire.enemy_killed, fire.enemy_wounded) == (EventKind.BOMBARDMENT, 4, 4)


def test_every_fight_of_the_day_is_fought_whatever_the_order_of_the_places(tmp_path: Path) -> None:
    # blue and red meet in mid and in the depot on the same day: two fights, one in each
    m = world(tmp_path, [unit("blue_a", "blue_army", "mid", {"hold": "mid"}, 100),
                         unit("red_m", "red_army", "mid", {"hold": "mid"}, 100),
                         unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 100),
                         unit("red_d", "red_army", "depot", {"hold": "depot"}, 100)])
    m.adjudications = []
    engagements.fight(m)
    assert sorted(f["place"] for f in m.adjudications) == ["depot", "mid"]


def test_a_fight_with_only_raiders_left_in_the_place_is_over(tmp_path: Path) -> None:
    m = world(tmp_path, [unit("red_x", "red_army", "mid", {"hold": "mid"}, 50),
                         unit("blue_d", "blue_army", "depot", {"hold": "depot"}, 50)])
    m.formation("red_x").posture = Posture.RAID
    m.assault_start.update({"mid": 3.0, "depot": 3.0, "town": 3.0})  # fights were on in all three
    engagements.fight(m)
    # mid's is over; the depot's winner stands there alone (the change of hands reads the fight's start), and the
    # town's is not ended by a place with nobody in it
    assert m.assault_start == {"depot": 3.0, "town": 3.0}


def road_fight_world(tmp_path: Path, red_posture: Posture, blue_men: int = 1000, red_men: int = 100) -> SiegeModel:
    """Blue's ``blue_men`` marching from the base meet red's ``red_men`` on the base-mid road (red ``red_posture``);
    every engagement's numbers are recorded."""
    m = world(tmp_path, [unit("blue_a", "blue_army", "base", {"axis": ["town"]}, blue_men),
                         unit("red_x", "red_army", "mid", {"hold": "mid"}, red_men)])
    blue, red = m.formation("blue_a"), m.formation("red_x")
    m.space.set_out(blue, "base", "mid", 2.0)
    m.space.set_out(red, "mid", "base", 2.0)
    blue.posture, red.posture = Posture.ADVANCE, red_posture
    m.adjudications = []
    return m


def road_fight(tmp_path: Path, red_posture: Posture) -> tuple[dict, SiegeModel]:
    """Blue's 1,000 marching from the base meet red's 100 on the base-mid road (red ``red_posture``); one fight."""
    m = road_fight_world(tmp_path, red_posture)
    engagements.fight(m)
    [fight] = m.adjudications
    return fight, m


@pytest.mark.parametrize(("red_posture", "kind", "attacker", "verb"), [
    (Posture.ADVANCE, "meeting", "blue", "met"),  # neither lies in wait: the scenario's attacker attacks
    (Posture.AMBUSH, "ambush", "red", "ambushed"),  # red lies in wait on the road: it attacks
])
def test_on_a_road_the_side_lying_in_wait_attacks_else_the_attacking_side_and_the_record_says_so(
        tmp_path: Path, red_posture: Posture, kind: str, attacker: str, verb: str) -> None:
    fight, m = road_fight(tmp_path, red_posture)
    blue, red = m.formation("blue_a"), m.formation("red_x")
    first, second = (blue, red) if attacker == "blue" else (red, blue)
    # morale 0.8 and full supply: 0.9 a man, no fires, no place's defence on a road; the first day's rates
    power = {blue: 900.0, red: 90.0}
    road = "the road base-mid" if attacker == "blue" else "the road mid-base"  # as the attacker goes
    assert (fight["kind"], fight["first_day"], fight["place"], fight["where"]) == (kind, True, "", road)
    assert (fight["attacker_side"], fight["defender_side"]) == (first.side, second.side)
    assert (fight["attacker_power"], fight["defender_power"]) == (power[first], power[second])
    assert fight["ratio"] == pytest.approx(power[first] / power[second], abs=1e-3)
    assert (fight["attacker_support"], fight["defence_multiplier"], fight["step_days"]) == (1.0, 1.0, 1.0)
    rates = combat.loss_rates(EngagementKind(kind), power[first], power[second], True, m.params)
    assert (fight["attacker_rate"], fight["defender_rate"]) == pytest.approx(rates, abs=1e-5)
    rows = fight["formations"]
    assert [(r["formation"], r["side"], r["role"]) for r in rows] == [
        (first.fid, first.side, "attacker"), (second.fid, second.side, "defender")]
    assert [(r["killed"], r["wounded"], r["morale_before"]) for r in rows] == [
        (first.killed, first.wounded, 0.8), (second.killed, second.wounded, 0.8)]
    assert [r["morale_after"] for r in rows] == pytest.approx([first.morale, second.morale], abs=1e-3)
    event = m.events[-1]
    assert f" {verb} " in event.text and (event.formation, event.other_side) == (first.fid, second.side)
    assert event.kind is (EventKind.AMBUSH if kind == "ambush" else EventKind.ENGAGEMENT)
    assert red.engaged_ambush is (kind == "ambush")  # a sprung ambush ends the raid


def test_the_record_gives_the_true_ratio_against_a_handful(tmp_path: Path) -> None:
    # blue's 1,000 (900) meet red's lone man (0.9, no ground to defend on a road): 1,000 to one
    m = road_fight_world(tmp_path, Posture.ADVANCE, 1000, 1)
    engagements.fight(m)
    [fight] = m.adjudications
    assert (fight["attacker_power"], fight["defender_power"], fight["ratio"]) == (900.0, 0.9, 1000.0)


def test_on_a_road_whoever_breaks_falls_back_and_the_other_marches_on(tmp_path: Path) -> None:
    breaks = Outcome(900.0, 90.0, 0.01, 0.2, (Hit(Losses(0, 1), 0.8, False),), (Hit(Losses(2, 8), 0.1, True),))
    with patch.object(combat, "resolve", return_value=breaks):
        _, m = road_fight(tmp_path, Posture.ADVANCE)
    assert m.formation("red_x").posture is Posture.RETREAT and m.formation("blue_a").posture is Posture.ADVANCE
    e = m.events[-1]
    assert said(m, EventKind.RETREAT) == [f"Red Army red_x broke on the road mid-base and retreated to town "
                                          f"({e.killed} killed, {e.wounded} wounded on the way)."]


# ---------------------------------------------------------------- the fight for a place, its record and its log


def place_fight(tmp_path: Path, formations: list[dict], holders: str = "red", **spec: Any) -> SiegeModel:
    """These formations (each starting on its side's own ground) stand in ``mid``, held by ``holders`` (red, blue
    or nobody; red holds the town and the depot, blue the base); every engagement's numbers are recorded."""
    red_holds = ("mid", "town", "depot") if holders == "red" else ("town", "depot")
    blue_holds = ("base", "mid") if holders == "blue" else ("base",)
    m = world(tmp_path, formations, blue_holds=blue_holds, red_holds=red_holds, **spec)
    for f in m.formations():
        m.space.put(f, "mid")
    m.adjudications = []
    return m


def blue(fid: str, men: int, **extra: Any) -> dict[str, Any]:
    return unit(fid, "blue_army", "base", {"axis": ["town"]}, men, **extra)


def red(fid: str, men: int, **extra: Any) -> dict[str, Any]:
    return unit(fid, "red_army", "depot", {"hold": "mid"}, men, **extra)


def test_the_engagement_record_gives_the_numbers_worked_from_the_parameters(tmp_path: Path) -> None:
    """Blue's 1,000 (morale 0.8: 0.9 a man) with artillery 0.1236 (support 1 + 0.1236 x 0.5 = 1.0618) assault
    mid, a village (1.5) at fortification 0.111 (x 1 + 0.111 x 0.5: defence 1.58325), held by red's 300 at morale
    0.7777 (0.88885 a man): 1,000 x 0.9 x 1.0618 = 955.62 against 300 x 0.88885 x 1.58325 = 422.18, ratio 2.2635.
    The record rounds powers to 0.1, the ratio, support, defence and morale to 0.001, and the rates (by
    combat.loss_rates: 0.0438683 and 0.0526576) to 0.00001."""
    m = place_fight(tmp_path, [blue("blue_a", 1000), red("red_m", 300, morale=0.7777)],
                    blue_fires={"artillery": 0.1236}, fortifications={"mid": 0.111})
    engagements.fight(m)
    [fight] = m.adjudications
    b, r = m.formation("blue_a"), m.formation("red_m")
    rates = combat.loss_rates(EngagementKind.ASSAULT, 955.62, 422.18152875, True, m.params)
    assert fight == {
        "index": 0, "day": 0.0, "date": "2020-01-01", "kind": "assault", "place": "mid", "where": "mid",
        "first_day": True, "attacker_side": "blue", "defender_side": "red",
        "attacker_power": 955.6, "defender_power": 422.2, "ratio": 2.264, "attacker_support": 1.062,
        "defence_multiplier": 1.583, "attacker_rate": round(rates[0], 5), "defender_rate": round(rates[1], 5),
        "step_days": 1.0,
        "formations": [
            {"formation": "blue_a", "label": "Blue Army blue_a", "side": "blue", "role": "attacker",
             "personnel": 1000, "power": 955.6, "morale_before": 0.8, "morale_after": round(b.morale, 3),
             "killed": b.killed, "wounded": b.wounded},
            {"formation": "red_m", "label": "Red Army red_m", "side": "red", "role": "defender",
             "personnel": 300, "power": 422.2, "morale_before": 0.778, "morale_after": round(r.morale, 3),
             "killed": r.killed, "wounded": r.wounded}]}


@pytest.mark.parametrize(("holders", "kind", "attacker", "defender", "defence", "words"), [
    ("red", "assault", "blue_a", "red_m", 1.5, "assaulted mid held by"),  # its holders defend it: a village's 1.5
    ("blue", "assault", "red_m", "blue_a", 1.5, "assaulted mid held by"),  # the attacking side's ground: red attacks
    ("nobody", "meeting", "blue_a", "red_m", 1.0, "fought mid with"),  # neither's: the defending side, on open ground
])
def test_a_place_is_defended_by_its_holders_and_a_place_nobody_holds_by_the_defending_side(
        tmp_path: Path, holders: str, kind: str, attacker: str, defender: str, defence: float, words: str) -> None:
    m = place_fight(tmp_path, [blue("blue_a", 1000), red("red_m", 300)], holders)
    engagements.fight(m)
    [fight] = m.adjudications
    a, d = m.formation(attacker), m.formation(defender)
    (ak, aw), (dk, dw) = [(r["killed"], r["wounded"]) for r in fight["formations"]]  # (before any retreat's)
    assert (fight["kind"], fight["attacker_side"], fight["defender_side"]) == (kind, a.side, d.side)
    assert [r["formation"] for r in fight["formations"]] == [attacker, defender]
    assert fight["defence_multiplier"] == defence
    event = next(e for e in m.events if e.kind is EventKind.ENGAGEMENT)
    assert event.text == (f"1 January 2020: {a.label} {words} {d.label}: attackers lost {ak} killed, {aw} wounded; "
                          f"defenders lost {dk} killed, {dw} wounded.")
    assert (event.place, event.side, event.formation, event.other_side) == ("mid", a.side, attacker, d.side)
    assert (event.killed, event.wounded, event.enemy_killed, event.enemy_wounded) == (ak, aw, dk, dw)
    assert ak + aw > 0 and dk + dw > 0 and (ak, aw) != (dk, dw)  # (each side's losses its own)


def test_a_fight_for_a_place_keeps_the_day_it_began_and_tallies_every_days_losses(tmp_path: Path) -> None:
    """Blue assaults red's mid on days 2 and 3, losing 1 killed and 3 wounded a day to red's 2 and 5 (fixed), and
    neither breaks: the fight began on day 2 (its first day's rates that day only), and its tally is [1, 3, 2, 5]
    after the first day and [2, 6, 4, 10] after the second."""
    m = place_fight(tmp_path, [blue("blue_a", 1000), red("red_m", 300)])
    day = Outcome(900.0, 405.0, 0.01, 0.02, (Hit(Losses(1, 3), 0.8, False),), (Hit(Losses(2, 5), 0.8, False),))
    tallies = []
    with patch.object(combat, "resolve", return_value=day):
        for day in (2.0, 3.0):
            m.day = day
            engagements.fight(m)
            tallies.append(list(m.fight_losses["mid"]))
    assert tallies == [[1, 3, 2, 5], [2, 6, 4, 10]]
    assert (m.assault_start, m.first_assault, set(m.fight_losses)) == ({"mid": 2.0}, {"mid": 2.0}, {"mid"})
    assert [f["first_day"] for f in m.adjudications] == [True, False]
    fights = [e for e in m.events if e.kind is EventKind.ENGAGEMENT]
    assert [(e.place, e.formation, e.other_side, e.killed, e.wounded, e.enemy_killed, e.enemy_wounded)
            for e in fights] == [("mid", "blue_a", "red", 1, 3, 2, 5)] * 2


def test_the_log_names_the_two_biggest_formations_of_a_side_and_counts_the_rest(tmp_path: Path) -> None:
    # blue's 300, 300 and 500 against red's 200 and 100: the biggest first, equals by id
    m = place_fight(tmp_path, [blue("blue_b", 300), blue("blue_a", 300), blue("blue_c", 500),
                               red("red_small", 100), red("red_big", 200)])
    engagements.fight(m)
    e = next(e for e in m.events if e.kind is EventKind.ENGAGEMENT)
    assert e.text == ("1 January 2020: Blue Army blue_c, Blue Army blue_a and 1 more assaulted mid held by "
                      f"Red Army red_big and Red Army red_small: attackers lost {e.killed} killed, {e.wounded} "
                      f"wounded; defenders lost {e.enemy_killed} killed, {e.enemy_wounded} wounded.")


@pytest.mark.parametrize(("holders", "prisoners"), [("red", 6), ("nobody", 0)])
def test_the_broken_fall_back_and_only_the_defenders_of_their_own_ground_leave_the_days_wounded(
        tmp_path: Path, holders: str, prisoners: int) -> None:
    """Red's 300 break (2 killed, 6 wounded) and fall back to the town, no loss on the way: from its own mid,
    overrun by blue, it leaves the day's 6 wounded to be captured; from a meeting in a place nobody held it carries
    them away."""
    m = place_fight(tmp_path, [blue("blue_a", 1000), red("red_m", 300)], holders, parameters={"retreat_loss": 0.0})
    breaks = Outcome(900.0, 270.0, 0.01, 0.1, (Hit(Losses(0, 3), 0.8, False),), (Hit(Losses(2, 6), 0.2, True),))
    with patch.object(combat, "resolve", return_value=breaks):
        engagements.fight(m)
    r = m.formation("red_m")
    assert said(m, EventKind.RETREAT) == [
        "Red Army red_m broke and fell back from mid and retreated to town (0 killed, 0 wounded on the way)."]
    assert (r.wounded, r.captured) == (6 - prisoners, prisoners)
    assert len(said(m, EventKind.PRISONERS)) == (1 if prisoners else 0)


@pytest.mark.parametrize("where", ["road", "place"])
def test_after_a_costly_day_an_attacker_calls_off_in_a_place_but_marches_on_along_a_road(
        tmp_path: Path, where: str) -> None:
    """Blue's 100 against red's 1,000; everyone loses 10 wounded today (fixed): blue's tenth (pause_loss 0.08)
    leaves its morale at 0.8 - 3 x 0.1 = 0.5, unbroken (morale_break 0.3). In a place it calls off its assault
    (and loses 10 more wounded falling back); on a road only the broken fall back."""
    if where == "road":
        m = road_fight_world(tmp_path, Posture.ADVANCE, 100, 1000)
    else:
        m = place_fight(tmp_path, [blue("blue_a", 100), red("red_x", 1000)])
    with patch.object(combat, "draw_losses", return_value=Losses(0, 10)):
        engagements.fight(m)
    b = m.formation("blue_a")
    assert b.morale == pytest.approx(0.5)
    if where == "road":
        assert b.posture is Posture.ADVANCE and b.edge == ("base", "mid") and not said(m, EventKind.RETREAT)
    else:
        assert said(m, EventKind.RETREAT) == [
            "Blue Army blue_a called off its assault on mid and retreated to base (0 killed, 10 wounded on the way)."]

"""The run metrics of sim/records.py on hand-made daily rows and capture lists: fall day, first capture, changes
of hands, battle days, sustained encirclement of the defender-held objective, cut episodes, unopposed captures."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from analysis.scores import censored_fall_day, scenario_scores
from sim.records import cut_spells, encirclement_day, objective_fall_day, objective_metrics, objective_share_column

TOWN = "town"


def rows(states: str) -> list[dict[str, Any]]:
    """Daily rows from a string, one letter a day: 'o' defender holds the town, supplied; 'c' defender holds it,
    cut off; 'p' defender holds part of it, cut off; 'a' the attacker holds it all (so no supply path reaches the
    defender's objective)."""
    share = {"o": 1.0, "c": 1.0, "p": 0.4, "a": 0.0}
    return [{"day": float(day), "objective_supplied": int(s == "o"), objective_share_column("def"): share[s]}
            for day, s in enumerate(states)]


def test_a_capture_is_not_a_cut() -> None:
    spells = cut_spells(rows("oooaaaaaa"), "def")
    assert spells == []
    assert encirclement_day(spells, 3.0) is None


def test_a_short_cut_is_not_an_encirclement_but_a_sustained_one_is() -> None:
    spells = cut_spells(rows("oocoooccccoo"), "def")
    assert spells == [(2.0, 3.0, True), (6.0, 10.0, True)]
    assert encirclement_day(spells, 3.0) == 6.0
    assert encirclement_day(spells, 1.0) == 2.0  # the parameter decides: a one-day cut counts at 1 day


def test_a_cut_that_ends_in_the_fall_counts_by_its_length_and_is_not_a_reconnection() -> None:
    spells = cut_spells(rows("ooccccaaa"), "def")
    assert spells == [(2.0, 6.0, False)]
    assert encirclement_day(spells, 3.0) == 2.0
    assert encirclement_day(cut_spells(rows("oooccaaa"), "def"), 3.0) is None  # stormed two days after


def test_the_cut_of_the_part_of_the_town_the_defender_still_holds_is_a_cut() -> None:
    assert cut_spells(rows("oocpppaa"), "def") == [(2.0, 6.0, False)]  # partly taken, still cut: one spell


def test_a_cut_running_to_the_end_lasts_one_step_past_the_last_row() -> None:
    assert cut_spells(rows("ooocc"), "def") == [(3.0, 5.0, False)]


def model(captures: list[tuple[float, str, bool]], first_fight: float | None = None,
          sectors: tuple[str, ...] = (TOWN,)) -> SimpleNamespace:
    """What objective_metrics reads of a model: the objective town's sectors, the sides, the captures (of the
    first sector unless a capture names one), the first fights."""
    return SimpleNamespace(objective=TOWN, attacker="att", defender="def",
                           space=SimpleNamespace(objective_sectors=sectors),
                           initially_held={"att": frozenset(), "def": frozenset(sectors)},
                           captures=[{"place": TOWN, "day": d, "by": by, "opposed": fought} for d, by, fought
                                     in captures],
                           first_assault={} if first_fight is None else {TOWN: first_fight})


def test_a_town_taken_retaken_and_taken_again_changed_hands_three_times() -> None:
    m = model([(40.0, "att", False), (44.0, "def", True), (60.0, "att", True)], first_fight=42.0)
    metrics = objective_metrics(m, fall=60.0)
    assert metrics == {"objective_first_capture_day": 40.0, "objective_changes_of_hands": 3,
                       "objective_sector_changes": 3, "objective_first_sector_day": 40.0,
                       "objective_battle_days": 20.0,  # from the first capture (before the first fight) to the fall
                       "objective_share_path": [[0.0, 0.0], [40.0, 1.0], [44.0, 0.0], [60.0, 1.0]]}
    assert objective_fall_day(m) == 60.0


def test_the_battle_runs_from_the_first_fight_to_the_fall_and_has_no_length_if_it_never_fell() -> None:
    m = model([(62.0, "att", True)], first_fight=45.0)
    assert objective_metrics(m, fall=62.0)["objective_battle_days"] == 17.0
    never = objective_metrics(model([], first_fight=45.0), fall=None)
    assert (never["objective_first_capture_day"], never["objective_changes_of_hands"],
            never["objective_battle_days"]) == (None, 0, None)


def test_a_town_of_sectors_falls_when_the_attacker_holds_all_of_them_and_changes_hands_once() -> None:
    m = model([], first_fight=45.0, sectors=(TOWN, "north", "south"))
    m.captures = [{"place": p, "day": d, "by": by, "opposed": True}
                  for d, p, by in ((45.0, "south", "att"), (50.0, TOWN, "att"), (52.0, "south", "def"),
                                   (55.0, "south", "att"), (62.0, "north", "att"))]
    fall = objective_fall_day(m)
    assert fall == 62.0  # not 50, when the centre fell, nor 55: the north was still held
    metrics = objective_metrics(m, fall)
    assert metrics["objective_share_path"] == [[0.0, 0.0], [45.0, 0.333333], [50.0, 0.666667], [52.0, 0.333333],
                                               [55.0, 0.666667], [62.0, 1.0]]
    assert (metrics["objective_first_capture_day"], metrics["objective_changes_of_hands"],
            metrics["objective_sector_changes"], metrics["objective_first_sector_day"],
            metrics["objective_battle_days"]) == (62.0, 1, 5, 45.0, 17.0)
    m.captures.append({"place": "north", "day": 64.0, "by": "def", "opposed": True})
    assert objective_fall_day(m) is None  # the defender is back in the north at the end: not fallen


def summary(fall: float | None, unopposed: int, captures: int) -> dict[str, Any]:
    return {"title": "t", "days": 65.0, "objective_fall_day": fall, "objective_first_capture_day": fall,
            "objective_changes_of_hands": int(fall is not None),
            "objective_battle_days": None if fall is None else 10.0, "encirclement_day": None, "cut_episodes": 0,
            "supply_auc": 0.5, "interdiction": {"efficiency": 1.0}, "casualties_by_side": {},
            "captures_unopposed": unopposed, "captures": [{}] * captures}


def test_the_fall_day_is_reported_over_the_runs_that_fell_and_censored_over_all() -> None:
    runs = [summary(50.0, 1, 4), summary(None, 0, 2), summary(None, 3, 4)]
    assert [censored_fall_day(s) for s in runs] == [50.0, 66.0, 66.0]
    row = scenario_scores("x", runs)
    assert (row["fall_day_median"], row["fall_share"]) == (50.0, pytest.approx(1 / 3))
    assert row["fall_day_censored_median"] == 66.0  # most runs held: the censored median says so
    assert row["captures_unopposed_share"] == pytest.approx(4 / 10)
    assert row["battle_days_median"] == 10.0

"""The Mesa model (sim/model.py) run end to end: invariants after every step, determinism, the event log, and
the historical scenario's acceptance criteria over 20 seeds."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.agents import Formation
from sim.events import EventKind, format_date
from sim.model import SiegeModel
from sim.records import RunRecord, control_column
from sim.scenario import Scenario, load_scenario
from sim.simulation import simulate
from sim.states import Posture, Status

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SENTENCE = re.compile(rf"^(\d{{1,2}} (?:{MONTHS}) \d{{4}}): [A-Za-z0-9].*\.$")


# ---------------------------------------------------------------- invariants, checked after every step


def check_locations(m: SiegeModel) -> None:
    """Active formations stand at a real place XOR on a real road, and appear in the indexes exactly once."""
    seen: Counter[int] = Counter()
    for place, fs in m.space.at_place.items():
        for f in fs:
            seen[id(f)] += 1
            assert f.place == place and f.edge is None, f"{f.fid} indexed at {place} but is at {f.place}/{f.edge}"
    for road, fs in m.space.on_road.items():
        for f in fs:
            seen[id(f)] += 1
            assert f.edge is not None and frozenset(f.edge) == road, f"{f.fid} indexed on {set(road)}"
    for f in m.formations():
        if f.active:
            assert (f.place is None) != (f.edge is None), f"{f.fid}: place {f.place}, edge {f.edge}"
            if f.place is not None:
                assert f.place in m.graph
            else:
                assert m.graph.has_edge(*f.edge), f"{f.fid} on a road that does not exist: {f.edge}"
                assert f.km_done >= 0
            assert seen[id(f)] == 1, f"{f.fid} appears {seen[id(f)]} times in at_place/on_road"
        else:
            assert seen[id(f)] == 0, f"inactive {f.fid} ({f.status}) still in an occupancy index"
            assert f.place is None and f.edge is None


def check_strength_and_levels(m: SiegeModel) -> None:
    for f in m.formations():
        assert f.personnel >= 0 and f.tanks >= 0, f.fid
        assert f.killed >= 0 and f.wounded >= 0 and f.captured >= 0, f.fid
        assert 0 <= f.trapped_wounded <= f.wounded, f.fid  # the wounded it carries are among its wounded
        assert 0.0 <= f.morale <= 1.0, (f.fid, f.morale)
        assert 0.0 <= f.supply <= 1.0, (f.fid, f.supply)
        if f.status in (Status.DESTROYED, Status.SURRENDERED):
            assert f.personnel == 0
        if f.status is Status.PENDING:
            assert f.killed == f.wounded == f.captured == 0


def check_conservation(m: SiegeModel) -> None:
    """Per faction: initial + arrived == present + killed + wounded + captured."""
    for faction in m.spec.factions:
        fs = [f for f in m.formations() if f.faction == faction]
        present = sum(f.personnel for f in fs if f.active)
        gone = sum(f.killed + f.wounded + f.captured for f in fs)
        assert m.initial_personnel[faction] + m.arrived_personnel[faction] == present + gone, faction


def check_control_changes(m: SiegeModel, before: dict[str, str | None], events_before: int) -> None:
    """Control changes only through the day's logged captures, and each capture leaves its side in control."""
    captures = [e for e in m.events[events_before:] if e.kind is EventKind.CAPTURE]
    changed = {p for p in m.places if m.control[p] != before[p]}
    assert changed == {e.place for e in captures}
    for e in captures:
        assert e.day == m.day
        assert m.control[e.place] == e.side
        assert before[e.place] != e.side
    assert set(m.control.values()) <= {None, *m.spec.sides}


def run_checked(scenario: Scenario, seed: int) -> SiegeModel:
    m = SiegeModel(scenario, rng=seed)
    check_locations(m)
    check_conservation(m)
    while m.running:
        before, n_events = dict(m.control), len(m.events)
        m.step()
        check_locations(m)
        check_strength_and_levels(m)
        check_conservation(m)
        check_control_changes(m, before, n_events)
    return m


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_historical_invariants_hold_after_every_step(historical: Scenario, seed: int) -> None:
    m = run_checked(historical, seed)
    assert m.day == historical.days


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_tiny_invariants_hold_after_every_step(tiny: Scenario, seed: int) -> None:
    m = run_checked(tiny, seed)
    assert m.day == tiny.days


def test_the_campaign_runs_one_step_a_day_to_the_end_date(historical_runs: dict[int, RunRecord],
                                                           historical: Scenario) -> None:
    rows = historical_runs[0].timeseries
    assert [r["day"] for r in rows] == [float(d) for d in range(66)]
    assert rows[0]["date"] == "2013-04-04" and rows[-1]["date"] == "2013-06-08"


def test_casualty_totals_match_the_event_log(historical_runs: dict[int, RunRecord]) -> None:
    """Every man killed or wounded is in some event's losses (engagements, ambushes, bombardments, retreats)."""
    for record in list(historical_runs.values())[:5]:
        casualties = record.summary["casualties"]
        for side in ("government", "rebels"):
            killed = sum(c["killed"] for c in casualties.values() if c["side"] == side)
            wounded = sum(c["wounded"] for c in casualties.values() if c["side"] == side)
            logged_k = sum(e.killed for e in record.events if e.side == side and e.kind is not EventKind.CAPTURE)
            logged_k += sum(e.enemy_killed for e in record.events if e.other_side == side
                            and e.kind in (EventKind.ENGAGEMENT, EventKind.AMBUSH, EventKind.BOMBARDMENT))
            logged_w = sum(e.wounded for e in record.events if e.side == side and e.kind is not EventKind.CAPTURE)
            logged_w += sum(e.enemy_wounded for e in record.events if e.other_side == side
                            and e.kind in (EventKind.ENGAGEMENT, EventKind.AMBUSH, EventKind.BOMBARDMENT))
            assert (killed, wounded) == (logged_k, logged_w), side


# ---------------------------------------------------------------- determinism


def test_same_seed_same_run(historical: Scenario, historical_runs: dict[int, RunRecord]) -> None:
    again = simulate(historical, 7)
    first = historical_runs[7]
    assert again.summary == first.summary
    assert again.events == first.events
    assert again.timeseries == first.timeseries


def test_same_seed_same_run_on_a_freshly_loaded_scenario(historical_path: Path,
                                                         historical_runs: dict[int, RunRecord]) -> None:
    again = simulate(load_scenario(historical_path), 3)
    assert again.events == historical_runs[3].events
    assert again.summary == historical_runs[3].summary


def test_different_seeds_give_different_runs(historical_runs: dict[int, RunRecord]) -> None:
    logs = {tuple(e.text for e in r.events) for r in historical_runs.values()}
    assert len(logs) == len(historical_runs)
    assert historical_runs[0].summary["casualties"] != historical_runs[1].summary["casualties"]


# ---------------------------------------------------------------- the historical acceptance criteria


def first_held_by(record: RunRecord, place: str, side: str) -> float | None:
    return next((row["day"] for row in record.timeseries if row[f"control.{place}"] == side), None)


def test_al_qusayr_falls_in_most_runs_and_never_before_day_30(historical: Scenario,
                                                             historical_runs: dict[int, RunRecord]) -> None:
    falls = [r.summary["objective_fall_day"] for r in historical_runs.values()]
    assert sum(day is not None for day in falls) >= 8, falls  # a battle of 16-22 days for the town's quarters
    for seed, record in historical_runs.items():
        first = first_held_by(record, "al_qusayr", "government")
        assert first is None or first >= 30, f"seed {seed}: al-Qusayr taken on day {first}"
        fall = record.summary["objective_fall_day"]
        assert fall is None or fall >= 30
        if fall is not None:  # the attacker holds all of it at the end, and the day is the last capture of a quarter
            assert record.timeseries[-1]["objective_held.government"] == 1.0
            quarters = historical.graph.graph["towns"]["al_qusayr"]
            last = [c["day"] for c in record.summary["captures"] if c["place"] in quarters]
            assert last[-1] == fall


def test_an_ambush_at_the_orontes_crossing_in_some_runs(historical: Scenario,
                                                        historical_runs: dict[int, RunRecord]) -> None:
    # the farouq_raiders' raid orders: the Orontes crossing between Hawsh al-Sayyid Ali and Rablah
    raider = next(f for f in historical.spec.formations if f.id == "farouq_raiders")
    a, b = (historical.graph.nodes[p]["name"] for p in raider.orders.raid.road)
    assert historical.graph.edges[raider.orders.raid.road]["road_class"] == "river_crossing"
    ambushes = [e for r in historical_runs.values() for e in r.events if e.kind is EventKind.AMBUSH]
    at_crossing = [e for e in ambushes if e.side == "rebels" and (f"{a}-{b}" in e.text or f"{b}-{a}" in e.text)]
    assert at_crossing, f"no ambush on the road {a}-{b} in 20 seeds ({len(ambushes)} ambushes anywhere)"


def test_the_rebels_counterattack_ground_they_lost_in_some_runs(historical: Scenario,
                                                                historical_runs: dict[int, RunRecord]) -> None:
    """The record has the rebels retaking Abil (11 May, lost again the next day) and claiming Abu Huri and al-Mouh
    back (22 April): the defender's local counterattacks on its lost villages happen in some runs (none of them
    succeeds in these 20 seeds: the village garrisons outgun the posts next door)."""
    held_at_start = set(historical.spec.sides["rebels"].holds)
    counterattacks = [e for r in historical_runs.values() for e in r.events
                      if e.kind is EventKind.ENGAGEMENT and e.side == "rebels" and e.place in held_at_start
                      and " assaulted " in e.text]
    assert counterattacks, "no rebel counterattack on a lost place in 20 seeds"


@pytest.mark.parametrize("path", ["historical.yaml", "kobani/kobani.yaml"])
def test_reserves_do_not_walk_back_and_forth(path: str) -> None:
    """A regression net over whole runs (the rule's own test, on a tiny world, is in test_doctrine.py): over seeds
    1-3 no reserve is back, on more than a tenth of its days, where it stood two days before after a day
    elsewhere. Before reserves weighed each place with themselves in it, the rebels' eastern battalions were on
    about half their days."""
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / path)
    reserves = {f.id for f in scenario.spec.formations if f.orders.reserve}
    assert reserves
    for seed in (1, 2, 3):
        m = SiegeModel(scenario, rng=seed)
        trail: dict[str, list[str | None]] = {fid: [] for fid in reserves}
        while m.running:
            m.step()
            for fid in reserves:
                trail[fid].append(m.formation(fid).place)
        for fid, places in trail.items():
            back = sum(1 for a, b, c in zip(places, places[1:], places[2:], strict=False) if a and b and a == c != b)
            assert back <= len(places) / 10, (path, seed, fid, back, places)


# ---------------------------------------------------------------- the event log


def test_events_are_dated_plain_sentences(historical: Scenario, historical_runs: dict[int, RunRecord]) -> None:
    start = historical.spec.start_date
    for record in list(historical_runs.values())[:5]:
        days = [e.day for e in record.events]
        assert days == sorted(days)
        for e in record.events:
            match = SENTENCE.match(e.text)
            assert match, e.text
            date = start + dt.timedelta(days=e.day)
            assert match.group(1) == format_date(date), e.text
            assert e.date == date.isoformat()
            assert "\n" not in e.text and "None" not in e.text and "{" not in e.text


def test_the_date_format_of_the_article() -> None:
    assert format_date(dt.date(2013, 5, 12)) == "12 May 2013"
    assert format_date(dt.date(2013, 6, 5)) == "5 June 2013"


@pytest.mark.parametrize("which", ["historical", "tiny"])
def test_arrivals_happen_on_their_arrival_day(which: str, historical: Scenario, tiny: Scenario,
                                             historical_runs: dict[int, RunRecord]) -> None:
    scenario = historical if which == "historical" else tiny
    record = historical_runs[0] if which == "historical" else simulate(tiny, 0)
    arrivals = [e for e in record.events if e.kind is EventKind.ARRIVAL]
    late = {f.id: f for f in scenario.spec.formations if f.arrival_day > 0}
    assert late, "the scenario has late arrivals to check"
    assert sorted(e.formation for e in arrivals) == sorted(late)
    for e in arrivals:
        spec = late[e.formation]
        date = scenario.spec.start_date + dt.timedelta(days=spec.arrival_day)
        assert e.day == spec.arrival_day
        assert e.date == date.isoformat()
        assert e.text.startswith(f"{format_date(date)}: ")
        assert f"{spec.personnel:,} men" in e.text
        if e.place != spec.at:  # its place was the enemy's: it arrived at the nearest of its side's own
            that_day = next(r for r in record.timeseries if r["day"] == spec.arrival_day)
            assert that_day[control_column(e.place)] == e.side != that_day[control_column(spec.at)]
    # and the arrived men are counted, once
    for faction in scenario.spec.factions:
        arrived = sum(f.personnel for f in late.values() if f.faction == faction)
        assert record.summary["personnel"][faction]["arrived"] == arrived


def test_formations_are_absent_until_they_arrive(tiny: Scenario) -> None:
    m = SiegeModel(tiny, rng=0)
    rifles = next(f for f in m.formations() if f.fid == "blue_rifles")  # arrival_day 3
    states = []
    while m.day < 4:
        m.step()
        states.append((m.day, rifles.status, rifles.place))
    assert states[:2] == [(1.0, Status.PENDING, None), (2.0, Status.PENDING, None)]
    assert states[2][1] is Status.ACTIVE  # arrived at the end of day 3 (logged on day 3)
    assert m.initial_personnel["blue_army"] == 1200
    assert m.arrived_personnel["blue_army"] == 900


# ---------------------------------------------------------------- the tiny theatre: a foreign map works


def test_the_tiny_campaign_plays_out(tiny: Scenario) -> None:
    record = simulate(tiny, 1)
    kinds = Counter(e.kind for e in record.events)
    assert kinds[EventKind.ARRIVAL] == 1
    assert kinds[EventKind.CAPTURE] >= 1
    assert kinds[EventKind.ENGAGEMENT] >= 1
    assert record.summary["scenario"] == "tiny"
    assert record.summary["start_date"] == "2020-03-01"
    assert [r["day"] for r in record.timeseries] == [float(d) for d in range(31)]
    assert {c["by"] for c in record.summary["captures"]} <= {"blue", "red"}
    # Blue takes the unheld ridge on its way, over a road and a highway it can march in a day
    assert record.summary["captures"][0]["place"] == "ridge"


def raid_scenario(write_scenario: Callable[..., Path]) -> Scenario:
    """The tiny theatre with the Red bands raiding the harbour road (Blue's only way in) from day 0 to day 10."""
    return load_scenario(write_scenario({"extends": "tiny.yaml", "formations": [
        {"id": "red_bands", "orders": {"reserve": None, "raid": {
            "road": ["harbour", "crossroads"], "from_day": 0, "until_day": 10, "base": "ford"}}}]}, "raid.yaml"))


def test_a_raider_lies_in_wait_on_its_road(write_scenario: Callable[..., Path]) -> None:
    scenario = raid_scenario(write_scenario)
    waiting: list[tuple[int, float]] = []
    for seed in range(3):
        m = SiegeModel(scenario, rng=seed)
        bands = next(f for f in m.formations() if f.fid == "red_bands")
        while m.day < 10:
            m.step()
            if (bands.edge is not None and frozenset(bands.edge) == {"harbour", "crossroads"}
                    and bands.posture is Posture.AMBUSH):
                waiting.append((seed, m.day))
    assert waiting


def test_a_raid_takes_no_ground(write_scenario: Callable[..., Path]) -> None:
    """While its orders are a raid (to day 10, or until it is back at base after springing its ambush) the party
    slips through places and takes none of them."""
    scenario = raid_scenario(write_scenario)
    for seed in range(3):
        m = SiegeModel(scenario, rng=seed)
        bands = next(f for f in m.formations() if f.fid == "red_bands")
        raiding_days = set()
        while m.day < 10:
            m.step()
            if bands.order_kind == "raid":
                raiding_days.add(m.day)
        assert raiding_days
        assert not [e.text for e in m.events
                    if e.kind is EventKind.CAPTURE and e.formation == "red_bands" and e.day in raiding_days]


def test_formation_is_a_mesa_agent_of_the_model(tiny: Scenario) -> None:
    m = SiegeModel(tiny, rng=0)
    assert len(m.formations()) == 4
    assert all(isinstance(f, Formation) and f.model is m for f in m.formations())
    assert {f.fid for f in m.formations() if f.active} == {"blue_tanks", "red_garrison", "red_bands"}
    # the scenario's holds and the places of the formations standing at day 0 set the first control
    assert m.control == {"harbour": "blue", "crossroads": "blue", "ridge": None, "ford": "red", "oldtown": "red",
                         "depot": "red"}

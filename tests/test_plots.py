"""The pictures show what the records say: progress plot data, map colours and markers, animation frames, and the
scenario comparison's boxes, each checked against the run or batch it was drawn from."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from analysis.animation import render_frames, write_animation
from analysis.distributions import distribution_figure, scenario_order
from analysis.narrative import historical_timeline, place_impact, turning_points
from analysis.palette import NOBODY, faction_colours, png_bytes, side_colours
from analysis.progress import progress_figure
from analysis.replay import replay, state_at
from analysis.theatre_map import map_figure
from sim.records import held_column
from sim.scenario import Scenario
from sim.simulation import simulate

SEED = 3


@pytest.fixture(scope="module")
def run(historical: Scenario):
    return simulate(historical, SEED)


@pytest.fixture(scope="module")
def series(run) -> pd.DataFrame:
    return pd.DataFrame(run.timeseries)


def _line(fig, gid: str):
    found = [line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _collection(fig, gid: str):
    return next(c for ax in fig.axes for c in ax.collections if c.get_gid() == gid)


# ---------------------------------------------------------------- progress


def test_progress_plot_draws_the_runs_timeseries(historical, run, series):
    fig = progress_figure(series, historical.spec, [run.summary], historical_timeline())
    start = historical.spec.start_date
    supply = _line(fig, "supply_flow_share")
    assert list(supply.get_xdata()) == [start + dt.timedelta(days=d) for d in series["day"]]
    np.testing.assert_allclose(supply.get_ydata(), series["supply_flow_share"])
    np.testing.assert_allclose(_line(fig, "isolation_share").get_ydata(), series["isolation_share"])
    for side in historical.spec.sides:
        np.testing.assert_allclose(_line(fig, held_column(side)).get_ydata(), series[held_column(side)])
    marks = {line.get_label(): line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_gid() is None}
    for label, key in (("supply cut", "encirclement_day"), ("town falls", "objective_fall_day")):
        day = run.summary[key]
        assert marks.get(label) == (None if day is None else start + dt.timedelta(days=day)), label
    assert run.summary["encirclement_day"] is not None  # the historical run is cut off: a mark was checked
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_plot_marks_the_historical_captures(historical, run, series):
    timeline = historical_timeline()
    fig = progress_figure(series, historical.spec, [run.summary], timeline)
    expected = sorted(timeline.loc[(timeline["kind"] == "capture") & (timeline["side"] == "government"), "date"])
    assert sorted(_line(fig, "history_captures").get_xdata()) == expected
    assert expected[-1] == dt.date(2013, 6, 8)  # the last capture of the article is on the axis


def test_progress_plot_of_replicates_draws_the_median_and_two_bands(historical):
    runs = [simulate(historical, seed) for seed in range(5)]
    series = pd.concat([pd.DataFrame(r.timeseries).assign(replicate=i) for i, r in enumerate(runs)])
    fig = progress_figure(series, historical.spec, [r.summary for r in runs])
    median = series.groupby("day")["supply_flow_share"].median()
    np.testing.assert_allclose(_line(fig, "supply_flow_share").get_ydata(), median)
    bands = [c for c in fig.axes[0].collections if c.get_label().startswith("_")]
    assert len(bands) == 4  # 50% and 90% bands of the flow and of the isolation share
    cut = np.median([r.summary["encirclement_day"] for r in runs])
    assert "median supply cut" in [line.get_label() for line in fig.axes[0].get_lines()]
    assert historical.spec.start_date + dt.timedelta(days=cut) in [
        line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_label() == "median supply cut"]


# ---------------------------------------------------------------- replay and map


def test_replay_reproduces_the_runs_control_every_day(historical, series):
    places = list(historical.graph.nodes)
    for state, (_, row) in zip(replay(historical, SEED), series.iterrows(), strict=True):
        assert state.day == row["day"]
        assert {p: state.control[p] or "" for p in places} == {p: row[f"control.{p}"] for p in places}
        assert state.connected == bool(row["supply_connected"])


@pytest.mark.parametrize("day", [12, 40])
def test_map_colours_places_by_the_runs_control_that_day(historical, series, day):
    state = state_at(historical, SEED, day)
    fig = map_figure(historical, state)
    dots = _collection(fig, "places")
    colours = side_colours(historical.spec)
    row = series.set_index("day").loc[day]
    positions = {tuple(np.round(historical.graph.nodes[p]["pos"], 6)): p for p in historical.graph}
    seen = set()
    for xy, face in zip(dots.get_offsets(), dots.get_facecolors(), strict=True):
        place = positions[tuple(np.round(xy, 6))]
        holder = row[f"control.{place}"]
        assert tuple(face) == to_rgba(colours[holder] if holder else NOBODY), place
        seen.add(place)
    assert seen == set(historical.graph)
    assert f"(day {day})" in fig.axes[0].get_title(loc="left")


def test_map_draws_every_active_formation_sized_by_strength(historical):
    state = state_at(historical, SEED, 30)
    fig = map_figure(historical, state)
    units = _collection(fig, "formations")
    assert len(units.get_offsets()) == len(state.formations) > 10
    sizes = units.get_sizes()
    strengths = sorted((f.personnel for f in state.formations), reverse=True)
    assert np.all(np.diff(sizes) <= 0) and sizes[0] > sizes[-1]  # biggest first, biggest drawn biggest
    assert strengths[0] > strengths[-1]
    factions = faction_colours(historical.spec)
    assert {tuple(c) for c in units.get_facecolors()} == {to_rgba(factions[f.faction]) for f in state.formations}


def test_map_highlights_supply_roads_and_the_minimum_cut(historical, series):
    before = state_at(historical, SEED, 5)
    assert before.connected and before.supply_roads and before.min_cut
    fig = map_figure(historical, before)
    cut = _collection(fig, "min_cut").get_segments()
    pos = {p: historical.graph.nodes[p]["pos"] for p in historical.graph}
    assert len(cut) == len(before.min_cut)
    assert all(historical.graph.has_edge(a, b) for a, b in before.min_cut)
    for segment, (a, b) in zip(cut, before.min_cut, strict=True):
        np.testing.assert_allclose(segment, [pos[a], pos[b]])
    assert len(_collection(fig, "supply_roads").get_segments()) == len(before.supply_roads)
    cut_day = series.loc[series["supply_connected"] == 0, "day"].iloc[0]
    after = state_at(historical, SEED, cut_day)
    assert not after.connected and after.supply_roads == [] and after.min_cut == []
    assert "supply cut" in map_figure(historical, after).axes[0].get_title(loc="left")


def test_supply_roads_reach_the_objective_through_supplied_places(historical):
    state = state_at(historical, SEED, 5)
    objective = historical.spec.objective
    touched = {p for edge in state.supply_roads for p in edge}
    assert objective in touched and touched <= state.supplied
    assert all(state.control[p] != historical.attacker for p in touched)


# ---------------------------------------------------------------- animation


def test_animation_has_one_frame_per_day_and_shows_the_changes(tiny, tmp_path):
    written = write_animation(tiny, 2, tmp_path / "campaign.gif")
    assert written[0] == tmp_path / "campaign.gif"
    gif = Image.open(written[0])
    assert gif.n_frames == tiny.days + 1
    frames = render_frames(tiny, 2)
    assert len(frames) == tiny.days + 1
    states = list(replay(tiny, 2))
    changed = next(i for i in range(1, len(states)) if states[i].control != states[i - 1].control)
    assert not np.array_equal(frames[changed - 1], frames[changed])
    assert frames[0].shape == frames[-1].shape


# ---------------------------------------------------------------- scenario comparison


def test_comparison_boxes_span_each_scenarios_quartiles(historical):
    rows = []
    for name, seeds in (("historical", range(4)), ("other", range(10, 16))):
        for seed in seeds:
            s = simulate(historical, seed).summary
            rows.append({"scenario": name, "status": "ok", "supply_auc": s["supply_auc"],
                         "encirclement_day": s["encirclement_day"],
                         "objective_fall_day": np.nan if s["objective_fall_day"] is None else s["objective_fall_day"]})
    runs = pd.DataFrame(rows)
    fig = distribution_figure(runs)
    ax = fig.axes[1]
    for name in scenario_order(runs):
        box = next(p for p in ax.patches if p.get_gid() == f"supply_auc:{name}")
        xs = box.get_path().vertices[:, 0]
        values = runs.loc[runs["scenario"] == name, "supply_auc"]
        assert min(xs) == pytest.approx(values.quantile(0.25))
        assert max(xs) == pytest.approx(values.quantile(0.75))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == scenario_order(runs)


# ---------------------------------------------------------------- turning points


def test_turning_points_are_the_captures_that_cut_supply_most(historical, run, series):
    names = {p: historical.graph.nodes[p]["name"] for p in historical.graph}
    points = turning_points(run.summary, series, historical.attacker, names, n=3)
    flow = series.set_index("day")["supply_flow_share"]
    # supply is traced at the start of a day: a capture on day d shows in the flow share of day d + 1
    drops = {day: flow[day] - flow.shift(-1)[day] for day in flow.index[:-1]}
    capture_days = {c["day"] for c in run.summary["captures"]
                    if c["by"] == historical.attacker and c["place"] != run.summary["objective"]}
    best = sorted((d for d in capture_days if drops.get(d, 0) > 0), key=lambda d: -drops[d])[:3]
    assert best and [p["day"] for p in points] == sorted(best)
    assert all(p["drop"] == pytest.approx(drops[p["day"]]) for p in points)
    impact = place_impact([(run.summary, series), (run.summary, series)], historical.attacker, names)
    assert impact and all(0 < r["mean_drop"] <= 1 and r["runs_share"] == 1 for r in impact)


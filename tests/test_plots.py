"""The pictures show what the records say and can be read: progress plot data and history's marks, the campaign
map's colours, markers, labels (none covering another label or a marker, every place of the run's events named),
scale bar and north arrow, the animation's frames and pace, and the scenario comparison's boxes, each checked
against the run or batch it was drawn from."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from PIL import Image

from analysis.animation import FRAME_MS, KEY_FRAME_MS, render_frames, write_animation
from analysis.distributions import distribution_figure, scenario_order
from analysis.history import captures_by, history_of
from analysis.labels import boxes_overlap, place_labels
from analysis.narrative import place_impact, turning_points
from analysis.palette import NOBODY, faction_colours, faction_markers, png_bytes, side_colours
from analysis.progress import progress_figure
from analysis.replay import replay, state_at
from analysis.theatre_map import (
    MapOptions,
    TheatreMap,
    _clip,
    capture_dates,
    draw_map,
    event_places,
    map_figure,
    objective_status,
    theatre_of,
)
from sim.records import held_column
from sim.scenario import Scenario, load_scenario
from sim.simulation import simulate

SEED = 3
ROOT = Path(__file__).resolve().parents[1]


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


def _extent(artist, renderer) -> tuple[float, float, float, float]:
    return tuple(artist.get_window_extent(renderer).extents)


# ---------------------------------------------------------------- progress


def test_progress_plot_draws_the_runs_timeseries(historical, run, series):
    fig = progress_figure(series, historical.spec, [run.summary], history_of(historical))
    start = historical.spec.start_date
    supply = _line(fig, "supply_flow_share")
    assert list(supply.get_xdata()) == [start + dt.timedelta(days=d) for d in series["day"]]
    np.testing.assert_allclose(supply.get_ydata(), series["supply_flow_share"])
    np.testing.assert_allclose(_line(fig, "isolation_share").get_ydata(), series["isolation_share"])
    for side in historical.spec.sides:
        np.testing.assert_allclose(_line(fig, held_column(side)).get_ydata(), series[held_column(side)])
    marks = {line.get_label(): line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_gid() is None}
    for label, key in (("cut-off day", "encirclement_day"), ("fall day", "objective_fall_day")):
        day = run.summary[key]
        assert marks.get(label) == (None if day is None else start + dt.timedelta(days=day)), label
    assert run.summary["encirclement_day"] is not None  # the historical run is cut off: a mark was checked
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_plot_names_historys_captures_and_fall(historical, run, series):
    history = history_of(historical)
    fig = progress_figure(series, historical.spec, [run.summary], history)
    ticks = next(child for child in fig.axes[0].get_children() if getattr(child, "get_gid", lambda: None)()
                 == "history_captures")
    captures = [e for e in captures_by(history, historical.attacker) if historical.spec.objective not in e.places]
    labels = [t.get_text() for t in ticks.get_xticklabels()]
    assert len(labels) == len(captures) > 10
    assert all(label.startswith(e.place_names[0][:10]) for label, e in zip(labels, captures, strict=True))
    fell = [t for t in fig.axes[0].texts if t.get_gid() == "history:history: fell"]
    assert len(fell) == 1 and f"{history.fall_date:%-d %b}" in fell[0].get_text()


def test_progress_plot_of_a_scenario_without_record_shows_no_history(tiny):
    record = simulate(tiny, 1)
    assert history_of(tiny) is None
    fig = progress_figure(pd.DataFrame(record.timeseries), tiny.spec, [record.summary], history_of(tiny))
    assert not [t for ax in fig.axes for t in ax.texts if str(t.get_gid()).startswith("history")]


def test_progress_plot_of_replicates_draws_the_median_and_two_bands(historical):
    runs = [simulate(historical, seed) for seed in range(5)]
    series = pd.concat([pd.DataFrame(r.timeseries).assign(replicate=i) for i, r in enumerate(runs)])
    fig = progress_figure(series, historical.spec, [r.summary for r in runs])
    median = series.groupby("day")["supply_flow_share"].median()
    np.testing.assert_allclose(_line(fig, "supply_flow_share").get_ydata(), median)
    bands = [c for c in fig.axes[0].collections if c.get_label().startswith("_")]
    assert len(bands) == 4  # 50% and 90% bands of the flow and of the isolation share
    cut = np.median([r.summary["encirclement_day"] for r in runs])
    assert historical.spec.start_date + dt.timedelta(days=cut) in [
        line.get_xdata()[0] for line in fig.axes[0].get_lines() if line.get_label() == "median cut-off day"]


# ---------------------------------------------------------------- replay and map


def test_replay_reproduces_the_runs_control_every_day(historical, series):
    places = list(historical.graph.nodes)
    for state, (_, row) in zip(replay(historical, SEED), series.iterrows(), strict=True):
        assert state.day == row["day"]
        assert {p: state.control[p] or "" for p in places} == {p: row[f"control.{p}"] for p in places}
        assert state.connected == bool(row["objective_supplied"])


@pytest.mark.parametrize("day", [12, 40])
def test_map_colours_places_and_ground_by_the_runs_control_that_day(historical, series, day):
    state = state_at(historical, SEED, day)
    fig = map_figure(historical, state)
    theatre = theatre_of(historical)
    colours = side_colours(historical.spec)
    row = series.set_index("day").loc[day]
    dots, ground = _collection(fig, "places"), _collection(fig, "ground")
    assert len(dots.get_offsets()) == len(theatre.places) == len(ground.get_paths())
    for place, xy, face, cell in zip(theatre.places, dots.get_offsets(), dots.get_facecolors(),
                                     ground.get_facecolors(), strict=True):
        holder = row[f"control.{place}"]
        np.testing.assert_allclose(xy, theatre.xy[place])
        assert tuple(face) == to_rgba(colours[holder] if holder else NOBODY), place
        assert cell[:3] == pytest.approx(to_rgba(colours[holder])[:3] if holder else (0, 0, 0)), place
    assert f"(day {day})" in fig.axes[0].get_title(loc="left")


def test_front_line_runs_between_cells_of_opposing_sides(historical):
    state = state_at(historical, SEED, 30)
    theatre = theatre_of(historical)
    fig = map_figure(historical, state)
    front = _collection(fig, "front_line").get_segments()
    expected = [seg for (a, b), seg in theatre.ridges.items()
                if state.control[a] and state.control[b] and state.control[a] != state.control[b]]
    assert len(front) == len(expected) > 0
    for (a, b), seg in theatre.ridges.items():  # a ridge is equidistant from its two places
        for point in seg:
            da = np.hypot(*(np.array(point) - theatre.xy[a]))
            db = np.hypot(*(np.array(point) - theatre.xy[b]))
            assert da == pytest.approx(db, rel=1e-6, abs=1e-6)


def test_map_draws_every_active_formation_sized_by_strength_with_its_factions_marker(historical):
    state = state_at(historical, SEED, 30)
    fig = map_figure(historical, state)
    factions, markers = faction_colours(historical.spec), faction_markers(historical.spec)
    drawn = 0
    for fid in historical.spec.factions:
        units = _collection(fig, f"formations:{fid}")
        mine = sorted((f.personnel for f in state.formations if f.faction == fid), reverse=True)
        assert len(units.get_offsets()) == len(mine), fid
        drawn += len(mine)
        if mine:
            sizes = units.get_sizes()
            assert np.all(np.diff(sizes) <= 0)  # biggest first, biggest drawn biggest
            assert {tuple(c) for c in units.get_facecolors()} == {to_rgba(factions[fid])}
    assert drawn == len(state.formations) > 10
    by_side: dict[str, set[str]] = {}
    for fid, faction in historical.spec.factions.items():
        by_side.setdefault(faction.side, set()).add(markers[fid])
    for side, shapes in by_side.items():  # every faction of a side has a marker of its own
        assert len(shapes) == sum(f.side == side for f in historical.spec.factions.values())


def test_side_colours_stay_apart_and_factions_keep_their_sides_hue(historical):
    sides = side_colours(historical.spec)
    a, b = (np.array(to_rgba(c)[:3]) for c in sides.values())
    assert np.abs(a - b).sum() > 0.8
    factions = faction_colours(historical.spec)
    assert len(set(factions.values())) == len(factions)  # no two factions share a colour


def test_map_highlights_supply_roads_and_the_minimum_cut(historical, series):
    theatre = theatre_of(historical)
    before = state_at(historical, SEED, 5)
    assert before.connected and before.supply_roads and before.min_cut
    fig = map_figure(historical, before)
    cut = _collection(fig, "min_cut").get_segments()
    assert len(cut) == len(before.min_cut)
    for segment, (a, b) in zip(cut, before.min_cut, strict=True):
        assert historical.graph.has_edge(a, b)
        np.testing.assert_allclose(segment, [theatre.xy[a], theatre.xy[b]])
    assert len(_collection(fig, "supply_roads").get_segments()) == len(before.supply_roads)
    cut_day = series.loc[series["objective_supplied"] == 0, "day"].iloc[0]
    after = state_at(historical, SEED, cut_day)
    assert not after.connected and after.supply_roads == [] and after.min_cut == []
    assert "cut off" in map_figure(historical, after).axes[0].get_title(loc="left")


def test_map_frames_the_objective_and_every_supply_source(historical):
    theatre = theatre_of(historical)
    x0, x1, y0, y1 = theatre.frame
    for place in [historical.spec.objective] + [p for s in historical.spec.sides.values() for p in s.supply_sources]:
        x, y = theatre.xy[place]
        assert x0 < x < x1 and y0 < y < y1, place


@pytest.mark.parametrize(("path", "day"), [("historical.yaml", 0), ("historical.yaml", 30), ("historical.yaml", 66),
                                           ("kobani/kobani.yaml", 25)])
def test_map_labels_cover_no_label_marker_or_ornament_and_name_every_place_of_the_run(path, day):
    scenario = load_scenario(str(ROOT / "scenarios" / path))
    run = simulate(scenario, SEED)
    events = [e.row() for e in run.events if e.day <= day]
    options = MapOptions(named_places=event_places(events), captured_on=capture_dates(events, scenario.spec.start_date),
                         capture_dates=True)
    drawing = draw_map(scenario, state_at(scenario, SEED, day), options)
    fig = drawing.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = list(drawing.place_labels.values()) + drawing.formation_labels
    boxes = [_extent(t, renderer) for t in labels]
    ornaments = [_extent(a, renderer) for a in drawing.scale_bar + drawing.north_arrow]
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not boxes_overlap(a, b), (labels[i].get_text(), labels[j].get_text())
    for box, text in zip(boxes, labels, strict=True):
        assert not any(boxes_overlap(box, m, tolerance=1.0) for m in drawing.marker_boxes + ornaments), text.get_text()
    theatre = theatre_of(scenario)
    x0, x1, y0, y1 = theatre.frame
    in_view = {p for p in event_places(events) if x0 <= theatre.xy[p][0] <= x1 and y0 <= theatre.xy[p][1] <= y1}
    assert in_view <= set(drawing.place_labels)
    assert in_view or day == 0  # later days have events in view: the check above was not empty
    assert scenario.spec.objective in drawing.place_labels
    assert any(a.get_gid() == "scale_bar_label" and a.get_text().endswith("km") for a in drawing.scale_bar)
    assert any(a.get_gid() == "north_arrow_label" and a.get_text() == "N" for a in drawing.north_arrow)
    frame = _extent(drawing.ax, renderer)
    for box in ornaments + boxes:
        assert frame[0] - 1 <= box[0] and box[2] <= frame[2] + 1 and frame[1] - 1 <= box[1] and box[3] <= frame[3] + 1
    caption = _extent(drawing.caption, renderer)
    assert caption[3] <= frame[1]  # the caption is under the map
    taken = [p for p in options.captured_on if p in drawing.place_labels]
    assert all(f"{options.captured_on[p]:%-d %b}" in drawing.place_labels[p].get_text() for p in taken)


def test_map_figure_has_no_blank_margin(historical):
    drawing = draw_map(historical, state_at(historical, SEED, 10))
    fig = drawing.figure
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    blank_columns = np.all(image > 250, axis=(0, 2))
    assert blank_columns[: image.shape[1] // 4].mean() < 0.05  # the left quarter is map, not paper


def test_objective_status_says_supplied_cut_off_assaulted_fallen_and_retaken(historical, run, series):
    start = state_at(historical, SEED, 0)
    assert objective_status(start, historical) == "supplied"
    cut_day = series.loc[series["objective_supplied"] == 0, "day"].iloc[0]
    assert objective_status(state_at(historical, SEED, cut_day), historical).startswith("cut off")
    assert objective_status(start, historical, fell_before=True) == "retaken, supplied"
    fell = run.summary["objective_fall_day"]
    if fell is not None:
        assert objective_status(state_at(historical, SEED, fell), historical) in ("falls", "fallen")
    attacked = next(s for s in replay(historical, 1) if any(  # seed 1 storms the objective
        e.kind.value == "engagement" and e.place == historical.spec.objective and e.side == historical.attacker
        for e in s.events) and s.control[historical.spec.objective] != historical.attacker)
    assert objective_status(attacked, historical).endswith("assaulted")


def test_map_of_another_theatre_labels_its_places_and_frames_its_source(tiny):
    state = state_at(tiny, 2, 10)
    drawing = draw_map(tiny, state)
    assert {"oldtown", "depot", "harbour"} <= set(drawing.place_labels)
    assert "Old Town" in drawing.title


# ---------------------------------------------------------------- geometry and labels


def _area(polygon: np.ndarray) -> float:
    """The shoelace formula."""
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def test_clip_cuts_a_square_to_a_triangle():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], dtype=float)
    assert _area(_clip(square, np.array([[0, 0], [4, 0], [0, 4]], dtype=float))) == pytest.approx(4.0)  # inside
    assert _area(_clip(square, np.array([[0, 0], [2, 0], [0, 2]], dtype=float))) == pytest.approx(2.0)  # half


def test_two_labels_of_near_points_are_set_apart():
    placed = place_labels([(100, 100), (104, 100)], [(60, 12), (60, 12)], [3, 3], [], (0, 0, 400, 400))
    assert all(p.clear for p in placed)
    assert not boxes_overlap(placed[0].box, placed[1].box)


def test_a_required_label_with_every_ring_covered_takes_the_nearest_clear_spot_in_the_frame():
    """A square wall over all but a 60 px margin of an 800 px frame covers every ring (out to 250 px) round a point
    at its centre; the required label goes to the nearest clear spot (in the top or the bottom margin, straight
    above or below the point: 346 px against 370 to a side margin), with a leader; the optional one stays where it
    covers least and says so."""
    wall = [(60.0, 60.0, 740.0, 740.0)]
    point, size, frame = (400.0, 400.0), (60.0, 12.0), (0.0, 0.0, 800.0, 800.0)
    required, optional = place_labels([point, point], [size, size], [3, 3], wall, frame, required=1)
    assert required.clear and required.leader and not boxes_overlap(required.box, wall[0])
    x0, y0, x1, y1 = required.box
    assert abs((x0 + x1) / 2 - 400) <= 6 and (y1 <= 60 or y0 >= 740)
    assert not optional.clear and boxes_overlap(optional.box, wall[0])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(50, 350), st.floats(50, 350)), min_size=1, max_size=25))
def test_placed_labels_that_say_they_are_clear_overlap_nothing(points):
    radii = [4.0] * len(points)
    markers = [(x - 4, y - 4, x + 4, y + 4) for x, y in points]
    placed = place_labels(points, [(50, 12)] * len(points), radii, markers, (0, 0, 400, 400))
    clear = [p.box for p in placed if p.clear]
    for a, b in itertools.combinations(clear, 2):
        assert not boxes_overlap(a, b)
    for box in clear:
        assert not any(boxes_overlap(box, m) for m in markers)
        assert box[0] >= 0 and box[2] <= 400 and box[1] >= 0 and box[3] <= 400


# ---------------------------------------------------------------- animation


def test_animation_has_one_frame_per_day_at_a_readable_pace(tiny, tmp_path):
    written, frames = write_animation(tiny, 2, tmp_path / "campaign.gif")
    assert written[0] == tmp_path / "campaign.gif"
    gif = Image.open(written[0])
    assert gif.n_frames == tiny.days + 1 == len(frames)
    durations = []
    for i in range(gif.n_frames):
        gif.seek(i)
        durations.append(gif.info["duration"])
    assert min(durations) >= 600
    assert durations == [f.duration_ms for f in frames]
    assert {FRAME_MS, KEY_FRAME_MS} == set(durations)  # some days have key events, some not
    states = list(replay(tiny, 2))
    changed = next(i for i in range(1, len(states)) if states[i].control != states[i - 1].control)
    assert not np.array_equal(frames[changed - 1].image, frames[changed].image)
    assert frames[changed].key


def test_every_frame_is_the_same_size(tiny):
    frames = render_frames(tiny, 2)
    assert len({f.image.shape for f in frames}) == 1


# ---------------------------------------------------------------- scenario comparison


def _runs_table(historical, plan) -> pd.DataFrame:
    rows = []
    for name, seeds in plan:
        for seed in seeds:
            s = simulate(historical, seed).summary
            rows.append({"scenario": name, "status": "ok", "supply_auc": s["supply_auc"],
                         "encirclement_day": s["encirclement_day"],
                         "objective_fall_day": np.nan if s["objective_fall_day"] is None else s["objective_fall_day"]})
    return pd.DataFrame(rows)


def test_comparison_boxes_span_each_scenarios_quartiles(historical):
    runs = _runs_table(historical, (("historical", range(4)), ("other", range(10, 16))))
    fig = distribution_figure(runs, titles={"other": "What if it were other?"},
                              history_days={"objective_fall_day": 62})
    ax = fig.axes[1]
    for name in scenario_order(runs):
        box = next(p for p in ax.patches if p.get_gid() == f"supply_auc:{name}")
        xs = box.get_path().vertices[:, 0]
        values = runs.loc[runs["scenario"] == name, "supply_auc"]
        assert min(xs) == pytest.approx(values.quantile(0.25))
        assert max(xs) == pytest.approx(values.quantile(0.75))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [label.splitlines()[-1] for label in labels] == [f"({n})" for n in scenario_order(runs)]
    assert any("What if it were other?" in label for label in labels)
    assert [t.get_text() for t in fig.axes[2].texts if t.get_gid() == "history:objective_fall_day"] == [
        "history: day 62"]


def test_comparison_where_the_objective_never_falls_says_never(historical):
    runs = _runs_table(historical, (("a", range(2)), ("b", range(2, 4))))
    runs["objective_fall_day"] = np.nan
    fig = distribution_figure(runs)
    assert [t.get_text() for t in fig.axes[2].texts] == ["never", "never"]
    assert png_bytes(fig)[:4] == b"\x89PNG"


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


def test_a_place_taken_twice_is_marked_retaken():
    summary = {"start_date": "2020-01-01", "objective": "town",
               "captures": [{"place": "hill", "day": 1.0, "by": "a"}, {"place": "hill", "day": 3.0, "by": "b"},
                            {"place": "hill", "day": 5.0, "by": "a"}]}
    series = pd.DataFrame({"day": [0.0, 1, 2, 3, 4, 5, 6], "supply_flow_share": [1, 1, 0.5, 0.5, 1, 1, 0.2]})
    points = turning_points(summary, series, "a", {"hill": "Hill"})
    assert [p["places"] for p in points] == ["Hill", "Hill (retaken)"]


def test_a_theatre_with_places_beyond_the_frame_gets_an_overview_in_step_with_the_map():
    kobani = load_scenario(str(ROOT / "scenarios" / "kobani" / "kobani.yaml"))
    theatre = theatre_of(kobani)
    x0, x1, y0, y1 = theatre.frame
    sources = [p for side in kobani.spec.sides.values() for p in side.supply_sources]
    assert any(not (x0 <= theatre.xy[p][0] <= x1 and y0 <= theatre.xy[p][1] <= y1) for p in sources)
    for p in kobani.spec.sides[kobani.defender].supply_sources:  # the defender's sources are on the main map
        assert x0 <= theatre.xy[p][0] <= x1 and y0 <= theatre.xy[p][1] <= y1, p
    view = TheatreMap(kobani)
    state = state_at(kobani, 1, 20)
    view.show(state)
    assert view.overview_dots is not None
    np.testing.assert_array_equal(view.overview_dots.get_facecolors(), view.place_dots.get_facecolors())


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed: no MP4 is written")
def test_an_mp4_is_written_beside_the_gif_where_ffmpeg_exists(tiny, tmp_path):
    written, frames = write_animation(tiny, 2, tmp_path / "campaign.gif")
    assert written == [tmp_path / "campaign.gif", tmp_path / "campaign.mp4"]
    assert (tmp_path / "campaign.mp4").stat().st_size > 10_000


def test_a_counterfactual_is_shown_its_base_scenarios_record_and_another_theatre_none(historical, tiny):
    counterfactual = load_scenario(str(ROOT / "scenarios" / "counterfactuals" / "bekaa_axis_only.yaml"))
    base, derived = history_of(historical), history_of(counterfactual)
    assert base is not None and derived is not None and derived.fall_date == base.fall_date
    assert history_of(tiny) is None

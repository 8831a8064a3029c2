"""Synthetic theatres (sim/synthetic.py, run.py synth): seeded, sized as asked, valid, playable, planar roads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import networkx as nx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.scenario import load_scenario, validate_file
from sim.simulation import simulate
from sim.synthetic import TEMPLATE, synthetic_theatre, write_synthetic
from sim.theatre import ROAD_CLASSES, load_theatre, theatre_from_geojson

ROOT = Path(__file__).resolve().parents[1]


def graph_of(scale: int, seed: int) -> nx.Graph:
    return theatre_from_geojson(synthetic_theatre(scale, seed).map, "synthetic")


def test_template_is_the_historical_theatre() -> None:
    """1x means the shipped theatre's numbers: places by kind, roads by class, degrees, formations by orders."""
    graph = load_theatre(ROOT / "scenarios" / "maps" / "qusayr.geojson")
    for town, sectors in graph.graph["towns"].items():  # the template counts a town whole, not by its quarters
        for sector in sectors[1:]:
            graph = nx.contracted_nodes(graph, town, sector, self_loops=False)
    assert Counter(kind for _, kind in graph.nodes(data="kind")) == Counter(TEMPLATE.place_kinds)
    classes = Counter(c for _, _, c in graph.edges(data="road_class"))
    assert graph.number_of_edges() == TEMPLATE.roads
    assert (classes["highway"], classes["track"]) == (TEMPLATE.highways, TEMPLATE.tracks)
    assert {k: classes[k] for k in TEMPLATE.crossings} == TEMPLATE.crossings
    assert Counter(d for _, d in graph.degree()) == Counter(TEMPLATE.degrees)
    spec = load_scenario(ROOT / "scenarios" / "historical.yaml").spec
    side_of = {fid: f.side for fid, f in spec.factions.items()}
    attacker, defender = (next(s for s, side in spec.sides.items() if side.role == role)
                          for role in ("attacker", "defender"))
    kinds = Counter((side_of[f.faction] == attacker, f.orders.kind) for f in spec.formations)
    assert kinds[True, "axis"] == len(TEMPLATE.attacker_axis_types)
    assert (kinds[True, "hold"], kinds[True, "reserve"]) == (TEMPLATE.attacker_holds, TEMPLATE.attacker_reserves)
    assert kinds[False, "reserve"] == TEMPLATE.defender_reserves
    assert sum(n for (mine, _), n in kinds.items() if not mine) == TEMPLATE.defender_holds + TEMPLATE.defender_reserves
    assert (len(spec.sides[attacker].supply_sources), len(spec.sides[defender].supply_sources)) == (
        sum(TEMPLATE.attacker_sources), sum(TEMPLATE.defender_sources))


def test_same_seed_same_files_and_another_seed_another_theatre(tmp_path: Path) -> None:
    first = write_synthetic(2, 7, tmp_path / "a")
    second = write_synthetic(2, 7, tmp_path / "b")
    for suffix in (".yaml", ".geojson"):
        assert first.with_suffix(suffix).read_bytes() == second.with_suffix(suffix).read_bytes()
    assert synthetic_theatre(2, 8).map != synthetic_theatre(2, 7).map


@pytest.mark.parametrize("scale", [1, 2, 5, 10])
def test_counts_scale_with_the_theatre(scale: int) -> None:
    theatre = synthetic_theatre(scale, 1)
    graph = theatre_from_geojson(theatre.map, "synthetic")
    kinds = Counter(kind for _, kind in graph.nodes(data="kind"))
    assert kinds == {kind: count * scale for kind, count in TEMPLATE.place_kinds.items()}
    assert graph.number_of_edges() == TEMPLATE.roads * scale
    classes = Counter(c for _, _, c in graph.edges(data="road_class"))
    assert (classes["highway"], classes["track"]) == (TEMPLATE.highways * scale, TEMPLATE.tracks * scale)
    for crossing, count in TEMPLATE.crossings.items():  # as many as the line has room for, up to the quota
        assert 1 <= classes[crossing] <= count * scale
    attackers = len(TEMPLATE.attacker_axis_types) + TEMPLATE.attacker_holds + TEMPLATE.attacker_reserves
    defenders = TEMPLATE.defender_holds + TEMPLATE.defender_reserves
    assert len(theatre.scenario["formations"]) == scale * (attackers + defenders)
    sides = theatre.scenario["sides"].values()
    assert sorted(len(s["supply_sources"]) for s in sides) == sorted(
        (sum(TEMPLATE.attacker_sources) * scale, sum(TEMPLATE.defender_sources) * scale))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(scale=st.sampled_from([1, 2]), seed=st.integers(0, 2**32 - 1))
def test_roads_are_connected_planar_and_of_every_class(scale: int, seed: int) -> None:
    graph = graph_of(scale, seed)
    assert nx.is_connected(graph)
    assert nx.check_planarity(graph)[0]
    assert {c for _, _, c in graph.edges(data="road_class")} == set(ROAD_CLASSES)
    assert not graph.graph["warnings"]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_sides_hold_every_place_once_and_the_defender_starts_in_supply(seed: int) -> None:
    theatre = synthetic_theatre(1, seed)
    graph = theatre_from_geojson(theatre.map, "synthetic")
    sides = theatre.scenario["sides"]
    held = [p for side in sides.values() for p in side["holds"]]
    assert sorted(held) == sorted(graph.nodes)
    defender = next(s for s in sides.values() if s["role"] == "defender")
    ground = graph.subgraph(defender["holds"])
    objective = theatre.scenario["objective"]
    assert any(nx.has_path(ground, source, objective) for source in defender["supply_sources"])


def test_no_two_roads_cross_on_the_map() -> None:
    """Planar as drawn, not only as a graph: no two straight roads without a common end intersect."""
    graph = graph_of(2, 3)
    pos = nx.get_node_attributes(graph, "pos")

    def side(a: tuple, b: tuple, c: tuple) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    for (a, b), (c, d) in combinations(graph.edges, 2):
        if {a, b} & {c, d}:
            continue
        p, q, r, s = pos[a], pos[b], pos[c], pos[d]
        assert not (side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0), (a, b, c, d)


def test_a_road_crossing_the_border_joins_the_two_countries() -> None:
    graph = graph_of(2, 4)
    for u, v, road_class in graph.edges(data="road_class"):
        crosses = graph.nodes[u]["country"] != graph.nodes[v]["country"]
        assert crosses == (road_class == "border_crossing"), (u, v, road_class)


@pytest.mark.parametrize(("scale", "seed"), [(1, 1), (2, 2)])
def test_the_scenario_validates_and_runs_to_its_end(tmp_path: Path, scale: int, seed: int) -> None:
    path = write_synthetic(scale, seed, tmp_path)
    assert validate_file(path) == ("scenario", [])
    assert validate_file(path.with_suffix(".geojson")) == ("map", [])
    scenario = load_scenario(path)
    objective = scenario.spec.objective
    for f in scenario.spec.formations:
        assert nx.has_path(scenario.graph, f.at, objective)
        if f.orders.axis is not None:
            assert f.orders.axis[-1] == objective
    record = simulate(scenario, 1)
    assert record.timeseries[-1]["day"] == scenario.days
    assert record.summary["captures"], "the attacker took nothing: the theatre does not play"


def test_bad_sizes_are_refused_with_the_option_named() -> None:
    for scale, seed, option in ((0, 1, "--scale"), (101, 1, "--scale"), (True, 1, "--scale"), (1, -1, "--seed")):
        with pytest.raises(InputError) as raised:
            synthetic_theatre(scale, seed)
        assert raised.value.file == option


@pytest.mark.e2e
def test_run_py_synth_validate_run(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                              cwd=tmp_path, check=False)

    made = run("synth", "--scale", "2", "--seed", "5", "--out", "theatres")
    assert made.returncode == 0, made.stderr
    scenario = tmp_path / "theatres" / "synthetic-2x-seed5.yaml"
    assert yaml.safe_load(scenario.read_text())["map"] == "synthetic-2x-seed5.geojson"
    assert json.loads(scenario.with_suffix(".geojson").read_text())["type"] == "FeatureCollection"
    assert run("validate", str(scenario)).returncode == 0
    played = run("run", str(scenario), "--seed", "3", "--out", "out")
    assert played.returncode == 0, played.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["days"] == 65
    refused = run("synth", "--scale", "0", "--out", "theatres")
    assert (refused.returncode, refused.stderr.strip()) == (2, "error: --scale: must be a whole number from 1 to "
                                                            "100, got 0")


@pytest.mark.e2e
def test_bench_scale_prints_each_size_and_its_ratio_to_1x() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--scales", "1", "2",
                           "--map-seeds", "1", "--runs", "2"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "  1x  (50 places, 75 roads, 35 formations" in done.stdout
    assert "  2x  (100 places, 150 roads, 70 formations" in done.stdout
    assert done.stdout.count("time per run / 1x") == 2

"""Tests for sim.theatre: the shipped al-Qusayr map, the GeoJSON convention and its error messages."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.theatre import (
    KIND_DEFENCE,
    PLACE_KINDS,
    ROAD_CLASSES,
    TERRAIN_KINDS,
    haversine_km,
    load_theatre,
    theatre_from_geojson,
    theatre_to_geojson,
)

MAP = Path(__file__).resolve().parents[1] / "scenarios" / "maps" / "qusayr.geojson"

# roads.csv from the reference geography (a, b, km, road_class with the space normalised), copied
# here so the tests do not read the reference folder.
ROADS_CSV = """
homs shinshar 16.3 highway
shinshar shamsin 8.4 highway
shamsin hisyah 16.7 highway
homs khirbat_tin_nur 16.5 highway
khirbat_tin_nur tall_kalakh 31.6 highway
tall_kalakh abboudiyeh_crossing 17.3 road
abboudiyeh_crossing noura 3.7 border_crossing
noura dabbabiya 2.5 road
al_qusayr dabaa_village 7.2 road
dabaa_village salhiyeh 4.4 road
salhiyeh buwaydah_sharqiyah 4.1 road
buwaydah_sharqiyah abil 6.0 road
abil homs 14.1 road
abil shinshar 7.1 road
buwaydah_sharqiyah shinshar 8.9 road
al_qusayr hamidiyeh 4.3 road
hamidiyeh dabaa_airbase 4.6 road
dabaa_airbase haidariyeh 3.4 road
haidariyeh damina_gharbiyah 2.9 road
damina_gharbiyah ish_al_warwar 2.1 road
ish_al_warwar qattinah 5.4 road
qattinah homs 12.0 road
dabaa_airbase dabaa_village 5.4 road
masoudiyeh salhiyeh 2.4 road
masoudiyeh damina_gharbiyah 3.0 road
salhiyeh damina_gharbiyah 5.3 road
al_qusayr haret_al_turkumen 1.8 road
haret_al_turkumen hamidiyeh 3.0 road
al_qusayr jawadiyeh 3.8 road
jawadiyeh arjoun 4.4 road
arjoun dabaa_airbase 4.7 road
arjoun ghassaniyeh 6.1 road
ghassaniyeh haidariyeh 2.6 road
ghassaniyeh shumariyeh 5.1 road
shumariyeh ish_al_warwar 4.0 road
al_qusayr shamsin 20.2 road
kamam shamsin 10.1 road
kamam dabaa_village 5.7 road
kamam buwaydah_sharqiyah 6.6 road
al_qusayr rablah 9.0 road
rablah al_nazariyeh 3.2 road
al_nazariyeh jusiyah 1.6 road
al_qusayr jusiyah 12.8 road
jusiyah masharih_al_qaa 11.7 border_crossing
masharih_al_qaa al_qaa 4.6 road
al_qaa hermel 12.8 road
arsal al_qaa 24.7 road
arsal jusiyah 42.0 track
hermel al_qasr_lb 12.0 road
al_qasr_lb hawsh_al_sayyid_ali 3.6 border_crossing
hawsh_al_sayyid_ali rablah 7.0 river_crossing
hawsh_al_sayyid_ali zita 7.3 road
hawsh_al_sayyid_ali abu_huri 4.7 track
abu_huri saqraja 4.3 track
abu_huri al_mouh 1.7 track
al_mouh ayn_al_tannur 3.8 track
saqraja ayn_al_tannur 1.4 road
saqraja radwaniyeh 3.1 track
radwaniyeh tell_nabi_mando 3.7 track
radwaniyeh burhaniya 1.5 track
burhaniya zita 5.9 track
zita aqrabiyah 4.4 road
aqrabiyah tell_nabi_mando 6.2 road
aqrabiyah hit 8.7 road
hit al_qasr_lb 20.7 track
ayn_al_tannur al_qusayr 7.6 river_crossing
tell_nabi_mando arjoun 2.0 river_crossing
"""
CSV_ROADS = [
    (a, b, float(km), cls) for a, b, km, cls in (line.split() for line in ROADS_CSV.strip().splitlines())
]
# Roads build_map.py adds to join the places the reference could not place or has no row for.
INFERRED_ROADS = {
    ("al_qusayr", "tal_hanash"): "road",
    ("tal_hanash", "shamsin"): "road",
    ("al_qusayr", "al_sloumiya"): "road",
    ("al_sloumiya", "rablah"): "track",
    # the rebels' supply net (issue 11): the two hinterlands' tracks
    ("ish_al_warwar", "northern_countryside"): "track",
    ("shumariyeh", "northern_countryside"): "track",
    ("shamsin", "eastern_hinterland"): "track",
    ("buwaydah_sharqiyah", "eastern_hinterland"): "track",
}
CLASS_FACTOR = {"highway": 1.15, "road": 1.3, "track": 1.4, "river_crossing": 1.3, "border_crossing": 1.3}
# build_map.py's sectors: al-Qusayr's centre and four quarters; the quarter each road out of the town leaves from.
SECTORS = ("qusayr_east", "qusayr_north", "qusayr_south", "qusayr_west")  # in file order (sorted ids)
TOWN_EXITS = {"hamidiyeh": "qusayr_north", "haret_al_turkumen": "qusayr_north", "dabaa_village": "qusayr_north",
              "jawadiyeh": "qusayr_west", "ayn_al_tannur": "qusayr_west", "shamsin": "qusayr_east",
              "tal_hanash": "qusayr_east", "rablah": "qusayr_south", "jusiyah": "qusayr_south",
              "al_sloumiya": "qusayr_south"}


def _town_road(graph: nx.Graph, a: str, b: str) -> tuple[str, str, float]:
    """Where a road of the reference ends up on the map: moved to a quarter when it leaves the town, with the
    factor build_map.py scales its km by."""
    if "al_qusayr" not in (a, b):
        return a, b, 1.0
    other = b if a == "al_qusayr" else a
    sector = TOWN_EXITS[other]
    pos = graph.nodes
    return sector, other, haversine_km(pos[sector]["pos"], pos[other]["pos"]) / haversine_km(
        pos["al_qusayr"]["pos"], pos[other]["pos"])


@pytest.fixture(scope="module")
def qusayr() -> nx.Graph:
    return load_theatre(MAP)


# -- the shipped map --------------------------------------------------------------------------------


def test_our_map_loads_connected_with_lake_as_terrain(qusayr: nx.Graph) -> None:
    # 49 places minus Lake Homs, the two hinterlands of the supply net, and the town's quarters
    assert qusayr.number_of_nodes() == 50 + len(SECTORS)
    assert qusayr.number_of_edges() == len(CSV_ROADS) + len(INFERRED_ROADS) + 8 == 83  # and 8 streets
    assert qusayr.graph["towns"] == {"al_qusayr": ("al_qusayr", *SECTORS)}
    assert nx.is_connected(qusayr)
    assert qusayr.graph["warnings"] == []
    assert "lake_homs" not in qusayr
    assert qusayr.graph["terrain"]["lake_homs"]["kind"] == "lake"
    layers = {layer["layer"]: layer for layer in qusayr.graph["layers"]}
    assert set(layers) == {"river", "border", "lake"}
    assert layers["river"]["name"] == "Orontes (Assi)" and layers["river"]["type"] == "LineString"
    assert layers["lake"]["type"] == "Polygon"
    assert layers["border"]["approximate"] and layers["lake"]["approximate"]
    # The border sketch passes through the two fixed points in NOTES.md.
    assert {(36.49, 34.455), (36.5433, 34.4217)} <= set(layers["border"]["coordinates"])


def test_our_map_km_and_classes_match_roads_csv(qusayr: nx.Graph) -> None:
    for a, b, km, road_class in CSV_ROADS:
        a, b, scale = _town_road(qusayr, a, b)
        edge = qusayr.edges[a, b]
        assert (edge["km"], edge["road_class"]) == (round(km * scale, 1), road_class), (a, b)
    for (a, b), road_class in INFERRED_ROADS.items():
        a, b, _ = _town_road(qusayr, a, b)
        edge = qusayr.edges[a, b]
        expected = haversine_km(qusayr.nodes[a]["pos"], qusayr.nodes[b]["pos"]) * CLASS_FACTOR[road_class]
        assert edge["road_class"] == road_class
        assert edge["km"] == pytest.approx(expected, abs=0.1)


def test_our_map_roads_are_straight_lines_with_plausible_km(qusayr: nx.Graph) -> None:
    for u, v, edge in qusayr.edges(data=True):
        assert edge["geometry"] == [qusayr.nodes[edge["from"]]["pos"], qusayr.nodes[edge["to"]]["pos"]]
        ratio = edge["km"] / haversine_km(qusayr.nodes[u]["pos"], qusayr.nodes[v]["pos"])
        assert 0.95 <= ratio <= 1.45, (u, v, ratio)  # NOTES: great circle x 1.15..1.4, or a sourced km


def test_our_map_places(qusayr: nx.Graph) -> None:
    nodes = qusayr.nodes
    assert nodes["al_qusayr"]["kind"] == "city" and nodes["homs"]["kind"] == "city"
    for town in ("hermel", "arsal", "al_qaa", "qattinah", "tall_kalakh"):
        assert nodes[town]["kind"] == "town"
    assert nodes["tell_nabi_mando"]["kind"] == "hill"
    assert nodes["dabaa_airbase"]["kind"] == "airbase"
    assert nodes["masharih_al_qaa"]["kind"] == "farm"
    assert nodes["al_qusayr"]["population"] == 25000
    assert nodes["al_qusayr"]["pos"] == (36.57639, 34.51194)
    for pid, attrs in nodes(data=True):
        assert attrs["pos"] == (attrs["lon"], attrs["lat"])
        assert attrs["estimated"] == (attrs["confidence"] != "high"), pid
        assert attrs["defence"] == KIND_DEFENCE[attrs["kind"]], pid
        assert attrs["country"] in ("Syria", "Lebanon")


def test_unplaced_places_are_estimated_and_connected(qusayr: nx.Graph) -> None:
    qusayr_pos = qusayr.nodes["al_qusayr"]["pos"]
    for pid in ("tal_hanash", "al_sloumiya"):
        attrs = qusayr.nodes[pid]
        assert attrs["estimated"] is True and attrs["confidence"] == "estimated"
        assert "ESTIMATED" in attrs["source"]
        assert qusayr.degree(pid) == 2
    hanash = qusayr.nodes["tal_hanash"]["pos"]
    assert hanash[0] > qusayr_pos[0]  # east of the town
    assert 2.0 < haversine_km(hanash, qusayr_pos) < 6.0
    assert haversine_km(qusayr.nodes["al_sloumiya"]["pos"], qusayr_pos) < 3.0  # on the outskirts


def test_our_map_round_trips_and_file_is_canonical(qusayr: nx.Graph) -> None:
    written = theatre_to_geojson(qusayr)
    assert nx.utils.graphs_equal(theatre_from_geojson(written, "round trip"), qusayr)
    assert written == json.loads(MAP.read_text(encoding="utf-8"))


# -- a map that is not ours -------------------------------------------------------------------------


def _point(pid: str, lon: float, lat: float, kind: str = "village", **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": pid, "kind": kind, **props},
    }


def _road(
    a: str, b: str, coords: list[list[float]], road_class: str = "road", **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"from": a, "to": b, "road_class": road_class, **props},
    }


def small_map() -> dict[str, Any]:
    """Four invented places on the 10th meridian, a lake and a drawn river: not the Qusayr map."""
    return {
        "type": "FeatureCollection",
        "name": "Test valley",
        "features": [
            _point("alpha", 10.0, 45.0, "town", name="Alpha", population=1200, country="Freedonia"),
            _point("bravo", 10.0, 46.0, "hill", defence=3.5, estimated=True),
            _point("charlie", 10.2, 46.0, "farm", note="abandoned"),
            _point("delta", 10.2, 45.0, "crossing"),
            _road("alpha", "bravo", [[10.0, 45.0], [10.0, 45.5], [10.0, 46.0]], "highway"),  # no km
            _road("bravo", "charlie", [[10.0, 46.0], [10.2, 46.0]], "track", km=20.0),
            _road("charlie", "delta", [[10.2, 46.0], [10.2, 45.0]], "river_crossing", km=120),
            _point("mere", 10.1, 45.5, "lake"),
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[10.1, 44.0], [10.1, 47.0]]},
                "properties": {"layer": "river", "name": "Test river"},
            },
        ],
    }


def test_small_map_in_the_same_convention_loads(tmp_path: Path) -> None:
    path = tmp_path / "valley.geojson"
    path.write_text(json.dumps(small_map()), encoding="utf-8")
    graph = load_theatre(path)
    assert sorted(graph) == ["alpha", "bravo", "charlie", "delta"]
    assert graph.graph["name"] == "Test valley"
    assert graph.graph["terrain"]["mere"]["kind"] == "lake"
    assert graph.graph["layers"][0]["layer"] == "river" and graph.graph["layers"][0]["approximate"] is False
    # One degree of latitude on a sphere of radius 6371.0088 km: 2 * pi * 6371.0088 / 360.
    assert graph.edges["alpha", "bravo"]["km"] == pytest.approx(111.19508, abs=1e-4)
    assert graph.edges["charlie", "delta"]["km"] == 120.0
    assert graph.edges["bravo", "charlie"]["geometry"] == [(10.0, 46.0), (10.2, 46.0)]
    alpha, bravo, charlie = graph.nodes["alpha"], graph.nodes["bravo"], graph.nodes["charlie"]
    assert (alpha["name"], alpha["population"], alpha["defence"], alpha["country"]) == (
        "Alpha",
        1200,
        2.0,
        "Freedonia",
    )
    assert (bravo["name"], bravo["defence"], bravo["estimated"]) == ("bravo", 3.5, True)
    assert (charlie["population"], charlie["estimated"], charlie["country"]) == (0, False, "")
    assert charlie["note"] == "abandoned" and charlie["pos"] == (10.2, 46.0)
    assert graph.graph["warnings"] == []
    assert nx.utils.graphs_equal(theatre_from_geojson(theatre_to_geojson(graph), "again"), graph)


def test_disconnected_map_loads_with_warning() -> None:
    data = small_map()
    data["features"] += [
        _point("echo", 11.0, 45.0),
        _point("foxtrot", 11.1, 45.0),
        _point("golf", 12.0, 45.0),
    ]
    data["features"].append(_road("echo", "foxtrot", [[11.0, 45.0], [11.1, 45.0]]))
    graph = theatre_from_geojson(data, "islands.geojson")
    assert len(graph.graph["warnings"]) == 1
    warning = graph.graph["warnings"][0]
    assert "3 separate parts" in warning
    assert "[echo, foxtrot]" in warning and "[golf]" in warning
    assert "Largest: 4 places" in warning


def test_road_drawn_far_from_its_places_warns() -> None:
    data = small_map()
    data["features"][5]["geometry"]["coordinates"] = [[46.0, 10.0], [46.0, 10.2]]  # lon/lat swapped
    graph = theatre_from_geojson(data, "swapped.geojson")
    assert any("'bravo'-'charlie'" in w and "features[5]" in w for w in graph.graph["warnings"])


# -- bad input --------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], Any]


def _walk(data: dict[str, Any], path: str) -> tuple[Any, Any]:
    """The container holding the field at ``path`` (e.g. 'features[0].properties.kind') and its key."""
    keys = [int(p) if p.isdigit() else p for p in path.replace("]", "").replace("[", ".").split(".")]
    target: Any = data
    for key in keys[:-1]:
        target = target[key]
    return target, keys[-1]


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets one field."""

    def mutate(data: dict[str, Any]) -> dict[str, Any]:
        target, key = _walk(data, path)
        target[key] = value
        return data

    return mutate


def _delete(path: str) -> Mutation:
    """A mutation that removes one field."""

    def mutate(data: dict[str, Any]) -> dict[str, Any]:
        target, key = _walk(data, path)
        del target[key]
        return data

    return mutate


def _append(feature: dict[str, Any]) -> Mutation:
    def mutate(data: dict[str, Any]) -> dict[str, Any]:
        data["features"].append(feature)
        return data

    return mutate


P0 = "features[0].properties"
G0 = "features[0].geometry"
R4 = "features[4].properties"
BAD_CASES: list[tuple[str, Mutation, str, str]] = [
    ("root not an object", lambda d: [d], "", "JSON object"),
    ("not a FeatureCollection", _set("type", "Feature"), "type", "FeatureCollection"),
    ("features missing", _delete("features"), "features", "missing"),
    ("features not a list", _set("features", {}), "features", "array"),
    ("no places", _set("features", []), "features", "no places"),
    ("only terrain", _set("features", [_point("mere", 1.0, 1.0, "lake")]), "features", "no places"),
    ("feature not an object", _set("features[1]", "alpha"), "features[1]", "object"),
    ("feature type", _set("features[0].type", "Point"), "features[0].type", "Feature"),
    ("properties null", _set("features[0].properties", None), P0, "object"),
    ("geometry missing", _delete("features[0].geometry"), G0, "missing"),
    ("id missing", _delete(f"{P0}.id"), f"{P0}.id", "missing"),
    ("id not a string", _set(f"{P0}.id", 7), f"{P0}.id", "string"),
    ("id empty", _set(f"{P0}.id", ""), f"{P0}.id", "non-empty"),
    ("id spaces", _set(f"{P0}.id", " alpha"), f"{P0}.id", "spaces"),
    ("duplicate id", _set("features[1].properties.id", "alpha"), "features[1].properties.id", "features[0]"),
    ("kind unknown", _set(f"{P0}.kind", "castle"), f"{P0}.kind", "city, town, village"),
    ("kind missing", _delete(f"{P0}.kind"), f"{P0}.kind", "missing"),
    ("place geometry type", _set(f"{G0}.type", "LineString"), f"{G0}.type", "Point"),
    ("coordinate not a number", _set(f"{G0}.coordinates", ["10", 45.0]), f"{G0}.coordinates[0]", "number"),
    ("coordinate boolean", _set(f"{G0}.coordinates", [10.0, True]), f"{G0}.coordinates[1]", "number"),
    ("coordinate NaN", _set(f"{G0}.coordinates", [math.nan, 45.0]), f"{G0}.coordinates[0]", "finite"),
    ("coordinate inf", _set(f"{G0}.coordinates", [10.0, math.inf]), f"{G0}.coordinates[1]", "finite"),
    ("longitude range", _set(f"{G0}.coordinates", [190.0, 45.0]), f"{G0}.coordinates[0]", "-180..180"),
    ("latitude range", _set(f"{G0}.coordinates", [10.0, -91.0]), f"{G0}.coordinates[1]", "-90..90"),
    ("position too short", _set(f"{G0}.coordinates", [10.0]), f"{G0}.coordinates", "[lon, lat]"),
    ("defence string", _set(f"{P0}.defence", "high"), f"{P0}.defence", "number"),
    ("defence boolean", _set(f"{P0}.defence", True), f"{P0}.defence", "boolean"),
    ("defence NaN", _set(f"{P0}.defence", math.nan), f"{P0}.defence", "finite"),
    ("defence negative", _set(f"{P0}.defence", -1.0), f"{P0}.defence", "between 1.0 and 10.0"),
    ("defence below 1", _set(f"{P0}.defence", 0.5), f"{P0}.defence", "between 1.0 and 10.0"),
    ("defence above 10", _set(f"{P0}.defence", 12), f"{P0}.defence", "between 1.0 and 10.0"),
    ("population negative", _set(f"{P0}.population", -5), f"{P0}.population", ">= 0"),
    ("population fraction", _set(f"{P0}.population", 2.5), f"{P0}.population", "whole number"),
    ("population boolean", _set(f"{P0}.population", True), f"{P0}.population", "boolean"),
    ("population string", _set(f"{P0}.population", "many"), f"{P0}.population", "whole number"),
    ("estimated not bool", _set(f"{P0}.estimated", "yes"), f"{P0}.estimated", "true or false"),
    ("name not a string", _set(f"{P0}.name", 3), f"{P0}.name", "string"),
    ("place typo", _set(f"{P0}.defense", 2.0), f"{P0}.defense", "did you mean 'defence'"),
    ("road class unknown", _set(f"{R4}.road_class", "motorway"), f"{R4}.road_class", "highway, road"),
    ("road class spaced", _set(f"{R4}.road_class", "river crossing"), f"{R4}.road_class", "'river_crossing'"),
    ("road class missing", _delete(f"{R4}.road_class"), f"{R4}.road_class", "missing"),
    (
        "road geometry type",
        _set("features[4].geometry.type", "Point"),
        "features[4].geometry.type",
        "LineString",
    ),
    (
        "road one position",
        _set("features[4].geometry.coordinates", [[10.0, 45.0]]),
        "features[4].geometry.coordinates",
        "2 positions",
    ),
    ("km zero", _set(f"{R4}.km", 0), f"{R4}.km", "greater than 0"),
    ("km negative", _set(f"{R4}.km", -3.0), f"{R4}.km", "greater than 0"),
    ("km boolean", _set(f"{R4}.km", True), f"{R4}.km", "boolean"),
    ("km string", _set(f"{R4}.km", "5"), f"{R4}.km", "number"),
    ("km infinite", _set(f"{R4}.km", math.inf), f"{R4}.km", "finite"),
    ("road from unknown", _set(f"{R4}.from", "alpah"), f"{R4}.from", "did you mean 'alpha'"),
    ("road to unknown", _set(f"{R4}.to", "zulu"), f"{R4}.to", "unknown place 'zulu'"),
    ("road to missing", _delete(f"{R4}.to"), f"{R4}.to", "missing"),
    ("road to terrain", _set(f"{R4}.to", "mere"), f"{R4}.to", "terrain"),
    ("self-loop", _set(f"{R4}.to", "alpha"), f"{R4}.to", "self-loop"),
    (
        "duplicate road",
        _append(_road("bravo", "alpha", [[10.0, 46.0], [10.0, 45.0]])),
        "features[9]",
        "features[4]",
    ),
    ("road typo", _set(f"{R4}.speed", 50), f"{R4}.speed", "unknown property 'speed' on a road"),
    ("layer typo", _set("features[8].properties.colour", "blue"), "features[8].properties.colour", "layer"),
    ("layer empty", _set("features[8].properties.layer", ""), "features[8].properties.layer", "non-empty"),
    ("layer geometry", _set("features[8].geometry.type", "Circle"), "features[8].geometry.type", "Polygon"),
    (
        "layer open ring",
        _set("features[8].geometry", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        "features[8].geometry.coordinates[0]",
        "end where it starts",
    ),
    (
        "layer approximate",
        _set("features[8].properties.approximate", 1),
        "features[8].properties.approximate",
        "true",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_input_names_file_and_field(tmp_path: Path, mutate: Mutation, field: str, fragment: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(mutate(copy.deepcopy(small_map()))), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_theatre(path)
    error = caught.value
    assert (error.file, error.field) == (str(path), field), str(error)
    assert fragment in error.problem, str(error)
    assert str(error).startswith(f"{path}: {field}" if field else f"{path}: ")


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as caught:
        load_theatre(path)
    assert caught.value.file == str(path)
    with pytest.raises(InputError, match="file not found") as caught:
        load_theatre(tmp_path / "nowhere.geojson")
    assert caught.value.file == str(tmp_path / "nowhere.geojson")


def test_convention_constants() -> None:
    assert "lake" in TERRAIN_KINDS and len(TERRAIN_KINDS) == 1
    assert set(KIND_DEFENCE) == set(PLACE_KINDS)
    assert all(v >= 1.0 for v in KIND_DEFENCE.values())
    assert "river_crossing" in ROAD_CLASSES and "border_crossing" in ROAD_CLASSES


# -- any valid map round-trips ----------------------------------------------------------------------

LON = st.floats(min_value=-179.0, max_value=179.0, allow_nan=False)
LAT = st.floats(min_value=-89.0, max_value=89.0, allow_nan=False)


@st.composite
def random_maps(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=7))
    features = []
    positions = []
    for i in range(count):
        lon, lat = draw(LON), draw(LAT)
        positions.append([lon, lat])
        props: dict[str, Any] = {}
        if draw(st.booleans()):
            props["defence"] = draw(st.floats(min_value=1.0, max_value=10.0))
        if draw(st.booleans()):
            props["population"] = draw(st.integers(min_value=0, max_value=10**7))
        kind = draw(st.sampled_from([k for k in PLACE_KINDS if k not in TERRAIN_KINDS]))
        features.append(_point(f"p{i}", lon, lat, kind, **props))
    pairs = [(a, b) for a in range(count) for b in range(a + 1, count)]
    for a, b in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=8)) if pairs else []:
        km = {} if draw(st.booleans()) else {"km": draw(st.floats(min_value=0.1, max_value=500.0))}
        features.append(
            _road(f"p{a}", f"p{b}", [positions[a], positions[b]], draw(st.sampled_from(ROAD_CLASSES)), **km)
        )
    return {"type": "FeatureCollection", "features": features}


@settings(max_examples=60, deadline=None)
@given(random_maps())
def test_any_valid_map_round_trips(data: dict[str, Any]) -> None:
    try:
        graph = theatre_from_geojson(data, "random.geojson")
    except InputError as exc:  # only a zero-length road without km may fail (two identical points)
        assert "zero length" in exc.problem
        return
    again = theatre_from_geojson(json.loads(json.dumps(theatre_to_geojson(graph))), "random.geojson")
    assert nx.utils.graphs_equal(again, graph)

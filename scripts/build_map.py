"""Build ``scenarios/maps/qusayr.geojson`` from the shared reference geography (run once, by hand).

The simulation never reads the reference folder: it loads the GeoJSON this script writes.  Run
this again only when the reference CSVs change, and commit the regenerated map::

    python scripts/build_map.py                      # reads ../shared/reference/geo
    python scripts/build_map.py /path/to/geo         # another copy of the reference folder
    python scripts/build_map.py --check              # exit 1 if the committed map is stale

Inputs (see NOTES.md in that folder): ``places.csv`` (49 places), ``roads.csv`` (67 roads),
``orontes_polyline.csv`` (river centre-line).  What this script adds, and why:

* ``kind`` per place, read from the role texts (:data:`KINDS`; everything else is a village).
* No ``defence``: no source gives a place a figure of its own, so each place takes the scenario's
  ``kind_defence`` for its kind (``sim.space.terrain_defence``) and that parameter can be swept and calibrated.
* ``population`` only where a source gives one: al-Qusayr, 25,000 civilians still in the town on
  10 May 2013 (the article).  Everything else stays 0 = unknown.
* Positions for the two places the reference could not place, Tal Hanash and al-Sloumiya, read
  from the article (:data:`INFERRED_PLACES`), each joined to the road graph by inferred roads
  (:data:`INFERRED_ROADS`) whose ``km`` follows the NOTES method (great circle x class factor).
* The town's sectors (:data:`SECTORS`, :data:`SECTOR_STREETS`, :data:`SECTOR_EXITS`): al-Qusayr split into the
  quarters the article names, so the battle for it can be fought and reported quarter by quarter.
* Two hinterland nodes for the rebels' supply net the article describes but the reference has no row
  for (:data:`NEW_PLACES`: the rebel-held Homs countryside to the north, the country east of the M5),
  joined by inferred tracks, each with its reasoning.
* Background layers for drawing: the Orontes, a rough Lebanon-Syria border and a rough Lake Homs
  outline.  The border and lake are sketches, checked here against the places' countries.

The output goes through ``sim.theatre`` on the way out, so a map this script writes always loads,
and it is written in the loader's canonical order with sorted keys so diffs stay readable.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.errors import InputError  # noqa: E402
from sim.theatre import haversine_km, theatre_from_geojson, theatre_to_geojson  # noqa: E402

# A [lon, lat] pair as json.dumps(indent=2) spreads it over four lines; written back on one.
POSITION = re.compile(r"\[\s+(-?[0-9.eE+-]+),\s+(-?[0-9.eE+-]+)\s+\]")

DEFAULT_GEO = REPO.parent / "shared" / "reference" / "geo"
DEFAULT_OUT = REPO / "scenarios" / "maps" / "qusayr.geojson"

MAP_NAME = "al-Qusayr theatre, April-June 2013"
MAP_DESCRIPTION = (
    "Places, roads and background layers for the 2013 al-Qusayr offensive. Built by "
    "scripts/build_map.py from the project's reference geography (places.csv, roads.csv, "
    "orontes_polyline.csv; see their NOTES.md). Coordinates are [lon, lat], WGS 84. Road km = "
    "great-circle distance x a class factor unless a source gives the distance; many west-bank "
    "positions and tracks are estimates (see each feature's confidence and source)."
)

# Kind per place id, from the role texts in places.csv; any id not listed is a village.
KINDS: dict[str, str] = {
    "al_qusayr": "city",  # district town, the objective
    "homs": "city",  # provincial capital
    "hermel": "town",
    "arsal": "town",
    "al_qaa": "town",
    "qattinah": "town",  # "town/dam"
    "tall_kalakh": "town",
    "tell_nabi_mando": "hill",  # "strategic hilltop village"
    "tal_hanash": "hill",  # "Tal" = hill/tell; "last major rebel stronghold"
    "dabaa_airbase": "airbase",
    "abboudiyeh_crossing": "crossing",  # a border post, not a settlement
    # jusiyah stays a village: a fought-over village that also has the crossing; the crossing
    # itself is the border_crossing road to Macharih el-Qaa.
    "masharih_al_qaa": "farm",  # "border farm settlement (Qaa projects)"
    "lake_homs": "lake",
}

# Only figures a source gives.  0 = unknown.
POPULATION: dict[str, tuple[int, str]] = {
    "al_qusayr": (
        25000,
        "population: about 25,000 civilians still in the town on 10 May 2013 (the article); "
        "roughly 30,000 lived there before the war",
    ),
}

# Role texts the reference marked "role not verified" / "could not be placed" (or dated wrongly),
# rewritten from the article (timeline.csv) so the map says what the article says.
ROLE_FROM_ARTICLE: dict[str, str] = {
    "tal_hanash": "last major rebel stronghold east of the town; captured 5 May, completing the encirclement",
    "al_sloumiya": "clash on the edge of the town 6 May, while fighting went on on al-Qusayr's outskirts",
    "al_mouh": "west-bank village; rebels claimed to retake it (with Abu Huri) 22 April, unconfirmed",
    "kamam": "village between Homs and al-Qusayr; rebels tried to take it 26 April",
    "shumariyeh": "village on the SE shore of Lake Homs; taken by the army 9 May, advancing on Ghassaniyeh",
    "hit": "Syrian border village west of the Orontes; fighting spread there 21 May",
    "abil": (
        "strategic village on the Homs-Qusayr corridor ~4 km from the Damascus road; taken by the army "
        "18 April, retaken by rebels 11 May, by the army again 12 May"
    ),
}

CONFIDENCE = {"high": "high", "medium": "medium", "low": "low", "unplaced": "estimated"}

# Road class factors from NOTES.md ("km is the great-circle distance times a factor").
CLASS_FACTOR = {"highway": 1.15, "road": 1.3, "track": 1.4, "river_crossing": 1.3, "border_crossing": 1.3}

# The two places the reference left unplaced: (lat, lon, kind-independent extras).
INFERRED_PLACES: dict[str, dict[str, Any]] = {
    "tal_hanash": {
        "lat": 34.518,
        "lon": 36.613,
        "orontes_side": "east",
        "source": (
            "ESTIMATED (build_map.py) from the article alone: 5 May, 'the last major rebel stronghold east "
            "of the city, Tal Hanash', whose capture completed the encirclement. Placed about 3.5 km E of "
            "al-Qusayr on the eastern road to Shamsin, the rebels' eastern way in and out (relief columns "
            "came through Shamsin). No coordinate source; the direction is from the text, the distance "
            "a guess"
        ),
    },
    "al_sloumiya": {
        "lat": 34.495,
        "lon": 36.58,
        "orontes_side": "east",
        "source": (
            "ESTIMATED (build_map.py) from the article alone: 6 May, a clash 'on the edge of the town of "
            "al-Sloumiya' while fighting went on 'on the outskirts of al-Qusayr' for a second day. Placed "
            "on the southern outskirts, about 2 km S of the centre towards Rablah: north and east of the "
            "town are taken by named places, and the government came up from the south (Hezbollah from "
            "al-Qasr via Rablah). No coordinate source; the direction is a guess"
        ),
    },
}

# --- the rebels' supply net (issue 11): places the reference has no row for, each with its reasoning ---
# The article names two outside worlds the district's rebels drew on besides Lebanon (Arsal, already in
# places.csv): the rebels "fighting in Homs" to the north (the district is "an important supply route" for
# them; Abil's capture "will hamper rebel movements between al-Qusayr and Homs"; the 13 May captures north of
# the town "block supplies") and the country east of the M5, from which "300 rebels ... broke through Army
# lines at the village of Shamsinn" on 30 May. Each is one node standing for a hinterland, placed where its
# tracks meet the theatre; neither is a settlement that was fought over.
NEW_PLACES: dict[str, dict[str, Any]] = {
    "northern_countryside": {
        "name": "rebel-held Homs countryside (north)",
        "alt_names": "al-Houla;al-Rastan;Talbiseh",
        "country": "Syria",
        "lat": 34.70,
        "lon": 36.60,
        "orontes_side": "east",
        "kind": "farm",
        "role": "not a village: the rebel hinterland north of the lake and west of Homs, toward the rebel-held "
        "northern Homs countryside (al-Houla, al-Rastan); the far end of the rebels' northern supply line",
        "source": (
            "INFERRED (build_map.py): the article calls the district 'an important supply route for rebels "
            "fighting Syrian government forces in Homs'; the 13 May captures of Damina al-Gharbiyah, "
            "Haidariyeh and Ish al-Warwar 'block supplies to the rebels in the city', so a line ran north "
            "through them. The node stands at the orchards between the Qattinah dam and Homs' western "
            "edge, where that line leaves the theatre; position a guess to a few km"
        ),
    },
    "eastern_hinterland": {
        "name": "eastern hinterland (east of the M5)",
        "alt_names": "Qalamoun;eastern Homs desert",
        "country": "Syria",
        "lat": 34.54,
        "lon": 36.84,
        "orontes_side": "east",
        "kind": "farm",
        "role": "not a village: the rebel-held country east of the Damascus-Homs highway toward the Qalamoun; "
        "the relief column of 30 May came from this side and broke in at Shamsin",
        "source": (
            "INFERRED (build_map.py): the article, 30 May: '300 rebels managed to reinforce al-Qusayr, "
            "breaking through Army lines at the village of Shamsinn' (on the M5, east of the town); NOTES.md: "
            "rebels escaping Qusayr went 'towards Josiah and the Qalamoun'. Placed about 9 km E of Shamsin "
            "across the M5; position a guess"
        ),
    },
}

# (a, b, road_class, reasoning) for roads that join the inferred places to the graph.
INFERRED_ROADS: list[tuple[str, str, str, str]] = [
    (
        "al_qusayr",
        "tal_hanash",
        "road",
        "INFERRED (build_map.py): Qusayr's eastern road towards Shamsin, on which Tal Hanash is placed",
    ),
    (
        "tal_hanash",
        "shamsin",
        "road",
        "INFERRED (build_map.py): the rest of the eastern road to Shamsin and the M5",
    ),
    (
        "al_qusayr",
        "al_sloumiya",
        "road",
        "INFERRED (build_map.py): town street to the southern outskirts (al-Sloumiya estimated)",
    ),
    (
        "al_sloumiya",
        "rablah",
        "track",
        "INFERRED (build_map.py): orchard track south towards Rablah (al-Sloumiya estimated)",
    ),
    # --- the rebels' supply net (issue 11) ---
    (
        "ish_al_warwar",
        "northern_countryside",
        "track",
        "INFERRED (build_map.py): orchard track north from the Homs-Qusayr road past the Qattinah dam "
        "toward the rebel-held Homs countryside; the northern supply line the 13 May captures blocked",
    ),
    (
        "shumariyeh",
        "northern_countryside",
        "track",
        "INFERRED (build_map.py): lake-shore orchard track north from Shumariyeh toward the same "
        "hinterland (the army took Shumariyeh 9 May on its way to the northern villages)",
    ),
    (
        "shamsin",
        "eastern_hinterland",
        "track",
        "INFERRED (build_map.py): track across the M5 east of Shamsin; the 30 May relief column came in "
        "this way ('breaking through Army lines at the village of Shamsinn')",
    ),
    (
        "buwaydah_sharqiyah",
        "eastern_hinterland",
        "track",
        "INFERRED (build_map.py): farm tracks east from al-Buwaydah across the M5 between Shinshar and "
        "Shamsin: the northern pocket's outlet (the rebels held Buwaydah to the end, 8 June, and 'most "
        "rebels from al-Qusayr' retreated there)",
    ),
]

# Rough Lebanon-Syria border near the theatre, (lat, lon), north-west (Akkar) to south (Anti-Lebanon).
# Only the two vertices marked "fixed" come from a source (enwiki "Lebanon-Syria border", via NOTES).
BORDER: list[tuple[float, float]] = [
    (34.632, 36.05),  # Nahr al-Kabir, north of Dabbabiya and Noura
    (34.634, 36.119),  # just south of the Abboudiyeh/Dabbousiyah crossing
    (34.640, 36.20),
    (34.625, 36.30),  # Wadi Khaled, south of Tall Kalakh
    (34.570, 36.36),
    (34.520, 36.40),  # south-west of Hit
    (34.480, 36.44),
    (34.462, 36.47),  # the canal between al-Qasr (Lebanon) and Syrian Matraba
    (34.455, 36.49),  # fixed: the Orontes crosses the border
    (34.470, 36.50),  # bulge: the Hawsh al-Sayyid Ali point (country Lebanon) stays on the Lebanese side
    (34.4217, 36.5433),  # fixed: the Qaa-Qusayr road crosses by the Jusiyah crossing
    (34.400, 36.56),
    (34.330, 36.58),  # Anti-Lebanon crest, east of Macharih el-Qaa and al-Qaa
    (34.250, 36.58),
    (34.180, 36.56),  # east of Jurd Arsal
]

# Rough Lake Homs outline, (lat, lon), clockwise from the southern inflow; closed below.
LAKE: list[tuple[float, float]] = [
    (34.585, 36.530),  # southern inflow (orontes_polyline.csv vertex 8)
    (34.595, 36.523),
    (34.612, 36.522),
    (34.635, 36.527),
    (34.655, 36.535),
    (34.668, 36.548),
    (34.672, 36.570),
    (34.668, 36.595),
    (34.660, 36.612),  # Qattinah dam (orontes_polyline.csv vertex 9)
    (34.645, 36.597),
    (34.628, 36.572),  # west of Shumariyeh ("SE shore")
    (34.615, 36.560),
    (34.600, 36.542),  # west of Ghassaniyeh ("just east of Lake Homs")
]


# ------------------------------------------------------------------ the town's sectors (the battle for the town)
# The article fights the battle of al-Qusayr (19 May - 5 June 2013) quarter by quarter: on 19 May troops
# "entered the center of the city ... seizing the town's main square and its municipality building"; on day 2
# state media claimed "stability in the town's east" while hunting "remnants ... in some northern and eastern
# areas", and the army gathered "near the western neighborhood"; the town was stormed "from several directions"
# (Hezbollah up from the south, from al-Qasr via Rablah, and the Jusiyah road; the army from the east); the
# rebels were "entrenched" in "the northern part" and the last mop-up was "in the northern quarter", from which
# they withdrew north to Dabaa. So: the town's own place is its centre (square, municipality), and four
# quarters around it. Haret al-Turkumen stays a place of its own north of the town: the article calls it "the
# village" whose capture would put al-Qusayr "under complete siege" (27 May), i.e. outside the town.
# No source gives the quarters' extent: each is placed about 0.9 km from the centre in its direction (a town of
# 30,000 spans about 2 km), so every position is estimated; each quarter counts an equal share of the town.
TOWN = "al_qusayr"
SECTORS: dict[str, dict[str, Any]] = {
    "qusayr_north": {
        "name": "al-Qusayr, northern quarter", "lat": 34.5195, "lon": 36.5770,
        "source": "the article: rebels 'entrenched' in 'the northern part' (23 May), mop-up 'in the northern "
                  "quarter' (5 June), the way out north to Dabaa",
    },
    "qusayr_east": {
        "name": "al-Qusayr, east", "lat": 34.5115, "lon": 36.5860,
        "source": "the article: state media claimed 'stability' in 'the town's east' on the second day (20 May)",
    },
    "qusayr_south": {
        "name": "al-Qusayr, south", "lat": 34.5040, "lon": 36.5770,
        "source": "the article: the town stormed 'from several directions' (19 May); Hezbollah came up from "
                  "the south (al-Qasr, Rablah) and the Jusiyah road; al-Sloumiya on the edge of the town",
    },
    "qusayr_west": {
        "name": "al-Qusayr, western neighbourhood", "lat": 34.5120, "lon": 36.5665,
        "source": "the article: troops 'gathering near the western neighborhood of al-Qusayr' (20 May)",
    },
}
# Streets: the centre to each quarter, and round the ring of quarters (north-east-south-west).
SECTOR_STREETS: list[tuple[str, str]] = [
    (TOWN, "qusayr_north"), (TOWN, "qusayr_east"), (TOWN, "qusayr_south"), (TOWN, "qusayr_west"),
    ("qusayr_north", "qusayr_east"), ("qusayr_east", "qusayr_south"), ("qusayr_south", "qusayr_west"),
    ("qusayr_west", "qusayr_north"),
]
# Which quarter each road out of the town leaves from: the quarter facing the place it leads to. Roads not listed
# (added elsewhere in this script) leave from the quarter nearest their other end.
SECTOR_EXITS: dict[str, tuple[str, str]] = {
    "hamidiyeh": ("qusayr_north", "north exit towards the air base"),
    "haret_al_turkumen": ("qusayr_north", "street to the northern outskirts"),
    "dabaa_village": ("qusayr_north", "the rebels' way out north to Dabaa (5 June)"),
    "jawadiyeh": ("qusayr_west", "north-west exit towards Arjoun, from the western neighbourhood"),
    "ayn_al_tannur": ("qusayr_west", "west exit towards the Orontes"),
    "shamsin": ("qusayr_east", "eastern road towards Shamsin and the M5"),
    "tal_hanash": ("qusayr_east", "eastern road towards Shamsin and the M5"),
    "rablah": ("qusayr_south", "road south to Rablah and al-Qasr"),
    "jusiyah": ("qusayr_south", "the Qaa road south to Jusiyah"),
    "al_sloumiya": ("qusayr_south", "street to the southern outskirts"),
}
SECTOR_STREET_CLASS = "road"


def sector_features(town: dict[str, Any]) -> list[dict[str, Any]]:
    """The town's quarters as places of the town's kind, estimated, each naming the town in ``sector_of``."""
    props = town["properties"]
    out = []
    for sid, sector in SECTORS.items():
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [sector["lon"], sector["lat"]]},
                    "properties": {
                        "id": sid, "name": sector["name"], "kind": props["kind"], "country": props["country"],
                        "population": 0, "estimated": True, "confidence": "estimated",
                        "orontes_side": props["orontes_side"], "alt_names": [], "sector_of": TOWN,
                        "description": f"a sector of {props['name']}",
                        "source": f"ESTIMATED (build_map.py, sectors): {sector['source']}; position about 0.9 km "
                                  "from the centre in that direction (no source gives the quarters' extent)",
                    }})
    return out


def split_town(roads: list[dict[str, Any]], where: dict[str, list[float]]) -> list[dict[str, Any]]:
    """The roads with every road out of the town moved to the quarter it leaves from (its km scaled by the
    straight-line distance from the quarter over that from the centre), plus the town's streets."""
    out = []
    for road in roads:
        props = road["properties"]
        if TOWN not in (props["from"], props["to"]):
            out.append(road)
            continue
        other = props["to"] if props["from"] == TOWN else props["from"]
        sector, why = SECTOR_EXITS.get(other, (min(SECTORS, key=lambda s: haversine_km(tuple(where[s]),
                                                                                         tuple(where[other]))),
                                               "the quarter nearest the road's other end"))
        scale = haversine_km(tuple(where[sector]), tuple(where[other])) / haversine_km(tuple(where[TOWN]),
                                                                                      tuple(where[other]))
        km = round(props["km"] * scale, 1)
        source = (f"{props['source']}; leaves the town from {SECTORS[sector]['name']} (build_map.py, sectors: "
                  f"{why}; km {props['km']} from the centre x {scale:.2f}, the quarter's share of the straight line)")
        out.append(road_feature(sector, other, km, props["road_class"], source, where))
    for a, b in SECTOR_STREETS:
        great_circle = haversine_km(tuple(where[a]), tuple(where[b]))
        factor = CLASS_FACTOR[SECTOR_STREET_CLASS]
        out.append(road_feature(a, b, round(great_circle * factor, 1), SECTOR_STREET_CLASS,
                                f"INFERRED (build_map.py, sectors): a street of the town [km = great-circle "
                                f"{great_circle:.1f} x {factor}]", where))
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    """All rows of one reference CSV, as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def place_feature(row: dict[str, str]) -> dict[str, Any]:
    """One places.csv row as a Point feature, with the kind and population added here."""
    pid = row["id"]
    extra = INFERRED_PLACES.get(pid, {})
    if row["lat"] and row["lon"]:
        lat, lon = float(row["lat"]), float(row["lon"])
    elif extra:
        lat, lon = extra["lat"], extra["lon"]
    else:
        raise SystemExit(f"places.csv: {pid} has no coordinates and no inferred position in build_map.py")
    kind = KINDS.get(pid, "village")
    confidence = CONFIDENCE[row["confidence"]]
    source = extra.get("source", row["source"])
    population = 0
    if pid in POPULATION:
        population, note = POPULATION[pid]
        source = f"{source}; {note}"
    props: dict[str, Any] = {
        "id": pid,
        "name": row["name"],
        "kind": kind,
        "country": row["country"],
        "population": population,
        "estimated": confidence != "high",
        "confidence": confidence,
        "orontes_side": extra.get("orontes_side", row["orontes_side"]),
        "alt_names": [n.strip() for n in row["alt_names"].split(";") if n.strip()],
        "description": ROLE_FROM_ARTICLE.get(pid, row["role_in_2013"]),
        "source": source,
    }
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def new_place_feature(pid: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A place the reference has no row for (:data:`NEW_PLACES`), estimated, with its reasoning as source."""
    props: dict[str, Any] = {
        "id": pid,
        "name": spec["name"],
        "kind": spec["kind"],
        "country": spec["country"],
        "population": 0,
        "estimated": True,
        "confidence": "estimated",
        "orontes_side": spec["orontes_side"],
        "alt_names": spec["alt_names"].split(";"),
        "description": spec["role"],
        "source": spec["source"],
    }
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [spec["lon"], spec["lat"]]},
            "properties": props}


def road_feature(
    a: str, b: str, km: float, road_class: str, source: str, where: dict[str, list[float]]
) -> dict:
    """One road as a straight LineString between its two places."""
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [where[a], where[b]]},
        "properties": {"from": a, "to": b, "road_class": road_class, "km": km, "source": source},
    }


def layer_feature(layer: str, name: str, gtype: str, coordinates: Any, source: str, note: str = "") -> dict:
    """One background (drawing-only) feature."""
    props = {"layer": layer, "name": name, "approximate": True, "source": source}
    if note:
        props["note"] = note
    return {"type": "Feature", "geometry": {"type": gtype, "coordinates": coordinates}, "properties": props}


def build(geo: Path) -> dict[str, Any]:
    """The whole map as a GeoJSON dict (not yet validated)."""
    places = [place_feature(row) for row in read_csv(geo / "places.csv")]
    places += sector_features(next(f for f in places if f["properties"]["id"] == TOWN))
    places += [new_place_feature(pid, spec) for pid, spec in NEW_PLACES.items()]
    where = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in places}

    roads = []
    for row in read_csv(geo / "roads.csv"):
        road_class = row["road_class"].strip().replace(" ", "_")
        roads.append(
            road_feature(row["a"], row["b"], float(row["km"]), road_class, row["source_or_reasoning"], where)
        )
    for a, b, road_class, reason in INFERRED_ROADS:
        great_circle = haversine_km(tuple(where[a]), tuple(where[b]))
        km = round(great_circle * CLASS_FACTOR[road_class], 1)
        source = f"{reason} [km = great-circle {great_circle:.1f} x {CLASS_FACTOR[road_class]}]"
        roads.append(road_feature(a, b, km, road_class, source, where))
    roads = split_town(roads, where)

    river_rows = read_csv(geo / "orontes_polyline.csv")
    river = [[float(r["lon"]), float(r["lat"])] for r in river_rows]
    river_note = "; ".join(f"{r['seq']}: {r['confidence']} - {r['note']}" for r in river_rows)
    lake = [[lon, lat] for lat, lon in LAKE]
    layers = [
        layer_feature(
            "lake",
            "Lake Homs (Qattinah)",
            "Polygon",
            [[*lake, lake[0]]],
            "build_map.py sketch between the southern inflow (34.585N 36.530E) and the Qattinah dam "
            "(34.660N 36.612E), kept west of Ghassaniyeh and Shumariyeh; orientation only",
        ),
        layer_feature(
            "river",
            "Orontes (Assi)",
            "LineString",
            river,
            "orontes_polyline.csv (rebuilt centre-line; confidence per vertex in note)",
            river_note,
        ),
        layer_feature(
            "border",
            "Lebanon-Syria border (approximate)",
            "LineString",
            [[lon, lat] for lat, lon in BORDER],
            "build_map.py sketch through the two fixed points in NOTES.md (Orontes 34.455N 36.490E; "
            "Qaa-Qusayr road 34.4217N 36.5433E); the rest drawn so every place falls on its country's side",
            "Hawsh al-Sayyid Ali straddles the border; its point (country Lebanon) is kept on the Lebanese "
            "side by a small bulge east of the river. Orientation only, not a legal line.",
        ),
    ]
    return {
        "type": "FeatureCollection",
        "name": MAP_NAME,
        "description": MAP_DESCRIPTION,
        "features": places + roads + layers,
    }


def inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    """Even-odd point-in-polygon test on (lon, lat) pairs (small areas, so plane geometry is fine)."""
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def lebanon_side() -> list[tuple[float, float]]:
    """The border line closed round the south-west: a polygon holding the Lebanese side near the theatre."""
    line = [(lon, lat) for lat, lon in BORDER]
    return [*line, (36.56, 33.9), (35.9, 33.9), (35.9, line[0][1])]


def check_sketches(data: dict[str, Any]) -> list[str]:
    """Every place on its country's side of the border sketch, and none but the lake inside the lake."""
    problems = []
    lebanon = lebanon_side()
    lake = [(lon, lat) for lat, lon in LAKE]
    for feature in data["features"]:
        props = feature["properties"]
        if "id" not in props:
            continue
        point = tuple(feature["geometry"]["coordinates"])
        side = "Lebanon" if inside(point, lebanon) else "Syria"
        if side != props["country"]:
            problems.append(f"{props['id']} ({props['country']}) is on the {side} side of the border sketch")
        if inside(point, lake) != (props["kind"] == "lake"):
            problems.append(
                f"{props['id']} is {'not ' if props['kind'] == 'lake' else ''}inside the lake sketch"
            )
    return problems


def render(geo: Path) -> str:
    """Build, check, validate through sim.theatre and serialise the map in canonical form."""
    data = build(geo)
    problems = check_sketches(data)
    if problems:
        raise SystemExit("build_map.py: the sketches disagree with the places:\n  " + "\n  ".join(problems))
    try:
        graph = theatre_from_geojson(data, "build_map.py output")
    except InputError as exc:
        raise SystemExit(f"build_map.py built an invalid map: {exc}") from exc
    if graph.graph["warnings"]:
        raise SystemExit(
            "build_map.py: the map loads with warnings:\n  " + "\n  ".join(graph.graph["warnings"])
        )
    text = json.dumps(theatre_to_geojson(graph), indent=2, sort_keys=True, ensure_ascii=False)
    return POSITION.sub(r"[\1, \2]", text) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: build (or with --check, compare) the map."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "geo", nargs="?", type=Path, default=DEFAULT_GEO, help=f"reference folder ({DEFAULT_GEO})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"map to write ({DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if --out differs")
    args = parser.parse_args(argv)

    text = render(args.geo)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date; run scripts/build_map.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    data = json.loads(text)
    points = sum(1 for f in data["features"] if "id" in f["properties"])
    roads = sum(1 for f in data["features"] if "from" in f["properties"])
    print(
        f"wrote {args.out}: {points} places, {roads} roads, {len(data['features']) - points - roads} layers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

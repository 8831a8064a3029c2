"""Theatre maps: a GeoJSON file in, a networkx road graph out (and back).

A theatre is the ground the simulation is played on: places joined by roads.  Maps are plain
GeoJSON so that anyone can draw or check one in QGIS, geojson.io or a text editor; this module is
the only code that knows the file layout.  Any map that follows the convention below loads, not
only the shipped ``scenarios/maps/qusayr.geojson``.

Map convention (the spec users follow to write their own maps)
---------------------------------------------------------------
The file is a GeoJSON ``FeatureCollection`` (RFC 7946) with coordinates ``[lon, lat]`` in degrees
(WGS 84).  Optional top-level ``name`` and ``description`` strings are kept; other top-level
members are ignored.  Each feature is exactly one of three things, told apart by its properties:

* **Background layer** -- has a ``layer`` property (e.g. ``river``, ``border``, ``lake``).  Any
  geometry type.  Only for drawing; never part of the road graph.  Allowed properties: ``layer``,
  ``name``, ``approximate`` (bool), ``source``, ``note``, ``description``.
* **Road** -- has ``from``/``to`` (or ``road_class``).  Geometry: a ``LineString`` running from the
  ``from`` place to the ``to`` place.  Properties:

  ==============  ========  ===============================================================
  ``from``        required  id of a place
  ``to``          required  id of a different place
  ``road_class``  required  one of :data:`ROAD_CLASSES`
  ``km``          optional  travel length, finite number > 0; default: haversine length of
                            the LineString (give it when the road winds more than the line)
  ==============  ========  ===============================================================

  Roads are undirected; at most one road joins any two places.
* **Place** -- anything else.  Geometry: a ``Point``.  Properties:

  ==============  ========  ===============================================================
  ``id``          required  unique non-empty string; roads refer to it
  ``kind``        required  one of :data:`PLACE_KINDS`
  ``name``        optional  display name; default: the id
  ``country``     optional  string; default ``""``
  ``defence``     optional  terrain defence multiplier, 1.0..10.0; default :data:`KIND_DEFENCE`
  ``population``  optional  whole number >= 0 (0 = unknown); default 0
  ``estimated``   optional  bool, true if the position is a guess; default false
  ``sector_of``   optional  id of the town or city this place is a sector (quarter) of; the
                            town's own place is its first sector (see :func:`town_sectors`)
  ==============  ========  ===============================================================

  Places whose kind is in :data:`TERRAIN_KINDS` (lakes) are terrain: they are kept in
  ``graph.graph["terrain"]`` and roads may not end at them.

Places and roads may also carry the free-text properties in :data:`FREE_TEXT_PROPERTIES`
(``name, source, confidence, orontes_side, alt_names, description, approximate, note``); they
are kept unchanged.  Any other property is an error, so a typo such as ``defense`` is caught
instead of silently falling back to the default.  Booleans are never accepted as numbers.

What the loader returns
-----------------------
An undirected :class:`networkx.Graph`:

* nodes keyed by place ``id`` with attributes ``name, kind, country, lon, lat, pos, defence,
  population, estimated`` (``pos = (lon, lat)``, for drawing; never a spring layout) plus any
  free-text properties;
* edges with ``from, to, road_class, km, geometry`` (``geometry`` is the list of ``(lon, lat)``
  points, running from ``from`` to ``to``) plus any free-text properties;
* ``graph.graph``: ``name``, ``description``, ``layers`` (one dict per background feature:
  ``layer, name, type, coordinates, approximate`` plus its other properties), ``terrain`` (id ->
  attributes, as for nodes) and ``warnings`` (list of str; e.g. a road graph in several pieces, or
  a road drawn more than :data:`ENDPOINT_TOLERANCE_KM` from its places), ``defence_from_kind`` (ids of
  the places whose ``defence`` is the default for their kind), ``towns`` (town id -> its sectors: the town's
  own place, then the places whose ``sector_of`` names it, in file order; only towns that have sectors).

See ``docs/map-format.md`` for the same convention with an example map.

Every problem with the file raises :class:`sim.errors.InputError` naming the file and a JSON path
to the field, e.g. ``features[12].properties.road_class``. The file itself is read by
:func:`sim.loader.load_json`, within the limits every input file has (size, nesting, repeated keys).
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx

from sim.errors import InputError
from sim.loader import load_json
from sim.parameters import Parameters

ROAD_CLASSES: tuple[str, ...] = ("highway", "road", "track", "river_crossing", "border_crossing")
"""Allowed ``road_class`` values.  What each costs to travel is the movement model's business."""

PLACE_KINDS: tuple[str, ...] = ("city", "town", "village", "hill", "airbase", "crossing", "farm", "lake")
"""Allowed place ``kind`` values."""

TERRAIN_KINDS: frozenset[str] = frozenset({"lake"})
"""Kinds that are terrain, not places: kept out of the road graph (a lake is a barrier, not a stop)."""

KIND_DEFENCE: Mapping[str, float] = MappingProxyType(Parameters().kind_defence)
"""Default ``defence`` multiplier by kind, used when a place gives none: the default of the model
parameter ``kind_defence`` (a scenario's value of it applies to the places listed in
``graph.graph["defence_from_kind"]``).

These are modelling assumptions, not sourced figures: built-up and high ground favour the
defender (a city most, open farmland and a crossing point least).  Override per place in the map.
"""

DEFAULT_POPULATION = 0
"""Population when a place gives none; 0 means unknown, not empty."""

DEFAULT_ESTIMATED = False
"""``estimated`` when a place gives none: positions are taken as known unless flagged."""

DEFENCE_RANGE: tuple[float, float] = (1.0, 10.0)
"""Inclusive bounds for ``defence``: below 1 would favour the attacker, above 10 is surely a typo."""

ENDPOINT_TOLERANCE_KM = 2.0
"""A road's drawn ends further than this from its places earn a warning (swapped lon/lat, wrong id)."""

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG) for haversine lengths."""

FREE_TEXT_PROPERTIES: frozenset[str] = frozenset(
    {"name", "source", "confidence", "orontes_side", "alt_names", "description", "approximate", "note"}
)
"""Properties places and roads may carry for people; kept as-is, never interpreted (except ``name``)."""

PLACE_PROPERTIES: frozenset[str] = FREE_TEXT_PROPERTIES | {
    "id",
    "kind",
    "country",
    "defence",
    "population",
    "estimated",
    "sector_of",
}
ROAD_PROPERTIES: frozenset[str] = FREE_TEXT_PROPERTIES | {"from", "to", "road_class", "km"}
LAYER_PROPERTIES: frozenset[str] = frozenset(
    {"layer", "name", "approximate", "source", "note", "description"}
)

# Nesting depth of positions in each GeoJSON geometry type (Point: a bare position).
_GEOMETRY_DEPTH: Mapping[str, int] = MappingProxyType(
    {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }
)

# Node attributes derived from the geometry, so not written back as properties.
_GEOMETRY_ATTRS = frozenset({"lon", "lat", "pos"})


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two ``(lon, lat)`` points (GeoJSON order)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def line_length_km(points: Iterable[tuple[float, float]]) -> float:
    """Length in km of a polyline of ``(lon, lat)`` points: the default ``km`` of a road."""
    pts = list(points)
    return sum(haversine_km(p, q) for p, q in zip(pts, pts[1:], strict=False))


def town_sectors(graph: nx.Graph, place: str) -> tuple[str, ...]:
    """The sectors of the town ``place`` names (its own place first), or just ``place`` when it has none."""
    return graph.graph.get("towns", {}).get(place, (place,))


def load_theatre(path: str | Path) -> nx.Graph:
    """Read a GeoJSON map file (within sim/loader.py's limits) and build its road graph; any problem raises
    InputError."""
    return theatre_from_geojson(load_json(path), str(path))


def theatre_from_geojson(data: Any, source: str) -> nx.Graph:
    """Validate a parsed GeoJSON map and build its graph; ``source`` names the file in errors."""
    return _Builder(source).build(data)


def theatre_to_geojson(graph: nx.Graph) -> dict[str, Any]:
    """Write a theatre graph back as a GeoJSON FeatureCollection in canonical order.

    Points (places and terrain) come first sorted by id, then roads sorted by ``(from, to)``, then
    background layers in their stored order (drawing order).  Loading the result gives a graph
    equal to ``graph`` when ``graph`` came from the loader.
    """
    points: dict[str, dict[str, Any]] = {}
    from_kind = set(graph.graph.get("defence_from_kind", ()))
    for node, attrs in graph.nodes(data=True):
        points[str(node)] = _point_feature(str(node), attrs)
        if node in from_kind:
            del points[str(node)]["properties"]["defence"]  # the map gave none: it stays the kind's default
    for tid, attrs in graph.graph.get("terrain", {}).items():
        points[str(tid)] = _point_feature(str(tid), attrs)

    roads = []
    for u, v, attrs in graph.edges(data=True):
        start, end = attrs.get("from", u), attrs.get("to", v)
        geometry = attrs.get("geometry") or [_node_pos(graph, start), _node_pos(graph, end)]
        props = {k: _plain(val) for k, val in attrs.items() if k != "geometry"}
        props["from"], props["to"] = start, end
        roads.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _plain(geometry)},
                "properties": props,
            }
        )
    roads.sort(key=lambda f: (f["properties"]["from"], f["properties"]["to"]))

    layers = []
    for layer in graph.graph.get("layers", []):
        props = {k: _plain(v) for k, v in layer.items() if k not in ("type", "coordinates")}
        geometry = {"type": layer["type"], "coordinates": _plain(layer["coordinates"])}
        layers.append({"type": "Feature", "geometry": geometry, "properties": props})

    collection: dict[str, Any] = {"type": "FeatureCollection"}
    for key in ("name", "description"):
        if graph.graph.get(key):
            collection[key] = graph.graph[key]
    collection["features"] = [points[k] for k in sorted(points)] + roads + layers
    return collection


def _point_feature(pid: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    lon, lat = attrs["pos"] if "lon" not in attrs else (attrs["lon"], attrs["lat"])
    props = {k: _plain(v) for k, v in attrs.items() if k not in _GEOMETRY_ATTRS}
    props["id"] = pid
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _node_pos(graph: nx.Graph, node: Any) -> tuple[float, float]:
    attrs = graph.nodes[node]
    return (attrs["lon"], attrs["lat"]) if "lon" in attrs else tuple(attrs["pos"])


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the output is plain JSON."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _kind_name(value: Any) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Builder:
    """One pass over one map: holds the file name so every check can name it in its error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field: str, problem: str) -> InputError:
        return InputError(self.source, field, problem)

    # -- top level ------------------------------------------------------------------------------

    def build(self, data: Any) -> nx.Graph:
        features, name, description = self.collection(data)
        graph = nx.Graph()
        graph.graph.update(name=name, description=description, layers=[], terrain={}, warnings=[],
                           defence_from_kind=[])
        id_where: dict[str, str] = {}
        roads: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for i, feature in enumerate(features):
            where = f"features[{i}]"
            props, geometry = self.feature_parts(where, feature)
            if "layer" in props:
                graph.graph["layers"].append(self.layer(where, props, geometry))
            elif "from" in props or "to" in props or "road_class" in props:
                roads.append((where, props, geometry))
            else:
                self.add_place(graph, where, props, geometry, id_where)
        if graph.number_of_nodes() == 0:
            raise self.fail(
                "features", "the map has no places (Point features with an id and a non-terrain kind)"
            )
        self.add_sectors(graph, id_where)
        self.add_roads(graph, roads)
        warning = _connectivity_warning(graph)
        if warning:
            graph.graph["warnings"].append(warning)
        return graph

    def collection(self, data: Any) -> tuple[list[Any], str, str]:
        """The features, name and description of a FeatureCollection."""
        if not isinstance(data, dict):
            raise self.fail(
                "", f"the map must be a JSON object (a FeatureCollection), got {_kind_name(data)}"
            )
        if data.get("type") != "FeatureCollection":
            raise self.fail("type", f"must be 'FeatureCollection', got {data.get('type')!r}")
        features = data.get("features")
        if not isinstance(features, list):
            got = "it is missing" if "features" not in data else f"got {_kind_name(features)}"
            raise self.fail("features", f"must be an array of features; {got}")
        name = data.get("name", Path(self.source).stem)
        description = data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                raise self.fail(key, f"must be a string, got {_kind_name(value)}")
        return features, name, description

    def feature_parts(self, where: str, feature: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A feature's properties and geometry, both objects."""
        if not isinstance(feature, dict):
            raise self.fail(where, f"a feature must be an object, got {_kind_name(feature)}")
        if feature.get("type") != "Feature":
            raise self.fail(f"{where}.type", f"must be 'Feature', got {feature.get('type')!r}")
        props = feature.get("properties")
        if not isinstance(props, dict):
            got = "it is missing" if "properties" not in feature else f"got {_kind_name(props)}"
            raise self.fail(f"{where}.properties", f"must be an object; {got}")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            got = "it is missing" if "geometry" not in feature else f"got {_kind_name(geometry)}"
            raise self.fail(f"{where}.geometry", f"must be an object; {got}")
        return props, geometry

    def add_place(self, graph: nx.Graph, where: str, props: dict[str, Any], geometry: dict[str, Any],
                  id_where: dict[str, str]) -> None:
        """Add a place to the graph (or to its terrain), refusing a duplicate id."""
        pid, attrs = self.place(where, props, geometry)
        if pid in id_where:
            raise self.fail(f"{where}.properties.id", f"duplicate id {pid!r} (also {id_where[pid]})")
        id_where[pid] = where
        if attrs["kind"] in TERRAIN_KINDS:
            graph.graph["terrain"][pid] = attrs
            return
        graph.add_node(pid, **attrs)
        if "defence" not in props:
            graph.graph["defence_from_kind"].append(pid)

    def add_sectors(self, graph: nx.Graph, id_where: Mapping[str, str]) -> None:
        """Group the places whose ``sector_of`` names a town into ``graph.graph["towns"]``: a sector names a
        place of the road graph other than itself, and that place is not a sector of another town."""
        towns: dict[str, list[str]] = {}
        for pid, attrs in graph.nodes(data=True):
            town = attrs.get("sector_of")
            if town is None:
                continue
            field = f"{id_where[pid]}.properties.sector_of"
            if not isinstance(town, str) or town not in graph or town == pid:
                hint = _did_you_mean(town, graph.nodes) if isinstance(town, str) else ""
                raise self.fail(field, f"must name another place of the map (the town this is a sector of), "
                                f"got {town!r}{hint}")
            if "sector_of" in graph.nodes[town]:
                raise self.fail(field, f"{town!r} is itself a sector of {graph.nodes[town]['sector_of']!r}: "
                                "name the town")
            towns.setdefault(town, [town]).append(pid)
        graph.graph["towns"] = {town: tuple(sectors) for town, sectors in towns.items()}

    def add_roads(self, graph: nx.Graph, roads: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
        """Add the roads between the places, refusing a second road between the same two."""
        road_where: dict[frozenset[str], str] = {}
        for where, props, geometry in roads:
            start, end, attrs = self.road(where, props, geometry, graph, graph.graph["terrain"])
            pair = frozenset((start, end))
            if pair in road_where:
                raise self.fail(
                    where, f"duplicate road between {start!r} and {end!r} (also {road_where[pair]})"
                )
            road_where[pair] = where
            self.check_endpoints(where, start, end, attrs["geometry"], graph, graph.graph["warnings"])
            graph.add_edge(start, end, **attrs)

    # -- features -------------------------------------------------------------------------------

    def place(
        self, where: str, props: dict[str, Any], geometry: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        self.check_properties(where, props, PLACE_PROPERTIES, "place")
        pwhere = f"{where}.properties"
        pid = props.get("id")
        if not isinstance(pid, str) or not pid.strip():
            got = "it is missing" if "id" not in props else f"got {pid!r}"
            raise self.fail(f"{pwhere}.id", f"a place needs a non-empty string id; {got}")
        if pid != pid.strip():
            raise self.fail(f"{pwhere}.id", f"id {pid!r} has leading or trailing spaces")
        kind = props.get("kind")
        if kind not in PLACE_KINDS:
            got = "it is missing" if "kind" not in props else f"got {kind!r}"
            raise self.fail(f"{pwhere}.kind", f"must be one of {', '.join(PLACE_KINDS)}; {got}")
        if geometry.get("type") != "Point":
            raise self.fail(
                f"{where}.geometry.type",
                f"a place needs a Point geometry, got {geometry.get('type')!r} "
                "(a road needs 'from' and 'to' properties; a background feature needs 'layer')",
            )
        lon, lat = self.coordinates(f"{where}.geometry", geometry)

        attrs: dict[str, Any] = {
            "name": self.text(pwhere, props, "name", pid),
            "kind": kind,
            "country": self.text(pwhere, props, "country", ""),
            "lon": lon,
            "lat": lat,
            "pos": (lon, lat),
            "defence": self.number(
                f"{pwhere}.defence", props.get("defence", KIND_DEFENCE[kind]), DEFENCE_RANGE
            ),
            "population": self.population(
                f"{pwhere}.population", props.get("population", DEFAULT_POPULATION)
            ),
            "estimated": self.boolean(f"{pwhere}.estimated", props.get("estimated", DEFAULT_ESTIMATED)),
        }
        for key, value in props.items():
            if key not in attrs and key != "id":
                attrs[key] = copy.deepcopy(value)  # the graph must not share lists with the caller
        return pid, attrs

    def road(
        self,
        where: str,
        props: dict[str, Any],
        geometry: dict[str, Any],
        graph: nx.Graph,
        terrain: Mapping[str, Any],
    ) -> tuple[str, str, dict[str, Any]]:
        self.check_properties(where, props, ROAD_PROPERTIES, "road")
        pwhere = f"{where}.properties"
        start, end = (self.road_end(pwhere, props, key, graph, terrain) for key in ("from", "to"))
        if start == end:
            raise self.fail(f"{pwhere}.to", f"a road from {start!r} to itself (self-loop)")
        road_class = self.road_class(pwhere, props)
        if geometry.get("type") != "LineString":
            raise self.fail(
                f"{where}.geometry.type", f"a road needs a LineString geometry, got {geometry.get('type')!r}"
            )
        line = self.coordinates(f"{where}.geometry", geometry)
        km = self.road_km(where, props, line)
        attrs: dict[str, Any] = {
            "from": start,
            "to": end,
            "road_class": road_class,
            "km": km,
            "geometry": line,
        }
        for key, value in props.items():
            if key not in attrs:
                attrs[key] = copy.deepcopy(value)
        return start, end, attrs

    def road_end(self, pwhere: str, props: dict[str, Any], key: str, graph: nx.Graph,
                 terrain: Mapping[str, Any]) -> str:
        """The place a road's ``from`` or ``to`` names: a place of the road graph."""
        value = props.get(key)
        if not isinstance(value, str) or not value:
            got = "it is missing" if key not in props else f"got {value!r}"
            raise self.fail(f"{pwhere}.{key}", f"a road needs a place id here; {got}")
        if value in terrain:
            raise self.fail(
                f"{pwhere}.{key}",
                f"{value!r} is terrain (kind {terrain[value]['kind']!r}), not a place on the road graph",
            )
        if value not in graph:
            hint = _did_you_mean(value, graph.nodes)
            raise self.fail(f"{pwhere}.{key}", f"names unknown place {value!r}{hint}")
        return value

    def road_class(self, pwhere: str, props: dict[str, Any]) -> str:
        road_class = props.get("road_class")
        if road_class in ROAD_CLASSES:
            return road_class
        got = "it is missing" if "road_class" not in props else f"got {road_class!r}"
        hint = ""
        if isinstance(road_class, str):
            fixed = road_class.strip().lower().replace(" ", "_").replace("-", "_")
            hint = f" (write {fixed!r})" if fixed in ROAD_CLASSES else _did_you_mean(road_class, ROAD_CLASSES)
        raise self.fail(f"{pwhere}.road_class", f"must be one of {', '.join(ROAD_CLASSES)}; {got}{hint}")

    def road_km(self, where: str, props: dict[str, Any], line: list[tuple[float, float]]) -> float:
        """A road's length: its ``km`` if given, else the length of its line; more than 0."""
        pwhere = f"{where}.properties"
        if "km" in props:
            km = self.number(f"{pwhere}.km", props["km"], None)
            if km <= 0:
                raise self.fail(f"{pwhere}.km", f"must be greater than 0, got {km!r}")
            return km
        km = line_length_km(line)
        if km <= 0:
            raise self.fail(f"{where}.geometry.coordinates", "the road has zero length and no 'km' property")
        return km

    def layer(self, where: str, props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
        self.check_properties(where, props, LAYER_PROPERTIES, "background layer")
        pwhere = f"{where}.properties"
        name = props["layer"]
        if not isinstance(name, str) or not name.strip():
            raise self.fail(f"{pwhere}.layer", f"must be a non-empty string, got {name!r}")
        gtype = geometry.get("type")
        if gtype not in _GEOMETRY_DEPTH:
            raise self.fail(
                f"{where}.geometry.type", f"must be one of {', '.join(_GEOMETRY_DEPTH)}; got {gtype!r}"
            )
        layer: dict[str, Any] = {
            "layer": name,
            "name": self.text(pwhere, props, "name", ""),
            "type": gtype,
            "coordinates": self.coordinates(f"{where}.geometry", geometry),
            "approximate": self.boolean(f"{pwhere}.approximate", props.get("approximate", False)),
        }
        for key, value in props.items():
            layer.setdefault(key, copy.deepcopy(value))
        return layer

    # -- field checks ---------------------------------------------------------------------------

    def check_properties(
        self, where: str, props: Mapping[str, Any], allowed: frozenset[str], what: str
    ) -> None:
        for key in props:
            if key not in allowed:
                hint = _did_you_mean(key, allowed)
                raise self.fail(
                    f"{where}.properties.{key}",
                    f"unknown property {key!r} on a {what}{hint}; allowed: {', '.join(sorted(allowed))}",
                )

    def text(self, where: str, props: Mapping[str, Any], key: str, default: str) -> str:
        value = props.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"must be a string, got {_kind_name(value)}")
        return value

    def number(self, field: str, value: Any, bounds: tuple[float, float] | None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(field, f"must be a number, got {_kind_name(value)} {value!r}")
        if not math.isfinite(value):
            raise self.fail(field, f"must be a finite number, got {value!r}")
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise self.fail(field, f"must be between {bounds[0]} and {bounds[1]}, got {value!r}")
        return float(value)

    def population(self, field: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(field, f"must be a whole number >= 0, got {_kind_name(value)} {value!r}")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise self.fail(field, f"must be a whole number >= 0, got {value!r}")
        if value < 0:
            raise self.fail(field, f"must be >= 0 (0 means unknown), got {value!r}")
        return int(value)

    def boolean(self, field: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"must be true or false, got {_kind_name(value)} {value!r}")
        return value

    def coordinates(self, where: str, geometry: Mapping[str, Any]) -> Any:
        """Check the ``coordinates`` of a geometry; positions come back as ``(lon, lat)`` tuples."""
        gtype = geometry["type"]
        return self._positions(
            f"{where}.coordinates", geometry.get("coordinates"), _GEOMETRY_DEPTH[gtype], gtype
        )

    def _positions(self, field: str, value: Any, depth: int, gtype: str) -> Any:
        if depth == 0:
            return self._position(field, value)
        if not isinstance(value, list | tuple):
            raise self.fail(field, f"must be an array, got {_kind_name(value)}")
        if not value:
            raise self.fail(field, "must not be empty")
        items = [self._positions(f"{field}[{j}]", v, depth - 1, gtype) for j, v in enumerate(value)]
        if depth == 1 and gtype in ("LineString", "MultiLineString") and len(items) < 2:
            raise self.fail(field, f"a line needs at least 2 positions, got {len(items)}")
        if depth == 1 and gtype in ("Polygon", "MultiPolygon") and (len(items) < 4 or items[0] != items[-1]):
            raise self.fail(field, "a polygon ring needs at least 4 positions and must end where it starts")
        return items

    def _position(self, field: str, value: Any) -> tuple[float, float]:
        if not isinstance(value, list | tuple) or len(value) not in (2, 3):
            raise self.fail(field, f"a position must be [lon, lat], got {value!r}")
        for j, number in enumerate(value):
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise self.fail(f"{field}[{j}]", f"must be a number, got {_kind_name(number)} {number!r}")
            if not math.isfinite(number):
                raise self.fail(f"{field}[{j}]", f"must be a finite number, got {number!r}")
        lon, lat = float(value[0]), float(value[1])
        if not -180.0 <= lon <= 180.0:
            raise self.fail(f"{field}[0]", f"longitude must be within -180..180, got {lon!r}")
        if not -90.0 <= lat <= 90.0:
            raise self.fail(f"{field}[1]", f"latitude must be within -90..90, got {lat!r}")
        return (lon, lat)

    def check_endpoints(
        self,
        where: str,
        start: str,
        end: str,
        line: list[tuple[float, float]],
        graph: nx.Graph,
        warnings: list[str],
    ) -> None:
        """Warn when a road is drawn far from its places: usually swapped lon/lat or a wrong id."""
        a, b = graph.nodes[start]["pos"], graph.nodes[end]["pos"]
        forward = max(haversine_km(line[0], a), haversine_km(line[-1], b))
        backward = max(haversine_km(line[0], b), haversine_km(line[-1], a))
        gap = min(forward, backward)
        if gap > ENDPOINT_TOLERANCE_KM:
            warnings.append(
                f"{self.source}: {where}: road {start!r}-{end!r} is drawn {gap:.1f} km away from its places "
                "(check the coordinates and ids)"
            )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _connectivity_warning(graph: nx.Graph) -> str | None:
    """Describe the separate pieces of a disconnected road graph, naming the small ones in full."""
    parts = sorted(nx.connected_components(graph), key=lambda c: (-len(c), sorted(c)))
    if len(parts) <= 1:
        return None
    main = parts[0]
    sample = ", ".join(sorted(main)[:5]) + (", ..." if len(main) > 5 else "")
    pieces = []
    for part in parts[1:]:
        names = sorted(part)
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} places)" if len(names) > 10 else "")
        pieces.append(f"[{shown}]")
    return (
        f"the road graph is in {len(parts)} separate parts; units cannot move between them. "
        f"Largest: {len(main)} places ({sample}); cut off: {'; '.join(pieces)}"
    )

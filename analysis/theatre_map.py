"""The campaign map of one day: the one renderer of the report, the animation and the web app.

The ground each side holds is shaded (every place's Voronoi cell, in its holder's colour) with the front line drawn
where cells of opposing sides meet; roads by class, rivers, lakes and borders; the planned axes of advance as
arrows; places coloured by holder; formations as markers sized by strength (shape = faction, shade of the side's
colour); the defender's supply roads and today's minimum cut. Every place named in the scenario's orders and
supply sources, in the day's events or taken since the start is labelled, and no label covers another label or
a marker (analysis/labels.py). A scale bar and north arrow sit in the map; the title says the state of the
objective (supplied, cut off, assaulted, fallen, retaken); the caption (the day's key events) is under the map and
the key beside it, so nothing is hidden.

The map is framed on the objective, the defender's supply sources and the places named in orders that are no
further from the objective than those sources (axes from further away enter from the edge), in kilometres east
and north of a centre (equirectangular: true to scale over a theatre's few tens of kilometres).

``draw_map(scenario, state, options)`` is a pure function of its arguments; ``TheatreMap`` keeps the background
and redraws only the day, for the animation.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from scipy.spatial import Voronoi

from analysis.labels import Box, place_labels
from analysis.narrative import KEY_KINDS, caption
from analysis.palette import (
    CUT,
    INK,
    NOBODY,
    SUPPLY,
    control_colour,
    faction_colours,
    faction_markers,
    new_figure,
    side_colours,
)
from analysis.replay import FormationState, MapState
from sim.events import format_date
from sim.scenario import Scenario
from sim.theatre import town_sectors

KM_PER_DEGREE = 111.32
# road class -> (line width, dash pattern, colour)
ROAD_STYLE: dict[str, tuple[float, object, str]] = {
    "highway": (2.8, "solid", "#a3a3a3"),
    "road": (1.6, "solid", "#b0b0b0"),
    "track": (1.1, (0, (4, 3)), "#b0b0b0"),
    "river_crossing": (1.7, (0, (1, 1.5)), "#2471a3"),
    "border_crossing": (1.7, (0, (1, 1.5)), "#555555"),
}
LAYER_STYLE = {"river": {"color": "#5dade2", "linewidth": 3.0, "zorder": 1.2},
               "border": {"color": "#555555", "linewidth": 1.8, "linestyle": (0, (6, 3)), "zorder": 1.2}}
LAKE_COLOUR = "#aed6f1"
GROUND_ALPHA = 0.2
GROUND_REACH_KM = 6.0  # a place's ground reaches at most this far from it  # shading of the ground a side holds
FRONT_WIDTH = 3.5
MARKER_AREA_PER_MAN = 0.16  # points^2 per man
MARKER_MIN_AREA = 30.0
SIZE_KEY = (100, 500, 2000)  # men: the squares of the size key
PLACE_AREA, OBJECTIVE_AREA = 70.0, 320.0
STACK_KM = 1.3  # formations sharing a point are set this far around it
FRAME_PAD = 0.06  # margin around the framed places, as a share of the frame
OVERVIEW_SHARE = 0.3  # of the key panel's height, at its foot
MIN_FRAME_KM = 15.0  # places named in orders this close to the objective are always in the frame
MAP_HEIGHT_IN, MAX_MAP_WIDTH_IN, KEY_WIDTH_IN = 13.0, 13.0, 5.0
TITLE_IN, CAPTION_IN, MARGIN_IN = 0.7, 1.0, 0.15
KEY_EVENT_LINES = 3
NO_KEY_EVENT = "No capture, cut-off, reconnection or surrender on this day."
CAPTION_WIDTH_CHARS = 110
SCALE_STEPS_KM = (1, 2, 5, 10, 20, 50, 100)
SHORT_NAME_WORDS = 2
SHORT_NAME_CHARS = 20
LABEL_BOX = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0}
LABEL_STYLES: dict[str, dict] = {  # the objective, other places that must be named, places named where there is
    # room, formations
    "objective": {"fontsize": 14, "fontweight": "bold", "color": INK, "linespacing": 1.0, "bbox": LABEL_BOX},
    "named place": {"fontsize": 11, "fontweight": None, "color": INK, "linespacing": 1.0, "bbox": LABEL_BOX},
    "place": {"fontsize": 10, "color": "#555555"},
    "formation": {"fontsize": 9.5, "color": "#333333", "fontstyle": "italic",
                  "bbox": {"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 0.6}},
}


@dataclass(frozen=True)
class MapOptions:
    """What a map shows beyond the day's state."""

    notes: tuple[str, ...] | None = None  # the caption's lines; None: the day's key events
    named_places: frozenset[str] = frozenset()  # more places to label (the animation: every place in the run)
    captured_on: Mapping[str, dt.date] = field(default_factory=dict)  # place -> date it last changed hands
    capture_dates: bool = False  # write ``captured_on`` under the place names
    fell_before: bool = False  # the objective had already fallen (so a defender holding it has retaken it)
    dpi: float = 100.0  # the resolution the labels are placed for (the saved picture's)


@dataclass
class MapDrawing:
    """A drawn map and what a test (or the web app) needs to read it back."""

    figure: Figure
    ax: Axes
    place_labels: dict[str, Text]  # place id -> its label
    formation_labels: list[Text]
    marker_boxes: list[Box]  # every marker, in display pixels
    caption: Text
    scale_bar: list  # the bar's artists
    north_arrow: list
    title: str


# ---------------------------------------------------------------- the theatre, computed once per scenario


@dataclass(frozen=True)
class Theatre:
    """What never changes on a scenario's map: positions in km, the frame, the ground cells, the axes."""

    places: tuple[str, ...]
    xy: dict[str, tuple[float, float]]
    frame: tuple[float, float, float, float]  # x0, x1, y0, y1 in km
    cells: dict[str, np.ndarray]  # place -> its Voronoi cell (polygon, km)
    ridges: dict[tuple[str, str], np.ndarray]  # (place, place) -> the border between their cells
    axes_of_advance: tuple[tuple[str, tuple[str, ...]], ...]  # (side, places from start to end)
    ordered_places: frozenset[str]  # places named in orders, sources, starts, and the objective


class Projection:
    """Degrees to km east and north of an origin (equirectangular)."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = KM_PER_DEGREE * math.cos(math.radians(lat0))

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return ((lon - self.lon0) * self.kx, (lat - self.lat0) * KM_PER_DEGREE)

    def line(self, coordinates: Iterable[Sequence[float]]) -> np.ndarray:
        return np.array([self(c[0], c[1]) for c in coordinates])


def _order_places(scenario: Scenario) -> tuple[frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]:
    """Places named by the scenario's orders, sources and starts; and each formation's axis of advance."""
    spec = scenario.spec
    named = {spec.objective}
    for side in spec.sides.values():
        named.update(side.supply_sources)
    axes = []
    for f in spec.formations:
        o = f.orders
        named.add(f.at)
        named.update(p for p in (o.hold, o.reserve, o.move) if p)
        if o.raid is not None:
            named.update((*o.raid.road, o.raid.base))
        if o.axis:
            named.update(o.axis)
            axes.append((spec.factions[f.faction].side, (f.at, *o.axis)))
    return frozenset(named), tuple(dict.fromkeys(axes))


def framed_places(scenario: Scenario, xy: Mapping[str, tuple[float, float]], ordered: Iterable[str]) -> list[str]:
    """The places a map must show: the objective, the defender's supply sources, and every place named in orders
    no further from the objective than the furthest of those sources (or MIN_FRAME_KM)."""
    objective = scenario.spec.objective
    sources = scenario.spec.sides[scenario.defender].supply_sources
    ox, oy = xy[objective]
    reach = max([math.dist(xy[p], (ox, oy)) for p in sources] + [MIN_FRAME_KM])
    near = [p for p in ordered if math.dist(xy[p], (ox, oy)) <= reach + 1e-9]
    return [objective, *sources, *near]


def _frame(xy: Mapping[str, tuple[float, float]], framed: Iterable[str]) -> tuple[float, float, float, float]:
    pts = np.array([xy[p] for p in framed])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    pad = FRAME_PAD * max(x1 - x0, y1 - y0) + 1.0
    return (x0 - pad, x1 + pad, y0 - pad, y1 + pad)


def _disc(centre: Sequence[float], radius: float, sides: int = 32) -> np.ndarray:
    """A regular polygon approximating the circle of ``radius`` around ``centre``, anticlockwise."""
    angles = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    return np.column_stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)])


def _clip(polygon: np.ndarray, window: np.ndarray) -> np.ndarray:
    """The part of a convex ``polygon`` inside the convex, anticlockwise ``window`` (Sutherland-Hodgman)."""
    out = [tuple(p) for p in polygon]
    for a, b in zip(window, np.roll(window, -1, axis=0), strict=True):
        def inside(p: Sequence[float], a: np.ndarray = a, b: np.ndarray = b) -> bool:
            return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

        points, out = out, []
        for i, current in enumerate(points):
            previous = points[i - 1]
            if inside(current):
                if not inside(previous):
                    out.append(_crossing(previous, current, a, b))
                out.append(current)
            elif inside(previous):
                out.append(_crossing(previous, current, a, b))
        if not out:
            break
    return np.array(out).reshape(-1, 2)


def _crossing(p: Sequence[float], q: Sequence[float], a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Where the segment p-q crosses the line through a and b."""
    d1 = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    d2 = (b[0] - a[0]) * (q[1] - a[1]) - (b[1] - a[1]) * (q[0] - a[0])
    t = d1 / (d1 - d2)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def _voronoi(places: Sequence[str], xy: Mapping[str, tuple[float, float]]
             ) -> tuple[dict[str, np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """Every place's cell (the ground nearer it than any other place) and the borders between cells.

    Four far-off points close the outer cells; each cell is then cut to GROUND_REACH_KM around its place, so
    a lone place far from the others does not seem to hold a whole corner of the map.
    """
    pts = np.array([xy[p] for p in places])
    span = float(np.ptp(pts, axis=0).max()) * 10 + 100
    centre = pts.mean(axis=0)
    far = centre + span * np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    vor = Voronoi(np.vstack([pts, far]))
    cells = {p: _clip(vor.vertices[vor.regions[vor.point_region[i]]], _disc(pts[i], GROUND_REACH_KM))
             for i, p in enumerate(places)}
    ridges = {}
    n = len(places)
    for (i, j), verts in zip(vor.ridge_points, vor.ridge_vertices, strict=True):
        if i < n and j < n and -1 not in verts:
            border = _clip(vor.vertices[verts], _disc(pts[i], GROUND_REACH_KM))  # the border both grounds share
            if len(border) >= 2:
                ridges[(places[i], places[j])] = border[:2]
    return cells, ridges


@functools.lru_cache(maxsize=8)
def theatre_of(scenario: Scenario) -> Theatre:
    """The unchanging geometry of a scenario's map (cached: the animation and the app draw it every day)."""
    graph = scenario.graph
    places = tuple(graph.nodes)
    ordered, axes = _order_places(scenario)
    lonlat = {p: tuple(graph.nodes[p]["pos"]) for p in places}
    lons, lats = zip(*(lonlat[p] for p in ordered), strict=True)
    proj = Projection((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    xy = {p: proj(*lonlat[p]) for p in places}
    cells, ridges = _voronoi(places, xy)
    return Theatre(places, xy, _frame(xy, framed_places(scenario, xy, ordered)), cells, ridges, axes, ordered)


def projection_of(scenario: Scenario) -> Projection:
    """The projection the scenario's maps use (for layers and roads drawn in km)."""
    graph = scenario.graph
    ordered, _ = _order_places(scenario)
    lons, lats = zip(*(tuple(graph.nodes[p]["pos"]) for p in ordered), strict=True)
    return Projection((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)


def short_name(name: str) -> str:
    """A label that fits on a map: the name if short, else its first two words ('1st Armoured Division' ->
    '1st Armoured')."""
    return name if len(name) <= SHORT_NAME_CHARS else " ".join(name.split()[:SHORT_NAME_WORDS])


def _nice_length(span_km: float) -> float:
    """A round scale-bar length near a fifth of the map's width."""
    return max((s for s in SCALE_STEPS_KM if s <= span_km / 5), default=SCALE_STEPS_KM[0])


def holds_town(state: MapState, scenario: Scenario, side: str) -> bool:
    """Whether ``side`` holds the whole objective that day: every quarter of a town split into quarters."""
    return all(state.control.get(p) == side for p in town_sectors(scenario.graph, scenario.spec.objective))


def objective_status(state: MapState, scenario: Scenario, fell_before: bool = False) -> str:
    """What the title says of the objective today: supplied, cut off, assaulted, fallen or retaken."""
    spec = scenario.spec
    objective, attacker = spec.objective, scenario.attacker
    sectors = town_sectors(scenario.graph, objective)
    if holds_town(state, scenario, attacker):
        taken_today = any(e.kind.value == "capture" and e.place in sectors for e in state.events)
        return "falls" if taken_today else "fallen"
    status = "supplied" if state.connected else "cut off"
    if fell_before:
        status = f"retaken, {status}"
    assaulted = any(e.kind.value == "engagement" and e.place in sectors and e.side == attacker
                    for e in state.events)
    return f"{status}, assaulted" if assaulted else status


def labelled_places(scenario: Scenario, state: MapState, options: MapOptions) -> list[str]:
    """The places named on a map (those in its frame): the objective first, then sources and ordered places, the
    day's events, places taken since the start, and any asked for."""
    theatre = theatre_of(scenario)
    start = {p: sid for sid, side in scenario.spec.sides.items() for p in side.holds}
    named = set(theatre.ordered_places) | set(options.named_places)
    named.update(e.place for e in state.events if e.place)
    named.update(p for p in theatre.places if state.control.get(p) != start.get(p))
    named = {p for p in named if p in theatre.xy and _inside_frame(theatre.xy[p], theatre.frame)}
    objective = scenario.spec.objective
    sources = {p for side in scenario.spec.sides.values() for p in side.supply_sources}
    return sorted(named, key=lambda p: (p != objective, p not in sources, p))


# ---------------------------------------------------------------- the map


class TheatreMap:
    """A map in a figure of its own: the background drawn once, ``show(state, options)`` draws a day."""

    def __init__(self, scenario: Scenario, dpi: float = 100.0) -> None:
        self.scenario = scenario
        self.theatre = theatre = theatre_of(scenario)
        spec = scenario.spec
        self.sides = side_colours(spec)
        self.factions = faction_colours(spec)
        self.markers = faction_markers(spec)
        graph = scenario.graph
        self.place_names = {p: graph.nodes[p]["name"] for p in graph}
        self.side_names = {sid: s.name for sid, s in spec.sides.items()}
        self.formation_names = {f.id: f.name for f in spec.formations}
        x0, x1, y0, y1 = theatre.frame
        map_w, map_h = self._map_size(x1 - x0, y1 - y0)
        width, height = map_w + KEY_WIDTH_IN, map_h + TITLE_IN + CAPTION_IN
        self.figure = fig = new_figure(width, height, layout=None)
        fig.set_dpi(dpi)
        width += MARGIN_IN
        fig.set_size_inches(width, height)
        self.ax = ax = fig.add_axes((MARGIN_IN / width, CAPTION_IN / height, map_w / width, map_h / height))
        self.key_ax = fig.add_axes(((MARGIN_IN + map_w) / width, CAPTION_IN / height, KEY_WIDTH_IN / width,
                                    map_h / height))
        self.key_ax.set_axis_off()
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#fbfaf5")
        self._ground()
        self._terrain(projection_of(scenario))
        self._axes_of_advance()
        self.supply = LineCollection([], colors=SUPPLY, linewidths=8, alpha=0.75, zorder=2.5, capstyle="round",
                                     gid="supply_roads")
        self.cut = LineCollection([], colors=CUT, linewidths=4.5, zorder=3.5, linestyles=(0, (2, 1)),
                                  gid="min_cut")
        ax.add_collection(self.supply)
        ax.add_collection(self.cut)
        pts = np.array([theatre.xy[p] for p in theatre.places])
        self.place_sizes = np.array([OBJECTIVE_AREA if p == spec.objective else PLACE_AREA for p in theatre.places])
        self.place_dots = ax.scatter(pts[:, 0], pts[:, 1], s=self.place_sizes, c=NOBODY, edgecolors=INK,
                                     linewidths=1.1, zorder=4, gid="places")
        self.units = {fid: ax.scatter([], [], marker=self.markers[fid], edgecolors=INK, linewidths=0.9, zorder=6,
                                      gid=f"formations:{fid}") for fid in spec.factions}
        self.scale_bar, self.north_arrow = self._scale_bar(), self._north_arrow()
        self.title = ax.set_title("", loc="left", fontsize=19, fontweight="bold", pad=12)
        self.caption = fig.text(MARGIN_IN / width, CAPTION_IN / height - 0.012, "", ha="left", va="top", fontsize=13,
                                color=INK, gid="caption")
        self.texts: list[Text] = []  # the day's labels
        self.leaders: list[Line2D] = []  # the day's leader lines
        self.label_pool: dict[tuple[str, str, str], list[Text]] = {}  # (style, gid, words) -> labels made so far
        self.leader_pool: list[Line2D] = []
        self._key()
        self.overview_dots, self.overview_frame = self._overview()

    @staticmethod
    def _map_size(span_x: float, span_y: float) -> tuple[float, float]:
        """Inches of the map: MAP_HEIGHT_IN tall unless that makes it wider than MAX_MAP_WIDTH_IN."""
        height = MAP_HEIGHT_IN
        width = height * span_x / span_y
        if width > MAX_MAP_WIDTH_IN:
            width, height = MAX_MAP_WIDTH_IN, MAX_MAP_WIDTH_IN * span_y / span_x
        return width, height

    def _ground(self) -> None:
        theatre = self.theatre
        self.ground = PolyCollection([theatre.cells[p] for p in theatre.places], facecolors="none",
                                     edgecolors="none", zorder=0.5, gid="ground")
        self.ax.add_collection(self.ground)
        self.front = LineCollection([], colors=INK, linewidths=FRONT_WIDTH, zorder=1.4, gid="front_line")
        self.ax.add_collection(self.front)

    def _terrain(self, proj: Projection) -> None:
        """Lakes, rivers, borders and roads."""
        ax, graph = self.ax, self.scenario.graph
        for layer in graph.graph.get("layers", []):
            if layer["type"] == "Polygon":
                ax.add_patch(Polygon(proj.line(layer["coordinates"][0]), closed=True, facecolor=LAKE_COLOUR,
                                     edgecolor="#5dade2", zorder=1))
            elif layer["type"] == "LineString":
                style = LAYER_STYLE.get(layer["layer"], {"color": "#999999", "linewidth": 1.5, "zorder": 1.2})
                line = proj.line(layer["coordinates"])
                ax.plot(line[:, 0], line[:, 1], **style)
        for cls, (width, dash, colour) in ROAD_STYLE.items():
            segments = [proj.line(data["geometry"]) for *_, data in graph.edges(data=True)
                        if data["road_class"] == cls]
            if segments:
                ax.add_collection(LineCollection(segments, colors=colour, linewidths=width, linestyles=dash,
                                                 zorder=1.5))

    def _overview(self) -> tuple[PathCollection | None, Rectangle | None]:
        """A small map of the whole theatre under the key, with the main map's frame on it, when places named in
        orders or supply sources lie outside the frame; returns its place markers and the frame drawn over them
        (None, None without an overview)."""
        theatre, spec = self.theatre, self.scenario.spec
        x0, x1, y0, y1 = theatre.frame
        sources = [p for side in spec.sides.values() for p in side.supply_sources]
        outside = [p for p in {*theatre.ordered_places, *sources} if not _inside_frame(theatre.xy[p], theatre.frame)]
        if not outside:
            return None, None
        inset = self.key_ax.inset_axes((0.02, 0.0, 0.96, OVERVIEW_SHARE))
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_aspect("equal")
        inset.set_title("the whole theatre", fontsize=11, loc="left")
        graph = self.scenario.graph
        inset.add_collection(LineCollection([[theatre.xy[a], theatre.xy[b]] for a, b in graph.edges],
                                            colors="#b0b0b0", linewidths=0.8))
        pts = np.array([theatre.xy[p] for p in theatre.places])
        dots = inset.scatter(pts[:, 0], pts[:, 1], s=12, c=NOBODY, linewidths=0, zorder=3, gid="overview")
        frame = inset.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=INK, linewidth=1.4,
                                          zorder=4))
        middle = float(np.median(pts[:, 0]))
        for p in sorted(set(sources) & set(outside)):
            east = theatre.xy[p][0] > middle  # names east of the middle are written to the west of their dot
            inset.annotate(self.place_names[p], theatre.xy[p], xytext=(-3 if east else 3, 3),
                           textcoords="offset points", ha="right" if east else "left", fontsize=9, color=INK)
        inset.margins(0.08)
        inset.autoscale_view()
        return dots, frame

    def _axes_of_advance(self) -> None:
        """Each formation's planned axis (its start, then its objectives in order) as an arrow along it."""
        xy = self.theatre.xy
        for side, path in self.theatre.axes_of_advance:
            verts = [xy[p] for p in path]
            if len(verts) < 2:
                continue
            codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(verts) - 1)
            arrow = FancyArrowPatch(path=MplPath(verts, codes), arrowstyle="-|>,head_length=12,head_width=7",
                                    color=self.sides[side], alpha=0.35, linewidth=4.0, zorder=1.8,
                                    gid=f"axis:{side}")
            self.ax.add_patch(arrow)

    def _scale_bar(self) -> list:
        """A bar of a round number of km in the lower left corner, with its length written above it."""
        x0, x1, y0, y1 = self.theatre.frame
        km = _nice_length(x1 - x0)
        left, base = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
        tall = 0.008 * (y1 - y0)
        bar = [self.ax.add_patch(Rectangle((left + i * km / 2, base), km / 2, tall, facecolor=INK if i == 0 else
                                           "white", edgecolor=INK, linewidth=1.2, zorder=9, gid="scale_bar"))
               for i in range(2)]
        text = self.ax.text(left + km / 2, base + 2.2 * tall, f"{km:g} km", ha="center", va="bottom",
                            fontsize=12, color=INK, zorder=9, gid="scale_bar_label")
        return [*bar, text]

    def _north_arrow(self) -> list:
        """An arrow pointing north with an N, in the upper left corner."""
        x0, x1, y0, y1 = self.theatre.frame
        x, top = x0 + 0.05 * (x1 - x0), y1 - 0.03 * (y1 - y0)
        length = 0.07 * (y1 - y0)
        arrow = self.ax.annotate("", xy=(x, top - 0.25 * length), xytext=(x, top - length), zorder=9,
                                 arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": INK,
                                             "linewidth": 2.5}, gid="north_arrow")
        letter = self.ax.text(x, top - 0.22 * length, "N", ha="center", va="bottom", fontsize=15,
                              fontweight="bold", color=INK, zorder=9, gid="north_arrow_label")
        return [arrow, letter]

    def _key(self) -> None:
        spec = self.scenario.spec
        handles = [Patch(facecolor=to_rgba(c, 0.45), edgecolor=c, label=f"ground held by {self.side_names[s]}")
                   for s, c in self.sides.items()]
        handles.append(Line2D([], [], color=INK, linewidth=FRONT_WIDTH, label="front line"))
        handles += [Line2D([], [], marker=self.markers[f], linestyle="", markersize=11,
                           markerfacecolor=self.factions[f], markeredgecolor=INK, label=faction.name)
                    for f, faction in spec.factions.items()]
        handles += [Line2D([], [], color=SUPPLY, linewidth=7, alpha=0.75, label="supply roads to the objective"),
                    Line2D([], [], color=CUT, linewidth=4.5, linestyle=(0, (2, 1)), label="minimum cut"),
                    *(Line2D([], [], color=c, alpha=0.35, linewidth=4.0, marker=">", markevery=[1],
                             label=f"axis of advance ({self.side_names[s]})")
                      for s, c in self.sides.items() if any(a[0] == s for a in self.theatre.axes_of_advance))]
        drawn = {layer["layer"]: layer["name"] for layer in self.scenario.graph.graph.get("layers", [])}
        for kind in ("river", "border"):
            if kind in drawn:
                style = {k: v for k, v in LAYER_STYLE[kind].items() if k != "zorder"}
                handles.append(Line2D([], [], label=drawn[kind] or kind, **style))
        handles += [Line2D([], [], marker="s", linestyle="", markersize=math.sqrt(self._marker_area(men)),
                           markerfacecolor="white", markeredgecolor=INK, label=f"{men:,} men")
                    for men in SIZE_KEY]
        self.key_ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=12, labelspacing=0.7,
                           borderaxespad=0.2, title="marker size = strength", title_fontsize=12,
                           alignment="left")

    @staticmethod
    def _marker_area(men: float) -> float:
        return MARKER_MIN_AREA + MARKER_AREA_PER_MAN * men

    # ------------------------------------------------------------ a day

    def show(self, state: MapState, options: MapOptions = MapOptions()) -> MapDrawing:
        """Draw the day of ``state`` (replacing the last day drawn) and place its labels."""
        theatre = self.theatre
        holders = [state.control.get(p) for p in theatre.places]
        self.place_dots.set_facecolors([control_colour(self.sides, h) for h in holders])
        if self.overview_dots is not None:
            self.overview_dots.set_facecolors([control_colour(self.sides, h) for h in holders])
        self.ground.set_facecolors([to_rgba(self.sides[h], GROUND_ALPHA) if h else (0, 0, 0, 0) for h in holders])
        self.front.set_segments([seg for (a, b), seg in theatre.ridges.items()
                                 if state.control.get(a) and state.control.get(b)
                                 and state.control[a] != state.control[b]])
        self.supply.set_segments([[theatre.xy[a], theatre.xy[b]] for a, b in state.supply_roads])
        self.cut.set_segments([[theatre.xy[a], theatre.xy[b]] for a, b in state.min_cut])
        groups = self._formations(state.formations)
        status = objective_status(state, self.scenario, options.fell_before)
        name = self.place_names[self.scenario.spec.objective]
        title = f"{format_date(state.date)}  (day {state.day:g})  ·  {name} {status}"
        self.title.set_text(title)
        notes = options.notes if options.notes is not None else (self.captions(state)[-KEY_EVENT_LINES:] or
                                                                 [NO_KEY_EVENT])
        self.caption.set_text("\n".join(textwrap.shorten(n, CAPTION_WIDTH_CHARS, placeholder="…") for n in notes))
        self.figure.set_dpi(options.dpi)
        return self._label(state, options, groups, title)

    def _formations(self, formations: Sequence[FormationState]) -> list[tuple[tuple[float, float], list[str], float]]:
        """Draw the formations; return each drawn point with the formations at it and its marker's area."""
        units = sorted(formations, key=lambda f: -f.personnel)  # small markers drawn over big ones
        points = _spread([formation_xy(f, self.theatre.xy) for f in units])
        by_faction: dict[str, list[int]] = defaultdict(list)
        for i, f in enumerate(units):
            by_faction[f.faction].append(i)
        for fid, scatter in self.units.items():
            idx = by_faction.get(fid, [])
            scatter.set_offsets(points[idx] if idx else np.empty((0, 2)))
            scatter.set_sizes([self._marker_area(units[i].personnel) for i in idx])
            scatter.set_facecolors([self.factions[fid]] * len(idx))
        return [(tuple(points[i]), [short_name(self.formation_names.get(f.fid, f.label))], self._marker_area(
            f.personnel)) for i, f in enumerate(units)]

    def _label(self, state: MapState, options: MapOptions, groups: list, title: str) -> MapDrawing:
        """Place the labels of places and formations so that none covers another or a marker."""
        for artist in self.texts + self.leaders:
            artist.set_visible(False)
        self.texts, self.leaders = [], []
        made: Counter[tuple[str, str, str]] = Counter()
        fig, ax = self.figure, self.ax
        renderer = fig.canvas.get_renderer()
        to_px = ax.transData.transform
        px_per_pt = options.dpi / 72.0
        frame = tuple(ax.get_window_extent(renderer).extents)
        objective = self.scenario.spec.objective
        # obstacles: every marker (places and formations), the scale bar and the north arrow
        place_px = to_px(np.array([self.theatre.xy[p] for p in self.theatre.places]))
        place_r = np.sqrt(self.place_sizes) / 2 * px_per_pt + 1
        unit_px = to_px(np.array([g[0] for g in groups])) if groups else np.empty((0, 2))
        unit_r = np.sqrt([g[2] for g in groups]) / 2 * px_per_pt + 1 if groups else np.empty(0)
        markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(np.vstack([place_px, unit_px]),
                                                                     np.concatenate([place_r, unit_r]), strict=True)]
        ornaments = [tuple(a.get_window_extent(renderer).extents) for a in self.scale_bar + self.north_arrow]
        index = {p: i for i, p in enumerate(self.theatre.places)}
        named = labelled_places(self.scenario, state, options)
        texts, points, radii = [], [], []
        for p in named:
            label = self.place_names[p]
            if options.capture_dates and p in options.captured_on:
                label += f"\n{options.captured_on[p]:%-d %b}"
            texts.append(self._text("objective" if p == objective else "named place", f"place:{p}", label, made))
            points.append(place_px[index[p]])
            radii.append(place_r[index[p]])
        required = len(texts)
        for p in self.theatre.places:  # the other places in view, named where there is room
            if p not in named and _inside_frame(self.theatre.xy[p], self.theatre.frame):
                texts.append(self._text("place", f"place:{p}", self.place_names[p], made))
                points.append(place_px[index[p]])
                radii.append(place_r[index[p]])
        for _, (name,), _ in groups:
            texts.append(self._text("formation", "formation", name, made))
        points += list(unit_px)
        radii += list(unit_r)
        sizes = [tuple(t.get_window_extent(renderer).size) for t in texts]
        placed = place_labels(points, sizes, radii, markers + ornaments, frame, required)
        to_data = ax.transData.inverted().transform
        kept = []
        for i, (text, where, point) in enumerate(zip(texts, placed, points, strict=True)):
            if i >= required and not where.clear:  # an optional label with no room of its own
                text.set_visible(False)
                continue
            kept.append(text)
            x0, y0, x1, y1 = where.box
            text.set_position(to_data(((x0 + x1) / 2, (y0 + y1) / 2)))
            text.set_ha("center")
            text.set_va("center")
            if where.leader:
                anchor, end = to_data(point), to_data(_nearest_edge(where.box, point))
                self._leader([anchor[0], end[0]], [anchor[1], end[1]])
        self.texts = kept
        places = {t.get_gid().removeprefix("place:"): t for t in kept if t.get_gid().startswith("place:")}
        return MapDrawing(fig, ax, places, [t for t in kept if t.get_gid() == "formation"], markers, self.caption,
                          self.scale_bar, self.north_arrow, title)

    def _text(self, style: str, gid: str, words: str, made: Counter[tuple[str, str, str]]) -> Text:
        """A label for today: one made on an earlier day with the same style and words, else a new one (making a
        label costs more than placing it, and the app labels some 70 things on every Step). ``made`` counts the
        labels of each kind taken today, so that two formations of one name get two labels."""
        key = (style, gid, words)
        pool = self.label_pool.setdefault(key, [])
        if made[key] == len(pool):
            pool.append(self.ax.text(0, 0, words, gid=gid, zorder=8, **LABEL_STYLES[style]))
        text = pool[made[key]]
        made[key] += 1
        text.set_visible(True)
        return text

    def _leader(self, xs: list[float], ys: list[float]) -> None:
        """A line from a marker to its label set away from it (one drawn on an earlier day, moved, if there is one)."""
        if len(self.leaders) == len(self.leader_pool):
            self.leader_pool += self.ax.plot(xs, ys, color="#555555", linewidth=0.8, zorder=7)
        line = self.leader_pool[len(self.leaders)]
        line.set_data(xs, ys)
        line.set_visible(True)
        self.leaders.append(line)

    def captions(self, state: MapState) -> list[str]:
        """Short captions of the day's key events."""
        return [caption(e.row(), self.place_names, self.side_names, self.formation_names) for e in state.events
                if e.kind.value in KEY_KINDS]


def _inside_frame(xy: Sequence[float], frame: tuple[float, float, float, float]) -> bool:
    return frame[0] <= xy[0] <= frame[1] and frame[2] <= xy[1] <= frame[3]


def _nearest_edge(box: Box, point: Sequence[float]) -> tuple[float, float]:
    """The point of ``box`` nearest ``point`` (where a leader line meets its label)."""
    return (min(max(point[0], box[0]), box[2]), min(max(point[1], box[1]), box[3]))


def formation_xy(f: FormationState, xy: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """Where a formation is drawn: its place, or its point along the road it is on."""
    if f.place is not None:
        return xy[f.place]
    (x0, y0), (x1, y1) = xy[f.edge[0]], xy[f.edge[1]]
    return x0 + (x1 - x0) * f.along, y0 + (y1 - y0) * f.along


def _spread(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Formations drawn at the same point are set around it in a small circle, so none hides another."""
    groups: dict[tuple[float, float], list[int]] = defaultdict(list)
    for i, p in enumerate(points):
        groups[(round(p[0], 3), round(p[1], 3))].append(i)
    out = np.array(points, dtype=float).reshape(-1, 2)
    for members in groups.values():
        if len(members) < 2:
            continue
        for k, i in enumerate(members):
            angle = 2 * math.pi * k / len(members) + math.pi / 4
            out[i] += (STACK_KM * math.cos(angle), STACK_KM * math.sin(angle))
    return out


def draw_map(scenario: Scenario, state: MapState, options: MapOptions = MapOptions()) -> MapDrawing:
    """The map of one day: a pure function of the scenario, the day's state and the options."""
    return TheatreMap(scenario, options.dpi).show(state, options)


def map_figure(scenario: Scenario, state: MapState, options: MapOptions = MapOptions()) -> Figure:
    """The map of one day as a figure."""
    return draw_map(scenario, state, options).figure


def capture_dates(events: Iterable[Mapping], start: dt.date) -> dict[str, dt.date]:
    """Place -> the date it last changed hands, from a run's events (events.csv rows)."""
    out: dict[str, dt.date] = {}
    for e in events:
        if e["kind"] == "capture" and e.get("place"):
            out[e["place"]] = start + dt.timedelta(days=float(e["day"]))
    return out


def event_places(events: Iterable[Mapping]) -> frozenset[str]:
    """Every place a run's key events name."""
    return frozenset(e["place"] for e in events if e.get("place") and e["kind"] in KEY_KINDS)


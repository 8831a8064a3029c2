"""The theatre map of one day: places at their coordinates coloured by who holds them, roads by class, the
Orontes, Lake Homs and the border, formations sized by strength, the defender's supply roads and today's
minimum cut.

``TheatreMap`` draws the unchanging background once and updates only what a day changes, so the animation
can redraw it for every day of a campaign quickly. ``map_figure`` is the one-picture front end.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from analysis.narrative import caption
from analysis.palette import INK, NOBODY, control_colour, faction_colours, new_figure, side_colours
from analysis.replay import FormationState, MapState
from sim.events import format_date
from sim.scenario import Scenario
from sim.theatre import haversine_km

# road class -> (line width, dash pattern, colour)
ROAD_STYLE: dict[str, tuple[float, object, str]] = {
    "highway": (3.2, "solid", "#555555"),
    "road": (1.8, "solid", "#777777"),
    "track": (1.2, (0, (4, 3)), "#8a8a8a"),
    "river_crossing": (1.8, (0, (1, 1.5)), "#2471a3"),
    "border_crossing": (1.8, (0, (1, 1.5)), "#7d3c98"),
}
LAYER_STYLE = {"river": {"color": "#5dade2", "linewidth": 3.5, "zorder": 1},
               "border": {"color": "#7d3c98", "linewidth": 2.0, "linestyle": (0, (6, 3)), "zorder": 1}}
LAKE_COLOUR = "#aed6f1"
SUPPLY_COLOUR = "#e84393"
CUT_COLOUR = "#111111"
LABELLED_KINDS = frozenset({"city", "town", "airbase"})
LABEL_MIN_PERSONNEL = 300  # formations at least this strong are named on the map
MARKER_AREA_PER_MAN = 0.2  # points^2 per man
STACK_RADIUS = 0.014  # degrees: formations sharing a place are set around it
KEY_EVENT_LINES = 3
ZOOM_KM = 22.0  # the main map shows the places this close to the objective; an overview shows the rest


def short_name(name: str) -> str:
    """A label that fits on a map: the first two words ('1st Armoured Division' -> '1st Armoured')."""
    return " ".join(name.split()[:2])


def formation_xy(f: FormationState, pos: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Where a formation is drawn: its place, or its point along the road it is on."""
    if f.place is not None:
        return pos[f.place]
    (x0, y0), (x1, y1) = pos[f.edge[0]], pos[f.edge[1]]
    return x0 + (x1 - x0) * f.along, y0 + (y1 - y0) * f.along


def _spread(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Formations drawn at the same point are set around it in a small circle, so none hides another."""
    groups: dict[tuple[float, float], list[int]] = defaultdict(list)
    for i, p in enumerate(points):
        groups[(round(p[0], 5), round(p[1], 5))].append(i)
    out = np.array(points, dtype=float).reshape(-1, 2)
    for members in groups.values():
        if len(members) < 2:
            continue
        for k, i in enumerate(members):
            angle = 2 * math.pi * k / len(members)
            out[i] += (STACK_RADIUS * math.cos(angle), STACK_RADIUS * math.sin(angle))
    return out


class TheatreMap:
    """A map on ``ax``: background drawn once, ``show(state)`` draws a day."""

    def __init__(self, ax: Axes, scenario: Scenario) -> None:
        self.ax = ax
        self.scenario = scenario
        self.graph = graph = scenario.graph
        spec = scenario.spec
        self.places = list(graph.nodes)
        self.pos = {p: tuple(graph.nodes[p]["pos"]) for p in self.places}
        self.sides = side_colours(spec)
        self.factions = faction_colours(spec)
        self.place_names = {p: graph.nodes[p]["name"] for p in self.places}
        self.side_names = {sid: s.name for sid, s in spec.sides.items()}
        self.labels = {f.id: f.name for f in spec.formations}
        self._background()
        self.supply = LineCollection([], colors=SUPPLY_COLOUR, linewidths=9, alpha=0.45, zorder=2,
                                     capstyle="round", gid="supply_roads")
        self.cut = LineCollection([], colors=CUT_COLOUR, linewidths=5, zorder=3, linestyles=(0, (2, 1)),
                                  gid="min_cut")
        ax.add_collection(self.supply)
        ax.add_collection(self.cut)
        xy = np.array([self.pos[p] for p in self.places])
        sizes = [420 if p == spec.objective else 110 for p in self.places]
        self.place_dots = ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=NOBODY, edgecolors=INK, linewidths=1.2,
                                     zorder=4, gid="places")
        self.units = ax.scatter([], [], s=[], marker="s", edgecolors=INK, linewidths=1.0, zorder=6,
                                gid="formations")
        self.unit_labels: list[Artist] = []
        self.animated = False
        self.headline = ax.set_title("", loc="left", fontsize=20, fontweight="bold")
        self.notes = ax.text(0.99, 0.01, "", transform=ax.transAxes, fontsize=15, va="bottom", ha="right",
                             zorder=8, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        self._legend()

    def _background(self) -> None:
        ax, graph = self.ax, self.graph
        x0, x1, y0, y1 = self.extent(ZOOM_KM)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))  # degrees of longitude shrink northwards
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#fbfaf5")
        self._terrain(ax, detail=True)
        objective = self.scenario.spec.objective
        for p in self.places:
            if (graph.nodes[p]["kind"] in LABELLED_KINDS or p == objective) and self.inside(self.pos[p]):
                x, y = self.pos[p]
                ax.annotate(self.place_names[p], (x, y), xytext=(7, -16), textcoords="offset points",
                            fontsize=16 if p == objective else 13, fontweight="bold" if p == objective else None,
                            color=INK, zorder=7, annotation_clip=False)
        self._overview((x0, x1, y0, y1))

    def extent(self, km: float | None) -> tuple[float, float, float, float]:
        """The box around the places within ``km`` of the objective (all places if None), with a margin."""
        ox, oy = self.pos[self.scenario.spec.objective]
        near = [(x, y) for x, y in self.pos.values() if km is None or haversine_km((ox, oy), (x, y)) <= km]
        xs, ys = zip(*near, strict=True)
        pad_x, pad_y = 0.06 * (max(xs) - min(xs)) + 0.01, 0.06 * (max(ys) - min(ys)) + 0.01
        return min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y

    def inside(self, xy: Sequence[float]) -> bool:
        """Whether a point is within the main map (labels outside it are not drawn)."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1

    def _overview(self, box: tuple[float, float, float, float]) -> None:
        """A small map of the whole theatre in a corner, with the main map's box drawn on it."""
        x0, x1, y0, y1 = self.extent(None)
        inset = self.ax.inset_axes((1.03, 0.0, 0.42, 0.36))  # beside the map, under the legend
        inset.set_xlim(x0, x1)
        inset.set_ylim(y0, y1)
        inset.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_facecolor("white")
        self._terrain(inset, detail=False)
        inset.add_patch(Rectangle((box[0], box[2]), box[1] - box[0], box[3] - box[2], fill=False,
                                  edgecolor=INK, linewidth=1.5, zorder=5))
        xy = np.array([self.pos[p] for p in self.places])
        self.overview_dots = inset.scatter(xy[:, 0], xy[:, 1], s=14, c=NOBODY, linewidths=0, zorder=4)
        for p in self.scenario.spec.sides[self.scenario.attacker].supply_sources + \
                self.scenario.spec.sides[self.scenario.defender].supply_sources:
            if self.graph.nodes[p]["kind"] in LABELLED_KINDS:
                inset.annotate(self.place_names[p], self.pos[p], xytext=(3, 3), textcoords="offset points",
                               fontsize=9, color=INK, annotation_clip=False)

    def _terrain(self, ax: Axes, detail: bool) -> None:
        """Lakes, rivers, borders and roads (thinner on the overview)."""
        graph = self.graph
        scale = 1.0 if detail else 0.4
        for layer in graph.graph.get("layers", []):
            if layer["type"] == "Polygon":
                ax.add_patch(Polygon(layer["coordinates"][0], closed=True, facecolor=LAKE_COLOUR,
                                     edgecolor="#5dade2", zorder=1))
            elif layer["type"] == "LineString":
                style = dict(LAYER_STYLE.get(layer["layer"], {"color": "#999999", "linewidth": 1.5, "zorder": 1}))
                style["linewidth"] *= scale
                line = np.array(layer["coordinates"])
                ax.plot(line[:, 0], line[:, 1], **style)
        for cls, (width, dash, colour) in ROAD_STYLE.items():
            segments = [data["geometry"] for *_, data in graph.edges(data=True) if data["road_class"] == cls]
            if segments:
                ax.add_collection(LineCollection(segments, colors=colour, linewidths=width * scale,
                                                 linestyles=dash if detail else "solid", zorder=1.5))

    def _legend(self) -> None:
        spec = self.scenario.spec
        handles = [Line2D([], [], marker="o", linestyle="", markersize=12, markerfacecolor=c, markeredgecolor=INK,
                          label=f"held by {self.side_names[s]}") for s, c in self.sides.items()]
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=12, markerfacecolor=NOBODY,
                              markeredgecolor=INK, label="held by nobody"))
        handles += [Line2D([], [], marker="s", linestyle="", markersize=12, markerfacecolor=self.factions[f],
                           markeredgecolor=INK, label=faction.name) for f, faction in spec.factions.items()]
        handles += [Line2D([], [], color=SUPPLY_COLOUR, linewidth=8, alpha=0.45, label="supply roads to the town"),
                    Line2D([], [], color=CUT_COLOUR, linewidth=5, linestyle=(0, (2, 1)), label="minimum cut")]
        drawn = {layer["layer"]: layer["name"] for layer in self.graph.graph.get("layers", [])}
        for kind in ("river", "border"):
            if kind in drawn:
                style = {k: v for k, v in LAYER_STYLE[kind].items() if k != "zorder"}
                handles.append(Line2D([], [], label=drawn[kind] or kind, **style))
        self.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                       fontsize=13, title="square size = strength", title_fontsize=13)

    def day_artists(self) -> list[Artist]:
        """The artists a day changes (everything else is background)."""
        return [self.supply, self.cut, self.place_dots, self.overview_dots, self.units, *self.unit_labels,
                self.headline, self.notes]

    def set_animated(self, animated: bool) -> None:
        """Animated day artists are left out of full redraws; an animation draws them over a saved background."""
        self.animated = animated
        for artist in self.day_artists():
            artist.set_animated(animated)

    def segments(self, edges: Sequence[tuple[str, str]]) -> list[list[tuple[float, float]]]:
        return [[self.pos[a], self.pos[b]] for a, b in edges]

    def show(self, state: MapState, notes: Sequence[str] | None = None) -> None:
        """Draw the day of ``state``; ``notes`` (default: the day's key events) are written on the map."""
        colours = [control_colour(self.sides, state.control[p]) for p in self.places]
        self.place_dots.set_facecolors(colours)
        self.overview_dots.set_facecolors(colours)
        self.supply.set_segments(self.segments(state.supply_roads))
        self.cut.set_segments(self.segments(state.min_cut))
        units = sorted(state.formations, key=lambda f: -f.personnel)  # small squares drawn over big ones
        if units:
            xy = _spread([formation_xy(f, self.pos) for f in units])
            self.units.set_offsets(xy)
            self.units.set_sizes([20 + MARKER_AREA_PER_MAN * f.personnel for f in units])
            self.units.set_facecolors([self.factions[f.faction] for f in units])
        else:
            xy = np.empty((0, 2))
            self.units.set_offsets(xy)
        for text in self.unit_labels:
            text.remove()
        self.unit_labels = [
            self.ax.annotate(short_name(self.labels.get(f.fid, f.label)), tuple(xy[i]), xytext=(9, 6),
                             textcoords="offset points", fontsize=12, color=INK, zorder=7,
                             fontweight="bold", annotation_clip=False, clip_on=True, animated=self.animated,
                             bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5})
            for i, f in enumerate(units) if f.personnel >= LABEL_MIN_PERSONNEL and self.inside(xy[i])]
        status = "supply cut" if not state.connected else "supplied"
        name = self.place_names[self.scenario.spec.objective]
        self.headline.set_text(f"{format_date(state.date)}  (day {state.day:g})  ·  {name} {status}")
        if notes is None:
            notes = self.captions(state)[-KEY_EVENT_LINES:]
        self.notes.set_text("\n".join(notes))
        self.notes.set_visible(bool(notes))

    def captions(self, state: MapState) -> list[str]:
        """Short captions of the day's key events."""
        return [caption(e.row(), self.place_names, self.side_names, self.labels) for e in state.events
                if e.kind.value in ("capture", "objective_cut", "objective_reconnected", "surrender")]


def map_figure(scenario: Scenario, state: MapState) -> Figure:
    """The map of one day of a run as a figure (about 16 x 10 inches: readable when projected)."""
    fig = new_figure(16, 10)
    ax = fig.add_subplot()
    TheatreMap(ax, scenario).show(state)
    return fig

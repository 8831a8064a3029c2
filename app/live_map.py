"""The campaign map of analysis/theatre_map.py, fast enough to redraw on every Step of the web app.

Drawing the whole map takes about half a second, nearly all of it the ground, roads and key, which change only
when a place changes hands. So the picture is built in two layers on the map's Agg canvas: a background (the
theatre, the ground each side holds, the front line and the places, kept per state of control) and the day
(supply roads, minimum cut, formations, labels, title and caption), drawn over a copy of the background with
``draw_artist``. The pixels are the same as the report's map of that day; only the work differs.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from PIL import Image

from analysis.replay import MapState
from analysis.theatre_map import MapDrawing, MapOptions, TheatreMap
from sim.scenario import Scenario

PLACE_REACH = 0.04  # a click this near a place (a fraction of the picture's width) chooses it
MARKER_MARGIN_PX = 4  # a click this near a formation's marker chooses the formation
BACKGROUNDS_KEPT = 8  # states of control whose background is kept (a campaign has a few dozen at most)
JPEG_QUALITY = 82  # the picture is a photograph of a map: sharp text at an eighth of a PNG's bytes


@dataclasses.dataclass(frozen=True)
class Spot:
    """Something a click on the picture can choose: a formation or a place, where it is drawn.

    ``x`` and ``y`` are fractions of the picture's width and height from its top left corner (the browser shows the
    picture at any size); ``reach_x`` and ``reach_y`` the half size of the formation's marker, in the same units."""

    kind: str  # "formation" or "place"
    key: str  # the formation's or the place's id
    x: float
    y: float
    reach_x: float = 0.0
    reach_y: float = 0.0


def spot_at(spots: Sequence[Spot], x: float, y: float, aspect: float) -> Spot | None:
    """What a click at (``x``, ``y``) chooses: the formation whose marker it is on (the nearest of several), else
    the nearest place within PLACE_REACH, else nothing. ``aspect`` is the picture's height over its width."""

    def distance(s: Spot) -> float:
        return math.hypot(s.x - x, (s.y - y) * aspect)

    on_marker = [s for s in spots if s.kind == "formation" and abs(s.x - x) <= s.reach_x and abs(s.y - y) <= s.reach_y]
    if on_marker:
        return min(on_marker, key=distance)
    places = [s for s in spots if s.kind == "place" and distance(s) <= PLACE_REACH]
    return min(places, key=distance) if places else None


class LiveMap:
    """One session's map: ``picture(state)`` draws a day and returns it as image bytes with its drawing."""

    def __init__(self, scenario: Scenario, dpi: float) -> None:
        self.map = TheatreMap(scenario, dpi)
        self.dpi = dpi
        self.backgrounds: dict[tuple, object] = {}

    def _day_artists(self) -> list[Artist]:
        """What changes every day, in the order it is drawn over the background (by zorder, as in the map)."""
        m = self.map
        return [m.supply, m.cut, m.place_dots, *m.units.values(), *m.leaders, *m.texts, m.title, m.caption]

    def _background(self, state: MapState) -> object:
        key = tuple(state.control.get(p) for p in self.map.theatre.places)
        if key not in self.backgrounds:
            day = self._day_artists()
            for artist in day:
                artist.set_visible(artist is self.map.place_dots)
            self.map.figure.canvas.draw()
            for artist in day:
                artist.set_visible(True)
            if len(self.backgrounds) >= BACKGROUNDS_KEPT:
                self.backgrounds.pop(next(iter(self.backgrounds)))
            self.backgrounds[key] = self.map.figure.canvas.copy_from_bbox(self.map.figure.bbox)
        return self.backgrounds[key]

    def picture(self, state: MapState, options: MapOptions | None = None) -> tuple[bytes, MapDrawing]:
        """The map of ``state`` as JPEG bytes, and the drawing (to read where each label and marker is)."""
        drawing = self.map.show(state, dataclasses.replace(options or MapOptions(), dpi=self.dpi))
        background = self._background(state)
        canvas = self.map.figure.canvas
        canvas.restore_region(background)
        for artist in self._day_artists():
            self.map.figure.draw_artist(artist)
        pixels = np.asarray(canvas.buffer_rgba())[:, :, :3]
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="JPEG", quality=JPEG_QUALITY)
        return out.getvalue(), drawing

    def spots(self, state: MapState, drawing: MapDrawing) -> list[Spot]:
        """Where each place and formation of ``drawing`` (the map of ``state``) is on the picture.

        The drawing's marker boxes are the places', in the theatre's order, then the formations', largest first
        (the order TheatreMap draws them in); boxes are in display pixels, from the bottom left."""
        width, height = self.map.figure.bbox.width, self.map.figure.bbox.height
        places = self.map.theatre.places
        units = sorted(state.formations, key=lambda f: -f.personnel)
        keys = [("place", p) for p in places] + [("formation", f.fid) for f in units]
        found = []
        for (kind, key), (x0, y0, x1, y1) in zip(keys, drawing.marker_boxes, strict=True):
            margin = MARKER_MARGIN_PX if kind == "formation" else 0
            found.append(Spot(kind, key, float((x0 + x1) / 2 / width), float(1 - (y0 + y1) / 2 / height),
                              float(((x1 - x0) / 2 + margin) / width), float(((y1 - y0) / 2 + margin) / height)))
        return found

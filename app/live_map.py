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

import numpy as np
from matplotlib.artist import Artist
from PIL import Image

from analysis.replay import MapState
from analysis.theatre_map import MapDrawing, MapOptions, TheatreMap
from sim.scenario import Scenario

BACKGROUNDS_KEPT = 8  # states of control whose background is kept (a campaign has a few dozen at most)
JPEG_QUALITY = 82  # the picture is a photograph of a map: sharp text at an eighth of a PNG's bytes


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

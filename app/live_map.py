"""The campaign map of analysis/theatre_map.py, fast enough to redraw on every Step of the web app.

Drawing the whole map takes about half a second, most of it writing text: matplotlib lays a text out glyph by
glyph in Python, about a millisecond for a label, and a map has some 100. So the picture is built in layers on the
map's Agg canvas: a background (the theatre, the ground each side holds, the front line and the places), drawn
again only when a place changes hands, with the key's legend drawn once and kept as pixels; and the day (supply
roads, minimum cut, formations and labels), drawn over a copy of the background with ``draw_artist``. The labels
are the same words in the same style day after day, only moved: each is written once, into a picture of its own (a
sprite), and pasted where it goes on later days. The pixels are those of the report's map of that day (pasting
differs from writing by at most two levels of 255 in a channel, and a label moves by less than half a pixel);
only the work differs.

The page shows the map and its key as two pictures, side by side on a wide screen and one under the other on a
narrow one (the map then takes the page's whole width, so that it can be read at 1024 x 768), and the title and
caption as text.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from analysis.replay import MapState
from analysis.theatre_map import MapDrawing, MapOptions, TheatreMap
from sim.scenario import Scenario

PLACE_REACH = 0.04  # a click this near a place (a fraction of the picture's width) chooses it
MARKER_MARGIN_PX = 4  # a click this near a formation's marker chooses the formation
BACKGROUNDS_KEPT = 8  # states of control whose background is kept (a campaign has a few dozen at most)
JPEG_QUALITY = 82  # the picture is a photograph of a map: sharp text at an eighth of a PNG's bytes
SPRITES_KEPT = 600  # labels kept as pictures (a campaign has some 150 different ones)
SPRITE_MARGIN_PX = 2  # around a label's box: its antialiased edge


@dataclasses.dataclass(frozen=True)
class Sprite:
    """A label written once: its pixels (RGBA, bottom row first, as Agg pastes them) and where its lower left
    corner is from the point the label is anchored at, in display pixels."""

    pixels: np.ndarray
    dx: int
    dy: int


def _look(text: Text) -> tuple:
    """What a label looks like, apart from where it is: two labels of one look have the same pixels."""
    box = text.get_bbox_patch()
    frame = None if box is None else (tuple(box.get_facecolor()), tuple(box.get_edgecolor()), box.get_boxstyle().pad)
    return (text.get_text(), text.get_fontproperties(), str(text.get_color()), text.get_ha(), text.get_va(),
            text.get_linespacing(), text.get_rotation(), text.get_alpha(), frame)


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


@dataclasses.dataclass(frozen=True)
class Picture:
    """A day's map as the web page shows it: the map and its key as JPEG pictures, the title and caption as text,
    and what a click on the map picture can choose (``aspect``: the map picture's height over its width)."""

    map: bytes
    key: bytes
    map_width: int  # pixels
    key_width: int
    title: str
    caption: tuple[str, ...]
    spots: list[Spot]
    aspect: float


class LiveMap:
    """One session's map: ``picture(state)`` draws a day as the page shows it."""

    def __init__(self, scenario: Scenario, dpi: float) -> None:
        self.map = TheatreMap(scenario, dpi)
        self.dpi = dpi
        self.backgrounds: dict[tuple, tuple[object, bytes]] = {}  # state of control -> (the map without the
        # day, the key's picture)
        self.key: object | None = None  # the key's pixels, drawn once (see _background)
        self.key_box: Bbox | None = None  # where they are (display pixels)
        self.sprites: dict[tuple, Sprite] = {}
        self.scratch: RendererAgg | None = None  # a transparent canvas the size of the map, to write labels on

    def _day_shapes(self) -> list[Artist]:
        """What changes every day but its words, in the order it is drawn over the background (by zorder, as in
        the map); its words (``_day_texts``) go over it."""
        m = self.map
        return [m.supply, m.cut, m.place_dots, *m.units.values(), *m.leaders]

    def _day_texts(self) -> list[Text]:
        """The day's labels (the title and caption are the page's text, not the pictures')."""
        return self.map.texts

    def _anchor(self, text: Text) -> np.ndarray:
        """Where ``text`` is anchored, in display pixels."""
        return text.get_transform().transform(text.get_unitless_position())

    def _sprite(self, text: Text) -> Sprite:
        """``text`` written on the scratch canvas where the map has it, cut out with its box, the canvas cleared."""
        canvas = self.map.figure.canvas
        width, height = canvas.get_width_height()
        if self.scratch is None or (self.scratch.width, self.scratch.height) != (width, height) \
                or self.scratch.dpi != self.map.figure.dpi:
            self.scratch = RendererAgg(width, height, self.map.figure.dpi)
        text.draw(self.scratch)
        extents = [text.get_window_extent(self.scratch)]
        if text.get_bbox_patch() is not None:
            extents.append(text.get_bbox_patch().get_window_extent(self.scratch))
        box = Bbox.union(extents)
        x0, y0 = max(math.floor(box.x0) - SPRITE_MARGIN_PX, 0), max(math.floor(box.y0) - SPRITE_MARGIN_PX, 0)
        x1 = min(math.ceil(box.x1) + SPRITE_MARGIN_PX, width)
        y1 = min(math.ceil(box.y1) + SPRITE_MARGIN_PX, height)
        written = np.asarray(self.scratch.buffer_rgba())[height - y1:height - y0, x0:x1]  # rows from the top
        pixels = np.ascontiguousarray(written[::-1])
        written[:] = 0
        anchor = self._anchor(text)
        return Sprite(pixels, x0 - round(anchor[0]), y0 - round(anchor[1]))

    def _paste(self, texts: Sequence[Text]) -> None:
        """Paste each label where it goes, written first if it has not been (see the module's docstring)."""
        renderer = self.map.figure.canvas.get_renderer()
        gc = renderer.new_gc()
        for text in texts:
            if not text.get_visible() or not text.get_text():
                continue
            look = _look(text)
            if look not in self.sprites:
                if len(self.sprites) >= SPRITES_KEPT:
                    self.sprites.pop(next(iter(self.sprites)))
                self.sprites[look] = self._sprite(text)
            sprite = self.sprites[look]
            x, y = np.round(self._anchor(text))
            renderer.draw_image(gc, int(x) + sprite.dx, int(y) + sprite.dy, sprite.pixels)
        gc.restore()

    def _key_shapes(self) -> list[Artist]:
        """What of the key beside the map changes with the ground held: the overview's place markers and the
        main map's frame drawn over them."""
        return [a for a in (self.map.overview_dots, self.map.overview_frame) if a is not None]

    def _background(self, state: MapState) -> tuple[object, bytes]:
        """The map without the day, and the key's picture: drawn again when a place changes hands, but for the
        key's legend (its text is most of the drawing's work), drawn once and kept as pixels."""
        key = tuple(state.control.get(p) for p in self.map.theatre.places)
        if key in self.backgrounds:
            return self.backgrounds[key]
        figure, canvas = self.map.figure, self.map.figure.canvas
        day = [*self._day_shapes(), *self._day_texts(), self.map.title, self.map.caption]
        hidden = [a for a in day if a is not self.map.place_dots] + self._key_shapes()
        for artist in hidden:
            artist.set_visible(False)
        if self.key is None:
            canvas.draw()
            self.key_box = self._key_box()
            self.key = canvas.copy_from_bbox(self.key_box)
        else:
            self.map.key_ax.set_visible(False)
            canvas.draw()
            self.map.key_ax.set_visible(True)
            canvas.restore_region(self.key)
        for artist in hidden:
            artist.set_visible(True)
        for artist in self._key_shapes():
            figure.draw_artist(artist)
        if len(self.backgrounds) >= BACKGROUNDS_KEPT:
            self.backgrounds.pop(next(iter(self.backgrounds)))
        self.backgrounds[key] = (canvas.copy_from_bbox(figure.bbox), self._jpeg(self.key_box))
        return self.backgrounds[key]

    def _key_box(self) -> Bbox:
        """The key's box in display pixels: its legend and the overview under it, if any, right of the map."""
        renderer = self.map.figure.canvas.get_renderer()
        key = self.map.key_ax
        box = Bbox.union([key.get_legend().get_window_extent(renderer),
                          *(inset.get_tightbbox(renderer) for inset in key.child_axes)]).padded(SPRITE_MARGIN_PX)
        return self._whole_pixels(Bbox.from_extents(max(box.x0, self._map_box().x1), box.y0, box.x1, box.y1))

    def _map_box(self) -> Bbox:
        """The map's box in display pixels, its frame included."""
        return self._whole_pixels(self.map.ax.bbox.padded(1))

    def _whole_pixels(self, box: Bbox) -> Bbox:
        """``box`` grown to whole pixels, inside the figure."""
        width, height = self.map.figure.canvas.get_width_height()
        return Bbox.from_extents(max(math.floor(box.x0), 0), max(math.floor(box.y0), 0),
                                 min(math.ceil(box.x1), width), min(math.ceil(box.y1), height))

    def _jpeg(self, box: Bbox) -> bytes:
        """The canvas inside ``box`` (whole display pixels, from the bottom left) as JPEG bytes."""
        height = self.map.figure.canvas.get_width_height()[1]
        x0, y0, x1, y1 = (int(v) for v in box.extents)
        pixels = np.asarray(self.map.figure.canvas.buffer_rgba())[height - y1:height - y0, x0:x1, :3]
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="JPEG", quality=JPEG_QUALITY)
        return out.getvalue()

    def picture(self, state: MapState, options: MapOptions | None = None) -> Picture:
        """The map of ``state`` as the page shows it."""
        drawing = self.map.show(state, dataclasses.replace(options or MapOptions(), dpi=self.dpi))
        background, key = self._background(state)
        canvas = self.map.figure.canvas
        canvas.restore_region(background)
        for artist in self._day_shapes():
            self.map.figure.draw_artist(artist)
        self._paste(self._day_texts())
        box = self._map_box()
        return Picture(self._jpeg(box), key, round(box.width), round(self.key_box.width), drawing.title,
                       tuple(drawing.caption.get_text().splitlines()), self.spots(state, drawing, box),
                       box.height / box.width)

    def spots(self, state: MapState, drawing: MapDrawing, box: Bbox) -> list[Spot]:
        """Where each place and formation of ``drawing`` (the map of ``state``) is on the map's picture, the part
        of the canvas inside ``box``.

        The drawing's marker boxes are the places', in the theatre's order, then the formations', largest first
        (the order TheatreMap draws them in); boxes are in display pixels, from the bottom left."""
        left, bottom, width, height = box.bounds
        places = self.map.theatre.places
        units = sorted(state.formations, key=lambda f: -f.personnel)
        keys = [("place", p) for p in places] + [("formation", f.fid) for f in units]
        found = []
        for (kind, key), (x0, y0, x1, y1) in zip(keys, drawing.marker_boxes, strict=True):
            margin = MARKER_MARGIN_PX if kind == "formation" else 0
            found.append(Spot(kind, key, float(((x0 + x1) / 2 - left) / width),
                              float(1 - ((y0 + y1) / 2 - bottom) / height),
                              float(((x1 - x0) / 2 + margin) / width), float(((y1 - y0) / 2 + margin) / height)))
        return found

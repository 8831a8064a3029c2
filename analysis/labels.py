"""Label placement: put every label near its point without covering another label, a marker or anything else
that must stay readable.

A greedy placer in display space (pixels): labels are placed in order of importance; each tries positions
around its point (right, left, above, below, the diagonals), at growing distances, and takes the first whose box
lies inside the frame and overlaps nothing placed so far or any obstacle (markers, the scale bar, the north arrow).
A label set away from its point gets a leader line. Boxes are axis-aligned rectangles (x0, y0, x1, y1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]
# Directions tried around a point, in order of preference: right, left, above, below, then the diagonals.
DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))
# Extra distance (pixels) beyond the point's marker; the far rings serve crowded maps (a town split into quarters).
RINGS = (0.0, 6.0, 14.0, 26.0, 42.0, 64.0, 92.0, 124.0, 160.0, 200.0, 250.0)
LEADER_FROM = 10.0  # labels set further than this from their marker get a leader line


@dataclass(frozen=True)
class Placement:
    """Where a label went: its box, the text's anchor (its lower-left corner), and whether it is clear."""

    box: Box
    clear: bool  # overlaps no other label and no obstacle
    leader: bool  # far enough from its point to need a line to it


def _candidate(point: tuple[float, float], size: tuple[float, float], radius: float, gap: float,
               direction: tuple[int, int]) -> Box:
    """The box of a label of ``size`` set in ``direction`` from a marker of ``radius`` at ``point``."""
    (x, y), (w, h), (dx, dy) = point, size, direction
    reach = radius + gap
    x0, y0 = _near_end(x, w, reach, dx), _near_end(y, h, reach, dy)
    return (x0, y0, x0 + w, y0 + h)


def _near_end(centre: float, length: float, reach: float, sign: int) -> float:
    """Where a label of ``length`` starts along one axis: past the marker on the ``sign`` side, centred at 0."""
    if sign > 0:
        return centre + reach
    if sign < 0:
        return centre - reach - length
    return centre - length / 2


def overlap_area(box: Box, others: np.ndarray) -> np.ndarray:
    """Area shared by ``box`` and each row (x0, y0, x1, y1) of ``others``."""
    if len(others) == 0:
        return np.zeros(0)
    w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def _inside(box: Box, frame: Box) -> bool:
    return box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3]


def place_labels(points: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]],
                 radii: Sequence[float], obstacles: Sequence[Box], frame: Box) -> list[Placement]:
    """A box for each label (in the order given, which is the order of importance).

    ``points`` are the labelled points, ``sizes`` the labels' (width, height), ``radii`` the half-size of each
    point's marker, ``obstacles`` boxes no label may cover (every marker, legends, ornaments), ``frame`` the box
    every label must stay inside. A label with no clear position takes the one that overlaps least.
    """
    fixed = np.array(obstacles, dtype=float).reshape(-1, 4)
    placed: list[Box] = []
    out = []
    for point, size, radius in zip(points, sizes, radii, strict=True):
        best: tuple[float, Box, float] | None = None
        for gap in RINGS:
            for direction in DIRECTIONS:
                box = _candidate(point, size, radius, gap + 2.0, direction)
                if not _inside(box, frame):
                    continue
                taken = np.array(placed, dtype=float).reshape(-1, 4)
                cover = float(overlap_area(box, fixed).sum() + overlap_area(box, taken).sum())
                if best is None or cover < best[0]:
                    best = (cover, box, gap)
                if cover == 0:
                    break
            if best is not None and best[0] == 0:
                break
        if best is None:  # nothing fits inside the frame: keep it beside its point
            box = _candidate(point, size, radius, 2.0, DIRECTIONS[0])
            best = (float("inf"), box, 0.0)
        placed.append(best[1])
        out.append(Placement(best[1], best[0] == 0, best[2] >= LEADER_FROM))
    return out


def boxes_overlap(a: Box, b: Box, tolerance: float = 0.5) -> bool:
    """Whether two boxes share more than a sliver (``tolerance`` pixels each way)."""
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance) and (min(a[3], b[3]) - max(a[1], b[1]) > tolerance)

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
GAP_PX = 2.0  # between a marker and its nearest label
SEARCH_STEP_PX = 6.0  # the lattice a required label with no clear ring searches the frame over
SEARCH_CHUNK = 1024  # lattice boxes weighed at once
# Every position tried, in order: ring by ring, each ring in the order of DIRECTIONS.
_GAPS = np.repeat(RINGS, len(DIRECTIONS)) + GAP_PX
_DX, _DY = np.tile(DIRECTIONS, (len(RINGS), 1)).T


@dataclass(frozen=True)
class Placement:
    """Where a label went: its box, the text's anchor (its lower-left corner), and whether it is clear."""

    box: Box
    clear: bool  # overlaps no other label and no obstacle
    leader: bool  # far enough from its point to need a line to it


def _candidates(point: tuple[float, float], size: tuple[float, float], radius: float) -> np.ndarray:
    """Every box a label of ``size`` may take around a marker of ``radius`` at ``point``, in the order tried: ring
    by ring (RINGS, nearest first), each ring in the order of DIRECTIONS. Rows are (x0, y0, x1, y1)."""
    (x, y), (w, h) = point, size
    reach = radius + _GAPS
    x0, y0 = _near_end(x, w, reach, _DX), _near_end(y, h, reach, _DY)
    return np.column_stack([x0, y0, x0 + w, y0 + h])


def _near_end(centre: float, length: float, reach: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Where a label of ``length`` starts along one axis: past the marker on the ``sign`` side, centred at 0."""
    return np.where(sign > 0, centre + reach, np.where(sign < 0, centre - reach - length, centre - length / 2))


def overlap_area(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Area shared by each row of ``boxes`` with each row of ``others`` (rows (x0, y0, x1, y1)), one row per box."""
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(boxes[:, None, 0], others[None, :, 0])
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(boxes[:, None, 1], others[None, :, 1])
    return np.maximum(w, 0) * np.maximum(h, 0)


def _nearest_clear(point: tuple[float, float], size: tuple[float, float], frame: Box,
                   taken: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The box of ``size`` inside ``frame`` covering none of ``taken`` whose centre is nearest ``point`` (searched
    over a lattice of SEARCH_STEP_PX, nearest first, SEARCH_CHUNK boxes at a time: the whole lattice against every
    marker of a large map at once would take hundreds of MB), with that distance; None if there is none."""
    (w, h), (fx0, fy0, fx1, fy1) = size, frame
    xs, ys = np.arange(fx0, fx1 - w, SEARCH_STEP_PX), np.arange(fy0, fy1 - h, SEARCH_STEP_PX)
    if not len(xs) or not len(ys):
        return None
    x0, y0 = (a.ravel() for a in np.meshgrid(xs, ys))
    distance = np.hypot(x0 + w / 2 - point[0], y0 + h / 2 - point[1])
    order = np.argsort(distance, kind="stable")  # (ties in the lattice's order)
    boxes = np.column_stack([x0, y0, x0 + w, y0 + h])[order]
    for start in range(0, len(boxes), SEARCH_CHUNK):
        chunk = boxes[start:start + SEARCH_CHUNK]
        free = np.flatnonzero(overlap_area(chunk, taken).sum(axis=1) == 0) if len(taken) else np.arange(len(chunk))
        if len(free):
            first = start + int(free[0])
            return boxes[first], float(distance[order[first]])
    return None


def place_labels(points: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]],
                 radii: Sequence[float], obstacles: Sequence[Box], frame: Box, required: int = 0) -> list[Placement]:
    """A box for each label (in the order given, which is the order of importance).

    ``points`` are the labelled points, ``sizes`` the labels' (width, height), ``radii`` the half-size of each
    point's marker, ``obstacles`` boxes no label may cover (every marker, legends, ornaments), ``frame`` the box
    every label must stay inside. A label takes the first position tried that covers nothing; with no clear
    position, the first of those that cover least, except that the first ``required`` labels (shown whatever
    happens) then take the clear spot nearest their point anywhere in the frame, if there is one, with a leader.
    A ring's eight positions are weighed at once (numpy): the web app places some 70 labels on every Step.
    """
    fixed = np.array(obstacles, dtype=float).reshape(-1, 4)
    placed = np.empty((len(points), 4))
    out = []
    for i, (point, size, radius) in enumerate(zip(points, sizes, radii, strict=True)):
        boxes = _candidates(point, size, radius)
        inside = ((boxes[:, 0] >= frame[0]) & (boxes[:, 1] >= frame[1]) & (boxes[:, 2] <= frame[2])
                  & (boxes[:, 3] <= frame[3]))
        best, least = 0, np.inf  # with nothing inside the frame, the label stays beside its point
        for ring in range(len(RINGS)):
            tried = np.flatnonzero(inside[ring * len(DIRECTIONS):(ring + 1) * len(DIRECTIONS)])
            if not len(tried):
                continue
            tried += ring * len(DIRECTIONS)
            cover = overlap_area(boxes[tried], fixed).sum(axis=1) + overlap_area(boxes[tried], placed[:i]).sum(axis=1)
            first = int(np.argmin(cover))
            if cover[first] < least:
                best, least = int(tried[first]), float(cover[first])
            if least == 0:
                break
        box, leader = boxes[best], bool(RINGS[best // len(DIRECTIONS)] >= LEADER_FROM)
        if least > 0 and i < required:
            found = _nearest_clear(point, size, frame, np.vstack([fixed, placed[:i]]))
            if found is not None:
                (box, distance), least = found, 0.0
                leader = distance - max(size) / 2 - radius >= LEADER_FROM
        placed[i] = box
        out.append(Placement(tuple(float(v) for v in box), least == 0, leader))
    return out


def boxes_overlap(a: Box, b: Box, tolerance: float = 0.5) -> bool:
    """Whether two boxes share more than a sliver (``tolerance`` pixels each way)."""
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance) and (min(a[3], b[3]) - max(a[1], b[1]) > tolerance)

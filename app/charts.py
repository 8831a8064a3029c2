"""Line charts as inline SVG for the web app: drawn in a millisecond, sharp at any size, scales that hold the data.

A chart is a few series over the campaign's days. The vertical scale runs from 0 to the larger of ``y_max`` and the
highest value, so a series that goes above its usual range (supply flow above its start, say) stays in the frame,
and the axis says what its numbers mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 270
LEFT, RIGHT, TOP, BOTTOM = 62, 14, 54, 40
FONT_PX, TITLE_PX = 17, 19  # the chart is shown at about 470 px wide at 1400 x 900: 12 px letters
TICKS = 5


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: Sequence[float]
    dashed: bool = False


def _ticks(top: float) -> list[float]:
    return [top * i / (TICKS - 1) for i in range(TICKS)]


def line_chart(title: str, days: Sequence[float], series: Sequence[Series], last_day: float, y_max: float = 1.0,
               percent: bool = True) -> str:
    """An SVG line chart of ``series`` against ``days`` (x from 0 to ``last_day``), with its title and legend."""
    top = max([y_max, *(v for s in series for v in s.values)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * day / max(last_day, 1e-9)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' width='100%' role='img' aria-label='{escape(title)}' "
             f"style='font-family:sans-serif;font-size:{FONT_PX}px'>",
             f"<text x='{LEFT}' y='{TITLE_PX}' font-weight='bold' font-size='{TITLE_PX}'>{escape(title)}</text>"]
    for tick in _ticks(top):
        label = f"{tick:.0%}" if percent else f"{tick:,.0f}"
        parts.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' stroke='#ddd'/>"
                     f"<text x='{LEFT - 6}' y='{y(tick) + 5:.1f}' text-anchor='end'>{label}</text>")
    step = max(1, round(last_day / 6 / 7) * 7) if last_day > 14 else max(1, round(last_day / 6))
    for day in range(0, int(last_day) + 1, step):
        parts.append(f"<text x='{x(day):.1f}' y='{HEIGHT - BOTTOM + FONT_PX + 2}' text-anchor='middle'>{day}</text>")
    parts.append(f"<text x='{WIDTH - RIGHT}' y='{HEIGHT - 4}' text-anchor='end'>day of the campaign</text>")
    for i, s in enumerate(series):
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, s.values, strict=True))
        dash = " stroke-dasharray='6 4'" if s.dashed else ""
        parts.append(f"<polyline fill='none' stroke='{s.colour}' stroke-width='3'{dash} points='{points}'/>")
        lx = LEFT + 8 + i * (plot_w // max(len(series), 1))
        parts.append(f"<line x1='{lx}' x2='{lx + 18}' y1='{TOP - 12}' y2='{TOP - 12}' stroke='{s.colour}' "
                     f"stroke-width='3'{dash}/><text x='{lx + 22}' y='{TOP - 6}'>{escape(s.label)}</text>")
    parts.append("</svg>")
    return "".join(parts)

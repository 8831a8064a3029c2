"""One look for every picture: side and faction colours, projector-sized fonts, figures that need no screen.

Every plotting module takes its colours from here, so a side has the same colour on the map, in the progress plot,
in the animation and in the app, and the defender's supply is drawn in one colour everywhere. Colours come from the
Okabe-Ito palette, which stays apart for the common forms of colour blindness: the attacker is vermillion, the
defender blue. A faction keeps its side's hue (a lighter or darker shade of it) and is told apart by its marker
shape, so any number of factions of any scenario stays readable without naming a single one here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # no screen: every picture is rendered to a file

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.scenario import Role, ScenarioSpec  # noqa: E402

NOBODY = "#b8b8b8"  # places held by no side
INK = "#222222"
PAPER = "white"
SUPPLY = "#cc79a7"  # the defender's supply (roads on the map, flow in the charts): reddish purple
CUT = "#111111"  # the minimum cut
HISTORY = "#111111"  # the historical record: black, drawn dotted or with open markers, never a side's colour

ROLE_COLOURS: dict[Role, str] = {Role.ATTACKER: "#d55e00", Role.DEFENDER: "#0072b2"}
# Shades within each side's hue, for its factions in order (the first is the side's own colour).
ROLE_SHADES: dict[Role, tuple[str, ...]] = {
    Role.ATTACKER: ("#d55e00", "#8c3d00", "#f0a06a", "#b34700", "#ffc299"),
    Role.DEFENDER: ("#0072b2", "#56b4e9", "#00476f", "#2a8fd0", "#a6d3f0"),
}
FACTION_MARKERS = ("s", "D", "^", "o", "v", "p", "h", "P")  # a faction's marker: its place within its side

# Projector size: big type, few words.
FONT = {"font.size": 16, "axes.titlesize": 20, "axes.labelsize": 17, "xtick.labelsize": 14,
        "ytick.labelsize": 14, "legend.fontsize": 14, "figure.titlesize": 22}
matplotlib.rcParams.update(FONT)


def side_colours(spec: ScenarioSpec) -> dict[str, str]:
    """Colour of each side (places it holds, its ground, its bands in plots), by its role."""
    return {sid: ROLE_COLOURS[side.role] for sid, side in spec.sides.items()}


def _faction_rank(spec: ScenarioSpec) -> dict[str, int]:
    """Each faction's position among its side's factions (0 for the first named)."""
    seen: dict[str, int] = {}
    out: dict[str, int] = {}
    for fid, faction in spec.factions.items():
        out[fid] = seen.get(faction.side, 0)
        seen[faction.side] = out[fid] + 1
    return out


def faction_colours(spec: ScenarioSpec) -> dict[str, str]:
    """Colour of each faction: a shade of its side's hue (strength lines, formation markers)."""
    return {fid: ROLE_SHADES[spec.sides[spec.factions[fid].side].role][rank % len(ROLE_SHADES[Role.ATTACKER])]
            for fid, rank in _faction_rank(spec).items()}


def faction_markers(spec: ScenarioSpec) -> dict[str, str]:
    """Marker of each faction: different for every faction of a side (up to eight, then they repeat)."""
    return {fid: FACTION_MARKERS[rank % len(FACTION_MARKERS)] for fid, rank in _faction_rank(spec).items()}


def control_colour(colours: Mapping[str, str], holder: str | None) -> str:
    """Colour of a place held by ``holder`` (a side id; None or "" = nobody)."""
    return colours.get(holder, NOBODY) if holder else NOBODY


def new_figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    """A figure on the Agg canvas (no pyplot, no global state, no screen)."""
    fig = Figure(figsize=(width, height), facecolor=PAPER, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=PAPER)
    return buffer.getvalue()

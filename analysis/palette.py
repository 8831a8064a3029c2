"""One look for every picture: faction and side colours, projector-sized fonts, figures that need no screen.

Every plotting module takes its colours from here, so the Syrian Army is the same red on the map, in the
progress plot and in the animation. Government-side factions are reds and oranges (Hezbollah its traditional
yellow-green); rebel factions greens and blues. Factions and sides of other scenarios get colours by side role,
so an invented theatre is still readable.
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
HISTORY = "#6a3d9a"  # the historical record (timeline marks), a colour no side uses

# Known sides and factions of the al-Qusayr scenarios.
SIDE_COLOURS: dict[str, str] = {"government": "#c0392b", "rebels": "#1e8449"}
FACTION_COLOURS: dict[str, str] = {
    "syrian_army": "#c0392b",  # red
    "ndf": "#e67e22",  # orange
    "hezbollah": "#c9c910",  # yellow-green
    "fsa": "#1e8449",  # green
    "farouq": "#17a589",  # teal
    "tawhid": "#2e86c1",  # blue
    "islamic_front": "#1a5276",  # dark blue
    "nusra": "#145a32",  # dark green
}
# Fallbacks for sides and factions of other scenarios, by the side's role.
ROLE_COLOURS: dict[Role, str] = {Role.ATTACKER: "#c0392b", Role.DEFENDER: "#1e8449"}
ROLE_RAMPS: dict[Role, tuple[str, ...]] = {
    Role.ATTACKER: ("#c0392b", "#e67e22", "#c9c910", "#922b21", "#f1948a"),
    Role.DEFENDER: ("#1e8449", "#2e86c1", "#17a589", "#1a5276", "#82e0aa"),
}

# Projector size: big type, few words.
FONT = {"font.size": 16, "axes.titlesize": 20, "axes.labelsize": 17, "xtick.labelsize": 14,
        "ytick.labelsize": 14, "legend.fontsize": 14, "figure.titlesize": 22}
matplotlib.rcParams.update(FONT)


def side_colours(spec: ScenarioSpec) -> dict[str, str]:
    """Colour of each side (places it holds, its bands in plots)."""
    return {sid: SIDE_COLOURS.get(sid, ROLE_COLOURS[side.role]) for sid, side in spec.sides.items()}


def faction_colours(spec: ScenarioSpec) -> dict[str, str]:
    """Colour of each faction (formation markers, strength lines)."""
    out: dict[str, str] = {}
    used: dict[str, int] = {}
    for fid, faction in spec.factions.items():
        if fid in FACTION_COLOURS:
            out[fid] = FACTION_COLOURS[fid]
            continue
        ramp = ROLE_RAMPS[spec.sides[faction.side].role]
        out[fid] = ramp[used.get(faction.side, 0) % len(ramp)]
        used[faction.side] = used.get(faction.side, 0) + 1
    return out


def control_colour(colours: Mapping[str, str], holder: str | None) -> str:
    """Colour of a place held by ``holder`` (a side id; None or "" = nobody)."""
    return colours.get(holder, NOBODY) if holder else NOBODY


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas (no pyplot, no global state, no screen)."""
    fig = Figure(figsize=(width, height), facecolor=PAPER, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=PAPER)
    return buffer.getvalue()

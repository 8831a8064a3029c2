"""Words for players: the situation, a side's formations and the numbers behind an engagement.

Shared by the web app and the terminal, so both tell a student the same thing in the same way.
"""

from __future__ import annotations

import math
from typing import Any

from sim.events import format_date
from sim.play import Game


def headline(game: Game) -> str:
    """'Day 12, 16 April 2013: al-Qusayr supplied (supply flow 64% of its start)'."""
    m = game.model
    row = game.rows[-1]
    town = m.place_name(m.objective)
    holder = m.control.get(m.objective)
    if holder == m.attacker:
        state = f"{town} has fallen"
    elif row["supply_connected"]:
        state = f"{town} supplied (supply flow {row['supply_flow_share']:.0%} of its start)"
    else:
        state = f"{town} cut off from supply"
    end = " - the campaign is over" if game.over else ""
    return f"Day {m.day:g}, {format_date(m.date)}: {state}{end}"


def formation_rows(game: Game, side: str | None = None) -> list[dict[str, Any]]:
    """One row per formation of a side: id, name, where, men, morale, supply, posture, standing orders, roads."""
    m = game.model
    rows = []
    for f in game.formations(side):
        if f.place is not None:
            where, roads = m.place_name(f.place), ", ".join(m.space.adjacency[f.place])
        elif f.edge is not None:
            where, roads = f.location_text(), ""
        else:
            where = f"arrives day {f.arrival_day:g}" if f.arrival_day > m.day else f.status.value
            roads = ""
        fighting = f.place is not None and m.space.enemy_present(f.place, f.side)
        rows.append({"id": f.fid, "name": f.label, "where": where, "at": f.place or "", "men": f.personnel,
                     "morale": round(f.morale, 2), "supply": round(f.supply, 2),
                     "posture": "in combat" if fighting else f.posture.value if f.active else f.status.value,
                     "orders": game.standing(f) if f.active or f.status.value == "pending" else "-",
                     "neighbours": roads})
    return rows


def formation_lines(game: Game, side: str | None = None) -> list[str]:
    """The formation rows as terminal lines."""
    lines = []
    for r in formation_rows(game, side):
        lines.append(f"  {r['id']:<22} {r['where']:<34} {r['men']:>6,} men  morale {r['morale']:.2f}  "
                     f"supply {r['supply']:.2f}  {r['posture']:<9} orders: {r['orders']}")
        if r["neighbours"]:
            lines.append(f"  {'':<22} roads to: {r['neighbours']}")
    return lines


def _pct(rate: float) -> str:
    return f"{rate:.2%}"


def explain(adj: dict[str, Any], ratio_exponent: float | None = None) -> list[str]:
    """The numbers behind one engagement, as lines a student can check by hand (sim/combat.py)."""
    days = adj["step_days"]
    lines = [f"Engagement #{adj['index']}, {adj['date']} (day {adj['day']:g}): {adj['kind']} at {adj['where']}"
             + (" - first day" if adj["first_day"] else "")]
    for role, side, power, extra in (
            ("attackers", adj["attacker_side"], adj["attacker_power"], f"fire support x{adj['attacker_support']:g}"),
            ("defenders", adj["defender_side"], adj["defender_power"], f"ground x{adj['defence_multiplier']:g}")):
        lines.append(f"  {role} ({side}): combat power {power:,.1f} (includes {extra})")
        for f in adj["formations"]:
            if f["role"] == role[:-1]:
                lines.append(f"    {f['label']}: {f['personnel']:,} men, power {f['power']:,.1f}, morale "
                             f"{f['morale_before']:.2f} -> {f['morale_after']:.2f}, lost {f['killed']} killed, "
                             f"{f['wounded']} wounded")
    scaling = "" if ratio_exponent is None else f" (the base rates scaled by ratio^{ratio_exponent:g})"
    lines.append(f"  force ratio {adj['ratio']:.2f} : 1 -> daily loss rates: attackers {_pct(adj['attacker_rate'])}, "
                 f"defenders {_pct(adj['defender_rate'])}{scaling}")
    lines.append(f"  each man is lost with probability 1 - exp(-rate x {days:g} day): attackers "
                 f"{_pct(1 - math.exp(-adj['attacker_rate'] * days))}, defenders "
                 f"{_pct(1 - math.exp(-adj['defender_rate'] * days))}; the losses above are binomial draws")
    return lines


def engagement_title(adj: dict[str, Any]) -> str:
    lost = {role: sum(f["killed"] + f["wounded"] for f in adj["formations"] if f["role"] == role)
            for role in ("attacker", "defender")}
    return (f"#{adj['index']} {adj['date']}: {adj['kind']} at {adj['where']} - ratio {adj['ratio']:.2f}:1, "
            f"attackers lost {lost['attacker']}, defenders lost {lost['defender']}")

"""Words for players: the situation, a side's formations and the numbers behind an engagement.

Shared by the web app and the terminal, so both tell a student the same thing in the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sim.events import format_date
from sim.play import Game
from sim.records import objective_fall_day
from sim.states import Posture


def headline(game: Game) -> str:
    """'Day 12, 16 April 2013: the town supplied (supply flow 64% of its start)'.

    "Fallen" has one meaning everywhere (sim/records.py's fall day): taken by the attacker and held to the end.
    Before the end, an objective in the attacker's hands is "taken on <date>", since it may yet be retaken.
    """
    m = game.model
    row = game.rows[-1]
    town = m.place_name(m.objective)
    if m.space.holds_whole(m.objective, m.attacker):
        taken = objective_fall_day(m)
        state = (f"{town} has fallen (taken on {game.dated(taken)})" if game.over
                 else f"{town} taken by the {m.spec.sides[m.attacker].name} on {game.dated(taken)}")
    elif row["objective_supplied"]:  # the engine's trace, as the map's title (a road shut by fires cuts too)
        state = f"{town} supplied (supply flow {row['supply_flow_share']:.0%} of its start)"
    else:
        state = f"{town} cut off from supply"
    share = m.space.town_share(m.attacker)
    if 0 < share < 1:
        state += f", {share:.0%} of it taken"
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
            where = f"arrives {game.dated(f.arrival_day)}" if f.arrival_day > m.day else f.status.value
            roads = ""
        fighting = f.place is not None and m.space.enemy_present(f.place, f.side)
        command = m.human_orders.get(f.fid)
        if fighting:
            posture = "in combat"
        elif not f.active:
            posture = f.status.value
        elif command is not None and command.action == "withdraw" and f.posture is Posture.ADVANCE:
            posture = "withdraw"  # a withdrawal marches like an advance, but is not one
        else:
            posture = f.posture.value
        rows.append({"id": f.fid, "name": f.label, "where": where, "at": f.place or "", "men": f.personnel,
                     "morale": round(f.morale, 2), "supply": round(f.supply, 2), "posture": posture,
                     "orders": game.standing(f) if f.active or f.status.value == "pending" else "-",
                     "neighbours": roads})
    return rows


def formation_line(r: dict[str, Any]) -> str:
    """One formation row as a terminal line: its name (and the id to type), where, strength, posture, orders."""
    return (f"  {r['name']} [{r['id']}]: {r['where']}, {r['men']:,} men, morale {r['morale']:.2f}, supply "
            f"{r['supply']:.2f}, {r['posture']}; orders: {r['orders']}")


def formation_lines(game: Game, side: str | None = None) -> list[str]:
    """The formation rows as terminal lines, with the roads out of each formation's place, by name."""
    m = game.model
    lines = []
    for r in formation_rows(game, side):
        lines.append(formation_line(r))
        if r["at"]:
            lines.append(f"      roads to: {', '.join(m.place_name(p) for p in m.space.adjacency[r['at']])}")
    return lines


MAP_COLUMNS, MAP_ROWS = 72, 22


def text_map(game: Game, side: str | None) -> list[str]:
    """The theatre as text: each place a letter at its position (the first letter of its holder's name, in
    capitals where ``side``'s formations stand; ``.`` nobody's; ``@`` the objective), then the key."""
    m = game.model
    spec = game.scenario.spec
    graph = game.scenario.graph
    pos = {p: graph.nodes[p]["pos"] for p in m.places}
    xs, ys = [v[0] for v in pos.values()], [v[1] for v in pos.values()]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    grid = [[" "] * MAP_COLUMNS for _ in range(MAP_ROWS)]
    letters = {sid: s.name[0].lower() for sid, s in spec.sides.items()}
    ours = {f.place for f in m.formations() if f.side == side and f.active}
    for p, (x, y) in sorted(pos.items(), key=lambda item: item[0] == m.objective):  # the objective on top
        col = round((x - x0) / max(x1 - x0, 1e-9) * (MAP_COLUMNS - 1))
        row = round((y1 - y) / max(y1 - y0, 1e-9) * (MAP_ROWS - 1))
        holder = m.control.get(p)
        mark = "@" if p == m.objective else letters.get(holder, ".")
        grid[row][col] = mark.upper() if p in ours and mark != "@" else mark
    key = ", ".join(f"{letters[sid]} {s.name}" for sid, s in spec.sides.items())
    return ["  +" + "-" * MAP_COLUMNS + "+", *("  |" + "".join(r) + "|" for r in grid),
            "  +" + "-" * MAP_COLUMNS + "+",
            f"  north up; {key}; capitals: your formations are there; . nobody; @ {m.place_name(m.objective)} "
            f"({_town_holder(game)})"]


def _town_holder(game: Game) -> str:
    """Who holds the objective town: one side's name, or each side's share of its quarters while it is split."""
    m = game.model
    whole = m.space.whole_holder(m.objective)
    if whole is not None or len(m.space.objective_sectors) == 1:
        return _holder_name(game, whole)
    return ", ".join(f"{m.spec.sides[sid].name} {m.space.town_share(sid):.0%}" for sid in m.spec.sides)


def _holder_name(game: Game, holder: str | None) -> str:
    return game.scenario.spec.sides[holder].name if holder else "nobody"


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


def side_role(game: Game, side: str) -> str:
    return game.scenario.spec.sides[side].role.value


def mission(game: Game, side: str) -> str:
    """What a side must do, from its role, the objective and the dates of the scenario."""
    spec = game.scenario.spec
    town = game.model.place_name(spec.objective)
    end = format_date(spec.end_date)
    if side_role(game, side) == "attacker":
        return f"Take {town} and hold it at the end of the campaign ({end})."
    return f"Hold {town} to the end of the campaign ({end}): keep its supply roads open as long as you can."


def victory_conditions(game: Game) -> list[str]:
    """Who wins, as the model decides (sim/records.py): the objective's holder at the end, and how soon."""
    spec = game.scenario.spec
    m = game.model
    town = m.place_name(spec.objective)
    attacker, defender = (spec.sides[s].name for s in (m.attacker, m.defender))
    return [f"The {attacker} win if they hold {town} on {format_date(spec.end_date)}: the earlier they took it, "
            "the greater the victory.",
            f"The {defender} win if {town} is still theirs (or nobody's) on that day; cutting the attackers' "
            "losses and keeping the supply roads open longer count in the debrief.",
            f"Supply: {town} is cut off when no open road links it to any of the {defender} side's supply sources "
            f"({', '.join(m.place_name(p) for p in spec.sides[m.defender].supply_sources)})."]


def schedule(game: Game, side: str) -> list[tuple[float, str]]:
    """The arrivals a side knows of: its own formations that arrive after day 0, by day (the turn track)."""
    m = game.model
    return sorted((f.arrival_day, f"{f.name} ({f.personnel:,} men) at {m.place_name(f.at)}")
                  for f in game.scenario.spec.formations
                  if f.arrival_day > 0 and game.scenario.spec.factions[f.faction].side == side)


def forces(game: Game, side: str) -> list[str]:
    """A side's formations at the start, by faction: name, men and where."""
    spec = game.scenario.spec
    m = game.model
    lines = []
    for fid, faction in spec.factions.items():
        here = [f for f in spec.formations if f.faction == fid and f.arrival_day == 0]
        if faction.side == side and here:
            men = sum(f.personnel for f in here)
            lines.append(f"{faction.name}: {len(here)} formation{'s' if len(here) > 1 else ''}, {men:,} men - "
                         + ", ".join(f"{f.name} at {m.place_name(f.at)}" for f in here))
    return lines


def briefing(game: Game, side: str) -> dict[str, list[str]]:
    """A side's briefing, all derived from the scenario: situation, mission, forces, arrivals, victory."""
    spec = game.scenario.spec
    enemy = next(s for s in spec.sides if s != side)
    start = format_date(spec.start_date)
    arrivals = [f"Day {day:g} ({format_date(spec.start_date + dt.timedelta(days=day))}): {what}"
                for day, what in schedule(game, side)]
    return {
        "Situation": [f"{start}. {spec.description}".strip(),
                      f"The enemy: the {spec.sides[enemy].name}, about {strength(game, enemy):,} men at the start "
                      "(their reinforcements are not known to you)."],
        "Mission": [mission(game, side)],
        "Your forces": forces(game, side),
        "Your reinforcements (turn track)": arrivals or ["None: you fight with what you have."],
        "Victory conditions": victory_conditions(game),
    }


def strength(game: Game, side: str) -> int:
    """Men a side has at the start (arrivals not counted)."""
    spec = game.scenario.spec
    return sum(f.personnel for f in spec.formations if f.arrival_day == 0 and spec.factions[f.faction].side == side)

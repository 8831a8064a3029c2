"""The one table of model parameters: value, plausible range, unit, source.

Every number the engine uses to adjudicate combat, movement, supply or doctrine is defined here, so that a
scenario can override it by name (``parameters:`` in the scenario file) and a reader can see where it comes
from. Sources are the published figures gathered in the project's reference notes (US Army FM 101-10-1/2,
ATP 5-0.2-1, Dupuy, Lawrence); anything else is marked as an assumption.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sim.errors import InputError

FM101 = "FM 101-10-1/2 Table 4-18 (daily % losses, division level)"
ATP = "ATP 5-0.2-1 Table 2-12 (minimum planning ratios)"
DUPUY = "Dupuy, attrition verities and advance rates"
ARTICLE = "the article on the offensive (forces.md)"


def _p(default: Any, low: float, high: float, unit: str, source: str, doc: str) -> Any:
    """A parameter field: default plus the metadata that documents it."""
    meta = {"low": low, "high": high, "unit": unit, "source": source, "doc": doc}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Parameters:
    """Model parameters; see ``parameter_table()`` or docs/parameters.md for the documented table."""

    # --- combat: daily loss rates (fraction of personnel a day at a 1:1 ratio) ---
    attack_loss_first_day: float = _p(0.066, 0.0, 0.3, "fraction/day", FM101,
                                      "attacker's loss rate on the first day of an assault on a held place")
    attack_loss: float = _p(0.035, 0.0, 0.3, "fraction/day", FM101,
                            "attacker's loss rate on later days of an assault")
    defence_loss_first_day: float = _p(0.035, 0.0, 0.3, "fraction/day", FM101,
                                       "defender's loss rate on the first day it is assaulted")
    defence_loss: float = _p(0.019, 0.0, 0.3, "fraction/day", FM101,
                             "defender's loss rate on later days of an assault")
    meeting_loss: float = _p(0.03, 0.0, 0.3, "fraction/day", "assumption: between attack and defence rates",
                             "each side's loss rate in a meeting engagement (neither holds the ground)")
    retreat_loss: float = _p(0.01, 0.0, 0.3, "fraction/day", FM101 + ", retrograde in contact",
                             "loss rate of a formation that breaks off and retreats")
    ratio_exponent: float = _p(0.5, 0.0, 2.0, "-", DUPUY + ": no direct link between ratio and casualty rate; "
                               "0.5 is an assumption", "how strongly the force ratio scales loss rates")
    loss_band: float = _p(2.0, 1.0, 20.0, "x", FM101 + ": the first-day rates are about twice the later-day "
                          "ones (6.6/3.5, 3.5/1.9); " + DUPUY + ": 1-3%/day, no direct link between force ratio and "
                          "casualty rate", "how far the force ratio may move a daily loss rate from its table value, "
                          "either way (a rate stays within table / band .. table x band)")
    engaged_ratio: float = _p(3.0, 0.1, 100.0, "x the enemy's personnel", ATP + " (deliberate attack 3:1) as the "
                              "most that can be brought to bear on a place at once: assumption",
                              "the most of a side's personnel in a fight that is engaged (and takes the loss "
                              "rate), as a multiple of the enemy's; the rest stand by")
    urban_loss_factor: float = _p(0.7, 0.1, 2.0, "x", "TDI urban study (2002) p. 78: urban terrain cuts "
                                  "casualties somewhat and lengthens combat; 0.7 is an assumption",
                                  "both sides' loss rates in a fight in a built-up place (town or city)")
    urban_morale_factor: float = _p(0.3, 0.0, 1.0, "x", "urban-combat notes 7 P14 (ordinary units break at "
                                    "20-40% losses, committed ones at 50%+; Manila, XIV Corps at Hue: ~50% losses, "
                                    "yet the line held; Qusayr's defenders took ~75% casualties); 0.3 is an "
                                    "assumption inside that span",
                                    "defenders' morale lost per loss, and per day out of supply, in a built-up "
                                    "place they hold, as a share of the open ground's: defenders in their own town "
                                    "break later")
    urban_tank_factor: float = _p(0.5, 0.0, 1.0, "x", "urban-combat notes (Grozny 1994-95: 20 of 26 tanks lost in "
                                  "60 h); 0.5 is an assumption",
                                  "a tank's combat value in a built-up place, as a share of ``tank_value``")
    urban_advance_km: float = _p(0.4, 0.05, 2.0, "km/day", "urban-combat notes 7 P6 (0.3-0.5 km/day of depth per "
                                 "clearing battalion: Wuerselen 1944, Fallujah 2004's 3/5 Marines)",
                                 "how deep into an unfortified quarter of a town the attackers in it clear a day "
                                 "while their power there is at least its defenders' (a fortified one: less, "
                                 "combat.clearing_rate)")
    quarter_depth_km: float = _p(0.9, 0.1, 5.0, "km", "the map of the 2013 offensive: the town's sectors stand "
                                 "about 0.9 km from its centre (scripts/build_map.py, sectors)",
                                 "how deep a quarter of a town is: cleared that far, its last defenders are pushed "
                                 "out")
    max_daily_loss: float = _p(0.25, 0.01, 1.0, "fraction/day", "assumption", "cap on any side's daily loss rate")
    killed_share: float = _p(0.33, 0.05, 0.9, "fraction", ARTICLE + ": 500 killed and 1,000 wounded in the town",
                             "share of the defending side's casualties that are killed (the rest are wounded)")
    attacker_killed_share: float = _p(0.33, 0.05, 0.9, "fraction", "assumption: as the defending side's, unless a "
                                      "theatre's attacker is known to get its wounded out (urban-combat notes 7 P4: "
                                      "attackers' K:W 1:3 to 1:6 in Manila, Fallujah, Hue)",
                                      "share of the attacking side's casualties that are killed (the rest are "
                                      "wounded)")
    ambush_multiplier: float = _p(3.0, 1.0, 10.0, "x", "assumption",
                                  "ambushed side's loss rate multiplier (the ambusher's is divided by it)")
    # --- combat power ---
    type_value: dict = _p({"armour": 1.6, "mechanised": 1.4, "infantry": 1.0, "special_forces": 1.5,
                           "militia": 0.7, "artillery": 0.5}, 0.0, 10.0, "per person", "assumption",
                          "combat value of one person by formation type")
    tank_value: float = _p(12.0, 0.0, 100.0, "persons", "assumption", "combat value of one tank in persons")
    artillery_bonus: float = _p(0.5, 0.0, 5.0, "x per level", "assumption (Dupuy: fire support multiplies power)",
                                "attacker power multiplier per level of artillery support")
    air_bonus: float = _p(0.3, 0.0, 5.0, "x per level", "assumption; the article notes air cover for Radwaniyeh",
                          "attacker power multiplier per level of air support")
    bombardment_loss: float = _p(0.004, 0.0, 0.1, "fraction/day per level", "urban-combat notes 4a (artillery and "
                                 "mortars caused 47-69% of WWII casualties); the rate is an assumption inside "
                                 "Dupuy's 1-3%/day", "daily loss rate that one level of a side's fires (artillery "
                                 "plus air) inflicts on each enemy formation in contact that is not in a fight")
    fortification_bonus: float = _p(0.5, 0.0, 5.0, "x per level", DUPUY + ": defender losses fall as "
                                    "fortification rises; size is an assumption",
                                    "defender power multiplier per level of a place's fortification")
    supply_power_floor: float = _p(0.4, 0.0, 1.0, "fraction", "assumption",
                                   "combat power left at zero supply (power scales linearly up to full supply)")
    morale_power_floor: float = _p(0.5, 0.0, 1.0, "fraction", "assumption",
                                   "combat power left at zero morale (power scales linearly up to full morale)")
    kind_defence: dict = _p({"city": 2.5, "town": 2.0, "hill": 2.0, "airbase": 1.8, "village": 1.5, "farm": 1.2,
                             "crossing": 1.0, "lake": 1.0}, 1.0, 10.0, "x",
                            "assumption: built-up and high ground favour the defender",
                            "terrain defence multiplier of a place by kind, where the map gives none")
    # --- morale ---
    morale_per_loss: float = _p(3.0, 0.0, 20.0, "morale per fraction lost", "assumption",
                                "morale lost per unit fraction of strength lost in a day")
    morale_break: float = _p(0.3, 0.0, 1.0, "morale", "assumption", "below this morale a formation breaks")
    morale_recovery: float = _p(0.04, 0.0, 1.0, "morale/day", "assumption",
                                "daily morale recovery out of combat while in supply")
    morale_unsupplied: float = _p(0.015, 0.0, 1.0, "morale/day", "assumption",
                                  "daily morale decay while out of supply")
    surrender_morale: float = _p(0.15, 0.0, 1.0, "morale", "assumption",
                                 "a broken formation with no way out surrenders below this morale, "
                                 "else it fights on where it stands")
    # --- supply ---
    supply_depletion: float = _p(0.05, 0.0, 1.0, "supply/day", "assumption (about 20 days of stocks)",
                                 "daily fall of supply level while cut off")
    supply_recovery: float = _p(0.25, 0.0, 1.0, "supply/day", "assumption", "daily rise of supply level in supply")
    # --- movement ---
    march_km_per_day: dict = _p({"armour": 26.0, "mechanised": 24.0, "infantry": 17.0, "special_forces": 20.0,
                                 "militia": 17.0, "artillery": 20.0}, 0.0, 200.0, "km/day",
                                DUPUY + ": 17-26 km on days of advance", "road march speed by formation type")
    road_speed_factor: dict = _p({"highway": 1.0, "road": 0.8, "track": 0.5, "river_crossing": 0.5,
                                  "border_crossing": 0.8}, 0.01, 1.0, "x", "assumption",
                                 "share of the march speed kept on each road class")
    crossing_delay_days: dict = _p({"river_crossing": 0.5, "border_crossing": 0.25}, 0.0, 10.0, "days",
                                   "assumption", "extra time to cross a river or the border")
    hostile_entry_penalty: float = _p(40.0, 0.0, 1000.0, "march-km", "assumption",
                                      "cost added to a route for entering an enemy-held place: routes skirt "
                                      "enemy ground where they can")
    ambush_position: float = _p(0.5, 0.0, 1.0, "fraction of the road", "assumption",
                                "where along a road an ambush lies: a raider takes post there, and a column "
                                "that meets it is stopped there")
    # --- supply lines (the supply metrics of sim/metrics.py) ---
    road_capacity: dict = _p({"highway": 4.0, "road": 2.0, "track": 1.0, "river_crossing": 1.0,
                              "border_crossing": 1.0}, 0.01, 100.0, "track equivalents",
                             "assumption: a two-lane highway moves about four times a farm track, a paved road "
                             "about twice; crossings are no better than a track",
                             "relative daily supply throughput of one road by class")
    supply_speed_kmh: dict = _p({"highway": 50.0, "road": 35.0, "track": 15.0, "river_crossing": 5.0,
                                 "border_crossing": 10.0}, 0.1, 200.0, "km/h",
                                "assumption: a loaded truck by day in a contested area, stops included",
                                "average speed of supply traffic by road class")
    encirclement_min_days: float = _p(3.0, 0.0, 60.0, "days", "assumption: a cut shorter than this is a raid "
                                      "on the road, not an encirclement",
                                      "how long the defender-held objective must stay cut off for the cut to "
                                      "count as its encirclement (the encirclement_day metric)")
    # --- supply net, detachments, fires on roads ---
    fire_interdiction: float = _p(0.35, 0.0, 1.0, "share of capacity per level", "assumption; the article: "
                                  "'Very few reinforcements reached the rebels, due to the control of surrounding "
                                  "roads by the government' (24 May); fires 'can interdict roads' (issue 11)",
                                  "share of a road's supply capacity the enemy's fires take away per level of "
                                  "their artillery plus air, on a road with an end in or next to a place where "
                                  "an enemy formation with guns to call on (not a village militia) stands")
    supply_min_flow: float = _p(0.5, 0.0, 100.0, "track equivalents", "assumption: half of what an open farm "
                                "track carries (``road_capacity``) no longer feeds a fight",
                                "least capacity a road must still carry for supply to pass along it")
    detachment_crossroads: float = _p(4.0, 2.0, 100.0, "roads", "assumption: a place where four or more "
                                      "roads meet (a town's crossroads, a road junction) commands the roads round it",
                                      "an axis formation leaves a detachment in a place it leaves when at least "
                                      "this many roads meet there (or the place is next to an enemy supply source)")
    detachment_share: float = _p(0.05, 0.0, 0.5, "fraction of personnel", "the article: 'taking over small bit of "
                                 "ground from rebels and consolidating it before advancing again' (24 May); the "
                                 "share is an assumption", "share of its personnel an axis formation leaves behind "
                                 "as a detachment")
    detachment_min: float = _p(20.0, 1.0, 10_000.0, "persons", "assumption: about a platoon",
                               "a detachment smaller than this is not left (small formations keep together)")
    # --- doctrine ---
    attack_ratio: float = _p(2.5, 0.5, 20.0, "attacker:defender", ATP + ": hasty attack 2.5:1",
                             "power ratio a commander wants before attacking a defended place")
    assault_ratio_objective: float = _p(3.0, 0.5, 20.0, "attacker:defender", ATP + ": deliberate attack 3:1",
                                        "power ratio wanted before storming the scenario's objective")
    direct_assault_ratio: float = _p(6.0, 0.5, 50.0, "attacker:defender", "assumption",
                                     "ratio at which the objective is stormed even before it is cut off")
    storm_headcount_ratio: float = _p(1.0, 0.3, 20.0, "men per defender", "urban-combat notes 0 (the 2013 storm: "
                                      "Hezbollah's assault troops alone about 0.6-1.2:1 against the defenders, "
                                      "reckoned in men)", "the men in and around the objective town free to attack, "
                                      "per defender in it, with which the attacker storms it from all directions "
                                      "on and after the doctrine's dated decision to storm (storm_from_day)")
    storm_ratio: float = _p(1.0, 0.3, 20.0, "attacker:defender", "urban-combat notes 0 (the 2013 storm: "
                            "Hezbollah's assault troops alone about 0.6-1.2:1 against the defenders, 3-5:1 with the "
                            "Army's)", "the power ratio at which the attacker storms the objective on and after "
                            "the doctrine's dated decision to storm (storm_from_day)")
    halt_morale: float = _p(0.45, 0.0, 1.0, "morale", "assumption",
                            "below this morale a formation does not join or launch an attack (it waits to recover)")
    pause_loss: float = _p(0.08, 0.0, 1.0, "fraction of strength a day", "urban-combat notes P15 (pause and "
                           "reorganise after ≳8% loss in a day)",
                           "an attacker in a place that loses this share of its strength in a day calls off")
    consolidation_days: float = _p(2.0, 0.0, 20.0, "days", "the article: slow and methodical, consolidating "
                                   "ground before advancing", "pause after a capture before the next attack")
    counterattack_ratio: float = _p(1.0, 0.1, 10.0, "attacker:defender", ATP + ": counterattack 1:1",
                                    "power ratio the defending side wants before a local counterattack")
    counterattack_chance: float = _p(0.04, 0.0, 1.0, "probability/day", "assumption",
                                     "daily chance that an eligible defending formation counterattacks")
    counterattack_morale: float = _p(0.6, 0.0, 1.0, "morale", "assumption",
                                     "a defending formation counterattacks only at or above this morale")
    counterattack_supply: float = _p(0.5, 0.0, 1.0, "supply", "assumption",
                                     "a defending formation counterattacks only at or above this supply level")
    reinforce_km: float = _p(12.0, 0.0, 200.0, "km", "assumption",
                             "how far a reserve goes to reinforce a threatened place")
    objective_threat_weight: float = _p(2.0, 1.0, 10.0, "x", "assumption",
                                        "how much more a threat to the objective weighs with reserves than a "
                                        "threat elsewhere")
    mop_up_hops: float = _p(3.0, 0.0, 20.0, "roads", "assumption",
                            "how far from the taken objective town (in roads from its nearest quarter) the "
                            "attacker mops up the pocket")
    withdraw_supply: float = _p(0.3, 0.0, 1.0, "supply", "assumption",
                                "an attacking formation below this supply level withdraws to supplied ground")
    # --- the town battle (sectors, urban, last act) ---
    town_withdraw_share: float = _p(0.2, 0.0, 1.0, "share of the town",
                                    "urban-combat notes 2 and 6: in 2013 the rebels were down to the town's north, "
                                    "about a fifth of it (13 of 16 grid squares cleared about 28 May, McClatchy), "
                                    "and held it until 14 of 17 commanders voted to leave on 3 June (CTC); with "
                                    "town_withdraw_days; 0 turns it off (the last quarter is held until cleared)",
                                    "the defenders of the objective town withdraw once they have held at most this "
                                    "share of it for town_withdraw_days days in a row")
    town_withdraw_days: float = _p(6.0, 0.0, 60.0, "days",
                                   "urban-combat notes 2 and 6: confined to the north about 28 May, the rebels' "
                                   "commanders voted to leave on 3 June, 6 days later; 0: at once",
                                   "how many days in a row the defenders of the objective town hold at most "
                                   "town_withdraw_share of it before they withdraw (the model's "
                                   "town_last_stand_days)")
    town_withdraw_supply: float = _p(0.0, 0.0, 1.0, "supply level",
                                     "urban-combat notes 6: in the 2013 town battle 14 of 17 commanders voted to "
                                     "leave, citing ammunition, food and water (CTC); but the ring leaked and they "
                                     "fought on for weeks after the cut (4d: reinforcements got in in the last "
                                     "week), so 0 (off) by default: a model town's stocks run out in 17 days",
                                     "the defenders of the objective town withdraw once the supply level of the "
                                     "garrison falls below this")
    pullout_ratio: float = _p(6.0, 1.0, 100.0, "attacker:defender", ATP + ": delay 1:6 (a defence outnumbered "
                              "beyond this cannot even delay)",
                              "the defenders of the objective town pull out, while still supplied, once the enemy's "
                              "attacking power in and next to the town has been this many times theirs for "
                              "pullout_days days")
    urban_defence_loss: float = _p(0.03, 0.0, 0.3, "fraction/day",
                                   "urban-combat notes 7 P2 (1c: Qusayr 2013 ~3.9-4.6 K+W, Manila, Fallujah): "
                                   "defenders under active assault in a town lose 3-6%/day, killed 1.2-3%/day; "
                                   "the low end, since the force ratio moves it up to loss_band times",
                                   "the defender's table loss rate under assault in a built-up place (in place of "
                                   "defence_loss x urban_loss_factor)")
    interdicted_move_loss: float = _p(0.2, 0.0, 0.5, "fraction a trip",
                                      "urban-combat notes 7 P12 and 4d (Qusayr: of each ~50 who tried to get out, "
                                      "~25 came back and the rest were killed): 0.2-0.5 a trip; isolation never "
                                      "complete", "share of its men a formation loses withdrawing from a town, "
                                      "or breaking into one, along a route under the enemy's fires; also the share "
                                      "of the wounded it carries out of a cut-off place (a retreat too) who die")
    pullout_days: float = _p(7.0, 1.0, 60.0, "days", "assumption: a week under pressure",
                             "how long the defenders of the objective town stand outnumbered by pullout_ratio "
                             "before pulling out while still supplied")


SPECS = {f.name: f for f in fields(Parameters)}


def _check_number(value: Any, spec_name: str, file: str, path: str) -> float:
    meta = SPECS[spec_name].metadata
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(file, path, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InputError(file, path, f"must be finite, got {value!r}")
    if not meta["low"] <= value <= meta["high"]:
        raise InputError(file, path, f"{value!r} is outside the allowed range {meta['low']}..{meta['high']}")
    return float(value)


def apply_overrides(base: Parameters, overrides: Mapping[str, Any], file: str,
                    where: str = "parameters") -> Parameters:
    """Return ``base`` with ``overrides`` applied; table parameters merge key by key."""
    if not isinstance(overrides, Mapping):
        raise InputError(file, where, "must be a mapping of parameter names to values")
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        path = f"{where}.{name}"
        if name not in SPECS:
            raise InputError(file, path, f"unknown parameter (known: {', '.join(sorted(SPECS))})")
        current = getattr(base, name)
        if isinstance(current, dict):
            if not isinstance(value, Mapping):
                raise InputError(file, path, "must be a mapping (this parameter is a table)")
            merged = dict(current)
            for key, item in value.items():
                if key not in current:
                    raise InputError(file, f"{path}.{key}", f"unknown key (known: {', '.join(sorted(current))})")
                merged[key] = _check_number(item, name, file, f"{path}.{key}")
            changes[name] = merged
        else:
            changes[name] = _check_number(value, name, file, path)
    return replace(base, **changes)


def parameter_table() -> list[dict[str, Any]]:
    """Rows of the documented table: name, default, range, unit, source, meaning."""
    defaults = Parameters()
    return [{"name": f.name, "default": getattr(defaults, f.name), **f.metadata} for f in fields(Parameters)]


def parameter_table_markdown() -> str:
    """The parameter table as Markdown, for docs/parameters.md."""
    lines = ["| parameter | default | range | unit | meaning | source |", "|---|---|---|---|---|---|"]
    for row in parameter_table():
        default = row["default"]
        if isinstance(default, dict):
            default = ", ".join(f"{k} {v:g}" for k, v in default.items())
        lines.append(f"| `{row['name']}` | {default} | {row['low']:g}..{row['high']:g} | {row['unit']} | "
                     f"{row['doc']} | {row['source']} |")
    return "\n".join(lines) + "\n"

"""Every number in docs/teaching.md, computed from the shipped model, so the lesson plans cannot drift.

The document marks each number as ``<!--n:NAME-->value<!--/n-->`` (Markdown shows only the value). This script
computes every NAME from the shipped scenarios (doctrine's spread over DOCTRINE_RUNS seeds, a run's interdiction
scores, an engagement's numbers, the historical records, exercise 6's scenario discovery) and rewrites the values
in place; ``--check`` only reports whether the document is up to date (exit 1 when not: tests/test_teaching.py
checks the same). Exercise 6's discovery is the lesson's own ``run.py discover`` command (tens of seconds), so
its result is kept in docs/teaching-discovery.json: the script reruns it unless ``--check`` or
``--keep-discovery``, and the numbers are read from that file. After a change of the engine, one command brings
the lessons up to date:

    .venv/bin/python scripts/teaching_numbers.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from any folder: the project must be importable
    sys.path.insert(0, str(ROOT))

from analysis.discovery import OUTCOME, VARIANT  # noqa: E402
from sim.events import format_date  # noqa: E402
from sim.play import DOCTRINE_RUNS, Game, Knobs, Spread, doctrine_spread  # noqa: E402
from sim.record import load_record  # noqa: E402
from sim.records import atomic_write_text, to_json  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

DOC = ROOT / "docs" / "teaching.md"
HISTORICAL = ROOT / "scenarios" / "historical.yaml"
KOBANI = ROOT / "scenarios" / "kobani" / "kobani.yaml"
KOBANI_NO_AIR = ROOT / "scenarios" / "kobani" / "counterfactuals" / "kobani_no_air_support.yaml"
DISCOVERY = ROOT / "docs" / "teaching-discovery.json"  # exercise 6's discovery, as its command found it
# exercise 6's command (docs/teaching.md quotes it): the historical scenario and three what-ifs
DISCOVERY_VARIANTS = tuple(ROOT / "scenarios" / "counterfactuals" / f"{name}.yaml"
                           for name in ("no_hezbollah", "hezbollah_late", "arsal_route_open"))
DISCOVERY_OPTIONS = ("--samples", "24", "--runs", "3", "--workers", "1")
MARK = re.compile(r"<!--n:([a-z0-9_]+)-->(.*?)<!--/n-->")
LESSON_SEED = 1  # the seed the lessons' single runs use


def day_date(scenario: Scenario, day: float | None) -> str:
    """'day 31 (5 May 2013)', or 'never'."""
    if day is None:
        return "never"
    return f"day {day:g} ({format_date(scenario.spec.start_date + dt.timedelta(days=day))})"


def spread_numbers(prefix: str, spread: Spread) -> dict[str, str]:
    """How many runs an event happened in and never did, and its earliest, median and latest day."""
    days = sorted(spread.days)
    out = {f"{prefix}_runs": str(len(days)), f"{prefix}_never": str(spread.never)}
    if days:
        out |= {f"{prefix}_min": f"{days[0]:g}", f"{prefix}_median": f"{statistics.median(days):g}",
                f"{prefix}_max": f"{days[-1]:g}"}
    return out


def campaign_numbers(prefix: str, scenario: Scenario) -> dict[str, str]:
    """Doctrine's spread of cut-off and fall days and mean killed, and the record's days and losses."""
    cuts, falls, killed = doctrine_spread(scenario, Knobs(), DOCTRINE_RUNS)
    out = spread_numbers(f"{prefix}_cut", cuts) | spread_numbers(f"{prefix}_fall", falls)
    censored = [*falls.days, *[scenario.days + 1.0] * falls.never]  # analysis.scores.censored_fall_day
    out[f"{prefix}_fall_censored_median"] = f"{statistics.median(censored):g}"
    for side, men in killed.items():
        out[f"{prefix}_killed_{side}"] = f"{men:,.0f}"
    record = load_record(scenario)
    if record is not None:
        out[f"{prefix}_history_fall"] = day_date(scenario, record.fall_day)
        out[f"{prefix}_history_cut"] = day_date(scenario, record.encirclement_day)
        for side, loss in record.losses_by_side.items():
            low, high = loss.killed
            out[f"{prefix}_history_killed_{side}"] = f"{low:,}" if low == high else f"{low:,}-{high:,}"
    return out


def engagement_numbers(scenario_path: Path) -> dict[str, str]:
    """The first engagement of the lesson seed's run: where, the ratio and the daily loss rates."""
    game = Game(scenario_path, LESSON_SEED)
    while not game.engagements() and not game.over:
        game.step()
    adj = game.engagements()[0]
    return {"fight_where": adj["where"], "fight_date": adj["date"], "fight_ratio": f"{adj['ratio']:.2f}",
            "fight_attacker_rate": f"{adj['attacker_rate']:.2%}", "fight_defender_rate": f"{adj['defender_rate']:.2%}",
            **{name: f"{getattr(game.scenario.params, name):g}" for name in ("ratio_exponent", "attack_ratio",
                                                                              "loss_band")}}


def interdiction_numbers(scenario: Scenario) -> dict[str, str]:
    """The lesson seed's interdiction: villages taken when the town was cut off, and the best that many."""
    summary = simulate(scenario, LESSON_SEED).summary
    names = scenario.graph.nodes
    best = summary["interdiction"]
    return {"best_k": str(best["k"]), "best_places": " and ".join(names[p]["name"] for p in best["best_places"]),
            "taken_places": ", ".join(names[p]["name"] for p in best["captured"]),
            "interdiction_efficiency": f"{best['efficiency']:.2f}"}


def ground_numbers(prefix: str, scenario: Scenario) -> dict[str, str]:
    """The attacker's ground at the end over doctrine's runs: mean and range of the places it holds."""
    attacker = next(s for s, spec in scenario.spec.sides.items() if spec.role.value == "attacker")
    held = [simulate(scenario, seed).summary["final_control"][attacker] for seed in range(DOCTRINE_RUNS)]
    return {f"{prefix}_held_mean": f"{statistics.mean(held):.1f}", f"{prefix}_held_min": str(min(held)),
            f"{prefix}_held_max": str(max(held)), f"{prefix}_places": str(scenario.graph.number_of_nodes())}


def lesson_discovery() -> dict[str, Any]:
    """Exercise 6's command, run as the class runs it; its boxes and the share of runs held in each variant."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, str(ROOT / "run.py"), "discover", "--scenario", str(HISTORICAL),
                        "--counterfactuals", *map(str, DISCOVERY_VARIANTS), *DISCOVERY_OPTIONS, "--out", folder],
                       check=True, stdout=subprocess.DEVNULL)
        boxes = json.loads((Path(folder) / "boxes.json").read_text(encoding="utf-8"))
        sample = pd.read_csv(Path(folder) / "discovery.csv")
    held = sample.groupby(VARIANT)[OUTCOME].mean()
    return {"points": boxes["points"], "runs": boxes["runs"], "held_overall": boxes["held_overall"],
            "held_by_variant": {v: round(float(held[v]), 4) for v in boxes["variants"]},
            "boxes": [{k: box[k] for k in ("coverage", "density", "n", "limits")} for box in boxes["boxes"]]}


def box_text(box: Mapping[str, Any]) -> str:
    """'variant in {a, b}, no parameter limit', or '... inside 2 parameter limits (`x`, `y`)'."""
    variants = box["limits"].get(VARIANT)
    ranges = [f"`{name}`" for name in box["limits"] if name != VARIANT]
    where = f"variant in {{{', '.join(variants)}}}" if variants else "every variant"
    if not ranges:
        return f"{where}, no parameter limit"
    return f"{where} inside {len(ranges)} parameter limit{'s' if len(ranges) > 1 else ''} ({', '.join(ranges)})"


def discovery_numbers(found: Mapping[str, Any]) -> dict[str, str]:
    """What exercise 6's answer quotes: the share held, overall and per variant, and what PRIM found, in words
    (its first two boxes, or why there is none)."""
    out = {"d_runs": f"{found['points'] * found['runs']:,}", "d_points": str(found["points"]),
           "d_held": f"{found['held_overall']:.0%}",
           **{f"d_held_{variant}": f"{share:.0%}" for variant, share in found["held_by_variant"].items()}}
    boxes = found["boxes"]
    if not boxes:
        out["d_boxes"] = ("PRIM finds no box: the town held in so many of the runs that the whole sample is "
                          "already as sure of it as a box must be, so no limits are needed; turn the question "
                          "round and ask in which parameter sets history's own plan succeeds")
        return out
    said = [f"Box 1 is {box_text(boxes[0])}: density {boxes[0]['density']:.0%}, coverage "
            f"{boxes[0]['coverage']:.0%}, {boxes[0]['n']} of {found['points']} points"]
    if len(boxes) > 1:
        said.append(f"Box 2 is {box_text(boxes[1])}, {boxes[1]['n']} points")
    out["d_boxes"] = ". ".join(said)
    return out


def numbers() -> dict[str, str]:
    """Every number the lesson plans quote, by name."""
    historical, kobani = load_scenario(HISTORICAL), load_scenario(KOBANI)
    no_air = load_scenario(KOBANI_NO_AIR)
    _, no_air_falls, _ = doctrine_spread(no_air, Knobs(), DOCTRINE_RUNS)
    return {"runs": str(DOCTRINE_RUNS), "seed": str(LESSON_SEED),
            **campaign_numbers("q", historical), **campaign_numbers("k", kobani),
            **spread_numbers("k_no_air_fall", no_air_falls),
            **ground_numbers("k", kobani), **ground_numbers("k_no_air", no_air),
            **interdiction_numbers(historical), **engagement_numbers(HISTORICAL),
            **discovery_numbers(json.loads(DISCOVERY.read_text(encoding="utf-8")))}


def fill(text: str, values: dict[str, str]) -> str:
    """The document with every marked number replaced by its value; an unknown name is an error."""
    unknown = sorted({m.group(1) for m in MARK.finditer(text)} - set(values))
    if unknown:
        raise KeyError(f"{DOC.name} marks numbers this script does not compute: {', '.join(unknown)}")
    return MARK.sub(lambda m: f"<!--n:{m.group(1)}-->{values[m.group(1)]}<!--/n-->", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/teaching.md is up to date "
                        "(exercise 6's numbers against docs/teaching-discovery.json, not rerun)")
    parser.add_argument("--keep-discovery", action="store_true", help="do not rerun exercise 6's discovery: "
                        "read its result from docs/teaching-discovery.json")
    args = parser.parse_args(argv)
    if not (args.check or args.keep_discovery):
        atomic_write_text(DISCOVERY, to_json(lesson_discovery()))
    text = DOC.read_text(encoding="utf-8")
    try:
        new = fill(text, numbers())
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run python scripts/teaching_numbers.py", file=sys.stderr)
            return 1
        print(f"{DOC}: every number is up to date")
        return 0
    DOC.write_text(new, encoding="utf-8")
    print(f"{DOC}: {len(MARK.findall(new))} numbers written")
    return 0


if __name__ == "__main__":
    sys.exit(main())

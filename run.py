"""The command line of the al-Qusayr wargame: a thin layer over sim/ and analysis/.

With no arguments it runs the main job. Bad input exits with code 2 and a one-line message naming the file,
the field and the problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sim.errors import InputError

ROOT = Path(__file__).resolve().parent
HISTORICAL = ROOT / "scenarios" / "historical.yaml"


def cmd_run(args: argparse.Namespace) -> int:
    from sim.records import simulate, summary_lines, write_run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    record = simulate(scenario, args.seed)
    out = Path(args.out) if args.out else ROOT / "out" / f"{scenario.name}-seed{args.seed}"
    for line in summary_lines(record):
        print(line)
    write_run(record, out)
    print(f"Wrote {out}/summary.json, events.csv, timeseries.csv")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import validate_file

    failed = 0
    for path in args.files:
        try:
            kind, warnings = validate_file(path)
        except InputError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok      {path} ({kind})")
        for warning in warnings:
            print(f"warning {path}: {warning}")
    return 2 if failed else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from analysis.scores import rank_scenarios, score_columns, scores_markdown, scores_text
    from sim.batch import replicate_seeds, run_summaries
    from sim.records import atomic_write_text, to_csv
    from sim.scenario import load_scenario

    if args.runs < 1:
        raise InputError("--runs", "", "must be at least 1")
    names = {}
    for path in args.scenarios:  # validate everything before running anything
        names[str(Path(path).resolve())] = load_scenario(path).name
    if len(set(names.values())) != len(names):
        raise InputError("compare", "scenarios", "two scenario files have the same name; rename one")
    seeds = replicate_seeds(args.seed, args.runs)
    print(f"Comparing {len(names)} scenarios x {args.runs} replicates (seed {args.seed})...", flush=True)
    by_scenario: dict[str, list[dict]] = {name: [] for name in names.values()}
    for path, _seed, summary in run_summaries(list(names), seeds, args.workers):
        by_scenario[names[path]].append(summary)
    rows = rank_scenarios(by_scenario)
    out = Path(args.out)
    atomic_write_text(out / "scores.csv", to_csv(rows, score_columns(rows)))
    atomic_write_text(out / "scores.md", scores_markdown(rows))
    print(scores_text(rows))
    print(f"Wrote {out}/scores.csv and scores.md")
    return 0


def cmd_main(args: argparse.Namespace) -> int:
    """The main job: the historical scenario, seed 1."""
    return cmd_run(argparse.Namespace(scenario=str(HISTORICAL), seed=1, out=str(ROOT / "out" / "main")))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py", description="Agent-based wargame of the 2013 al-Qusayr offensive. "
        "With no command, runs the main job (the historical scenario) into out/main.")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    run = verbs.add_parser("run", help="run one scenario with one seed and write its records")
    run.add_argument("scenario", help="scenario file (YAML)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--out", help="output folder (default out/SCENARIO-seedN)")
    run.set_defaults(func=cmd_run)

    compare = verbs.add_parser("compare", help="run seeded replicates of scenarios and rank them by supply scores")
    compare.add_argument("scenarios", nargs="+", help="scenario files (YAML)")
    compare.add_argument("--runs", type=int, default=20, help="replicates per scenario (default 20)")
    compare.add_argument("--seed", type=int, default=1, help="base seed the replicate seeds are spawned from")
    compare.add_argument("--out", required=True, help="output folder for scores.csv and scores.md")
    compare.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    compare.set_defaults(func=cmd_compare)

    validate = verbs.add_parser("validate", help="check map (.geojson) and scenario (.yaml) files")
    validate.add_argument("files", nargs="+", help="files to check")
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", cmd_main)
    try:
        return func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

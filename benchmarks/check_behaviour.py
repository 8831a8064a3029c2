"""Behaviour check: write the records of seeds 0-19 of every shipped scenario, or compare two such folders.

A refactoring must not change what the engine does. Write a baseline before the change, a second folder after,
and compare them byte for byte:

    python benchmarks/check_behaviour.py --write /tmp/before
    python benchmarks/check_behaviour.py --write /tmp/after
    python benchmarks/check_behaviour.py --compare /tmp/before /tmp/after   # exit 1 on any difference

Each run writes summary.json, events.csv and timeseries.csv into DIR/<scenario>/seed<NN>/.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.records import write_run  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

SEEDS = range(20)
FILES = ("summary.json", "events.csv", "timeseries.csv")
SHOWN_DIFFERENCES = 5


def shipped_scenarios() -> list[Path]:
    """The historical scenario and every counterfactual, in a fixed order."""
    return [ROOT / "scenarios" / "historical.yaml", *sorted((ROOT / "scenarios" / "counterfactuals").glob("*.yaml"))]


def write(out: Path) -> int:
    """Run every shipped scenario with every seed and write its records under ``out``; return the file count."""
    count = 0
    for path in shipped_scenarios():
        scenario = load_scenario(path)
        for seed in SEEDS:
            count += len(write_run(simulate(scenario, seed), out / path.stem / f"seed{seed:02d}"))
    return count


def compare(a: Path, b: Path) -> int:
    """Compare two written folders byte for byte; print the count and the first differences; 0 if identical."""
    names = sorted({p.relative_to(a) for p in a.rglob("*") if p.is_file()}
                   | {p.relative_to(b) for p in b.rglob("*") if p.is_file()})
    differ = []
    for name in names:
        left, right = a / name, b / name
        if not left.exists() or not right.exists() or left.read_bytes() != right.read_bytes():
            differ.append(name)
    print(f"{len(names)} files compared, {len(differ)} differ")
    for name in differ[:SHOWN_DIFFERENCES]:
        left, right = a / name, b / name
        if not left.exists() or not right.exists():
            print(f"  {name}: only in {a if left.exists() else b}")
            continue
        diff = difflib.unified_diff(left.read_text().splitlines(), right.read_text().splitlines(),
                                    str(left), str(right), n=0, lineterm="")
        print(f"  {name}:")
        for line in list(diff)[:8]:
            print(f"    {line[:200]}")
    return 1 if differ or not names else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, metavar="DIR", help="write every run's records into DIR")
    group.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"), help="compare two written folders")
    args = parser.parse_args()
    if args.write is not None:
        print(f"{write(args.write)} files written to {args.write}")
        return 0
    return compare(*args.compare)


if __name__ == "__main__":
    sys.exit(main())

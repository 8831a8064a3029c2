"""Profile: where the time of a run and of a batch goes (cProfile), as top-ten tables to compare before and after.

Three profiles, each printed as its ten most expensive functions by cumulative time and by own time (tottime):

1. one run of the scenario, the first in the process (so it includes building the scenario's road tables and
   supply-metrics cache, as the first run of each batch worker does);
2. the worker side of a batch: ``--worker-runs`` runs of the batch's tasks in this one process, exactly as a
   worker runs them (``sim.batch.run_task``: the run, then its daily series reshaped into columns);
3. the batch side: ``run.py batch SCENARIO --runs --batch-runs`` in this process (planning, starting the workers,
   receiving results, writing the store); the workers' own time is not in it (that is profile 2). Python 3.12's
   cProfile sees every thread of the process, so the executor's result thread is in it too: cumulative times add
   up to more than the wall time, and time spent waiting for the workers shows as ``select.poll``.

Prints figures; it is not a test.
Usage: python benchmarks/profile_run.py [--batch-runs 1000] [--worker-runs 200] [--synthetic K]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
from collections.abc import Callable
from typing import Any

from common import HISTORICAL, batch_side, load, load_line, run_once, worker_side

from sim.synthetic import write_synthetic

OWN_FRAMES = r"^(?!(profile_run|common)\.py:)"  # this benchmark's own wrappers are left out of the tables
TABLES = (("cumulative", "cumulative time (the function and everything it calls)"),
          ("tottime", "own time (tottime: the function's body only)"))


def profiled(action: Callable[[], Any]) -> cProfile.Profile:
    """Run ``action`` under cProfile and return the profile."""
    profile = cProfile.Profile()
    profile.runcall(action)
    return profile


def top_tables(profile: cProfile.Profile, top: int) -> str:
    """The ``top`` entries by cumulative and by own time, with file paths shortened to file names."""
    out = io.StringIO()
    for key, title in TABLES:
        out.write(f"--- top {top} by {title}\n")
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key)
        stats.print_stats(OWN_FRAMES, top)
    kept = [line for line in out.getvalue().splitlines()
            if line.strip() and not line.lstrip().startswith(("List reduced", "Ordered by"))]
    return "\n".join(kept) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--scenario", default=str(HISTORICAL), help="scenario file (default: the historical one)")
    what.add_argument("--synthetic", type=int, metavar="K", help="profile the synthetic theatre K times the "
                      "historical one (run.py synth --scale K --seed 1) instead")
    parser.add_argument("--worker-runs", type=int, default=200, help="runs in the worker-side profile (default 200)")
    parser.add_argument("--batch-runs", type=int, default=1000,
                        help="runs of the profiled batch (default 1000; 0: skip the batch profile)")
    parser.add_argument("--workers", type=int, default=None, help="workers of the profiled batch (default: all cores)")
    parser.add_argument("--top", type=int, default=10, help="entries per table (default 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(write_synthetic(args.synthetic, 1, folder)) if args.synthetic else args.scenario
        print_profiles(path, args)


def print_profiles(path: str, args: argparse.Namespace) -> None:
    """The three profiles of the module's docstring, of the scenario at ``path``."""
    print(f"profiles of {path}; {load_line('at the start')}")
    scenario = load(path)
    print("=== 1. one run (the first in the process: the scenario's tables and caches are built in it)")
    print(top_tables(profiled(lambda: run_once(scenario, 1)), args.top))
    print(f"=== 2. worker side: {args.worker_runs} runs of a batch's tasks in one process (sim.batch.run_task)")
    print(top_tables(profiled(lambda: worker_side(path, args.worker_runs)), args.top))
    if args.batch_runs:
        print(f"=== 3. batch side: run.py batch --runs {args.batch_runs}, its own process only (workers excluded)")
        print(top_tables(profiled(lambda: batch_side(path, args.batch_runs, args.workers)), args.top))
    print(load_line("at the end (figures are only comparable on an idle machine)"))


if __name__ == "__main__":
    main()

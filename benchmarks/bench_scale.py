"""Benchmark: how the time and memory of one run grow with the size of the theatre.

Synthetic theatres (sim/synthetic.py, ``run.py synth``) 1x, 2x, 5x and 10x the historical theatre's numbers of
places, roads and formations, from several generator seeds, are loaded and run once each as a warm-up (that
first run builds the scenario's road tables and supply-metrics cache, once per batch worker). Then timed runs go
round the theatres in turn, so a busy spell on the machine slows every size alike; wall and CPU time are both
printed (the CPU time of this process is the steadier figure on a shared machine). Memory is the peak of Python's
allocations (tracemalloc) while a fresh copy of the theatre is loaded and run once, caches included.

Prints figures; it is not a test. Target (issue "Speed and scale"): the 10x theatre at most 12 times the time per
run of the 1x theatre. Usage: python benchmarks/bench_scale.py [--scales 1 2 5 10] [--map-seeds 1 2 3] [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from common import Scenario, Timings, load, load_line, run_once

from sim.synthetic import write_synthetic

TARGET_RATIO_AT_10X = 12.0


def peak_memory_mb(path: Path) -> float:
    """Peak MB of Python allocations while a fresh copy of the scenario is loaded and run once (seed 0)."""
    tracemalloc.start()
    try:
        run_once(load(path), 0)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def describe(scenario: Scenario) -> str:
    graph = scenario.graph
    return (f"{graph.number_of_nodes()} places, {graph.number_of_edges()} roads, "
            f"{len(scenario.spec.formations)} formations")


@dataclass
class Measures:
    """Per size: timed runs, first runs (one per theatre), peak memory (MB, largest theatre), what it holds."""

    times: dict[int, Timings]
    first: dict[int, Timings]
    memory: dict[int, float]
    sizes: dict[int, str]


def measure(scales: list[int], map_seeds: list[int], runs: int) -> Measures:
    """Generate the theatres, warm each up, time the runs round the theatres in turn, then measure memory."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {(scale, seed): write_synthetic(scale, seed, folder) for scale in scales for seed in map_seeds}
        scenarios = {key: load(path) for key, path in paths.items()}
        first = {scale: Timings() for scale in scales}
        for (scale, _), scenario in scenarios.items():
            first[scale].time(lambda s=scenario: run_once(s, 0))
        times = {scale: Timings() for scale in scales}
        for run_seed in range(1, runs + 1):
            for (scale, _), scenario in scenarios.items():
                times[scale].time(lambda s=scenario, r=run_seed: run_once(s, r))
        memory = {scale: max(peak_memory_mb(paths[scale, seed]) for seed in map_seeds) for scale in scales}
    sizes = {scale: describe(scenarios[scale, map_seeds[0]]) for scale in scales}
    return Measures(times, first, memory, sizes)


def ratio_text(found: Measures, scale: int) -> str:
    """The median time per run at ``scale`` over that at 1x, on the wall clock and on CPU time."""
    wall, cpu = (found.times[scale].median(clock) / found.times[1].median(clock) for clock in ("wall", "cpu"))
    return f"{wall:.2f} wall, {cpu:.2f} CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 5, 10], help="sizes (default 1 2 5 10)")
    parser.add_argument("--map-seeds", type=int, nargs="+", default=[1, 2, 3],
                        help="generator seeds: one theatre per size and seed (default 1 2 3)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per theatre (default 5)")
    args = parser.parse_args()
    if args.runs < 1 or 1 not in args.scales:
        parser.error("--runs must be at least 1, and --scales must include 1 (the ratios are to 1x)")
    print(f"synthetic theatres, {args.runs} runs of each of {len(args.map_seeds)} theatres per size; "
          f"{load_line('at the start')}")
    found = measure(args.scales, args.map_seeds, args.runs)
    for scale in args.scales:
        print(f"{scale:>3}x  ({found.sizes[scale]}, map seed {args.map_seeds[0]})")
        print("\n".join(found.times[scale].lines("run")))
        print("\n".join(found.first[scale].lines("first run (builds caches)")))
        print(f"  {'peak memory (load + run)':<34} {found.memory[scale]:8.1f} MB of Python allocations")
        print(f"  {'time per run / 1x':<34} {ratio_text(found, scale)}")
    if 10 in args.scales:
        ratio = found.times[10].median("cpu") / found.times[1].median("cpu")
        print(f"10x / 1x time per run: {ratio_text(found, 10)}; target at most {TARGET_RATIO_AT_10X:g}: "
              f"{'met' if ratio <= TARGET_RATIO_AT_10X else 'not met'} (on CPU time)")
    print(load_line("at the end (figures are only meaningful on an idle machine)"))


if __name__ == "__main__":
    main()

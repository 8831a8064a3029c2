"""Benchmark: how the time and memory of one run grow with the size of the theatre.

Synthetic theatres (sim/synthetic.py, ``run.py synth``) 1x, 2x, 5x and 10x the historical theatre's numbers of
places, roads and formations, from several generator seeds, are loaded and run once each as a warm-up (that
first run builds the scenario's road tables and supply-metrics cache, once per batch worker). Then timed runs go
round the theatres in turn, so a busy spell on the machine slows every size alike. Memory is the peak of Python's
allocations (tracemalloc) while a fresh copy of the theatre is loaded and run once, caches included.

Prints figures; it is not a test. Target (issue "Speed and scale"): the 10x theatre at most 12 times the time per
run of the 1x theatre. Usage: python benchmarks/bench_scale.py [--scales 1 2 5 10] [--map-seeds 1 2 3] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from common import Scenario, load, load_line, quantile_line, run_once, timed

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
    """Per size: timed runs (seconds), first runs (seconds, per theatre), peak memory (MB, largest theatre)."""

    times: dict[int, list[float]]
    first: dict[int, list[float]]
    memory: dict[int, float]
    sizes: dict[int, str]


def measure(scales: list[int], map_seeds: list[int], runs: int) -> Measures:
    """Generate the theatres, warm each up, time the runs round the theatres in turn, then measure memory."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {(scale, seed): write_synthetic(scale, seed, folder) for scale in scales for seed in map_seeds}
        scenarios = {key: load(path) for key, path in paths.items()}
        first: dict[int, list[float]] = {scale: [] for scale in scales}
        for (scale, _), scenario in scenarios.items():
            first[scale].append(timed(lambda s=scenario: run_once(s, 0)))
        times: dict[int, list[float]] = {scale: [] for scale in scales}
        for run_seed in range(1, runs + 1):
            for (scale, _), scenario in scenarios.items():
                times[scale].append(timed(lambda s=scenario, r=run_seed: run_once(s, r)))
        memory = {scale: max(peak_memory_mb(paths[scale, seed]) for seed in map_seeds) for scale in scales}
    sizes = {scale: describe(scenarios[scale, map_seeds[0]]) for scale in scales}
    return Measures(times, first, memory, sizes)


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
    base = statistics.median(found.times[1])
    for scale in args.scales:
        print(f"{scale:>3}x  ({found.sizes[scale]}, map seed {args.map_seeds[0]})")
        print(quantile_line("run", found.times[scale]))
        print(quantile_line("first run (builds caches)", found.first[scale]))
        print(f"  {'peak memory (load + run)':<28} {found.memory[scale]:8.1f} MB of Python allocations")
        print(f"  {'time per run / 1x':<28} {statistics.median(found.times[scale]) / base:8.2f}")
    if 10 in args.scales:
        ratio = statistics.median(found.times[10]) / base
        print(f"10x / 1x time per run: {ratio:.2f} (target at most {TARGET_RATIO_AT_10X:g}: "
              f"{'met' if ratio <= TARGET_RATIO_AT_10X else 'not met'})")
    print(load_line("at the end (figures are only meaningful on an idle machine)"))


if __name__ == "__main__":
    main()

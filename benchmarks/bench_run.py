"""Benchmark: median wall time of one run of the historical scenario on one core.

Prints figures; it is not a test. Budget (issue "Siege engine"): at most 0.1 s a run on one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.scenario import load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "historical.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="timed runs (default 30)")
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    load = time.perf_counter() - started
    simulate(scenario, 0)  # warm-up: imports, caches
    times = []
    for seed in range(1, args.runs + 1):
        t0 = time.perf_counter()
        simulate(scenario, seed)
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=10)
    print(f"historical scenario, {args.runs} runs (seeds 1..{args.runs}), one process on one core")
    print(f"  scenario load       {load * 1000:7.1f} ms (once per process)")
    print(f"  run, median         {statistics.median(times) * 1000:7.1f} ms")
    print(f"  run, 10th-90th pct  {q[0] * 1000:7.1f} - {q[-1] * 1000:.1f} ms")
    print(f"  run, fastest        {min(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()

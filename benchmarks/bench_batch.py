"""Benchmark: ``run.py batch`` of the historical scenario as a user runs it, start-up included.

Every figure is the wall time of the command itself (a new Python process: imports, planning, starting the
workers, the runs, writing the store), with the peak resident memory of the command's process and of the command
with its workers, sampled every 0.1 s:

- a 2-run batch on all cores: the fixed cost of a batch (start-up and store), whatever its size;
- a ``--runs`` batch on all cores (default 10,000); from a smaller one, the time of 10,000 runs is extrapolated
  linearly beyond the fixed cost (and said so);
- ``--speedup-runs`` runs (default 400) on 1 worker and on all cores: the speed-up, start-up included (``--repeats``
  pairs, the order swapped every pair, give its median).

Peak memory of the 2-run, speed-up and ``--runs`` batches side by side shows whether it grows with the number of
runs. Prints figures; it is not a test. Targets (issue "Speed and scale", on a 2-core machine): 10,000 runs in
under 3 minutes; memory flat in the number of runs; 2 workers at least 1.85 times as fast as 1 on 400 runs.
Usage: python benchmarks/bench_batch.py [--runs 10000] [--speedup-runs 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import psutil
from common import HISTORICAL, ROOT, load_line

TARGET_SECONDS_10000 = 180.0
TARGET_SPEEDUP = 1.85
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Batch:
    """What one ``run.py batch`` command took: wall seconds and peak MB (its process; with its workers)."""

    runs: int
    workers: int
    seconds: float
    command_mb: float
    total_mb: float

    def line(self) -> str:
        return (f"  run.py batch --runs {self.runs:<6} --workers {self.workers}  {self.seconds:7.1f} s "
                f"({self.runs / self.seconds:6.1f} runs/s); peak memory {self.command_mb:5.0f} MB (command), "
                f"{self.total_mb:5.0f} MB (command + workers)")


def rss_mb(proc: psutil.Process) -> tuple[float, float]:
    """Resident MB of a process, and of it with all its descendants (those that vanish meanwhile are skipped)."""
    own = proc.memory_info().rss
    total = own
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return own / 2**20, total / 2**20


def run_batch_command(runs: int, workers: int) -> Batch:
    """Run ``run.py batch`` on the historical scenario into a temporary store; time it and sample its memory."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, str(ROOT / "run.py"), "batch", str(HISTORICAL), "--runs", str(runs),
                   "--workers", str(workers), "--out", out]
        started = time.perf_counter()
        proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        own_peak = total_peak = 0.0
        while proc.poll() is None:
            try:
                own, total = rss_mb(proc)
            except psutil.NoSuchProcess:
                break
            own_peak, total_peak = max(own_peak, own), max(total_peak, total)
            time.sleep(SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
        if proc.wait() != 0:
            raise SystemExit(f"run.py batch exited with {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
    return Batch(runs, workers, seconds, own_peak, total_peak)


def report_large(large: Batch, fixed: Batch) -> None:
    """The large batch, and the time of 10,000 runs (measured, or extrapolated beyond the fixed cost)."""
    print(large.line())
    if large.runs >= 10_000:
        per_10000 = large.seconds * 10_000 / large.runs
        how = "measured"
    else:
        per_10000 = fixed.seconds + (large.seconds - fixed.seconds) * 10_000 / large.runs
        how = f"extrapolated from {large.runs} runs: fixed cost + 10,000 x the time per run"
    verdict = "met" if per_10000 < TARGET_SECONDS_10000 else "not met"
    print(f"10,000 runs on {large.workers} workers: {per_10000:.0f} s ({how}); "
          f"target under {TARGET_SECONDS_10000:.0f} s: {verdict}")


def report_speedup(runs: int, cores: int, repeats: int) -> None:
    """Batches on 1 worker and on all cores, in pairs (the order swapped every pair); the median speed-up."""
    speedups = []
    for pair in range(repeats):
        counts = (1, cores) if pair % 2 == 0 else (cores, 1)
        batches = {workers: run_batch_command(runs, workers) for workers in counts}
        for workers in counts:
            print(batches[workers].line())
        speedups.append(batches[1].seconds / batches[cores].seconds)
    speedup = statistics.median(speedups)
    pairs = f" (median of {repeats} pairs: {', '.join(f'{x:.2f}' for x in speedups)})" if repeats > 1 else ""
    print(f"speed-up of {cores} workers over 1 on {runs} runs: {speedup:.2f}{pairs}; target at least "
          f"{TARGET_SPEEDUP} on 2 cores: {'met' if speedup >= TARGET_SPEEDUP else 'not met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the large batch on all cores "
                        "(default 10000; 0: skip it)")
    parser.add_argument("--speedup-runs", type=int, default=400, help="runs of the 1-worker and all-worker batches "
                        "(default 400; 0: skip them)")
    parser.add_argument("--repeats", type=int, default=1, help="pairs of speed-up batches, the order swapped every "
                        "pair (default 1; more give a steadier median on a busy machine)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    cores = os.cpu_count() or 1
    print(f"run.py batch of the historical scenario, start-up included; {load_line('at the start')}")
    fixed = run_batch_command(2, cores)
    print(fixed.line() + "  <- fixed cost")
    if args.speedup_runs:
        report_speedup(args.speedup_runs, cores, args.repeats)
    if args.runs:
        report_large(run_batch_command(args.runs, cores), fixed)
    print(load_line("at the end (figures are only meaningful on an idle machine)"))


if __name__ == "__main__":
    main()

"""Benchmark: batch throughput with 1 and with all workers, and the peak memory of large batches.

Prints figures; it is not a test. Targets (issue "Scenario batches at scale", on a 2-core machine): 2 workers at
least 1.8 times as fast as 1; a 1,000-run batch of the historical scenario in under 60 s; memory that does not
grow with the number of runs.

Throughput is measured in this process through the batch engine (sim.batch, local processes), both for
the whole batch (with the workers' start, after a warm-up batch has started the server they fork from) and in the
steady state (from the first finished run to the last).
Memory is measured on ``run.py batch`` itself: the peak resident memory of the command's process and of the
command with its workers, sampled every 0.1 s, for batches of two sizes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.batch import Outcome, make_plan, open_executor, open_store, run_batch  # noqa: E402

SCENARIO = str(ROOT / "scenarios" / "historical.yaml")


def throughput(runs: int, workers: int) -> tuple[float, float]:
    """Runs per second of a batch: whole (including the workers' start), and steady (first to last result)."""
    stamps: list[float] = []

    def progress(outcome: Outcome) -> None:
        if outcome.ok or outcome.failed:
            stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        plan = make_plan([SCENARIO], runs, 1)
        with open_executor(workers) as (executor, slots, _):
            outcome = run_batch(plan, open_store(plan, out, False, []), executor, slots, progress)
        whole = time.perf_counter() - started
    assert outcome.failed == 0, "a run failed"
    return runs / whole, (len(stamps) - 1) / (stamps[-1] - stamps[0])


def peak_memory(runs: int) -> tuple[float, float, float]:
    """Wall seconds, peak MB of the command's process, peak MB of the command with its workers."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        proc = psutil.Popen([sys.executable, str(ROOT / "run.py"), "batch", SCENARIO, "--runs", str(runs),
                             "--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        main_peak = total_peak = 0
        while proc.poll() is None:
            try:
                main = proc.memory_info().rss
                total = main + sum(c.memory_info().rss for c in proc.children(recursive=True))
            except psutil.NoSuchProcess:
                continue
            main_peak, total_peak = max(main_peak, main), max(total_peak, total)
            time.sleep(0.1)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"run.py batch exited with {proc.returncode}")
    return wall, main_peak / 2**20, total_peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="runs per throughput batch (default 40)")
    parser.add_argument("--memory-runs", type=int, nargs="*", default=[200, 1000],
                        help="sizes of the batches whose memory is measured (default 200 1000; none: skip)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"historical scenario, batches on local processes; {cores} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    throughput(2, 1)  # warm-up: starts the server the workers fork from, once per process, before timing
    whole1, steady1 = throughput(args.runs, 1)
    wholeN, steadyN = throughput(args.runs, cores)
    print(f"  {args.runs} runs, 1 worker        {whole1:6.2f} runs/s whole batch, {steady1:6.2f} runs/s steady")
    print(f"  {args.runs} runs, {cores} workers       {wholeN:6.2f} runs/s whole batch, {steadyN:6.2f} runs/s steady")
    print(f"  speed-up of {cores} workers over 1   {wholeN / whole1:6.2f} whole batch, {steadyN / steady1:6.2f} steady "
          "(target at least 1.8 on 2 cores)")
    for runs in args.memory_runs:
        wall, main_mb, total_mb = peak_memory(runs)
        print(f"  run.py batch --runs {runs:<6} {wall:6.1f} s, {runs / wall:5.2f} runs/s; peak memory "
              f"{main_mb:5.0f} MB (command), {total_mb:5.0f} MB (command + workers)")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end (figures are only meaningful on an idle machine)")


if __name__ == "__main__":
    main()

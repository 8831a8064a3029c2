"""What the benchmarks share: the engine calls they time (kept here, in one place, so a change of the engine's
public names touches one file), the shipped historical scenario, and how figures are summarised and printed."""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the benchmarks run as scripts from any folder: the project must be importable
    sys.path.insert(0, str(ROOT))

from sim.batch import execute, make_plan, run_task  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

HISTORICAL = ROOT / "scenarios" / "historical.yaml"

__all__ = ["HISTORICAL", "ROOT", "Scenario", "Timings", "batch_side", "load", "load_line", "run_once", "worker_side"]


def load(path: str | Path) -> Scenario:
    """A scenario ready to run (validated, map loaded, parameters resolved)."""
    return load_scenario(path)


def run_once(scenario: Scenario, seed: int) -> Any:
    """One whole run of a scenario to its end date, records included: what a batch worker does per replicate."""
    return simulate(scenario, seed)


def worker_side(scenario_path: str, runs: int) -> None:
    """The first ``runs`` tasks of a batch, run one after the other as one worker would."""
    plan = make_plan([scenario_path], runs, 1)
    for task in itertools.islice(plan.tasks(), runs):
        run_task(task)


def batch_side(scenario_path: str, runs: int, workers: int | None) -> None:
    """A whole batch into a temporary store: what ``run.py batch`` does in its own process."""
    with tempfile.TemporaryDirectory() as out:
        execute([scenario_path], runs, 1, out, workers=workers, echo=lambda _line: None)


@dataclass
class Timings:
    """Wall and CPU seconds of repeated actions. On a shared machine the CPU time of this process is the steadier
    figure: other processes' load lengthens the wall time of a run far more than its CPU time."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def time(self, action: Callable[[], Any]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def median(self, clock: str) -> float:
        return statistics.median(getattr(self, clock))

    def lines(self, label: str) -> list[str]:
        return [quantile_line(f"{label}, wall", self.wall), quantile_line(f"{label}, CPU", self.cpu)]


def quantile_line(label: str, seconds: Sequence[float], unit: float = 1000.0, name: str = "ms") -> str:
    """'label  median X ms (p10-p90 A - B ms, n runs)': the figure every benchmark prints for a set of timings."""
    deciles = statistics.quantiles(seconds, n=10, method="inclusive") if len(seconds) > 1 else [seconds[0]] * 9
    runs = f"{len(seconds)} run{'' if len(seconds) == 1 else 's'}"
    return (f"  {label:<34} median {statistics.median(seconds) * unit:8.1f} {name} "
            f"(p10-p90 {deciles[0] * unit:.1f} - {deciles[-1] * unit:.1f} {name}, {runs})")


def load_line(when: str) -> str:
    """The machine's one-minute load average, printed with every benchmark: figures from a busy machine are noisy."""
    return f"{os.cpu_count() or 1} cores; load average {os.getloadavg()[0]:.1f} {when}"

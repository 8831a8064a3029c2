"""Batch execution: seeded replicates of scenarios, run in parallel.

Replicate seeds are spawned from one base seed with numpy's SeedSequence, so replicate i of a batch gets the
same independent stream whatever the number of workers; every scenario of a comparison gets the same seeds
(common random numbers), so differences between scenarios are not noise between seeds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np

from sim.records import simulate
from sim.scenario import Scenario, load_scenario


def replicate_seeds(base_seed: int, runs: int) -> list[int]:
    """``runs`` independent 32-bit seeds spawned from ``base_seed``."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(base_seed).spawn(runs)]


@lru_cache(maxsize=64)
def _scenario(path: str) -> Scenario:
    """Load each scenario once per worker process (its supply-metrics cache is reused by every replicate)."""
    return load_scenario(path)


def run_summary(path: str, seed: int) -> dict[str, Any]:
    """One replicate; a top-level function so that worker processes can run it."""
    return simulate(_scenario(path), seed).summary


def run_summaries(paths: Sequence[str], seeds: Sequence[int], workers: int | None = None
                  ) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Run every (scenario, seed) pair on ``workers`` processes (all cores by default), in order."""
    tasks = [(p, s) for p in paths for s in seeds]
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for path, seed in tasks:
            yield path, seed, run_summary(path, seed)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(tasks) // (workers * 8))
        results = pool.map(run_summary, [p for p, _ in tasks], [s for _, s in tasks], chunksize=chunk)
        for (path, seed), summary in zip(tasks, results, strict=True):
            yield path, seed, summary

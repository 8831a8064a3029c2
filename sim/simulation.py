"""Simulate: run a scenario with a seed to its end date and keep its records.

``simulate(scenario, seed)`` is the one entry point every front end uses (command line, batches, the web app);
its result is a pure function of (scenario, seed).
"""

from __future__ import annotations

import math
import time

from sim.model import SiegeModel
from sim.records import RunRecord, day_row, metrics_cache, summarise
from sim.scenario import Scenario


class RunTimeout(Exception):
    """A run went on longer than its time limit (a batch records it as a failed run)."""


def simulate(scenario: Scenario, seed: int, time_limit: float | None = None) -> RunRecord:
    """Run ``scenario`` to its end date with ``seed``; return its records.

    ``time_limit`` (seconds of wall-clock time, checked between steps) raises RunTimeout, so a batch is not held
    up for ever by one run; the limit never changes a run that finishes within it.
    """
    cache = metrics_cache(scenario)
    model = SiegeModel(scenario, rng=seed)
    rows = [day_row(model, cache)]
    deadline = math.inf if time_limit is None else time.monotonic() + time_limit
    while model.running:
        if time.monotonic() > deadline:
            raise RunTimeout(f"stopped after {time_limit:g} s on day {model.day:g} of {model.days:g} (the run "
                             "time limit)")
        model.step()
        rows.append(day_row(model, cache))
    return RunRecord(summarise(model, seed, rows, cache), model.events, rows)

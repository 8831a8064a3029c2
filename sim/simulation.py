"""Simulate: run a scenario with a seed to its end date and keep its records.

``simulate(scenario, seed)`` is the one entry point every front end uses (command line, batches, the web app);
its result is a pure function of (scenario, seed).
"""

from __future__ import annotations

from sim.model import SiegeModel
from sim.records import RunRecord, day_row, metrics_cache, summarise
from sim.scenario import Scenario


def simulate(scenario: Scenario, seed: int) -> RunRecord:
    """Run ``scenario`` to its end date with ``seed``; return its records."""
    cache = metrics_cache(scenario)
    model = SiegeModel(scenario, rng=seed)
    rows = [day_row(model, cache)]
    while model.running:
        model.step()
        rows.append(day_row(model, cache))
    return RunRecord(summarise(model, seed, rows, cache), model.events, rows)

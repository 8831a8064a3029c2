"""Shared fixtures for the engine tests.

- ``historical``: the shipped scenario, loaded once per session.
- ``historical_runs``: the historical scenario simulated with seeds 0..19, once per session (about 4 s).
- ``tiny_path`` / ``tiny``: a small invented theatre (the Vale of Ember: six places, two sides, three
  factions, four formations) written in the project's conventions (a GeoJSON map under ``maps/`` and a YAML
  scenario that names it). It is deliberately *not* the al-Qusayr map, so the engine is exercised on
  ground it was not tuned for.
- ``scenario_dir`` / ``write_scenario`` / ``write_yaml``: a fresh copy of the tiny theatre in ``tmp_path`` for
  tests that write broken or derived scenario files next to it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.records import RunRecord
from sim.scenario import Scenario, load_scenario
from sim.simulation import simulate

pytest_plugins = ["browser"]  # the headless Chromium fixtures (chromium_page, chromium_browser): tests/browser.py

ROOT = Path(__file__).resolve().parents[1]
HISTORICAL_PATH = ROOT / "scenarios" / "historical.yaml"
HISTORICAL_SEEDS = range(20)


# ---------------------------------------------------------------- the tiny theatre: map


def _place(pid: str, kind: str, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": pid, "kind": kind, **extra}}


def _road(a: str, b: str, road_class: str, km: float) -> dict[str, Any]:
    return {"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(TINY_POS[a]), list(TINY_POS[b])]},
            "properties": {"from": a, "to": b, "road_class": road_class, "km": km}}


TINY_POS = {
    "harbour": (10.00, 45.00),
    "crossroads": (10.05, 45.05),
    "ridge": (10.00, 45.10),
    "ford": (10.10, 45.05),
    "oldtown": (10.10, 45.10),
    "depot": (10.20, 45.10),
}

# road -> (class, km); one of each class, so every road class is crossed by somebody
TINY_ROADS = {
    ("harbour", "crossroads"): ("highway", 8.0),
    ("crossroads", "ridge"): ("road", 6.0),
    ("crossroads", "ford"): ("track", 5.0),
    ("ridge", "oldtown"): ("road", 7.0),
    ("ford", "oldtown"): ("river_crossing", 2.0),
    ("oldtown", "depot"): ("border_crossing", 9.0),
    ("ridge", "depot"): ("track", 10.0),
}

TINY_MAP: dict[str, Any] = {
    "type": "FeatureCollection",
    "name": "The Vale of Ember",
    "description": "An invented valley for tests: a harbour, a ridge, a ford and a walled old town.",
    "features": [
        _place("harbour", "town", *TINY_POS["harbour"], name="Harbour", population=9000),
        _place("crossroads", "village", *TINY_POS["crossroads"], name="Crossroads"),
        _place("ridge", "hill", *TINY_POS["ridge"], name="Ember Ridge"),
        _place("ford", "crossing", *TINY_POS["ford"], name="Ember Ford"),
        _place("oldtown", "town", *TINY_POS["oldtown"], name="Old Town", defence=2.2),
        _place("depot", "village", *TINY_POS["depot"], name="Depot", country="Eastland"),
        *(_road(a, b, cls, km) for (a, b), (cls, km) in TINY_ROADS.items()),
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[10.08, 45.0], [10.12, 45.12]]},
         "properties": {"layer": "river", "name": "Ember", "approximate": True}},
    ],
}

# ---------------------------------------------------------------- the tiny theatre: scenario

TINY_SCENARIO = """\
# An invented month-long campaign on an invented map: Blue pushes from the harbour on two axes (over the
# ridge to cut the depot, and across the ford) to take the old town, which Red holds and supplies from its depot.
name: "Tiny: the Vale of Ember"
description: A test scenario on a six-place map.
map: maps/vale.geojson
start_date: 2020-03-01
end_date: 2020-03-31
step_days: 1
objective: oldtown

sides:
  blue:
    name: Blue League
    role: attacker
    supply_sources: [harbour]
    holds: [harbour, crossroads]
    fires: {artillery: 1.0, air: 0.5}
  red:
    name: Red Compact
    role: defender
    supply_sources: [depot]
    holds: [oldtown, depot, ford]

factions:
  blue_army: {name: Blue Army, side: blue}
  red_guard: {name: Red Guard, side: red}
  red_militia: {name: Red Militia, side: red}

fortifications:
  oldtown: 0.5

formations:
  - id: blue_tanks
    name: 1st Tank Brigade
    faction: blue_army
    type: armour
    personnel: 1200
    tanks: 20
    at: harbour
    orders:
      axis: [ridge, depot, oldtown]
  - id: blue_rifles
    name: 2nd Rifle Brigade
    faction: blue_army
    type: infantry
    personnel: 900
    at: harbour
    arrival_day: 3
    orders:
      axis: [ford, oldtown]
  - id: red_garrison
    name: Old Town garrison
    faction: red_guard
    type: infantry
    personnel: 400
    morale: 0.85
    at: oldtown
    orders: {hold: oldtown}
  - id: red_bands
    name: ford bands
    faction: red_militia
    type: militia
    personnel: 200
    at: ford
    orders: {reserve: ford}
"""


def write_tiny(directory: Path) -> Path:
    """Write the tiny theatre (map and scenario) into ``directory``; return the scenario's path."""
    (directory / "maps").mkdir(parents=True, exist_ok=True)
    (directory / "maps" / "vale.geojson").write_text(json.dumps(TINY_MAP, indent=1), encoding="utf-8")
    path = directory / "tiny.yaml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path


def dump_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def historical_path() -> Path:
    return HISTORICAL_PATH


@pytest.fixture(scope="session")
def historical() -> Scenario:
    return load_scenario(HISTORICAL_PATH)


@pytest.fixture(scope="session")
def historical_runs(historical: Scenario) -> dict[int, RunRecord]:
    """The historical scenario run with seeds 0..19 (shared by every statistical test)."""
    return {seed: simulate(historical, seed) for seed in HISTORICAL_SEEDS}


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("vale"))


@pytest.fixture(scope="session")
def tiny(tiny_path: Path) -> Scenario:
    return load_scenario(tiny_path)


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A fresh directory holding the tiny map and scenario (``tiny.yaml``)."""
    write_tiny(tmp_path)
    return tmp_path


@pytest.fixture
def tiny_data() -> dict[str, Any]:
    """The tiny scenario as a fresh mapping, to break or change."""
    return copy.deepcopy(yaml.safe_load(TINY_SCENARIO))


@pytest.fixture
def write_yaml(scenario_dir: Path) -> Callable[[str, Any], Path]:
    """``write_yaml("sub/name.yaml", data)``: write a mapping under the tiny theatre's directory."""

    def write(name: str, data: Any) -> Path:
        return dump_yaml(scenario_dir / name, data)

    return write


@pytest.fixture
def write_scenario(scenario_dir: Path) -> Callable[..., Path]:
    """``write_scenario(data, name="case.yaml")``: write a mapping next to the tiny map; return its path."""

    def write(data: Any, name: str = "case.yaml") -> Path:
        return dump_yaml(scenario_dir / name, data)

    return write

"""Fuzzing the loaders with mutations of the shipped files: scenarios (a root and a child), the map, a sweep file
and a saved game. Whatever the mutation, loading either succeeds or raises InputError (the one-line message the
command line prints, exit 2): never another exception, never a hang, never much memory.

The suite runs a short pass (FUZZ_EXAMPLES examples per loader, default 25); ``make fuzz`` runs a long one and
prints hypothesis' statistics (accepted and rejected inputs, time per example).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TINY_MAP, TINY_ROADS, TINY_SCENARIO, write_tiny
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

from sim.errors import InputError
from sim.play import Game, load_game, read_saved
from sim.scenario import load_scenario, validate_file
from sim.simulation import simulate
from sim.sweep import load_design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
HANG_SECONDS = 60  # no input may keep a loader busy this long (a watchdog, not a timing assertion)
PEAK_BYTES = 64 * 2**20  # no input may make a loader allocate more than this at once (traced by tracemalloc)

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

SWEEP = """\
method: lhs
samples: 6
seed: 7
parameters:
  attack_loss: {low: 0.02, high: 0.05}
  march_km_per_day.armour: {low: 15, high: 30}
"""

# Fragments that have broken YAML or JSON loaders before: aliases, tags, impossible dates, huge numbers, control
# characters, structure characters, YAML 1.1 booleans and numbers.
TOKENS = ["&a ", "*a", "<<: ", "!!python/object:os.system ", "!!binary ", "!!int ", "!!float ", "!!timestamp ",
          "!!set ", "!!omap ", "2013-02-30", "0000-01-01", "2013-04-04 25:00:00", "9" * 200, "1e309", ".nan",
          ".inf", "-1", "0", "null", "~", "[", "]", "{", "}", ": ", "- ", ", ", "'", '"', "\t", "\n", "\x00",
          "\x1b[2J", "\x85", "\ufeff", "? ", "|\n", ">\n", "#", "%YAML 1.1\n", "---\n", "...\n", "yes", "off",
          "0x1F", "0o17", "1_000", "é", "NaN", "Infinity", "-0", "true", "1.5e-7", "\\u0000", "\\ud800"]


class Hang(Exception):
    """A loader ran longer than HANG_SECONDS."""


# ---------------------------------------------------------------- mutations


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> str:
    """A few deletions, insertions, duplications and token swaps anywhere in ``text``."""
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 400)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=12))
            text = text[:i] + token + text[j if op == "replace" else i:]
    return text


SCALARS = (st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True)
           | st.text(max_size=12) | st.sampled_from(["", "ford", "oldtown", "government", "rebels", "armour", "hold",
                                                      "al_qusayr", "2013-02-30", "\x1b[31m", "a" * 300]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                                            inner, max_size=4),
                      max_leaves=12)


def _slots(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside nested mappings and lists."""
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from _slots(value, (*prefix, key))


@st.composite
def data_mutations(draw: st.DrawFn, data: Any) -> Any:
    """A copy of ``data`` with a few values replaced, removed, or renamed (keys), at any depth."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(data))
        if not slots:
            break
        path = draw(st.sampled_from(slots))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = draw(st.sampled_from(["replace", "remove", "rename"] if isinstance(parent, dict) else
                                  ["replace", "remove"]))
        if op == "replace":
            parent[key] = draw(VALUES)
        elif op == "remove":
            del parent[key]
        else:
            parent[str(key)[:-1] + draw(st.text(min_size=1, max_size=2))] = parent.pop(key)
    return data


# ---------------------------------------------------------------- the property


def must_load_or_refuse(load: Callable[[Path], Any], path: Path) -> None:
    """Load ``path``: success or InputError, within HANG_SECONDS and PEAK_BYTES; anything else fails the test."""

    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang(f"{path} kept the loader busy for {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    tracemalloc.start()
    try:
        load(path)
        event("accepted")
    except InputError as exc:
        event("refused")
        assert "\n" not in str(exc) and str(exc).isprintable(), repr(str(exc))
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    target(peak / 2**20, label=f"peak MB, {load.__name__}")  # steers the search to costly inputs; make fuzz shows it
    assert peak < PEAK_BYTES, f"{path}: {peak / 2**20:.0f} MB"


@pytest.fixture(scope="module")
def theatre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped scenarios/ folder, where mutated files are written next to the originals."""
    folder = tmp_path_factory.mktemp("fuzz") / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    return folder


@pytest.fixture(scope="module")
def saved_game(theatre: Path) -> str:
    """A saved game of the shipped historical scenario: three days played, one order given."""
    game = Game(theatre / "historical.yaml", seed=3, side="government")
    for _ in range(3):
        game.advance()
    fid = next(f.fid for f in game.formations() if f.active and f.edge is None)
    assert game.give(fid, "hold") is None
    game.advance()
    return game.save_text(theatre)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


HISTORICAL = (ROOT / "scenarios" / "historical.yaml").read_text(encoding="utf-8")
CHILD = (ROOT / "scenarios" / "counterfactuals" / "no_hezbollah.yaml").read_text(encoding="utf-8")
MAP = (ROOT / "scenarios" / "maps" / "qusayr.geojson").read_text(encoding="utf-8")


@FUZZ
@given(text=text_mutations(HISTORICAL))
def test_scenario_text_mutations(theatre: Path, text: str) -> None:
    must_load_or_refuse(validate_file, _write(theatre, "fuzz.yaml", text))


@FUZZ
@given(data=data_mutations(yaml.safe_load(HISTORICAL)))
def test_scenario_value_mutations(theatre: Path, data: Any) -> None:
    must_load_or_refuse(validate_file, _write(theatre, "fuzz.yaml", yaml.safe_dump(data, allow_unicode=True)))


@FUZZ
@given(text=text_mutations(CHILD) | data_mutations(yaml.safe_load(CHILD)).map(yaml.safe_dump))
def test_child_scenario_mutations(theatre: Path, text: str) -> None:
    must_load_or_refuse(validate_file, _write(theatre / "counterfactuals", "fuzz.yaml", text))


@FUZZ
@given(text=text_mutations(MAP) | data_mutations(json.loads(MAP)).map(json.dumps))
def test_map_mutations(theatre: Path, text: str) -> None:
    must_load_or_refuse(validate_file, _write(theatre / "maps", "fuzz.geojson", text))


@FUZZ
@given(text=text_mutations(SWEEP) | data_mutations(yaml.safe_load(SWEEP)).map(yaml.safe_dump))
def test_sweep_mutations(theatre: Path, text: str) -> None:
    must_load_or_refuse(load_design, _write(theatre, "fuzz-sweep.yaml", text))


@FUZZ
@given(data=st.data())
def test_saved_game_mutations(theatre: Path, saved_game: str, data: st.DataObject) -> None:
    text = data.draw(text_mutations(saved_game) | data_mutations(yaml.safe_load(saved_game)).map(yaml.safe_dump))
    path = _write(theatre, "fuzz-game.yaml", text)
    must_load_or_refuse(read_saved, path)
    must_load_or_refuse(load_game, path)


# ---------------------------------------------------------------- what validate accepts, run runs


PLACES = sorted(f["properties"]["id"] for f in TINY_MAP["features"] if "id" in f["properties"])


@st.composite
def ground_mutations(draw: st.DrawFn) -> dict[str, Any]:
    """The tiny scenario with places swapped for other places, roads blocked, roles or arrivals changed: the
    changes that pass every field check and can still leave a run nothing to stand on."""
    data = yaml.safe_load(TINY_SCENARIO)
    for _ in range(draw(st.integers(1, 5))):
        slots = [path for path in _slots(data) if _at(data, path) in PLACES]
        op = draw(st.sampled_from(["place", "place", "block", "arrival", "role", "hold"]))
        if op == "place":
            path = draw(st.sampled_from(slots))
            _at(data, path[:-1])[path[-1]] = draw(st.sampled_from(PLACES))
        elif op == "block":
            data.setdefault("blocked_roads", []).append(list(draw(st.sampled_from(list(TINY_ROADS)))))
        elif op == "arrival":
            formation = draw(st.sampled_from(data["formations"]))
            formation["arrival_day"] = draw(st.sampled_from([0, 1, 29.5, 30]))
        elif op == "role":
            side = draw(st.sampled_from(sorted(data["sides"])))
            data["sides"][side]["role"] = draw(st.sampled_from(["attacker", "defender"]))
        else:
            side = draw(st.sampled_from(sorted(data["sides"])))
            data["sides"][side]["holds"] = draw(st.lists(st.sampled_from(PLACES), unique=True, max_size=4))
    return data


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@pytest.fixture(scope="module")
def vale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("vale"))


@FUZZ
@given(data=ground_mutations())
def test_a_scenario_that_validates_runs(vale: Path, data: dict[str, Any]) -> None:
    path = vale.parent / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except InputError:
        event("refused")
        return
    event("accepted")
    record = simulate(scenario, seed=1)  # anything run would reject, validate rejected first
    assert record.timeseries and record.summary

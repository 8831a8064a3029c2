"""Experiment designs: sizes of grid and Latin hypercube designs, their values, and bad sweep files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sim.batch import make_plan
from sim.errors import InputError
from sim.parameters import Parameters, apply_overrides
from sim.sweep import load_design, nested


def sweep(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_grid_has_every_combination_in_the_files_order(tmp_path: Path) -> None:
    design = load_design(sweep(tmp_path, {"method": "grid", "parameters": {
        "attack_loss": [0.02, 0.05],
        "march_km_per_day.armour": {"low": 10, "high": 30, "steps": 3}}}))
    assert design.method == "grid"
    assert design.names == ["attack_loss", "march_km_per_day.armour"]
    assert len(design.points) == 2 * 3
    assert design.points[0] == {"attack_loss": 0.02, "march_km_per_day.armour": 10.0}
    assert design.points[1] == {"attack_loss": 0.02, "march_km_per_day.armour": 20.0}
    assert design.points[-1] == {"attack_loss": 0.05, "march_km_per_day.armour": 30.0}


@pytest.mark.parametrize("samples", [1, 7, 50])
def test_a_latin_hypercube_puts_one_point_in_each_stratum_of_each_range(tmp_path: Path, samples: int) -> None:
    ranges = {"attack_loss": (0.02, 0.05), "ratio_exponent": (0.2, 1.5), "march_km_per_day.infantry": (10, 25)}
    design = load_design(sweep(tmp_path, {"method": "lhs", "samples": samples, "seed": 3, "parameters": {
        name: {"low": low, "high": high} for name, (low, high) in ranges.items()}}))
    assert len(design.points) == samples
    for name, (low, high) in ranges.items():
        values = np.array([p[name] for p in design.points])
        strata = np.floor((values - low) / (high - low) * samples).astype(int)
        assert sorted(strata) == list(range(samples)), name


def test_a_latin_hypercube_is_a_function_of_its_file(tmp_path: Path) -> None:
    data = {"method": "lhs", "samples": 5, "parameters": {"attack_loss": {"low": 0.02, "high": 0.05}}}
    assert load_design(sweep(tmp_path, data)).points == load_design(sweep(tmp_path, data)).points
    other = load_design(sweep(tmp_path, {**data, "seed": 9})).points
    assert other != load_design(sweep(tmp_path, data)).points


def test_a_design_point_overrides_table_parameters_per_key() -> None:
    point = {"attack_loss": 0.04, "march_km_per_day.armour": 12.0}
    assert nested(point) == {"attack_loss": 0.04, "march_km_per_day": {"armour": 12.0}}
    params = apply_overrides(Parameters(), nested(point), "sweep")
    assert params.march_km_per_day["armour"] == 12.0
    assert params.march_km_per_day["infantry"] == Parameters().march_km_per_day["infantry"]


@pytest.mark.parametrize(("data", "field", "problem"), [
    ({"method": "random", "parameters": {"attack_loss": [0.1]}}, "method", "must be one of grid, lhs"),
    ({"method": "grid", "parameters": {"atack_loss": [0.1]}}, "parameters.atack_loss", "unknown parameter"),
    ({"method": "grid", "parameters": {"march_km_per_day.hovercraft": [9]}}, "parameters.march_km_per_day.hovercraft",
     "per key"),
    ({"method": "grid", "parameters": {"attack_loss.armour": [9]}}, "parameters.attack_loss.armour",
     "not a table parameter"),
    ({"method": "grid", "parameters": {"attack_loss": []}}, "parameters.attack_loss", "at least one value"),
    ({"method": "grid", "parameters": {"attack_loss": [0.1, "x"]}}, "parameters.attack_loss[1]", "number"),
    ({"method": "grid", "parameters": {"attack_loss": [0.9]}}, "parameters.attack_loss", "outside the allowed range"),
    ({"method": "grid", "parameters": {}}, "parameters", "non-empty mapping"),
    ({"method": "grid", "samples": 4, "parameters": {"attack_loss": [0.1]}}, "samples", "unknown key"),
    ({"method": "lhs", "samples": 0, "parameters": {"attack_loss": {"low": 0.0, "high": 0.1}}}, "samples",
     "from 1 to 10,000"),
    ({"method": "lhs", "samples": 10**9, "parameters": {"attack_loss": {"low": 0.0, "high": 0.1}}}, "samples",
     "from 1 to 10,000"),
    ({"method": "lhs", "samples": 4, "seed": 2**70, "parameters": {"attack_loss": {"low": 0.0, "high": 0.1}}},
     "seed", "2**63"),
    ({"method": "grid", "parameters": {"attack_loss": {"low": 0.0, "high": 0.1, "steps": 10**8}}},
     "parameters.attack_loss.steps", "from 2 to 10,000"),
    # 8 values of each of 5 parameters: 32,768 points, refused at the fifth (8 x 100 parameters would be 8^100)
    ({"method": "grid", "parameters": {name: [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07] for name in
                                       ("attack_loss", "defence_loss", "meeting_loss", "retreat_loss",
                                        "attack_loss_first_day")}},
     "parameters.attack_loss_first_day", "more than 10,000 points"),
    ({"method": "lhs", "samples": 3, "parameters": {"attack_loss": {"low": 0.1, "high": 0.1}}},
     "parameters.attack_loss", "must be below high"),
    ({"method": "lhs", "samples": 3, "parameters": {"attack_loss": [0.0, 0.1]}}, "parameters.attack_loss",
     "exactly the keys high, low"),
    ({"method": "lhs", "samples": 3, "parameters": {"attack_loss": {"low": 0.0, "high": 0.5}}},
     "parameters.attack_loss", "outside the allowed range"),
])
def test_a_bad_sweep_file_names_the_file_and_field(tmp_path: Path, data: dict, field: str, problem: str) -> None:
    path = sweep(tmp_path, data)
    with pytest.raises(InputError) as err:
        load_design(path)
    assert err.value.file == str(path)
    assert err.value.field == field
    assert problem in err.value.problem


@pytest.mark.parametrize(("table", "effect"), [("march_km_per_day", "never move"), ("type_value", "no combat power")])
def test_a_sweep_cannot_make_a_used_unit_type_unable_to_move_or_fight(tmp_path: Path, tiny_path: Path, table: str,
                                                                     effect: str) -> None:
    design = load_design(sweep(tmp_path, {"method": "grid", "parameters": {f"{table}.infantry": [0, 10]}}))
    with pytest.raises(InputError) as err:
        make_plan([str(tiny_path)], 1, 1, design)
    assert (err.value.field, effect in err.value.problem) == (f"{table}.infantry", True)
    unused = load_design(sweep(tmp_path, {"method": "grid", "parameters": {f"{table}.special_forces": [0, 10]}}))
    assert len(make_plan([str(tiny_path)], 1, 1, unused).design.points) == 2  # a type no formation has may be 0

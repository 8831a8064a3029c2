"""Global sensitivity (analysis/sensitivity.py) on functions whose answer is known, then once on a scenario."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from analysis.calibrate import Dimension
from analysis.sensitivity import morris, most_influential, sensitivity, sobol

KOBANI = Path(__file__).resolve().parents[1] / "scenarios" / "kobani" / "kobani.yaml"
PI_SPACE = [Dimension(f"x{i}", -math.pi, math.pi, "test") for i in (1, 2, 3)]


def ishigami(x: np.ndarray) -> dict[str, np.ndarray]:
    """Ishigami: S1 = 0.314, 0.442, 0 and ST = 0.558, 0.442, 0.244 (a = 7, b = 0.1)."""
    return {"y": np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])}


def test_sobol_finds_the_known_indices_of_the_ishigami_function() -> None:
    rows = {r["parameter"]: r for r in sobol(ishigami, PI_SPACE, 2048, seed=1)}
    for name, s1, st in (("x1", 0.314, 0.558), ("x2", 0.442, 0.442), ("x3", 0.0, 0.244)):
        assert rows[name]["S1"] == pytest.approx(s1, abs=0.04), name
        assert rows[name]["ST"] == pytest.approx(st, abs=0.04), name


def test_morris_ranks_a_linear_function_by_its_slopes_and_sees_the_interaction() -> None:
    space = [Dimension(n, 0.0, 1.0, "test") for n in ("steep", "gentle", "inert", "paired")]

    def linear(x: np.ndarray) -> dict[str, np.ndarray]:
        return {"y": 10 * x[:, 0] + 2 * x[:, 1] + 0 * x[:, 2] + 4 * x[:, 3] * x[:, 0]}

    rows = {r["parameter"]: r for r in morris(linear, space, 20, seed=2)}
    assert rows["inert"]["mu_star"] == 0.0
    assert rows["gentle"]["mu_star"] == pytest.approx(2.0) and rows["gentle"]["sigma"] == pytest.approx(0.0)
    assert rows["steep"]["mu_star"] > rows["paired"]["mu_star"] > rows["gentle"]["mu_star"]
    assert rows["paired"]["sigma"] > 0  # its effect depends on "steep": an interaction
    assert most_influential(list(rows.values()), 2) == ["steep", "paired"]


def test_the_scenario_sensitivity_is_a_function_of_its_seed() -> None:
    space = [Dimension("attack_ratio", 1.5, 4.0, "test"), Dimension("morale_break", 0.2, 0.4, "test"),
             Dimension("supply_depletion", 0.025, 0.1, "test")]
    with ThreadPoolExecutor(max_workers=1) as executor:
        first, second = (sensitivity(executor, KOBANI, 2, 2, 2, 1, 4, space, progress=lambda _l: None)
                         for _ in range(2))
    assert first == second
    assert {r["output"] for r in first["morris"]} == {"fall_day", "encirclement_day", "killed_isil",
                                                       "killed_ypg_allies"}
    assert len(first["sobol_parameters"]) == 2 and len(first["sobol"]) == 4 * 2

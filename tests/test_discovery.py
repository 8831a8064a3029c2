"""Scenario discovery (analysis/discovery.py, run.py discover): PRIM finds planted boxes, handles categorical
inputs, is a function of its seed, and the command writes its files on the tiny theatre."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.calibrate import Dimension
from analysis.discovery import (
    OUTCOME,
    VARIANT,
    Box,
    box_threshold,
    boxes_document,
    boxes_markdown,
    check_budget,
    check_prim_settings,
    discovery_figure,
    discovery_sample,
    drop_needless_limits,
    full_box,
    inputs,
    levels_text,
    paste,
    peel,
    prim,
)
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.05  # a recovered edge within 5% of the input's range of the planted one


def planted(n: int, noise: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Uniform points in three inputs and a categorical one; the outcome is 1 in the box
    0.2 <= a <= 0.6, b >= 0.5, v in {p, r} (c plays no part), flipped with probability ``noise``."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n), "c": rng.uniform(0, 1, n),
                      "v": rng.choice(["p", "q", "r"], n)})
    inside = ((x.a >= 0.2) & (x.a <= 0.6) & (x.b >= 0.5) & x.v.isin(["p", "r"])).to_numpy()
    flip = rng.random(n) < noise
    return x, (inside ^ flip).astype(float)


@pytest.mark.parametrize(("noise", "seed"), [(0.0, 1), (0.05, 3), (0.05, 4)])
def test_prim_recovers_a_box_planted_in_uniform_points(noise: float, seed: int) -> None:
    x, y = planted(1000, noise, seed)
    found = prim(x, y, threshold=0.9)
    box = found[0].box
    limits = box.box.restricted(x)
    assert abs(limits["a"][0] - 0.2) < TOLERANCE and abs(limits["a"][1] - 0.6) < TOLERANCE
    assert abs(limits["b"][0] - 0.5) < TOLERANCE and limits["b"][1] > 1 - TOLERANCE
    assert limits["v"] == ["p", "r"]
    truth = Box({"a": (0.2, 0.6), "b": (0.5, 1.0)}, {"v": frozenset({"p", "r"})}).contains(x)
    assert box.density >= min(0.9, y[truth].mean() - TOLERANCE)  # the threshold, or as dense as the planted box
    assert box.coverage >= 0.85 * y[truth].sum() / y.sum()  # and holding most of what it holds
    assert len(found) == 1  # the leftovers hold no dense box


def test_where_the_outcome_is_common_the_box_must_beat_the_sample_by_half_the_way_to_certainty() -> None:
    # the town holds in every run of the planted box and in 80% of the runs elsewhere: the whole sample (about
    # 83%) already reaches a threshold of 0.8, so a box must reach about (1 + 0.83) / 2 = 0.91
    x, y = planted(2000, 0.0, 5)
    y = np.where(y == 1.0, 1.0, 0.8)
    assert y.mean() > 0.8
    assert box_threshold(0.8, float(y.mean())) == pytest.approx((1 + y.mean()) / 2)
    assert box_threshold(0.8, 0.5) == 0.8
    found = prim(x, y, threshold=0.8)
    assert found and found[0].box.density >= (1 + y.mean()) / 2
    inside = found[0].box.box.contains(x)
    truth = Box({"a": (0.2, 0.6), "b": (0.5, 1.0)}, {"v": frozenset({"p", "r"})}).contains(x)
    assert (inside & truth).sum() >= 0.85 * truth.sum()  # it holds the planted box (the widest box that is dense
    limits = found[0].box.box.restricted(x)  # enough: it may reach past it in b)
    assert abs(limits["a"][0] - 0.2) < TOLERANCE and abs(limits["a"][1] - 0.6) < TOLERANCE
    assert limits["v"] == ["p", "r"]


def test_the_peeling_trajectory_shrinks_and_ends_at_the_minimum_mass() -> None:
    x, y = planted(400, 0.05, 2)
    trajectory = peel(x, y, alpha=0.1, min_mass=0.1)
    assert trajectory[0].mass == 1.0 and trajectory[0].coverage == 1.0
    assert pytest.approx(trajectory[0].density) == y.mean()
    assert all(later.n < earlier.n for earlier, later in zip(trajectory, trajectory[1:], strict=False))
    assert trajectory[-1].mass >= 0.1
    assert all(0 <= s.coverage <= 1 and 0 <= s.density <= 1 for s in trajectory)


def test_a_categorical_input_is_peeled_by_levels_and_pasted_back() -> None:
    # only level "hold" of the variant matters: PRIM must keep that level alone and limit no number
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"u": rng.uniform(0, 1, 300), VARIANT: rng.choice(["fall", "hold", "late"], 300)})
    y = (x[VARIANT] == "hold").to_numpy(dtype=float)
    box = prim(x, y, threshold=1.0)[0]
    assert box.box.box.restricted(x) == {VARIANT: ["hold"]}
    assert box.box.density == 1.0 and box.box.coverage == 1.0
    # a box that dropped a good level gets it back when pasted
    narrow = full_box(x).with_levels(VARIANT, frozenset({"fall"}))
    y2 = x[VARIANT].isin(["fall", "hold"]).to_numpy(dtype=float) * (x["u"].to_numpy() > 0.5)
    assert paste(narrow, x, y2).levels[VARIANT] >= {"fall", "hold"}


def test_a_limit_that_does_not_raise_the_density_is_lifted() -> None:
    x, y = planted(600, 0.0, 6)
    truth = Box({"a": (0.2, 0.6), "b": (0.5, 1.0)}, {"v": frozenset({"p", "r"})})
    with_chance_limit = truth.with_range("c", 0.1, 0.9)  # c plays no part: cutting it only loses holds
    assert drop_needless_limits(with_chance_limit, x, y).restricted(x) == truth.restricted(x)
    assert drop_needless_limits(truth, x, y) == truth  # every limit of the planted box matters


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_an_outcome_that_never_varies_has_no_box(value: float) -> None:
    x, _ = planted(100, 0.0, 7)
    assert prim(x, np.full(100, value)) == []  # nowhere held, or held everywhere: no region is denser
    sample = x.assign(**{VARIANT: x.pop("v"), OUTCOME: value})
    document = boxes_document(sample, [], {"scenario": "planted", "variants": ["p", "q", "r"], "samples": 100,
                                           "runs": 1, "seed": 7, "space": []})
    assert "no box denser than the whole sample" in boxes_markdown(document)
    assert discovery_figure(document).axes[0].get_title() == "No box: none is denser than the whole sample"


def test_box_limits_are_closed_ranges_and_level_sets() -> None:
    x = pd.DataFrame({"a": [0.0, 0.5, 1.0], "v": ["p", "q", "p"]})
    box = Box({"a": (0.5, 1.0)}, {"v": frozenset({"p"})})
    assert box.contains(x).tolist() == [False, False, True]
    assert box.restricted(x) == {"a": [0.5, 1.0], "v": ["p"]}
    assert full_box(x).restricted(x) == {}


@pytest.mark.parametrize(("alpha", "min_mass", "threshold", "boxes", "option"),
                         [(0.0, 0.05, 0.8, 3, "--alpha"), (0.05, 1.5, 0.8, 3, "--min-mass"),
                          (0.05, 0.05, 0.0, 3, "--threshold"), (0.05, 0.05, 0.8, 0, "--max-boxes")])
def test_settings_prim_cannot_use_are_refused_by_name(alpha: float, min_mass: float, threshold: float, boxes: int,
                                                      option: str) -> None:
    with pytest.raises(InputError, match=option):
        check_prim_settings(alpha, min_mass, threshold, boxes)


@pytest.mark.parametrize(("samples", "runs", "option"), [(1, 2, "--samples"), (4, 0, "--runs")])
def test_a_budget_too_small_is_refused_by_name(samples: int, runs: int, option: str) -> None:
    with pytest.raises(InputError, match=option):
        check_budget(samples, runs)


SPACE = [Dimension("attack_ratio", 1.5, 4.0, "test"), Dimension("morale_break", 0.2, 0.4, "test")]


def variant_of(tiny_path: Path, directory: Path) -> Path:
    """A counterfactual of the tiny theatre: the attacker's second brigade never comes."""
    path = directory / "no_rifles.yaml"
    path.write_text(f"extends: {tiny_path}\nname: No rifles\nremove_formations: [blue_rifles]\n", encoding="utf-8")
    return path


def test_the_discovery_sample_is_a_function_of_its_seed(tiny_path: Path, tmp_path: Path) -> None:
    paths = [tiny_path, variant_of(tiny_path, tmp_path)]
    with ThreadPoolExecutor(max_workers=1) as executor:
        first, second, other = (discovery_sample(executor, paths, 4, 2, seed, SPACE, progress=lambda _l: None)
                                for seed in (7, 7, 8))
    pd.testing.assert_frame_equal(first, second)
    assert not first[["attack_ratio", "morale_break"]].equals(other[["attack_ratio", "morale_break"]])
    assert first[VARIANT].tolist() == ["tiny"] * 4 + ["no_rifles"] * 4
    assert first[OUTCOME].between(0, 1).all()
    for d in SPACE:  # a Latin hypercube: one point in each quarter of each range
        quarters = ((first[d.name][:4] - d.low) / (d.high - d.low) * 4).astype(int)
        assert sorted(quarters) == [0, 1, 2, 3]
    assert VARIANT in inputs(first) and VARIANT not in inputs(first[first[VARIANT] == "tiny"])  # one level: no input
    document = boxes_document(first, prim(inputs(first), first[OUTCOME].to_numpy()),
                              {"scenario": "tiny", "variants": ["tiny", "no_rifles"], "samples": 4, "runs": 2,
                               "seed": 7, "space": [[d.name, d.low, d.high] for d in SPACE]})
    assert document["points"] == 8 and "| box | coverage |" in boxes_markdown(document)


@pytest.mark.e2e
def test_the_discover_command_writes_the_sample_the_boxes_and_the_plot(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "discovery"
    command = [sys.executable, "run.py", "discover", "--scenario", str(tiny_path), "--counterfactuals",
               str(variant_of(tiny_path, tmp_path)), "--samples", "6", "--runs", "2", "--seed", "3", "--workers",
               "1", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    sample = pd.read_csv(out / "discovery.csv")
    assert len(sample) == 12 and set(sample[VARIANT]) == {"tiny", "no_rifles"}
    document = json.loads((out / "boxes.json").read_text(encoding="utf-8"))
    assert document["points"] == 12 and document["held_overall"] == pytest.approx(sample[OUTCOME].mean(), abs=1e-4)
    for box in document["boxes"]:
        assert 0 <= box["coverage"] <= 1 and 0 <= box["density"] <= 1 and box["trajectory"]
    assert (out / "boxes.md").read_text(encoding="utf-8").startswith("# Where does the objective hold?")
    assert (out / "discovery.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = subprocess.run([*command[:-2], "--out", str(tmp_path / "bad"), "--alpha", "0.9"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "--alpha" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_a_box_that_keeps_most_levels_is_labelled_by_the_ones_it_leaves_out() -> None:
    every = ["a", "b", "c", "d"]
    assert levels_text("variant", ["a", "b", "c"], every) == "every variant but d"
    assert levels_text("variant", ["a", "b"], every) == "a, b"  # as many kept as left out: the kept ones
    assert levels_text("variant", every, every) == "a, b, c, d"

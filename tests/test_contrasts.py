"""Each scenario's differences from the reference, run by run (analysis/contrasts.py): hand-worked numbers on
hand-made run summaries, and the table ``run.py compare`` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import run
from analysis.contrasts import contrast, contrasts, contrasts_markdown, paired
from tests.conftest import write_tiny

DAYS = 20  # a censored day is DAYS + 1


def summary(seed: int, fall: float | None, killed: int, cut: float | None = 5.0) -> dict[str, Any]:
    return {"seed": seed, "days": DAYS, "objective_fall_day": fall, "encirclement_day": cut,
            "casualties_by_side": {"blue": {"killed": killed}, "red": {"killed": 2 * killed}}}


REFERENCE = [summary(1, 10, 100), summary(2, 12, 110), summary(3, 14, 120)]


def test_runs_are_paired_by_seed_whatever_their_order_and_unmatched_runs_are_left_out() -> None:
    other = [summary(3, 16, 130), summary(9, 1, 1), summary(1, 12, 90), summary(2, 14, 100)]
    pairs = paired(REFERENCE, other)
    assert [(a["seed"], b["seed"], b["objective_fall_day"]) for a, b in pairs] == [(1, 1, 12), (2, 2, 14),
                                                                                     (3, 3, 16)]


def test_a_constant_paired_difference_has_no_spread() -> None:
    other = [summary(1, 12, 90), summary(2, 14, 100), summary(3, 16, 130)]
    row = contrast(REFERENCE, other, ["blue", "red"])
    assert row["pairs"] == 3
    assert (row["fall_day_censored_diff"], row["fall_day_censored_diff_p05"],
            row["fall_day_censored_diff_p95"]) == (2.0, 2.0, 2.0)
    # killed: paired differences -10, -10, +10, so the median is -10 whatever the difference of the medians (0)
    assert row["blue_killed_diff"] == -10.0 and row["red_killed_diff"] == -20.0
    assert row["blue_killed_diff_p05"] == -10.0 and row["blue_killed_diff_p95"] == 10.0
    assert (row["encirclement_day_diff"], row["fall_share_diff"]) == (0.0, 0.0)


def test_what_never_happened_counts_one_day_past_the_end() -> None:
    other = [summary(1, None, 100, cut=None), summary(2, None, 110, cut=None), summary(3, None, 120, cut=None)]
    row = contrast(REFERENCE, other, ["blue"])
    assert row["fall_day_censored_diff"] == DAYS + 1 - 12  # 11, 9, 7: the median of the pairs
    assert row["encirclement_day_diff"] == DAYS + 1 - 5
    assert row["fall_share_diff"] == -1.0 and row["fall_share_diff_p05"] == row["fall_share_diff_p95"] == -1.0


def test_a_difference_that_varies_across_pairs_has_an_interval_round_it() -> None:
    reference = [summary(s, 10, 100) for s in range(1, 41)]
    other = [summary(s, 10 + (s % 5) - 2, 100) for s in range(1, 41)]  # -2..+2, median 0
    row = contrast(reference, other, ["blue"])
    assert row["fall_day_censored_diff"] == 0.0
    assert row["fall_day_censored_diff_p05"] < 0.0 < row["fall_day_censored_diff_p95"]
    assert contrast(reference, other, ["blue"]) == row  # seeded: the same intervals every time


def test_the_share_that_fell_is_a_difference_of_shares() -> None:
    reference = [summary(s, 10, 100) for s in range(1, 21)]
    other = [summary(s, 10 if s % 2 else None, 100) for s in range(1, 21)]
    row = contrast(reference, other, ["blue"])
    assert row["fall_share_diff"] == -0.5
    assert -1.0 < row["fall_share_diff_p05"] < -0.5 < row["fall_share_diff_p95"] < 0.0


def test_too_few_pairs_give_no_difference() -> None:
    assert contrast(REFERENCE, [summary(1, 12, 90), summary(7, 12, 90)], ["blue"]) == {"pairs": 1}


def test_the_table_signs_every_difference_and_says_how_they_were_taken() -> None:
    rows = contrasts({"base": REFERENCE, "later": [summary(1, 12, 90), summary(2, 14, 100), summary(3, 16, 130)]},
                     "base")
    table = contrasts_markdown(rows, "base")
    assert "| later | 3 | 0 (0 to 0) | +2 (+2 to +2) | 0 (0 to 0) | -10 (-10 to +10) | -20 (-20 to +20) |" in table
    assert ("| scenario | pairs | cut off (days) | fell (days, censored) | fell in (points) | blue killed "
            "| red killed |") in table
    assert "Differences from base, run by run" in table
    assert contrasts({"other": REFERENCE}, "base") == [] and contrasts_markdown([], "base") == ""


@pytest.mark.e2e
def test_compare_writes_each_scenarios_differences_from_the_first(tmp_path: Path) -> None:
    tiny = write_tiny(tmp_path)
    harder = tmp_path / "harder.yaml"
    harder.write_text(f"extends: {tiny.name}\nname: harder\nsides:\n  blue:\n    fires: {{artillery: 0.0}}\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    assert run.main(["compare", str(tiny), str(harder), "--runs", "3", "--workers", "1", "--out", str(out)]) == 0
    scores = (out / "scores.md").read_text(encoding="utf-8")
    assert "| **tiny** (reference) |" in scores
    assert "Differences from tiny, run by run" in scores and "\n| harder | 3 | " in scores

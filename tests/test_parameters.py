"""The parameter table: overrides by name, bad values refused, the documented table in step with the code."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.parameters import Parameters, apply_overrides, parameter_table, parameter_table_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"


def test_every_parameter_has_a_source_a_range_and_a_meaning() -> None:
    for row in parameter_table():
        assert row["source"] and row["doc"] and row["unit"], row["name"]
        values = row["default"].values() if isinstance(row["default"], dict) else [row["default"]]
        assert all(row["low"] <= v <= row["high"] for v in values), row["name"]


def test_docs_parameters_md_shows_the_table_of_the_code() -> None:
    assert parameter_table_markdown() in DOC.read_text(encoding="utf-8")


def test_overrides_change_only_what_they_name_and_merge_tables_key_by_key() -> None:
    p = apply_overrides(Parameters(), {"attack_ratio": 3, "march_km_per_day": {"militia": 12}}, "s.yaml")
    assert p.attack_ratio == 3.0
    assert p.march_km_per_day["militia"] == 12.0
    assert p.march_km_per_day["armour"] == Parameters().march_km_per_day["armour"]
    assert p.defence_loss == Parameters().defence_loss
    assert Parameters().march_km_per_day["militia"] == 17.0  # the defaults are not touched


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"atack_ratio": 3}, "parameters.atack_ratio", "unknown parameter"),
    ({"attack_ratio": True}, "parameters.attack_ratio", "must be a number"),
    ({"attack_ratio": "3"}, "parameters.attack_ratio", "must be a number"),
    ({"attack_ratio": math.nan}, "parameters.attack_ratio", "finite"),
    ({"attack_ratio": -1}, "parameters.attack_ratio", "outside the allowed range"),
    ({"march_km_per_day": 12}, "parameters.march_km_per_day", "mapping"),
    ({"march_km_per_day": {"cavalry": 30}}, "parameters.march_km_per_day.cavalry", "unknown key"),
    ([1, 2], "parameters", "mapping"),
])
def test_bad_overrides_name_the_file_and_field(overrides: object, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        apply_overrides(Parameters(), overrides, "s.yaml")  # type: ignore[arg-type]
    assert caught.value.file == "s.yaml"
    assert caught.value.field == field
    assert words in caught.value.problem

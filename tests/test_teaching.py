"""docs/teaching.md quotes only numbers the shipped model gives: scripts/teaching_numbers.py recomputes every
marked number and the document must already hold them (after an engine change, run the script to update it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("teaching_numbers", ROOT / "scripts" / "teaching_numbers.py")
teaching_numbers = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(teaching_numbers)


def test_every_number_in_the_lesson_plans_is_the_models():
    text = teaching_numbers.DOC.read_text(encoding="utf-8")
    assert len(teaching_numbers.MARK.findall(text)) >= 40
    assert teaching_numbers.fill(text, teaching_numbers.numbers()) == text, \
        "docs/teaching.md is out of date: run .venv/bin/python scripts/teaching_numbers.py"


def test_a_marked_number_is_replaced_and_an_unknown_one_refused():
    assert teaching_numbers.fill("a <!--n:x-->1<!--/n--> b", {"x": "2"}) == "a <!--n:x-->2<!--/n--> b"
    with pytest.raises(KeyError, match="y"):
        teaching_numbers.fill("<!--n:y-->1<!--/n-->", {"x": "2"})


def test_the_lesson_plans_have_what_a_teacher_needs():
    text = teaching_numbers.DOC.read_text(encoding="utf-8")
    lessons = text.split("### ")[1:]
    plans = [p for p in lessons if "*Learning objectives.*" in p]
    assert len(plans) >= 4
    for plan in plans:
        for part in ("*Learning objectives.*", "*Roles.*", "*Brief.*", "*Steps.*", "*Debrief questions.*"):
            assert part in plan, f"{plan.splitlines()[0]}: no {part}"
        assert "minutes)" in plan.splitlines()[0]
    assert any("Kobani" in p.splitlines()[0] for p in plans)
    assert "rubric" in text.lower()


def test_exercise_6s_answer_is_written_from_the_boxes_its_command_found():
    found = {"points": 8, "runs": 3, "held_overall": 0.5, "held_by_variant": {"historical": 0.25, "late": 0.75},
             "boxes": [{"coverage": 0.9, "density": 0.8, "n": 4, "limits": {"variant": ["late"]}}]}
    numbers = teaching_numbers.discovery_numbers(found)
    assert (numbers["d_runs"], numbers["d_held"], numbers["d_held_late"]) == ("24", "50%", "75%")
    assert numbers["d_boxes"] == "Box 1 is variant in {late}, no parameter limit: density 80%, coverage 90%, 4 of 8 " \
        "points"
    assert teaching_numbers.discovery_numbers(found | {"boxes": []})["d_boxes"].startswith("PRIM finds no box")
    ranged = {"limits": {"attack_loss": [0.02, 0.03], "morale_break": [0.2, 0.3]}}
    assert teaching_numbers.box_text(ranged) == "every variant inside 2 parameter limits (`attack_loss`, " \
        "`morale_break`)"

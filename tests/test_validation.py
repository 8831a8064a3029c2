"""run.py validation: its stages, issue 13's targets, and docs/validation.md generated from measured outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.calibrate import SEARCH_SPACE, dimension, parse_search, search_space
from analysis.validation import _at_least, _band, _killed_target, _window, kobani_target, run_stage
from analysis.validation_doc import SECTIONS, update_document
from run import main
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
MEASURED = ROOT / "docs" / "validation-measured.json"


def test_the_page_matches_the_measured_document_it_was_generated_from() -> None:
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    text = DOC.read_text(encoding="utf-8")
    assert update_document(text, measured) == text, "docs/validation.md drifted: rerun python run.py validation"


def test_a_page_missing_a_section_or_naming_an_unknown_one_is_refused() -> None:
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    text = DOC.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="missing: targets"):
        update_document(text.replace("generated:targets", "generated:target"), measured)
    with pytest.raises(InputError, match="unknown: extra"):
        update_document(text + "<!-- generated:extra -->\nx\n<!-- /generated:extra -->\n", measured)


def test_generated_sections_are_rewritten_and_the_prose_around_them_kept() -> None:
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    page = "".join(f"prose {name}\n<!-- generated:{name} -->\nstale 999\n<!-- /generated:{name} -->\n"
                   for name in SECTIONS)
    out = update_document(page, measured)
    assert "stale 999" not in out and all(f"prose {name}\n" in out for name in SECTIONS)
    assert "**missed**" in out or "**met**" in out


def test_targets_say_met_or_missed_and_by_how_much() -> None:
    assert _window("fall", 66, 62, 3) == {"measure": "fall", "value": 66, "target": "62 ± 3", "met": False,
                                          "by": "1.0 days outside", "note": ""}
    assert _window("fall", 60, 62, 3)["met"]
    assert not _window("assault", None, 45, 3)["met"]
    assert _band("battle", 22, 14, 21, " days")["by"] == "1.00 days outside"
    assert _band("ratio", 2.0, 2.0, 2.7)["met"]
    assert _at_least("share", 0.44, 0.8)["by"] == "0.36 short"
    assert _killed_target("rebels", 592, [740, 809], -0.2)["met"]
    missed = _killed_target("rebels", 343.5, [740, 809], 343.5 / 740 - 1)
    assert not missed["met"] and missed["by"] == "-54% (34% beyond the 20%)"


def test_a_town_that_held_in_history_is_met_by_holding_in_most_runs() -> None:
    def report(fall_share: float) -> dict:
        return {"fall_day_recorded": None, "held_back": {"fall_share": fall_share, "fall_day_median": 80.0}}

    assert kobani_target(report(0.25), "x")["met"]
    missed = kobani_target(report(0.75), "x")
    assert not missed["met"] and missed["by"] == "fell in 75% of runs, median day 80"


def test_a_new_parameter_is_searched_by_its_metadata_or_a_given_range() -> None:
    whole = dimension("mop_up_hops")
    assert (whole.low, whole.high) == (0.0, 20.0) and "assumption" in whole.source
    [narrow] = parse_search(["withdraw_supply=0.1:0.5"])
    assert (narrow.low, narrow.high) == (0.1, 0.5)
    space = search_space([dimension("attack_ratio", 2.0, 3.0)])
    assert len(space) == len(SEARCH_SPACE) and space[-1].low == 2.0
    for bad in (["no_such"], ["type_value"], ["attack_ratio=5:1"], ["attack_ratio=0:30"], ["attack_ratio=a:b"]):
        with pytest.raises(InputError):
            parse_search(bad)


def test_a_finished_stage_is_skipped_and_a_failed_one_stops_with_a_line(tmp_path: Path) -> None:
    python = [sys.executable, "-c"]
    touch = f"import pathlib; pathlib.Path(r'{tmp_path / 'ran'}').touch()"
    done = run_stage("one", tmp_path, [touch], python, progress=lambda _: None)
    assert (tmp_path / "ran").is_file() and done["argv"] == [touch] and done["wall_seconds"] >= 0
    (tmp_path / "ran").unlink()
    assert run_stage("one", tmp_path, [touch], python, progress=lambda _: None) == done
    assert not (tmp_path / "ran").exists()
    with pytest.raises(InputError, match="stage failed"):
        run_stage("two", tmp_path, ["raise SystemExit(3)"], python, progress=lambda _: None)
    assert not (tmp_path / "two" / "stage.json").exists()


@pytest.mark.parametrize("option", [["--search", "bogus"], ["--counterfactuals", "nothere.yaml"], ["--runs", "0"]])
def test_bad_input_stops_the_command_before_any_stage(tmp_path: Path, option: list[str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validation", "--quick", "--out", str(tmp_path / "v"), *option]) == 2
    assert capsys.readouterr().err.count("\n") == 1 and not (tmp_path / "v").exists()


@pytest.mark.e2e
def test_validation_runs_every_stage_writes_the_page_and_resumes(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "run.py"), "validation", "--quick", "--out", str(tmp_path / "v"),
               "--workers", "2", "--budget", "2", "--runs", "1", "--check-runs", "3", "--morris", "2",
               "--sobol-samples", "2", "--samples", "2", "--search", "mop_up_hops=1:5"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stderr[-2000:]
    page = (tmp_path / "v" / "validation.md").read_text(encoding="utf-8")
    measured = json.loads((tmp_path / "v" / "validation-measured.json").read_text(encoding="utf-8"))
    assert update_document(page, measured) == page and "QUICK MODE" in page
    assert "`mop_up_hops`" in page and "Kobani: town held" in page
    assert (tmp_path / "v" / "img" / "validation-sobol.png").is_file()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("skipped") == 5

"""run.py validation: its stages, issue 13's targets, and docs/validation.md generated from measured outputs;
the pipeline on any theatres (tiny invented ones here), named only by their scenario files."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TINY_MAP, write_tiny

from analysis.calibrate import SEARCH_SPACE, dimension, parse_search, search_space
from analysis.validation import (
    QUICK,
    Targets,
    Theatre,
    Theatres,
    _at_least,
    _band,
    _killed_target,
    _window,
    load_targets,
    pictures,
    primary_targets,
    run_stage,
    slug,
    stage_commands,
    stage_runs,
    transfer_target,
)
from analysis.validation_doc import SECTIONS, skeleton, update_document
from run import build_parser, main, validation_page
from sim.errors import InputError
from sim.record import load_record
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
MEASURED = ROOT / "docs" / "validation-measured.json"
SHIPPED = (ROOT / "scenarios" / "historical.yaml", ROOT / "scenarios" / "kobani" / "kobani.yaml")
THIRD = "Zarvenholt"  # a theatre's name that appears in no file of sim/, analysis/, app/ or run.py

# ---------------------------------------------------------------- tiny theatres with a record

EVENTS = ("date,kind,place,side,detail\n"
          "2020-03-02,capture,ridge,blue,\n"
          "2020-03-04,capture,depot,blue,\n"
          "2020-03-08,capture,ford,blue,\n"
          "2020-03-12,assault,oldtown,blue,\n"
          "2020-03-16,capture,oldtown,blue,\n")
RECORD: dict[str, Any] = {
    "events": "events.csv", "source": "invented for the tests", "objective_fall": "2020-03-16",
    "first_assault": "2020-03-12", "split": "2020-03-09",
    "losses": {"sides": {"red": {"killed": [150, 250], "source": "invented", "period": "the whole month"},
                         "blue": {"killed": 120, "source": "invented", "period": "the whole month"}}}}


def tiny_theatres(directory: Path) -> tuple[Path, Path, Path]:
    """The tiny Vale of Ember with a record in which the old town fell (the primary); the same valley with a
    record in which it held ("Ember Held.yaml"); and the valley on a map that names the old town Zarvenholt."""
    primary = write_tiny(directory)
    (directory / "events.csv").write_text(EVENTS, encoding="utf-8")
    (directory / "record.yaml").write_text(yaml.safe_dump(RECORD), encoding="utf-8")
    (directory / "held.yaml").write_text(yaml.safe_dump(RECORD | {"objective_fall": None}), encoding="utf-8")
    with primary.open("a", encoding="utf-8") as scenario:
        scenario.write("record: record.yaml\n")
    held = directory / "Ember Held.yaml"
    held.write_text("extends: tiny.yaml\nname: the vale, held\nrecord: held.yaml\n", encoding="utf-8")
    renamed = copy.deepcopy(TINY_MAP)
    for feature in renamed["features"]:
        if feature["properties"].get("id") == "oldtown":
            feature["properties"]["name"] = THIRD
    (directory / "maps" / "third.geojson").write_text(json.dumps(renamed), encoding="utf-8")
    third = directory / "third-1920.yaml"
    third.write_text("extends: tiny.yaml\nname: a third valley\nmap: maps/third.geojson\n", encoding="utf-8")
    return primary, held, third


def theatre(path: Path) -> Theatre:
    scenario = load_scenario(path)
    record = load_record(scenario)
    assert record is not None
    return Theatre.of(path, scenario, record)


@pytest.fixture
def theatres(tmp_path: Path) -> Theatres:
    primary, held, third = tiny_theatres(tmp_path / "vale")
    return Theatres(theatre(primary), (theatre(held), theatre(third)), ())


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

    assert transfer_target(report(0.25), "x")["met"]
    missed = transfer_target(report(0.75), "x")
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


def test_the_shipped_page_is_regenerated_and_other_theatres_get_a_page_of_their_own(tmp_path: Path,
                                                                                     theatres: Theatres) -> None:
    def page(*options: str) -> Path:
        args = build_parser().parse_args(["validation", "--out", str(tmp_path / "v"), *options])
        return validation_page(args, theatres)

    assert page() == DOC and page("--transfer", *map(str, SHIPPED[1:])) == DOC
    quick = page("--quick")
    assert quick == tmp_path / "v" / "validation.md" and quick.read_text(encoding="utf-8") == DOC.read_text(
        encoding="utf-8")
    quick.unlink()
    other = page("--scenario", str(theatres.primary.path), "--transfer")
    assert other == quick and other.read_text(encoding="utf-8") == skeleton("Old Town")
    other.write_text("prose kept", encoding="utf-8")
    assert page("--transfer").read_text(encoding="utf-8") == "prose kept"  # not the shipped set: its own page
    given = page("--doc", str(tmp_path / "mine" / "page.md"))
    assert given.read_text(encoding="utf-8") == skeleton("Old Town")


@pytest.mark.e2e
def test_validation_runs_every_stage_on_any_theatres_and_resumes(tmp_path: Path) -> None:
    primary, held, third = tiny_theatres(tmp_path / "vale")
    command = [sys.executable, str(ROOT / "run.py"), "validation", "--scenario", str(primary), "--transfer",
               str(held), str(third), "--quick", "--out", str(tmp_path / "v"), "--workers", "2", "--budget", "2",
               "--runs", "1", "--check-runs", "3", "--morris", "2", "--sobol-samples", "2", "--samples", "2",
               "--search", "mop_up_hops=1:5"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stderr[-2000:]
    page = (tmp_path / "v" / "validation.md").read_text(encoding="utf-8")
    measured = json.loads((tmp_path / "v" / "validation-measured.json").read_text(encoding="utf-8"))
    assert update_document(page, measured) == page and "QUICK MODE" in page and "`mop_up_hops`" in page
    assert page.startswith("# Validation: Old Town\n") and "Qusayr" not in page and "Kobani" not in page
    assert f"| {THIRD}: fall day, Old Town's parameters | 15 ± 7 |" in page  # its record: fell on day 15
    assert "| Old Town: town held (its own fit): share of runs |" in page  # the held record
    assert f"| Old Town fit | Old Town fit | {THIRD} fit |" in page and f"\n{THIRD}: 3 runs each" in page
    assert [t["slug"] for t in measured["transfers"]] == ["ember_held", "third_1920"]
    assert (tmp_path / "v" / "img" / "validation-third_1920-calibration.png").is_file()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("skipped") == 7


# ---------------------------------------------------------------- any theatres, named by their files


def test_theatres_are_named_by_their_objective_and_their_file(theatres: Theatres) -> None:
    assert (theatres.primary.name, theatres.primary.slug) == ("Old Town", "tiny")
    assert [(t.name, t.slug) for t in theatres.transfers] == [("Old Town", "ember_held"), (THIRD, "third_1920")]
    names = ("a/Vale of Ember 2.yaml", "x/--.yaml", "Ünter-Çay.yaml", "東京.yaml")
    assert [slug(Path(p)) for p in names] == ["vale_of_ember_2", "theatre", "unter_cay", "theatre"]


def test_two_transfer_theatres_with_one_slug_are_refused(theatres: Theatres) -> None:
    again = theatres.transfers[1]
    with pytest.raises(InputError, match="rename one of the files") as err:
        Theatres(theatres.primary, (*theatres.transfers, Theatre(Path("b/third_1920.yaml"), "x", again.slug,
                                                                 again.record)), ())
    assert err.value.field == "--transfer"


def test_each_transfer_theatre_has_its_stages_and_runs_with_the_primarys_fit(tmp_path: Path, theatres: Theatres
                                                                              ) -> None:
    out = tmp_path / "out"
    commands = stage_commands(out, theatres, QUICK, ["--workers", "1"])
    assert list(commands) == ["calibrate", "ember_held_transfer", "calibrate_ember_held", "third_1920_transfer",
                              "calibrate_third_1920", "sensitivity", "discovery"]
    assert list(stage_runs(QUICK, theatres)) == list(commands)
    assert commands["calibrate_third_1920"]()[:3] == ["calibrate", "--scenario", str(theatres.transfers[1].path)]
    (out / "calibrate").mkdir(parents=True)
    (out / "calibrate" / "calibration.json").write_text(json.dumps({"chosen": {"params": {"attack_ratio": 2.5}}}))
    argv = commands["third_1920_transfer"]()
    assert argv[0] == "fidelity" and argv[argv.index("--out") + 1] == str(out / "third_1920_transfer")
    derived = load_scenario(argv[argv.index("--scenario") + 1])
    assert derived.params.attack_ratio == 2.5 and derived.spec.name == "third-1920 (parameters fitted on Old Town)"
    assert derived.graph.nodes["oldtown"]["name"] == THIRD  # the transfer theatre's own map, the primary's fit
    assert Path(derived.path).name == "third_1920_tiny_fit.yaml"
    assert ("calibrate_third_1920", "calibration.png") in pictures(theatres)


def with_transfers(measured: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The shipped measured document with its (first) transfer theatre copied under each of ``names``."""
    shipped = measured["transfers"][0]
    return measured | {"transfers": [shipped | {"name": name, "slug": name.lower()} for name in names]}


def test_the_page_names_each_transfer_theatre_by_its_own_name() -> None:
    measured = with_transfers(json.loads(MEASURED.read_text(encoding="utf-8")), ["Ember", THIRD])
    page = update_document(skeleton("Old Town"), measured)
    assert page.startswith("# Validation: Old Town\n") and "Kobani" not in page
    assert f"| parameter | default | searched | source of the range | al-Qusayr fit | Ember fit | {THIRD} fit |" in page
    assert f"| {THIRD}: town held (al-Qusayr's parameters): share of runs |" in page
    runs = measured["transfers"][0]["transfer"]["held_back"]["runs"]
    assert page.count(f"{THIRD}: {runs} runs each, the same seeds.") == 1 and f"Ember: {runs} runs each" in page
    alone = update_document(skeleton("Old Town"), with_transfers(measured, []))
    primary_met = int(re.search(r"Calibrated: (\d+) of 10 targets met", alone).group(1))
    assert "No transfer theatre." in alone
    assert f"Calibrated: {primary_met + 4} of 14 targets met" in page  # each transfer adds its 2 of 2


def code_words(path: Path) -> str:
    """A module's names and strings (docstrings included), without its comments."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in tokens if t.type in (tokenize.NAME, tokenize.STRING)).lower()


def test_the_validation_code_names_no_theatre() -> None:
    words = [THIRD.lower()]
    for path in SHIPPED:
        scenario = load_scenario(path)
        objective = scenario.spec.objective
        words += [objective, scenario.graph.nodes[objective]["name"].lower(), path.stem, *scenario.spec.sides,
                  *scenario.spec.factions]
    for module in ("validation.py", "validation_doc.py"):
        text = code_words(ROOT / "analysis" / module)
        assert not [w for w in words if w in text and w != "historical"], module


def test_a_theatre_without_a_record_or_twice_the_same_folder_stops_before_any_stage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    primary, held, _ = tiny_theatres(tmp_path / "vale")
    other = tmp_path / "other" / "ember_held.yaml"  # the same slug as "Ember Held.yaml"
    other.parent.mkdir()
    other.write_text(f"extends: {held}\nname: another copy\n", encoding="utf-8")
    bare = tmp_path / "vale" / "bare.yaml"
    bare.write_text("extends: tiny.yaml\nname: no record\nrecord: null\n", encoding="utf-8")
    for transfers, problem in (([bare], "names no record"), ([held, other], "rename one of the files")):
        out = tmp_path / "v"
        assert main(["validation", "--scenario", str(primary), "--transfer", *map(str, transfers), "--out",
                     str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and problem in err and not out.exists()


def test_the_committed_targets_are_what_the_shipped_targets_file_makes_of_the_committed_reports() -> None:
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    record = theatre(SHIPPED[0]).record
    targets = load_targets(record)
    assert targets.exchange_ratio == [2.0, 2.7] and targets.battle_days == [14, 21]
    for key, report in (("targets", "chosen_report"), ("targets_defaults", "default_report")):
        assert primary_targets(measured["primary"][report], record, targets) == measured[key]
    generic = primary_targets(measured["primary"]["chosen_report"], record, Targets())
    assert len(generic) == len(measured["targets"]) - 3  # no battle length, exchange ratio or prisoners


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("battle_days: [21, 14]\n", "battle_days", "must be [low, high]"),
    ("killed_within: 2\n", "killed_within", "less than or equal to 1"),
    ("fall_days: 3\n", "fall_days", "Extra inputs"),
    ("exchange_ratio: [1, 2, 3]\n", "exchange_ratio", "at most 2 items")])
def test_a_bad_targets_file_names_its_field(theatres: Theatres, text: str, field: str, problem: str) -> None:
    path = Path(theatres.primary.record.path).parent / "validation-targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem.replace("[", r"\[").replace("]", r"\]")) as err:
        load_targets(theatres.primary.record)
    assert (err.value.file, err.value.field) == (str(path), field)
    path.write_text("exchange_ratio: [1, 2.5]\nkilled_within: 0.3\n", encoding="utf-8")
    assert load_targets(theatres.primary.record) == Targets(exchange_ratio=[1.0, 2.5], killed_within=0.3)

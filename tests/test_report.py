"""The after-action report (``run.py report DIR``), built as a user would from a run folder and from compare stores
of every outcome (the objective always falls, never falls; one scenario; none called historical; no record), then
opened in headless Chromium: no errors, every picture shown, every section there, nothing fetched from anywhere.
Bad folders and changed scenario files are one-line errors with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_tiny

import run
from analysis.history import NO_RECORD
from analysis.report import question_of, representative
from analysis.scores import scores_text
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["Contents", "Summary", "Progress of the siege", "The theatre", "The campaign day by day", "Turning points",
            "The run's story", "Method, assumptions and limitations", "Parameters and their sources", "Validation",
            "Provenance", "Data files"]


def run_py(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def _compare(folder: Path, *scenarios: Path | str, runs: int = 3) -> Path:
    ran = run_py("compare", *scenarios, "--runs", runs, "--workers", "1", "--out", folder)
    assert ran.returncode == 0, ran.stderr
    return folder


@pytest.fixture(scope="module")
def run_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    assert run_py("run", "scenarios/historical.yaml", "--seed", "3", "--out", folder).returncode == 0
    made = run_py("report", folder)
    assert made.returncode == 0, made.stderr
    assert f"Wrote {folder / 'report.html'}" in made.stdout
    return folder


@pytest.fixture(scope="module")
def vale(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny theatre (no record, no scenario called historical) and a variant without its second brigade."""
    where = tmp_path_factory.mktemp("vale")
    tiny = write_tiny(where)
    thin = where / "thin.yaml"
    thin.write_text("extends: tiny.yaml\nname: Thin\ndescription: What if Blue came with one brigade only?\n"
                    "remove_formations: [blue_rifles]\n", encoding="utf-8")
    return tiny, thin


@pytest.fixture(scope="module")
def compare_report(vale, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _compare(tmp_path_factory.mktemp("cmp") / "cmp", *vale)
    made = run_py("report", folder, "--no-animation")
    assert made.returncode == 0, made.stderr
    return folder


def _open(page, path: Path, shot: Path) -> dict:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    info = page.evaluate("""() => ({
        images: Array.from(document.images).map(i => ({src: i.src.slice(0, 22), ok: i.complete && i.naturalWidth > 0,
                                                      width: i.naturalWidth})),
        headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
        text: document.body.innerText,
    })""")
    page.screenshot(path=shot, full_page=True)
    info["requests"] = [r for r in requests if not r.startswith("data:") and r != path.as_uri()]
    return info


@pytest.mark.e2e
def test_run_report_opens_without_errors_or_requests_and_shows_its_pictures(run_report, chromium_page):
    info = _open(chromium_page, run_report / "report.html", run_report / "screenshot.png")
    assert chromium_page.console_errors == []
    assert info["requests"] == []  # nothing fetched from anywhere
    images = info["images"]
    assert len(images) == 4  # progress, two maps, the day slider's map
    assert all(i["ok"] and i["width"] >= 700 for i in images), images
    assert {i["src"][:15] for i in images} == {"data:image/png;", "data:image/jpeg"}
    for section in SECTIONS:
        assert any(h.startswith(section) for h in info["headings"]), section
    assert "day 62 (5 June 2013)" in info["text"]  # history's fall beside the model's
    assert (run_report / "screenshot.png").stat().st_size > 50_000


@pytest.mark.e2e
def test_the_day_slider_shows_each_days_map_and_events(run_report, chromium_page):
    chromium_page.goto((run_report / "report.html").as_uri())
    first = chromium_page.get_attribute("#day-map", "src")
    chromium_page.fill("#day-slider", "40")
    chromium_page.dispatch_event("#day-slider", "input")
    assert chromium_page.get_attribute("#day-map", "src") != first
    assert "(day 40)" in chromium_page.inner_text("#day-words")
    assert chromium_page.console_errors == []


@pytest.mark.e2e
def test_run_report_is_self_contained_and_tells_the_runs_story(run_report):
    page = (run_report / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""src=["'](?!data:)""", page)  # every picture inline
    links = re.findall(r'href="([^"#]+)"', page)
    assert links and all((run_report / link).exists() for link in links)  # the data files, relative
    assert {"summary.json", "events.csv", "timeseries.csv", "img/campaign.gif"} <= set(links)
    summary = json.loads((run_report / "summary.json").read_text())
    assert f"day {summary['encirclement_day']:g}" in page
    assert "taken by" in page
    for name in ("progress.png", "map-cut.png", "map-end.png", "campaign.gif"):
        assert (run_report / "img" / name).stat().st_size > 10_000
    for fact in ("commit", "sha256", "mesa", "seed 3", "march_km_per_day"):
        assert fact in page, fact


@pytest.mark.e2e
def test_compare_report_of_a_theatre_without_record_shows_no_history(compare_report, chromium_page):
    info = _open(chromium_page, compare_report / "report.html", compare_report / "screenshot.png")
    assert chromium_page.console_errors == [] and info["requests"] == []
    assert all(i["ok"] for i in info["images"])
    assert "Scenarios compared" in info["headings"] and "Counterfactuals: the questions and their answers" in \
        info["headings"]
    assert len(info["images"]) == 6  # distributions, progress, two maps, and the counterfactual's two panels
    for name in pd.read_parquet(compare_report / "runs.parquet")["scenario"].unique():
        assert name in info["text"]
    assert "What if Blue came with one brigade only?" in info["text"]  # the counterfactual's question
    assert NO_RECORD in info["text"]
    assert "Over all 3 runs of tiny" in info["text"]  # the reference (first) scenario's turning points
    assert "Differences from tiny, run by run" in info["text"]  # each other scenario against it, seed by seed


@pytest.mark.e2e
def test_report_where_the_objective_never_falls(tmp_path):
    folder = _compare(tmp_path / "cmp", "scenarios/counterfactuals/bekaa_axis_only.yaml", runs=2)
    made = run_py("report", folder, "--no-animation")
    assert made.returncode == 0, made.stderr
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "never" in page and "Traceback" not in made.stderr
    assert 'id="counterfactuals"' not in page  # one scenario: nothing to compare it with
    assert 'id="discovery"' not in page  # no discovery/ in the folder: no section for it


@pytest.mark.e2e
def test_the_main_job_writes_each_theatres_comparison_discovery_and_report(tmp_path, monkeypatch, capsys):
    theatre = write_tiny(tmp_path / "theatre")
    (theatre.parent / "counterfactuals").mkdir()
    (theatre.parent / "counterfactuals" / "thin.yaml").write_text(
        "extends: ../tiny.yaml\nname: Thin\nremove_formations: [blue_rifles]\n", encoding="utf-8")
    monkeypatch.setattr(run, "ROOT", tmp_path)  # its out/ folder
    monkeypatch.setattr(run, "STUDIES", ((theatre, ""),))
    monkeypatch.setattr(run, "STUDY_RUNS", 2)
    monkeypatch.setattr(run, "STUDY_DISCOVERY", (2, 1))
    assert run.main([]) == 0
    [study] = (tmp_path / "out").glob("study-*")
    assert f"Study folder: {study}" in capsys.readouterr().out
    assert set(pd.read_parquet(study / "runs.parquet")["scenario"]) == {"tiny", "thin"}
    assert json.loads((study / "discovery" / "boxes.json").read_text(encoding="utf-8"))["variants"] == ["tiny", "thin"]
    assert 'id="discovery"' in (study / "report.html").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_a_folder_with_a_scenario_discovery_shows_its_boxes_and_picture(vale, tmp_path, chromium_page):
    folder = _compare(tmp_path / "cmp", *vale, runs=2)
    found = run_py("discover", "--scenario", vale[0], "--counterfactuals", vale[1], "--samples", 4, "--runs", 1,
                   "--workers", 1, "--out", folder / "discovery")
    assert found.returncode == 0, found.stderr
    assert run_py("report", folder, "--no-animation").returncode == 0
    document = json.loads((folder / "discovery" / "boxes.json").read_text(encoding="utf-8"))
    info = _open(chromium_page, folder / "report.html", tmp_path / "shot.png")
    assert chromium_page.console_errors == [] and info["requests"] == [] and all(i["ok"] for i in info["images"])
    assert "Where does the objective hold? Scenario discovery" in info["headings"]
    assert f"{document['points']} points ({document['samples']} Latin hypercube samples x 2 variants)" in info["text"]
    assert (folder / "img" / "discovery.png").exists()
    assert len(info["images"]) == 7  # the compare report's six, and the discovery's picture


@pytest.mark.e2e
def test_report_where_the_objective_always_falls(vale, tmp_path):
    folder = _compare(tmp_path / "cmp", vale[0], runs=2)
    assert run_py("report", folder, "--no-animation").returncode == 0
    scores = pd.read_csv(folder / "scores.csv")
    assert scores["fall_share"].tolist() == [1.0]
    assert "in 100%" not in (folder / "report.html").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_report_of_a_folder_without_records_is_a_one_line_error(tmp_path):
    made = run_py("report", tmp_path)
    assert made.returncode == 2
    assert made.stderr.strip().count("\n") == 0 and "summary.json" in made.stderr and "Traceback" not in made.stderr


@pytest.mark.e2e
def test_report_of_malformed_records_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "summary.json").write_text("{}", encoding="utf-8")
    made = run_py("report", tmp_path / "empty")
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert made.stderr.strip().count("\n") == 0 and "summary.json" in made.stderr and "scenario" in made.stderr
    (tmp_path / "other").mkdir()
    pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(tmp_path / "other" / "runs.parquet")
    made = run_py("report", tmp_path / "other")
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert made.stderr.strip().count("\n") == 0 and "runs.parquet" in made.stderr and "status" in made.stderr


@pytest.mark.e2e
def test_report_needs_the_scenario_file_of_a_scenario_it_cannot_find(vale, tmp_path):
    tiny = vale[0]
    assert run_py("run", tiny, "--seed", "1", "--out", tmp_path / "run").returncode == 0
    made = run_py("report", tmp_path / "run", "--no-animation")
    assert made.returncode == 2 and "--scenario" in made.stderr
    made = run_py("report", tmp_path / "run", "--no-animation", "--scenario", tiny)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "run" / "report.html").exists()


@pytest.mark.e2e
def test_report_refuses_a_scenario_file_that_differs_from_the_one_run(vale, tmp_path):
    tiny = vale[0]
    assert run_py("run", tiny, "--seed", "1", "--out", tmp_path / "run").returncode == 0
    summary_path = tmp_path / "run" / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["scenario_sha256"] = "0" * 64
    summary_path.write_text(json.dumps(summary))
    made = run_py("report", tmp_path / "run", "--no-animation", "--scenario", tiny)
    assert made.returncode == 2 and "Traceback" not in made.stderr
    assert made.stderr.strip().count("\n") == 0 and "scenario_sha256" in made.stderr


# ---------------------------------------------------------------- the representative run and the scores text


def test_representative_run_is_closest_to_the_median_cut_off_and_fall_days():
    runs = pd.DataFrame({"replicate": range(5), "seed": range(10, 15),
                         "encirclement_day": [20.0, 30, 31, 29, 45],
                         "objective_fall_day": [40.0, None, 50, 61, 52],
                         "supply_auc": [0.3, 0.5, 0.4, 0.45, 0.6]})
    # four of five fell: medians over those are cut-off 30 (20, 31, 29, 45) and fall 51 (40, 50, 61, 52)
    row = representative(runs)
    assert int(row["replicate"]) == 2  # |31 - 30| + |50 - 51| = 2, the smallest


def test_representative_run_of_a_siege_that_never_falls_is_one_that_did_not_fall():
    runs = pd.DataFrame({"replicate": range(3), "seed": range(3), "encirclement_day": [None, None, 12.0],
                         "objective_fall_day": [None, None, 20.0], "supply_auc": [0.9, 0.8, 0.2]})
    assert int(representative(runs)["replicate"]) in (0, 1)


def test_scores_text_stars_the_reference_only_when_it_is_there():
    row = {"rank": 1, "scenario": "tiny", "runs": 2, "encirclement_day_median": 4.0, "encirclement_day_p05": 4.0,
           "encirclement_day_p95": 4.0, "supply_auc_median": 0.2, "supply_auc_p05": 0.2, "supply_auc_p95": 0.2,
           "fall_day_median": 9.0, "fall_day_p05": 9.0, "fall_day_p95": 9.0, "fall_share": 1.0,
           "fall_day_censored_median": 9.0, "fall_day_censored_p05": 9.0, "fall_day_censored_p95": 9.0,
           "battle_days_median": 2.0, "battle_days_p05": 2.0, "battle_days_p95": 2.0}
    assert "* =" not in scores_text([row])
    assert "* = tiny" in scores_text([row], reference="tiny")


def test_a_scenario_is_labelled_by_the_last_question_its_description_asks():
    late = load_scenario(ROOT / "scenarios" / "counterfactuals" / "hezbollah_late.yaml")
    assert question_of(late) == ("Does a late second jaw still close the ring in time, or do the rebels use the "
                                 "three weeks?")
    assert question_of(load_scenario(ROOT / "scenarios" / "historical.yaml")) == ""  # it asks nothing

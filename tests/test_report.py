"""The after-action report (``run.py report DIR``), built from a run folder and from a compare store as a user would,
then opened in headless Chromium: no errors, every picture shown, every section there, nothing fetched from
elsewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_tiny

pytestmark = pytest.mark.e2e  # run.py in a subprocess, the report opened in a browser

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["Summary", "Encirclement progress", "The theatre", "Turning points", "The run's story"]


def run_py(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def run_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    assert run_py("run", "scenarios/historical.yaml", "--seed", "3", "--out", folder).returncode == 0
    made = run_py("report", folder)
    assert made.returncode == 0, made.stderr
    assert f"Wrote {folder / 'report.html'}" in made.stdout
    return folder


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison of the tiny theatre with a variant that lacks its second brigade, 3 replicates each."""

    where = tmp_path_factory.mktemp("vale")
    tiny = write_tiny(where)
    thin = where / "thin.yaml"
    thin.write_text("extends: tiny.yaml\nname: Thin\nremove_formations: [blue_rifles]\n", encoding="utf-8")
    folder = where / "cmp"
    ran = run_py("compare", tiny, thin, "--runs", "3", "--workers", "1", "--out", folder)
    assert ran.returncode == 0, ran.stderr
    made = run_py("report", folder, "--no-animation")
    assert made.returncode == 0, made.stderr
    return folder


def _open(page, path: Path, shot: Path) -> dict:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    info = page.evaluate("""() => ({
        images: Array.from(document.images).map(i => ({src: i.src.slice(0, 22), ok: i.complete && i.naturalWidth > 0,
                                                      width: i.naturalWidth})),
        headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
        text: document.body.innerText,
    })""")
    page.screenshot(path=shot, full_page=True)
    return info


def test_run_report_opens_without_errors_and_shows_its_pictures(run_report, chromium_page):
    info = _open(chromium_page, run_report / "report.html", run_report / "screenshot.png")
    assert chromium_page.console_errors == []
    images = info["images"]
    assert len(images) == 4  # progress, two maps, animation
    assert all(i["ok"] and i["width"] >= 900 for i in images), images
    assert {i["src"][:15] for i in images} == {"data:image/png;", "data:image/gif;"}
    for section in SECTIONS:
        assert any(h.startswith(section) for h in info["headings"]), section
    assert "al-Qusayr fell on 5 June 2013" in info["text"]  # history beside the run
    assert (run_report / "screenshot.png").stat().st_size > 50_000


def test_run_report_is_self_contained_and_tells_the_runs_story(run_report):
    page = (run_report / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # nothing loaded from anywhere else
    summary = pd.read_json(run_report / "summary.json", typ="series")
    events = pd.read_csv(run_report / "events.csv")
    first_capture = events[events["kind"] == "capture"].iloc[0]
    assert first_capture["place"] and "taken by" in page
    assert f"day {summary['encirclement_day']:g}" in page
    for name in ("progress.png", "map-cut.png", "map-end.png", "campaign.gif"):
        assert (run_report / "img" / name).stat().st_size > 10_000


def test_compare_report_shows_the_scores_and_the_comparison(compare_report, chromium_page):
    info = _open(chromium_page, compare_report / "report.html", compare_report / "screenshot.png")
    assert chromium_page.console_errors == []
    assert len(info["images"]) == 4  # distributions, progress, two maps (no animation asked)
    assert all(i["ok"] for i in info["images"])
    assert "Scenarios compared" in info["headings"]
    runs = pd.read_parquet(compare_report / "runs.parquet")
    for name in runs["scenario"].unique():
        assert name in info["text"]
    assert "Over all 3 runs of tiny" in info["text"]  # the reference (first) scenario's turning points


def test_report_of_a_folder_without_records_is_a_one_line_error(tmp_path):
    made = run_py("report", tmp_path)
    assert made.returncode == 2
    assert made.stderr.strip().count("\n") == 0 and "summary.json" in made.stderr and "Traceback" not in made.stderr


def test_report_needs_the_scenario_file_of_a_scenario_it_cannot_find(tmp_path):

    tiny = write_tiny(tmp_path / "vale")
    assert run_py("run", tiny, "--seed", "1", "--out", tmp_path / "run").returncode == 0
    made = run_py("report", tmp_path / "run", "--no-animation")
    assert made.returncode == 2 and "--scenario" in made.stderr
    made = run_py("report", tmp_path / "run", "--no-animation", "--scenario", tiny)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "run" / "report.html").exists()

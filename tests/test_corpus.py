"""The corpus of bad input (tests/corpus/cases.csv): scenarios, maps, sweep files and saved games. Every bad file is
refused with one line naming the file, the field and the problem, exit 2; a few are accepted with a warning (or are
the good file the others break), exit 0; nothing ever ends in a traceback.

Each row of the table is a file under tests/corpus/, the exit code ``run.py validate FILE`` must give and a fragment
of the message it must print. The table is checked in-process through run.py's own ``validate`` command; a few rows
also go through a real ``run.py`` process.
"""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"


def _cases() -> list[tuple[str, int, str]]:
    with open(CORPUS / "cases.csv", newline="", encoding="utf-8") as handle:
        return [(row["file"], int(row["exit"]), row["fragment"]) for row in csv.DictReader(handle)]


CASES = _cases()
_spec = importlib.util.spec_from_file_location("run_cli", ROOT / "run.py")
assert _spec is not None and _spec.loader is not None
run_cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_cli)


def assert_reported(code: int, out: str, err: str, expected: int, fragment: str, file: str) -> None:
    """The exit code, the fragment, one line per bad file, no traceback, no raw control character."""
    assert code == expected, (out, err)
    assert "Traceback" not in out + err
    assert all(c.isprintable() or c == "\n" for c in out + err), repr(out + err)
    if expected == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"INVALID {CORPUS}"), err  # the file at fault
        assert fragment in lines[0], lines[0]
    else:
        assert err == ""
        assert out.startswith(f"ok      {CORPUS / file}") and fragment in out, out


def test_the_corpus_is_large_enough() -> None:
    files = [f for f, _, _ in CASES]
    assert sum(f.startswith("scenarios/") for f in files) >= 80
    assert sum(f.startswith("maps/") for f in files) >= 25
    assert sum(f.startswith(("sweeps/", "games/")) for f in files) >= 15
    assert len(set(files)) == len(files)
    assert all((CORPUS / f).is_file() for f in files)


@pytest.mark.parametrize(("file", "expected", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_validate_reports_each_bad_file(file: str, expected: int, fragment: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli.main(["validate", str(CORPUS / file)])
    captured = capsys.readouterr()
    assert_reported(code, captured.out, captured.err, expected, fragment, file)


def test_one_bad_file_does_not_stop_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    files = ["scenarios/base.yaml", *(f for f, code, _ in CASES if code == 2)]
    code = run_cli.main(["validate", *(str(CORPUS / f) for f in files)])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.strip().splitlines()) == len(files) - 1
    assert captured.out.startswith(f"ok      {CORPUS / 'scenarios/base.yaml'}")


E2E = ["scenarios/s006_alias_bomb.yaml", "scenarios/s010_deep_nesting.yaml", "scenarios/s090_map_is_a_folder.yaml",
       "scenarios/c01_two_new_formations_same_id.yaml", "maps/m26_nested_100000_deep.geojson",
       "scenarios/s099_warn_formation_on_enemy_ground.yaml"]


@pytest.mark.e2e
@pytest.mark.parametrize("file", E2E)
def test_validate_in_a_process(file: str) -> None:
    [(expected, fragment)] = [(code, frag) for f, code, frag in CASES if f == file]
    result = subprocess.run([sys.executable, "run.py", "validate", str(CORPUS / file)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert_reported(result.returncode, result.stdout, result.stderr, expected, fragment, file)


@pytest.mark.e2e
def test_run_refuses_what_validate_refuses_and_prints_the_warnings(tmp_path: Path) -> None:
    def run(file: str, out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "run.py", "run", str(CORPUS / file), "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    bad = run("scenarios/s096_objective_cut_off_at_start.yaml", tmp_path / "bad")
    assert bad.returncode == 2 and "has no supply route" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()
    warned = run("scenarios/s099_warn_formation_on_enemy_ground.yaml", tmp_path / "ok")
    assert warned.returncode == 0, warned.stderr
    assert "warning" in warned.stderr and "starts at 'crossroads'" in warned.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["play", "--every", "0", "scenarios/historical.yaml"], "error: --every: must be at least 1"),
    (["play", "--load", "game.yaml", "--every", "-3"], "error: --every: must be at least 1"),
    (["run", "--seed", "-1", "scenarios/historical.yaml"], "error: --seed: must be a non-negative whole number"),
    (["fidelity", "--seed", "-5"], "error: --seed: must be a non-negative whole number"),
])
def test_bad_numbers_in_arguments_exit_2_with_one_line(argv: list[str], message: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err

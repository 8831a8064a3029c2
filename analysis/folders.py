"""Reading result folders back: a run folder (``run.py run``) or a batch/compare store (``run.py batch``/``compare``).

A run folder holds summary.json, events.csv and timeseries.csv. A store holds runs.parquet (one row per run, with
the run's full summary as JSON), timeseries.parquet (every run's daily rows) and manifest.json; a comparison also
scores.csv. Whatever is missing or malformed is an InputError naming the file and the field, never a traceback.

The scenario file of a result is the one its records name (``scenario_file``) if they do, else the one found by
name under ``scenarios/`` (or the one given); when the records carry the scenario's SHA-256 (``scenario_sha256``
in summary.json, ``scenarios[].sha256`` in manifest.json) a file whose contents differ is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError
from sim.records import scenario_digest
from sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SUMMARY_FIELDS = ("scenario", "title", "seed", "start_date", "end_date", "days", "objective", "objective_name",
                  "encirclement_day", "objective_fall_day", "supply_auc", "captures", "casualties_by_side",
                  "interdiction")
RUN_COLUMNS = ("scenario", "scenario_file", "design_point", "parameters", "replicate", "seed", "status",
               "supply_auc", "encirclement_day", "objective_fall_day", "summary_json")
SERIES_COLUMNS = ("scenario", "design_point", "replicate", "day", "supply_flow_share", "isolation_share")
EVENT_COLUMNS = ("day", "date", "kind", "place", "side", "formation")


@dataclass
class RunFolder:
    """One run's records."""

    path: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    timeseries: pd.DataFrame


@dataclass
class StoreFolder:
    """A batch or comparison: one row per run, and every run's daily series."""

    path: Path
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    manifest: dict[str, Any]

    def ok_runs(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    def summaries(self, scenario: str) -> list[dict[str, Any]]:
        """The summaries of a scenario's successful runs."""
        rows = self.ok_runs()
        return [json.loads(text) for text in rows.loc[rows["scenario"] == scenario, "summary_json"]]

    def series(self, scenario: str, replicate: int | None = None, design_point: int | None = None) -> pd.DataFrame:
        """A scenario's daily rows (of one replicate and/or design point if given)."""
        ts = self.timeseries[self.timeseries["scenario"] == scenario]
        if replicate is not None:
            ts = ts[ts["replicate"] == replicate]
        if design_point is not None:
            ts = ts[ts["design_point"] == design_point]
        return ts


def read_csv(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    """A CSV written by the engine ("inf" is infinity; an empty control cell is "", not missing)."""
    if not path.exists():
        raise InputError(str(path), "", "is missing")
    table = pd.read_csv(path, keep_default_na=False, na_values={"inf": ["inf"]})
    _require(path, table.columns, needed)
    return table


def _require(path: Path, have: Any, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in have]
    if missing:
        raise InputError(str(path), ", ".join(missing), "missing: this is not a file the engine wrote")


def _summary(path: Path) -> dict[str, Any]:
    summary = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(summary, dict):
        raise InputError(str(path), "", "must be a JSON object (a run's summary)")
    _require(path, summary, SUMMARY_FIELDS)
    return summary


def _store(folder: Path) -> StoreFolder:
    runs_path, series_path = folder / "runs.parquet", folder / "timeseries.parquet"
    runs = pd.read_parquet(runs_path)
    _require(runs_path, runs.columns, RUN_COLUMNS)
    if not series_path.exists():
        raise InputError(str(series_path), "", "is missing (runs.parquet needs it beside it)")
    series = pd.read_parquet(series_path)
    _require(series_path, series.columns, SERIES_COLUMNS)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    if not isinstance(manifest, dict):
        raise InputError(str(manifest_path), "", "must be a JSON object")
    if not (runs["status"] == "ok").any():
        raise InputError(str(runs_path), "status", "has no successful run to report on")
    bad = [i for i, text in enumerate(runs.loc[runs["status"] == "ok", "summary_json"]) if not _is_summary(text)]
    if bad:
        raise InputError(str(runs_path), "summary_json", f"row {bad[0]} is not a run's summary")
    return StoreFolder(folder, runs, series, manifest)


def _is_summary(text: Any) -> bool:
    try:
        summary = json.loads(text)
    except (TypeError, ValueError):
        return False
    return isinstance(summary, dict) and all(k in summary for k in SUMMARY_FIELDS)


def load_folder(path: str | Path) -> RunFolder | StoreFolder:
    """Read a run folder or a store; InputError if ``path`` is neither, or a file in it is not what it should be."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(str(folder), "", "is not a folder")
    try:
        if (folder / "runs.parquet").exists():
            return _store(folder)
        if (folder / "summary.json").exists():
            return RunFolder(folder, _summary(folder / "summary.json"), read_csv(folder / "events.csv", EVENT_COLUMNS),
                             read_csv(folder / "timeseries.csv", SERIES_COLUMNS[3:]))
    except (OSError, ValueError) as exc:  # unreadable files, bad JSON or Parquet
        raise InputError(str(folder), "", f"cannot be read: {exc}") from None
    raise InputError(str(folder), "", "holds neither a run (summary.json) nor a batch (runs.parquet)")


def scenario_file(name: str, given: str | None = None) -> Path:
    """The scenario file of a run: ``given`` if set, else ``scenarios/**/NAME.yaml``."""
    if given:
        return Path(given)
    found = sorted(SCENARIOS.rglob(f"{name}.yaml"))
    if len(found) != 1:
        problem = "no" if not found else "more than one"
        raise InputError(str(SCENARIOS), name, f"{problem} scenario file named {name}.yaml; pass --scenario FILE")
    return found[0]


def stored_path(text: str) -> Path:
    """A scenario path kept in a store: as written if it exists, else relative to the project."""
    path = Path(text)
    return path if path.is_absolute() or path.exists() else ROOT / path


def checked_scenario(path: Path, recorded_sha256: str | None, record: Path, warn: Any) -> Scenario:
    """Load the scenario at ``path``; refuse it if the records carry a different SHA-256 for it.

    With no recorded hash (records written before hashes were kept) ``warn`` is told the file is used unchecked.
    """
    scenario = load_scenario(str(path))
    if recorded_sha256 is None:
        warn(f"{record} records no scenario_sha256: using {path} without checking it is the file that was run")
    elif scenario_digest(scenario) != recorded_sha256:
        raise InputError(str(record), "scenario_sha256", f"{path} (or a file it extends, or its map) differs from "
                         "the one that was run; pass --scenario with the file that was run")
    return scenario


def recorded_hash(folder: RunFolder | StoreFolder, name: str) -> tuple[str | None, str | None]:
    """The scenario file and SHA-256 the records keep for scenario ``name`` (None where they keep none)."""
    if isinstance(folder, RunFolder):
        return folder.summary.get("scenario_file"), folder.summary.get("scenario_sha256")
    for entry in folder.manifest.get("scenarios", []):
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get("file"), entry.get("sha256")
    return None, None

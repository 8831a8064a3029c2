"""Reading result folders back: a run folder (``run.py run``) or a batch/compare store (``run.py batch``/``compare``).

A run folder holds summary.json, events.csv and timeseries.csv. A store holds runs.parquet (one row per run, with
the run's full summary as JSON), timeseries.parquet (every run's daily rows) and manifest.json; a comparison also
scores.csv. The scenario file of a run folder is found by its name under ``scenarios/`` (or given explicitly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


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


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV written by the engine ("inf" is infinity; an empty control cell is "", not missing)."""
    return pd.read_csv(path, keep_default_na=False, na_values={"inf": ["inf"]})


def load_folder(path: str | Path) -> RunFolder | StoreFolder:
    """Read a run folder or a store; InputError if ``path`` is neither."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(str(folder), "", "is not a folder")
    try:
        if (folder / "runs.parquet").exists():
            runs = pd.read_parquet(folder / "runs.parquet")
            series = folder / "timeseries.parquet"
            if not series.exists():
                raise InputError(str(series), "", "is missing (runs.parquet needs it beside it)")
            manifest_path = folder / "manifest.json"
            manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
            if not (runs["status"] == "ok").any():
                raise InputError(str(folder / "runs.parquet"), "status", "has no successful run to report on")
            return StoreFolder(folder, runs, pd.read_parquet(series), manifest)
        if (folder / "summary.json").exists():
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            return RunFolder(folder, summary, read_csv(folder / "events.csv"), read_csv(folder / "timeseries.csv"))
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

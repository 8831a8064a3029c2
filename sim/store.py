"""The results store of a batch: tidy Parquet tables readable by pandas, written as runs complete.

Layout of a batch folder::

    manifest.json           command, versions, scenario hashes, seeds, design (written first)
    design.parquet          one row per design point: design_point, parameters (JSON), one column per swept parameter
    parts/runs/NNNNNN.parquet, parts/timeseries/NNNNNN.parquet
                            append-only parts, each written atomically (temp file + rename) as runs complete
    runs.parquet            one row per run, consolidated from the parts at the end (atomically)
    timeseries.parquet      the daily series of every run, likewise

Every run has a task number (its place in the batch's canonical order: scenario, design point, replicate), kept
in the parts only. A run stored twice (a failed run retried on resume) keeps its latest part's rows, and the
consolidated tables are sorted by task number, so the final store does not depend on the order runs completed
in, the executor, or interruptions. Memory stays bounded: parts hold at most ``MAX_BUFFER`` runs and
consolidation streams ``RANGE`` runs at a time.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.records import atomic_write_text, make_readable, to_json

KEY_COLUMNS = ["scenario", "design_point", "replicate", "seed"]
RUN_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("scenario", pa.string()), ("scenario_file", pa.string()), ("design_point", pa.int64()),
    ("parameters", pa.string()), ("replicate", pa.int64()), ("seed", pa.int64()),
    ("status", pa.string()), ("error", pa.string()),
    ("objective_fall_day", pa.float64()), ("encirclement_day", pa.float64()), ("supply_auc", pa.float64()),
    ("final_supply_flow_share", pa.float64()), ("days_encirclement_to_fall", pa.float64()),
    ("interdiction_efficiency", pa.float64()), ("captures", pa.int64()),
]
LOSSES = ("killed", "wounded", "captured")
TASK = "task"  # the run's task number, in the parts only
MAX_BUFFER = 256  # runs held before a part is written
FLUSH_SECONDS = 1.0  # a finished run waits at most about this long before it is on disk
RANGE = 256  # runs per consolidation step (and per row group of the final tables)


def run_schema(sides: Sequence[str]) -> pa.Schema:
    """Columns of runs.parquet: keys, status, scores, losses per side, the full summary as JSON."""
    losses = [(f"{what}_{side}", pa.int64()) for side in sides for what in LOSSES]
    return pa.schema(RUN_COLUMNS + losses + [("summary_json", pa.string())])


def timeseries_schema(row_types: Mapping[str, type]) -> pa.Schema:
    """Columns of timeseries.parquet: the run's keys, then every key of the engine's daily rows."""
    arrow = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}
    return pa.schema([("scenario", pa.string()), ("design_point", pa.int64()), ("replicate", pa.int64()),
                      ("seed", pa.int64())] + [(k, arrow[t]) for k, t in row_types.items()])


@dataclass(frozen=True)
class Layout:
    """The shape of a batch: each scenario x each design point x each replicate, in this order."""

    scenarios: tuple[str, ...]
    points: int
    replicates: int

    @property
    def total(self) -> int:
        return len(self.scenarios) * self.points * self.replicates

    def index(self, scenario: str, design_point: int, replicate: int) -> int:
        return (self.scenarios.index(scenario) * self.points + design_point) * self.replicates + replicate

    def indices(self, table: pa.Table) -> np.ndarray:
        """Task numbers of the rows of a table with the key columns."""
        order = {name: i for i, name in enumerate(self.scenarios)}
        scen = np.array([order[s] for s in table.column("scenario").to_pylist()], dtype=np.int64)
        dp = table.column("design_point").to_numpy()
        rep = table.column("replicate").to_numpy()
        return (scen * self.points + dp) * self.replicates + rep


def _remove_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    """Write a Parquet file so that readers see all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        make_readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """A batch folder: append runs as they complete, know which are stored, consolidate at the end."""

    def __init__(self, out: str | Path, layout: Layout, runs: pa.Schema, timeseries: pa.Schema) -> None:
        self.out = Path(out)
        self.layout = layout
        self.schemas = {"runs": runs, "timeseries": timeseries}
        self.parts = {kind: self.out / "parts" / kind for kind in self.schemas}
        self._runs: list[dict[str, Any]] = []
        self._series: dict[str, list[Any]] = {}  # the buffered daily series, column by column
        self._series_rows = 0
        self._since = time.monotonic()
        self._seq = max((self._seq_of(p) for p in self._part_files("runs")), default=-1) + 1

    # ------------------------------------------------------------ writing

    def add(self, task: int, run: dict[str, Any], series: Mapping[str, list[Any]]) -> None:
        """Buffer one finished run (its runs row and its daily series as columns); write a part when enough are
        waiting. Runs of different scenarios may have different columns: the missing ones are left empty (null)."""
        if not self._runs:
            self._since = time.monotonic()
        self._runs.append({**run, TASK: task})
        days = len(next(iter(series.values()), ()))
        if days:
            for name, values in {**series, TASK: [task] * days}.items():
                column = self._series.get(name)
                if column is None:
                    column = self._series[name] = [None] * self._series_rows
                column.extend(values)
            self._series_rows += days
            for column in self._series.values():
                if len(column) < self._series_rows:
                    column.extend([None] * (self._series_rows - len(column)))
        if len(self._runs) >= MAX_BUFFER:
            self.flush()

    def seconds_to_flush(self) -> float | None:
        """How long the oldest buffered run may still wait (None: nothing is waiting)."""
        return None if not self._runs else max(0.0, FLUSH_SECONDS - (time.monotonic() - self._since))

    def flush(self) -> None:
        """Write the buffered runs as one part: the daily series first, then the runs rows that make it count."""
        if not self._runs:
            return
        name = f"{self._seq:06d}.parquet"
        schema = self._part_schema("timeseries")
        empty = [None] * self._series_rows
        series = {field.name: self._series.get(field.name, empty) for field in schema}
        _atomic_parquet(pa.Table.from_pydict(series, schema=schema), self.parts["timeseries"] / name)
        _atomic_parquet(pa.Table.from_pylist(self._runs, schema=self._part_schema("runs")), self.parts["runs"] / name)
        self._seq += 1
        self._runs, self._series, self._series_rows = [], {}, 0

    # ------------------------------------------------------------ reading back

    def _part_schema(self, kind: str) -> pa.Schema:
        return self.schemas[kind].append(pa.field(TASK, pa.int64()))

    @staticmethod
    def _seq_of(path: Path) -> int:
        return int(path.stem)

    def _part_files(self, kind: str) -> list[Path]:
        folder = self.parts[kind]
        return sorted(folder.glob("[0-9]*.parquet"), key=self._seq_of) if folder.is_dir() else []

    def _complete_parts(self) -> list[Path]:
        """Runs parts whose daily series is on disk too (the series is written first)."""
        return [p for p in self._part_files("runs") if (self.parts["timeseries"] / p.name).exists()]

    def _adopt_consolidated(self) -> None:
        """Turn consolidated tables back into parts (resuming a finished batch to retry its failed runs).

        Both tables hold one row group per range of tasks (empty ones too), so row group i of each makes part i.
        """
        paths = {kind: self.out / f"{kind}.parquet" for kind in self.schemas}
        if not paths["runs"].exists():
            return
        files = {kind: pq.ParquetFile(path) for kind, path in paths.items()}
        groups = {kind: f.num_row_groups for kind, f in files.items()}
        if len(set(groups.values())) != 1:
            raise InputError(str(self.out), "runs.parquet", "does not match timeseries.parquet; it was not written "
                             "by this program")
        for group in range(groups["runs"]):
            for kind in ("timeseries", "runs"):
                table = files[kind].read_row_group(group)
                table = table.append_column(TASK, pa.array(self.layout.indices(table), pa.int64()))
                _atomic_parquet(table.cast(self._part_schema(kind)), self.parts[kind] / f"{self._seq:06d}.parquet")
            self._seq += 1
        paths["runs"].unlink()
        paths["timeseries"].unlink()

    def stored(self) -> tuple[np.ndarray, np.ndarray]:
        """Per task: the part holding its latest row (-1: not stored) and whether that run succeeded."""
        self._adopt_consolidated()
        latest = np.full(self.layout.total, -1, dtype=np.int64)
        ok = np.zeros(self.layout.total, dtype=bool)
        for path in self._complete_parts():
            table = pq.read_table(path, columns=[TASK, "status"])
            tasks = table.column(TASK).to_numpy()
            latest[tasks] = self._seq_of(path)
            ok[tasks] = np.asarray(table.column("status").to_pylist()) == "ok"
        return latest, ok

    def _ranges(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.layout.total, RANGE):
            yield start, min(start + RANGE, self.layout.total)

    def consolidate(self) -> None:
        """Write runs.parquet and timeseries.parquet from the parts (sorted by task), then remove the parts."""
        latest, _ = self.stored()
        parts = []
        for path in self._complete_parts():
            tasks = pq.read_table(path, columns=[TASK]).column(TASK).to_numpy()
            parts.append((self._seq_of(path), path.name, int(tasks.min()), int(tasks.max())))
        for kind in ("timeseries", "runs"):
            target = self.out / f"{kind}.parquet"
            fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            try:
                with pq.ParquetWriter(tmp, self.schemas[kind]) as writer:
                    for start, stop in self._ranges():
                        writer.write_table(self._range(kind, parts, latest, start, stop), row_group_size=1 << 30)
                make_readable(tmp)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        for kind, folder in self.parts.items():
            for path in self._part_files(kind):
                path.unlink()
            _remove_empty(folder)
        _remove_empty(self.out / "parts")

    def _range(self, kind: str, parts: list[tuple[int, str, int, int]], latest: np.ndarray,
               start: int, stop: int) -> pa.Table:
        """The rows of tasks start..stop-1 from their latest parts, in task order."""
        pieces = []
        for seq, name, low, high in parts:
            if high < start or low >= stop:
                continue
            table = pq.read_table(self.parts[kind] / name, filters=[(TASK, ">=", start), (TASK, "<", stop)])
            tasks = table.column(TASK).to_numpy()
            pieces.append(table.filter(pa.array(latest[tasks] == seq)))
        table = pa.concat_tables(pieces) if pieces else self._part_schema(kind).empty_table()
        order = np.argsort(table.column(TASK).to_numpy(), kind="stable")
        return table.take(pa.array(order)).drop_columns([TASK]).cast(self.schemas[kind])


# ---------------------------------------------------------------- manifest and design


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, to_json(data))


def read_manifest(out: str | Path) -> dict[str, Any] | None:
    path = Path(out) / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(str(path), "", f"cannot be read: {exc}") from None


def write_design(out: Path, points: Sequence[Mapping[str, float]]) -> None:
    """design.parquet: one row per design point, with its parameters as JSON and one column each."""
    names = list(points[0])
    table = pa.table({"design_point": pa.array(range(len(points)), pa.int64()),
                      "parameters": pa.array([json.dumps(dict(p)) for p in points], pa.string()),
                      **{n: pa.array([p[n] for p in points], pa.float64()) for n in names}})
    _atomic_parquet(table, out / "design.parquet")


def summaries_by_scenario(out: str | Path, scenarios: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The summaries of the successful runs of a consolidated store, per scenario in the given order."""
    table = pq.read_table(Path(out) / "runs.parquet", columns=["scenario", "status", "summary_json"],
                          filters=[("status", "==", "ok")])
    result: dict[str, list[dict[str, Any]]] = {name: [] for name in scenarios}
    for name, text in zip(table.column("scenario").to_pylist(), table.column("summary_json").to_pylist(),
                          strict=True):
        result[name].append(json.loads(text))
    return result

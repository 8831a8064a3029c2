"""The results store of a batch: tidy Parquet tables readable by pandas, written as runs complete.

Layout of a batch folder::

    manifest.json           command, versions, scenario files and hashes, seeds, design (written first)
    design.parquet          one row per design point: design_point, parameters (JSON), one column per swept parameter
    writer.lock             the writer lock (see writer_lock): who is writing this store now
    parts/runs/NNNNNN-WRITER.parquet, parts/timeseries/NNNNNN-WRITER.parquet
                            append-only parts, each written atomically (temp file + rename) as runs complete;
                            NNNNNN orders them, WRITER names the process that wrote them (no writer replaces
                            another's part); a part found damaged is renamed _damaged.NAME and its runs run again
    runs.parquet            one row per run, consolidated from the parts at the end (atomically)
    timeseries.parquet      the daily series of every run, likewise

Every run has a task number (its place in the batch's canonical order: scenario, design point, replicate), kept
in the parts only. A run stored twice (a failed run retried on resume) keeps its latest part's rows, and the
consolidated tables are sorted by task number, so the final store does not depend on the order runs completed
in, the executor, or interruptions. Memory stays bounded: parts hold at most ``MAX_BUFFER`` runs and
consolidation streams ``RANGE`` runs at a time.

One writer at a time: a batch holds an OS lock on writer.lock (fcntl.flock) while it writes, and a second one
(a ``--resume`` started while the batch still runs, say) is refused, told who holds it. The kernel releases the
lock of a killed process, so a killed batch never blocks its ``--resume``.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.records import LOSS_KINDS, atomic_path, atomic_write_text, output_folder, remove_temp_files, to_json

RUN_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("scenario", pa.string()), ("scenario_file", pa.string()), ("design_point", pa.int64()),
    ("parameters", pa.string()), ("replicate", pa.int64()), ("seed", pa.int64()),
    ("status", pa.string()), ("error", pa.string()),
    ("objective_fall_day", pa.float64()), ("encirclement_day", pa.float64()), ("supply_auc", pa.float64()),
    ("final_supply_flow_share", pa.float64()), ("days_encirclement_to_fall", pa.float64()),
    ("interdiction_efficiency", pa.float64()), ("captures", pa.int64()),
    ("objective_first_capture_day", pa.float64()), ("objective_changes_of_hands", pa.int64()),
    ("objective_battle_days", pa.float64()), ("cut_episodes", pa.int64()), ("cut_reconnections", pa.int64()),
    ("captures_unopposed", pa.int64()),
]
TASK = "task"  # the run's task number, in the parts only
MAX_BUFFER = 256  # runs held before a part is written
FLUSH_SECONDS = 1.0  # a finished run waits at most about this long before it is on disk
RANGE = 256  # runs per consolidation step (and per row group of the final tables)
PART_COMPRESSION = "none"  # parts live until consolidation, which reads them back: read about twice as fast
LOCK_FILE = "writer.lock"
SET_ASIDE = "_damaged."  # put before the name of a part that cannot be read (readers of parts/ skip "_" names)


def run_schema(sides: Sequence[str]) -> pa.Schema:
    """Columns of runs.parquet: keys, status, scores, losses per side, the full summary as JSON."""
    losses = [(f"{what}_{side}", pa.int64()) for side in sides for what in LOSS_KINDS]
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

    def indices(self, table: pa.Table) -> np.ndarray:
        """Task numbers of the rows of a table with the key columns."""
        order = {name: i for i, name in enumerate(self.scenarios)}
        scen = np.array([order[s] for s in table.column("scenario").to_pylist()], dtype=np.int64)
        dp = table.column("design_point").to_numpy()
        rep = table.column("replicate").to_numpy()
        return (scen * self.points + dp) * self.replicates + rep


# ---------------------------------------------------------------- folders, disks and the writer lock


def disk_full(exc: BaseException) -> bool:
    """Whether an error is a full disk (or quota); Arrow reports it as an OSError whose text names it."""
    return isinstance(exc, OSError) and (exc.errno in (errno.ENOSPC, errno.EDQUOT)
                                         or "No space left on device" in str(exc))


def _holder(fd: int) -> str:
    """Who the lock file says holds (or last held) the lock, in words; '' when it says nothing."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {data['pid']} on {data['host']}, started {data['started']}" if data else ""
    except (ValueError, KeyError, TypeError):
        return "a writer that is just starting"


@contextmanager
def writer_lock(out: Path) -> Iterator[str]:
    """Hold the store's writer lock for the block; refuse (InputError) when another process holds it.

    The lock file names its holder (pid, host, start time) while held and is emptied on release, so the value
    yielded, the holder it still names when the lock is taken, is a writer that was killed ('' when none was).
    """
    fd = os.open(output_folder(out) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(str(out), "", f"another batch is writing this store ({_holder(fd)}): let it finish, "
                             "or stop it and run with --resume") from None
        except OSError as exc:  # a file system without locks
            raise InputError(str(out), "", f"cannot be locked for writing ({exc.strerror or exc}): choose a folder "
                             "on a local disk") from None
        killed = _holder(fd)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        try:
            yield killed
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


# ---------------------------------------------------------------- the store


def _remove_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _atomic_parquet(table: pa.Table, path: Path, compression: str = "snappy") -> None:
    """Write a Parquet file so that readers see all of it or nothing."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=compression)


def _damaged_part(path: Path, exc: Exception) -> InputError:
    return InputError(str(path), "", f"cannot be read ({exc}); move it away and run the same command with "
                      "--resume (its runs are run again)")


def _damaged_table(path: Path, exc: Exception) -> InputError:
    return InputError(str(path), "", f"cannot be read ({exc}); move runs.parquet and timeseries.parquet away and "
                      "run the same command with --resume (every run is run again)")


@dataclass(frozen=True)
class Part:
    """One part file pair (runs and timeseries) and the tasks its runs rows hold."""

    order: int  # its place among the parts: a later part's rows replace an earlier one's
    name: str
    tasks: np.ndarray
    ok: np.ndarray

    def holds_any(self, start: int, stop: int) -> bool:
        """Whether the part may hold tasks start..stop-1 (its task numbers span them)."""
        return int(self.tasks.min()) < stop and int(self.tasks.max()) >= start


class Store:
    """A batch folder: append runs as they complete, know which are stored, consolidate at the end.

    Open it only while holding the writer lock (writer_lock): it tidies what a killed writer left.
    """

    def __init__(self, out: str | Path, layout: Layout, runs: pa.Schema, timeseries: pa.Schema,
                 warn: Callable[[str], None] | None = None) -> None:
        self.out = Path(out)
        self.layout = layout
        self.schemas = {"runs": runs, "timeseries": timeseries}
        self.parts = {kind: self.out / "parts" / kind for kind in self.schemas}
        self.warn = warn or (lambda _line: None)
        self.writer = secrets.token_hex(4)
        self._runs: list[dict[str, Any]] = []
        self._series: dict[str, list[Any]] = {}  # the buffered daily series, column by column
        self._series_rows = 0
        self._since = time.monotonic()
        for folder in (self.out, *self.parts.values()):
            remove_temp_files(folder)
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

    def _next_name(self) -> str:
        name = f"{self._seq:06d}-{self.writer}.parquet"
        self._seq += 1
        return name

    def flush(self) -> None:
        """Write the buffered runs as one part: the daily series first, then the runs rows that make it count."""
        if not self._runs:
            return
        name = self._next_name()
        schema = self._part_schema("timeseries")
        empty = [None] * self._series_rows
        series = {field.name: self._series.get(field.name, empty) for field in schema}
        _atomic_parquet(pa.Table.from_pydict(series, schema=schema), self.parts["timeseries"] / name, PART_COMPRESSION)
        _atomic_parquet(pa.Table.from_pylist(self._runs, schema=self._part_schema("runs")), self.parts["runs"] / name,
                        PART_COMPRESSION)
        self._runs, self._series, self._series_rows = [], {}, 0

    # ------------------------------------------------------------ reading back

    def _part_schema(self, kind: str) -> pa.Schema:
        return self.schemas[kind].append(pa.field(TASK, pa.int64()))

    @staticmethod
    def _seq_of(path: Path) -> int:
        return int(path.stem.split("-")[0])

    def _part_files(self, kind: str) -> list[Path]:
        folder = self.parts[kind]
        files = folder.glob("[0-9]*.parquet") if folder.is_dir() else ()
        return sorted(files, key=lambda p: (self._seq_of(p), p.name))

    def _read_part(self, path: Path) -> Part | None:
        """A runs part whose daily series is on disk too (the series is written first); None when it is not.

        A part that cannot be read (damaged on disk) is set aside with a warning, and its runs count as not stored.
        """
        series = self.parts["timeseries"] / path.name
        if not series.exists():
            return None
        try:
            pq.read_metadata(series)
            table = pq.read_table(path, columns=[TASK, "status"])
        except (OSError, pa.ArrowException) as exc:
            for damaged in (path, series):
                damaged.rename(damaged.with_name(SET_ASIDE + damaged.name))
            self.warn(f"{path} (or its timeseries part) cannot be read ({exc}): set aside as "
                      f"{SET_ASIDE}{path.name}; its runs will be run again")
            return None
        return Part(-1, path.name, table.column(TASK).to_numpy(),
                    np.asarray(table.column("status").to_pylist()) == "ok")

    def _complete_parts(self) -> list[Part]:
        """The readable, complete parts, oldest first."""
        found = (self._read_part(p) for p in self._part_files("runs"))
        return [Part(i, part.name, part.tasks, part.ok) for i, part in enumerate(p for p in found if p)]

    def _adopt_consolidated(self) -> None:
        """Turn consolidated tables back into parts (resuming a finished batch to retry its failed runs).

        Both tables hold one row group per range of tasks (empty ones too), so row group i of each makes part i.
        """
        paths = {kind: self.out / f"{kind}.parquet" for kind in self.schemas}
        if not paths["runs"].exists():
            return
        try:
            files = {kind: pq.ParquetFile(path) for kind, path in paths.items()}
        except (OSError, pa.ArrowException) as exc:
            raise _damaged_table(paths["runs"], exc) from None
        groups = {kind: f.num_row_groups for kind, f in files.items()}
        if len(set(groups.values())) != 1:
            raise InputError(str(self.out), "runs.parquet", "does not match timeseries.parquet; it was not written "
                             "by this program")
        for group in range(groups["runs"]):
            name = self._next_name()
            for kind in ("timeseries", "runs"):
                try:
                    table = files[kind].read_row_group(group)
                except (OSError, pa.ArrowException) as exc:
                    raise _damaged_table(paths[kind], exc) from None
                table = table.append_column(TASK, pa.array(self.layout.indices(table), pa.int64()))
                _atomic_parquet(table.cast(self._part_schema(kind)), self.parts[kind] / name)
        paths["runs"].unlink()
        paths["timeseries"].unlink()

    def stored(self) -> tuple[np.ndarray, np.ndarray]:
        """Per task: the part holding its latest row (-1: not stored) and whether that run succeeded."""
        return self._stored(self._parts_now())

    def _parts_now(self) -> list[Part]:
        self._adopt_consolidated()
        return self._complete_parts()

    def _stored(self, parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
        latest = np.full(self.layout.total, -1, dtype=np.int64)
        ok = np.zeros(self.layout.total, dtype=bool)
        for part in parts:
            latest[part.tasks] = part.order
            ok[part.tasks] = part.ok
        return latest, ok

    def _ranges(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.layout.total, RANGE):
            yield start, min(start + RANGE, self.layout.total)

    def consolidate(self) -> None:
        """Write runs.parquet and timeseries.parquet from the parts (sorted by task), then remove the parts read."""
        parts = self._parts_now()
        latest, _ = self._stored(parts)
        for kind in ("timeseries", "runs"):
            kept: dict[str, pa.Table] = {}  # parts read for one range that hold tasks of a later one too
            with atomic_path(self.out / f"{kind}.parquet") as tmp, pq.ParquetWriter(tmp, self.schemas[kind]) as writer:
                for start, stop in self._ranges():
                    writer.write_table(self._range(kind, parts, latest, start, stop, kept), row_group_size=1 << 30)
        for part in parts:
            for folder in self.parts.values():
                (folder / part.name).unlink(missing_ok=True)
        for folder in self.parts.values():
            _remove_empty(folder)
        _remove_empty(self.out / "parts")

    def _range(self, kind: str, parts: list[Part], latest: np.ndarray, start: int, stop: int,
               kept: dict[str, pa.Table]) -> pa.Table:
        """The rows of tasks start..stop-1 from their latest parts, in task order.

        Each part that may hold some is read whole (it holds at most MAX_BUFFER runs, or RANGE) and filtered here:
        about three times quicker than Parquet's own row filters, which build a dataset for every read. A part that
        holds tasks of a later range too is ``kept`` for it (read once: runs finish about in task order, so a part
        straddles a boundary of ranges, and few are kept at a time)."""
        pieces = []
        for part in parts:
            if not part.holds_any(start, stop):
                continue
            table = kept.pop(part.name, None)
            if table is None:
                path = self.parts[kind] / part.name
                try:
                    table = pq.read_table(path)
                except (OSError, pa.ArrowException) as exc:
                    raise _damaged_part(path, exc) from None
            if part.holds_any(stop, self.layout.total):
                kept[part.name] = table
            tasks = table.column(TASK).to_numpy()
            pieces.append(table.filter(pa.array((tasks >= start) & (tasks < stop) & (latest[tasks] == part.order))))
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

"""Time and peak memory of validating large and hostile files, each in a fresh process (python
benchmarks/bench_loader.py). The files are written to a temporary folder: the shipped historical scenario with
16,000 and 40,000 more formations
(and a child removing half of the 16,000), the largest YAML the loader builds before refusing it, an alias bomb,
10 MB of flat YAML and JSON, and JSON nested 100,000 deep. Memory is the peak resident size above that of a process
that has imported the program (Linux)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.errors import InputError  # noqa: E402
from sim.loader import MAX_VALUES  # noqa: E402
from sim.scenario import validate_file  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak resident size (Linux VmHWM, which, unlike ru_maxrss, starts afresh at exec)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status (this benchmark needs Linux)")


def measure(path: Path) -> None:
    """In this (fresh) process: validate one file and print its time, peak memory and outcome."""
    base = peak_rss_mb()
    start = time.perf_counter()
    try:
        validate_file(path)
        outcome = "accepted"
    except InputError as exc:
        outcome = "refused: " + exc.problem[:70]
    seconds = time.perf_counter() - start
    peak = peak_rss_mb() - base
    size = path.stat().st_size / 2**20
    print(f"{path.name:28} {size:6.1f} MiB {seconds:6.1f} s {peak:7.0f} MB  {outcome}", flush=True)


def write_files(folder: Path) -> list[Path]:
    data = yaml.safe_load((ROOT / "scenarios" / "historical.yaml").read_text(encoding="utf-8"))
    data["map"] = str(ROOT / "scenarios" / "maps" / "qusayr.geojson")
    template = next(f for f in data["formations"] if "hold" in f["orders"])
    files = []
    for n in (16_000, 40_000):
        big = dict(data, formations=data["formations"] + [dict(template, id=f"extra{i}") for i in range(n)])
        files.append(folder / f"formations_{n}.yaml")
        files[-1].write_text(yaml.safe_dump(big, sort_keys=False), encoding="utf-8")
    child = {"extends": "formations_16000.yaml", "remove_formations": [f"extra{i}" for i in range(0, 16_000, 2)]}
    files.append(folder / "child_removes_8000.yaml")
    files[-1].write_text(yaml.safe_dump(child), encoding="utf-8")
    near_limit = ",".join(f"p{i}" for i in range(MAX_VALUES - 10))
    bomb = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    texts = {"values_near_the_limit.yaml": f"x: [{near_limit}]\n", "alias_bomb.yaml": "\n".join(bomb) + "\n",
             "flat_10mb.yaml": "[" + ",".join(["1"] * (5 * 2**20 - 2)) + "]",
             "flat_10mb.geojson": json.dumps({"type": "FeatureCollection", "features": [1] * (5 * 2**20 - 40)},
                                             separators=(",", ":")),
             "nested_100000.geojson": "[" * 100_000 + "]" * 100_000}
    for name, text in texts.items():
        files.append(folder / name)
        files[-1].write_text(text, encoding="utf-8")
    return files


def main() -> None:
    if len(sys.argv) == 2:
        measure(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for path in write_files(Path(tmp)):
            subprocess.run([sys.executable, __file__, str(path)], check=True)


if __name__ == "__main__":
    main()

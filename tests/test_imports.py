"""The engine's modules stand alone: each imports in a fresh interpreter (no import cycle holds another up), and
none pulls in the analysis or the front ends (sim/ never imports analysis/ or app/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(f"sim.{p.stem}" for p in (ROOT / "sim").glob("*.py") if p.stem != "__init__")


@pytest.mark.e2e
@pytest.mark.parametrize("module", MODULES)
def test_each_engine_module_imports_alone_and_without_analysis_or_app(module: str) -> None:
    probe = (f"import sys, {module}; "
             "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('analysis', 'app')); "
             "print(','.join(bad))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} imports {done.stdout.strip()}"

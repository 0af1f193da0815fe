"""The package layout keeps its targets (``tools/architecture.py --check``):
at most 7 modules at the root, no import cycle counting imports inside
functions, leaves that import nothing above them, no module over 500 lines,
at most 3 functions over 60 lines."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layout_targets():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "architecture.py"), "--check"],
                         check=False, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_cycle_finder_finds_a_cycle():
    """The check can fail: a graph with a cycle through three modules is reported."""
    spec = importlib.util.spec_from_file_location("architecture", ROOT / "tools" / "architecture.py")
    arch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(arch)
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert arch.cycles(graph) == [["a", "b", "c"]]
    assert arch.layering({"adcompiler.runtime.core": {"adcompiler.pipeline"}}) == \
        [("adcompiler.runtime.core", "adcompiler.pipeline")]

"""Shared helpers for the command-line tests.

``run_cli`` runs ``adcompiler.cli.main`` in-process and returns
``(status, stdout, stderr)``; ``run_process`` runs ``python -m adcompiler`` in
a fresh interpreter for the end-to-end checks (exit status, no traceback).
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from adcompiler.testing import fd

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
DATA = os.path.join(TESTS, "cli", "data")


def run_cli(*argv: str) -> tuple[int, str, str]:
    from adcompiler.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main(list(argv), out=out)
    return status, out.getvalue(), err.getvalue()


def run_process(*argv: str, cwd: str = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "adcompiler", *argv], check=False, cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    return ROOT


def emit_module(tmp_path, *argv: str) -> dict:
    """``adcompiler emit ARGV -o FILE`` and the namespace of FILE imported (status 0 required)."""
    import importlib.util
    import zlib
    path = tmp_path / f"emitted_{zlib.crc32(chr(0).join(argv).encode()):08x}.py"
    status, _, err = run_cli("emit", *argv, "-o", str(path))
    assert status == 0, err
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return vars(mod)


def central_difference(func, x, h: float = 1e-6) -> float:
    """d/dt func(x + t) at t = 0 for a float x (fourth order)."""
    return fd.derivative(lambda t: func(x + t), h, order=4)


def fd_gradient(objective, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of ``objective(x)`` (a float) by fourth-order central differences, element by element."""
    return fd.gradient(lambda vs: objective(vs[0]), [x], [0], h, order=4)[0]

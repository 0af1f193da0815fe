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

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
DATA = os.path.join(TESTS, "cli", "data")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


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

"""Every gallery script runs at its small size and writes its figure.

Each script in ``examples/`` listed below is run in a fresh interpreter with
``ADCOMPILER_EXAMPLES_SMALL=1`` and ``ADCOMPILER_FIGURES`` pointing at a
temporary folder; the test checks the exit status and that the figure is a
non-empty PNG. The seed scripts, which write no figure, run too.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

#: script -> the figure it writes
GALLERY = {
    "heat_inverse.py": "heat_inverse.png",
    "rk4_sensitivity.py": "rk4_sensitivity.png",
    "mlp_out.py": "mlp_out.png",
    "tapes.py": "tapes.png",
    "check_kernel.py": "check_kernel.png",
}


def _run(script: str, figures: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ADCOMPILER_EXAMPLES_SMALL="1", ADCOMPILER_FIGURES=figures, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("script", sorted(GALLERY))
def test_gallery_script_writes_its_figure(script, tmp_path):
    proc = _run(script, str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figure = tmp_path / GALLERY[script]
    assert figure.exists(), proc.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000


@pytest.mark.parametrize("script", ["seed.py", "seed_tapes.py"])
def test_seed_scripts_run(script, tmp_path):
    proc = _run(script, str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_gallery_script_is_tested():
    scripts = {f for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_")}
    assert scripts == set(GALLERY) | {"seed.py", "seed_tapes.py"}

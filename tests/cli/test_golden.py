"""Golden tests: the emitted source of representative functions, byte for byte.

Each file under ``tests/golden/emitted/`` holds what ``adcompiler emit`` printed for
one command line (run from the repository root). A change in the generated
code shows up here as a diff to review. After reviewing, regenerate with

    ADCOMPILER_UPDATE_GOLDEN=1 python -m pytest tests/cli/test_golden.py

Every golden module is also compiled, so a golden file is always valid Python.
"""
from __future__ import annotations

import difflib
import os

import pytest

from .conftest import ROOT, run_cli

GOLDEN_DIR = os.path.join(ROOT, "tests", "golden", "emitted")
LANG = "tests/catalogue_lang.py"
NUMPY = "tests/catalogue_numpy.py"
KERNELS = "tests/cli/data/cli_kernels.py"
DEFAULTS = "tests/cli/data/defaults_indices.py"

# name -> emit arguments: a dozen functions covering the constructs and activities
GOLDEN = {
    "seed": ["examples/seed.py:f_"],
    "seed_add_out": [f"{LANG}:seed_add_out"],
    "aug_slice_scalar_active": [f"{LANG}:aug_slice_scalar", "--active", "c"],
    "recurrence": [f"{LANG}:recurrence"],
    "heat_const_steps": [f"{LANG}:heat", "--const", "c,steps"],
    "if_elif_else": [f"{LANG}:if_elif_else"],
    "while_data": [f"{LANG}:while_data"],
    "calls_mutating": [f"{LANG}:calls_mutating", "--active", "c"],
    "float_return": [f"{LANG}:float_return", "--const", "b"],
    "reduce_keepdims": [f"{NUMPY}:reduce_keepdims", "--shape", "B=3,4", "--shape", "A=3,4"],
    "dot_matmul": [f"{NUMPY}:dot_matmul", "--shape", "s=3", "--shape", "A=3,4", "--shape", "x=4",
                   "--shape", "y=3"],
    "relax_hints_constants": [f"{KERNELS}:relax"],
    "blend_default": [f"{KERNELS}:blend"],
    "seed_forward": ["examples/seed.py:f_", "--mode", "forward"],
    "seed_dump_normalize": ["examples/seed.py:f_", "--dump-after", "normalize"],
    "march_defaults": [f"{DEFAULTS}:march", "--const", "dt"],
    "gather_int_index": [f"{DEFAULTS}:gather", "--shape", "idx=3:int64"],
}


def _emit(args: list) -> str:
    status, out, err = run_cli("emit", "--no-color", *args)
    assert status == 0, err
    return out


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name, in_root):
    text = _emit(GOLDEN[name])
    path = os.path.join(GOLDEN_DIR, f"{name}.txt")
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN") == "1":
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    assert os.path.exists(path), f"no golden file {path}; run with ADCOMPILER_UPDATE_GOLDEN=1"
    with open(path, encoding="utf-8") as fh:
        expected = fh.read()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"golden/emitted/{name}.txt", "emitted"))
        pytest.fail(f"emitted source differs from tests/golden/emitted/{name}.txt "
                    f"(review, then regenerate with ADCOMPILER_UPDATE_GOLDEN=1):\n{diff}")
    if "--dump-after" not in GOLDEN[name]:
        compile(text, path, "exec")


def test_no_stale_golden_files():
    files = {f[:-4] for f in os.listdir(GOLDEN_DIR) if f.endswith(".txt")}
    assert files == set(GOLDEN), files ^ set(GOLDEN)

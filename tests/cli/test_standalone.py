"""Emitted modules run without adcompiler and agree with ``autodiff``.

For every (function, activity pattern) of the test catalogue, ``adcompiler
emit`` writes a reverse-mode and a forward-mode module; one fresh interpreter
(``python -I``, adcompiler blocked by an import hook, the repository off
``sys.path``) imports each and calls ``{FUNC}_reverse`` / ``{FUNC}_forward``
on random inputs with random non-zero shadows. The test then runs
``autodiff`` (Reverse / Forward) in this process on copies of the same inputs
and compares the returned values, the shadows and the arguments' final values.
"""
from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import zlib

import numpy as np
import pytest
from catalogue import cases

from adcompiler import (
    Active,
    Const,
    Duplicated,
    DuplicatedNoNeed,
    Forward,
    Reverse,
    autodiff,
)

from .conftest import ROOT, run_cli

FLAGS = {"D": "--dup", "N": "--dup", "C": "--const", "A": "--active"}
MODES = ("reverse", "forward")
# Known core bugs (reproducers in /work/core_bugs/); strict, so a fix shows up.
CORE_BUGS: dict = {}
CASES = [(row, p, mode) for row, p in cases() for mode in MODES]
IDS = [f"{row.name}-{p.replace('>', '_ret')}-{mode}" for row, p, mode in CASES]
PARAMS = [pytest.param(*case, id=i, marks=[pytest.mark.xfail(strict=True, reason=CORE_BUGS[i])]
                       if i in CORE_BUGS else []) for case, i in zip(CASES, IDS)]


def _argv(row, pattern: str, mode: str, path: str, shapes: bool) -> list:
    letters, _, ret = pattern.partition(">")
    code = row.fn.__code__
    argv = ["emit", f"{code.co_filename}:{row.fn.__name__}", "-o", path, "--mode", mode]
    values = row.make(np.random.default_rng(0))
    for name, letter, v in zip(code.co_varnames[:code.co_argcount], letters, values):
        argv += [FLAGS[letter], name]
        if shapes and isinstance(v, np.ndarray):
            argv += ["--shape", f"{name}={','.join(map(str, v.shape))}"]
    if ret:
        argv += ["--ret", {"A": "active", "C": "const"}[ret]]
    return argv


def _inputs(row, pattern: str, mode: str):
    """Values and shadows (seeds or tangents; scalar tangents of Active
    arguments in forward mode), deterministic per case."""
    rng = np.random.default_rng(zlib.crc32(f"{row.name}/{pattern}/{mode}".encode()))
    values = list(row.make(rng))
    shadows = {}
    for k, (letter, v) in enumerate(zip(pattern.partition(">")[0], values)):
        if letter in "DN":
            shadows[k] = rng.uniform(0.5, 1.5, v.shape).astype(v.dtype)
        elif letter == "A" and mode == "forward":
            shadows[k] = float(rng.uniform(0.5, 1.5))
    return values, shadows


def _flat(values, shadows) -> list:
    out = []
    for k, v in enumerate(values):
        out.append(v)
        if k in shadows:
            out.append(shadows[k])
    return out


@pytest.fixture(scope="module")
def emitted(tmp_path_factory):
    """Emit every case, run them all in one isolated interpreter; per-case results."""
    tmp = tmp_path_factory.mktemp("emitted")
    todo, status, needed_shapes = {}, {}, []
    for i, (row, pattern, mode) in enumerate(CASES):
        path = str(tmp / f"case_{i}.py")
        rc, _, err = run_cli(*_argv(row, pattern, mode, path, shapes=False))
        if rc == 2 and ("shapes" in err or "--shape" in err):
            # The rank-generic code cannot be built; the ranks given with --shape settle it.
            needed_shapes.append(IDS[i])
            rc, _, err = run_cli(*_argv(row, pattern, mode, path, shapes=True))
        status[IDS[i]] = (rc, err)
        if rc == 0:
            values, shadows = _inputs(row, pattern, mode)
            todo[IDS[i]] = (path, f"{row.fn.__name__}_{mode}", _flat(values, shadows), {})
    with open(tmp / "cases.pkl", "wb") as fh:
        pickle.dump(todo, fh)
    driver = os.path.join(os.path.dirname(__file__), "isolated_driver.py")
    proc = subprocess.run([sys.executable, "-I", driver, str(tmp / "cases.pkl"), str(tmp / "results.pkl"), ROOT],
                          check=False, cwd=str(tmp), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(tmp / "results.pkl", "rb") as fh:
        results = pickle.load(fh)
    return status, results, needed_shapes


def test_isolation_really_blocks_adcompiler(emitted):
    _, results, _ = emitted
    assert results["__modules__"] == []


def test_nearly_all_cases_emit(emitted):
    status, _, needed_shapes = emitted
    failed = {k: err for k, (rc, err) in status.items() if rc != 0}
    assert not failed, failed
    # Most of the catalogue needs no rank information at all.
    assert len(needed_shapes) <= len(CASES) // 10, needed_shapes


def _returns_float(row) -> bool:
    r = row.fn(*copy.deepcopy(row.make(np.random.default_rng(0))))
    return isinstance(r, (float, np.floating))


def _reference(row, pattern: str, mode: str, values: list, shadows: dict):
    """``autodiff`` on the same inputs; shadows are updated in place."""
    letters, _, ret = pattern.partition(">")
    annots = []
    for k, (letter, v) in enumerate(zip(letters, values)):
        if k in shadows:
            cls = DuplicatedNoNeed if letter == "N" else Duplicated
            annots.append(cls(v, shadows[k]))
        else:
            annots.append(Active(v) if letter == "A" else Const(v))
    differentiated = ret == "A" or (not ret and _returns_float(row))
    if mode == "reverse":
        derivs = autodiff(Reverse, row.fn, Active if differentiated else Const, *annots)
        return tuple(d for d, letter in zip(derivs, letters) if letter == "A")
    out = autodiff(Forward, row.fn, Duplicated if differentiated else Const, *annots)
    return out[0] if out else None


@pytest.mark.parametrize("row,pattern,mode", PARAMS)
def test_emitted_matches_autodiff(emitted, row, pattern, mode):
    status, results, _ = emitted
    key = f"{row.name}-{pattern.replace('>', '_ret')}-{mode}"
    assert status[key][0] == 0, status[key][1]
    outcome = results[key]
    assert outcome[0] == "ok", outcome[1]
    _, returned, after = outcome

    values, shadows = copy.deepcopy(_inputs(row, pattern, mode))
    expected = _reference(row, pattern, mode, values, shadows)
    if mode == "reverse":
        assert isinstance(returned, tuple) and len(returned) == len(expected), (returned, expected)
    if expected is None:
        assert returned is None
    else:
        np.testing.assert_allclose(np.array(returned, dtype=float), np.array(expected, dtype=float),
                                   rtol=1e-9, atol=1e-12)
    ref_flat = _flat(values, shadows)
    letters = pattern.partition(">")[0]
    pos = 0
    for k, letter in enumerate(letters):
        if letter != "N" and isinstance(values[k], np.ndarray):
            np.testing.assert_allclose(after[pos], ref_flat[pos], rtol=1e-9, atol=1e-12,
                                       err_msg=f"final value of argument {k}")
        pos += 1
        if k in shadows:
            np.testing.assert_allclose(after[pos], ref_flat[pos], rtol=1e-9, atol=1e-12,
                                       err_msg=f"shadow of argument {k}")
            pos += 1

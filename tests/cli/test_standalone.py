"""Emitted modules run without adcompiler and agree with ``autodiff``.

For every (function, activity pattern) of the test catalogue, ``adcompiler
emit`` writes a module; one fresh interpreter (``python -I``, adcompiler
blocked by an import hook, the repository off ``sys.path``) imports each and
calls ``{FUNC}_reverse`` on random inputs with random pre-filled shadows. The
test then runs ``autodiff`` in this process on copies of the same inputs and
compares the returned derivatives, the shadows and the arguments' final values.
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

from adcompiler import Active, Const, Duplicated, DuplicatedNoNeed, Reverse, autodiff

from .conftest import ROOT, run_cli

FLAGS = {"D": "--dup", "N": "--dup", "C": "--const", "A": "--active"}
CASES = [(row, p) for row, p in cases()]
IDS = [f"{row.name}-{p.replace('>', '_ret')}" for row, p in CASES]


def _argv(row, pattern: str, path: str, shapes: bool) -> list:
    letters, _, ret = pattern.partition(">")
    code = row.fn.__code__
    argv = ["emit", f"{code.co_filename}:{row.fn.__name__}", "-o", path]
    values = row.make(np.random.default_rng(0))
    for name, letter, v in zip(code.co_varnames[:code.co_argcount], letters, values):
        argv += [FLAGS[letter], name]
        if shapes and isinstance(v, np.ndarray):
            argv += ["--shape", f"{name}={','.join(map(str, v.shape))}"]
    if ret:
        argv += ["--ret", {"A": "active", "C": "const"}[ret]]
    return argv


def _inputs(row, pattern: str):
    """Values and pre-filled shadows, deterministic per case."""
    rng = np.random.default_rng(zlib.crc32(f"{row.name}/{pattern}".encode()))
    values = list(row.make(rng))
    shadows = {}
    for k, (letter, v) in enumerate(zip(pattern.partition(">")[0], values)):
        if letter in "DN":
            shadows[k] = rng.uniform(0.5, 1.5, v.shape).astype(v.dtype)
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
    for i, (row, pattern) in enumerate(CASES):
        path = str(tmp / f"case_{i}.py")
        rc, _, err = run_cli(*_argv(row, pattern, path, shapes=False))
        if rc == 2 and "shapes" in err:
            # The rank-generic code cannot be built; the ranks given with --shape settle it.
            needed_shapes.append(IDS[i])
            rc, _, err = run_cli(*_argv(row, pattern, path, shapes=True))
        status[IDS[i]] = (rc, err)
        if rc == 0:
            values, shadows = _inputs(row, pattern)
            todo[IDS[i]] = (path, f"{row.fn.__name__}_reverse", _flat(values, shadows), {})
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


@pytest.mark.parametrize("row,pattern", CASES, ids=IDS)
def test_emitted_matches_autodiff(emitted, row, pattern):
    status, results, _ = emitted
    key = f"{row.name}-{pattern.replace('>', '_ret')}"
    assert status[key][0] == 0, status[key][1]
    outcome = results[key]
    assert outcome[0] == "ok", outcome[1]
    _, returned, after = outcome

    values, shadows = _inputs(row, pattern)
    values, shadows = copy.deepcopy(values), copy.deepcopy(shadows)
    letters, _, ret = pattern.partition(">")
    annots = []
    for k, (letter, v) in enumerate(zip(letters, values)):
        if letter == "D":
            annots.append(Duplicated(v, shadows[k]))
        elif letter == "N":
            annots.append(DuplicatedNoNeed(v, shadows[k]))
        elif letter == "A":
            annots.append(Active(v))
        else:
            annots.append(Const(v))
    if ret:
        ret_act = Active if ret == "A" else Const
    else:
        r = row.fn(*copy.deepcopy(row.make(np.random.default_rng(zlib.crc32(f"{row.name}/{pattern}".encode())))))
        ret_act = Active if isinstance(r, (float, np.floating)) else Const
    ref = autodiff(Reverse, row.fn, ret_act, *annots)

    expected = tuple(d for d, letter in zip(ref, letters) if letter == "A")
    assert isinstance(returned, tuple) and len(returned) == len(expected), (returned, expected)
    np.testing.assert_allclose(np.array(returned, dtype=float), np.array(expected, dtype=float),
                               rtol=1e-9, atol=1e-12)
    ref_flat = _flat(values, shadows)
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

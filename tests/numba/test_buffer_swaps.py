"""Double buffers under numba: ``u, v = v, u`` in a time loop (and rotations of
three) rebinds array names whose shadows the reverse sweep restores. The typed
tape holds values, so numba refused them ("the reverse sweep restores the shadow
... of an array name bound more than once") and ``auto`` ran the element loops
in Python. In the fused function (the tape never leaves it) each such shadow is
now kept by reference on a list of its own; the split halves, whose tape
crosses calls, still refuse, and ``auto`` falls back there. Against the numpy
backend (every final array and shadow, the primal's return) and finite
differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
    autodiff_thunk,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def nonlinear_swap(u, steps):
    v = np.zeros_like(u)
    for _ in range(steps):
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + 0.1 * (u[i - 1] * u[i + 1] - np.sin(u[i]))
        v[0] = u[0] ** 2
        v[-1] = u[-1]
        u, v = v, u
    return np.sum(u ** 2) + np.sum(v ** 3)


def rotate_three(a, steps):
    b = np.zeros_like(a)
    c = np.zeros_like(a)
    for _ in range(steps):
        for i in range(1, a.shape[0] - 1):
            c[i] = 2 * b[i] - a[i] + 0.1 * (b[i - 1] - 2 * b[i] + b[i + 1]) + 0.05 * a[i] ** 2
        a, b, c = b, c, a
    return np.sum(b * b) + np.sum(a)


def swap_arguments(u, v, steps):
    for _ in range(steps):
        for i in range(u.shape[0]):
            v[i] = np.tanh(u[i]) + 0.5 * v[i]
        u, v = v, u
    return np.sum(u * v)


def jacobi_2d(u, f, steps):
    v = u.copy()
    n, m = u.shape
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - f[i, j]) \
                    + 0.01 * u[i, j] ** 3
        u, v = v, u
    return np.sum(u ** 2)


R = np.random.default_rng(5)
CASES = [(nonlinear_swap, [R.random(7)], [5]), (nonlinear_swap, [R.random(6)], [0]),
         (rotate_three, [R.random(7)], [4]), (swap_arguments, [R.random(5), R.random(5)], [3]),
         (jacobi_2d, [R.random((5, 6)), R.random((5, 6))], [3])]


def _run(f, arrays, consts, seeds, backend):
    vals = [a.copy() for a in arrays]
    shadows = [s.copy() for s in seeds]
    _, value = autodiff(ReverseWithPrimal, f, Active, *[Duplicated(v, d) for v, d in zip(vals, shadows)],
                             *[Const(c) for c in consts], backend=backend)
    return vals + shadows, value


@pytest.mark.parametrize("f,arrays,consts", CASES, ids=[f"{f.__name__}-{c[0]}" for f, _, c in CASES])
@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_swapped_buffers_compile_and_match_numpy(f, arrays, consts, backend):
    seeds = [R.standard_normal(a.shape) for a in arrays]
    got, got_value = _run(f, arrays, consts, seeds, backend)
    want, want_value = _run(f, arrays, consts, seeds, "numpy")
    np.testing.assert_allclose(got_value, want_value, rtol=1e-12)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    check_grads(f, *[Duplicated(a.copy(), np.zeros_like(a)) for a in arrays], *[Const(c) for c in consts],
                ret=Active)


def test_the_numba_backend_runs_them():
    """Not a fallback: ``backend="numba"`` raises where numba cannot compile, and compiles this."""
    from adcompiler import backend_report
    u = R.random(7)
    autodiff(ReverseWithPrimal, nonlinear_swap, Active, Duplicated(u, np.zeros(7)), Const(3), backend="auto")
    assert backend_report(nonlinear_swap)[-1].backend == "numba"


def test_split_halves_still_refused_and_auto_falls_back():
    u = R.random(7)
    with pytest.raises(BackendError, match=r"test_buffer_swaps\.py:\d+.*the numba backend cannot compile this"):
        autodiff_thunk(ReverseSplitWithPrimal, nonlinear_swap, Active, Duplicated, Const, backend="numba")[0](
            Duplicated(u.copy(), np.zeros(7)), Const(3))
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, nonlinear_swap, Active, Duplicated, Const, backend="auto")
    x, dx = u.copy(), np.zeros(7)
    tape, _ = fwd(Duplicated(x, np.zeros(7)), Const(3))
    rev(Duplicated(x, dx), Const(3), 1.0, tape)
    want = np.zeros(7)
    autodiff(ReverseWithPrimal, nonlinear_swap, Active, Duplicated(u.copy(), want), Const(3))
    np.testing.assert_allclose(dx, want, rtol=1e-12)


def test_emitted_numba_module_has_the_fused_function_without_the_halves(tmp_path):
    """``emit --target numba`` of a double buffer wrote nothing (the split halves are refused);
    it writes the fused function now, its docstring saying why the halves are not there."""
    import importlib.util
    import inspect
    import subprocess
    src = tmp_path / "swaps_src.py"
    src.write_text("import numpy as np\n\n\n" + inspect.getsource(swap_arguments))
    out = tmp_path / "swaps_numba.py"
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "swaps_src.py:swap_arguments", "--target",
                          "numba", "--shape", "u=5", "--shape", "v=5", "--const", "steps", "--shape", "steps=:int64",
                          "-o", str(out)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "def swap_arguments_fwd" not in text and "are not in this module" in text
    spec = importlib.util.spec_from_file_location("swaps_numba", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    u, v = R.random(5), R.random(5)
    seeds = [R.standard_normal(5), R.standard_normal(5)]
    got = [u.copy(), v.copy(), seeds[0].copy(), seeds[1].copy()]
    mod.swap_arguments_reverse(got[0], got[2], got[1], got[3], 3, dret=1.0)
    want = [u.copy(), v.copy(), seeds[0].copy(), seeds[1].copy()]
    autodiff(ReverseWithPrimal, swap_arguments, Active, Duplicated(want[0], want[2]), Duplicated(want[1], want[3]),
             Const(3))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)

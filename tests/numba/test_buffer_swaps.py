"""Double buffers under numba: ``u, v = v, u`` in a time loop (and rotations of
three) rebinds array names whose shadows the reverse sweep restores. The typed
tape holds values, so numba refused them ("the reverse sweep restores the shadow
... of an array name bound more than once") and ``auto`` ran the element loops
in Python. In the fused function (the tape never leaves it) each such shadow is
now kept by reference on a list of its own. In the split halves, whose tape
crosses calls, names that only hold the arguments' arrays record the argument's
position (``backends/numba_roots.py``); a buffer made in the function is still
refused there, and ``auto`` falls back. Against the numpy
backend (every final array and shadow, the primal's return) and finite
differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from numba_engine import Numba
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
    autodiff_thunk,
    backend_report,
    differentiate,
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


def rotate_arguments(a, b, c, steps):
    """Three arguments' names rotated each step."""
    for _ in range(steps):
        for i in range(1, a.shape[0] - 1):
            c[i] = 2.0 * b[i] - a[i] + 0.1 * (b[i - 1] - 2.0 * b[i] + b[i + 1]) * a[i]
        a, b, c = b, c, a
    return np.sum(b * b) + np.sum(a)


def swap_when(u, v, flags):
    """Names swapped on some steps only, and on one step both names bound to one array."""
    for k in range(flags.shape[0]):
        for i in range(u.shape[0]):
            v[i] = np.sin(u[i]) + 0.5 * v[i]
        if flags[k] == 1:
            u, v = v, u
        elif flags[k] == 2:
            v = u
    return np.sum(u * v)


SPLIT = [(swap_arguments, [R.random(5), R.random(5)], [3]), (swap_arguments, [R.random(4), R.random(4)], [0]),
         (rotate_arguments, [R.random(6), R.random(6), R.random(6)], [4]),
         (swap_when, [R.random(5), R.random(5)], [np.array([1, 0, 1, 2, 1, 0])])]


@pytest.mark.parametrize("f,arrays,consts", SPLIT, ids=[f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(SPLIT)])
def test_split_halves_of_swapped_arguments_with_fresh_shadows(f, arrays, consts):
    """Arguments whose names swap: the split halves compile under numba (each name's shadow
    recorded as the argument's position), driven as the tapes drive them (zero shadows to the
    forward half, other shadows holding the seeds to the reverse half)."""
    seeds = [R.standard_normal(a.shape) for a in arrays]
    got = {}
    for backend in ("numpy", "numba"):
        fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, Active, *[Duplicated] * len(arrays),
                                  *[Const] * len(consts), backend=backend)
        vals = [a.copy() for a in arrays]
        tape, value = fwd(*[Duplicated(v, np.zeros_like(v)) for v in vals], *[Const(c) for c in consts])
        shadows = [s.copy() for s in seeds]
        rev(*[Duplicated(v, d) for v, d in zip(vals, shadows)], *[Const(c) for c in consts], 0.7, tape)
        got[backend] = [value, *vals, *shadows]
    for g, w in zip(got["numba"], got["numpy"]):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    check_grads(f, *[Duplicated(a.copy(), np.zeros_like(a)) for a in arrays], *[Const(c) for c in consts],
                ret=Active, mode=ReverseSplitWithPrimal, engine=Numba)


@pytest.mark.parametrize("tape", ["autograd", "torch", "jax"])
def test_differentiate_of_swapped_arguments_under_numba(tape):
    """``differentiate`` (the tapes run the split halves) of a function swapping its arguments'
    names, under numba, against the numpy backend's."""
    require(tape)
    u, v = R.random(5), R.random(5)
    got = {}
    for backend in ("numpy", "numba"):
        pure = differentiate(swap_arguments, scratch=("u", "v"), const=("steps",), backend=backend)
        if tape == "autograd":
            import autograd
            got[backend] = autograd.grad(pure, (0, 1))(u.copy(), v.copy(), 3)
        elif tape == "torch":
            import torch
            tu, tv = (torch.tensor(a, requires_grad=True) for a in (u, v))
            pure(tu, tv, 3).backward()
            got[backend] = (tu.grad.numpy(), tv.grad.numpy())
        else:
            import jax
            jax.config.update("jax_enable_x64", True)
            got[backend] = jax.grad(pure, (0, 1))(jax.numpy.asarray(u), jax.numpy.asarray(v), 3)
    for g, w in zip(got["numba"], got["numpy"]):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12)
    assert [d.backend for d in backend_report(swap_arguments) if d.asked == "numba"][-1] == "numba"


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


def _emit(tmp_path, f, *flags):
    import importlib.util
    import inspect
    import subprocess
    src = tmp_path / f"{f.__name__}_src.py"
    src.write_text("import numpy as np\n\n\n" + inspect.getsource(f))
    out = tmp_path / f"{f.__name__}_numba.py"
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"{src.name}:{f.__name__}", "--target",
                          "numba", *flags, "-o", str(out)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    spec = importlib.util.spec_from_file_location(out.stem, out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return out.read_text(), mod


def test_emitted_numba_module_has_the_fused_function_without_the_halves(tmp_path):
    """``emit --target numba`` of a double buffer made in the function (its shadow a new
    array's, which the typed tape does not carry across the halves) wrote nothing; it writes
    the fused function now, its docstring saying why the halves are not there."""
    text, mod = _emit(tmp_path, nonlinear_swap, "--shape", "u=7", "--const", "steps", "--shape", "steps=:int64")
    assert "def nonlinear_swap_fwd" not in text and "are not in this module" in text
    assert "--target numba" in next(ln for ln in text.splitlines() if ln.startswith("# Generated by:"))   # (it said numpy's)
    u, seed = R.random(7), R.standard_normal(7)
    got = [u.copy(), seed.copy()]
    mod.nonlinear_swap_reverse(got[0], got[1], 3, dret=1.0)
    want, _ = _run(nonlinear_swap, [u], [3], [seed], "numpy")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_emitted_numba_halves_of_swapped_arguments(tmp_path):
    """The split halves of a function swapping two arguments' names compile under numba
    (the forward half records which argument each name's shadow is, an int), and the
    reverse half, given other shadows, adds into them."""
    text, mod = _emit(tmp_path, swap_arguments, "--shape", "u=5", "--shape", "v=5", "--const", "steps",
                      "--shape", "steps=:int64")
    assert "def swap_arguments_fwd" in text
    u, v = R.random(5), R.random(5)
    seeds = [R.standard_normal(5), R.standard_normal(5)]
    x, y = u.copy(), v.copy()
    ret, *tape = mod.swap_arguments_fwd(x, np.zeros(5), y, np.zeros(5), 3, *mod._ad_tape_new())
    du, dv = seeds[0].copy(), seeds[1].copy()
    mod.swap_arguments_rev(x, du, y, dv, 3, 1.0, *tape)
    want, want_value = _run(swap_arguments, [u, v], [3], seeds, "numpy")
    np.testing.assert_allclose(ret, want_value, rtol=1e-12)
    for g, w in zip([x, y, du, dv], want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)

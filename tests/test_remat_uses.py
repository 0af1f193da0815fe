"""Values the reverse sweep recomputes instead of saving (``transform/remat.py``)
read their operands again where they are used: only right where the use runs
after the binding in the same iteration of its loops, and wherever the binding
ran. Each kernel below reads a value where recomputing it would read other
operands (another loop reusing the variable's name, after its loop with the
variable rebound, an iteration later, a branch that skipped the binding): the
gradient was wrong on the numpy and the numba backends."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Duplicated, gradient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import backend_kernels
from backend_kernels import forces


def later_loop_same_name(x):
    s = 0.0
    for i in range(4):
        q = x[i] * 2.0
        s += q
    for i in range(2):
        s += q * x[i]
    return s


def later_loop_math(x):
    s = 0.0
    for i in range(4):
        q = np.exp(x[i])
        s += q
    for i in range(2):
        s += q * x[i]
    return s


def variable_rebound_after_the_loop(x):
    for i in range(4):
        q = x[i] * 2.0
    i = 0
    return q * x[1] + x[i]


def read_after_the_loop(x):
    for i in range(4):
        q = x[i]
    i = 1
    return q * x[i]


def carried_to_the_next_iteration(x):
    s = 0.0
    for i in range(4):
        if i > 0:
            s += q * x[i]  # noqa: F821 (q from the iteration before)
        q = x[i] * x[i]  # noqa: F841
    return s


def skipped_by_a_branch(x):
    s = 0.0
    q = 1.0
    for i in range(4):
        if i % 2 == 0:
            q = math.sqrt(x[i] + 1.0)
        s += q * x[i]
    return s


def same_iteration(x):
    s = 0.0
    for i in range(4):
        q = x[i] * 3.0
        r = np.sqrt(q)
        s += r * x[i] + q
    return s


def bound_in_a_branch_of_the_loop(x):
    s = 0.0
    for i in range(4):
        if i == 0 or x[i] > 0.8:
            q = x[i] * x[i]
        s += q * x[i]
    return s


def break_before_the_binding(x):
    s = 0.0
    for i in range(4):
        if x[i] > 1.0:
            break
        q = np.exp(x[i]) * 3.0
        s += q
    return s * q


def recurrence_from_a_negative_start(s):
    for i in range(-2, 3):
        t = s[i]
        s[i + 1] = t * s[i + 1] + 0.5
    return np.sum(s * s)


KERNELS = [bound_in_a_branch_of_the_loop, break_before_the_binding, recurrence_from_a_negative_start,
           later_loop_same_name, later_loop_math, variable_rebound_after_the_loop, read_after_the_loop,
           carried_to_the_next_iteration, skipped_by_a_branch, same_iteration]
X = np.array([0.7, 0.9, 1.3, 0.4, 1.1])


@pytest.mark.parametrize("f", KERNELS, ids=[f.__name__ for f in KERNELS])
def test_recomputed_values_everywhere(f):
    # (the recurrence writes its argument: no bare differentiate of it)
    out = None if f is recurrence_from_a_negative_start else ()
    check_everywhere(f, Duplicated(X.copy(), np.zeros(5)), out=out, tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("f", KERNELS, ids=[f.__name__ for f in KERNELS])
def test_recomputed_values_under_numba(f):
    from optional import require

    from adcompiler.errors import BackendError
    require("numba")
    want = gradient(f, X.copy())[0]
    try:
        got = gradient(f, X.copy(), backend="numba")[0]
    except BackendError:
        return   # (a value read before its binding: numba cannot type it, refused at the line)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_values_recomputed_once_per_block_everywhere():
    """The reverse sweep recomputes dx, dy, r2 and w (not saved) once in the loop body, not once
    per line whose adjoint reads them (``remat.recomputed_once``); every entry point agrees."""
    import contextlib
    import io

    from everywhere import check_numba_gradient
    from optional import require

    from adcompiler.cli import main
    require("numba")   # (the numba backend recomputes these scalars; the numpy backend saves them)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["emit", f"{backend_kernels.__file__}:forces", "--target", "numba", "--shape", "x=5,2",
                     "--shape", "f=5,2"], out=out) == 0
    src = out.getvalue()
    reverse = src[src.index("def _ad_jit_forces_reverse"):]
    reverse = reverse[:reverse.index("\ndef ", 1)]
    code = [line for line in reverse.splitlines() if not line.strip().startswith("#")]
    assert sum("np.sqrt(r2)" in line for line in code) == 2   # (the primal's, and one in the reverse loop body)
    rng = np.random.default_rng(12)
    x, f = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    args = [Duplicated(x, np.zeros_like(x)), Duplicated(f, np.zeros_like(f))]
    check_everywhere(forces, *args, out=("x", "f"), tapes=("autograd", "jax", "torch"))
    check_numba_gradient(forces_energy, Duplicated(x, np.zeros_like(x)))


def forces_energy(x):
    f = np.zeros_like(x)
    forces(x, f)
    return float(np.sum(f * f))

"""Small arrays built from numbers under the numba backend: a right-hand side
``np.array([y[1], -w * w * y[0]])`` of an RK4 step, boundary padding
``np.r_[0.0, u, 0.0]`` and periodic ghost cells ``np.r_[u[-1], u, u[0]]``.
numba's ``np.expand_dims`` and ``np.atleast_1d`` take no number, and the
adjoint of a number's ``atleast_1d`` was a 0-d array numba cannot add into an
element; these were refused under numba. Each against finite differences
(split mode with fresh shadows included), the numpy backend, and the module
``emit --target numba`` writes."""
import os
import subprocess
import sys

import numpy as np
from numba_engine import Numba
from optional import require

from adcompiler import Active, Const, Duplicated, gradient
from adcompiler.testing import check_grads

require("numba")

HERE = os.path.dirname(os.path.abspath(__file__))


def rhs(y, w):
    return np.array([y[1], -w * w * y[0] - 0.1 * y[1]])


def rk4(y, w, h, n):
    for _ in range(n):
        k1 = rhs(y, w)
        k2 = rhs(y + 0.5 * h * k1, w)
        k3 = rhs(y + 0.5 * h * k2, w)
        k4 = rhs(y + h * k3, w)
        y += h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0] ** 2 + y[1]


def features(y, n):
    out = 0.0
    for _ in range(n):
        v = np.array([np.sin(y[0]), np.cos(y[1]), y[0] * y[1]])
        out += np.sum(v ** 2)
        y[0] += 0.01 * v[2]
    return out


def padded_laplacian(u, out):
    p = np.r_[0.0, u, 0.0]
    out[:] = p[:-2] - 2.0 * p[1:-1] + p[2:]


def ghost_cells(u, steps):
    for _ in range(steps):
        v = np.r_[u[-1], u, u[0]]
        u[:] = u + 0.1 * (v[:-2] - 2.0 * u + v[2:])


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def test_rk4_of_a_small_state():
    args = (_d(np.array([1.0, 0.0])), Active(1.3), Const(0.05), Const(20))
    check_grads(rk4, *args, ret=Active, engine=Numba)
    vals = (np.array([1.0, 0.0]), 1.3, 0.05, 20)
    for got, want in zip(gradient(rk4, *vals, backend="numba"), gradient(rk4, *vals)):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_features_of_numbers():
    check_grads(features, _d(np.array([0.3, 0.4])), Const(10), ret=Active, engine=Numba)


def test_padding_and_ghost_cells():
    check_grads(padded_laplacian, _d(np.linspace(0.3, 1.7, 6)), _d(np.zeros(6)), ret=Const, engine=Numba)
    check_grads(ghost_cells, _d(np.sin(np.linspace(0.0, 3.0, 7))), Const(3), ret=Const, engine=Numba)


def test_emitted_numba_module(tmp_path):
    src = tmp_path / "small.py"
    src.write_text("import numpy as np\n\n\n" + "\n\n".join(
        __import__("inspect").getsource(f) for f in (rhs, rk4)))
    out = tmp_path / "small_numba.py"
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "small.py:rk4", "--target", "numba",
                          "--shape", "y=2", "--active", "w", "--const", "h,n", "--shape", "h=:float64", "--shape", "n=:int64",
                          "-o", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    ns: dict = {"__name__": "small_numba"}
    sys.path.insert(0, str(tmp_path))
    try:
        exec(compile(out.read_text(), str(out), "exec"), ns)  # noqa: S102 - the module just written
    finally:
        sys.path.remove(str(tmp_path))
    y, dy = np.array([1.0, 0.0]), np.zeros(2)
    derivs = ns["rk4_reverse"](y, dy, 1.3, 0.05, 20, 1.0)
    want = gradient(rk4, np.array([1.0, 0.0]), 1.3, 0.05, 20)
    np.testing.assert_allclose(dy, want[0], rtol=1e-12)
    np.testing.assert_allclose(derivs[0], want[1], rtol=1e-12)


def adaptive(y, w, T, dt0):
    """Steps clipped at the end time (``min(dt, T - t)``): a float T and dt0 given to
    ``emit --target numba`` as ``--shape T=:float64``."""
    t, dt = 0.0, dt0
    while t < T:
        dt = min(dt, T - t)
        y += dt * rhs(y, w)
        t += dt
        dt = dt * 1.3
    return y[0]


def test_emitted_numba_module_of_float_constants_given_a_dtype(tmp_path):
    """``--shape T=:float64`` of a Const is the float it is, as ``n=:int64`` is an int (it was a
    0-d array, and numba refused ``min(dt, T - t)``)."""
    src = tmp_path / "adaptive_src.py"
    src.write_text("import numpy as np\n\n\n" + "\n\n".join(
        __import__("inspect").getsource(f) for f in (rhs, adaptive)))
    out = tmp_path / "adaptive_numba.py"
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "adaptive_src.py:adaptive", "--target", "numba",
                          "--shape", "y=2", "--active", "w", "--const", "T,dt0", "--shape", "T=:float64",
                          "--shape", "dt0=:float64", "-o", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    ns: dict = {"__name__": "adaptive_numba"}
    exec(compile(out.read_text(), str(out), "exec"), ns)  # noqa: S102 - the module just written
    dy = np.zeros(2)
    derivs = ns["adaptive_reverse"](np.array([1.0, 0.5]), dy, 1.3, 1.0, 0.1, dret=1.0)
    want = gradient(adaptive, np.array([1.0, 0.5]), 1.3, 1.0, 0.1, wrt=(0, 1))
    np.testing.assert_allclose(dy, want[0], rtol=1e-12)
    np.testing.assert_allclose(derivs[0], want[1], rtol=1e-12)


def rhs_into(y, out):
    out[:] = rhs(y, 1.3) * 2.0


def test_forward_and_vector_mode_under_numba():
    """Forward and vector mode under numba: the tangent of a join's operand without one is
    zeros in the tangent's dtype (``np.result_type``, which numba lacks, refused them)."""
    from adcompiler import BatchDuplicated, Forward, autodiff
    rng = np.random.default_rng(2)
    for f, n in ((padded_laplacian, 6), (rhs_into, 2), (ghost_cells, 7)):
        u, t = rng.standard_normal(n), rng.standard_normal(n)
        extra = (Const(3),) if f is ghost_cells else (Duplicated(np.zeros(n), np.zeros(n)),)
        outs = []
        for backend in ("numba", "numpy"):
            args = [Duplicated(u.copy(), t.copy())] + [
                Duplicated(a.val.copy(), a.dval.copy()) if isinstance(a, Duplicated) else a for a in extra]
            autodiff(Forward, f, Const, *args, backend=backend)
            outs.append([a.dval for a in args if isinstance(a, Duplicated)])
        for got, want in zip(*outs):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        ts = [rng.standard_normal(n) for _ in range(2)]
        batch = [BatchDuplicated(u.copy(), [x.copy() for x in ts])] + (
            [Const(3)] if f is ghost_cells else [BatchDuplicated(np.zeros(n), [np.zeros(n), np.zeros(n)])])
        autodiff(Forward, f, Const, *batch, backend="numba")
        for k, x in enumerate(ts):
            args = [Duplicated(u.copy(), x.copy())] + (
                [Const(3)] if f is ghost_cells else [Duplicated(np.zeros(n), np.zeros(n))])
            autodiff(Forward, f, Const, *args)
            np.testing.assert_allclose(batch[-1 if f is not ghost_cells else 0].dvals[k],
                                       args[-1 if f is not ghost_cells else 0].dval, rtol=1e-12, atol=1e-14)


def squares_of_transpose(A, B):
    T = A.T
    for i in range(B.shape[0]):
        for j in range(B.shape[1]):
            B[i, j] = T[i, j] ** 2


def design_matrix(x, y):
    X = np.c_[x, y ** 2, np.ones_like(x)]
    return np.sum((X @ np.array([1.0, -2.0, 0.5])) ** 2)


def chained(A, B):
    return np.sum(np.tanh(np.linalg.multi_dot([A, B, A.T])))


def test_transposes_columns_and_chains_under_numba():
    """``A.T`` read in a loop (its adjoint's ``_ad_inverse_axes``), ``np.c_`` (a 2-d join's adjoint)
    and ``multi_dot`` (``np.matmul``, which numba has as ``@`` only) compile under numba."""
    rng = np.random.default_rng(6)
    check_grads(squares_of_transpose, _d(rng.standard_normal((2, 3))), _d(np.zeros((3, 2))), ret=Const,
                engine=Numba)
    check_grads(design_matrix, _d(rng.standard_normal(4)), _d(rng.standard_normal(4)), ret=Active, engine=Numba)
    check_grads(chained, _d(rng.standard_normal((3, 3))), _d(rng.standard_normal((3, 3))), ret=Active,
                engine=Numba)

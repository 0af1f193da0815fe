"""Python's scalar arithmetic where numba computes otherwise, found by a search:
``-b`` of a Python bool is -1 (an int) but was typed a bool, and the typed
tape gave back +1 in the reverse sweep (the gradient's sign flipped past the
last step); ``~b`` of a Python bool is -2 or -1 in Python, a logical not
under numba (the primal and the gradient wrong); ``round(x, 2)`` rounds the
decimal value in Python (2.675 to 2.67), as np.round does under numba
(2.68). The first is computed as Python does; the other two are refused at
their line under numba (``~`` of anything but an array or its element: ``in``,
``and``, ``not`` give Python bools too, and a flag hinted ``bool`` is typed an
int), and ``auto`` runs numpy; the emitted numba module refuses it when written. Against the plain function
and finite differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from optional import require

from adcompiler import Active, Duplicated, ReverseWithPrimal, autodiff, gradient
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def negated_flag(x):
    s = 0.0
    for i in range(x.shape[0]):
        b = i > 2
        s += x[i] * (-b)
    return s


def negated_inline(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * -(i > 2) + x[i] ** 2 * -(i == 1)
    return np.sum(y * y)


def inverted_flag(x):
    s = 0.0
    for i in range(x.shape[0]):
        b = i > 2
        s += x[i] * (~b)
    return s


def inverted_const(x, flag):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * ~flag
    return s


def inverted_membership(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (~(i in {0, 5}))
    return s


def inverted_and(x):
    s = 0.0
    for i in range(x.shape[0]):
        if ~(i > 1 and i < 4):
            s += x[i] ** 2
        else:
            s += x[i]
    return s


def rounded_parameter(x, a):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * round(a, 2)
    return s


X = np.arange(1.0, 6.0)


def _primal_and_gradient(f, args, backend):
    vals = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    shadows = [np.zeros_like(v) if isinstance(v, np.ndarray) else None for v in vals]
    from adcompiler import Const
    ann = [Duplicated(v, d) if d is not None else Const(v) for v, d in zip(vals, shadows)]
    _, value = autodiff(ReverseWithPrimal, f, Active, *ann, backend=backend)
    return value, shadows[0]


@pytest.mark.parametrize("f,args", [(negated_flag, (X,)), (negated_inline, (X, np.zeros(5)))],
                         ids=["name", "inline"])
@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_negated_python_bools_are_ints(f, args, backend):
    value, dx = _primal_and_gradient(f, args, backend)
    want_value, want_dx = _primal_and_gradient(f, args, "numpy")
    np.testing.assert_allclose(value, f(*[a.copy() for a in args]), rtol=1e-13)
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-13)
    check_grads(f, *[Duplicated(a.copy(), np.zeros_like(a)) for a in args], ret=Active)


@pytest.mark.parametrize("f,args,construct", [(inverted_flag, (X,), r"~b"), (inverted_const, (X, True), r"~flag"),
                                              (inverted_membership, (X,), r"~\(i in"),
                                              (inverted_and, (X,), r"~\(i > 1 and"),
                                              (rounded_parameter, (X, 2.675), r"round\(a, 2\)")],
                         ids=["invert", "invert const", "invert in", "invert and", "round"])
def test_python_semantics_numba_lacks_refused_and_auto_runs_numpy(f, args, construct):
    with pytest.raises(BackendError, match=r"test_python_scalars\.py:\d+: `.*" + construct + ".*`: the numba backend"):
        _primal_and_gradient(f, args, "numba")
    value, dx = _primal_and_gradient(f, args, "auto")
    np.testing.assert_allclose(value, f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]), rtol=1e-13)
    want = gradient(f, *[a.copy() if isinstance(a, np.ndarray) else a for a in args], wrt=0)[0]
    np.testing.assert_allclose(dx, want, rtol=1e-13)



def test_emitted_numba_module_refuses_inverted_flag(tmp_path):
    import subprocess
    (tmp_path / "inv_flag.py").write_text("import numpy as np\n\n\ndef inv_param(x, flag: bool) -> float:\n"
                                          "    return float(np.sum(x ** 2) * ~flag)\n")
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "inv_flag.py:inv_param", "--target", "numba",
                          "--shape", "x=3"], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and not run.stdout
    assert "inv_flag.py:5" in run.stderr and "`~` of a bool" in run.stderr


POWERED = """import numpy as np


def mean_signed(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i] * -(i > 1)
    y *= x.shape[0] ** -1
"""


def test_emitted_numba_module_computes_int_powers_and_negated_bools_as_python(tmp_path):
    """The emitted numba module goes through the same rewrite: ``x.shape[0] ** -1`` is 1/n
    (it was 0) and ``-(i > 1)`` is -1 on the way back too."""
    import subprocess
    (tmp_path / "powered.py").write_text(POWERED)
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "powered.py:mean_signed", "--target", "numba",
                          "--shape", "y=4", "--shape", "x=4", "--ret", "const", "-o", "powered_nb.py"],
                         check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import powered
        import powered_nb
    finally:
        sys.path.remove(str(tmp_path))
    x, seed = np.array([0.5, 1.5, -2.0, 3.0]), np.array([1.0, -2.0, 0.5, 4.0])
    y, dy, dx = np.zeros(4), seed.copy(), np.zeros(4)
    powered_nb.mean_signed_reverse(y, dy, x.copy(), dx)
    want_y = np.zeros(4)
    powered.mean_signed(want_y, x.copy())
    np.testing.assert_allclose(y, want_y, rtol=1e-14)
    np.testing.assert_allclose(dx, seed * 2 * x * np.where(np.arange(4) > 1, -1.0, 0.0) / 4, rtol=1e-14)


def relax_sweeps(u, nit, w):
    for k in range(nit):
        for i in range(1, u.shape[0] - 1):
            u[i] = (u[i - 1] + u[i + 1]) * 0.5 * w
    return float(np.sum(u * u))


def test_range_of_a_float_is_refused_under_numba():
    # (numba's range ran range(2.5) as two sweeps, where Python raises a TypeError: a result for a call
    # the plain function refuses)
    from adcompiler import Const, Reverse
    u = np.linspace(0.5, 1.5, 5)
    with pytest.raises(BackendError, match="range\\(\\) of a float"):
        autodiff(Reverse, relax_sweeps, Active, Duplicated(u.copy(), np.zeros(5)), Const(2.5), Const(0.9),
                 backend="numba")
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        autodiff(Reverse, relax_sweeps, Active, Duplicated(u.copy(), np.zeros(5)), Const(2.5), Const(0.9),
                 backend="auto")
    got, want = np.zeros(5), np.zeros(5)
    for backend, du in (("numba", got), ("numpy", want)):
        autodiff(Reverse, relax_sweeps, Active, Duplicated(u.copy(), du), Const(2), Const(0.9), backend=backend)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def dtype_limits(y, x, idx):
    t = np.finfo(x.dtype).tiny
    bits = np.finfo(x.dtype).bits
    for i in range(x.shape[0]):
        y[i] = np.sqrt(x[i] * x[i] + np.finfo(y.dtype).eps) * (bits / 64.0) + x[i] * t * (np.iinfo(idx.dtype).max > 9)
    return float(np.sum(y * y))


@pytest.mark.parametrize("mode", ["reverse", "split"])
def test_numbers_of_an_arguments_dtype(mode):
    """``np.finfo(x.dtype).eps`` under numba: the constant of the dtype numba typed, every half."""
    from numba_engine import Numba

    from adcompiler import Const, Reverse, ReverseSplitWithPrimal
    args = (Duplicated(np.zeros(3), np.ones(3)), Duplicated(np.array([0.5, -1.5, 0.3]), np.zeros(3)),
            Const(np.arange(3)))
    check_grads(dtype_limits, *args, ret=Active, mode=Reverse if mode == "reverse" else ReverseSplitWithPrimal,
                engine=Numba)


def mixed_extremes(x, y):
    for i in range(x.shape[0]):
        y[i] = max(i, x[i]) * min(x[i], 1, 0.5 * i) + min(x[i], x[i] * x[i], 0.3)
    return np.sum(y * y)


class _Numba:
    """``check_grads``'s engine: adcompiler under the numba backend."""
    @staticmethod
    def autodiff(*args, **kw):
        return autodiff(*args, backend="numba", **kw)

    @staticmethod
    def autodiff_thunk(*args, **kw):
        from adcompiler import autodiff_thunk
        return autodiff_thunk(*args, backend="numba", **kw)


@pytest.mark.parametrize("mode", ["Reverse", "ReverseWithPrimal", "ReverseSplitWithPrimal"])
def test_max_of_an_int_and_a_float_on_the_typed_tape(mode):
    """``max(i, x[i])`` is an int or a float (Python returns the int where it is larger); the
    typed tape had no stack for it and numba refused the line. numba computes it as a float,
    and the tape keeps it as one: against the numpy backend and finite differences."""
    import adcompiler
    x = np.linspace(-1.0, 2.0, 7) + 0.013   # (the int wins from i = 2 on; no ties)
    value, dx = _primal_and_gradient(mixed_extremes, (x, np.zeros(7)), "numba")
    want_value, want_dx = _primal_and_gradient(mixed_extremes, (x, np.zeros(7)), "numpy")
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-13)
    check_grads(mixed_extremes, Duplicated(x.copy(), np.zeros(7)), Duplicated(np.zeros(7), np.zeros(7)),
                ret=Active, mode=getattr(adcompiler, mode), engine=_Numba)


def exp_series(x):
    s = 0.0
    for i in range(x.shape[0]):
        fact = 1
        acc = 1.0
        for k in range(1, 30):
            fact *= k            # (21! is beyond int64)
            acc += x[i] ** k / fact
        s += acc
    return s


def binomial_sum(x):
    n = x.shape[0] + 66
    c = 1
    s = 0.0
    for k in range(n):
        s += c * x[k % x.shape[0]] ** 2
        c = c * (n - k) // (k + 1)   # (C(69, k) passes int64 near k = 34)
    return s


def shifted_weights(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (1 << 11 * i) * 1e-15   # (1 << 66 at i = 6)
    return s


def small_products(x):
    """Python ints whose products stay in int64: numba computes them."""
    s = 0.0
    stride = 1
    for i in range(x.shape[0]):
        stride *= 3
        s += x[i] * stride + x[i] * (i << 2)
    return s


@pytest.mark.parametrize("f", [exp_series, binomial_sum, shifted_weights])
def test_python_int_products_beyond_int64_refused_and_auto_runs_numpy(f):
    """A Python int multiplied (or shifted) in a loop past int64 wrapped under numba: the primal
    and the gradient wrong, silently (a search). The product raises there; ``auto`` runs numpy."""
    x = np.array([1.5, -0.5, 0.25, 2.0, 1.0, 0.5, -1.0])
    with pytest.raises(BackendError, match="beyond int64"):
        gradient(f, x.copy(), backend="numba")
    value, dx = _primal_and_gradient(f, (x,), "auto")
    np.testing.assert_allclose(value, f(x.copy()), rtol=1e-13)
    np.testing.assert_allclose(dx, gradient(f, x.copy())[0], rtol=1e-13)
    check_grads(f, Duplicated(x.copy(), np.zeros(7)), ret=Active, engine=None)


@pytest.mark.parametrize("mode", ["gradient", "forward"])
def test_python_int_products_within_int64_under_numba(mode):
    x = np.array([1.5, -0.5, 0.25, 2.0])
    if mode == "gradient":
        np.testing.assert_allclose(gradient(small_products, x.copy(), backend="numba")[0],
                                   [3 * 3 ** i + 4 * i for i in range(4)], rtol=1e-14)
    else:
        from adcompiler import Forward
        got = autodiff(Forward, small_products, Duplicated, Duplicated(x.copy(), np.ones(4)), backend="numba")
        assert got[0] == pytest.approx(sum(3 * 3 ** i + 4 * i for i in range(4)), rel=1e-14)


def shifted_out(x, k, n):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (k[i] >> n[i]) + x[i] * (k[i] << n[i]) + x[i] * (1000 >> n[i] - 3)
    return s


def test_shift_counts_of_64_or_more_shift_everything_out():
    """numba's shift count wraps at 64 (``1000 >> 64`` was 1000); Python's and numpy's shift
    everything out (a search)."""
    x, k, n = np.array([1.5, -0.5, 2.0]), np.array([1000, -1000, 7]), np.array([64, 70, 5])
    want = gradient(shifted_out, x.copy(), k, n)[0]
    np.testing.assert_array_equal(want, [0.0, -1.0, 474.0])   # (7 >> 5, 7 << 5, 1000 >> 2)
    np.testing.assert_array_equal(gradient(shifted_out, x.copy(), k, n, backend="numba")[0], want)

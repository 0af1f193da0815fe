"""Values of a narrow dtype made inside a kernel (``np.float32(x[i]) * 3.0``, a local
``np.zeros(n, dtype=np.int32)``): numba computes them in double precision or at 64
bits where numpy keeps single precision or wraps, so the primal and the derivative
differed from the function's, silently (here a branch went the other way). They are
refused under ``backend="numba"`` at the line, ``auto`` falls back to numpy with
numpy's results, and ``emit --target numba`` refuses them."""
import subprocess
import sys

import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Const, Duplicated, Forward, Reverse, ReverseSplitWithPrimal
from adcompiler.errors import BackendError

require("numba")


def scaled_single(y, x):
    for i in range(x.shape[0]):
        v = np.float32(x[i]) * 3.0   # (1/3 in float32 times 3 is exactly 1.0)
        if v <= 1.0:
            y[i] = x[i] * 2.0
        else:
            y[i] = x[i] * x[i]


def local_single(y, x):
    w = np.zeros(x.shape[0], dtype="float32")
    for i in range(x.shape[0]):
        w[i] = x[i]
    for i in range(x.shape[0]):
        if w[i] * 3.0 <= 1.0:
            y[i] = x[i] * 2.0
        else:
            y[i] = x[i] * x[i]


def local_int32(y, x):
    n = x.shape[0]
    k = np.zeros(n, dtype=np.int32)
    for i in range(n):
        k[i] = 1103515245 + i
    for i in range(n):
        j = (k[i] * 3) % n   # (wraps at 32 bits in numpy)
        y[i] = x[j] * (i + 1.0)


BYTE = np.uint8
HALF_WORD = "i2"


def positional_bytes(y, x):
    k = np.zeros(x.shape[0], "u1")   # (the dtype by position: it escaped the check, a search found)
    for i in range(x.shape[0]):
        k[i] = i
        y[i] = x[i] * (k[i] - 1)   # (0 - 1 is 255 in uint8)


def module_dtype(y, x):
    k = np.zeros(x.shape[0], BYTE)
    for i in range(x.shape[0]):
        k[i] = i
        y[i] = x[i] * (k[i] - 1)


def module_dtype_string(y, x):
    k = np.full(x.shape[0], 32767, dtype=HALF_WORD)
    for i in range(x.shape[0]):
        k[i] += i   # (wraps at 16 bits)
        y[i] = x[i] * (k[i] * 1e-4)


CASES = [(scaled_single, np.array([1.0 / 3.0, 0.2])), (local_single, np.array([1.0 / 3.0, 0.2])),
         (local_int32, np.arange(1.0, 8.0)), (positional_bytes, np.arange(1.0, 5.0)),
         (module_dtype, np.arange(1.0, 5.0)), (module_dtype_string, np.arange(1.0, 5.0))]


def _reverse(f, x, backend):
    y, dy, dx = np.zeros_like(x), np.linspace(1.0, 2.0, x.size), np.zeros_like(x)
    ad.autodiff(Reverse, f, Const, Duplicated(y, dy), Duplicated(x.copy(), dx), backend=backend)
    return y, dx


@pytest.mark.parametrize("f, x", CASES)
def test_refused_under_numba_at_the_line(f, x):
    with pytest.raises(BackendError, match="numba computes") as err:
        _reverse(f, x, "numba")
    assert "test_narrow_dtypes.py" in str(err.value)
    fwd, _ = ad.autodiff_thunk(ReverseSplitWithPrimal, f, Const, Duplicated, Duplicated, backend="numba")
    with pytest.raises(BackendError, match="numba computes"):
        fwd(Duplicated(np.zeros_like(x), np.zeros_like(x)), Duplicated(x.copy(), np.zeros_like(x)))
    with pytest.raises(BackendError, match="numba computes"):
        ad.autodiff(Forward, f, Const, Duplicated(np.zeros_like(x), np.zeros_like(x)),
                    Duplicated(x.copy(), np.ones_like(x)), backend="numba")


def _jacobian_t(f, x, dy):
    """``J^T dy`` of a kernel linear in ``x``, by central differences."""
    out = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1.0
        y1, y2 = np.zeros_like(x), np.zeros_like(x)
        f(y1, x + 1e-3 * e)
        f(y2, x - 1e-3 * e)
        out[j] = np.dot(dy, (y1 - y2) / 2e-3)
    return out


@pytest.mark.parametrize("f, x", CASES)
def test_auto_gives_the_functions_numbers(f, x):
    y, dx = _reverse(f, x, "auto")
    want_y = np.zeros_like(x)
    f(want_y, x.copy())
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(dx, _reverse(f, x, "numpy")[1])
    if f not in (scaled_single, local_single):   # (linear in x: central differences are exact up to rounding)
        np.testing.assert_allclose(dx, _jacobian_t(f, x, np.linspace(1.0, 2.0, x.size)), rtol=1e-9)
    else:   # both elements take the first branch (float32(1/3) * 3 is 1.0): y = 2 x
        np.testing.assert_array_equal(dx, 2.0 * np.linspace(1.0, 2.0, x.size))


def test_emit_numba_refuses(tmp_path):
    kernel = tmp_path / "single.py"
    kernel.write_text("import numpy as np\n\n\ndef scaled(y, x):\n    for i in range(x.shape[0]):\n"
                      "        y[i] = np.float32(x[i]) * 3.0\n")
    r = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"{kernel}:scaled", "--target", "numba",
                        "--dup", "y,x", "--shape", "y=2", "--shape", "x=2"], check=False, capture_output=True,
                       text=True)
    assert r.returncode != 0 and "float32" in r.stderr and "single.py:6" in r.stderr


_Params = __import__("collections").namedtuple("_Params", "w b dt")


def record_loss(x, p):
    y = x * p.w + p.b
    return float(np.sum(y ** 2)) * p.dt


@pytest.mark.parametrize("field", ["dt", "w"])
def test_a_narrow_value_inside_a_const_record(field):
    """A float32 number (or array) in a Const namedtuple was computed in double precision
    under numba (the primal differed from the function's at float32's rounding); one given
    alone was refused. The record's is refused likewise; auto gives numpy's numbers."""
    from adcompiler import Active, ReverseWithPrimal
    x = np.random.default_rng(4).uniform(0.2, 1.2, 6)
    w = np.linspace(-1, 1, 6)
    p = _Params(w.astype(np.float32) if field == "w" else w, 0.3, np.float32(0.1) if field == "dt" else 0.1)
    with pytest.raises(BackendError, match="float32"):
        ad.autodiff(ReverseWithPrimal, record_loss, Active, Duplicated(x.copy(), np.zeros(6)), Const(p),
                    backend="numba")
    with pytest.raises(BackendError, match="float32"):
        ad.autodiff(ad.ForwardWithPrimal, record_loss, Duplicated, Duplicated(x.copy(), np.ones(6)), Const(p),
                    backend="numba")
    got, want = np.zeros(6), np.zeros(6)
    _, value = ad.autodiff(ReverseWithPrimal, record_loss, Active, Duplicated(x.copy(), got), Const(p), backend="auto")
    ad.autodiff(ReverseWithPrimal, record_loss, Active, Duplicated(x.copy(), want), Const(p))
    assert value == record_loss(x.copy(), p)
    np.testing.assert_array_equal(got, want)

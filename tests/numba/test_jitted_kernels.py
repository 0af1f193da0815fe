"""Functions compiled by numba (``@numba.njit``, ``numba.prange``, njit'd helpers) are
differentiated as the Python functions they compile, through every entry point: before,
they were refused as objects without source."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Const, Duplicated, Reverse

require("numba")
import jitted_kernels as J

RNG = np.random.default_rng(11)


def test_a_jitted_function_returning_a_float():
    x = RNG.standard_normal(6)
    check_everywhere(J.pair_energy, Duplicated(x, np.zeros(6)), out=())


def test_a_jitted_kernel_with_prange_and_a_jitted_helper():
    x, y = RNG.standard_normal(5), RNG.standard_normal(5)
    check_everywhere(J.accumulate, Duplicated(y, np.zeros(5)), Duplicated(x, np.zeros(5)), 1.5, out="y",
                     tapes=("autograd", "torch", "jax"))


def test_a_jitted_recurrence_on_each_backend():
    a, b = RNG.uniform(-0.9, 0.9, 20), RNG.standard_normal(20)
    check_everywhere(J.recurrence, Duplicated(np.zeros(20), np.zeros(20)), Duplicated(a, np.zeros(20)),
                     Duplicated(b, np.zeros(20)), out="s")
    seed = RNG.standard_normal(20)
    got = {}
    for backend in ("numpy", "numba", "auto"):
        da, db = np.zeros(20), np.zeros(20)
        ad.autodiff(Reverse, J.recurrence, Const, Duplicated(np.zeros(20), seed.copy()), Duplicated(a, da),
                    Duplicated(b, db), backend=backend)
        got[backend] = (da, db)
    # the adjoint by hand: ds[i-1] += ds[i] * a[i]
    ds, da, db = seed.copy(), np.zeros(20), np.zeros(20)
    s = np.zeros(20)
    J.recurrence(s, a, b)
    for i in range(19, 0, -1):
        da[i] += ds[i] * s[i - 1]
        db[i] += ds[i]
        ds[i - 1] += ds[i] * a[i]
    db[0] += ds[0]
    for backend, (ga, gb) in got.items():
        np.testing.assert_allclose(ga, da, rtol=1e-12, err_msg=backend)
        np.testing.assert_allclose(gb, db, rtol=1e-12, err_msg=backend)


def test_the_compiled_function_still_runs_compiled():
    """adcompiler reads the Python function; the user's dispatcher is left as it was."""
    assert isinstance(J.recurrence, sys.modules["numba"].core.dispatcher.Dispatcher)
    s = np.zeros(4)
    J.recurrence(s, np.full(4, 0.5), np.ones(4))
    np.testing.assert_allclose(s, [1.0, 1.5, 1.75, 1.875])


def test_a_cfunc_pointer_is_refused_at_its_line():
    """A ``cfunc``'s ctypes pointer (unhashable: it crashed the frontend with a bare TypeError)."""
    with pytest.raises(ad.AdCompilerError, match="CFunctionType, a callable without Python source") as e:
        ad.gradient(J.through_a_cfunc_pointer, np.ones(3))
    assert e.value.filename == J.__file__ and e.value.lineno is not None


def test_a_numba_vectorized_ufunc_is_refused_not_differentiated():
    """``@numba.vectorize`` makes a ufunc whose Python function takes scalars: no rule, refused."""
    with pytest.raises(ad.AdCompilerError, match="vsquare"):
        ad.autodiff(Reverse, J.calls_a_vectorized_ufunc, Const, Duplicated(np.zeros(3), np.ones(3)),
                    Duplicated(np.ones(3), np.zeros(3)))


@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_emit_writes_the_jitted_kernel_and_its_helper(tmp_path, target):
    src = Path(J.__file__)
    (tmp_path / "jk.py").write_text(src.read_text())
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "jk.py:accumulate", "--target", target,
                          "--shape", "y=5", "--shape", "x=5", "--active", "c", "-o", "jk_ad.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "jk_ad.py").read_text()
    assert "import adcompiler" not in text and "def _square_at" in text
    ns: dict = {"__name__": "jk_ad", "__file__": str(tmp_path / "jk_ad.py")}
    exec(compile(text, str(tmp_path / "jk_ad.py"), "exec"), ns)  # noqa: S102 - the module just written
    x, y, dy = RNG.standard_normal(5), RNG.standard_normal(5), RNG.standard_normal(5)
    dx = np.zeros(5)
    (dc,) = ns["accumulate_reverse"](y.copy(), dy.copy(), x, dx, 1.5)
    np.testing.assert_allclose(dx, (3.0 * x + np.cos(x)) * dy, rtol=1e-12)
    assert dc == pytest.approx(float(np.sum(x * x * dy)), rel=1e-12)


def test_an_update_numba_computes_otherwise_than_python_is_refused():
    """numba runs ``x[1:] += x[:-1]`` element by element (a running sum), numpy with the old
    values: the dispatcher and its Python source differ, so the derivative of either would be
    wrong for one of them. Refused at the line; the copied operand and element loops run."""
    x0 = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ad.AdCompilerError, match=r"jitted_kernels.py:\d+.*reads a view of the array it writes"):
        ad.autodiff(Reverse, J.smooth_overlapping, Const, Duplicated(x0.copy(), np.ones(4)), ad.Active(0.5))
    for f in (J.smooth_copied, J.running_by_elements):
        user = x0.copy()
        f(user, 0.5)   # (the user's compiled function)
        x, dx = x0.copy(), RNG.standard_normal(4)
        seed = dx.copy()
        (_, dw) = ad.autodiff(Reverse, f, Const, Duplicated(x, dx), ad.Active(0.5))
        np.testing.assert_allclose(x, user, rtol=1e-14)
        # reference: central differences of the user's compiled function
        h = 1e-6

        def final(v, w, f=f, seed=seed):
            out = v.copy()
            f(out, w)
            return float(seed @ out)
        fd = [(final(x0 + h * e, 0.5) - final(x0 - h * e, 0.5)) / (2 * h) for e in np.eye(4)]
        np.testing.assert_allclose(dx, fd, rtol=1e-7, atol=1e-9)
        assert dw == pytest.approx((final(x0, 0.5 + h) - final(x0, 0.5 - h)) / (2 * h), rel=1e-7)


def test_a_float_function_reading_through_a_jitted_helper_under_the_bare_differentiate():
    """The write analysis reads the helper's Python source: it only reads ``x``, so the bare
    ``differentiate`` applies (it had taken the dispatcher for an unknown callee that may write)."""
    autograd = require("autograd")
    x = RNG.standard_normal(5)
    g = autograd.grad(ad.differentiate(J.reads_through_a_jitted_helper))(x)
    np.testing.assert_allclose(g, x, rtol=1e-14)

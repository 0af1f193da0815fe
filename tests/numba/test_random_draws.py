"""Random draws inside a kernel (declared non-differentiable, as docs/extending.md
shows): numba's generators keep a state of their own, so under ``backend="numba"``
the draws were other numbers than the function's (seeded or not) and the primal
and the gradient were another function's, without an error. Refused at the line
now (the forward and reverse modes, the split halves, the emitted module);
``backend="auto"`` falls back to numpy, whose numbers are the function's."""
import subprocess
import sys

import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import (
    Active,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    extend,
)
from adcompiler.analysis.kinds import array
from adcompiler.backends import choice
from adcompiler.errors import BackendError
from adcompiler.rules import registry

require("numba")

KERNELS = '''
import numpy as np
import random


def noisy(x, theta, n):
    for i in range(n):
        z = np.random.standard_normal(x.shape[0])
        x[:] = x * (1 + theta * z)
    return np.sum(x ** 2)


def python_draws(x, theta):
    s = 0.0
    for i in range(x.shape[0]):
        s += theta * x[i] * random.random()
    return s
'''


@pytest.fixture()
def kernels(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))   # (the declarations end with the test)
    extend.nondifferentiable(np.random.standard_normal, result=lambda kinds, bound: array(1, "f"))
    extend.nondifferentiable(__import__("random").random, result=lambda kinds, bound: __import__(
        "adcompiler.analysis.kinds", fromlist=["x"]).FLOAT)
    (tmp_path / "draw_kernels.py").write_text(KERNELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    choice.clear()
    import draw_kernels
    return draw_kernels


def _seeded(f, *args):
    np.random.seed(3)
    __import__("random").seed(3)
    return f(*args)


def _reverse(K, backend):
    x, dx = np.array([0.4, 0.7, 1.1]), np.zeros(3)
    np.random.seed(3)
    d, value = ad.autodiff(ReverseWithPrimal, K.noisy, Active, Duplicated(x, dx), Active(0.3), Const(4),
                           backend=backend)
    return value, x, dx, d[1]


def test_numpy_backend_takes_the_functions_draws(kernels):
    x0 = np.array([0.4, 0.7, 1.1])
    value, x, dx, dtheta = _reverse(kernels, "numpy")
    x_ref = x0.copy()
    assert value == pytest.approx(_seeded(kernels.noisy, x_ref, 0.3, 4), rel=1e-12)
    np.testing.assert_allclose(x, x_ref, rtol=1e-12)
    h = 1e-6
    fd = (_seeded(kernels.noisy, x0.copy(), 0.3 + h, 4) - _seeded(kernels.noisy, x0.copy(), 0.3 - h, 4)) / (2 * h)
    assert dtheta == pytest.approx(fd, rel=1e-6)
    fd_x = [(_seeded(kernels.noisy, x0 + h * e, 0.3, 4) - _seeded(kernels.noisy, x0 - h * e, 0.3, 4)) / (2 * h)
            for e in np.eye(3)]
    np.testing.assert_allclose(dx, fd_x, rtol=1e-6)
    # split mode as the tapes drive it: the forward half draws, the reverse half reads its tape
    fwd, rev = ad.autodiff_thunk(ReverseSplitWithPrimal, kernels.noisy, Active, Duplicated, Active, Const)
    xs = x0.copy()
    np.random.seed(3)
    tape, primal = fwd(Duplicated(xs, np.zeros(3)), Active(0.3), Const(4))
    np.random.seed(99)   # (a reverse half that drew again would draw these)
    dxs = np.zeros(3)
    derivs = rev(Duplicated(xs, dxs), Active(0.3), Const(4), 1.0, tape)
    assert primal == pytest.approx(value, rel=1e-12)
    assert derivs[1] == pytest.approx(dtheta, rel=1e-10)
    np.testing.assert_allclose(dxs, dx, rtol=1e-10)


@pytest.mark.parametrize("mode", ["reverse", "forward", "split"])
def test_numba_refuses_draws_at_the_line(kernels, mode):
    x = np.array([0.4, 0.7, 1.1])
    with pytest.raises(BackendError, match=r"draw_kernels.py:\d+.*np.random.standard_normal.*draws random numbers"):
        if mode == "reverse":
            ad.autodiff(Reverse, kernels.noisy, Active, Duplicated(x, np.zeros(3)), Active(0.3), Const(4),
                        backend="numba")
        elif mode == "forward":
            ad.autodiff(Forward, kernels.noisy, Duplicated, Duplicated(x, np.ones(3)), Const(0.3), Const(4),
                        backend="numba")
        else:
            fwd, _ = ad.autodiff_thunk(ReverseSplitWithPrimal, kernels.noisy, Active, Duplicated, Active, Const,
                                       backend="numba")
            fwd(Duplicated(x, np.zeros(3)), Active(0.3), Const(4))


def test_numba_refuses_pythons_random(kernels):
    with pytest.raises(BackendError, match=r"draw_kernels.py:\d+.*random.random.*draws random numbers"):
        ad.gradient(kernels.python_draws, np.array([0.4, 0.7]), 0.5, backend="numba")


def test_auto_falls_back_with_the_functions_numbers(kernels):
    want = _reverse(kernels, "numpy")
    got = _reverse(kernels, "auto")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert any(d.backend == "numpy" and "draws random numbers" in d.reason for d in ad.backend_report(kernels.noisy))


def test_emit_numba_target_refuses_draws(kernels, tmp_path):
    """The command line has no rule for the draw: it refuses the call either way,
    at the line (never an emitted module drawing numba's numbers)."""
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "--target", "numba",
                          f"{tmp_path / 'draw_kernels.py'}:noisy", "--active", "theta"],
                         check=False, capture_output=True, text=True)
    assert run.returncode != 0
    assert "draw_kernels.py:8" in run.stderr and "np.random.standard_normal" in run.stderr


def test_forward_and_vector_modes_take_the_functions_draws(kernels):
    """Forward mode (one tangent, and two at once) draws as the function does: the tangent
    is <gradient, direction> of the reverse sweep on the same seed."""
    from adcompiler import BatchDuplicated
    x0, v = np.array([0.4, 0.7, 1.1]), np.array([0.3, -1.0, 0.5])
    _, _, dx, dtheta = _reverse(kernels, "numpy")
    np.random.seed(3)
    (t,) = ad.autodiff(Forward, kernels.noisy, Duplicated, Duplicated(x0.copy(), v.copy()), Duplicated(0.3, 0.5),
                       Const(4))
    assert t == pytest.approx(dx @ v + dtheta * 0.5, rel=1e-10)
    np.random.seed(3)
    (ts,) = ad.autodiff(Forward, kernels.noisy, Duplicated, BatchDuplicated(x0.copy(), (v.copy(), 2 * v)),
                        Const(0.3), Const(4))
    assert ts[0] == pytest.approx(dx @ v, rel=1e-10) and ts[1] == pytest.approx(2 * (dx @ v), rel=1e-10)

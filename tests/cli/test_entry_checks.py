"""The emitted module refuses, at the entry of each public function, a
Duplicated argument or shadow that is not a float array (a Python float used
to be accepted: `dx += ...` rebound a local and the derivative was lost).
Derivatives are compared with central finite differences computed here."""
from __future__ import annotations

import re

import numpy as np
import pytest

from .conftest import DATA, central_difference, emit_module, fd_gradient

SCALARS = f"{DATA}/scalars.py"


def _scale(y, x):
    y[0] = x * x + y[0]


@pytest.fixture
def reverse_ns(tmp_path):
    return emit_module(tmp_path, f"{SCALARS}:scale")


@pytest.mark.parametrize("call", ["reverse", "fwd", "rev"])
def test_float_for_a_duplicated_argument_is_refused(reverse_ns, call):
    y, dy = np.zeros(2), np.ones(2)
    args = {"reverse": (y, dy, 0.3, 0.0), "fwd": (y, dy, 0.3, 0.0, []), "rev": (y, dy, 0.3, 0.0, None, [])}[call]
    with pytest.raises(TypeError, match=r"`x` is differentiated as an array \(Duplicated\).*--active x") as e:
        reverse_ns[f"scale_{call}"](*args)
    assert f"scale_{call}" in str(e.value)
    np.testing.assert_array_equal(y, 0.0)   # refused before anything ran
    np.testing.assert_array_equal(dy, 1.0)


def test_forward_mode_refuses_too(tmp_path):
    ns = emit_module(tmp_path, f"{SCALARS}:scale", "--mode", "forward")
    with pytest.raises(TypeError, match="`x` is differentiated as an array"):
        ns["scale_forward"](np.zeros(2), np.zeros(2), 0.3, 1.0)


def test_mismatched_shadow_and_wrong_rank_are_refused(tmp_path, reverse_ns):
    with pytest.raises(ValueError, match="shadow `dy`"):
        reverse_ns["scale_reverse"](np.zeros(2), np.ones(3), np.array(0.3), np.array(0.0))
    with pytest.raises(TypeError, match="`dy` must be a float numpy array, not an array of dtype int64"):
        reverse_ns["scale_reverse"](np.zeros(2), np.ones(2, dtype=np.int64), np.array(0.3), np.array(0.0))
    ns = emit_module(tmp_path, f"{SCALARS}:scale", "--shape", "y=2", "--shape", "x=")
    with pytest.raises(ValueError, match="generated for 0"):
        ns["scale_reverse"](np.zeros(2), np.ones(2), np.ones(1), np.zeros(1))


def test_a_shadow_in_another_layout_is_refused(reverse_ns):
    """A column of a matrix as the shadow of a contiguous array: the emitted module
    followed the array's views with copies of the shadow and lost its writes."""
    with pytest.raises(ValueError, match="shadow `dy` steps through memory otherwise than `y`"):
        reverse_ns["scale_reverse"](np.zeros(2), np.ones((2, 3))[:, 1], 0.3, 0.0)


def test_active_argument_given_an_array_is_refused(tmp_path):
    ns = emit_module(tmp_path, f"{SCALARS}:scale", "--active", "x")
    with pytest.raises(TypeError, match=r"`x` is Active .*--dup x"):
        ns["scale_reverse"](np.zeros(2), np.ones(2), np.ones(3))


def _objective(seed, y0):
    def J(x):
        y = y0.copy()
        _scale(y, float(x))
        return float(seed @ y)
    return J


def test_zero_d_arrays_and_active_scalars_give_the_derivative(reverse_ns, tmp_path):
    """What the refusal asks for works: 0-d arrays with their shadows, or --active x."""
    rng = np.random.default_rng(4)
    y0, seed, x0 = rng.uniform(0.5, 1.5, 2), rng.uniform(-1, 1, 2), 0.7
    want = central_difference(_objective(seed, y0), x0)
    y, dy, x, dx = y0.copy(), seed.copy(), np.array(x0), np.array(0.0)
    assert reverse_ns["scale_reverse"](y, dy, x, dx) == ()
    np.testing.assert_allclose(float(dx), want, rtol=1e-8)
    # the split halves with fresh shadows
    tape = []
    y = y0.copy()
    reverse_ns["scale_fwd"](y, np.zeros(2), np.array(x0), np.array(0.0), tape)
    dx = np.array(0.0)
    reverse_ns["scale_rev"](y, seed.copy(), np.array(x0), dx, None, tape)
    np.testing.assert_allclose(float(dx), want, rtol=1e-8)
    ns = emit_module(tmp_path, f"{SCALARS}:scale", "--active", "x")
    (dxa,) = ns["scale_reverse"](y0.copy(), seed.copy(), x0)
    np.testing.assert_allclose(dxa, want, rtol=1e-8)
    # and with arrays: the gradient of y's initial value
    dy = seed.copy()
    ns["scale_reverse"](y0.copy(), dy, x0)
    np.testing.assert_allclose(dy, fd_gradient(lambda yy: float(seed @ _then(yy, x0)), y0), rtol=1e-7, atol=1e-9)


def _then(y, x):
    y = y.copy()
    _scale(y, x)
    return y


def test_the_module_says_it_checks(reverse_ns, tmp_path):
    path = next(tmp_path.glob("emitted_*.py"))
    text = path.read_text()
    assert "first checks its arguments" in text
    assert not re.search(r"^\s*(import|from) adcompiler", text, re.MULTILINE)


def test_arguments_sharing_memory_are_refused(tmp_path):
    """``f_reverse(x, dx, x, dx)``: the module takes the arrays for separate memory and
    gave a wrong derivative without a word (autodiff refuses such arguments); the
    check refuses two arguments, or an argument and a shadow, that share memory."""
    ns = emit_module(tmp_path, f"{SCALARS}:head_scale", "--shape", "y=4", "--shape", "x=4", "--const", "n")
    f = ns["head_scale_reverse"]
    x, dx = np.linspace(0.5, 1.5, 4), np.ones(4)
    with pytest.raises(ValueError, match="`y` and `x` share memory"):
        f(x, dx, x, dx, 4)
    y, dy, seed = np.zeros(4), np.ones(4), np.zeros(8)
    with pytest.raises(ValueError, match="`dy` and `dx` share memory"):
        f(y, seed[:4], x, seed[2:6], 4)
    with pytest.raises(ValueError, match="`dy` and `x` share memory"):
        f(y, x[:4], x, np.zeros(4), 4)
    x0, dx = x.copy(), np.zeros(4)
    f(y, dy, x, dx, 4)   # separate arrays: y += x * x, so dx = 2 x
    np.testing.assert_allclose(dx, 2 * x0, rtol=1e-15)
    np.testing.assert_allclose(y, x0 * x0, rtol=1e-15)


SUBCLASS_KERNEL = """import numpy as np


def weighted(x: np.ndarray, W: np.ndarray) -> float:
    return float(np.sum(x * W))
"""


@pytest.mark.parametrize("which", ["W", "x", "dx"])
def test_array_subclasses_are_refused(tmp_path, which):
    """An np.matrix or masked array for an argument, a shadow or a Const: its `*` is another
    product (a matrix product), and the emitted module's derivative was wrong without an error."""
    (tmp_path / "weighted.py").write_text(SUBCLASS_KERNEL)
    ns = emit_module(tmp_path, f"{tmp_path / 'weighted.py'}:weighted", "--const", "W", "--ret", "active")
    x, W = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    args = {"x": x.copy(), "dx": np.zeros((2, 2)), "W": W.copy()}
    for sub in (np.matrix, lambda a: np.ma.masked_array(a, mask=[[0, 1], [0, 0]])):
        given = dict(args, **{which: sub(args[which])})
        with pytest.raises(TypeError, match="subclass of numpy's array"):
            ns["weighted_reverse"](given["x"], given["dx"], given["W"])
    dx = np.zeros((2, 2))
    ns["weighted_reverse"](x.copy(), dx, W.copy())
    np.testing.assert_allclose(dx, W)

"""A numpy call's ``out`` given by position (``np.sin(x, x)``, ``np.multiply(x, 2.0, x)``,
``np.sum(a, 0, None, s)``) writes its argument: ``differentiate`` copies it first
(it was refused as a write through an alias the tapes' reading did not see)."""
import numpy as np
from everywhere import check_everywhere

from adcompiler import Duplicated, differentiate


def ufunc_out(y, x):
    np.sin(x, x)
    np.multiply(x, 2.0, x)
    y[:] = x * x


def reduction_out(s, a):
    b = a * a
    np.sum(b, 0, None, s)


def test_positional_out_everywhere():
    x = np.random.default_rng(0).uniform(-1, 1, 4)
    check_everywhere(ufunc_out, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(x, np.zeros(4)), out="y",
                     tapes=("autograd", "torch", "jax"))
    a = np.random.default_rng(1).uniform(-1, 1, (3, 2))
    check_everywhere(reduction_out, Duplicated(np.zeros(2), np.zeros(2)), Duplicated(a, np.zeros((3, 2))),
                     out="s", tapes=("autograd", "torch", "jax"))


def test_the_callers_array_is_not_written():
    import autograd
    import autograd.numpy as anp
    x = np.random.default_rng(2).uniform(-1, 1, 4)
    keep = x.copy()
    f = differentiate(ufunc_out, out="y", like="x")
    g = autograd.grad(lambda v: anp.sum(f(v)))(x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(g, 2 * (2 * np.sin(x)) * 2 * np.cos(x), rtol=1e-12)


def squares_to(y, x, n):
    for i in range(n):
        y[i] = x[i] * x[i]


def test_a_torch_int_tensor_is_an_int():
    """A 0-d integer tensor (a loop bound) arrives as a Python int, as JAX's adapter gives
    it: under numba it was refused (``range`` of a 0-d array)."""
    from optional import require
    torch = require("torch")
    require("numba")
    x = np.random.default_rng(3).uniform(-1, 1, 4)
    for backend in ("numpy", "numba"):
        t = torch.tensor(x, requires_grad=True)
        differentiate(squares_to, out="y", like="x", backend=backend)(t, torch.tensor(3)).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), np.where(np.arange(4) < 3, 2 * x, 0.0), rtol=1e-12)

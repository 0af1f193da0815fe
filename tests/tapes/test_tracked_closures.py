"""A kernel that reads, from its enclosing function or its defaults, a value a tape tracks
(``def make(c): def k(u): ... c ...``, differentiated under jax.grad, torch or autograd in
``c``): the kernel takes it for a constant, so its derivative would be lost. JAX raised a
leaked-tracer error from inside its callback, PyTorch returned a tensor cut from ``c``'s
graph; now each refuses at the kernel's definition. The same closure over a plain number is
differentiated in the arrays it is given, against finite differences."""
import numpy as np
import pytest

from adcompiler import differentiate
from adcompiler.errors import AdCompilerError

from .conftest import require

X0 = np.array([0.9, 1.2, 0.7, 1.4, 1.1])
W0 = np.array([1.0, 0.8, 1.3, 0.6, 1.2])


def make(c, w):
    def smooth(u):
        for i in range(1, 4):
            u[i] = u[i] + c * w[i] * (u[i - 1] - 2 * u[i] + u[i + 1])
    return smooth


def make_default(c):
    def scaled(u, s=c):
        u[1:] = u[1:] * s
    return scaled


def _loss(c, u):
    u = u.copy()
    make(c, W0)(u)
    return np.sum(u ** 2)


def test_jax():
    jax = require("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    with pytest.raises(AdCompilerError, match="reads `c` from its enclosing function, a jax value") as e:
        jax.grad(lambda c: jnp.sum(differentiate(make(c, W0), out="u")(jnp.asarray(X0)) ** 2))(0.3)
    assert e.value.filename == __file__ and e.value.lineno == make.__code__.co_firstlineno + 1
    g = jax.grad(lambda u: jnp.sum(differentiate(make(0.3, W0), out="u")(u) ** 2))(jnp.asarray(X0))
    fd = [(_loss(0.3, X0 + h) - _loss(0.3, X0 - h)) / 2e-6 for h in np.eye(5) * 1e-6]
    np.testing.assert_allclose(np.asarray(g), fd, rtol=1e-6)


def test_torch():
    torch = require("torch")
    c = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(AdCompilerError, match="a torch value"):
        differentiate(make(c, W0), out="u")(torch.tensor(X0))
    with pytest.raises(AdCompilerError, match="default value"):
        differentiate(make_default(c), out="u")(torch.tensor(X0))
    u = torch.tensor(X0, requires_grad=True)
    out = differentiate(make(0.3, W0), out="u")(u)
    (out ** 2).sum().backward()
    fd = [(_loss(0.3, X0 + h) - _loss(0.3, X0 - h)) / 2e-6 for h in np.eye(5) * 1e-6]
    np.testing.assert_allclose(u.grad.numpy(), fd, rtol=1e-6)


def test_autograd():
    autograd = require("autograd")
    anp = autograd.numpy
    with pytest.raises(AdCompilerError, match="an autograd value"):
        autograd.grad(lambda c: anp.sum(differentiate(make(c, W0), out="u")(X0) ** 2))(0.3)

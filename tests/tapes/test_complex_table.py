"""A table of complex functions: each written once as an in-place numpy
kernel (``out[:] = expr``) wrapped by ``differentiate``, and once as the
pure expression in PyTorch and in JAX. On each tape, the gradients of a real
loss of the output with respect to every input (complex z, w, A; real x)
must equal the tape's own gradients of the pure expression."""
import numpy as np
import pytest

from adcompiler.tapes.differentiate import differentiate
from adcompiler.testing.programs.loader import load_source

from .conftest import require

ROWS = {
    "exp_mul": "xp.exp(z) * w",
    "log_sqrt": "xp.log(z) + xp.sqrt(w)",
    "trig": "xp.sin(z) * xp.cos(w) + xp.tanh(z)",
    "power_div": "z ** 3 / w",
    "conj_abs": "xp.conj(z) * w + xp.abs(z) * x",
    "real_imag": "xp.real(z) * xp.imag(w) + 1j * x * z",
    "angle": "xp.angle(z) * x + w",
    "matmul": "xp.matmul(A, z) * w",
    "solve": "xp.linalg.solve(A, z) + x",
    "inv_det": "xp.matmul(xp.linalg.inv(A), z) * xp.linalg.det(A)",
    "fft": "xp.fft.fft(z) * w + xp.fft.ifft(z * x)",
    "reductions": "xp.cumsum(z, 0) * xp.sum(w) + xp.prod(z) * x",
}
N = 4


def _kernel(name):
    src = f"import numpy as np\n\n\ndef k_(out, z, w, x, A):\n    out[:] = {ROWS[name].replace('xp.', 'np.')}\n"
    return differentiate(load_source(src, f"complex_row_{name}").k_, out="out", like="z")


def _data():
    rng = np.random.default_rng(21)
    z = rng.normal(size=N) + 1j * rng.normal(size=N) + 2.0   # away from the branch cuts of log and sqrt
    w = rng.normal(size=N) + 1j * rng.normal(size=N) + 2.0
    x = rng.normal(size=N)
    A = (rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))) * 0.3 + 2.0 * np.eye(N)
    c = rng.normal(size=N) + 1j * rng.normal(size=N)
    return (z, w, x, A), c


def _pure(xp, name):
    code = compile(ROWS[name], f"<row {name}>", "eval")
    return lambda z, w, x, A: eval(code, {"xp": xp}, {"z": z, "w": w, "x": x, "A": A})


@pytest.mark.parametrize("name", sorted(ROWS))
def test_torch(name):
    torch = require("torch")
    args, c = _data()

    def grads(fn):
        ts = [torch.tensor(a, requires_grad=True) for a in args]
        out = fn(*ts)
        ct = torch.tensor(c)
        (torch.real(torch.conj(ct) * out).sum() + (torch.abs(out) ** 2).sum()).backward()
        return [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in ts]   # None: not used

    class _Torch:
        def __getattr__(self, attr):
            if attr == "cumsum":
                return lambda a, axis: torch.cumsum(a, dim=axis)
            return getattr(torch, attr)
    for g, want in zip(grads(_kernel(name)), grads(_pure(_Torch(), name))):
        np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_jax(name):
    jax = require("jax")
    jnp = jax.numpy
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        args, c = _data()

        def loss(fn):
            def L(*a):
                out = fn(*a)
                return jnp.sum(jnp.real(jnp.conj(c) * out)) + jnp.sum(jnp.abs(out) ** 2)
            return L
        jargs = [jnp.asarray(a) for a in args]
        got = jax.grad(loss(_kernel(name)), (0, 1, 2, 3))(*jargs)
        want = jax.grad(loss(_pure(jnp, name)), (0, 1, 2, 3))(*jargs)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-9, atol=1e-11)
    finally:
        jax.config.update("jax_enable_x64", prev)

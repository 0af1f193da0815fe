"""Values a tape program hands to a ``differentiate`` function, as JAX, PyTorch
and autograd users pass them: the pure function keeps the values of its
inputs at the call, whatever the caller does with its arrays afterwards."""
import math

import numpy as np
import pytest

from adcompiler import differentiate
from adcompiler.errors import AdCompilerError

from .conftest import require


def _scale_(u, c):
    u *= c


def _sq_diff_(s, a, b):
    s[:] = (a - b) ** 2


def _mv_(y, A, x):
    y += A @ x


def _hist_(y, cnt, x):
    for i in range(x.shape[0]):
        j = int(x[i] > 0)
        cnt[j] += 1
        y[j] += x[i] * x[i]


def _layer_(y, params, x):
    W, b = params
    y += W @ x + b


scale = differentiate(_scale_, out="u")


def _program(xp, u):
    """A forcing buffer reused across steps: the backward pass must see each step's value."""
    buf = np.zeros(3)
    for k in range(3):
        buf[:] = k + 2.0
        u = scale(u, buf)
    return xp.sum(u)


@pytest.mark.parametrize("tape", ["autograd", "torch", "jax", "jax.jit"])
def test_constant_arrays_changed_after_the_call(tape):
    """The record kept the caller's buffer, not its value: the gradient was
    4 * 4 * 4 for 2 * 3 * 4 (and jax.jit's primal read the buffer after the loop)."""
    u0 = np.array([1.0, 2.0, 3.0])
    if tape == "autograd":
        import autograd
        import autograd.numpy as anp
        val, g = autograd.value_and_grad(lambda u: _program(anp, u))(u0)
    elif tape == "torch":
        torch = require("torch")
        t = torch.tensor(u0, requires_grad=True)
        v = _program(torch, t)
        v.backward()
        val, g = v.item(), t.grad.numpy()
    else:
        jax = require("jax")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        vg = jax.value_and_grad(lambda u: _program(jnp, u))
        val, g = (jax.jit(vg) if tape == "jax.jit" else vg)(jnp.asarray(u0))
    assert float(val) == pytest.approx(24.0 * 6.0)
    np.testing.assert_allclose(np.asarray(g), 24.0, rtol=1e-12)


@pytest.mark.parametrize("tape", ["autograd", "torch"])
def test_inputs_sharing_memory_and_strided_inputs(tape):
    """``f(u[1:], u[:-1])``, a block ``B[:3, 1:3]`` and a broadcast vector: the
    adapter's own zero shadows did not match (refused with a hint about shadows
    the user never made)."""
    f = differentiate(_sq_diff_, out="s", like="a")
    g = differentiate(_mv_, out="y")
    u0 = np.array([1.0, 3.0, 4.0, 8.0])
    B0 = np.arange(12.0).reshape(3, 4) / 7.0
    x0, w = np.array([0.5, -1.0]), np.array([1.0, 2.0, 3.0])
    want_u = np.zeros(4)
    d = u0[1:] - u0[:-1]
    want_u[1:] += 2 * d * w
    want_u[:-1] -= 2 * d * w
    want_B = np.zeros((3, 4))
    want_B[:, 1:3] = np.outer(w, x0)
    if tape == "autograd":
        import autograd
        import autograd.numpy as anp
        gu = autograd.grad(lambda u: anp.sum(f(u[1:], u[:-1]) * w))(u0)
        gB = autograd.grad(lambda B: anp.sum(g(np.zeros(3), B[:3, 1:3], x0) * w))(B0)
    else:
        torch = require("torch")
        tu, tB = torch.tensor(u0, requires_grad=True), torch.tensor(B0, requires_grad=True)
        (f(tu[1:], tu[:-1]) * torch.tensor(w)).sum().backward()
        (g(torch.zeros(3, dtype=torch.float64), tB[:3, 1:3], torch.tensor(x0)) * torch.tensor(w)).sum().backward()
        gu, gB = tu.grad.numpy(), tB.grad.numpy()
    np.testing.assert_allclose(gu, want_u, rtol=1e-12)
    np.testing.assert_allclose(gB, want_B, rtol=1e-12)


@pytest.mark.parametrize("reads_count", [False, True])
@pytest.mark.parametrize("tape", ["autograd", "torch"])
def test_integer_output_next_to_a_float_output(tape, reads_count):
    """An int counter among ``out=``: the backward pass read its (absent) shadow
    (an AttributeError); it has no derivative. A loss reading it too (``0.5 * cnt``) made
    autograd add a float cotangent into its int zeros (numpy's casting error)."""
    f = differentiate(_hist_, out=("y", "cnt"))
    x0 = np.array([1.0, -2.0, 3.0])
    if tape == "autograd":
        import autograd
        import autograd.numpy as anp

        def loss(x):
            y, cnt = f(np.zeros(2), np.zeros(2, int), x)
            return anp.sum(y) + (anp.sum(0.5 * cnt) if reads_count else 0.0)
        g = autograd.grad(loss)(x0)
    else:
        torch = require("torch")
        t = torch.tensor(x0, requires_grad=True)
        y, cnt = f(torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.int64), t)
        (y.sum() + (0.5 * cnt).sum() if reads_count else y.sum()).backward()
        g = t.grad.numpy()
    np.testing.assert_allclose(g, 2 * x0, rtol=1e-12)


def test_tape_arrays_inside_a_container_are_refused():
    """JAX arrays in a params tuple were handed raw to the numpy kernel: the
    value was the output's initial value and the gradient 0, without an error."""
    jax = require("jax")
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = differentiate(_layer_, out="y")
    W, b, x = np.array([[1.0, 2.0], [0.5, 1.0]]), np.array([0.5, -0.5]), np.array([1.0, -1.0])
    np.testing.assert_allclose(f(np.zeros(2), (W, b), x), W @ x + b)   # numpy arrays: constants
    with pytest.raises(AdCompilerError, match="'params' is a tuple holding jax arrays"):
        jax.grad(lambda W, b: jnp.sum(f(np.zeros(2), (W, b), x)), argnums=(0, 1))(jnp.asarray(W), jnp.asarray(b))
    with pytest.raises(AdCompilerError, match="'params' is a dict holding jax arrays"):
        f(np.zeros(2), {"W": jnp.asarray(W)}, x)


def test_bare_differentiate_of_a_function_calling_a_differentiated_kernel():
    """``differentiate(outer)`` where ``outer`` calls a ``differentiate`` kernel:
    the callee was taken for one that may write every argument (refused)."""
    def outer(u, c):
        for _ in range(3):
            u = scale(u, c)
        return float(np.sum(u * u))

    import autograd
    pure = differentiate(outer)
    u0, c0 = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    g = autograd.grad(pure)(u0, c0)
    np.testing.assert_allclose(g, 2 * u0 * c0 ** 6, rtol=1e-12)


def _dot_loss(x):
    return float(x.dot(x))


def _argsort_loss(x):
    idx = x.argsort()
    return float(np.sum(x[idx] * np.arange(4.0)) + np.sum(x.take([0, 2]) ** 2))


def _trace_loss(A):
    return float(A.trace() * A[0, 1] + np.sum(A.diagonal()))


@pytest.mark.parametrize("f", [_dot_loss, _argsort_loss, _trace_loss])
def test_bare_differentiate_of_array_methods_that_read(f):
    """``x.dot(x)``, ``x.argsort()``, ``x.take(...)``, ``A.trace()``: the bare
    ``differentiate(f)`` said they wrote their argument (refused)."""
    import autograd

    from adcompiler import gradient
    x = np.arange(1.0, 10.0).reshape(3, 3) if f is _trace_loss else np.array([0.5, 1.5, 0.7, 1.1])
    np.testing.assert_allclose(autograd.grad(differentiate(f))(x.copy()), gradient(f, x.copy())[0], rtol=1e-12)


def _squares_returned_(y, x):
    y[:] = x * x
    return y


@pytest.mark.parametrize("tape", ["autograd", "torch", "jax"])
def test_kernel_returning_its_output(tape):
    """``return y`` of a kernel with ``out="y"`` (a common idiom): refused at run
    time (under JAX as an error inside the callback)."""
    f = differentiate(_squares_returned_, out="y", like="x")
    x = np.array([0.5, 1.0, 1.5, 2.0])
    if tape == "autograd":
        import autograd
        import autograd.numpy as anp
        g = autograd.grad(lambda x: anp.sum(f(x)))(x)
    elif tape == "torch":
        torch = require("torch")
        t = torch.tensor(x, requires_grad=True)
        f(t).sum().backward()
        g = t.grad.numpy()
    else:
        jax = require("jax")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        g = jax.jit(jax.grad(lambda x: jnp.sum(f(x))))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), 2 * x, rtol=1e-12)


def _sin_step_(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sin(y[i] * x[i]) + y[i]


@pytest.mark.parametrize("reentrant", [False, True])
def test_torch_checkpoint_around_a_kernel(reentrant):
    """``torch.utils.checkpoint(..., use_reentrant=False)``: the adapter unpacked
    its saved tensors twice (torch's CheckpointError)."""
    torch = require("torch")
    import torch.utils.checkpoint as cp
    f = differentiate(_sin_step_, out="y")
    x0, y0 = np.array([1.0, 2.0, -1.5]), np.array([0.3, -0.2, 0.9])
    x = torch.tensor(x0, requires_grad=True)
    loss = cp.checkpoint(lambda y, x: (f(y, x) ** 2).sum(), torch.tensor(y0), x, use_reentrant=reentrant)
    loss.backward()
    y1 = np.sin(y0 * x0) + y0
    np.testing.assert_allclose(x.grad.numpy(), 2 * y1 * np.cos(y0 * x0) * y0, rtol=1e-12)


def _ar_residual(r, a):
    s = 0.0
    for i in range(1, r.shape[0]):
        acc = r[i]
        acc += a[i] * r[i - 1]
        s += acc * acc
    return s


def _scaled_loss(x, s):
    s *= 2.0
    return float(np.sum(x * x)) * s


def _writes_through_a_view(x):
    v = x[1:]
    v += 1.0
    return float(np.sum(x * x))


@pytest.mark.parametrize("f,args", [(_ar_residual, (np.array([2.0, 0.8, 0.3, -0.1]), np.array([0.0, 0.5, -0.2, 0.1]))),
                                    (_scaled_loss, (np.array([0.5, 1.5]), 0.7))])
def test_bare_differentiate_of_numbers_updated_in_place(f, args):
    """``acc = r[i]; acc += ...`` of a vector, ``s *= 2.0`` of a float: the bare
    ``differentiate(f)`` said ``r`` and ``s`` were written (refused)."""
    import autograd

    from adcompiler import gradient
    want = gradient(f, *[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    got = autograd.grad(differentiate(f), tuple(range(len(args))))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_bare_differentiate_of_a_write_through_a_view_is_refused_at_the_call():
    x = np.array([0.5, 1.5, 2.0])
    f = differentiate(_writes_through_a_view)
    with pytest.raises(AdCompilerError, match=r"writes \['x'\] in place"):
        f(x)
    np.testing.assert_array_equal(x, [0.5, 1.5, 2.0])


def _square_into_(s, x):
    s[:] = x * x


def test_jax_refusal_inside_a_callback_is_raised_as_itself():
    """A refusal the kernel's callback raises (here a shape mismatch the kernel
    meets at run time) came out as JAX's JaxRuntimeError wrapping a traceback."""
    jax = require("jax")
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = differentiate(_square_into_, out="s", like=(3,))
    X = jnp.ones((2, 3))
    with pytest.raises(AdCompilerError, match="failed on arguments"):
        f(X)
    with pytest.raises(AdCompilerError, match="failed on arguments"):
        jax.grad(lambda X: jnp.sum(f(X)))(X)


def _accumulate_(s, x):
    s[...] += np.sum(x * x)


def test_jax_in_out_number_given_as_a_python_float():
    """``f(0.5, x)`` with ``s`` an in-out output: JAX said ``like=`` gave 0.5
    (the user gave no ``like=``); numpy, autograd and PyTorch took it."""
    jax = require("jax")
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = differentiate(_accumulate_, out="s")
    x = np.array([1.0, 2.0])
    assert float(f(0.5, jnp.asarray(x))) == pytest.approx(5.5)
    np.testing.assert_allclose(jax.grad(lambda x: f(0.5, x))(jnp.asarray(x)), 2 * x, rtol=1e-12)
    assert float(jax.grad(lambda s: f(s, jnp.asarray(x)))(0.5)) == pytest.approx(1.0)


def _read_zero_d(z, b):
    return float(z[...]) * 2.0 + float(np.sum(b))


def _zero_d_helper_(b, z):
    b[:] = b * math.exp(0.5 * z[...])


def _calls_zero_d_helper_(b, z):
    _zero_d_helper_(b, z)


@pytest.mark.parametrize("tape", ["torch", "jax"])
def test_zero_d_tensor_indexed_by_the_kernel(tape):
    """A 0-d tensor the kernel (or a function it calls) indexes ``z[...]``: the
    tapes passed it as a float (refused, or a TypeError in the forward half)."""
    f, g = differentiate(_read_zero_d), differentiate(_calls_zero_d_helper_, out="b")
    z0, b0 = 0.3, np.array([1.0, 2.0])
    if tape == "torch":
        torch = require("torch")
        z, b = torch.tensor(z0, dtype=torch.float64, requires_grad=True), torch.tensor(b0, requires_grad=True)
        f(z, b).backward()
        dz1, db1 = z.grad.item(), b.grad.numpy().copy()
        z.grad = None
        g(torch.tensor(b0), z).sum().backward()
        dz2 = z.grad.item()
    else:
        jax = require("jax")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        dz1, db1 = jax.grad(f, (0, 1))(jnp.asarray(z0), jnp.asarray(b0))
        dz2 = jax.grad(lambda z: jnp.sum(g(jnp.asarray(b0), z)))(jnp.asarray(z0))
    assert float(dz1) == pytest.approx(2.0)
    np.testing.assert_allclose(np.asarray(db1), 1.0)
    assert float(dz2) == pytest.approx(0.5 * np.exp(0.5 * z0) * b0.sum(), rel=1e-12)


def _mean_times_size(x):
    return float(np.mean(x) * x.size)


def _exp_plus_rank_(s, x):
    s[...] = np.exp(x) * x.size + x.ndim


def _size_through_a_second_name(x):
    y = x
    return float(y.sum() * y.size + x ** 2)


@pytest.mark.parametrize("tape", ["torch", "jax"])
def test_zero_d_tensor_whose_attributes_the_kernel_reads(tape):
    """A 0-d tensor the kernel reads ``x.size`` or ``x.ndim`` of: the tapes passed it as a float,
    and the kernel raised AttributeError (under jax.jit, from inside a callback)."""
    f, g = differentiate(_mean_times_size), differentiate(_exp_plus_rank_, out="s", like="x")
    if tape == "torch":
        torch = require("torch")
        t = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
        d1, = torch.autograd.grad(f(t), t)
        d2, = torch.autograd.grad(g(t), t)
    else:
        jax = require("jax")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        d1, d2 = jax.grad(f)(jnp.asarray(0.4)), jax.grad(lambda x: g(x))(jnp.asarray(0.4))
    assert float(d1) == pytest.approx(1.0, rel=1e-12)
    assert float(d2) == pytest.approx(np.exp(0.4), rel=1e-12)
    h = differentiate(_size_through_a_second_name)   # (the attribute read through another name)
    if tape == "torch":
        t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
        d3, = torch.autograd.grad(h(t), t)
    else:
        d3 = jax.grad(h)(jnp.asarray(0.7))
    assert float(d3) == pytest.approx(2.4, rel=1e-12)


def _int_on_one_path(x):
    if x[0] > 0.0:
        return 3
    return x[0] * 2.0


def test_float_kernel_returning_an_int_on_one_path():
    """autograd raised its own TypeError (it cannot differentiate an int result)."""
    import autograd
    f = differentiate(_int_on_one_path)
    np.testing.assert_array_equal(autograd.grad(f)(np.array([0.3, 0.7])), [0.0, 0.0])
    np.testing.assert_array_equal(autograd.grad(f)(np.array([-0.3, 0.7])), [2.0, 0.0])


def _scaled_by_a_number_(y, z, x):
    y[...] = np.sum(x) * z


@pytest.mark.parametrize("tape", ["torch", "jax"])
def test_like_a_zero_d_input(tape):
    """``like="z"`` of a 0-d tensor: the tapes pass it as a float, which like= refused."""
    f = differentiate(_scaled_by_a_number_, out="y", like="z")
    x = np.array([0.5, 1.0, 1.1])
    if tape == "torch":
        torch = require("torch")
        t = torch.tensor(x, requires_grad=True)
        f(torch.tensor(1.7, dtype=torch.float64), t).backward()
        g = t.grad.numpy()
    else:
        jax = require("jax")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        g = jax.grad(lambda x: f(jnp.asarray(1.7), x))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), 1.7, rtol=1e-12)


def _recurrence_(s, a, b):
    s[0] = b[0]
    for i in range(1, s.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]


_recurrence = differentiate(_recurrence_, out="s", like="a")


def _doubles_what_the_kernel_returned(z, a, b):
    s = _recurrence(a, b)
    s *= 2.0
    z[:] = s


def test_code_writing_the_array_a_differentiated_kernel_returned():
    """``s = f(a, b); s *= 2.0`` in code adcompiler differentiates: the returned
    array was the kernel's record, which its reverse sweep then read doubled."""
    from everywhere import check_everywhere

    from adcompiler import Duplicated
    a, b = np.array([0.3, -0.2, 0.5, 0.1]), np.array([1.0, 2.0, -1.0, 0.5])
    check_everywhere(_doubles_what_the_kernel_returned, Duplicated(np.zeros(4), np.zeros(4)),
                     Duplicated(a, np.zeros(4)), Duplicated(b, np.zeros(4)), forward=False, batch=False,
                     emitted=False)


def _two_outputs_(a, b, x):
    a[:] = x[0] * x[1] / 3.0
    b[:] = 2.0 * x[0] / 7.0


@pytest.mark.parametrize("tape", ["numpy", "autograd", "torch", "jax"])
def test_allocated_outputs_listed_out_of_parameter_order(tape):
    """``out=`` in another order than the kernel's parameters, with ``like=`` by
    name: each output gets its own shape and dtype (they were handed out in
    parameter order: another output's shape, a float64 result in float32)."""
    f = differentiate(_two_outputs_, out=("b", "a"), like={"a": (2,), "b": np.zeros(3, np.float32)})
    x0 = np.array([1.5, 2.0])
    want_a, want_b = np.full(2, 1.0), np.full(3, 3.0 / 7.0, np.float32)
    if tape == "numpy":
        b, a = f(x0)
    elif tape == "autograd":
        import autograd
        b, a = f(x0)
        g = autograd.grad(lambda x: np.sum(f(x)[1] * 3.0) + np.sum(f(x)[0]))(x0)
        np.testing.assert_allclose(g, [2 * 2.0 + 6 / 7.0, 2 * 1.5], rtol=1e-6)   # sum(3 a) + sum(b)
    elif tape == "torch":
        torch = require("torch")
        b, a = (t.detach().numpy() for t in f(torch.tensor(x0)))
    else:
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        b, a = (np.asarray(t) for t in f(jax.numpy.asarray(x0)))
    assert a.shape == (2,) and b.shape == (3,)
    assert a.dtype == np.float64 and b.dtype == np.float32
    np.testing.assert_allclose(a, want_a, rtol=1e-15)
    np.testing.assert_allclose(b, want_b, rtol=1e-6)


# ---- arrays the kernel reads from its module, written between the passes ----------------------
_W = np.array([1.0, 2.0, 3.0])
_P = {"s": np.array([0.5, 0.5, 0.5])}


def _weighted_(x):
    return np.sum(_W * x * x * _P["s"])


weighted = differentiate(_weighted_)


def _backward_after_writing(tape, write):
    """The gradient of ``weighted`` on ``tape`` with ``write()`` run between its forward and backward passes."""
    x = np.array([0.3, -0.2, 0.5])
    if tape == "torch":
        torch = require("torch")
        t = torch.tensor(x, requires_grad=True)
        y = weighted(t)
        write()
        y.backward()
        return t.grad.numpy()
    if tape == "autograd":
        from autograd import make_vjp
        vjp, _ = make_vjp(weighted)(x)
        write()
        return vjp(1.0)
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    _, pull = jax.vjp(weighted, jax.numpy.asarray(x))
    write()
    return np.asarray(pull(1.0)[0])


@pytest.mark.parametrize("tape", ["torch", "autograd", "jax"])
def test_module_arrays_written_between_the_passes_are_refused(tape):
    """The reverse sweep reads a module array again: written since the forward pass, its
    derivative would be another function's, so the backward pass is refused (JAX wraps the
    refusal in its own runtime error, raised from the callback)."""
    def write_w():
        _W[0] = 10.0

    def write_p():
        _P["s"][1] = 3.0

    x = np.array([0.3, -0.2, 0.5])
    for write, name in ((write_w, "`_W`"), (write_p, "`_P['s']`")):
        _W[:], _P["s"][:] = [1.0, 2.0, 3.0], 0.5
        with pytest.raises(Exception) as err:
            _backward_after_writing(tape, write)
        assert name in str(err.value) and "between the forward pass and this backward pass" in str(err.value)
        if tape != "jax":   # (at the kernel's definition: it named no file or line)
            assert isinstance(err.value, AdCompilerError) and "test_tape_values.py:" in str(err.value)
    _W[:], _P["s"][:] = [1.0, 2.0, 3.0], 0.5
    np.testing.assert_allclose(_backward_after_writing(tape, lambda: None), 2.0 * _W * x * 0.5)


def _halves(x, k):
    if k == 0:
        return float(np.sum(x * x))
    return _halves(x, k - 1) * 0.5


def _through_a_recursive_helper(x):
    return _halves(x, 3)


def _two_stages(y, x):
    cur = x
    for s in range(2):
        for n in range(x.shape[0]):
            y[s, n] = 0.5 * cur[n]
        cur = y[s]


def test_refusals_say_what_the_function_does():
    """A recursive function was refused as writing its argument (its call of itself was
    read as a call that may write); a name bound to an argument and then to the output the
    function writes, as a write the tapes' reading did not see: it only may be."""
    with pytest.raises(AdCompilerError, match=r"test_tape_values.py:\d+.*recursive functions are not supported"):
        differentiate(_halves)
    # (a recursive helper: the kernel's call of it was read as a call that may write)
    with pytest.raises(AdCompilerError, match=r"test_tape_values.py:\d+.*recursive functions are not supported"):
        differentiate(_through_a_recursive_helper)(np.ones(2))
    # (x is read through ``cur`` and ``cur`` then holds a row of y, which is written: x's own memory
    # never is, path by path, so the function is differentiated, not refused as writing x)
    x = np.array([0.5, 1.5, 2.0])
    y = differentiate(_two_stages, out="y", like=(2, 3))(x)
    np.testing.assert_array_equal(x, [0.5, 1.5, 2.0])
    np.testing.assert_allclose(y, [0.5 * x, 0.25 * x])
    from everywhere import check_everywhere

    from adcompiler import Const, Duplicated
    check_everywhere(_two_stages, Duplicated(np.zeros((2, 3)), np.zeros((2, 3))), Duplicated(x.copy(), np.zeros(3)),
                     ret=Const, out="y", tapes=("autograd", "jax", "torch"))

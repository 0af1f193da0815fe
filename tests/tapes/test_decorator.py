"""differentiate: the pure function's signature, values and refusals (numpy path)."""
import inspect

import numpy as np
import pytest

from adcompiler.errors import AdCompilerError, ShapeError
from adcompiler.tapes.differentiate import Differentiated, differentiate

from . import kernels as K


def test_signature_and_attributes():
    f = differentiate(K.seed_, out="s", like="a")
    assert isinstance(f, Differentiated)
    assert str(inspect.signature(f)) == "(a, b)"
    assert f.mutating is K.seed_
    assert f.__name__ == "seed_"
    assert f.written == {"s"}


def test_decorator_forms_give_the_same_function():
    @differentiate(out="s", like="a")
    def add_(s, a, b):
        s[:] = a + b

    a, b = np.arange(3.0), np.ones(3)
    np.testing.assert_array_equal(add_(a, b), a + b)
    np.testing.assert_array_equal(add_(a, b=b), a + b)


def test_plain_numpy_value_and_caller_arrays_untouched(thunk):
    f = differentiate(K.scale_inplace_, out="u")
    u, c = np.arange(4.0), np.full(4, 2.0)
    out = f(u, c)
    np.testing.assert_array_equal(out, 2 * np.arange(4.0))
    np.testing.assert_array_equal(u, np.arange(4.0))
    assert thunk.primal_runs == 1 and thunk.rev_calls == 0


@pytest.mark.parametrize("like", [
    "a", (5,), {"s": "a"}, {"s": lambda a, b: a}, {"s": lambda a, b: a.shape}, np.zeros(5),
])
def test_like_forms(like):
    f = differentiate(K.seed_, out="s", like=like)
    a, b = np.arange(5.0), np.ones(5)
    out = f(a, b)
    assert out.shape == (5,) and out.dtype == np.float64
    np.testing.assert_array_equal(out, a + 1)


def test_like_copies_float32():
    f = differentiate(K.seed_, out="s", like="a")
    a = np.ones(3, np.float32)
    assert f(a, a).dtype == np.float32


def test_several_outputs_return_a_tuple():
    f = differentiate(K.two_out_, out=("s", "t"), like={"s": "a", "t": "a"})
    s, t = f(np.ones(2), 3.0)
    np.testing.assert_array_equal(s, [3.0, 3.0])
    np.testing.assert_allclose(t, np.sin(1.0))


def test_bare_decorator_on_a_float_function():
    f = differentiate(K.sum_sq_)
    assert str(inspect.signature(f)) == "(a, n)"
    assert f(np.arange(3.0), 2) == pytest.approx(10.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"out": "z", "like": "a"}, "not a parameter"),
    ({"out": ("s", "s"), "like": "a"}, "twice"),
    ({"out": "s", "like": {"q": "a"}}, "not outputs"),
    ({"out": "s", "like": "a", "const": ("s",)}, "const="),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(AdCompilerError, match=match):
        differentiate(K.seed_, **kwargs)


def test_bare_decorator_on_a_mutating_function_is_refused():
    with pytest.raises(AdCompilerError, match="out="):
        differentiate(K.seed_)


def test_wrong_shapes_are_refused():
    f = differentiate(K.seed_, out="s", like="a")
    with pytest.raises(ShapeError, match=r"a: \(3,\), b: \(4,\)"):
        f(np.ones(3), np.ones(4))


def test_like_naming_an_integer_input_is_refused():
    f = differentiate(K.seed_, out="s", like="a")
    with pytest.raises(ShapeError, match="int64"):
        f(np.ones(3, np.int64), np.ones(3))


def test_gradient_of_an_integer_argument_is_refused(thunk):
    from adcompiler.tapes import split
    f = differentiate(K.seed_, out="s", like=(3,))
    with pytest.raises(AdCompilerError, match="int64"):
        split.forward(f, [np.ones(3, np.int64), np.ones(3)], [True, True])


def test_wrong_cotangent_shape_is_refused(thunk):
    from adcompiler.tapes import split
    f = differentiate(K.seed_, out="s", like="a")
    _, rec = split.forward(f, [np.ones(3), np.ones(3)], [True, True])
    with pytest.raises(ShapeError, match="cotangent"):
        split.backward(rec, [np.ones(4)])


def test_adjoint_source_follows_the_last_call(thunk):
    import autograd
    import autograd.numpy as anp
    f = differentiate(K.seed_, out="s", like="a")
    assert "def " in f.adjoint_source and "db" in f.adjoint_source
    autograd.grad(lambda a: anp.sum(f(a, np.ones(2))))(np.ones(2))
    src = f.adjoint_source
    assert "da" in src and "db" not in src


def _quartic(x):
    e = 0.0
    for i in range(x.shape[0]):
        e += x[i] ** 4 - x[i] ** 2
    return e


def _sines_(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[i]


def test_entry_points_differentiate_the_function_a_differentiate_object_wraps():
    import adcompiler as ad
    from adcompiler import differentiate
    energy, step = differentiate(_quartic), differentiate(_sines_, out="y", like="x")
    x, v = np.array([0.1, 0.2, 0.3]), np.array([1.0, -0.5, 2.0])
    want_g = 4 * x ** 3 - 2 * x
    want_h = np.diag(12 * x ** 2 - 2)
    np.testing.assert_allclose(ad.gradient(energy, x)[0], want_g, rtol=1e-12)
    np.testing.assert_allclose(ad.grad(energy)(x), want_g, rtol=1e-12)
    np.testing.assert_allclose(ad.value_and_grad(energy)(x)[1], want_g, rtol=1e-12)
    np.testing.assert_allclose(ad.jvp(energy, (x,), (v,))[1], want_g @ v, rtol=1e-12)
    np.testing.assert_allclose(ad.vjp(energy, x)[1](1.0)[0], want_g, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(energy, x), want_h, rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(energy, (x,), (v,))[0], want_h @ v, rtol=1e-12)
    dx = np.zeros(3)
    ad.autodiff(ad.Reverse, energy, ad.Active, ad.Duplicated(x.copy(), dx))
    np.testing.assert_allclose(dx, want_g, rtol=1e-12)
    np.testing.assert_allclose(ad.jacobian(step, np.zeros(3), x, out=0)[(0, 1)], np.diag(np.cos(x) * x + np.sin(x)),
                               rtol=1e-12)


@differentiate(out=("y", "z"), like={"y": "x", "z": lambda x: (2,)})
def _decorated_with_a_dict_and_a_lambda(y, z, x):
    y[:] = np.sin(x)
    z[:] = x[:2] * x[1:]


def test_decorator_options_are_not_read_as_kernel_code():
    """``@differentiate(like={...})`` or ``like=lambda ...``: the decorator line is
    not part of the kernel (it was refused as a dict display or lambda in it)."""
    import autograd
    x = np.array([1.0, 2.0, 3.0])
    y, z = _decorated_with_a_dict_and_a_lambda(x)
    np.testing.assert_allclose(y, np.sin(x))
    np.testing.assert_allclose(z, x[:2] * x[1:])
    g = autograd.grad(lambda x: autograd.numpy.sum(_decorated_with_a_dict_and_a_lambda(x)[1]))(x)
    np.testing.assert_allclose(g, [2.0, 4.0, 2.0])


def _two_outputs_(y, z, x):
    y[:] = x * x
    z[:] = np.sin(x)


_two = differentiate(_two_outputs_, out=("y", "z"), like="x")


def _calls_two(x):
    a, b = _two(x)
    return np.sum(a * b)


def test_a_kernel_with_several_outputs_called_from_differentiated_code_refused_saying_so():
    import adcompiler as ad
    with pytest.raises(AdCompilerError, match=r"`_two\(x\)`: `_two` is a differentiate'd kernel with several outputs"):
        ad.gradient(_calls_two, np.array([0.1, 0.2]))


def _maybe_returns_its_output_(y, x):
    y[:] = np.sin(x)
    return y if x[0] > 0 else None


def test_a_kernel_returning_its_output_or_none_is_accepted():
    f = differentiate(_maybe_returns_its_output_, out="y", like="x")
    np.testing.assert_allclose(f(np.array([0.5, 1.0])), np.sin([0.5, 1.0]))


@differentiate
def _two_numbers(x):
    return float(np.sum(x)), float(np.sum(x ** 2))


@differentiate
def _a_flag(x):
    return bool(np.sum(x) > 0)


@pytest.mark.parametrize("k", [_two_numbers, _a_flag])
def test_the_bare_form_refuses_a_result_that_is_not_a_number(k):
    """A tuple (or bool) returned by a bare differentiate'd function: the plain call
    returned it (a bool as 1.0), JAX raised its own internal error; every form
    now refuses it, naming the function."""
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(AdCompilerError, match=f"{k.__name__} returned"):
        k(x)


def _halved_(u, n):
    for _ in range(n):
        u[:] = u * 0.5


def test_checkpoint_with_the_numba_backend_refused_when_built():
    with pytest.raises(AdCompilerError, match="checkpoint= is not supported with backend='numba'"):
        differentiate(_halved_, out="u", checkpoint=2, backend="numba")


def _scaled_norm(x, c=2.0):
    return c * np.sum(x ** 2)


def test_defaults_replaced_after_wrapping_are_the_ones_used():
    """``f.__defaults__ = (5.0,)`` after ``differentiate(f)``: ``f(x)`` and ``grad``
    take the new default; the wrapped function kept the one it was made with
    (value and gradient both for c = 2)."""
    import autograd
    f = _scaled_norm
    pure = differentiate(f)
    x = np.array([0.3, -0.7, 1.1])
    try:
        np.testing.assert_allclose(autograd.grad(pure)(x), 4.0 * x, rtol=1e-14)
        f.__defaults__ = (5.0,)
        assert pure(x) == pytest.approx(f(x), rel=1e-14)
        np.testing.assert_allclose(autograd.grad(pure)(x), 10.0 * x, rtol=1e-14)
        assert inspect.signature(pure).parameters["c"].default == 5.0
    finally:
        f.__defaults__ = (2.0,)


def _prefix_sums(M, e):
    M[0] = e[0]
    for i in range(1, e.shape[0]):
        M[i] = e[i] + M[i - 1]


def test_out_by_position_is_out_by_name():
    """``out=0`` as vjp/jvp/jacobian take it (it raised a bare TypeError)."""
    import autograd
    e = np.random.default_rng(3).uniform(size=(3, 4))
    by_position, by_name = differentiate(_prefix_sums, out=0), differentiate(_prefix_sums, out="M")
    np.testing.assert_array_equal(by_position(np.zeros((3, 4)), e), by_name(np.zeros((3, 4)), e))
    g = autograd.grad(lambda v: autograd.numpy.sum(by_position(np.zeros((3, 4)), v) ** 2))(e)
    np.testing.assert_allclose(g, autograd.grad(lambda v: autograd.numpy.sum(by_name(np.zeros((3, 4)), v) ** 2))(e),
                               rtol=1e-15)
    with pytest.raises(AdCompilerError, match="positions"):
        differentiate(_prefix_sums, out=5)


@differentiate
def _weighted_energy(x, scale=2.0):
    return float(np.sum(scale * x ** 2))


def _calls_with_the_default(x):
    return _weighted_energy(x) + float(np.sum(x))


def test_a_wrapped_function_called_with_its_default_in_differentiated_code():
    """Code adcompiler differentiates calls a wrapped function leaving out a parameter with
    a default (IndexError in the split rule's arguments)."""
    from adcompiler import gradient
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(gradient(_calls_with_the_default, x)[0], 4 * x + 1, rtol=1e-15)


@differentiate(out="y", like="x")
def _scaled_squares(y, x, beta=2.0):
    y[:] = beta * x ** 2


def _calls_by_keyword(x, a):
    return float(np.sum(_scaled_squares(x, beta=a))) + _weighted_energy(x, scale=a)


def test_a_wrapped_function_called_by_keyword_in_differentiated_code():
    """``scale_(x, beta=a)`` in code adcompiler differentiates: the forward function of the
    split rule took positions only (TypeError), and the reverse one dropped the keyword."""
    from adcompiler import gradient
    x, a = np.array([0.3, -0.7, 1.2]), 0.8
    gx, ga = gradient(_calls_by_keyword, x, a)
    np.testing.assert_allclose(gx, 4 * a * x, rtol=1e-14)
    np.testing.assert_allclose(ga, 2 * np.sum(x ** 2), rtol=1e-14)


@differentiate(out="u")
def _explicit_steps(u, *, dt=0.1, p=2.0):
    for i in range(u.shape[0]):
        u[i] = u[i] + dt * abs(u[i]) ** p


def _calls_with_keyword_only(u, dt, p):
    return float(np.sum(np.arange(1.0, 5.0) * _explicit_steps(u, dt=dt, p=p)))


def _calls_with_one_keyword_only(u, dt):
    return float(np.sum(_explicit_steps(u, dt=dt) ** 2))


def test_a_wrapped_function_given_keyword_only_parameters_in_differentiated_code():
    """``F(u, dt=dt, p=p)`` of a kernel with keyword-only ``dt`` and ``p``, in code adcompiler
    differentiates: the generated code passes them in order, which the split rule bound as
    the kernel's positions (refused: too many positional arguments)."""
    from adcompiler import Active, Duplicated, Forward, autodiff, gradient
    from adcompiler.testing import check_grads
    u0 = np.array([0.5, -1.2, 0.8, 2.0])
    check_grads(_calls_with_keyword_only, Duplicated(u0.copy(), np.zeros(4)), Active(0.15), Active(1.7))
    check_grads(_calls_with_one_keyword_only, Duplicated(u0.copy(), np.zeros(4)), Active(0.15))
    _, gdt = gradient(_calls_with_one_keyword_only, u0.copy(), 0.15)
    h = 1e-6
    want = (_calls_with_one_keyword_only(u0.copy(), 0.15 + h) - _calls_with_one_keyword_only(u0.copy(), 0.15 - h)) / (2 * h)
    assert gdt == pytest.approx(want, rel=1e-6)
    (t,) = autodiff(Forward, _calls_with_one_keyword_only, Duplicated, Duplicated(u0.copy(), np.zeros(4)),
                    Duplicated(0.15, 1.0))
    assert t == pytest.approx(want, rel=1e-6)


def _imports_inside(z):
    from math import fsum  # (an import inside the function)
    return fsum(z)


def _calls_an_undefined_name(z):
    return float(np.sum(undefined_here(z)))  # noqa: F821


@pytest.mark.parametrize("f, says", [(_imports_inside, "import inside the function"),
                                     (_calls_an_undefined_name, "`undefined_here` is not defined")])
def test_the_bare_form_names_what_it_cannot_read_not_a_write(f, says):
    """A call of what cannot be read is taken as writing every argument: the bare
    differentiate said "writes ['z'] in place"; it names the construct now, at its line."""
    with pytest.raises(AdCompilerError, match=says) as e:
        differentiate(f)
    assert "test_decorator.py:" in str(e.value) and "in place" not in str(e.value)


class _Walker:
    def steps(self, n):
        return np.ones(n)


def _walk(step, nwalk=4):
    w = _Walker()
    pos = np.zeros(nwalk)
    pos += step * w.steps(nwalk)
    return np.sum(pos ** 2)


def test_an_argument_given_to_a_call_that_cannot_be_read_is_named_at_the_call():
    """The bare form of a kernel passing an int to a method it cannot read said
    "_walk writes ['nwalk'] in place" at its def line, a write it never makes: it names
    the call now, and says it may write."""
    with pytest.raises(AdCompilerError) as e:
        differentiate(_walk)
    line = inspect.getsourcelines(_walk)[1] + 3
    assert f"test_decorator.py:{line}: `pos += step * w.steps(nwalk)`" in str(e.value)
    assert "may write ['nwalk'] in place through the call on this line" in str(e.value)

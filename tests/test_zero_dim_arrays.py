"""A 0-d array made of a number (``np.array(v)``, ``np.asarray(v)``, ``np.copy(v)``) is an
array: written in place through another name or by a helper, as numpy writes it (it was
taken for a number, and those writes were lost: the primal and the gradient were wrong).
A reduction over every axis by name (``np.mean(r, axis=0)`` of a vector, ``sum(v)``) is a
number, as numpy gives it (``loss += ...`` on it raised a TypeError in the derivative)."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient, check_primal_annotated

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def _update(s, v, alpha):
    s *= (1 - alpha)
    s += alpha * v


def ewma_by_a_helper(y, x, alpha):
    s = np.array(x[0])
    y[0] = s
    for t in range(1, x.shape[0]):
        _update(s, x[t], alpha)
        y[t] = s


def _accumulate(acc, v):
    acc += v


def accumulated_by_a_helper(x):
    acc = np.array(0.0)
    for i in range(x.shape[0]):
        _accumulate(acc, x[i] ** 2)
    return float(acc)


def written_through_another_name(x):
    s = np.asarray(x[1])
    t = s
    s *= 3.0
    return float(t) * x[0]


def copied_then_written(x):
    s = np.copy(x[2])
    t = s
    t += x[0] * x[1]
    return float(s) ** 2


def out_into_it(x):
    acc = np.array(0.0, dtype=float)
    np.add(acc, x[0] ** 2, out=acc)
    np.multiply(acc, x[1], out=acc)
    return float(acc)


def mean_along_the_only_axis(w, X, y, lam):
    r = X @ w - y
    loss = np.mean(r ** 2, axis=0)
    loss += lam * (w @ w)
    return loss


def builtin_sum_scaled(x):
    s = sum(x ** 2)
    s *= 2.0
    m = x.max(axis=-1)
    m += 1.0
    return s * m


def _x():
    return np.array([1.1, -0.5, 0.7, 0.3, 0.8])


def _d(v):
    return Duplicated(v.copy(), np.zeros_like(v))


CASES = [
    (ewma_by_a_helper, lambda: (_d(np.zeros(5)), _d(_x()), Active(0.3)), ("y",)),
    (accumulated_by_a_helper, lambda: (_d(_x()),), ()),
    (written_through_another_name, lambda: (_d(_x()),), ()),
    (copied_then_written, lambda: (_d(_x()),), ()),
    (out_into_it, lambda: (_d(_x()),), ()),
    (mean_along_the_only_axis, lambda: (_d(_x()[:3]), Const(np.arange(12.0).reshape(4, 3) / 7), Const(_x()[:4]),
                                        Active(0.1)), ()),
    (builtin_sum_scaled, lambda: (_d(_x()),), ()),
]


@pytest.mark.parametrize("f, args, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("f, args, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_primal_as_numpy_computes_it(f, args, out):
    check_primal_annotated(f, args())


def test_closed_forms():
    x = _x()
    np.testing.assert_allclose(ad.gradient(accumulated_by_a_helper, x.copy())[0], 2 * x, rtol=1e-14)
    g = ad.gradient(written_through_another_name, x.copy())[0]
    np.testing.assert_allclose(g, [3 * x[1], 3 * x[0], 0, 0, 0], rtol=1e-14)


def test_numba_backend():
    check_numba_gradient(builtin_sum_scaled, _d(_x()))
    check_numba_gradient(mean_along_the_only_axis, *CASES[5][1]())


@pytest.mark.parametrize("f", [accumulated_by_a_helper, written_through_another_name, copied_then_written])
def test_numba_backend_right_or_refused_at_the_line(f):
    """numba's 0-d arrays are not all supported: a refusal naming the line, else numpy's gradient."""
    try:
        check_numba_gradient(f, _d(_x()))
    except ad.AdCompilerError as e:
        assert e.filename == __file__ and e.lineno is not None, e


def reduced_of_unknown_rank(v, b):
    p = np.sum(v * b, axis=0)
    p *= 0.5
    return np.sum(p * v)


def test_reduction_of_unknown_rank_updated_in_place_is_refused_at_its_line():
    """Without ranks (the command line without --shape), ``np.sum(v * b, axis=0)`` may be a
    number (of a vector) or an array, so ``p *= 0.5`` may rebind or write: refused with the
    way out (it raised a TypeError on numpy's number when taken for an array)."""
    from adcompiler.analysis.kinds import array
    from adcompiler.pipeline import reverse_module
    with pytest.raises(ad.AdCompilerError, match="cannot tell whether `p` is an array") as e:
        reverse_module(reduced_of_unknown_rank, (array(None), array(None)), ("Duplicated",) * 2, True)
    assert e.value.filename == __file__ and e.value.hint


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_reduction_of_known_rank_updated_in_place(shape):
    v, b = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), np.cos(np.arange(np.prod(shape))).reshape(shape)
    check_everywhere(reduced_of_unknown_rank, _d(v), _d(b))


def unary_then_in_place(x):
    s = np.array(x[0])
    t = +s           # (numpy gives a number: t is rebound below, s unchanged)
    t *= x[1]
    u = -s
    u += x[2]
    return s * x[2] + t * u


def test_unary_of_a_zero_d_array_is_a_number():
    check_everywhere(unary_then_in_place, _d(_x()))


def max_of_a_zero_d_array_written_later(x):
    s = np.array(x[0])
    m = max(s, x[1])   # (m is s itself where s is the larger)
    s += x[2] ** 2
    return m * x[2]


def conj_of_a_zero_d_array(x):
    s = np.array(x[0] ** 2)
    t = s.conj()       # (t is s itself: s is real)
    t *= x[1]
    return s * x[2] + t


@pytest.mark.parametrize("f", [max_of_a_zero_d_array_written_later, conj_of_a_zero_d_array])
def test_calls_returning_the_zero_d_array_itself_are_refused(f):
    """Their gradients were wrong (the result taken for a copy); refused at the line."""
    with pytest.raises(ad.AdCompilerError, match="returns") as e:
        ad.gradient(f, _x())
    assert e.value.filename == __file__ and e.value.lineno is not None

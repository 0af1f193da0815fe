"""np.histogram: the counts are piecewise constant in the data (derivative
0), linear in ``weights`` (also with ``density=True``); the edges follow
min(a) and max(a) when ``bins`` is a count and ``range`` is not given."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import (
    Active,
    AdCompilerError,
    Duplicated,
    Reverse,
    autodiff,
    grad,
    gradient,
    hvp,
)

RNG = np.random.default_rng(9)
A = RNG.uniform(0.05, 0.95, 14)
W = RNG.uniform(0.5, 1.5, 14)


def weighted(w, a):
    h, _e = np.histogram(a, bins=4, range=(0.0, 1.0), weights=w)
    return np.sum(h * h * np.arange(1.0, 5.0))


def weighted_density(w, a):
    h, _e = np.histogram(a, bins=np.array([0.0, 0.2, 0.5, 0.9, 1.0]), density=True, weights=w)
    return np.sum(h ** 2 * np.arange(1.0, 5.0))


def data_edges(a, w):
    h, e = np.histogram(a, bins=5, weights=w, density=True)
    return np.sum(h ** 2 * np.arange(1.0, 6.0)) + np.sum(e ** 2)


def counts_only(a):
    h, _e = np.histogram(a, bins=3, range=(0.0, 1.0))
    return np.sum(h * a[:3])


def into(out, w, a):
    h, _e = np.histogram(a, bins=6, range=(0.0, 1.0), weights=w)
    out[:] = h * 0.5


def dup(x):
    return Duplicated(x.copy(), np.zeros_like(x))


@pytest.mark.parametrize("f", [weighted, weighted_density])
def test_differentiable_in_weights(f):
    check_everywhere(f, dup(W), A)


def test_edges_and_density_follow_the_data():
    check_everywhere(data_edges, dup(A), dup(W))


def test_histogram_into_memory():
    check_everywhere(into, dup(np.zeros(6)), dup(W), A, out="out")


def test_counts_have_no_derivative_in_the_data():
    a = A.copy()
    da = np.zeros_like(a)
    autodiff(Reverse, counts_only, Active, Duplicated(a, da))
    h, _ = np.histogram(A, bins=3, range=(0.0, 1.0))
    want = np.zeros_like(A)
    want[:3] = h   # only the explicit a[:3] factor; the counts contribute nothing
    np.testing.assert_allclose(da, want)
    check_everywhere(counts_only, dup(A))


def test_weights_gradient_is_the_bin_adjoint():
    w, dw = W.copy(), np.zeros_like(W)
    autodiff(Reverse, weighted, Active, Duplicated(w, dw), A)
    h, _e = np.histogram(A, bins=4, range=(0.0, 1.0), weights=W)
    k = np.minimum(np.floor(A * 4).astype(int), 3)
    np.testing.assert_allclose(dw, (2 * h * np.arange(1.0, 5.0))[k])


def named_bins(a):
    h, _e = np.histogram(a, bins="auto")
    return np.sum(h * a[0])


def named_bins_edges(a):
    _h, e = np.histogram(a, bins="auto")
    return np.sum(e * a[0])


def test_named_bins_refused_in_the_data():
    """bins="auto": edges from an estimator of the data, which has no derivative here: refused
    where the edges are read; the counts (ints, piecewise constant) are read without them."""
    from adcompiler.errors import AdCompilerError
    with pytest.raises(AdCompilerError, match="auto") as err:
        autodiff(Reverse, named_bins_edges, Active, dup(A))
    assert "test_histogram.py:" in str(err.value) and 'np.histogram(a, bins="auto")' in str(err.value)
    h, _ = np.histogram(A, bins="auto")
    want = np.zeros_like(A)
    want[0] = np.sum(h)
    np.testing.assert_allclose(gradient(named_bins, A)[0], want)


def edges_given(edges):
    h, e = np.histogram(np.array([0.1, 0.5, 0.9, 1.4, 2.2]), bins=edges)
    return np.sum(e ** 2) + np.sum(h * e[1:])


def edges_from_range(lo):
    _h, e = np.histogram(np.array([0.1, 0.5, 0.9, 1.4, 2.2]), bins=4, range=(lo, 3.0))
    return np.sum(e * e)


def range_of_the_data(x, w):
    h, e = np.histogram(x, bins=5, range=(x.min() - 0.5, x.max() * 2.0), weights=w)
    return np.sum(h * e[:-1] ** 2) + np.sum(e[1:] * h)


def test_edges_follow_bins_and_range():
    """The edges returned are ``bins`` given as edges, or ``linspace(lo, hi, bins + 1)`` of ``range``
    (they were taken for constants: a derivative through them was 0)."""
    edges = np.array([0.0, 0.6, 1.2, 2.5])
    h, _ = np.histogram(np.array([0.1, 0.5, 0.9, 1.4, 2.2]), bins=edges)
    want = 2 * edges + np.concatenate([[0.0], h])
    np.testing.assert_allclose(gradient(edges_given, edges)[0], want)
    np.testing.assert_allclose(hvp(edges_given, (edges,), (np.ones(4),))[0], 2 * np.ones(4))
    e = np.linspace(0.05, 3.0, 5)
    assert np.isclose(grad(edges_from_range)(0.05), np.sum(2 * e * (1 - np.arange(5) / 4)))
    check_everywhere(edges_given, dup(edges))
    check_everywhere(edges_from_range, Active(0.05))
    x = np.array([0.3, 1.2, -0.4, 0.8, 2.0, 1.1])
    check_everywhere(range_of_the_data, dup(x), dup(W[:6]))
    for backend in ("numba", "auto"):
        try:
            got = gradient(range_of_the_data, x, W[:6], backend=backend)
        except AdCompilerError:
            assert backend == "numba"
            continue
        for a, b in zip(got, gradient(range_of_the_data, x, W[:6])):
            np.testing.assert_allclose(a, b)


def density_of_varied_range(lo):
    h, _e = np.histogram(np.array([0.1, 0.5, 0.9]), bins=3, range=(lo, 1.0), density=True)
    return np.sum(h ** 2)


def test_density_with_varied_range_refused():
    with pytest.raises(AdCompilerError, match="range"):
        grad(density_of_varied_range)(0.0)


def edges_beside_complex_values(x, w):
    lo = float(np.min(w)) - 1.0
    h, e = np.histogram(x, bins=3, range=(lo, lo + 3.0))
    z = w + 1j * w
    return float(np.sum(e * e)) * 0.1 + float(np.sum(h)) * 0.01 + float(np.sum(np.abs(z) ** 2))


def test_edges_read_in_a_function_with_complex_values():
    """A complex function's adjoint of the edges read from the result (``_ad_real_if`` was given the
    adjoint list of the result, of two shapes: a ValueError)."""
    x = np.array([0.3, -0.5, 0.8, 1.1])
    check_everywhere(edges_beside_complex_values, x, dup(np.array([0.4, -0.2, 0.9])))


def _histogram_of(a, e, w):
    return np.histogram(a, bins=e, weights=w)


def returned_by_a_helper(edges, w):
    h, e = _histogram_of(np.array([0.1, 0.5, 0.9, 1.4]), edges, w)
    return np.sum(e ** 2) + np.sum(h * h)


def test_a_helper_returning_the_histogram():
    """A helper's ``return np.histogram(...)``: the result is a tuple of two arrays of different
    lengths (it was taken for one array: a ValueError in the helper's reverse half)."""
    check_everywhere(returned_by_a_helper, dup(np.array([0.0, 0.6, 1.2, 2.5])), dup(np.array([1.0, 2.0, 0.5, 1.5])))

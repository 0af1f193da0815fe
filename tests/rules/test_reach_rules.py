"""The rules added for real numpy code: einsum of any number of operands,
histogram, cov, corrcoef, ``ufunc.at`` and ``where=``. Each row runs through
every entry point (``everywhere.check_everywhere``: reverse, split and the
emitted module against finite differences, forward by the dot-product test,
vector mode against forward) and, where autograd has the function, against
autograd."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Const, Duplicated, gradient


def D(rng, *shape, lo=0.5, hi=1.5):
    x = rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


def _against_autograd(f_np, f_ag, args):
    """The gradient of ``f_np`` (through adcompiler) equals autograd's of ``f_ag``."""
    import autograd
    vals = [a.val for a in args]
    got = gradient(f_np, *copy.deepcopy(vals))
    for k in range(len(vals)):
        want = autograd.grad(f_ag, k)(*copy.deepcopy(vals))
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-12)


# -- einsum ---------------------------------------------------------------------------

def einsum3(x, y, z):
    return np.sum(np.einsum("ij,jk,kl->il", x, y, z) ** 2)


def einsum_bilinear(x, W, y, out):
    out[:] = np.einsum("bi,oij,bj->bo", x, W, y)


def einsum_diag(x):
    return np.sum(np.einsum("ii->i", x) ** 2)


def einsum_ellipsis(x, y):
    return np.sum(np.einsum("...ij,...j->...i", x, y, optimize=True) ** 2)


def einsum_broadcast(x, y):
    return np.sum(np.einsum("...i,...i", x, y) ** 2)


def einsum_implicit4(a, b, c, d):
    return np.sum(np.einsum("ij,jk,kl,lm", a, b, c, d) * 0.5)


def einsum_one_constant(x, w):
    return np.sum(np.einsum("i,ij,j", x, w, x))


EINSUM = {
    "three": (einsum3, lambda r: [D(r, 2, 3), D(r, 3, 4), D(r, 4, 2)], None),
    "bilinear": (einsum_bilinear, lambda r: [D(r, 3, 4), D(r, 2, 4, 5), D(r, 3, 5), D(r, 3, 2)], "out"),
    "diag": (einsum_diag, lambda r: [D(r, 3, 3)], None),
    "ellipsis": (einsum_ellipsis, lambda r: [D(r, 2, 3, 4), D(r, 2, 4)], None),
    "broadcast_ellipsis": (einsum_broadcast, lambda r: [D(r, 2, 3), D(r, 1, 3)], None),
    "implicit_four": (einsum_implicit4, lambda r: [D(r, 2, 3), D(r, 3, 2), D(r, 2, 2), D(r, 2, 3)], None),
    "same_operand_twice": (einsum_one_constant, lambda r: [D(r, 3), Const(r.standard_normal((3, 3)))], None),
}


@pytest.mark.parametrize("name", sorted(EINSUM))
def test_einsum(name, rng):
    f, make, out = EINSUM[name]
    check_everywhere(f, *make(rng), out=out, seed=int(rng.integers(1 << 30)))


def test_einsum_against_autograd(rng):
    import autograd.numpy as anp

    def f_ag(x, y, z):
        return anp.sum(anp.einsum("ij,jk,kl->il", x, y, z) ** 2)
    _against_autograd(einsum3, f_ag, [D(rng, 2, 3), D(rng, 3, 4), D(rng, 4, 2)])


# -- ufunc.at ---------------------------------------------------------------------------

IDX = np.array([0, 2, 2, 1, 2, 4])


def multiply_at(a, v):
    b = a * 1.0
    np.multiply.at(b, IDX, v)
    return np.sum(b * b)


def maximum_at(a, v, o):
    o[:] = a
    np.maximum.at(o, IDX, v)


def sin_at(a):
    b = a * 1.0
    np.sin.at(b, IDX)
    return np.sum(b * np.arange(5.0))


def divide_at_2d(a, v, idx):
    np.divide.at(a, (idx, 1), v)


def power_at_scalar(a, p):
    np.power.at(a, IDX, p)


UFUNC_AT = {
    "multiply": (multiply_at, lambda r: [D(r, 5), D(r, 6)], None),
    "maximum": (maximum_at, lambda r: [D(r, 5), D(r, 6), D(r, 5)], "o"),
    "sin": (sin_at, lambda r: [D(r, 5)], None),
    "divide_2d": (divide_at_2d, lambda r: [D(r, 3, 4), D(r, 4), Const(np.array([0, 2, 0, 0]))], "a"),
    "power": (power_at_scalar, lambda r: [D(r, 5, lo=0.5, hi=1.0), Const(1.3)], "a"),
}


@pytest.mark.parametrize("name", sorted(UFUNC_AT))
def test_ufunc_at(name, rng):
    f, make, out = UFUNC_AT[name]
    args = make(rng)
    if name == "power":
        args[0].val[:] = np.abs(args[0].val)
    check_everywhere(f, *args, out=out, seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("ufunc", [np.multiply, np.maximum, np.minimum, np.divide, np.power, np.hypot,
                                   np.arctan2, np.fmod])
def test_ufunc_at_primal_is_numpys(ufunc, rng):
    """Repeated indices compose exactly as numpy applies them (bit for bit)."""
    from adcompiler import Reverse, autodiff
    ns = {"np": np, "IDX": IDX}
    src = f"def f(a, v):\n    np.{ufunc.__name__}.at(a, IDX, v)\n"
    import linecache
    name = f"<ufunc_at {ufunc.__name__}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    exec(compile(src, name, "exec"), ns)  # noqa: S102 - a two-line kernel written above
    a, v = rng.uniform(0.5, 1.5, 5), rng.uniform(0.5, 1.5, 6)
    want = a.copy()
    ufunc.at(want, IDX, v)
    autodiff(Reverse, ns["f"], Const, Duplicated(a, np.ones(5)), Duplicated(v, np.zeros(6)))
    np.testing.assert_array_equal(a, want)


# -- cov and corrcoef -------------------------------------------------------------------

W = np.random.default_rng(5).uniform(0.5, 1.5, (4, 4))


def cov_1d(x):
    return np.cov(x) * 2.0


def cov_rows(x):
    return np.sum(np.cov(x) * W[:3, :3])


def cov_columns_two_sets(x, y):
    return np.sum(np.cov(x, y, rowvar=False, ddof=0) * W)


def cov_weighted(x, w):
    return np.sum(np.cov(x, aweights=w, bias=True) * W[:3, :3])


def corrcoef_rows(x):
    return np.sum(np.corrcoef(x) * W[:3, :3])


def corrcoef_pair(x, y):
    return np.sum(np.corrcoef(x, y) * W[:2, :2])


def corrcoef_columns(x):
    return np.sum(np.corrcoef(x, rowvar=False) * W[:2, :2])


STATS = {
    "cov_1d": (cov_1d, lambda r: [D(r, 5)]),
    "cov_rows": (cov_rows, lambda r: [D(r, 3, 5)]),
    "cov_columns_two_sets": (cov_columns_two_sets, lambda r: [D(r, 5, 2), D(r, 5, 2)]),
    "cov_weighted": (cov_weighted, lambda r: [D(r, 3, 5), Const(r.uniform(0.5, 1.0, 5))]),
    "corrcoef_rows": (corrcoef_rows, lambda r: [D(r, 3, 5)]),
    "corrcoef_pair": (corrcoef_pair, lambda r: [D(r, 5), D(r, 5)]),
    "corrcoef_columns": (corrcoef_columns, lambda r: [D(r, 5, 2)]),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics(name, rng):
    f, make = STATS[name]
    check_everywhere(f, *make(rng), seed=int(rng.integers(1 << 30)))


def test_cov_against_autograd(rng):
    import autograd.numpy as anp

    def f_ag(x):
        xc = x - anp.mean(x, axis=1, keepdims=True)
        return anp.sum(anp.dot(xc, xc.T) / (x.shape[1] - 1) * W[:3, :3])
    _against_autograd(cov_rows, f_ag, [D(rng, 3, 5)])


def test_cov_differentiable_weights_refused(rng):
    from adcompiler import AdCompilerError, Duplicated, Forward, Reverse, autodiff
    x, w = rng.standard_normal((3, 5)), rng.uniform(0.5, 1.0, 5)
    for mode, ret in ((Reverse, "Active"), (Forward, "Duplicated")):
        import adcompiler
        with pytest.raises(AdCompilerError, match="aweights"):
            autodiff(mode, cov_weighted, getattr(adcompiler, ret), Duplicated(x.copy(), np.zeros((3, 5))),
                     Duplicated(w.copy(), np.zeros(5)))


# -- where= on ufuncs and reductions -------------------------------------------------------

MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])


def log_where(x, o):
    np.log(x, out=o, where=x > 0)


def multiply_where(x, y, o):
    np.multiply(x, y, out=o, where=y > 0)


def sqrt_where_rebound(x, o):
    o = np.sqrt(x, out=o, where=x > 0)
    return np.sum(o * o)


def prod_where(x):
    return np.sum(np.prod(x, axis=1, where=MASK) * np.arange(3.0))


def max_where(x):
    return np.sum(np.max(x, axis=0, where=MASK, initial=-10.0) * np.arange(4.0))


def var_where(x):
    return np.sum(np.var(x, axis=1, where=MASK, ddof=1) * np.arange(3.0))


def std_where(x):
    return np.std(x, where=MASK)


def var_where_masked_nan(x):
    y = x * 1.0
    y[0, 1] = np.nan
    return np.sum(np.var(y, axis=1, where=MASK, keepdims=True))


WHERE = {
    "log": (log_where, lambda r: [D(r, 3, 4), D(r, 3, 4)], "o"),
    "multiply": (multiply_where, lambda r: [D(r, 3, 4), D(r, 4), D(r, 3, 4)], "o"),
    "sqrt_rebound": (sqrt_where_rebound, lambda r: [D(r, 5), D(r, 5)], None),
    "prod": (prod_where, lambda r: [D(r, 3, 4)], None),
    "max": (max_where, lambda r: [D(r, 3, 4)], None),
    "var": (var_where, lambda r: [D(r, 3, 4)], None),
    "std": (std_where, lambda r: [D(r, 3, 4)], None),
    "var_masked_nan": (var_where_masked_nan, lambda r: [D(r, 3, 4)], None),
}


@pytest.mark.parametrize("name", sorted(WHERE))
def test_where(name, rng):
    f, make, out = WHERE[name]
    args = make(rng)
    ret = autodiff_primal(f, args)
    want = f(*[copy.deepcopy(a.val) for a in args])
    if want is not None:
        np.testing.assert_allclose(ret, want, rtol=1e-14)
    check_everywhere(f, *args, out=out, seed=int(rng.integers(1 << 30)))


def autodiff_primal(f, args):
    from adcompiler import Active, ReverseWithPrimal, autodiff
    from adcompiler import Const as C
    copies = [Duplicated(copy.deepcopy(a.val), np.zeros_like(a.val)) for a in args]
    ret = Active if f(*[copy.deepcopy(a.val) for a in args]) is not None else C
    return autodiff(ReverseWithPrimal, f, ret, *copies)[1]


@pytest.mark.parametrize("src, match", [
    ("np.sum(np.sin(x, where=x > 0))", "uninitialized"),
    ("np.max(x, where=x > 0)", "initial="),
])
def test_where_refused(src, match):
    import linecache

    from adcompiler import Active, AdCompilerError, autodiff
    from adcompiler import Reverse as Rev
    text = f"def f(x):\n    return {src}\n"
    name = f"<where {src}>"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    ns = {"np": np}
    exec(compile(text, name, "exec"), ns)  # noqa: S102 - a two-line kernel written above
    with pytest.raises(AdCompilerError, match=match):
        autodiff(Rev, ns["f"], Active, Duplicated(np.ones(3), np.zeros(3)))


def _taken_along_broadcast(out, X, idx):
    out[...] = np.take_along_axis(X, idx, axis=1) * X[:, :1]


def test_take_along_axis_with_a_broadcast_index_through_every_entry_point():
    """An index of one row broadcast over the rows of X (and X of one row over the index's rows): the
    adjoint sums over the broadcast (a ValueError or IndexError from the derivative)."""
    rng = np.random.default_rng(3)
    for X, idx in ((rng.standard_normal((3, 5)), np.array([[4, 0, 4]])),
                   (rng.standard_normal((1, 5)), np.array([[0, 1], [4, 4], [2, 0]]))):
        shape = np.broadcast_shapes((X.shape[0], idx.shape[1]), idx.shape)
        check_everywhere(_taken_along_broadcast, Duplicated(np.zeros(shape), rng.standard_normal(shape)),
                         Duplicated(X, np.zeros_like(X)), Const(idx), out="out", tapes=("autograd", "jax", "torch"))

"""Forward mode over the whole catalogue.

For every (function, activity pattern) of the catalogue:

- the dot-product test between forward and reverse mode,
  ``<ybar, J xdot> == <J^T ybar, xdot>``, to 1e-10 relative in float64, where
  ``xdot`` are random tangents of the Duplicated arrays and Active scalars and
  ``ybar`` random seeds of the Duplicated arrays' final values and of the
  return value;
- forward mode against central finite differences of the primal along
  ``xdot``.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest
from catalogue import Row, cases

import adcompiler as ad


def _inputs(row: Row, pattern: str):
    letters, _, ret = pattern.partition(">")
    rng = np.random.default_rng(zlib.crc32(row.name.encode()))
    values = row.make(rng)
    returns = ret == "A" or (ret == "" and _returns_float(row, values))
    return letters, values, returns


def _returns_float(row, values):
    out = row.fn(*[v.copy() if isinstance(v, np.ndarray) else v for v in values])
    return out is not None and np.ndim(out) == 0


def _copy(values):
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


def _forward(row, letters, values, tangents, returns):
    args = []
    xs = _copy(values)
    dxs = {}
    for i, (letter, v) in enumerate(zip(letters, xs)):
        if letter in "DN" or letter == "A":
            dxs[i] = tangents[i].copy() if isinstance(v, np.ndarray) else tangents[i]
            args.append(ad.Duplicated(v, dxs[i]))
        else:
            args.append(ad.Const(v))
    out = ad.autodiff(ad.ForwardWithPrimal, row.fn, ad.Duplicated if returns else ad.Const, *args)
    return xs, dxs, out


def _reverse(row, letters, values, seeds, dret, returns):
    args = []
    xs = _copy(values)
    shadows = {}
    for i, (letter, v) in enumerate(zip(letters, xs)):
        if letter in "DN":
            shadows[i] = seeds[i].copy()
            args.append(ad.Duplicated(v, shadows[i]))
        elif letter == "A":
            args.append(ad.Active(v))
        else:
            args.append(ad.Const(v))
    if returns:
        fwd, rev = ad.autodiff_thunk(ad.ReverseSplitWithPrimal, row.fn, ad.Active,
                                     *[type(a) for a in args])
        tape, _ = fwd(*args)
        derivs = rev(*args, dret, tape)
    else:
        derivs = ad.autodiff(ad.Reverse, row.fn, ad.Const, *args)
    return shadows, derivs


def _tangents(rng, values, diff):
    return {i: rng.standard_normal(np.shape(values[i])).astype(values[i].dtype)
            if isinstance(values[i], np.ndarray) else float(rng.standard_normal()) for i in diff}


def _setup(row, pattern, seed):
    """Inputs of a catalogue case, the differentiated positions and random tangents for them."""
    letters, values, returns = _inputs(row, pattern)
    diff = [i for i, letter in enumerate(letters) if letter in "DNA"]
    return letters, values, returns, diff, _tangents(np.random.default_rng(seed), values, diff)


def _tol(values):
    """1e-10 in float64; float32 arithmetic only gets to about 1e-4."""
    single = any(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in values)
    return 1e-4 if single else 1e-10


PARAMS = [pytest.param(row, p, id=f"{row.name}-{p.replace('>', '_ret')}") for row, p in cases()]


@pytest.mark.parametrize("row,pattern", PARAMS)
def test_dot_product(row: Row, pattern: str) -> None:
    letters, values, returns, diff, tangents = _setup(row, pattern, 7)
    rng = np.random.default_rng(8)
    seeds = {i: rng.standard_normal(np.shape(values[i])).astype(values[i].dtype)
             for i in diff if letters[i] in "DN"}
    dret = float(rng.standard_normal())
    _, dxs, out = _forward(row, letters, values, tangents, returns)
    lhs = sum(float(np.sum(seeds[i] * dxs[i])) for i in seeds)
    if returns:
        lhs += dret * float(out[0])
    shadows, derivs = _reverse(row, letters, values, seeds, dret, returns)
    rhs = sum(float(np.sum(shadows[i] * tangents[i])) for i in shadows)
    rhs += sum(float(derivs[i]) * tangents[i] for i in diff if letters[i] == "A")
    scale = max(1.0, abs(lhs), abs(rhs))
    assert abs(lhs - rhs) <= _tol(values) * scale, (lhs, rhs)


@pytest.mark.parametrize("row,pattern", PARAMS)
def test_forward_against_finite_differences(row: Row, pattern: str) -> None:
    letters, values, returns, diff, tangents = _setup(row, pattern, 11)
    if _tol(values) > 1e-10:
        pytest.skip("finite differences need float64")
    xs, dxs, out = _forward(row, letters, values, tangents, returns)

    def run(h):
        vs = _copy(values)
        for i in diff:
            vs[i] = vs[i] + h * tangents[i]
        r = row.fn(*vs)
        return vs, r
    h = 1e-6
    (vp, rp), (vm, rm) = run(h), run(-h)
    for i in diff:
        if letters[i] in "DN":
            fd = (vp[i] - vm[i]) / (2 * h)
            np.testing.assert_allclose(dxs[i], fd, rtol=1e-5, atol=1e-6)
    if returns:
        np.testing.assert_allclose(float(out[0]), (rp - rm) / (2 * h), rtol=1e-5, atol=1e-6)
    # primal side effects
    ref = _copy(values)
    r = row.fn(*ref)
    for a, b in zip(xs, ref):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b)
    if returns:
        np.testing.assert_allclose(out[-1], r)


def _returns_on_some_paths(x):
    if x[0] > 0:
        return x[0] * x[1]


@pytest.mark.parametrize("mode", [ad.Forward, ad.ForwardWithPrimal])
def test_duplicated_return_of_none_is_refused(mode):
    """A path returning None under a Duplicated return: reverse mode refuses it;
    forward mode gave the tangent 0.0."""
    x = np.array([-1.0, 2.0])
    with pytest.raises(ad.errors.ActivityError, match="returned None"):
        ad.autodiff(mode, _returns_on_some_paths, ad.Duplicated, ad.Duplicated(x.copy(), np.array([1.0, 0.0])))
    with pytest.raises(ad.errors.ActivityError, match="returned None"):
        ad.autodiff(mode, _returns_on_some_paths, ad.Duplicated,
                    ad.BatchDuplicated(x.copy(), (np.array([1.0, 0.0]), np.array([0.0, 1.0]))))
    assert ad.autodiff(mode, _returns_on_some_paths, ad.Duplicated,
                       ad.Duplicated(-x, np.array([1.0, 0.0])))[0] == pytest.approx(-2.0)


def _written_through_a_reshape(u, a):
    v = u.reshape(-1)
    v *= a[0]
    return float(np.sum(u * u * a[1]))


@pytest.mark.parametrize("layout", ["F", "block", "column"])
def test_tangent_in_another_layout(layout):
    """``v = u.reshape(-1); v *= a`` with a C-ordered ``u`` and a tangent in Fortran
    order (or a block of a larger array, or a 1-D ``u`` and a column of a matrix):
    the reshape viewed the primal and copied the tangent, whose writes were lost
    (0.9417 for 0.6700). Forward and vector mode run on copies of the tangents in
    ``u``'s layout and write them back."""
    u = np.arange(12.0).reshape(3, 4) / 10.0
    if layout == "column":
        u = u.ravel()
    a = np.array([1.5, 0.5])
    du = np.asfortranarray(np.ones((3, 4))) if layout == "F" else np.ones((3, 8))[:, :4] if layout == "block" \
        else np.ones((12, 3))[:, 1]
    (t,) = ad.autodiff(ad.Forward, _written_through_a_reshape, ad.Duplicated, ad.Duplicated(u.copy(), du),
                       ad.Duplicated(a.copy(), np.zeros(2)))
    h = 1e-6
    fd = (_written_through_a_reshape(u + h, a.copy()) - _written_through_a_reshape(u - h, a.copy())) / (2 * h)
    assert t == pytest.approx(fd, rel=1e-6)
    np.testing.assert_allclose(du, a[0] * np.ones_like(u))   # (the final value's tangent, written back)
    du[...] = 1.0
    d2 = 2.0 * du
    ((t1, t2),) = ad.autodiff(ad.Forward, _written_through_a_reshape, ad.Duplicated,
                              ad.BatchDuplicated(u.copy(), (du, d2)), ad.BatchDuplicated(a.copy(), (np.zeros(2),) * 2))
    assert (t1, t2) == (pytest.approx(fd, rel=1e-6), pytest.approx(2 * fd, rel=1e-6))
    np.testing.assert_allclose(d2, 2 * a[0] * np.ones_like(u))


def _running_products(x):
    for i in range(1, x.shape[0]):
        x[i] = x[i] * x[i - 1] + 0.1
    return np.sum(x ** 2)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_read_only_tangent_of_a_written_argument_is_refused_before_running(backend):
    """Forward mode wrote the tangent of a written argument in place: a read-only one
    raised numpy's ValueError halfway (the argument half updated; numba: its typing text)."""
    if backend == "numba":
        from optional import require
        require("numba")
    x0 = np.linspace(0.3, 1.3, 5)
    x, dx = x0.copy(), np.ones(5)
    dx.flags.writeable = False
    with pytest.raises(ad.AdCompilerError, match="read-only"):
        ad.autodiff(ad.Forward, _running_products, ad.Duplicated, ad.Duplicated(x, dx), backend=backend)
    np.testing.assert_array_equal(x, x0)


def _scaled_sum(x, n):
    return float(np.sum(x * n))


@pytest.mark.parametrize("n", [3, np.int64(3), True])
def test_an_integer_scalar_is_refused_a_tangent_as_reverse_mode_refuses_it_active(n):
    x = np.ones(3)
    with pytest.raises(ad.AdCompilerError, match="integer"):
        ad.autodiff(ad.Forward, _scaled_sum, ad.Duplicated, ad.Duplicated(x, np.ones(3)), ad.Duplicated(n, 1.0))
    t = ad.autodiff(ad.Forward, _scaled_sum, ad.Duplicated, ad.Duplicated(x, np.ones(3)), ad.Const(n))
    assert np.isclose(t[0], 3.0 * float(n))


def _kept_before_overwrite(a, x):
    s = float(a)          # s keeps a's old value
    a[...] = x[0]         # a (0-d) overwritten
    return s * s + float(a) * 3.0


def test_the_tangent_of_float_of_a_0d_array_is_a_copy():
    """The tangent of `float(a)` was `da` itself (a 0-d array), which the store into `a`
    then overwrote: forward mode gave 0 where the derivative is 2a."""
    x = np.array([0.3, -0.8])
    (t,) = ad.autodiff(ad.Forward, _kept_before_overwrite, ad.Duplicated, ad.Duplicated(np.array(0.7), np.array(1.0)),
                       ad.Duplicated(x.copy(), np.zeros(2)))
    h = 1e-6
    fd = (_kept_before_overwrite(np.array(0.7 + h), x.copy()) - _kept_before_overwrite(np.array(0.7 - h), x.copy())) / (2 * h)
    np.testing.assert_allclose(t, fd, rtol=1e-7)


def _constant_buffers(n):
    return np.zeros(n), [0.5, 2.0]   # (depends on nothing differentiated)


def _energy_in_constant_buffers(x):
    a, w = _constant_buffers(x.shape[0])
    a += x   # (written in place: its tangent made from the tuple's)
    return np.sum(a * a) * w[0] + w[1] * np.sum(a)


def test_a_constant_tuple_holding_a_list_written_through():
    # (the tuple's zero tangent was 0.0 for the list too: TypeError unpacking it)
    from everywhere import check_everywhere
    x, v = np.array([0.4, 1.1, 0.8]), np.array([1.0, -2.0, 0.5])
    (t,) = ad.autodiff(ad.Forward, _energy_in_constant_buffers, ad.Duplicated, ad.Duplicated(x.copy(), v.copy()))
    np.testing.assert_allclose(t, np.dot(x + 2.0, v), rtol=1e-14)
    check_everywhere(_energy_in_constant_buffers, ad.Duplicated(x.copy(), np.zeros(3)), out=())

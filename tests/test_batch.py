"""Vector forward mode (BatchDuplicated) over the whole catalogue: k = 3
directions at once give the same tangents as three separate forward calls,
and the primal side effects happen once."""
from __future__ import annotations

import numpy as np
import pytest
from catalogue import Row
from everywhere import check_everywhere
from test_forward import PARAMS, _inputs

import adcompiler as ad


def _copy(values):
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


@pytest.mark.parametrize("row,pattern", PARAMS)
def test_batch_matches_separate_directions(row: Row, pattern: str) -> None:
    letters, values, returns = _inputs(row, pattern)
    rng = np.random.default_rng(5)
    k = 3
    diff = [i for i, letter in enumerate(letters) if letter in "DNA"]
    tangents = {i: [rng.standard_normal(np.shape(values[i])).astype(values[i].dtype)
                    if isinstance(values[i], np.ndarray) else float(rng.standard_normal()) for _ in range(k)]
                for i in diff}
    xs = _copy(values)
    batch = [ad.BatchDuplicated(xs[i], [t.copy() if isinstance(t, np.ndarray) else t for t in tangents[i]])
             if i in tangents else ad.Const(xs[i]) for i in range(len(xs))]
    ret = ad.Duplicated if returns else ad.Const
    out = ad.autodiff(ad.ForwardWithPrimal, row.fn, ret, *batch)
    single32 = any(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in values)
    tol = {"rtol": 1e-4, "atol": 1e-5} if single32 else {"rtol": 1e-10, "atol": 1e-12}
    for j in range(k):
        ys = _copy(values)
        one = [ad.Duplicated(ys[i], tangents[i][j].copy() if isinstance(ys[i], np.ndarray) else tangents[i][j])
               if i in tangents else ad.Const(ys[i]) for i in range(len(ys))]
        ref = ad.autodiff(ad.ForwardWithPrimal, row.fn, ret, *one)
        for i in tangents:
            if isinstance(values[i], np.ndarray):
                np.testing.assert_allclose(batch[i].dvals[j], one[i].dval, **tol)
        if returns:
            np.testing.assert_allclose(out[0][j], ref[0], **tol)
            # (float32 tangents stay float32, as one direction's are: they were float64)
            assert np.asarray(out[0][j]).dtype == np.asarray(ref[0]).dtype, (out[0][j], ref[0])
    ref_args = _copy(values)
    row.fn(*ref_args)
    for a, b in zip(xs, ref_args):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b)


def _store_dropping_axes(x, A, M, v):
    x[:] = A
    np.copyto(M[0], A)
    M[1] = x[None, :] * 2.0
    M[:, 0] = v.T[0, :2]
    return float(np.sum(x ** 2) + np.sum(M * M))


def test_stores_dropping_leading_axes_of_length_one():
    """``x[:] = A`` with ``A`` of shape ``(1, n)``: numpy drops the leading axis;
    vector mode put it after the batch axis (a ValueError)."""
    from everywhere import check_everywhere

    from adcompiler import Active, Duplicated
    rng = np.random.default_rng(2)
    check_everywhere(_store_dropping_axes, Duplicated(np.zeros(4), np.zeros(4)),
                     Duplicated(rng.normal(size=(1, 4)), np.zeros((1, 4))),
                     Duplicated(np.zeros((2, 4)), np.zeros((2, 4))),
                     Duplicated(rng.normal(size=(2, 1)), np.zeros((2, 1))), ret=Active, out=None)


def _square_into(y, x):
    y[:] = x * x


def test_directions_sharing_a_tangent_array_are_refused():
    """One array as the tangent of two directions (or of another argument's
    other direction): one direction overwrote the other, silently."""
    from adcompiler import BatchDuplicated, Const, Forward, autodiff
    from adcompiler.errors import AliasingError
    x = np.array([1.0, 2.0, 3.0])
    t = np.zeros(3)
    with pytest.raises(AliasingError, match="direction 0 of `y` and the tangent of direction 1 of `y` share memory, and the function writes `y`"):
        autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (t, t)),
                 BatchDuplicated(x.copy(), (np.ones(3), 2 * np.ones(3))))
    tx0 = np.ones(3)
    with pytest.raises(AliasingError, match="share memory"):
        autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (np.zeros(3), tx0)),
                 BatchDuplicated(x.copy(), (tx0, 2 * np.ones(3))))
    with pytest.raises(AliasingError, match="shares memory with `x`"):
        xx = x.copy()
        autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (np.zeros(3), xx)),
                 BatchDuplicated(xx, (np.ones(3), 2 * np.ones(3))))
    t0, t1 = np.zeros(3), np.zeros(3)   # (apart: right)
    autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (t0, t1)),
             BatchDuplicated(x.copy(), (np.ones(3), 2 * np.ones(3))))
    np.testing.assert_allclose(t0, 2 * x)
    np.testing.assert_allclose(t1, 4 * x)


def test_one_zero_tangent_for_every_direction_of_a_read_argument():
    """A tangent only read (of an argument the function does not write) may be one
    array for every direction: ``BatchDuplicated(a, (np.zeros(2),) * 2)``."""
    from adcompiler import BatchDuplicated, Const, Forward, autodiff
    x = np.array([1.0, 2.0, 3.0])
    t0, t1, z = np.zeros(3), np.zeros(3), np.ones(3)
    autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (t0, t1)), BatchDuplicated(x.copy(), (z, z)))
    np.testing.assert_allclose(t0, 2 * x)
    np.testing.assert_allclose(t1, 2 * x)


def _appends(y, x, store):
    store.append(1.0)
    y[:] = x ** 2 * len(store)


def _counts_in_a_dict(Y, X, cfg):
    cfg["n"] += 1
    V = Y.T
    V += X.T * cfg["n"]


def test_directions_run_one_at_a_time_leave_side_effects_once():
    """The fallback that runs one direction at a time copied only array
    arguments: a Const list appended to (or a dict updated) saw every direction,
    and the primal and tangents came out scaled by k, silently."""
    from adcompiler import BatchDuplicated, Const, Forward, autodiff
    x = np.array([1.0, 2.0])
    y, log = np.zeros(2), []
    dys = (np.zeros(2), np.zeros(2), np.zeros(2))
    autodiff(Forward, _appends, Const, BatchDuplicated(y, dys), BatchDuplicated(x.copy(), tuple(np.ones(2) * (j + 1)
                                                                                            for j in range(3))),
             Const(log))
    assert len(log) == 1
    np.testing.assert_allclose(y, x ** 2)
    for j, d in enumerate(dys):
        np.testing.assert_allclose(d, 2 * x * (j + 1))
    Y, cfg = np.zeros((2, 3)), {"n": 0}
    dY = tuple(np.zeros((2, 3)) for _ in range(3))
    autodiff(Forward, _counts_in_a_dict, Const, BatchDuplicated(Y, dY),
             BatchDuplicated(np.ones((2, 3)), tuple(np.full((2, 3), j + 1.0) for j in range(3))), Const(cfg))
    assert cfg == {"n": 1}
    np.testing.assert_allclose(Y, np.ones((2, 3)))
    for j, d in enumerate(dY):
        np.testing.assert_allclose(d, np.full((2, 3), j + 1.0))


def test_no_tangent_or_a_complex_tangent_of_a_real_argument_is_refused():
    from adcompiler import BatchDuplicated, Const, Forward, autodiff
    from adcompiler.errors import ShapeError
    with pytest.raises(ShapeError, match="at least one tangent"):
        autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), ()), BatchDuplicated(np.ones(3), ()))
    with pytest.raises(ShapeError, match="complex tangent for a real argument"):
        autodiff(Forward, _square_into, Const, BatchDuplicated(np.zeros(3), (np.zeros(3),)),
                 BatchDuplicated(np.ones(3), (np.ones(3) * 1j,)))


def _squares(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i] + 0.5 * x[i - 1]


def test_vector_mode_takes_the_backend():
    """``backend=`` under vector mode: numba runs each direction compiled (it was
    dropped: numpy ran and nothing was recorded), an unknown name is refused."""
    from optional import require
    require("numba")
    x = np.arange(1.0, 4.0)
    dirs = (np.array([1.0, 0.0, 0.5]), np.array([0.0, 2.0, 1.0]))
    got = [d.copy() for d in dirs]
    ad.autodiff(ad.Forward, _squares, ad.Const, ad.BatchDuplicated(x.copy(), tuple(got)), backend="numba")
    for d, g in zip(dirs, got):
        want = d.copy()
        ad.autodiff(ad.Forward, _squares, ad.Const, ad.Duplicated(x.copy(), want))
        np.testing.assert_allclose(g, want, rtol=1e-13)
    assert any(r.backend == "numba" for r in ad.backend_report(_squares))
    with pytest.raises(ad.AdCompilerError, match="unknown backend"):
        ad.autodiff(ad.Forward, _squares, ad.Const, ad.BatchDuplicated(x.copy(), dirs), backend="no-such-backend")


def _float32_energy(x, y):
    y[:] = np.sin(x) * 2
    return np.sum(y * x)


def test_float32_tangents_stay_float32():
    # (the directions were stacked as float64: the returned tangents were float64, computed in it)
    x = np.linspace(0.1, 1, 4).astype(np.float32)
    t = [np.ones(4, np.float32), np.arange(4, dtype=np.float32)]
    dy = [np.zeros(4, np.float32), np.zeros(4, np.float32)]
    out = ad.autodiff(ad.Forward, _float32_energy, ad.Duplicated, ad.BatchDuplicated(x.copy(), t),
                      ad.BatchDuplicated(np.zeros(4, np.float32), dy))
    for j in range(2):
        one = ad.autodiff(ad.Forward, _float32_energy, ad.Duplicated, ad.Duplicated(x.copy(), t[j].copy()),
                          ad.Duplicated(np.zeros(4, np.float32), np.zeros(4, np.float32)))
        assert np.asarray(out[0][j]).dtype == np.float32 == np.asarray(one[0]).dtype
        assert dy[j].dtype == np.float32
        np.testing.assert_allclose(out[0][j], one[0], rtol=1e-6)
        exact = np.sum((2 * np.sin(x.astype(float)) + 2 * x.astype(float) * np.cos(x.astype(float))) * t[j])
        np.testing.assert_allclose(out[0][j], exact, rtol=1e-5)


def _doubled_number(x):
    return x * 2.0


def test_a_float32_number_s_tangents_stay_float32():
    # (one rule for the dtype of vector mode's tangents: a numpy float32 number's were float64)
    out = ad.autodiff(ad.Forward, _doubled_number, ad.Duplicated, ad.BatchDuplicated(np.float32(1.5), (np.float32(1.0),)))
    one = ad.autodiff(ad.Forward, _doubled_number, ad.Duplicated, ad.Duplicated(np.float32(1.5), np.float32(1.0)))
    assert np.asarray(out[0][0]).dtype == np.asarray(one[0]).dtype == np.float32
    assert out[0][0] == one[0] == 2.0


def complex_into_real_elements(x, out):
    out[0] += 1j * x[1]
    out[1] -= x[0] * np.exp(1j * x[1])
    out[2] = x[0] * np.exp(1j * x[1])


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_a_complex_value_added_into_an_element_of_real_memory():
    """``out[0] += 1j * x[1]`` on a real ``out`` keeps the real part (numpy's ComplexWarning); vector
    mode added the complex tangents into the real tangent's region and raised numpy's casting error."""
    x = np.array([1.3, 2.0])
    check_everywhere(complex_into_real_elements, ad.Duplicated(x, np.zeros(2)),
                     ad.Duplicated(np.array([0.5, -1.0, 2.0]), np.zeros(3)))
    t = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    tan = (np.zeros(3), np.zeros(3))
    ad.autodiff(ad.Forward, complex_into_real_elements, ad.Const, ad.BatchDuplicated(x.copy(), t),
                ad.BatchDuplicated(np.zeros(3), tan))
    jac = np.array([[0.0, 0.0], [-np.cos(2.0), 1.3 * np.sin(2.0)], [np.cos(2.0), -1.3 * np.sin(2.0)]])
    np.testing.assert_allclose(np.stack(tan, axis=1), jac, rtol=1e-14, atol=1e-15)


def _step_with_state(p, m):
    m *= -0.3
    m += np.tanh(p)
    p -= 0.05 * np.sin(m)


def loop_variable_named_k(a):
    # (vector mode bound its number of directions to `_k`, which this loop rebinds: a broadcast
    # error from the derivative, found by the random programs)
    v = a.copy()
    st = np.zeros_like(v)
    for _k in range(2):
        _step_with_state(v, st)
    a[...] = a * 0.5 + v


def test_a_loop_variable_named_like_the_number_of_directions():
    check_everywhere(loop_variable_named_k, ad.Duplicated(np.array([0.7, -0.7, -0.99, -0.48]), np.zeros(4)),
                     out="a", tapes=("autograd", "jax", "torch"))

"""``backend="auto"`` when numba's code stops partway on arguments of a new layout
(its reshape of a Fortran-ordered array raises where numpy's copies): the arrays are
put back from copies taken for that first run and the call runs under numpy, with
the numpy backend's results; before, it raised, the arguments partly updated."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import (
    Const,
    Duplicated,
    DuplicatedNoNeed,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
)
from adcompiler.backends import choice
from adcompiler.codegen import cache

require("numba")


def _forget():
    cache.clear()
    choice.clear()


def reshape_read(out, A):
    for k in range(out.shape[0]):   # (out written before numba's reshape raises: a partial run would show)
        out[k] = out[k] * 0.5
    v = A.reshape(A.shape[0] * A.shape[1])
    for k in range(v.shape[0]):
        out[k] += v[k] * v[(k + 1) % v.shape[0]]


def _inputs(order):
    rng = np.random.default_rng(4)
    A = np.array(rng.uniform(0.5, 1.5, (3, 4)), order=order)
    return rng.standard_normal(12), A, rng.standard_normal(12), np.array(rng.standard_normal((3, 4)), order=order)


def _reverse(backend, order):
    out, A, dout, dA = _inputs(order)
    ad.autodiff(Reverse, reshape_read, Const, Duplicated(out, dout), Duplicated(A, dA), backend=backend)
    return out, A, dout, dA


@pytest.mark.parametrize("first", ["C", "F"])
def test_reverse_falls_back_with_numpy_results(first):
    _forget()
    if first == "C":   # (numba's code has run on C-ordered arguments: a new layout still gets copies)
        for got, want in zip(_reverse("auto", "C"), _reverse("numpy", "C")):
            np.testing.assert_allclose(got, want, rtol=1e-13)
    for got, want in zip(_reverse("auto", "F"), _reverse("numpy", "F")):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert ad.backend_report(reshape_read)[-1].backend == "numpy"


def test_split_mode_and_forward_mode_fall_back_too():
    _forget()
    runs = {}
    for backend in ("auto", "numpy"):
        out, A, dout, dA = _inputs("F")
        fwd, rev = ad.autodiff_thunk(ReverseSplitWithPrimal, reshape_read, Const, Duplicated, Duplicated,
                                     backend=backend)
        args = (Duplicated(out, np.zeros(12)), Duplicated(A, np.zeros((3, 4), order="F")))
        tape, _ = fwd(*args)
        args = (Duplicated(out, dout), Duplicated(A, dA))
        rev(*args, None, tape)
        out2, A2, _, _ = _inputs("F")
        t_out, t_A = np.zeros(12), np.array(np.random.default_rng(1).standard_normal((3, 4)), order="F")
        ad.autodiff(Forward, reshape_read, Const, DuplicatedNoNeed(out2, t_out), Duplicated(A2, t_A), backend=backend)
        runs[backend] = (out, A, dout, dA, out2, A2, t_out, t_A)
    for got, want in zip(runs["auto"], runs["numpy"]):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def cross_of_planar_vectors(y, b):
    for i in range(y.shape[0]):
        y[i] = y[i] * 2.0 + b[i]
    c = np.cross(np.stack((b, b), axis=1), np.stack((b, b * 0.5), axis=1))   # (a constant: no adjoint)
    return float(np.sum(c * y))


def test_numbas_own_numpy_stopping_partway():
    """numba's np.cross of 2-vectors raises a ValueError of its own while the code runs: a
    located BackendError under numba (it came out as numba's bare ValueError), the numpy
    backend's results under auto."""
    _forget()
    b, y = np.array([0.3, -0.7, 1.1]), np.array([0.5, 0.2, -0.4])

    def run(backend):
        dy = np.zeros(3)
        ad.autodiff(Reverse, cross_of_planar_vectors, ad.Active, Duplicated(y.copy(), dy), Const(b), backend=backend)
        return dy
    with pytest.raises(ad.AdCompilerError, match="could not run the derivative"):
        run("numba")
    np.testing.assert_allclose(run("auto"), run("numpy"), rtol=1e-12)


def tail_norm(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s + np.linalg.norm(x[::-1][:3])


def test_norm_of_a_reversed_view_is_right_under_numba():
    """numba's own np.linalg.norm of a reversed 1-d view gives a wrong value: the numba backend
    takes the norm of a contiguous copy (it was refused), and gives the numpy backend's results."""
    _forget()
    x0 = np.array([0.3, -1.2, 0.5, 2.0, -0.7])
    want = ad.gradient(tail_norm, x0.copy())[0]
    for backend in ("numba", "auto"):
        np.testing.assert_allclose(ad.gradient(tail_norm, x0.copy(), backend=backend)[0], want, rtol=1e-12)


def _helper_sq(a):
    return float(np.sum(a * a)) * 0.5


def dict_parameters(x, y, cfg):
    t = 0.75
    if cfg["scale"] ** 2 > 0.2:
        t += cfg["scale"] * 0.25 * _helper_sq(x)
    for i in range(y.shape[0]):
        y[i] += x[i] * cfg["shift"]
    return float(np.sum(y * x)) + t


def test_a_dict_argument_is_refused_at_the_function_and_auto_runs_numpy():
    # (numba's own "non-precise type pyobject" was reported at the helper's line)
    _forget()
    cfg = {"scale": -0.6, "shift": 0.25}
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, -0.5])
    with pytest.raises(ad.AdCompilerError, match=r"cannot take a dict \(`cfg`\).*namedtuple"):
        ad.autodiff(Reverse, dict_parameters, ad.Active, Duplicated(x.copy(), np.zeros(3)),
                    Duplicated(y.copy(), np.zeros(3)), Const(cfg), backend="numba")
    got = [np.zeros(3), np.zeros(3)]
    want = [np.zeros(3), np.zeros(3)]
    for backend, (dx, dy) in (("auto", got), ("numpy", want)):
        ad.autodiff(Reverse, dict_parameters, ad.Active, Duplicated(x.copy(), dx), Duplicated(y.copy(), dy),
                    Const(cfg), backend=backend)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert any("a dict is passed as an argument (`cfg`)" in str(d) for d in ad.backend_report(dict_parameters))


def softplus(x):
    return np.log1p(np.exp(x))


def softplus_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += softplus(x[i])
    return s


def tanh_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.tanh(x[i])
    return s


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_a_rule_registered_again_reaches_every_backend(backend, monkeypatch):
    """A rule registered after a first call gets new code: ``auto`` kept the code it
    had chosen (numba's, or numpy's where numba refused the first) with the old rule."""
    from adcompiler.rules import registry
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))   # (the rules end with the test,
    _forget()
    try:
        _rules_registered_again(backend)
    finally:
        _forget()   # (and so does the code compiled with them)


def _rules_registered_again(backend):
    from adcompiler import extend
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(tanh_loop, x.copy(), backend=backend)[0], 1 - np.tanh(x) ** 2,
                               rtol=1e-12)
    extend.elementwise(np.tanh, "x", x="g * 2.0")
    np.testing.assert_allclose(ad.gradient(tanh_loop, x.copy(), backend=backend)[0], [2.0, 2.0, 2.0])
    if backend == "numba":
        return   # (numba does not call a user function with a rule: the next part is numpy's or auto's)
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(ad.gradient(softplus_loop, x.copy(), backend=backend)[0], sigmoid, rtol=1e-12)
    extend.elementwise(softplus, "x", x="g * 0.5")
    np.testing.assert_allclose(ad.gradient(softplus_loop, x.copy(), backend=backend)[0], [0.5, 0.5, 0.5])
    extend.elementwise(softplus, "x", x="g / (1 + np.exp(-x))")   # (a rule corrected)
    np.testing.assert_allclose(ad.gradient(softplus_loop, x.copy(), backend=backend)[0], sigmoid, rtol=1e-12)


def relu_into(W, X, h):
    np.dot(X, W, out=h)
    h[h < 0] = 0.0


def test_an_assertion_of_numba_itself_is_refused_in_words_and_auto_runs_numpy():
    # numba types a store through a 2-D boolean mask but stops lowering its tangent with an
    # AssertionError of no message: the refusal said only "(AssertionError)"
    R = np.random.default_rng(0)
    W, X = R.standard_normal((3, 4)), R.standard_normal((5, 3))
    tW = R.standard_normal((3, 4))

    def args():
        return (ad.Duplicated(W.copy(), tW.copy()), ad.Duplicated(X.copy(), np.zeros_like(X)),
                ad.Duplicated(np.zeros((5, 4)), np.zeros((5, 4))))
    with pytest.raises(ad.AdCompilerError, match=r"test_auto_fallback\.py:\d+: `h\[h < 0\] = 0\.0`: .*"
                                                 r"AssertionError of its own"):
        ad.autodiff(ad.Forward, relu_into, ad.Const, *args(), backend="numba")
    got, want = args(), args()
    ad.autodiff(ad.Forward, relu_into, ad.Const, *got, backend="auto")
    ad.autodiff(ad.Forward, relu_into, ad.Const, *want)
    h = np.maximum(X @ W, 0.0)
    np.testing.assert_allclose(got[2].dval, want[2].dval, rtol=1e-14)
    np.testing.assert_allclose(want[2].dval, np.where(h > 0, X @ tW, 0.0), rtol=1e-12)


def _counted_when_an_int(x, p):
    if isinstance(p, (int, np.integer)):
        return float(np.sum(x[:p] ** 2))
    return float(np.sum(x ** 2)) * p


def test_an_isinstance_of_a_numpy_abstract_type_is_refused_at_its_line():
    """``isinstance(p, np.integer)``: numba's typing of np.integer raised a bare TypeError (not an
    AdCompilerError); it is refused at the line, and auto runs numpy."""
    require("numba")
    x = np.arange(1.0, 5.0)
    line = _counted_when_an_int.__code__.co_firstlineno + 1
    with pytest.raises(ad.AdCompilerError, match=rf"test_auto_fallback\.py:{line}: `if isinstance\(p, \(int, np\.integer\)\):`"):
        ad.gradient(_counted_when_an_int, x, 3, backend="numba")
    np.testing.assert_allclose(ad.gradient(_counted_when_an_int, x, 3, backend="auto")[0], [2.0, 4.0, 6.0, 0.0])
    np.testing.assert_allclose(ad.gradient(_counted_when_an_int, x, 1.5, backend="auto")[0], 3.0 * x)

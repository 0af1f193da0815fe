"""Kernels the numba backend once differentiated wrong without an error: now
the numpy backend's numbers, or a located refusal that ``backend="auto"``
falls back from."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numba_kernels as K
from numba_engine import Numba
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
)
from adcompiler import gradient as ad_gradient
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def _run(f, vals, seeds, backend):
    vals = [v.copy() for v in vals]
    shadows = [s.copy() for s in seeds]
    autodiff(Reverse, f, Const, *[Duplicated(v, d) for v, d in zip(vals, shadows)], backend=backend)
    return vals, shadows


REFUSED = [(K.rows_written, [(2, 2)])]
VERSIONED = [(K.rebound_then_updated, [(3,), (3,)]), (K.names_swapped, [(3,), (3,)])]


@pytest.mark.parametrize("f,shapes", VERSIONED, ids=[f.__name__ for f, _ in VERSIONED])
def test_names_rebound_at_the_top_level_compile(f, shapes, rng):
    """``x = x * 2.0; x *= 3.0`` and ``A, B = B, A``: an array name bound twice,
    whose shadow the typed tape cannot restore, was refused under numba; a
    top-level rebinding is a new local (``frontend/versions.py``), and numba
    gives the numpy backend's numbers."""
    vals = [rng.uniform(0.5, 1.5, s) for s in shapes]
    seeds = [rng.standard_normal(s) for s in shapes]
    got = _run(f, vals, seeds, "numba")
    want = _run(f, vals, seeds, "numpy")
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    check_grads(f, *[Duplicated(v.copy(), np.zeros_like(v)) for v in vals], ret=Const)


@pytest.mark.parametrize("f,shapes", REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_shadows_restored_by_reference_in_the_fused_function(f, shapes, rng):
    """A shadow popped from the typed tape would be a copy (its adjoints lost): in the fused
    function it is kept by reference on a list of its own (the numpy backend's numbers); the
    split halves, whose tape crosses calls, record each row's geometry (``numba_views``: they
    were refused) and are right too."""
    vals = [rng.uniform(0.5, 1.5, s) for s in shapes]
    seeds = [rng.standard_normal(s) for s in shapes]
    for backend in ("numba", "auto"):
        got = _run(f, vals, seeds, backend)
        want = _run(f, vals, seeds, "numpy")
        for g, w in zip(got[0] + got[1], want[0] + want[1]):
            np.testing.assert_allclose(g, w, rtol=1e-12)
    check_grads(f, *[Duplicated(v.copy(), np.zeros_like(v)) for v in vals], ret=Const,
                mode=ReverseSplitWithPrimal, engine=Numba)
    check_grads(f, *[Duplicated(v.copy(), np.zeros_like(v)) for v in vals], ret=Const)


OVERLAPPING = [(K.shifted_add, [np.arange(1.0, 5.0)]), (K.first_row_subtracted, [np.array([[1.0, 2.0], [3.0, 4.0]])]),
               (K.shifted_add_in_loop, [np.linspace(0.5, 1.5, 6), 3])]


@pytest.mark.parametrize("f,vals", OVERLAPPING, ids=[f.__name__ for f, _ in OVERLAPPING])
def test_overlapping_in_place_updates(f, vals, rng):
    """``x[1:] += x[:-1]``: numba updates element by element, numpy reads a copy
    of the operand; the primal and the derivatives are numpy's."""
    arrays = [v for v in vals if isinstance(v, np.ndarray)]
    seeds = [rng.standard_normal(v.shape) for v in arrays]
    ann = lambda vs, ds: [Duplicated(v, d) if isinstance(v, np.ndarray) else Const(v)
                          for v, d in zip(vs, ds + [None] * (len(vs) - len(ds)))]
    out = {}
    for backend in ("numba", "numpy"):
        vs = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
        ds = [s.copy() for s in seeds]
        autodiff(Reverse, f, Const, *ann(vs, ds), backend=backend)
        out[backend] = [v for v in vs if isinstance(v, np.ndarray)] + ds
    plain = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
    f(*plain)
    np.testing.assert_allclose(out["numba"][0], plain[0], rtol=1e-12)
    for a, b in zip(out["numba"], out["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numba", "auto", "numpy"])
def test_primal_of_a_return_line_whose_derivative_reads_its_result(backend):
    """ReverseWithPrimal, Active return: the fused numba function returned the
    primal after the reverse sweep had restored it (0.0)."""
    from adcompiler import Active, ReverseWithPrimal
    x = np.array([0.5, 1.0, 0.3])
    dx = np.zeros(3)
    (d,), value = autodiff(ReverseWithPrimal, K.norm_of_sum_of_squares, Active, Duplicated(x, dx), backend=backend)
    assert d is None
    assert value == pytest.approx(np.sqrt(np.sum(x * x)), rel=1e-14)
    np.testing.assert_allclose(dx, x / np.sqrt(np.sum(x * x)), rtol=1e-13)


def test_a_view_numpy_returns_as_a_copy_refused_at_the_line():
    """``A[:, ::2].ravel()`` written later: the numba helper's error (the same
    marker as the numpy runtime's) becomes the located refusal."""
    import kernels_rebound as KR

    from adcompiler import Active
    from adcompiler.errors import AdCompilerError
    A = np.linspace(0.5, 1.5, 12).reshape(3, 4)
    with pytest.raises(AdCompilerError, match=r"kernels_rebound\.py:\d+.*returned a copy, not a view"):
        autodiff(Reverse, KR.ravel_of_strided_written, Active, Duplicated(A, np.zeros_like(A)), backend="numba")


@pytest.mark.parametrize("f", [K.damped_by_pow, K.damped_by_augmented_power, K.mean_by_shape_power,
                               K.scaled_by_sizes], ids=lambda f: f.__name__)
@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_ints_to_negative_powers_are_floats(f, backend, rng):
    """``pow(2, -i)``, ``k **= -1`` of an int, ``x.shape[0] ** -1``, ``len(x) ** -2``:
    floats in Python, 0 in numba's int arithmetic (the primal and the gradient
    were 0 past the first element; of the whole array for the shape's)."""
    vals = [np.zeros(4), rng.uniform(0.5, 1.5, 4)]
    seeds = [np.ones(4), np.zeros(4)]
    got = _run(f, vals, seeds, backend)
    want = _run(f, vals, seeds, "numpy")
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    y = np.zeros(4)
    f(y, vals[1].copy())
    np.testing.assert_allclose(got[0][0], y, rtol=1e-12)
    check_grads(f, *[Duplicated(v.copy(), np.zeros_like(v)) for v in vals], ret=Const)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_number_no_path_reads_passes_on_nothing(backend):
    """``r = sqrt(dx * dx)`` at ``dx == 0`` (the diagonal of a pair loop) feeds
    ``exp(-r * r)``, whose derivative there is 0: the adjoint of ``r`` is 0, and
    0 times the infinite partial of the square root was a ZeroDivisionError
    (Python floats) or nan (numba); it is 0, as the smooth function's
    derivative. Checked against central differences."""
    from adcompiler import gradient
    x, h = np.array([0.1, 0.5, 0.9]), 1e-6
    got = gradient(K.pair_energy, x, backend=backend)[0]
    fd = [(K.pair_energy(x + h * e) - K.pair_energy(x - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f,shapes", [(K.back_substitution, [(5,), (5,), (5,)]), (K.stepped_backwards, [(7,), (7,)])],
                         ids=["back_substitution", "stepped_backwards"])
def test_loops_over_reversed_ranges(f, shapes, rng):
    """``for i in reversed(range(...))`` in the source was refused by the numba
    backend ("a reversed loop over something other than a range")."""
    vals = [rng.standard_normal(s) for s in shapes]
    seeds = [rng.standard_normal(s) for s in shapes]
    got = _run(f, vals, seeds, "numba")
    want = _run(f, vals, seeds, "numpy")
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    from adcompiler import Forward
    tangents = [rng.standard_normal(s) for s in shapes]
    outs = {}
    for backend in ("numpy", "numba"):
        ts = [t.copy() for t in tangents]
        autodiff(Forward, f, Const, *[Duplicated(v.copy(), t) for v, t in zip(vals, ts)], backend=backend)
        outs[backend] = ts
    for g, w in zip(outs["numba"], outs["numpy"]):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_sums_of_comparisons_refused_and_auto_falls_back(rng):
    """numpy's bools add as a logical or, numba's as ints: y was 2x or 3x."""
    x = np.array([0.9, 1.5, 1.7, 0.45])
    vals, seeds = [np.zeros(4), x], [np.ones(4), np.zeros(4)]
    with pytest.raises(BackendError, match=r"numba_kernels\.py:\d+.*arithmetic on two comparisons"):
        _run(K.levels, vals, seeds, "numba")
    got, want = _run(K.levels, vals, seeds, "auto"), _run(K.levels, vals, seeds, "numpy")
    np.testing.assert_allclose(got[0][0], x)   # (True * x)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w)


@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_module_attributes_are_not_frozen(backend, monkeypatch):
    """numba freezes the globals a function reads: ``cfg.SCALE`` changed after
    the first compilation kept its first value (in numba's disk cache too), as
    did a module-level numpy scalar."""
    import numba_config as cfg

    from adcompiler import gradient
    x = np.array([1.0, 2.0, 3.0])
    for scale, steps, factor in ((2.0, 3, 2.0), (5.0, 3, 2.0), (5.0, 7, 2.0), (5.0, 7, 0.5)):
        monkeypatch.setattr(cfg, "SCALE", scale)
        monkeypatch.setattr(cfg, "STEPS", steps)
        monkeypatch.setattr(K, "FACTOR", np.float32(factor))
        np.testing.assert_allclose(gradient(K.scaled_by_config, x, backend=backend)[0],
                                   2 * scale * steps * factor * x, rtol=1e-6)


def test_a_global_numba_cannot_type_is_refused_at_the_function():
    """numba named no line (a module-level list): the refusal had no file or line."""
    from adcompiler import Active, gradient
    from adcompiler.errors import BackendError
    x = np.array([1.0, 2.0])
    with pytest.raises(BackendError, match=r"numba_kernels\.py:\d+: `def reads_module_list\(x\):`"):
        autodiff(Reverse, K.reads_module_list, Active, Duplicated(x, np.zeros(2)), backend="numba")
    np.testing.assert_allclose(gradient(K.reads_module_list, x, backend="auto")[0], 2 * x, rtol=1e-12)


@pytest.mark.parametrize("f,x", [(K.running_max, [-3.0, -1.5, -2.0, -4.0]), (K.scaled_unless_none, [1.5, 0.5, 0.7, 0.2])],
                         ids=["user_none", "helper_returning_none"])
def test_none_beside_numbers_is_refused_and_auto_falls_back(f, x):
    """``best = None`` tested with ``is None``, a helper whose bare ``return``
    gives None: numba made the None a typed 0 (the running maximum of negative
    numbers was 0, the helper's None made ``y *= 0``): primal and gradient wrong."""
    vals = [np.zeros(4), np.array(x)]
    seeds = [np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4)]
    with pytest.raises(BackendError, match=r"numba_kernels\.py:\d+.*may be None or a number"):
        _run(f, vals, seeds, "numba")
    got, want = _run(f, vals, seeds, "auto"), _run(f, vals, seeds, "numpy")
    y = np.zeros(4)
    f(y, np.array(x))
    np.testing.assert_allclose(got[0][0], y, rtol=1e-12)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    check_grads(f, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(np.array(x), np.zeros(4)))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_loop_bound_that_is_an_int_power(backend):
    """``range(1, 2 ** i, 2)``: the bound went through the float tape and the
    reversed loop raised a TypeError (numpy backend)."""
    x = np.linspace(0.5, 1.2, 8)
    dy, dx = np.array([0.0, 1.0, 2.0, 3.0]), np.zeros(8)
    autodiff(Reverse, K.halving_sums, Const, Duplicated(np.zeros(4), dy), Duplicated(x.copy(), dx), backend=backend)
    want = np.zeros(8)
    for i in range(1, 4):
        for j in range(1, 2 ** i, 2):
            want[j] += i * j
    np.testing.assert_allclose(dx, want, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numba", "auto"])
@pytest.mark.parametrize("f", [K.fmod_weights, K.fmod_array_weights], ids=lambda f: f.__name__)
def test_fmod_of_negative_integers(f, backend):
    """numba's ``np.fmod`` of integers is wrong for negative ones (fmod(-5, 3)
    gave 2): primal and gradient were wrong under numba, and under ``auto``."""
    from adcompiler import Active, ReverseWithPrimal
    x = np.linspace(0.3, 1.1, 9)
    want = f(x.copy())
    dx = np.zeros(9)
    (_,), got = autodiff(ReverseWithPrimal, f, Active, Duplicated(x.copy(), dx), backend=backend)
    assert got == pytest.approx(want, rel=1e-12)
    check_grads(f, Duplicated(x.copy(), np.zeros(9)), ret=Active)
    dx_np = np.zeros(9)
    autodiff(Reverse, f, Active, Duplicated(x.copy(), dx_np))
    np.testing.assert_allclose(dx, dx_np, rtol=1e-12)


VIEW_UPDATES = [(K.named_view_added, (8,)), (K.transpose_added, (3, 3)), (K.reversed_view_added, (7,)),
                (K.view_of_view_added, (8,))]


@pytest.mark.parametrize("backend", ["numba", "auto"])
@pytest.mark.parametrize("f,shape", VIEW_UPDATES, ids=[f.__name__ for f, _ in VIEW_UPDATES])
def test_update_by_a_named_view_of_the_target(f, shape, backend):
    """``v = x[2:]; x[:-2] += v``: the primal copied the operand, the shadow update
    ``dv += _ad_unbroadcast(dx[:-2], dv)`` (``dv`` a view of ``dx``) did not, and
    numba's element-by-element update read adjoints it had already changed."""
    from adcompiler import Active
    x = np.linspace(0.1, 0.8, int(np.prod(shape))).reshape(shape)
    got, want = np.zeros(shape), np.zeros(shape)
    autodiff(Reverse, f, Active, Duplicated(x.copy(), got), backend=backend)
    autodiff(Reverse, f, Active, Duplicated(x.copy(), want))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(f, Duplicated(x.copy(), np.zeros(shape)), ret=Active)


@pytest.mark.parametrize("f", [K.predicates_added, K.predicate_and_mask_added, K.mask_plus_true],
                         ids=lambda f: f.__name__)
def test_sums_of_numpy_bools_refused_and_auto_falls_back(f):
    """numpy adds its bools as a logical or (``np.isfinite(x) + np.signbit(x)`` is
    True), numba as integers (2): the predicates' results were taken for floats
    and compiled (a wrong primal and gradient under numba, and under auto)."""
    from adcompiler import Active, ReverseWithPrimal
    x = np.array([0.7, -0.3, 0.9, 0.1, -1.2, 0.6])
    m = np.array([True, True, False, True, False, True])
    args = (x,) if f is K.predicates_added else (x, m)
    want = f(*[a.copy() for a in args])
    ann = lambda dx: [Duplicated(x.copy(), dx)] + [Const(a) for a in args[1:]]
    with pytest.raises(BackendError, match="numba_kernels.py"):
        autodiff(ReverseWithPrimal, f, Active, *ann(np.zeros(6)), backend="numba")
    got_dx, want_dx = np.zeros(6), np.zeros(6)
    (_, primal) = autodiff(ReverseWithPrimal, f, Active, *ann(got_dx), backend="auto")
    autodiff(ReverseWithPrimal, f, Active, *ann(want_dx))
    assert primal == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-12)
    check_grads(f, *ann(np.zeros(6)), ret=Active)


@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_module_tuples_are_not_frozen(backend, monkeypatch):
    """A module-level tuple of numbers: numba freezes its values, and the cache's
    key had only its type (a tuple changed in the source, or rebound, kept the
    first values, in numba's disk cache too); a tuple of arrays is refused as an
    array is."""
    from adcompiler import gradient
    x = np.linspace(0.5, 1.0, 6)
    for w in ((0.5, 1.5, 2.0), (10.0, 20.0, 30.0)):
        monkeypatch.setattr(K, "TUPLE_WEIGHTS", w)
        np.testing.assert_allclose(gradient(K.weighted_by_a_tuple, x, backend=backend)[0],
                                   2 * np.array(w * 2) * x, rtol=1e-12)
    if backend == "numba":
        with pytest.raises(BackendError, match="the array `TABLES` from its module or closure"):
            gradient(K.weighted_by_a_tuple_of_arrays, x, backend=backend)
    else:
        np.testing.assert_allclose(gradient(K.weighted_by_a_tuple_of_arrays, x, backend=backend)[0],
                                   [1.0, 2.0] * 3, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_python_types_as_dtypes(backend):
    """``np.full(3, 2.0, int)``: numba took Python's ``int`` given by position for
    floats (3.025 for 2.5)."""
    from adcompiler import Active, ReverseWithPrimal
    x = np.array([0.7, 1.3, -0.4])
    got, want = np.zeros(3), np.zeros(3)
    (_, primal) = autodiff(ReverseWithPrimal, K.full_of_python_ints, Active, Duplicated(x.copy(), got),
                           backend=backend)
    autodiff(ReverseWithPrimal, K.full_of_python_ints, Active, Duplicated(x.copy(), want))
    assert primal == pytest.approx(K.full_of_python_ints(x.copy()), rel=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(K.full_of_python_ints, Duplicated(x.copy(), np.zeros(3)), ret=Active)


def test_element_view_with_an_ellipsis_refused_and_auto_falls_back():
    """``s = x[0, ...]`` is a 0-d view of ``x`` in numpy, a copy in numba: the
    primal and gradient differed under numba (and auto) without an error."""
    from adcompiler import Active, ReverseWithPrimal
    x, y = np.array([0.7, 1.1, 1.3]), np.array([2.0, 0.5, 1.5])
    ann = lambda dx: [Duplicated(x.copy(), dx), Const(y.copy())]
    with pytest.raises(BackendError, match="ellipsis"):
        autodiff(ReverseWithPrimal, K.element_view_then_scaled, Active, *ann(np.zeros(3)), backend="numba")
    got, want = np.zeros(3), np.zeros(3)
    (_, primal) = autodiff(ReverseWithPrimal, K.element_view_then_scaled, Active, *ann(got), backend="auto")
    autodiff(ReverseWithPrimal, K.element_view_then_scaled, Active, *ann(want))
    assert primal == pytest.approx(K.element_view_then_scaled(x.copy(), y.copy()), rel=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(K.element_view_then_scaled, *ann(np.zeros(3)), ret=Active)


def weighted_differences(x, a):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += x[i] * (a[i] - a[i + 1])
    return s


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.int16, np.int32])
def test_narrow_integer_arrays_refused_and_auto_falls_back(dtype):
    """numba computes with unsigned elements at 64 bits (uint8 1 - 200 is 2**64 - 199,
    numpy's 57): refused under numba; ``auto`` gives numpy's numbers."""
    from adcompiler import Active, ReverseWithPrimal
    x, a = np.array([1.0, 2.0, 3.0]), np.array([1, 200, 3], dtype=dtype)
    # (int16 and int32: refused at the line that computes with their elements)
    with pytest.raises(BackendError, match="integers narrower than 64 bits or unsigned|elements index, bound a range"):
        autodiff(Reverse, weighted_differences, Active, Duplicated(x.copy(), np.zeros(3)), Const(a), backend="numba")
    for backend in ("auto", "numpy"):
        dx = np.zeros(3)
        with np.errstate(over="ignore"):
            _, value = autodiff(ReverseWithPrimal, weighted_differences, Active, Duplicated(x.copy(), dx), Const(a),
                                backend=backend)
            assert value == weighted_differences(x, a)
            np.testing.assert_array_equal(dx, [a[0] - a[1], a[1] - a[2], 0.0])


def optional_stop(x, k):
    stop = None if k == 0 else -k
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i]
    x[:stop] *= 2.0
    return float(np.sum(x))


def or_none_stop(x, k):
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i]
    x[:-k or None] *= 2.0
    return float(np.sum(x))


def none_or_array(x, flag):
    w = None if flag > 0 else x
    for i in range(x.shape[0]):
        x[i] = x[i] * 1.5
    if w is None:
        x *= 3.0
    return float(np.sum(x * x))


@pytest.mark.parametrize("f", [optional_stop, or_none_stop, none_or_array])
def test_none_from_a_conditional_expression_refused_and_auto_falls_back(f):
    """``None if c else v`` (and ``v or None``) as a value: numba would type the None
    as 0 (``x[:None]`` taken as ``x[:0]``): refused; ``auto`` runs numpy's numbers."""
    from adcompiler import Active
    x0 = np.array([1.0, 2.0, 3.0])
    with pytest.raises(BackendError, match=r"test_numba_silent\.py:\d+.*may be None or a number"):
        autodiff(Reverse, f, Active, Duplicated(x0.copy(), np.zeros(3)), 0, backend="numba")
    for backend in ("auto", "numpy"):
        dx = np.zeros(3)
        autodiff(Reverse, f, Active, Duplicated(x0.copy(), dx), 0, backend=backend)
        check_grads(f, Duplicated(x0.copy(), np.zeros(3)), 0)
        h = 1e-6
        fd = [(f(x0 + h * e, 0) - f(x0 - h * e, 0)) / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(dx, fd, rtol=1e-6)


def _rotate(z, out, theta):
    for i in range(z.shape[0]):
        out[i] = z[i] * np.exp(1j * theta * i)


def test_complex_values_on_the_typed_tape():
    """Complex values the reverse sweep needs were refused ("the typed tape holds no
    complex numbers"); they go on it as two floats now: numba's derivative is numpy's and
    that of finite differences (test_complex_tape.py has more)."""
    from adcompiler import Active, ReverseSplitWithPrimal
    args = lambda: (Duplicated(np.ones(3, complex) * (1 + 0.5j), np.zeros(3, complex)),
                    Duplicated(np.zeros(3, complex), np.ones(3, complex) * (0.3 - 1j)), Active(0.4))
    got = autodiff(Reverse, _rotate, Const, *args(), backend="numba")
    want = autodiff(Reverse, _rotate, Const, *args())
    np.testing.assert_allclose(got[2], want[2], rtol=1e-14)
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(_rotate, *args(), mode=mode, engine=Numba)


def _weights(sigma, r):
    w = np.zeros(2 * r + 1)
    for k in range(-r, r + 1):
        w[k + r] = np.exp(-0.5 * (k / sigma) ** 2)
    w /= w.sum()
    return w


def _blur(x, sigma, out):
    w = _weights(sigma, 1)
    for i in range(1, x.shape[0] - 1):
        out[i] = w[0] * x[i - 1] + w[1] * x[i] + w[2] * x[i + 1]


def test_a_helper_returning_an_array_with_a_derivative_is_right():
    """Refused before ("returns an array that carries a derivative"): the helper's returned
    array's shadow is its local's (test_returned_arrays.py has more)."""
    from adcompiler import Active, ReverseSplitWithPrimal
    args = lambda: [Duplicated(np.linspace(0.0, 1.0, 6) ** 2, np.zeros(6)), Active(1.3),
                    Duplicated(np.zeros(6), np.ones(6))]
    got, want = args(), args()
    d_sigma = autodiff(Reverse, _blur, Const, *got, backend="numba")[1]
    assert d_sigma == pytest.approx(autodiff(Reverse, _blur, Const, *want)[1], rel=1e-12)
    np.testing.assert_allclose(got[0].dval, want[0].dval, rtol=1e-13)
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(_blur, *args(), mode=mode, engine=Numba)


def _scaled_by_a_count(x, n):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (n * n)
    return s


def test_narrow_integer_scalars_refused_and_auto_falls_back():
    """An np.int8 scalar: numpy wraps 100 * 100 to 16, numba computed 10000."""
    from adcompiler import Active
    n = np.int8(100)
    with pytest.raises(BackendError, match="integers narrower than 64 bits"):
        autodiff(Reverse, _scaled_by_a_count, Active, Duplicated(np.ones(3), np.zeros(3)), Const(n), backend="numba")
    dx = np.zeros(3)
    with np.errstate(over="ignore"):
        autodiff(Reverse, _scaled_by_a_count, Active, Duplicated(np.ones(3), dx), Const(n), backend="auto")
        np.testing.assert_array_equal(dx, np.full(3, float(n * n)))


def neighbour_sums(x, nbrs):
    s = 0.0
    for i in range(len(nbrs)):
        for j in nbrs[i]:
            s += x[j] * x[i]
    return s


def test_a_list_of_lists_refused_under_numba_and_auto_falls_back():
    """A ragged neighbour table passed as a list of lists: numba's TypeError (it cannot
    reflect a list of lists) became a located refusal; ``auto`` runs numpy."""
    from adcompiler import gradient
    nbrs, x = [[1, 2], [0], [0, 1]], np.array([0.5, -1.0, 2.0])
    with pytest.raises(BackendError, match=r"test_numba_silent\.py:\d+.*cannot take the arguments"):
        gradient(neighbour_sums, x.copy(), nbrs, backend="numba")
    want = np.zeros(3)
    for i, row in enumerate(nbrs):
        for j in row:
            want[j] += x[i]
            want[i] += x[j]
    np.testing.assert_allclose(gradient(neighbour_sums, x.copy(), nbrs, backend="auto")[0], want)


def fractional_energy(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] % 1.0:   # a number tested: true where it is not 0
            s += x[i] ** 2
        s += x[i] if x[i] - 0.5 else 2.0 * x[i]
        if x[i] and x[i] * 0.5:
            s += 0.5 * x[i]
    return s


@pytest.mark.parametrize("backend", ["numba", "auto", "numpy"])
def test_a_number_tested_as_a_condition(backend):
    """numba's tape kept the condition as int(cond): 0.5 replayed as False and the
    branch's derivative was lost, silently."""
    from adcompiler import gradient
    x = np.array([0.3, 0.6, 0.7, 0.9])
    np.testing.assert_allclose(gradient(fractional_energy, x, backend=backend)[0], 2 * x + 1.5, rtol=1e-12)


def premultiplied(img, w):
    img[..., :3] *= img[..., 3:4]
    for c in range(3):
        img[..., c] = w[c] * img[..., c] + np.sin(img[..., 3])


def premultiplied_4d(img):
    for k in range(img.shape[0]):
        img[k, ..., :3] *= img[k, ..., 3:4] * 1.0
    img[..., :3] *= img[..., 3:4]


def test_ellipses_with_slices_compile():
    """``img[..., :3]`` and ``img[..., c]`` of a 3-D array are views in numba as in
    numpy (only a 0-d ``x[0, ...]`` is copied): compiled, not refused; the adjoint of
    ``img[..., 3:4]`` broadcast over the channels sums over them (a 3-D unbroadcast)."""
    rng = np.random.default_rng(2)
    img, w = rng.uniform(0.5, 1.5, (3, 2, 4)), np.array([0.5, 1.5, 2.0])
    got, want = {}, {}
    for backend, out in (("numba", got), ("numpy", want)):
        x, dx = img.copy(), np.arange(24.0).reshape(3, 2, 4)
        autodiff(Reverse, premultiplied, Const, Duplicated(x, dx), Const(w), backend=backend)
        out["x"], out["dx"] = x, dx
    np.testing.assert_allclose(got["x"], want["x"], rtol=1e-13)
    np.testing.assert_allclose(got["dx"], want["dx"], rtol=1e-13)
    check_grads(premultiplied, Duplicated(img.copy(), np.zeros((3, 2, 4))), Const(w), ret=Const, engine=Numba)


def test_a_helper_case_numba_meets_running_is_refused_or_run_again_on_restored_arrays():
    """A 4-D broadcast's adjoint, which numba's unbroadcast does not cover, is met
    while the function runs, after it wrote its argument: refused under numba, never a
    ValueError; under auto the first run on this layout kept copies, so the arrays are
    put back and numpy runs (on the half-updated array it would be wrong)."""
    img = np.random.default_rng(4).uniform(0.5, 1.5, (2, 2, 2, 4))
    with pytest.raises(BackendError, match="stopped partway"):
        autodiff(Reverse, premultiplied_4d, Const, Duplicated(img.copy(), np.ones(img.shape)), backend="numba")
    x, dx = img.copy(), np.ones(img.shape)
    autodiff(Reverse, premultiplied_4d, Const, Duplicated(x, dx))
    xa, dxa = img.copy(), np.ones(img.shape)
    autodiff(Reverse, premultiplied_4d, Const, Duplicated(xa, dxa), backend="auto")
    np.testing.assert_allclose(xa, x, rtol=1e-14)
    np.testing.assert_allclose(dxa, dx, rtol=1e-14)
    check_grads(premultiplied_4d, Duplicated(img.copy(), np.zeros(img.shape)), ret=Const)


def reversed_with_a_break(x, lo, step):
    acc = 0.0
    for i in reversed(range(lo, x.shape[0], step)):
        acc = 0.5 * acc + x[i] * x[i]
        if acc > 2.0:
            break
    return acc * acc


@pytest.mark.parametrize("n,lo,step", [(1, 0, 1), (3, 0, 1), (6, 1, 2), (9, 2, 3), (12, 0, 1)])
def test_reversed_range_that_may_break(n, lo, step):
    """``for i in reversed(range(...))`` with a ``break``: its adjoint loops over the
    steps run, the range reversed and cut (refused under numba as a reversed loop over
    something other than a range)."""
    x = np.linspace(0.4, 1.3, n)
    want = ad_gradient(reversed_with_a_break, x.copy(), lo, step)[0]
    for backend in ("numba", "auto"):
        np.testing.assert_allclose(ad_gradient(reversed_with_a_break, x.copy(), lo, step, backend=backend)[0], want,
                                   rtol=1e-13)
    check_grads(reversed_with_a_break, Duplicated(x.copy(), np.zeros(n)), Const(lo), Const(step), ret=Active,
                engine=Numba)


def _tail_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    r = s - x[0]
    if r > 1.0:
        return r * x[1]
    return r + 0.0


def test_single_precision_arguments_are_refused_and_auto_runs_numpy():
    """numba computes `s = 0.0; s += x[i]` of float32 x in float64, numpy in float32: the
    primal was 8 where the function gives 0, and the branch taken another (gradient 9 for 1).
    Refused under numba; auto takes numpy, which agrees with the function."""
    from adcompiler import Active, Duplicated, ReverseWithPrimal, autodiff
    from adcompiler.errors import BackendError
    x = np.array([16777216.0] + [1.0] * 8, dtype=np.float32)
    with pytest.raises(BackendError, match="float32"):
        autodiff(ReverseWithPrimal, _tail_sum, Active, Duplicated(x.copy(), np.zeros_like(x)), backend="numba")
    dx = np.zeros_like(x)
    _, value = autodiff(ReverseWithPrimal, _tail_sum, Active, Duplicated(x.copy(), dx), backend="auto")
    assert value == _tail_sum(x.copy()) == 0.0
    np.testing.assert_array_equal(dx, [0.0] + [1.0] * 8)


def _first_above(v, t):
    for i in range(len(v)):
        if v[i] > t:
            return v[i]
    return None


def found_or_first(x):
    q = _first_above(x, 5.0)
    if q is None:
        q = x[0]
    return q * q


def scaled_if_found(x):
    s = x[1]
    q = _first_above(x, 5.0)
    if q is not None:
        s = s * q
    return s * s


@pytest.mark.parametrize("f", [found_or_first, scaled_if_found])
def test_helper_returning_none_explicitly_refused_and_auto_falls_back(f):
    """A helper's ``return None`` beside ``return v[i]``: numba's code made it 0.0, so
    ``q is None`` was never true (primal and gradient 0 where they are 0.09 and 0.6);
    the bare ``return`` was refused, the explicit one was not. Now both are, at the
    ``return None`` line, and ``auto`` gives the numbers of finite differences."""
    x0 = np.array([0.3, 0.6, 0.9])
    with pytest.raises(BackendError, match=r"test_numba_silent\.py:\d+: `return None`.*may be None or a number"):
        ad_gradient(f, x0.copy(), backend="numba")
    check_grads(f, Duplicated(x0.copy(), np.zeros(3)), ret=Active)
    np.testing.assert_allclose(ad_gradient(f, x0.copy(), backend="auto")[0], ad_gradient(f, x0.copy())[0],
                               rtol=1e-12)
    assert ad_gradient(f, x0.copy())[0] == pytest.approx([0.6, 0, 0] if f is found_or_first else [0, 1.2, 0])

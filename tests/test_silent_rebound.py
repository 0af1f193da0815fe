"""Rebound names, wrapping indices, rebound loop variables and views that are
copies: once wrong gradients without an error, now right through every entry
point or refused at the user's line in every mode."""
from __future__ import annotations

import kernels_rebound as K
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    gradient,
    hvp,
)


def D(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = {
    "square_then_scale": (K.square_then_scale, lambda r: [D(r, 3)]),
    "sine_then_scale": (K.sine_then_scale, lambda r: [D(r, 3)]),
    "alias_rebound_argument_written": (K.alias_rebound_argument_written, lambda r: [D(r, 3)]),
    "alias_rebound_then_stored": (K.alias_rebound_then_stored, lambda r: [D(r, 3), D(r, 3)]),
    "power_iteration": (K.power_iteration, lambda r: [D(r, 3, 3), D(r, 3)]),
    "rows_normalised": (K.rows_normalised, lambda r: [D(r, 3, 3)]),
    "rebound_in_branch": (K.rebound_in_branch, lambda r: [D(r, 3), D(r, 3), Const(1.0)]),
    "rebound_in_while": (K.rebound_in_while, lambda r: [D(r, 3)]),
    "wrapping_recurrence": (K.wrapping_recurrence, lambda r: [D(r, 3)]),
    "wrapping_by_two": (K.wrapping_by_two, lambda r: [D(r, 4)]),
    "loop_variable_rebound": (K.loop_variable_rebound, lambda r: [D(r, 3)]),
    "loop_variable_incremented": (K.loop_variable_incremented, lambda r: [D(r, 4)]),
    "loop_bound_rebound": (K.loop_bound_rebound, lambda r: [D(r, 4)]),
    "inner_loop_reuses_variable": (K.inner_loop_reuses_variable, lambda r: [D(r, 3)]),
    "astype_copy_written": (K.astype_copy_written, lambda r: [D(r, 3)]),
    "astype_no_copy_written": (K.astype_no_copy_written, lambda r: [D(r, 3)]),
    "reshape_view_written": (K.reshape_view_written, lambda r: [D(r, 2, 2), D(r, 4)]),
    "contiguous_written": (K.contiguous_written, lambda r: [D(r, 5)]),
    # a helper's writes, when its result carries no derivative
    "result_an_int": (K.result_an_int, lambda r: [D(r, 3), Active(0.8)]),
    "result_unused": (K.result_unused, lambda r: [D(r, 3), Active(0.8)]),
    "result_a_tuple_unused": (K.result_a_tuple_unused, lambda r: [D(r, 3), Active(0.8)]),
    "residual_in_a_test": (K.residual_in_a_test, lambda r: [D(r, 3), Active(1.1)]),
    "count_in_a_loop": (K.count_in_a_loop, lambda r: [D(r, 3), Active(0.9)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_point(name, rng):
    f, make = CASES[name]
    args = make(rng)
    returns = f(*[a.val.copy() if isinstance(a, Duplicated) else a.val for a in args]) is not None
    check_everywhere(f, *args, ret=Active if returns else Const, seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("name", ["square_then_scale", "power_iteration", "rows_normalised", "rebound_in_while"])
def test_hvp_against_differences_of_the_gradient(name, rng):
    f, make = CASES[name]
    vals = [a.val for a in make(rng)]
    k = len(vals) - 1
    v = rng.standard_normal(vals[k].shape)

    def grad(x):
        ann = [Duplicated(a.copy(), np.zeros_like(a)) for a in vals[:k]] + [Duplicated(x.copy(), np.zeros_like(x))]
        autodiff(Reverse, f, Active, *ann)
        return ann[k].dval
    h = 1e-5
    fd = (grad(vals[k] + h * v) - grad(vals[k] - h * v)) / (2 * h)
    got = hvp(f, tuple(a.copy() for a in vals), (None,) * k + (v,))[k]
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-8)


REFUSED = {
    "reshape_of_transpose_written": (K.reshape_of_transpose_written, [(2, 2), (4,)], "returned a copy, not a view"),
    "ravel_of_strided_written": (K.ravel_of_strided_written, [(3, 4)], "returned a copy, not a view"),
    "asarray_other_dtype_written": (K.asarray_other_dtype_written, [(3,)], "returned a copy, not a view"),
    "float64_of_array_written": (K.float64_of_array_written, [(3,)], "returns the array itself"),
    "contiguous_of_strided_written": (K.contiguous_of_strided_written, [(3, 4)], "returned a copy, not a view"),
    "fortran_written": (K.fortran_written, [(3, 4)], "returned a copy, not a view"),
}


@pytest.mark.parametrize("mode", ["reverse", "split", "forward"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_copies_taken_for_views_refused(name, mode, rng):
    f, shapes, says = REFUSED[name]
    vals = [rng.uniform(0.5, 1.5, s) for s in shapes]
    ret = Const if len(vals) > 1 else Active
    with pytest.raises(AdCompilerError, match=r"kernels_rebound\.py:\d+: .*" + says):
        if mode == "reverse":
            autodiff(Reverse, f, ret, *[Duplicated(v, np.zeros_like(v)) for v in vals])
        elif mode == "split":
            fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[Duplicated] * len(vals))
            fwd(*[Duplicated(v, np.zeros_like(v)) for v in vals])
        else:
            autodiff(Forward, f, Duplicated, *[Duplicated(v, np.ones_like(v)) for v in vals])


@pytest.mark.parametrize("f", [K.flatten_fortran, K.ravel_fortran])
def test_order_keywords_refused_at_the_line(f):
    """``order="F"`` was dropped (the C-order derivative of a Fortran-order flatten)."""
    A, w = np.arange(6.0).reshape(2, 3), 10.0 ** np.arange(6)
    with pytest.raises(AdCompilerError, match=r"kernels_rebound\.py:\d+:\d+: .*order"):
        gradient(f, A, w)


def test_gradient_keeps_the_callers_memory_layout():
    """``gradient`` copies its arguments in their own layout: a Fortran-order
    argument's ravel is a copy, as in the caller's call, and refused as a view;
    in C order it is the view it is in the caller's call."""
    x = np.arange(1.0, 7.0)
    with pytest.raises(AdCompilerError, match="returned a copy, not a view"):
        gradient(K.ravel_written, np.asfortranarray(np.arange(1.0, 7.0).reshape(2, 3)), x)
    A = np.arange(1.0, 7.0).reshape(2, 3)
    dA, dx = gradient(K.ravel_written, A, x)
    np.testing.assert_allclose(dx, 2 * x * A.ravel() ** 2)
    np.testing.assert_allclose(dA, (2 * x * x * A.ravel()).reshape(2, 3))


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_kinds_of_numbers_made_of_numbers(backend):
    """np.sqrt(t + 2) of a loop index is a float (the numba tape truncated it to
    an int); math.floor(x) is an int (an index popped as a float crashed)."""
    if backend != "numpy":
        require("numba")
    x = np.array([0.3, 0.5, 0.8, 1.1])
    t = np.arange(4)
    s = np.sqrt(t + 2) + np.sqrt(t + 1) + 1.0 / (t + 1) + np.round(t / 3, 2)
    np.testing.assert_allclose(gradient(K.root_of_the_step, x, backend=backend)[0], 2 * x * s ** 2, rtol=1e-12)
    x, g = np.array([0.5, 1.5, 0.25]), np.zeros(2)
    dx, dg = np.zeros(3), np.ones(2)
    autodiff(Reverse, K.floor_as_index, Const, Duplicated(x, dx), Duplicated(g, dg), backend=backend)
    np.testing.assert_allclose(dx, 2 * np.array([0.5, 1.5, 0.25]))


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_a_module_constant_read_by_a_helper_is_not_frozen(backend):
    """The generated code of a helper kept the constant's value of its first call."""
    if backend != "numpy":
        require("numba")
    x = np.array([0.3, 0.5, 0.8])
    try:
        for gain in (0.1, 0.5, 0.1):
            K.GAIN = gain
            dx = np.zeros(3)
            autodiff(Reverse, K.gained, Const, Duplicated(x.copy(), dx), Duplicated(np.zeros(3), np.ones(3)),
                     backend=backend)
            np.testing.assert_allclose(dx, 2 * gain * x)
    finally:
        K.GAIN = 0.1


def test_a_parameter_rebound_to_new_memory_and_returned():
    """``x = x / np.sum(x); return x`` in a helper: the name's memory was one for the
    whole function, the returned value taken for a view of the argument, and the
    call refused at run time ("returned a copy, not a view"); a top-level
    rebinding is a new local (``frontend/versions.py``) and the result new memory."""
    check_everywhere(K.normalised_then_added, Duplicated(np.array([0.3, 0.5, 0.8]), np.zeros(3)), ret=Active,
                     out=None)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_module_array_passed_as_its_own_argument_refused(mode):
    """``Duplicated(TABLE, d)`` where the function also reads ``TABLE``: one memory
    the analyses took for two (the gradient was half the right one)."""
    from adcompiler.errors import AliasingError
    with pytest.raises(AliasingError, match="TABLE"):
        if mode == "reverse":
            autodiff(Reverse, K.scaled_against_the_table, Active, Duplicated(K.TABLE, np.zeros(3)))
        else:
            autodiff(Forward, K.scaled_against_the_table, Duplicated, Duplicated(K.TABLE, np.ones(3)))
    np.testing.assert_allclose(gradient(K.scaled_against_the_table, np.array([1.0, 2.0, 3.0]))[0],
                               2 * K.TABLE)


def test_array_inside_a_const_container_is_an_argument_refused():
    """``Duplicated(x, dx), Const({"x": x})``: one memory the analyses took for two."""
    from adcompiler.errors import AliasingError
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(AliasingError, match="an array in `d`"):
        autodiff(Reverse, K.doubled_against_a_dict, Active, Duplicated(x, np.zeros(3)), Const({"x": x}))


def test_hessian_copies_const_containers():
    """Each column of a Hessian ran on the same dict, whose array the function
    doubles: the columns saw 2x, 4x, 8x the weights; the caller's dict changed."""
    from adcompiler import hessian
    x, d = np.array([1.0, 2.0, 3.0]), {"w": np.array([0.5, 1.0, 1.5])}
    np.testing.assert_allclose(np.diag(hessian(K.dict_weights_doubled)(x, d)), 4 * d["w"])
    np.testing.assert_array_equal(d["w"], [0.5, 1.0, 1.5])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_loop_over_a_const_dict_refused(mode):
    """``for k in d`` walked the dict's values at keys 0, 1... (wrong primal and gradient)."""
    x, d = np.array([1.0, 2.0, 3.0]), {0: 5.0, 1: 7.0}
    with pytest.raises(AdCompilerError, match=r"kernels_rebound\.py:\d+: `for k in d:`: a loop over the dict"):
        if mode == "reverse":
            gradient(K.loop_over_a_dict, x, d)
        else:
            autodiff(Forward, K.loop_over_a_dict, Duplicated, Duplicated(x, np.ones(3)), Const(d))


def test_array_subclasses_refused():
    """np.matrix multiplies with ``*``: differentiated as elementwise, the gradient was wrong."""
    M = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(AdCompilerError, match="subclass of numpy's array"):
        gradient(K.matrix_product_by_star, np.eye(2), M)


class _Tagged(np.ndarray):
    pass


def _tagged_squares(x):
    return np.sum(x * x)


def test_array_subclasses_refused_at_the_definition_by_every_entry():
    """jvp, hvp, hessian and forward mode refused a subclass without naming the function's line."""
    import adcompiler as ad
    x = np.array([0.3, -0.7, 1.1]).view(_Tagged)
    where = r"test_silent_rebound\.py:\d+: .*subclass of numpy's array"
    for call in (lambda: gradient(_tagged_squares, x), lambda: ad.jvp(_tagged_squares, (x,), (np.ones(3),)),
                 lambda: ad.hvp(_tagged_squares, (x,), (np.ones(3),)), lambda: ad.hessian(_tagged_squares, x),
                 lambda: autodiff(Forward, _tagged_squares, Duplicated, Duplicated(x, np.ones(3)))):
        with pytest.raises(AdCompilerError, match=where):
            call()


def _scaled_in_place(A, B):
    A *= B
    return float(np.sum(A ** 2))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("entry", ["reverse", "forward", "batch", "split forward", "split reverse"])
def test_array_subclass_shadows_refused(entry, backend):
    """A plain array with an np.matrix shadow (``np.zeros_like`` of a matrix is one): the
    adjoint's ``*`` on the shadows was np.matrix's product, and the gradient was wrong without
    an error (reverse mode, numpy backend). Each entry point refuses it now."""
    if backend == "numba":
        pytest.importorskip("numba")
    from adcompiler import (
        Active,
        BatchDuplicated,
        ReverseSplitWithPrimal,
        autodiff_thunk,
    )
    rng = np.random.default_rng(6)
    A, B = rng.uniform(0.2, 1.2, (3, 3)), rng.uniform(0.2, 1.2, (3, 3))

    def shadow():
        return np.matrix(np.zeros((3, 3)))
    with pytest.raises(AdCompilerError, match="shadow of `A` is a matrix"):
        if entry == "reverse":
            autodiff(Reverse, _scaled_in_place, Active, Duplicated(A.copy(), shadow()),
                     Duplicated(B.copy(), np.zeros((3, 3))), backend=backend)
        elif entry == "forward":
            autodiff(Forward, _scaled_in_place, Duplicated, Duplicated(A.copy(), shadow()), Const(B.copy()),
                     backend=backend)
        elif entry == "batch":
            autodiff(Forward, _scaled_in_place, Duplicated, BatchDuplicated(A.copy(), (np.zeros((3, 3)), shadow())),
                     Const(B.copy()))
        else:
            fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, _scaled_in_place, Active, Duplicated, Duplicated,
                                      backend=backend)
            first = shadow() if entry == "split forward" else np.zeros((3, 3))
            a, b = A.copy(), B.copy()
            tape, _ = fwd(Duplicated(a, first), Duplicated(b, np.zeros((3, 3))))
            rev(Duplicated(a, shadow()), Duplicated(b, np.zeros((3, 3))), 1.0, tape)


# -- a loop variable in its own range -----------------------------------------------------

def _resumes_from_the_last_index(x):
    n = x.shape[0]
    s = 0.0
    for i in range(2):
        s += x[i]
    for i in range(i + 1, n):  # noqa: B020  (i = 2, 3: the range is read once, before the loop rebinds i)
        s += x[i] ** 2
    return s


def _inner_starts_at_the_outer_index(x):
    s = 0.0
    for i in range(3):
        for i in range(i, 4):  # noqa: B020
            s += x[i] * (i + 1)
    return s * x[0]


def _counts_down_from_itself(x):
    i = 3
    s = 0.0
    for i in reversed(range(i)):  # noqa: B020
        s = s * x[i] + 1.0
    return s


def _helper_range_of_its_parameter(v, k):
    s = 0.0
    for k in range(k):  # noqa: B020, PLR1704
        s += v[k] ** 2
    return s


def _calls_it(x):
    return _helper_range_of_its_parameter(x, 3) + x[0]


@pytest.mark.parametrize("f", [_resumes_from_the_last_index, _inner_starts_at_the_outer_index,
                               _counts_down_from_itself, _calls_it])
def test_a_loop_variable_in_its_own_range(f):
    """``for i in range(i + 1, n)``: the reverse sweep read the range again with
    the loop variable's final value, and replayed no iterations, too few, or
    shifted ones (gradients of 0 where they are 0.9 and 2.2), at every reverse
    entry point. The range is read once before the loop, as Python reads it."""
    check_everywhere(f, Duplicated(np.array([0.5, 1.2, 0.45, 1.1]), np.zeros(4)), ret=Active, out=())


# -- a helper's returned array, written by the caller -----------------------------------------

def _activation(c):
    h = np.tanh(c)
    return h


def _scales_what_it_got(h0, c0):
    r = _activation(c0)
    r *= 2.0   # (the helper's tape held this array: its reverse half read the doubled values)
    return np.sum(r * r) + np.sum(h0 ** 3)


def _lstm_like_cell(h, c):
    c = c * 0.5   # (a parameter rebound to new arrays: returned, they are no argument's memory)
    h = np.tanh(c)
    return h, c


def _writes_both_results(h0, c0):
    h, c = _lstm_like_cell(h0, c0)
    h *= 3.0
    c += h
    return np.sum(h * c) + np.sum(h0 ** 2)


def _squares(v):
    w = v * v
    return w


def _stores_into_the_result(x):
    a = _squares(x)
    a[0] = 5.0 * a[1]
    return np.sum(a * x)


@pytest.mark.parametrize("f, n", [(_scales_what_it_got, 2), (_writes_both_results, 2), (_stores_into_the_result, 1)])
def test_a_returned_array_written_by_the_caller(f, n):
    """A helper returning a new array it also kept on its tape: the caller's
    in-place write changed what the helper's reverse half read (gradients off
    by the factor written, silently). The caller now writes its own copy. The
    cell returning ``(h, c)`` of rebound parameters was refused as returning
    its argument's memory (a name's memory was one for the whole function)."""
    vals = [np.array([0.3, 0.2]), np.array([0.4, 1.1])][:n]
    check_everywhere(f, *[Duplicated(v.copy(), np.zeros_like(v)) for v in vals], ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))


# -- a helper's returned view, indexed in the same expression ------------------------------

def _same(a):
    return a


def _row_of(M, i):
    return M[i]


def _transposed(a):
    return a.T


def _indexes_the_returned_view(x):
    return np.sum(_same(x)[1:] * x[1:])


def _row_then_element(M):
    s = 0.0
    for i in range(M.shape[0]):
        s += _row_of(M, i)[0] * M[i, 1]
    return s


def _transposed_element(A):
    return _transposed(A)[0, 1] * A[1, 0] + float(np.sum(A * A))


@pytest.mark.parametrize("f, shape", [(_indexes_the_returned_view, (4,)), (_row_then_element, (3, 2)),
                                      (_transposed_element, (2, 2))])
def test_a_returned_view_indexed_in_the_same_expression(f, shape):
    """``np.sum(ident(x)[1:] * x[1:])``: the call's temporary got a shadow of its
    own, and the helper's reverse half was given no adjoint of what it returned
    (the view of the argument): the derivative through it was dropped at every
    entry point, silently."""
    x = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    check_everywhere(f, Duplicated(x, np.zeros(shape)), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


_GM = np.matrix([[1.0, 2.0], [3.0, 4.0]])


def _times_an_entry(x, p):
    return float(np.sum(x * p["W"]))


def _times_the_first(x, ws):
    return float(np.sum(x * ws[0]))


def _times_a_module_matrix(x):
    return float(np.sum(x * _GM))


def _sum_of_squares(x):
    return float(np.sum(x * x))


@pytest.mark.parametrize("sub", ["matrix", "masked"])
def test_array_subclasses_held_by_containers_or_modules_refused(sub):
    """An np.matrix (or a masked array) in a Const dict, list or record, read from the module, or
    given to hessian: the derivative took its `*` for numpy's elementwise product (its mask for
    none) and was wrong without an error, on every reverse entry point (and in hessian)."""
    from adcompiler import hessian, jvp, value_and_grad
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    V = np.matrix(W) if sub == "matrix" else np.ma.masked_array(W, mask=[[0, 1], [0, 0]])
    calls = [lambda: gradient(_times_an_entry, x.copy(), {"W": V}),
             lambda: value_and_grad(_times_the_first)(x.copy(), [V]),
             lambda: jvp(_times_the_first, (x.copy(), (V,)), (np.ones((2, 2)), None)),
             lambda: hessian(_sum_of_squares, np.matrix(x) if sub == "matrix" else np.ma.masked_array(x, mask=[[0, 1], [0, 0]])),
             lambda: gradient(_times_a_module_matrix, x.copy())]
    for call in calls:
        with pytest.raises(AdCompilerError, match="subclass of numpy's array"):
            call()

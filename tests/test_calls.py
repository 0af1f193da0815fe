"""Arguments numpy takes by position, and methods whose meaning depends on the
dtype. ``out`` given by position (``np.dot(M, x, y)``, ``np.sum(A, 0, None, s)``,
``M.dot(x, y)``) was an ignored argument: ``y`` kept its seed and the
gradients were wrong, and ``np.concatenate((a, b), out=s)`` left ``s`` unset.
``np.std(A, 0, None, None, 1)`` bound ``ddof`` to ``keepdims``. ``x.conj()`` of a
real array (``x`` itself in numpy) was taken as a copy, so writes to it were
lost. A list of float arrays was typed as an int array and its derivatives
dropped. ``np.einsum`` of complex operands to a scalar lost the imaginary part."""
from __future__ import annotations

import autograd
import kernels_calls as K
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import (
    Active,
    AdCompilerError,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    differentiate,
    extend,
    gradient,
    jvp,
)

rng = np.random.default_rng(11)


def D(*shape, complex_=False):
    x = rng.standard_normal(shape)
    if complex_:
        x = x + 1j * rng.standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


def Z(*shape):
    return Duplicated(np.zeros(shape), np.zeros(shape))


OUT = {
    "array_int_by_position": (K.array_int_by_position, lambda: (Z(4), Duplicated(np.array([0.6, 1.7, 2.2, 3.9]),
                                                                                  np.zeros(4))), "y"),
    "asarray_int_by_position": (K.asarray_int_by_position, lambda: (Z(4), Duplicated(np.array([0.6, 1.7, 2.2, 3.9]),
                                                                                      np.zeros(4))), "y"),
    "full_of_array": (K.full_of_array, lambda: (Z(3, 4), D(4)), "y"),
    "full_like_of_array": (K.full_like_of_array, lambda: (Z(3, 4), Const(np.zeros((3, 4))), D(3, 1)), "y"),
    "p_sum": (K.p_sum, lambda: (Z(3), D(2, 3)), "s"),
    "p_dot": (K.p_dot, lambda: (Z(2), D(2, 3), D(3)), "y"),
    "m_dot": (K.m_dot, lambda: (Z(2), D(2, 3), D(3)), "y"),
    "p_cumsum": (K.p_cumsum, lambda: (Z(4), D(4)), "s"),
    "p_mean": (K.p_mean, lambda: (Z(2), D(2, 3)), "s"),
    "p_take": (K.p_take, lambda: (Z(3), D(3)), "s"),
    "p_concat": (K.p_concat, lambda: (Z(5), D(2), D(3)), "s"),
    "k_concat": (K.k_concat, lambda: (Z(5), D(2), D(3)), "s"),
    "p_stack": (K.p_stack, lambda: (Z(2, 3), D(3), D(3)), "s"),
    "p_max": (K.p_max, lambda: (Z(2), D(2, 3)), "s"),
    "p_prod": (K.p_prod, lambda: (Z(3), D(2, 3)), "s"),
}
ACTIVE = {
    "p_std": (K.p_std, lambda: (D(4, 3),)),
    "p_var_m": (K.p_var_m, lambda: (D(3, 4),)),
    "k_none": (K.k_none, lambda: (D(3, 2),)),
    "p_avg": (K.p_avg, lambda: (D(3, 2), Duplicated(np.array([1.0, 2.0, 3.0]), np.zeros(3)))),
    "conj_real": (K.conj_real, lambda: (D(3), D(3))),
    "conjugate_real_local": (K.conjugate_real_local, lambda: (D(3),)),
    "conj_complex": (K.conj_complex, lambda: (D(3, complex_=True), D(3, complex_=True))),
    "einsum_complex_scalar": (K.einsum_complex_scalar, lambda: (D(3, complex_=True), D(3, complex_=True))),
    "einsum_mixed_scalar": (K.einsum_mixed_scalar, lambda: (D(3, complex_=True), D(3))),
    "nonzero_named": (K.nonzero_named, lambda: (Duplicated(np.array([-0.5, 0.9, -0.6, 0.4, 0.11]), np.zeros(5)),)),
    "nonzero_rows_cols": (K.nonzero_rows_cols, lambda: (D(3, 4),)),
    "tril_rows": (K.tril_rows, lambda: (D(3, 3),)),
    "unravel_rows": (K.unravel_rows, lambda: (D(3, 4), Const(np.array([0, 5, 11])))),
    "transposed_negative": (K.transposed_negative, lambda: (D(2, 3, 4),)),
    "transposed_method_negative": (K.transposed_method_negative, lambda: (D(2, 2, 2),)),
    "clip_crossed": (K.clip_crossed, lambda: (D(4), Duplicated(np.array([0.4, -2.0, 0.9, 0.1]), np.zeros(4)),
                                              Duplicated(np.array([0.05, 2.0, -0.3, 0.6]), np.zeros(4)))),
    "lstsq_legacy": (K.lstsq_legacy, lambda: (D(5, 3), D(5))),
    "clip_method_low": (K.clip_method_low, lambda: (D(5),)),
    "clip_method_high_keyword": (K.clip_method_high_keyword, lambda: (D(5),)),
    "clip_min_max_keywords": (K.clip_min_max_keywords, lambda: (D(5), Duplicated(np.full(5, -0.25), np.zeros(5)))),
    "clip_a_max_only": (K.clip_a_max_only, lambda: (D(5),)),
    "irfft_of_real": (K.irfft_of_real, lambda: (D(5),)),
    "irfft2_of_real": (K.irfft2_of_real, lambda: (D(3, 4),)),
    "floyd_warshall_soft": (K.floyd_warshall_soft, lambda: (Duplicated(
        np.random.default_rng(0).uniform(0.5, 3.0, (4, 4)) * (1 - np.eye(4)), np.zeros((4, 4))),)),
    "subtract_outer": (K.subtract_outer, lambda: (D(3), D(4))),
    "multiply_outer": (K.multiply_outer, lambda: (D(3), D(2, 2))),
    "kalman_like": (K.kalman_like, lambda: (D(2, 2), D(2), D(3, 2))),
    "stacked_matmul": (K.stacked_matmul, lambda: (D(2, 3, 3), D(3))),
    "put_negative": (K.put_negative, lambda: (D(4), D(2))),
    "fill_diagonal_cycled": (K.fill_diagonal_cycled, lambda: (D(3, 3), D(2))),
    "where_one_argument": (K.where_one_argument, lambda: (D(2, 3), Const(np.array([[0, 1, 1], [1, 0, 0]], bool)))),
    "where_one_argument_written": (K.where_one_argument_written, lambda: (D(2, 3), Const(np.array([[0.1, 0.9, 0.7],
                                                                                                  [0.6, 0.2, 0.3]])))),
}


@pytest.mark.parametrize("name", sorted(OUT))
def test_out_by_position_everywhere(name):
    f, args, out = OUT[name]
    check_everywhere(f, *args(), ret=Const, out=out)


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_everywhere(name):
    f, args = ACTIVE[name]
    check_everywhere(f, *args(), ret=Active)


def test_out_by_position_is_written():
    M, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0])
    y, dy, dM, dx = np.zeros(2), np.array([1.0, 10.0]), np.zeros((2, 2)), np.zeros(2)
    from adcompiler import Reverse, autodiff
    autodiff(Reverse, K.p_dot, Const, Duplicated(y, dy), Duplicated(M, dM), Duplicated(x, dx))
    np.testing.assert_allclose(y, M @ x)
    np.testing.assert_allclose(dy, 0.0)   # y is overwritten: its initial value has no adjoint
    np.testing.assert_allclose(dx, M.T @ [1.0, 10.0])


def test_std_ddof_by_position():
    A = rng.standard_normal((4, 3))
    (dA,) = gradient(K.p_std, A)
    n = A.shape[0]
    dev = A - A.mean(0)
    np.testing.assert_allclose(dA, dev / ((n - 1) * np.std(A, 0, ddof=1)))


def test_average_returned_refused_at_the_line():
    with pytest.raises(AdCompilerError, match=r"kernels_calls.py:\d+.*returned=True is not differentiated"):
        gradient(K.p_avg_ret, rng.standard_normal((3, 2)), np.array([1.0, 2.0, 3.0]))
    # (by keyword, unpacked: the same refusal, not one about a value of unknown kind)
    with pytest.raises(AdCompilerError, match=r"kernels_calls.py:\d+.*returned=True is not differentiated"):
        gradient(K.p_avg_ret_keyword, rng.standard_normal(3), np.array([1.0, 2.0, 3.0]))


def test_average_returned_of_constants_runs():
    x, c, w = rng.standard_normal(3), rng.standard_normal(3), np.array([1.0, 2.0, 3.0])
    dx = np.zeros(3)
    autodiff(Reverse, K.p_avg_ret_const, Active, Duplicated(x, dx), Const(c), Const(w))
    m, sw = np.average(c, weights=w, returned=True)
    np.testing.assert_allclose(dx, m * sw, rtol=1e-14)


def test_list_of_float_arrays_differentiated_rather_than_dropped():
    # a list written out is built by appends, its items read from their stacked array (frontend/lists.py)
    u = np.array([0.3, 0.5, 0.7])
    (du,) = gradient(K.list_of_arrays, u)
    np.testing.assert_allclose(du, 4.0 * u, rtol=1e-14)


def scaled(x):
    return x * 3.0


def test_a_rule_registered_again_replaces_the_compiled_one(tmp_path, monkeypatch):
    (tmp_path / "rule_kernel.py").write_text(
        "import numpy as np\nfrom test_calls import scaled\n\n"
        "def k(x):\n    return np.sum(scaled(x) ** 2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import rule_kernel
    x = np.array([1.0, 2.0, 3.0])
    extend.elementwise(scaled, "x", x="g * 100.0")   # a mistake
    np.testing.assert_allclose(gradient(rule_kernel.k, x)[0], 600 * x)
    extend.elementwise(scaled, "x", x="g * 3.0")     # corrected
    np.testing.assert_allclose(gradient(rule_kernel.k, x)[0], 18 * x)


def test_random_draws_keep_the_checkpointed_loop_on_its_tape(monkeypatch):
    """A replayed step would draw other numbers: the loop keeps its tape, with a
    warning at the loop, and the gradient is the plain tape's."""
    import warnings

    from adcompiler.analysis.kinds import array
    from adcompiler.errors import AdCompilerWarning
    from adcompiler.rules import registry
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))   # (the declaration ends with the test)
    extend.nondifferentiable(np.random.standard_normal, result=lambda kinds, bound: array(1, "f"))
    u = np.array([0.3, 0.5, 0.7, 0.4, 0.6])
    np.random.seed(0)
    (plain, _) = gradient(K.noisy_steps, u.copy(), 6)
    np.random.seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (got, _) = gradient(K.noisy_steps, u.copy(), 6, checkpoint=2)
    assert any(issubclass(w.category, AdCompilerWarning) and "draw again" in str(w.message) for w in caught)
    np.testing.assert_allclose(got, plain)


def test_nonzero_element_is_an_index_array():
    """``np.nonzero(m)[0]`` was typed as an int: the adjoint summed the seed over
    the selected elements and gave the sum to each."""
    v = np.array([-0.0325217, 0.88438987, -0.58360043, -0.11170195, 0.11046414])
    y, dy, dv = np.zeros(2), np.ones(2), np.zeros(5)
    from adcompiler import Reverse, autodiff
    autodiff(Reverse, K.nonzero_first, Const, Duplicated(y, dy), Duplicated(v.copy(), dv))
    np.testing.assert_allclose(dv, np.where(v > 0, 2 * np.cos(2 * v), 0.0))
    check_everywhere(K.nonzero_first, Duplicated(np.zeros(2), np.zeros(2)), Duplicated(v.copy(), np.zeros(5)),
                     ret=Const, out="y")


@pytest.mark.parametrize("f,args,what", [
    (K.lstsq_cut, lambda: (rng.standard_normal((5, 3)), rng.standard_normal(5)), "rcond=0.5 is not differentiated"),
    (K.pad_ramp, lambda: (rng.standard_normal(4),), "mode='linear_ramp' is not differentiated"),
    (K.einsum_interleaved, lambda: (rng.standard_normal((2, 3)), rng.standard_normal((3, 4))),
     "the interleaved form .* is not differentiated; write the subscripts as a string"),
], ids=["lstsq-rcond", "pad-linear-ramp", "einsum-interleaved"])
def test_parameters_refused_at_the_line(f, args, what):
    with pytest.raises(AdCompilerError, match=r"kernels_calls.py:\d+.*" + what):
        gradient(f, *args())


def test_copyto_casting_by_position_refused():
    """``np.copyto(y, src, "same_kind", m)``: the third argument is the casting, not
    the mask (it was taken for the mask)."""
    y, src, m = np.zeros(3), np.ones(3), np.array([True, False, True])
    from adcompiler import Reverse, autodiff
    with pytest.raises(AdCompilerError, match="casting"):
        autodiff(Reverse, K.copyto_casting_by_position, Const, Duplicated(y, np.ones(3)),
                 Duplicated(src, np.zeros(3)), Const(m))


def test_transforms_refuse_a_shared_argument_the_function_writes():
    """``f(x, x)`` where ``f`` writes one of them: the transforms copied each
    argument apart and gave the value and derivatives of another call."""
    import adcompiler as ad
    from adcompiler.errors import AliasingError
    x = np.array([0.5, -0.3, 0.8])
    for call in (lambda: ad.value_and_grad(K.doubles_first_reads_second)(x, x),
                 lambda: gradient(K.doubles_first_reads_second, x, x),
                 lambda: ad.hvp(K.doubles_first_reads_second, (x, x), (np.ones(3), None)),
                 lambda: ad.jvp(K.doubles_first_reads_second, (x, x), (np.ones(3), None))):
        with pytest.raises(AliasingError, match="share memory"):
            call()
    value, (ga, gb) = ad.value_and_grad(K.reads_both, argnums=(0, 1))(x, x)   # read only: right
    assert value == pytest.approx(np.sum(x ** 3))
    np.testing.assert_allclose(ga, x ** 2)
    np.testing.assert_allclose(gb, 2 * x * x)


def test_entry_point_arguments_checked():
    """Names for jacobian's out/wrt (a TypeError), a mode that is none, a
    direction of another shape (reshaped silently), Duplicated mixed with
    BatchDuplicated (a TypeError)."""
    import adcompiler as ad
    from adcompiler.errors import ActivityError, ShapeError
    y, x = np.zeros(3), np.array([0.1, 0.4, -0.3])
    J = ad.jacobian(K.sin_scaled, y, x, 0.7, out="y", wrt="x")
    np.testing.assert_allclose(J, np.diag(0.7 * np.cos(0.7 * x)))
    with pytest.raises(ActivityError, match="not a mode"):
        ad.jacobian(K.sin_scaled, y, x, 0.7, out="y", wrt="x", mode="fwd")
    with pytest.raises(ActivityError, match="wrt names `z`"):
        ad.jacobian(K.sin_scaled, y, x, 0.7, out="y", wrt="z")
    A = np.arange(6.0).reshape(2, 3) / 10
    with pytest.raises(ShapeError, match="direction of argument 0"):
        ad.hvp(K.sum_sin, (A,), (np.ones(6),))
    with pytest.raises(ActivityError, match="Duplicated and BatchDuplicated"):
        ad.autodiff(ad.Forward, K.sin_scaled, Const, Duplicated(np.zeros(3), np.zeros(3)),
                    ad.BatchDuplicated(x.copy(), (np.ones(3), np.zeros(3))), Const(0.7))


def test_vector_mode_of_a_helper_without_tangents_whose_result_gets_some():
    """The helper's zero tangents had length 0 where the caller has k (a ValueError)."""
    import adcompiler as ad
    x, b = np.array([0.6, 0.4]), np.array([0.3, 0.7])
    directions = (np.ones(2), np.array([0.0, 1.0]))
    batch = tuple(d.copy() for d in directions)
    ad.autodiff(ad.Forward, K.helper_result_made_active, Const, ad.BatchDuplicated(x.copy(), batch), Const(b))
    for d, got in zip(directions, batch):
        one = d.copy()
        ad.autodiff(ad.Forward, K.helper_result_made_active, Const, Duplicated(x.copy(), one), Const(b))
        np.testing.assert_allclose(got, one)
    check_everywhere(K.helper_result_made_active, Duplicated(x.copy(), np.zeros(2)), Const(b), ret=Const)


@pytest.mark.parametrize("f", [K.last_step_array_read_after, K.last_step_filled_read_after,
                               K.last_step_read_in_a_branch], ids=lambda f: f.__name__)
def test_checkpointed_loop_whose_array_is_read_after_it(f):
    """The replay of the last step bound a fresh shadow for ``m``, dropping the
    adjoint the code after the loop gave it (the gradient was 0); such a loop
    keeps its tape, with a warning."""
    import warnings

    from adcompiler.errors import AdCompilerWarning
    x = np.array([0.3, -0.5, 0.8, 0.1])
    plain = gradient(f, x.copy(), 3)[0]
    for checkpoint in (1, 2, 10):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = gradient(f, x.copy(), 3, checkpoint=checkpoint)[0]
        assert any(issubclass(w.category, AdCompilerWarning) and "read after the loop" in str(w.message)
                   for w in caught)
        np.testing.assert_allclose(got, plain)
    from adcompiler.testing import check_grads
    check_grads(f, Duplicated(x.copy(), np.zeros(4)), Const(3), ret=Active)


def _euler_step(y, out, h):
    out[:] = y + h * (np.sin(y) - 0.1 * y ** 3)


def _rk2_step(y, out, h):
    k = np.sin(y)
    mid = y + 0.5 * h * k
    out[...] = y + h * np.sin(mid)


def trajectory(traj, h):
    # a helper writing row i from row i - 1: two views of one array, checked apart at run time
    for i in range(1, traj.shape[0]):
        if i % 2:
            _euler_step(traj[i - 1], traj[i], h)
        else:
            _rk2_step(traj[i - 1], traj[i], h)
    return float(np.sum(traj[-1] ** 2))


def rows_named(traj, i, j):
    _euler_step(traj[i], traj[j], 0.1)


def test_a_helper_writing_one_row_of_an_array_from_another_everywhere():
    T = np.zeros((5, 2))
    T[0] = [0.5, 0.8]
    check_everywhere(trajectory, Duplicated(T, np.zeros_like(T)), Active(0.2), tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_two_views_of_one_array_that_overlap_are_refused_at_the_call(backend):
    from adcompiler import Reverse, autodiff
    T = np.arange(6.0).reshape(3, 2) / 10
    with pytest.raises(AdCompilerError, match=r"test_calls\.py:\d+: .*share memory"):
        autodiff(Reverse, rows_named, Const, Duplicated(T.copy(), np.ones_like(T)), Const(1), Const(1),
                 backend=backend)
    dT = np.ones_like(T)
    autodiff(Reverse, rows_named, Const, Duplicated(T.copy(), dT), Const(0), Const(2), backend=backend)
    assert dT[2].sum() == 0.0 and dT[0].sum() > 2.0


def _half_squares(a, b):
    b[:] = 0.5 * a ** 2 + 0.1 * a


def double_buffered(u, steps, same):
    a = u.copy()
    b = a if same else np.empty_like(u)
    for _ in range(steps):
        _half_squares(a, b)
        a, b = b, a
    return float(np.sum(a * u))


def test_double_buffers_swapped_around_a_helper_everywhere():
    """``step(a, b); a, b = b, a``: two allocations the swap makes one memory to the
    analysis, refused as aliasing; now checked apart at run time."""
    u = np.array([0.5, 0.7, -0.3])
    check_everywhere(double_buffered, Duplicated(u, np.zeros(3)), Const(3), Const(False),
                     tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match=r"test_calls\.py:\d+: .*share memory"):
        gradient(double_buffered, u, 3, True)


def _heat_step(b, a, dt):
    b[1:-1] = a[1:-1] + dt * (a[2:] - 2.0 * a[1:-1] + a[:-2])
    b[0] = a[0]
    b[-1] = a[-1]


def heat_given_buffers(a, b, dt, nsteps):
    for _ in range(nsteps):
        _heat_step(b, a, dt)
        a, b = b, a
    return float(np.sum(a ** 2) + np.sum(a * b))


def test_double_buffers_that_are_arguments():
    """The same with the buffers the caller gives: the parameters the body rebinds are
    read as their locals (``a_1 = a``), which the check apart now knows as swapped (it
    was refused as aliasing)."""
    u, w = np.array([0.5, 0.7, -0.3, 1.1, 0.2]), np.array([0.1, -0.4, 0.3, 0.6, -0.2])
    check_everywhere(heat_given_buffers, Duplicated(u, np.zeros(5)), Duplicated(w, np.zeros(5)), Const(0.2),
                     Const(3), tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match=r"`a` and `b` share memory"):
        autodiff(Reverse, heat_given_buffers, Active, Duplicated(u, np.zeros(5)), Duplicated(u, np.zeros(5)),
                 Const(0.2), Const(3))


def _centered(v):
    c = v - np.mean(v)
    return c, np.sum(c * c)


def tuple_element_scaled(x):
    r = _centered(x)
    c = r[0]   # (the helper's new array, from the tuple bound to a name)
    c *= 2.0
    return r[1] + np.sum(c) * 0.0


def tuple_element_cut(x):
    r = _centered(x)
    q = r
    c = q[0]
    c[1:] = 0.0
    return q[1] * x[0]


@pytest.mark.parametrize("f", [tuple_element_scaled, tuple_element_cut])
def test_a_helpers_tuple_bound_to_a_name_then_its_array_written(f):
    """``r = h(x); c = r[0]; c *= 2``: the helper's reverse half read the array after
    the caller's write (the caller copies what it writes only when the tuple was
    unpacked), gradients off by the factor written, silently."""
    check_everywhere(f, Duplicated(np.array([0.3, 0.9, 0.5, 0.1]), np.zeros(4)), tapes=("autograd", "torch", "jax"))


def _difference(w, a, b):
    w[:] = b - a


def _difference_of_shifts(y, x):
    _difference(y, x[:-1], x[1:])


def _writes_through_a_view(w, a, b):
    v = a[:]
    v[0] = 1.0
    w[:] = b * a


def _shifts_one_written(y, x):
    _writes_through_a_view(y, x[:-1], x[1:])


def test_a_helper_reading_two_overlapping_views():
    """A helper given ``x[:-1]`` and ``x[1:]`` that writes neither (it writes ``w``):
    refused as two views of which it writes one; a helper writing one through a
    view bound inside it is still refused."""
    x = np.linspace(0.5, 1.5, 6)
    check_everywhere(_difference_of_shifts, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(x, np.zeros(6)),
                     ret=Const, out="y", tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match="may share memory"):
        autodiff(Reverse, _shifts_one_written, Const, Duplicated(np.zeros(5), np.ones(5)), Duplicated(x, np.zeros(6)))


def _doubled_into(a, b):
    np.multiply(b, 2.0, a)


def _halves_doubled(x):
    _doubled_into(x[:3], x[3:])


def test_a_helper_writing_one_of_two_disjoint_views_through_positional_out():
    """``np.multiply(b, 2.0, a)`` writes ``a`` (numpy's positional out): the run-time
    check of the views was not inserted and the call was refused as aliasing."""
    check_everywhere(_halves_doubled, Duplicated(np.linspace(0.5, 1.5, 6), np.zeros(6)), ret=Const, out="x",
                     tapes=("autograd", "torch", "jax"))


_W12 = np.linspace(0.5, 1.7, 12)


def _sorted_flat(X):
    u = np.sort(X, axis=None)
    return u[-1] * u[0]


def _appended_flat(X):
    u = np.append(X, X ** 2)
    return np.dot(u, _W12)


def _joined_flat(X):
    u = np.concatenate([X, X * X], axis=None)
    return u[7] * u[1]


def _appended_iterated(X):
    u = np.append(X, X ** 2)
    s = 0.0
    for v in u:
        s += v * v
    return s


@pytest.mark.parametrize("f", [_sorted_flat, _appended_flat, _joined_flat, _appended_iterated])
def test_results_flattened_by_axis_none_are_one_dimensional(f):
    """np.sort(X, axis=None), np.append(X, Y), np.concatenate(..., axis=None) of a 2-D X
    flatten: typed as rank 2, a float loss reading them was refused."""
    X = np.array([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4]])
    check_everywhere(f, Duplicated(X, np.zeros_like(X)), out=(), tapes=("autograd", "torch", "jax"))


def _smooth(x, window_len=5, window="hanning"):
    if window == "flat":
        w = np.ones(window_len)
    else:
        w = np.hanning(window_len)
    return np.convolve(w / w.sum(), x, mode="valid")


def smoothed_cubes(x):
    return float(np.sum(_smooth(x, 5) ** 3) + np.sum(_smooth(x, 3, "flat") ** 2))


def test_a_helper_string_default_left_out():
    """A helper's default that is a string (a mode: window='hanning'), left out at the call:
    written into the call as numbers are (it was refused as not a number)."""
    check_everywhere(smoothed_cubes, Duplicated(np.linspace(0.0, 2.0, 12), np.zeros(12)), ret=Active,
                     tapes=("autograd", "torch", "jax"))


def _products(x, y):
    return float(np.sum(x * y))


def _scales_second(x, y):
    y *= 2.0
    return float(np.sum(x * y))


def test_one_array_duplicated_and_const_is_the_partial_derivative_and_refused_when_written():
    """docs/semantics.md: `f(Duplicated(x, dx), Const(x))` holds the second argument
    constant where the function writes neither (autograd's grad in the first argument
    of f(x, x)); where it writes one, refused."""
    import autograd
    x = np.array([1.0, 2.0, 3.0])
    dx = np.zeros(3)
    autodiff(Reverse, _products, Active, Duplicated(x, dx), Const(x))
    assert np.allclose(dx, autograd.grad(lambda a, b: (a * b).sum(), 0)(x, x))
    with pytest.raises(AdCompilerError, match="share memory"):
        autodiff(Reverse, _scales_second, Active, Duplicated(x, np.zeros(3)), Const(x))


@pytest.mark.parametrize("f,args,line", [(K.noisy_steps, (np.ones(3), 2), "115"),
                                         (K.noisy_generator, (np.ones(3), 2, 0), r"\d+")],
                         ids=["numpy-random", "generator"])
def test_random_draws_refused_with_what_to_do(f, args, line):
    """A draw with no declared rule: refused at the line, saying to pass the numbers in
    (it said to register a derivative rule)."""
    with pytest.raises(AdCompilerError, match=rf"kernels_calls.py:{line}.*draws random numbers.*pass them in"):
        gradient(f, *args)


SCALE = 5.0   # (a module name the rules' templates below also use, for other values)


def doubled_square(x):
    return 2.0 * x ** 2


def reads_module_scale(x):
    return float(np.sum(doubled_square(x) * SCALE))


def squared_twice(x):
    return 2.0 * x ** 2


def reads_local_scale(x):
    w = 10.0
    return float(np.sum(squared_twice(x) * w))


def test_a_rules_namespace_is_its_own(monkeypatch):
    """``defrule(..., namespace={"SCALE": 4.0})``: the templates read the rule's value, not
    the calling function's module global or local of that name (they did: 25x for 20x), nor
    a NameError where the caller has none."""
    from adcompiler.rules import registry
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))   # (the rules end with the test)
    x = np.array([0.5, -1.0, 2.0])
    extend.defrule(doubled_square, "x", x="g * SCALE * x", tangents={"x": "SCALE * x * t"},
                   namespace={"SCALE": 4.0})
    np.testing.assert_allclose(gradient(reads_module_scale, x)[0], SCALE * 4.0 * x, rtol=1e-12)
    _, tangent = jvp(reads_module_scale, (x,), (np.ones(3),))
    assert tangent == pytest.approx(SCALE * 4.0 * np.sum(x), rel=1e-12)
    # (every entry point reads the rule's value: against reverse mode's, as the rule is not the function's
    # true derivative, finite differences do not apply)
    for mode in (Reverse, ReverseSplitWithPrimal):
        dx = np.zeros(3)
        if mode is Reverse:
            autodiff(mode, reads_module_scale, Active, Duplicated(x.copy(), dx))
        else:
            fwd, rev = autodiff_thunk(mode, reads_module_scale, Active, Duplicated)
            tape, _ = fwd(Duplicated(x.copy(), np.zeros(3)))
            rev(Duplicated(x.copy(), dx), 1.0, tape)
        np.testing.assert_allclose(dx, SCALE * 4.0 * x, rtol=1e-12)
    tangents = [np.eye(3)[0], np.ones(3)]
    got = autodiff(Forward, reads_module_scale, Duplicated, BatchDuplicated(x.copy(), tangents))
    np.testing.assert_allclose(got[0], [SCALE * 4.0 * x @ t for t in tangents], rtol=1e-12)
    pure = differentiate(reads_module_scale)
    np.testing.assert_allclose(autograd.grad(pure)(x.copy()), SCALE * 4.0 * x, rtol=1e-12)
    extend.defrule(squared_twice, "x", x="g * w * x", tangents={"x": "w * x * t"}, namespace={"w": 4.0})
    np.testing.assert_allclose(gradient(reads_local_scale, x)[0], 10.0 * 4.0 * x, rtol=1e-12)
    _, tangent = jvp(reads_local_scale, (x,), (np.ones(3),))
    assert tangent == pytest.approx(40.0 * np.sum(x), rel=1e-12)
    extend.defrule(squared_twice, "x", x="g * FOUR * x", namespace={"FOUR": 4.0})
    np.testing.assert_allclose(gradient(reads_local_scale, x)[0], 10.0 * 4.0 * x, rtol=1e-12)


def mix(g, ans):
    return g * ans ** 2


def mixed(a, b):
    return float(np.sum(mix(a, b)))


def test_a_rule_parameter_named_g_is_refused_and_another_name_works(monkeypatch):
    """A rule parameter named ``g`` was read as the result's adjoint in the templates (d/db 2b
    for 2ab); refused, and the same rule under other parameter names is right."""
    from adcompiler.rules import registry
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    with pytest.raises(AdCompilerError, match="parameter named `g`"):
        extend.elementwise(mix, "g, ans", g="ans ** 2", ans="2 * g * ans")
    extend.elementwise(mix, "p, q", p="q ** 2", q="2 * p * q")
    a, b = np.array([0.3, 0.7]), np.array([0.5, 1.2])
    da, db = gradient(mixed, a, b)
    np.testing.assert_allclose(da, b ** 2, rtol=1e-12)
    np.testing.assert_allclose(db, 2 * a * b, rtol=1e-12)


def lstsq_into(out, A, b):
    out[...] = np.linalg.lstsq(A, b, rcond=None)[0]


def gradient_on_a_grid(x, t):
    return float(np.sum(np.gradient(x, t) ** 2))


@pytest.mark.parametrize("shape", [(3, 4), (4, 3)])
def test_lstsq_of_dependent_columns_is_refused(shape):
    """np.linalg.lstsq's derivative solves with A.T @ A: for a wide matrix (3x4) or a tall one of
    deficient rank it gave numbers off by 30-150% (or numpy's LinAlgError); refused at the line."""
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal(shape), rng.standard_normal(shape[0])
    if shape[0] > shape[1]:
        A[:, 2] = A[:, 0] + A[:, 1]   # (rank 2 of 3)
    for mode in (Reverse, Forward):
        with pytest.raises(AdCompilerError, match="full column rank"):
            autodiff(mode, lstsq_into, Const, Duplicated(np.zeros(shape[1]), np.ones(shape[1])),
                     Duplicated(A.copy(), np.zeros(shape)), Duplicated(b.copy(), np.zeros(shape[0])))


def test_lstsq_of_full_column_rank_against_finite_differences():
    rng = np.random.default_rng(2)
    A, b = rng.standard_normal((5, 3)), rng.standard_normal(5)
    check_everywhere(lstsq_into, np.zeros(3), A, b, ret=Const, out="out")


def test_gradient_on_coordinate_arrays_is_refused_at_its_line():
    """np.gradient(x, t) with a coordinate array raised a plain ValueError from the derivative."""
    x, t = np.array([0.3, 0.9, 1.4, 2.2]), np.array([0.0, 0.5, 1.5, 1.7])
    with pytest.raises(AdCompilerError, match="coordinate arrays") as info:
        gradient(gradient_on_a_grid, x, t)
    assert info.value.lineno == gradient_on_a_grid.__code__.co_firstlineno + 1


def test_a_rules_namespace_in_the_emitted_module(tmp_path):
    """The emitted module holds the rule's value under a name of its own, beside the module's
    global of the templates' name."""
    import importlib.util
    import subprocess
    import sys
    (tmp_path / "ns_kernel.py").write_text(
        "import numpy as np\nfrom adcompiler import extend\n\nK = 5.0\n\n\ndef scaled(x):\n    return 2.0 * x ** 2\n\n\n"
        "extend.defrule(scaled, 'x', x='g * K * x', namespace={'K': 4.0})\n\n\n"
        "def f(x):\n    return float(np.sum(scaled(x) * K))\n")
    out = tmp_path / "ns_emitted.py"
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "ns_kernel.py:f", "--shape", "x=3", "-o", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    spec = importlib.util.spec_from_file_location("ns_emitted", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x, dx = np.array([0.5, -1.0, 2.0]), np.zeros(3)
    mod.f_reverse(x, dx)
    np.testing.assert_allclose(dx, 5.0 * 4.0 * x, rtol=1e-12)


@pytest.mark.parametrize("f, args", [
    (K.float_out_into_ints, lambda: (np.zeros(3, dtype=np.int64), rng.standard_normal(3))),
    (K.complex_out_into_reals, lambda: (np.zeros(3), rng.standard_normal(3) + 1j)),
    (K.copied_into_ints, lambda: (np.zeros(3, dtype=np.int64), rng.standard_normal(3))),
    (K.copied_number_into_ints, lambda: (np.zeros(3, dtype=np.int64), rng.standard_normal(3))),
], ids=["float-into-ints", "complex-into-reals", "copyto", "copyto-number"])
def test_an_out_of_another_kind_numpy_refuses_is_refused(f, args):
    # numpy raises (casting="same_kind"); the store out= is read as cast silently
    a = args()
    with pytest.raises(TypeError):
        f(*(v.copy() for v in a))
    from adcompiler import Reverse, autodiff
    with pytest.raises(AdCompilerError, match=r"kernels_calls.py:\d+.*numpy refuses the cast"):
        autodiff(Reverse, f, Const, Const(a[0]), Duplicated(a[1].copy(), np.zeros_like(a[1])))


def test_a_reduction_into_an_int_out_is_cast_as_numpy_casts():
    x = np.array([1.5, 2.5, -0.7])
    k = np.zeros((), dtype=np.int64)
    from adcompiler import Active, ReverseWithPrimal, autodiff
    dx = np.zeros(3)
    _, value = autodiff(ReverseWithPrimal, K.summed_into_an_int, Active, Const(k), Duplicated(x.copy(), dx))
    assert value == pytest.approx(np.sum(x * x)) and k == int(np.sum(x))
    np.testing.assert_allclose(dx, 2 * x)


def _fresh_pair(n):
    return np.zeros(n), np.zeros(n)


def _fresh_pair_passed_on(n):
    t = _fresh_pair(n)
    return t


def _fresh_pair_bound_on_each_branch(n, flag):
    if flag > 0:
        t = _fresh_pair(n)
    else:
        t = _fresh_pair_passed_on(n)
    return t


def _filled_on_a_branch(x, flag):
    a, b = _fresh_pair_bound_on_each_branch(x.shape[0], flag)
    a += x
    b += x * x
    return np.sum(a * b)


def _overlapping_pair(n):
    y = np.zeros(n + 1)
    return y[:-1], y[1:]


def _overlapping_pair_passed_on(n):
    t = _overlapping_pair(n)
    return t


def _filled_fresh(x):
    a, b = _fresh_pair_passed_on(x.shape[0])
    a += x
    b += x * x
    return np.sum(a * b)


def _filled_overlapping(x):
    a, b = _overlapping_pair_passed_on(x.shape[0])
    a += x
    b += x * x
    return np.sum(a * b)


def test_a_tuple_passed_on_as_another_call_returned_it():
    # (a helper returning another call's tuple as it is was taken for one whose arrays may share
    # memory: refused; what that call returns is known)
    x = np.array([0.4, 1.1, 0.8])
    np.testing.assert_allclose(gradient(_filled_fresh, x)[0], 3 * x ** 2, rtol=1e-14)
    check_everywhere(_filled_fresh, Duplicated(x.copy(), np.zeros(3)), tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match="may share memory"):
        gradient(_filled_overlapping, x)
    for flag in (1.0, -1.0):   # (bound on each branch)
        np.testing.assert_allclose(gradient(_filled_on_a_branch, x, flag)[0], 3 * x ** 2, rtol=1e-14)


def _fresh_state(w):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    return m, v


def _state_step(w, m, v):
    m += w
    v += w * w
    w -= 0.1 * m / (1.0 + v)


def _stepped_from_a_helpers_state(w):
    m, v = _fresh_state(w)
    _state_step(w, m, v)
    _state_step(w, m, v)
    return float(np.sum(w ** 2))


def _stepped_from_a_local_state(w):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    _state_step(w, m, v)
    _state_step(w, m, v)
    return float(np.sum(w ** 2))


def test_two_arrays_of_a_helpers_tuple_passed_to_a_writer():
    # (refused: arrays of one tuple a call returned were taken to share memory, though the helper's
    # tuple holds two fresh arrays)
    w = np.array([0.3, -1.2, 0.8])
    np.testing.assert_allclose(gradient(_stepped_from_a_helpers_state, w)[0],
                               gradient(_stepped_from_a_local_state, w)[0], rtol=1e-14)
    check_everywhere(_stepped_from_a_helpers_state, Duplicated(w.copy(), np.zeros(3)),
                     tapes=("autograd", "torch", "jax"))


def _two_rows_step(w, m, v):
    m += w
    v += w * m
    w -= 0.1 * v


def _rows_of_a_state_shaped_by_concatenation(w):
    S = np.zeros((2,) + w.shape)   # (its rank: one more than w's)
    _two_rows_step(w, S[0], S[1])
    return float(np.sum(w ** 3))


def test_the_rank_of_an_array_allocated_with_a_concatenated_shape():
    # (S[0] was refused: whether it is an array or a number was not known)
    w = np.array([0.3, -0.5, 0.8])
    w1 = w - 0.1 * w ** 2
    np.testing.assert_allclose(gradient(_rows_of_a_state_shaped_by_concatenation, w)[0], 3 * w1 ** 2 * (1 - 0.2 * w),
                               rtol=1e-14)
    check_everywhere(_rows_of_a_state_shaped_by_concatenation, Duplicated(w.copy(), np.zeros(3)))


def _state_held_in_a_list(w):
    m = np.zeros_like(w)
    hist = [m]
    return hist[0], m   # (one array twice)


def _state_and_a_read_only_view(w):
    a = np.zeros_like(w)
    return a, np.broadcast_to(a, w.shape)


def _state_and_a_diagonal(w):
    S = np.zeros((w.shape[0], w.shape[0]))
    return S[0], np.einsum("ii->i", S)


def _state_and_a_loop_alias(w):
    a = np.zeros_like(w)
    c = np.ones_like(w)
    last = c
    for z in (a, c):
        last = z
        break
    return a, last


@pytest.mark.parametrize("make", [_state_held_in_a_list, _state_and_a_read_only_view, _state_and_a_diagonal,
                                  _state_and_a_loop_alias])
def test_a_helpers_tuple_whose_arrays_may_share_memory_is_refused_where_one_is_written(make):
    # (taken for separate arrays, these gave a primal of 0 and a zero gradient)
    def written(x):
        a, b = make(x)
        a += x
        return float(np.sum(b * x))
    x = np.array([0.3, -1.2, 0.8, 0.5])
    with pytest.raises(AdCompilerError, match="may share memory"):
        gradient(written, x)
    with pytest.raises(AdCompilerError, match="may share memory"):
        autodiff(Forward, written, Duplicated, Duplicated(x.copy(), np.ones(4)))


def _updated_through_a_tuple(w, st):
    m, v = st
    m += w
    v += w * m


def _tuple_passed_to_a_writer(x):
    st = _fresh_state(x)
    _updated_through_a_tuple(x, st)
    m, v = st
    return float(np.sum(m * v))


def test_a_tuple_carrying_derivatives_passed_to_a_function_is_refused_in_forward_mode_too():
    # (forward mode gave a tangent of 0 where it is 7.26; reverse mode refused it)
    x = np.array([0.5, 1.1, 1.2])
    for call in (lambda: autodiff(Forward, _tuple_passed_to_a_writer, Duplicated, Duplicated(x.copy(), np.ones(3))),
                 lambda: gradient(_tuple_passed_to_a_writer, x)):
        with pytest.raises(AdCompilerError, match=r"test_calls.py:\d+.*a tuple that carries derivatives"):
            call()

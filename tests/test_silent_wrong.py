"""Kernels that once got wrong gradients without an error, through every entry point.

Each case runs through ``everywhere.check_everywhere``: autodiff in Reverse,
ReverseWithPrimal and split mode (fresh shadows, as the tapes drive it)
against finite differences; the emitted module's three functions; Forward
(dot-product test against reverse mode); BatchDuplicated against Forward; and
``differentiate`` under autograd (PyTorch and JAX for the in-place updates
that the tapes got wrong).
"""
from __future__ import annotations

import copy
import re

import kernels_silent as K
import numpy as np
import pytest
from everywhere import check_everywhere, emitted_module
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
    differentiate,
    gradient,
)


def D(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


CASES = {
    # helpers returning arrays they own, arguments they mutated, aliases (cases 2 and 3)
    "fill_local": (K.uses_fill_local, lambda r: [D(r, 3), D(r, 3)], "o"),
    "fill_empty_like": (K.uses_fill_empty_like, lambda r: [D(r, 3), D(r, 3)], "o"),
    "scaled_copy": (K.uses_scaled_copy, lambda r: [D(r, 3), D(r, 3)], "o"),
    "double_in_place": (K.uses_double_in_place, lambda r: [D(r, 3), D(r, 3)], ("o", "x")),
    "writes_through_alias": (K.writes_through_alias, lambda r: [D(r, 3), Active(1.7)], "x"),
    "rk4_like": (K.rk4_like, lambda r: [D(r, 4), Active(0.1)], "y"),
    "scalar_from_helper": (K.scalar_from_helper, lambda r: [D(r, 3), Active(0.7)], "y"),
    "writes_through_reversed_view": (K.writes_through_reversed_view, lambda r: [D(r, 3), Active(0.7)], None),
    "same_array_twice": (K.same_array_twice, lambda r: [D(r, 3), D(r, 5)], "x"),
    "updates_result_of_constant_helper": (K.updates_result_of_constant_helper, lambda r: [D(r, 3), D(r, 3)], "o"),
    "element_read_then_written": (K.element_read_then_written, lambda r: [D(r, 4), Const(0.4)], "x"),
    "loop_over_view_then_written": (K.loop_over_view_then_written, lambda r: [D(r, 3)], None),
    "builtin_max_of_0d": (K.builtin_max_of_0d, lambda r: [D(r, 2), Duplicated(np.array(0.7), np.zeros(())),
                                                          Active(0.3)], "y"),
    "list_stack": (K.list_stack, lambda r: [D(r, 4), D(r, 4), Active(0.7)], None),
    "list_stack_in_loop": (K.list_stack_in_loop, lambda r: [D(r, 4), D(r, 4), Active(0.7)], None),
    "list_stack_of_arrays": (K.list_stack_of_arrays, lambda r: [D(r, 4), D(r, 4)], "x"),
    "updates_helper_result": (K.updates_helper_result, lambda r: [D(r, 3), Const(np.array([0.2, 0.4, 0.6]))], None),
    "writes_through_split": (K.writes_through_split, lambda r: [D(r, 6)], None),
    "writes_through_rot90_and_real": (K.writes_through_rot90_and_real, lambda r: [D(r, 2, 3), D(r, 3)], None),
    "column_stack_of_vectors": (K.column_stack_of_vectors, lambda r: [D(r, 3), D(r, 3), D(r, 3)], "o"),
    "column_stack_of_empty": (K.column_stack_of_vectors, lambda r: [D(r, 0), D(r, 0), D(r, 0)], "o"),
    # tuples: returned by helpers, unpacked or indexed, built locally, of floats (case 1)
    "unpack_two": (K.unpack_two, lambda r: [D(r, 3), D(r, 3, 3), D(r, 3)], "o"),
    "index_two": (K.index_two, lambda r: [D(r, 3), D(r, 3, 3), D(r, 3)], "o"),
    "local_tuple": (K.local_tuple, lambda r: [D(r, 3), D(r, 3)], "o"),
    "float_tuple": (K.float_tuple, lambda r: [D(r, 2)], None),
    "tangent_shares_written_input": (K.tangent_shares_written_input, lambda r: [D(r, 3), D(r, 3)], "o"),
    "tuple_of_operations": (K.tuple_of_operations, lambda r: [D(r, 3), D(r, 3), D(r, 3)], "o"),
    "tuple_of_filled": (K.uses_two_filled, lambda r: [D(r, 3), D(r, 3)], "o"),
    # ragged loops over Const integer arrays (case 4)
    "ragged": (K.ragged, lambda r: [D(r, 5), Const(np.array([0, 1, 3])), Const(np.array([2, 4, 5]))], None),
    "csr": (K.csr_matvec, lambda r: [D(r, 3), D(r, 5), Const(np.array([0, 2, 3, 5])),
                                     Const(np.array([0, 2, 1, 0, 3])), D(r, 4)], "y"),
    # in-place updates of arguments and of views of them, under the tapes (case 5)
    "euler": (K.euler, lambda r: [D(r, 3), D(r, 3)], "y"),
    "euler_sub": (K.euler_sub, lambda r: [D(r, 3), D(r, 3)], "y"),
    "scale_div": (K.scale_div, lambda r: [D(r, 3), D(r, 3)], "y"),
    "view_update": (K.view_update, lambda r: [D(r, 4), D(r, 4)], "y"),
    "reshape_view_update": (K.reshape_view_update, lambda r: [D(r, 6), D(r, 6)], "y"),
    "transpose_view_update": (K.transpose_view_update, lambda r: [D(r, 2, 3), D(r, 2, 3)], "Y"),
    "loop_view_update": (K.loop_view_update, lambda r: [D(r, 4), D(r, 4)], "y"),
    "local_view_update": (K.local_view_update, lambda r: [D(r, 4), D(r, 4)], "o"),
    # Const containers (case 6)
    "scale_by_dict": (K.scale_by_dict, lambda r: [D(r, 3), Const({"scale": 3.0})], "x"),
    "scale_by_list": (K.scale_by_list, lambda r: [D(r, 3), Const([2.0, 3.0, 4.0])], "x"),
    "scale_by_tuple": (K.scale_by_list, lambda r: [D(r, 3), Const((2.0, 3.0, 4.0))], "x"),
    "times_element": (K.times_element, lambda r: [Const([2.0]), Active(0.5)], None),
    # user names that look generated (case 7)
    "swap_underscore": (K.swap_underscore, lambda r: [D(r, 1), D(r, 3)], "b"),
    "underscore_tau": (K.underscore_tau, lambda r: [D(r, 1), D(r, 3)], "b"),
    "generated_lookalikes": (K.generated_lookalikes, lambda r: [D(r, 1), D(r, 3)], "b"),
    "shadow_lookalike": (K.shadow_lookalike, lambda r: [D(r, 3), D(r, 3)], None),
    # indexing
    "index_list_slice": (K.index_list_slice, lambda r: [D(r, 3, 3), D(r, 3, 3)], "o"),
    "newaxis_outer": (K.newaxis_outer, lambda r: [D(r, 3, 2), D(r, 3), D(r, 2)], "o"),
    # a helper's reverse half re-reading its argument's memory after the caller wrote it
    "caller_writes_after_alias_read": (K.caller_writes_after_alias_read, lambda r: [D(r, 3), Active(0.7)], None),
    "caller_writes_after_helper_wrote": (K.caller_writes_after_helper_wrote, lambda r: [D(r, 4), Active(0.6)], "y"),
    # a recurrence read through a reversed view of the memory it writes
    "recurrence_through_reversed_view": (K.recurrence_through_reversed_view, lambda r: [D(r, 5)], None),
    # a condition that is a list the loop empties
    "drain_list_in_while": (K.drain_list_in_while, lambda r: [D(r, 5), Active(0.8)], None),
    "drain_after_branch": (K.drain_after_branch, lambda r: [D(r, 3)], None),
    "list_filled_by_index": (K.list_filled_by_index, lambda r: [D(r, 3)], None),
    # arrays pushed onto a list as fresh values (written in place: refused, below)
    "fresh_arrays_pushed": (K.fresh_arrays_pushed, lambda r: [D(r, 3), D(r, 3)], "out"),
    # the arrays of a factorization's results written in place
    "eigenvectors_written": (K.eigenvectors_written, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    "eigenvalues_written": (K.eigenvalues_written, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    "qr_sign_fixed": (K.qr_sign_fixed, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    "qr_parts_scaled_whole": (K.qr_parts_scaled_whole, lambda r: [D(r, 4, 3), D(r, 3)], "out"),
    "eigh_parts_written": (K.eigh_parts_written, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    "svd_values_squared": (K.svd_values_squared, lambda r: [D(r, 4, 3), D(r, 3)], "out"),
    "svd_bound_whole_written": (K.svd_bound_whole_written, lambda r: [D(r, 4, 3), D(r, 3)], "out"),
    # np.diagonal is a view of its argument
    "diagonal_then_base_written": (K.diagonal_then_base_written, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    "diagonal_method_offset": (K.diagonal_method_offset, lambda r: [D(r, 3, 3), D(r, 3)], "out"),
    # enumerate's start (once ignored: the index counted from 0)
    "enumerate_from_one": (K.enumerate_from_one, lambda r: [D(r, 3), D(r, 3)], "out"),
    "enumerate_from_two": (K.enumerate_from_two, lambda r: [D(r, 3), D(r, 3)], "out"),
    # `a or b`, `a and b` as values (once given no derivative)
    "or_default": (K.or_default, lambda r: [D(r, 3), Active(0.6)], None),
    "and_chain": (K.and_chain, lambda r: [D(r, 3)], None),
    # values made by numpy functions once taken for constants
    "linspace_of_derivatives": (K.linspace_of_derivatives, lambda r: [D(r, 3)], None),
    "float64_conversion": (K.float64_conversion, lambda r: [D(r, 3)], None),
    # a full sum's adjoint summed back to a broadcast operand
    "sum_of_broadcast": (K.sum_of_broadcast, lambda r: [D(r, 4, 3), D(r, 1, 3)], None),
    "max_keepdims_centred": (K.max_keepdims_centred, lambda r: [D(r, 4)], None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_point(name, rng):
    f, make, out = CASES[name]
    check_everywhere(f, *make(rng), out=out, seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("tape", ["torch", "jax"])
@pytest.mark.parametrize("name", ["euler", "scale_div", "view_update", "transpose_view_update", "double_in_place"])
def test_in_place_updates_on_tapes(name, tape, rng):
    """The split halves under PyTorch and JAX (jit): fresh shadows each pass."""
    require(tape)
    f, make, out = CASES[name]
    check_everywhere(f, *make(rng), out=out, tapes=(tape,), forward=False, batch=False, emitted=False)


def test_euler_value_on_autograd():
    """The issue's example: d/dy sum(y + a*y) = 1 + a, not 1."""
    import autograd
    import autograd.numpy as anp
    f = differentiate(K.euler, out="y")
    y, a = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.7, -1.1])
    g = autograd.grad(lambda y: anp.sum(f(y, a)))(y)
    np.testing.assert_allclose(g, 1.0 + a)


def test_split_reverse_half_reused_tape_is_independent():
    """Two reverse passes over copies of one record give the same shadows:
    local shadows are made by the reverse half, not kept on the tape."""
    x = np.array([0.5, -1.0, 2.0, 0.25])
    o = np.zeros(4)
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, K.local_view_update, Const, Duplicated, Duplicated)
    tape, _ = fwd(Duplicated(o, np.zeros(4)), Duplicated(x, np.zeros(4)))
    stack = copy.copy(tape.stack)
    results = []
    for _ in range(2):
        tape.stack, tape.used = copy.copy(stack), False
        do, dx = np.ones(4), np.zeros(4)
        rev(Duplicated(o, do), Duplicated(x, dx), None, tape)
        results.append(dx.copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_ragged_gradient_values():
    """The issue's example: every row's own bounds, not the last row's."""
    x, dx = np.arange(4.0), np.zeros(4)
    lo, hi = np.array([0, 2]), np.array([2, 4])
    autodiff(Reverse, K.ragged_rows, Active, Duplicated(x, dx), Const(lo), Const(hi))
    np.testing.assert_array_equal(dx, [1.0, 1.0, 2.0, 2.0])


def test_gradient_with_list_argument():
    """``gradient(f, [2.0], 0.5)``: the list is constant and multiplies a."""
    assert gradient(K.times_element, [2.0], 0.5) == (None, 2.0)


def test_swap_underscore_primal():
    b, x = np.zeros(1), np.array([3.0, 5.0, 7.0])
    autodiff(Reverse, K.swap_underscore, Const, Duplicated(b, np.zeros(1)), Duplicated(x, np.zeros(3)))
    want = np.zeros(1)
    K.swap_underscore(want, x.copy())
    np.testing.assert_array_equal(b, want)


def test_tuples_holding_changing_memory_refused(rng):
    """A tuple holding memory written later is refused with the line, never
    differentiated with stale values."""
    with pytest.raises(AdCompilerError, match=r"kernels_silent\.py:\d+.*tuple"):
        autodiff(Reverse, K.stale_tuple, Const, D(rng, 3), D(rng, 3))


def test_argument_returned_inside_a_tuple_is_the_callers_array(rng):
    """``return x, 2.0 * x``: the caller's ``a`` is its own ``x`` (frontend/tuple_returns.py)."""
    check_everywhere(K.uses_argument_in_tuple, D(rng, 3), D(rng, 3), out=("o",), tapes=("autograd", "jax", "torch"))


def test_emitted_module_has_no_adcompiler_import(rng):
    ns, info = emitted_module(K.view_update, [D(rng, 4), D(rng, 4)], Const)
    assert info.rev_name in ns and not any(k == "adcompiler" for k in ns)


def test_scalar_argument_of_unknown_rank_reaches_caller():
    """Without ranks (the command line without --shape), ``np.minimum(a[0], s)``
    may be an array, so the helper takes it as Duplicated: its adjoint must
    reach the caller's shadow, not a local that is dropped."""
    from adcompiler.analysis.kinds import array
    from adcompiler.codegen.compile import compile_source
    from adcompiler.pipeline import reverse_module
    rng = np.random.default_rng(5)
    a, x = rng.uniform(0.3, 1.0, 3), rng.uniform(0.3, 1.0, 3)
    seeds = rng.uniform(0.5, 1.5, 3), rng.uniform(0.5, 1.5, 3)
    want = [s.copy() for s in seeds]
    autodiff(Reverse, K.scalar_argument_unknown_rank, Active, Duplicated(a.copy(), want[0]),
             Duplicated(x.copy(), want[1]))
    mod = reverse_module(K.scalar_argument_unknown_rank, (array(None), array(None)), ("Duplicated",) * 2, True)
    ns = compile_source(mod.source, mod.namespace, "unknown rank")
    got = [s.copy() for s in seeds]
    ns[mod.main.fused_name](a.copy(), got[0], x.copy(), got[1], 1.0)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


@pytest.mark.parametrize("f", [K.loss_through_filled_helper, K.loss_through_tuple_helper,
                               K.loss_through_alias_helper])
def test_second_order_is_right_or_refused(f):
    """hvp over helpers returning filled memory, tuples or aliases: a refusal,
    or the Hessian-vector product of central differences of the gradient."""
    from adcompiler import hvp
    x, v = np.array([0.3, 0.7, 1.1]), np.array([1.0, -0.5, 0.25])
    try:
        hv = hvp(f, (x,), (v,))[0]
    except AdCompilerError:
        return
    h = 1e-5
    fd = (gradient(f, x + h * v)[0] - gradient(f, x - h * v)[0]) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8)


def test_unknown_rank_times_array_has_unknown_rank():
    """The command line without ranks: ``M * v`` with ``M`` of unknown rank and
    ``v`` 1-d may be 2-d, so ``np.sum(..., keepdims=True)[0]`` may be a row, not
    an element (the emitted module summed the row's adjoint to a scalar)."""
    import inspect

    from adcompiler.cli.emit import emit_source
    from adcompiler.cli.load import Target
    f = K.reduce_keepdims_row
    target = Target(inspect.getsourcefile(f), f, K, "kernels_silent:reduce_keepdims_row")
    ns: dict = {}
    exec(compile(emit_source(target, "reverse", ("M",), ("c",), ("a",), "const"), "emitted", "exec"), ns)  # noqa: S102
    rng = np.random.default_rng(0)
    a, M, seed = rng.uniform(-1, 1, 6), rng.uniform(-1, 1, (3, 6)), rng.uniform(0.5, 1.5, 6)
    want = seed.copy()
    autodiff(Reverse, f, Const, Duplicated(a.copy(), want), Active(0.3), Const(M))
    got = seed.copy()
    ns["reduce_keepdims_row_reverse"](a.copy(), got, 0.3, M)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_list_display_of_derivatives(rng):
    """A list written out with values that carry derivatives (once silently
    given no derivative at all, then refused) is built by appends: its pop and
    its items carry their derivatives, in every mode."""
    x = rng.uniform(0.5, 1.5, 3)
    check_everywhere(K.list_display_of_derivatives, Duplicated(x, np.zeros(3)), out=None)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_range_of_derivative_refused(mode, rng):
    """np.arange whose start carries a derivative (once taken for a constant:
    a silent zero) is refused at its line, naming the argument."""
    x = np.abs(rng.uniform(0.5, 1.5, 3))
    with pytest.raises(AdCompilerError, match=r"kernels_silent.py:\d+: .*numpy.arange: its result is built from the "
                                              r"value of `start`"):
        if mode == "reverse":
            gradient(K.arange_of_derivative, x)
        else:
            autodiff(Forward, K.arange_of_derivative, Duplicated, Duplicated(x, np.ones(3)))


def test_list_summed(rng):
    """``sum`` of a list of values that carry derivatives (once a crash in the
    derivative, then refused): the sum of its stacked items."""
    check_everywhere(K.list_summed, Duplicated(rng.uniform(0.5, 1.5, 3), np.zeros(3)), out=None)


@pytest.mark.parametrize("f,line", [(K.list_alias_stack, "st2 = st")])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_list_used_other_than_as_a_stack_refused(f, line, mode, rng):
    """A list of values that carry derivatives is followed only as a stack;
    an alias of it (once a silent zero) or a sum of it (once a crash in the
    derivative) is refused at its line."""
    x = rng.uniform(0.5, 1.5, 3)
    with pytest.raises(AdCompilerError, match=rf"kernels_silent.py:\d+: `{re.escape(line)}`: .*differentiated only as "
                                              "a stack"):
        if mode == "reverse":
            gradient(f, x)
        else:
            autodiff(Forward, f, Duplicated, Duplicated(x, np.ones(3)))


def test_rank_zero_kept_through_a_choice_between_a_0d_array_and_a_scalar():
    """``z or 1.0`` with ``z`` a 0-d array is a number of rank 0, and arithmetic
    on it gives a scalar (numpy's rule), so ``s += ...`` rebinds ``s``; the
    autograd entry point, which passes 0-d arrays, once refused it as
    ambiguous while the others accepted it."""
    from adcompiler.analysis.kinds import FLOAT, array, broadcast, join
    k = join(array(0, "f"), FLOAT)
    assert (k.cls, k.ndim) == ("num", 0)
    assert broadcast(k, FLOAT) == FLOAT
    assert join(array(1, "f"), FLOAT).ndim is None


@pytest.mark.parametrize("f,param", [(K.interp_varied_points, "xp"), (K.sum_with_varied_initial, "initial"),
                                     (K.pad_with_varied_constant, "constant_values"),
                                     (K.histogram_density_varied_edges, "bins")],
                         ids=["interp_xp", "sum_initial", "pad_constant", "histogram_density_edges"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_value_into_a_parameter_without_derivative_refused(f, param, mode, rng):
    """A value carrying a derivative into a rule's parameter that has no
    derivative template was dropped (a silent zero, found with np.interp's
    sample points); it is refused at its line, naming the parameter."""
    x = rng.uniform(0.5, 1.5, 3)
    with pytest.raises(AdCompilerError, match=rf"kernels_silent.py:\d+: .*`{param}`"):
        if mode == "reverse":
            gradient(f, x)
        else:
            autodiff(Forward, f, Duplicated, Duplicated(x, np.ones(3)))


def test_parameters_constant_by_declaration_still_differentiate(rng):
    x = rng.uniform(0.5, 1.5, 4) * np.array([1, -1, 1, -1])
    check_everywhere(K.sign_and_condition_constant, Duplicated(x, np.zeros(4)))


@pytest.mark.parametrize("f,line", [(K.pushed_then_written, "st.append(h)"),
                                    (K.argument_pushed_then_written, "st.append(x)"),
                                    (K.popped_then_written, "v = st.pop()"),
                                    (K.tuple_of_views_then_written, "segs = [(x[0:2], x[1:3])]"),
                                    (K.tuple_of_views_appended_then_written, "segs.append((x[0:2], x[1:3]))")],
                         ids=["pushed_then_written", "argument_pushed", "popped_then_written", "tuple_of_views",
                              "tuple_of_views_appended"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_list_item_written_in_place_refused(f, line, mode, rng):
    """A list holds the arrays pushed onto it: writing one in place (before or
    after the pop) changed the item without the derivative knowing (silent wrong
    gradients); such a push or pop is refused at its line."""
    x, o = rng.uniform(0.5, 1.5, 3), rng.uniform(0.5, 1.5, 3)
    if f is K.tuple_of_views_then_written and mode == "forward":
        # (the list written out and only iterated is unrolled: forward mode follows the tuple's views by
        # reference, the write included, and is right; reverse mode refuses the tuple written after)
        check_forward_against_differences(f, x, o)
        return
    with pytest.raises(AdCompilerError, match=rf"kernels_silent.py:\d+: `{re.escape(line)}`: .*written (in place|after)"):
        if mode == "reverse":
            autodiff(Reverse, f, Const, Duplicated(x, np.zeros(3)), Duplicated(o, np.ones(3)))
        else:
            autodiff(Forward, f, Const, Duplicated(x, np.ones(3)), Duplicated(o, np.zeros(3)))


def check_forward_against_differences(f, x, o, h=1e-6):
    for k in range(x.size):
        t = np.zeros_like(x)
        t[k] = 1.0
        shadow = Duplicated(o.copy(), np.zeros_like(o))
        autodiff(Forward, f, Const, Duplicated(x.copy(), t), shadow)
        ends = []
        for s in (h, -h):
            xs, os_ = x.copy(), o.copy()
            xs[k] += s
            f(xs, os_)
            ends.append(os_)
        np.testing.assert_allclose(shadow.dval, (ends[0] - ends[1]) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_arrays_of_a_returned_tuple_written_refused(mode, rng):
    """Arrays a helper returns together may share memory; writing one of them
    changed the other without the derivative knowing. Refused at the line."""
    x, o = rng.uniform(0.5, 1.5, 3), rng.uniform(0.5, 1.5, 3)
    with pytest.raises(AdCompilerError, match=r"kernels_silent.py:\d+: `a, b = _overlapping_halves\(x\)`: .*share memory"):
        if mode == "reverse":
            autodiff(Reverse, K.returned_views_written, Const, Duplicated(x, np.zeros(3)), Duplicated(o, np.ones(3)))
        else:
            autodiff(Forward, K.returned_views_written, Const, Duplicated(x, np.ones(3)), Duplicated(o, np.zeros(3)))


def test_pop_of_a_list_written_out(rng):
    """The item popped from a list written out is a number (the list is built by
    appends), and a list of constants works."""
    x = rng.uniform(0.5, 1.5, 3)
    check_everywhere(K.list_display_popped, Duplicated(x, np.zeros(3)), out=None)
    check_everywhere(K.constant_list_popped, Duplicated(x, np.zeros(3)))


@pytest.mark.parametrize("f,line", [(K.diag_then_base_written, "d = np.diag(A)"),
                                    (K.broadcast_then_base_written, "b = np.broadcast_to(A[0], (3, 3))")],
                         ids=["diag", "broadcast_to"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_read_only_view_then_base_written_refused(f, line, mode, rng):
    """np.diag of a matrix and np.broadcast_to return views; a write to their
    argument afterwards showed through them while the derivative was that of a
    copy (silent wrong gradients). Refused at the call."""
    A, o = rng.uniform(0.5, 1.5, (3, 3)), rng.uniform(0.5, 1.5, 3)
    with pytest.raises(AdCompilerError, match=rf"kernels_silent.py:\d+: `{re.escape(line)}`: .*returns a view"):
        if mode == "reverse":
            autodiff(Reverse, f, Const, Duplicated(A, np.zeros((3, 3))), Duplicated(o, np.ones(3)))
        else:
            autodiff(Forward, f, Const, Duplicated(A, np.ones((3, 3))), Duplicated(o, np.zeros(3)))


def test_read_only_views_after_the_writes(rng):
    """The same calls after the writes (and np.diag of a vector, a new matrix) are differentiated."""
    A, v, o = rng.uniform(0.5, 1.5, (3, 3)), rng.uniform(0.5, 1.5, 3), rng.uniform(0.5, 1.5, 3)
    check_everywhere(K.views_after_the_writes, Duplicated(A, np.zeros((3, 3))), Duplicated(v, np.zeros(3)),
                     Duplicated(o, np.zeros(3)), out="out")


def _fills(x, s):
    x[[0, 1]].fill(s)        # a copy: x unchanged
    x[2:].fill(s * 2.0)      # a view: written
    x[0:1].fill(s)
    return float(np.sum(x * x))


def test_fill_of_a_view_writes_it_and_of_a_copy_nothing(rng):
    """`x[2:].fill(s)` was refused ("this store target is not supported") where
    `x[2:] = s` was not; a fancy-indexed copy's fill changes nothing."""
    check_everywhere(_fills, Duplicated(rng.uniform(1, 2, 5), np.zeros(5)), Active(0.3), ret=Active)


def _array_copied(x):
    y = np.array(x, copy=True)
    y *= 2.0
    return float(np.sum(y * x))


def _array_not_copied(x):
    y = np.array(x, copy=None)   # (x itself: the write below is a write of x)
    y *= 2.0
    return float(np.sum(y * x))


@pytest.mark.parametrize("f", [_array_copied, _array_not_copied])
def test_np_array_with_copy(f, rng):
    """np.array(x, copy=...) was refused (the keyword `copy`); copy=None or False may return
    x itself, and is differentiated as np.asarray is."""
    check_everywhere(f, Duplicated(rng.uniform(0.5, 1.5, 4), np.zeros(4)), ret=Active)


def _astype_by_keyword(x):
    y = x.astype(dtype=np.float64, copy=True)
    y *= 2.0
    return float(np.sum(y * x))


def test_astype_with_its_dtype_by_keyword(rng):
    """x.astype(dtype=...) was refused ("the method .astype() is not supported")."""
    check_everywhere(_astype_by_keyword, Duplicated(rng.uniform(0.5, 1.5, 4), np.zeros(4)), ret=Active)

"""A catalogue of bad and unusual inputs, each with its expected outcome.

Two tables:

- ``REFUSED``: the call must raise the given ``AdCompilerError`` subclass,
  with a message containing the given words, and leave every argument and
  shadow exactly as it was.
- ``ACCEPTED``: the call must succeed and agree with central finite
  differences of the plain function (shadows, Active derivatives and the
  arrays' final values), whatever the memory layout of the arguments.

A few rows that are neither (NaN/inf propagation, closures, the exact
location of a strided shadow's update) have their own tests at the end.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import (
    Active,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
)
from adcompiler.errors import (
    ActivityError,
    AliasingError,
    ShapeError,
    SourceError,
    UnsupportedSyntaxError,
)

from . import kernels_trust as K

E = ad.AdCompilerError
V = np.array([0.7, 1.3, 0.9])


def v(n: int = 3) -> np.ndarray:
    return np.linspace(0.6, 1.4, n)


def z(x) -> np.ndarray:
    return np.zeros_like(x)


def ro(x: np.ndarray) -> np.ndarray:
    x.setflags(write=False)
    return x


def _exec_defined():
    ns: dict = {}
    exec(compile("def h(x):\n    return x * x\n", "<stdin>", "exec"), ns)  # noqa: S102 (as typed at a prompt)
    return ns["h"]


def _thunk_reused():
    fwd, rev = ad.autodiff_thunk(ReverseSplitWithPrimal, K.sumsq, Active, Duplicated)
    x, dx = v(), np.zeros(3)
    tape, _ = fwd(Duplicated(x, dx))
    rev(Duplicated(x, dx), 1.0, tape)
    rev(Duplicated(x, dx), 1.0, tape)


def _twice(mode, f):
    a = v()
    return autodiff(mode, f, Const, Duplicated(a, z(a)), Duplicated(a, z(a)))


def _shadow_is_primal():
    a = v()
    return autodiff(Reverse, K.sumsq, Active, Duplicated(a, a))


def _const_alias():
    a = v()
    return autodiff(Reverse, K.copy_scaled, Const, Duplicated(a, z(a)), Const(a))


def _alias(f, ret, same_shadow: bool):
    a = v(4)
    da = z(a)
    return autodiff(Reverse, f, ret, Duplicated(a[:3], da[:3]), Duplicated(a[1:], da[1:] if same_shadow else z(a[1:])))


# (id, zero-argument call, error class, words the message must contain)
REFUSED = [
    ("active_array", lambda: autodiff(Reverse, K.sumsq, Active, Active(v())), ActivityError, ["Active", "Duplicated"]),
    ("class_for_value", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated), ActivityError, ["class", "wrap"]),
    ("duplicated_float", lambda: autodiff(Reverse, K.scalar_poly, Active, Duplicated(1.0, 0.0)), ActivityError,
     ["not a numpy array", "Active"]),
    ("duplicated_list", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated([1.0, 2.0], [0.0, 0.0])),
     ActivityError, ["list"]),
    ("duplicated_return_in_reverse", lambda: autodiff(Reverse, K.sumsq, Duplicated, Duplicated(v(), z(v()))),
     ActivityError, ["forward mode"]),
    ("return_activity_not_a_class", lambda: autodiff(Reverse, K.sumsq, 3, Duplicated(v(), z(v()))),
     ActivityError, ["Active or Const"]),
    ("no_return_activity", lambda: autodiff(K.sumsq), ActivityError, ["return activity"]),
    ("shadow_shape", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), np.zeros(4))), ShapeError,
     ["shape (3,)", "(4,)"]),
    ("shadow_dtype_float32", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), np.zeros(3, np.float32))),
     ShapeError, ["float64", "float32"]),
    ("shadow_dtype_int", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), np.zeros(3, int))),
     ShapeError, ["int64"]),
    # (autodiff runs on a copy of such a shadow in the array's layout; split mode's halves cannot)
    ("shadow_memory_order", lambda: ad.autodiff_thunk(ReverseSplitWithPrimal, K.sumsq, Active, Duplicated)[0](
        Duplicated(np.ones((3, 2)), np.zeros((3, 2), order="F"))),
     ShapeError, ["steps through memory", "strides"]),
    ("shadow_is_list", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), [0.0, 0.0, 0.0])),
     ShapeError, ["shadow", "list"]),
    ("shadow_read_only", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), ro(np.zeros(3)))),
     ActivityError, ["read-only"]),
    ("int_array_duplicated", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(np.arange(3), np.zeros(3, int))),
     ActivityError, ["int64", "Const"]),
    # complex arrays carry derivatives (tests/test_complex.py), but an Active return must be a real loss
    ("complex_return_active", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(V + 1j, z(V + 1j))),
     ActivityError, ["complex", "real"]),
    ("bool_array_duplicated", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(V > 1, V > 1)),
     ActivityError, ["bool"]),
    ("same_array_twice_written", lambda: _twice(Reverse, K.copy_scaled),
     AliasingError, ["share memory", "written"]),
    ("overlapping_views_written", lambda: _alias(K.copy_scaled, Const, True), AliasingError, ["share memory"]),
    ("overlapping_views_read_separate_shadows", lambda: _alias(K.weighted, Active, False), AliasingError,
     ["shadows", "do not share"]),
    ("shadow_is_its_primal", _shadow_is_primal,
     AliasingError, ["shares memory"]),
    ("const_aliases_written_output", _const_alias,
     AliasingError, ["share memory"]),
    ("read_only_output", lambda: autodiff(Reverse, K.copy_scaled, Const, Duplicated(ro(np.zeros(3)), np.ones(3)),
                                          Duplicated(v(), np.zeros(3))), ActivityError, ["read-only", "written"]),
    ("active_return_of_array", lambda: autodiff(Reverse, K.returns_array, Active, Duplicated(v(), z(v()))),
     ActivityError, ["Active", "returns an array"]),
    ("too_few_arguments", lambda: autodiff(Reverse, K.axpy, Const, Duplicated(v(), z(v()))), E,
     ["takes 3 arguments", "1"]),
    ("too_many_arguments", lambda: autodiff(Reverse, K.sumsq, Active, Duplicated(v(), z(v())), Const(1.0)), E,
     ["takes 1 arguments", "2"]),
    ("keyword_only_parameter", lambda: autodiff(Reverse, K.kwonly, Active, Duplicated(v(), z(v()))),
     E, ["takes 2 arguments", "1"]),
    ("star_args", lambda: autodiff(Reverse, K.star_args, Active, Duplicated(v(), z(v()))), UnsupportedSyntaxError,
     ["*args"]),
    ("generator", lambda: autodiff(Reverse, K.gen, Active, Duplicated(v(), z(v()))), UnsupportedSyntaxError,
     ["generator"]),
    ("async_function", lambda: autodiff(Reverse, K.coro, Active, Duplicated(v(), z(v()))), UnsupportedSyntaxError,
     ["async"]),
    ("recursion", lambda: autodiff(Reverse, K.recursive, Const, Duplicated(v(), np.ones(3)), Const(2)),
     UnsupportedSyntaxError, ["recursive", "loop"]),
    ("writes_global_array", lambda: autodiff(Reverse, K.writes_global, Active, Duplicated(v(), z(v()))),
     UnsupportedSyntaxError, ["GLOBAL_BUF", "argument"]),
    ("closure_writes_array", lambda: autodiff(Reverse, K.closure_writer(np.zeros(3)), Active,
                                              Duplicated(v(), z(v()))), UnsupportedSyntaxError, ["buf", "argument"]),
    ("bound_method", lambda: autodiff(Reverse, K.Model().loss, Active, Duplicated(v(), z(v()))), SourceError,
     ["bound method", "kernels_trust.py:"]),
    ("functools_partial_keyword_first", lambda: autodiff(Reverse, K.partial_x_bound, Active,
                                                         Duplicated(v(), z(v()))),
     SourceError, ["partial", "kernels_trust.py:"]),
    ("lru_cache_wrapper", lambda: autodiff(Reverse, functools.lru_cache(K.scalar_poly), Active, Active(1.0)),
     SourceError, ["not a Python function"]),
    ("numpy_function", lambda: autodiff(Reverse, np.sum, Active, Duplicated(v(), z(v()))), SourceError,
     ["not a Python function"]),
    ("not_callable", lambda: autodiff(Reverse, 3, Active, Active(1.0)), SourceError, ["int"]),
    ("defined_at_a_prompt", lambda: autodiff(Reverse, _exec_defined(), Active, Active(1.0)), SourceError,
     ["cannot be retrieved", "<stdin>"]),
    ("adjoint_source_of_generator", lambda: ad.adjoint_source(K.gen, Duplicated), UnsupportedSyntaxError,
     ["generator"]),
    ("adjoint_source_of_partial_keyword_first", lambda: ad.adjoint_source(K.partial_x_bound, Duplicated),
     SourceError, ["partial"]),
    ("forward_int_array", lambda: autodiff(Forward, K.sumsq, Duplicated, Duplicated(np.arange(3), np.zeros(3, int))),
     ActivityError, ["int64"]),
    ("forward_shadow_shape", lambda: autodiff(Forward, K.sumsq, Duplicated, Duplicated(v(), np.zeros(4))),
     ShapeError, ["shape (3,)"]),
    ("forward_aliasing", lambda: _twice(Forward, K.copy_scaled), AliasingError, ["share memory"]),
    ("forward_bound_method", lambda: autodiff(Forward, K.Model().loss, Duplicated, Duplicated(v(), z(v()))),
     SourceError, ["bound method"]),
    ("batch_duplicated_in_reverse", lambda: autodiff(Reverse, K.sumsq, Active, BatchDuplicated(v(), (z(v()),))),
     ActivityError, ["forward-mode"]),
    ("thunk_given_values", lambda: ad.autodiff_thunk(ReverseSplitWithPrimal, K.sumsq, Active, v()),
     ActivityError, ["activity classes"]),
    ("thunk_tape_reused", _thunk_reused, ActivityError, ["already been consumed"]),
]


@pytest.mark.parametrize("row", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(row):
    _, call, error, words = row
    with pytest.raises(error) as info:
        call()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in: {msg}"
    assert info.value.hint, "every refusal says what to do instead"


def test_active_return_of_none_refused_before_running():
    """Regression of core bug trust-3 (the primal used to run before this refusal)."""
    s, a = np.zeros(3), v()
    ds, da = np.full(3, 0.5), np.full(3, 0.25)
    with pytest.raises(ActivityError, match="Active"):
        autodiff(Reverse, K.copy_scaled, Active, Duplicated(s, ds), Duplicated(a, da))   # copy_scaled has no return
    assert np.array_equal(s, np.zeros(3)) and np.array_equal(a, v())
    assert np.array_equal(ds, np.full(3, 0.5)) and np.array_equal(da, np.full(3, 0.25))


@pytest.mark.parametrize("row", [r for r in REFUSED if r[0] in {
    "same_array_twice_written", "overlapping_views_written", "read_only_output", "shadow_shape", "int_array_duplicated",
    "keyword_only_parameter", "recursion", "writes_global_array"}], ids=lambda r: r[0])
def test_refusals_leave_arguments_unchanged(row, monkeypatch):
    """Refusals come before the function runs: every argument and shadow keeps its value."""
    _, call, error, _ = row
    seen = []   # (array, its value when autodiff was called)
    real = autodiff

    def spy(*a):
        for ann in a:
            for x in (getattr(ann, "val", None), getattr(ann, "dval", None)):
                if isinstance(x, np.ndarray):
                    seen.append((x, x.copy()))
        return real(*a)
    monkeypatch.setitem(globals(), "autodiff", spy)
    with pytest.raises(error):
        call()
    assert seen
    for x, before in seen:
        assert np.array_equal(x, before), "a refused call modified an argument or a shadow"


def test_catalogue_size():
    from .test_bad_inputs_accepted import ACCEPTED
    assert len(REFUSED) + len(ACCEPTED) >= 40


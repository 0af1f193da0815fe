"""Helpers returning an array they make (``x = np.zeros(n); ...; return x``: a Thomas
solver, a squashed copy, an early return from a loop) under numba: the helper's halves
record the returned array's shadow as its local's (``_d_ret`` is ``dx``), and a caller
binding the result to a name records it once. They were refused ("passes the shadow of a
view or of a new array") in every mode. Checked in each mode against finite differences
and the numpy backend, split halves as the tapes drive them (fresh shadows), on a tape,
and in the emitted numba module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import returned_kernels as K
from numba_engine import Numba, split_run
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    differentiate,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

RNG = np.random.default_rng(11)


def _dup(*shape, lo=0.5, hi=1.5):
    x = RNG.uniform(lo, hi, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (K.implicit_heat, lambda: (_dup(6), _dup(1, lo=0.1, hi=0.3)), Active),
    (K.in_a_loop, lambda: (_dup(5), _dup(5)), Const),
    (K.early_return, lambda: (_dup(5, lo=0.2, hi=0.6),), Active),     # (no early return)
    (K.early_return, lambda: (_dup(5, lo=1.5, hi=2.0),), Active),     # (returns at the first element)
    (K.nested, lambda: (_dup(5),), Active),
    (K.scaled_copy, lambda: (_dup(5),), Active),
    (K.reassigned, lambda: (_dup(5),), Active),
]
IDS = ["thomas", "in_a_loop", "early_none", "early_first", "nested", "scaled_copy", "reassigned"]


@pytest.mark.parametrize("f, args, ret", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_helpers_returning_new_arrays_compile_and_are_right(f, args, ret, mode):
    check_grads(f, *args(), ret=ret, mode=mode, engine=Numba)


@pytest.mark.parametrize("f, args, ret", CASES, ids=IDS)
def test_the_numba_halves_match_the_numpy_halves(f, args, ret):
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    for got, want in zip(split_run(f, a, ret, "numba")[1], split_run(f, a, ret, "numpy")[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    got = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    want = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    autodiff(Reverse, f, ret, *want)
    autodiff(Reverse, f, ret, *got, backend="numba")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12, atol=1e-14)


def test_a_tape_drives_the_compiled_halves_of_a_thomas_solve():
    import autograd
    u, k = RNG.uniform(0.5, 1.5, 6), np.array([0.2])
    g = autograd.grad(lambda v: differentiate(K.implicit_heat, backend="numba")(v, k))(u)
    du = np.zeros(6)
    autodiff(Reverse, K.implicit_heat, Active, Duplicated(u.copy(), du), Const(k))
    np.testing.assert_allclose(g, du, rtol=1e-12)


def test_a_helper_returning_one_of_two_arrays_is_refused_or_right():
    """Which array the helper returns is known at run time only: refused under numba
    (its line), right under auto (the numpy backend)."""
    for flag in (1.0, -1.0):
        with pytest.raises(BackendError, match="returned_kernels.py:6[0-9]"):
            check_grads(K.one_of_two, _dup(5), Const(flag), ret=Active, mode=Reverse, engine=Numba)
        u = _dup(5)
        want = Duplicated(u.val.copy(), np.zeros(5))
        autodiff(Reverse, K.one_of_two, Active, want, Const(flag))
        autodiff(Reverse, K.one_of_two, Active, u, Const(flag), backend="auto")
        np.testing.assert_allclose(u.dval, want.dval, rtol=1e-13)


def test_the_emitted_numba_module_of_a_thomas_solve(tmp_path):
    require("numba")
    src = Path(K.__file__)
    (tmp_path / "returned_kernels.py").write_text(src.read_text())
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "returned_kernels.py:implicit_heat",
                          "--target", "numba", "--dup", "u,k", "--shape", "u=6", "--shape", "k=1",
                          "-o", "heat_nb.py"], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import heat_nb
    finally:
        sys.path.remove(str(tmp_path))
    u, k = RNG.uniform(0.5, 1.5, 6), np.array([0.2])
    du, dk = np.zeros(6), np.zeros(1)
    heat_nb.implicit_heat_reverse(u.copy(), du, k.copy(), dk)
    want_u, want_k = np.zeros(6), np.zeros(1)
    autodiff(Reverse, K.implicit_heat, Active, Duplicated(u.copy(), want_u), Duplicated(k.copy(), want_k))
    np.testing.assert_allclose(du, want_u, rtol=1e-12)
    np.testing.assert_allclose(dk, want_k, rtol=1e-12)


def test_a_helper_returning_its_argument_in_every_mode():
    """``w = _apply_bc(u, c)`` returning ``u``: the fused function's shadow of ``w`` is ``du``
    (``_ad_alias_of``, refused before: "_ad_rebase has no numba version"); the split halves
    record ``w``'s shadow as a view of ``u``'s (``numba_views``: refused before at the call's line)."""
    args = lambda: (_dup(5), _dup(1))
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(K.returned_argument, *args(), ret=Active, mode=mode, engine=Numba)
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    got = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    want = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    autodiff(Reverse, K.returned_argument, Active, *want)
    autodiff(Reverse, K.returned_argument, Active, *got, backend="numba")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12)
        np.testing.assert_array_equal(g.val, w.val)
    for backend in ("numba", "auto"):
        for g, w in zip(split_run(K.returned_argument, a, Active, backend)[1],
                        split_run(K.returned_argument, a, Active, "numpy")[1]):
            np.testing.assert_allclose(g, w, rtol=1e-13)


def test_a_helper_returning_a_view_of_its_argument_is_refused_and_auto_is_right():
    u = _dup(6)
    with pytest.raises(BackendError, match=r"returned_kernels.py:119: `return u\[1:-1\]`"):
        check_grads(K.returned_view, u, ret=Active, mode=Reverse, engine=Numba)
    got, want = Duplicated(u.val.copy(), np.zeros(6)), Duplicated(u.val.copy(), np.zeros(6))
    autodiff(Reverse, K.returned_view, Active, got, backend="auto")
    autodiff(Reverse, K.returned_view, Active, want)
    np.testing.assert_allclose(got.dval, want.dval, rtol=1e-13)


def test_forward_mode_of_a_helper_returning_its_argument():
    """Forward mode under numba takes the returned argument's tangent too (``_ad_alias_of``)."""
    from adcompiler import Forward
    u, left = RNG.uniform(0.5, 1.5, 5), RNG.uniform(0.5, 1.5, 1)
    tu, tl = RNG.standard_normal(5), RNG.standard_normal(1)
    got, want = [autodiff(Forward, K.returned_argument, Duplicated, Duplicated(u.copy(), tu.copy()),
                          Duplicated(left.copy(), tl.copy()), backend=b)[0] for b in ("numba", "numpy")]
    assert got == pytest.approx(want, rel=1e-12)

"""Real kernels, unchanged, through every entry point.

Each kernel of ``cases.CASES`` (PolyBench, stencils, integrators, iterative
solvers, neural-network layers, idioms of published numpy code) runs through
``everywhere.check_everywhere``: autodiff Reverse, ReverseWithPrimal and split
mode against finite differences, the emitted stand-alone module, Forward by
the dot-product test, BatchDuplicated against Forward, and ``differentiate``
under autograd when the kernel writes outputs.

Outcomes are recorded here, so that a change of behaviour shows up as a
failing test:

- ``REFUSED``: the kernel is refused with an ``AdCompilerError`` naming the
  file and line; the test asserts the refusal (a fix makes it fail: move the
  kernel out of the table then).
- ``WRONG`` / ``CRASH``: a gradient that disagrees with finite differences or
  with another entry point, or any other exception; the test is a strict
  xfail carrying the diagnosis.
"""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_batch, check_everywhere, check_forward_dot

from adcompiler import (
    AdCompilerError,
    Const,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.testing import check_grads

from .cases import CASES, D, dominant, dup
from .kernels_physics import jacobi_solve_diag

# name -> (why, pattern the message must match: file and line, then the construct)
REFUSED = {
    "jacobi-solver": ("np.diagflat has no derivative rule",
                      r"kernels_physics\.py:\d+:\d+: `np\.diagflat\(D\)`: .*no derivative rule"),
    "moving-average": ("np.convolve has no derivative rule",
                       r"kernels_idioms\.py:\d+:\d+: `np\.convolve\(.*\)`: .*no derivative rule"),
}

# name -> diagnosis; each runs as a strict xfail
WRONG: dict[str, str] = {}
CRASH: dict[str, str] = {}


def _param(name):
    reason = WRONG.get(name) or CRASH.get(name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_param(n) for n in sorted(CASES)])
def test_every_entry_point(name, rng):
    f, make, out = CASES[name]
    args = make(rng)
    seed = int(rng.integers(1 << 30))
    if name in REFUSED:
        with pytest.raises(AdCompilerError, match=REFUSED[name][1]):
            check_everywhere(f, *args, out=out, seed=seed)
        return
    check_everywhere(f, *args, out=out, seed=seed)


def test_tables_name_known_kernels():
    assert set(REFUSED) | set(WRONG) | set(CRASH) <= set(CASES)
    assert not (set(REFUSED) & (set(WRONG) | set(CRASH)))
    assert len(CASES) >= 50


def test_jacobi_solver_with_omitted_defaults(rng):
    """``tol`` and ``max_iter`` left out take their defaults as Const in
    autodiff (all three reverse modes), Forward and BatchDuplicated."""
    args = [dup(dominant(rng, 5)), D(rng, 5), D(rng, 5)]
    for mode in (Reverse, ReverseWithPrimal, ReverseSplitWithPrimal):
        check_grads(jacobi_solve_diag, *args, ret=Const, mode=mode, seed=3)
    kinds = ["dup"] * 3
    vals = [a.val.copy() for a in args]
    check_forward_dot(jacobi_solve_diag, kinds, vals, Const, np.random.default_rng(4))
    check_batch(jacobi_solve_diag, kinds, vals, Const, np.random.default_rng(5))

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
from everywhere import (
    _kinds,
    _returns_float,
    _values,
    check_batch,
    check_everywhere,
    check_forward_dot,
)
from optional import require

from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.testing import check_grads

from .cases import CASES, D, dominant, dup
from .kernels_physics import jacobi_solve_diag

# name -> (why, pattern the message must match: file and line, then the construct)
REFUSED = {
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


# float32 runs: finite differences cannot see these
FLOAT32_SKIP = {
    "fixed-point-cos": "converges to float32 resolution: d x_final / d x0 ~ 1e-7 is below the finite-difference noise",
}


@pytest.mark.parametrize("name", [_param(n) for n in sorted(set(CASES) - set(REFUSED) - set(FLOAT32_SKIP))])
def test_float32(name, rng):
    """The same kernels on float32 arrays: the three reverse modes against
    finite differences (rtol 1e-3) and Forward by the dot-product test."""
    f, make, _ = CASES[name]
    args = [Duplicated(a.val.astype(np.float32), np.zeros(a.val.shape, np.float32)) if isinstance(a, Duplicated)
            else a for a in make(rng)]
    seed = int(rng.integers(1 << 30))
    ret = Active if _returns_float(f, args) else Const
    for mode in (Reverse, ReverseWithPrimal, ReverseSplitWithPrimal):
        check_grads(f, *args, ret=ret, mode=mode, seed=seed)
    check_forward_dot(f, _kinds(args), _values(args), ret, rng)


@pytest.mark.parametrize("tape", ["torch", "jax"])
@pytest.mark.parametrize("name", [_param(n) for n in sorted(CASES) if CASES[n][2] is not None and n not in REFUSED])
def test_differentiate_on_tapes(name, tape, rng):
    """``differentiate(f, out=...)`` under PyTorch and JAX (jit) against reverse mode."""
    require(tape)
    f, make, out = CASES[name]
    check_everywhere(f, *make(rng), out=out, tapes=(tape,), seed=int(rng.integers(1 << 30)), forward=False,
                     batch=False, emitted=False)


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

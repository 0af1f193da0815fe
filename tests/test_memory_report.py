"""memory_report measures the tape the reverse sweep keeps: per push site,
grouped by outermost loop, with the cost of binomial checkpointing."""
from __future__ import annotations

import math
import sys

import numpy as np

from adcompiler import Active, Const, Duplicated, memory_report


def stencil(u, nu, steps):
    for t in range(steps):
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
    return float(np.sum(u ** 2))


def test_stencil_tape_is_measured_per_step():
    n, steps = 200, 30
    u = np.linspace(0.0, 1.0, n)
    u0 = u.copy()
    r = memory_report(stencil, Active, Duplicated(u, np.zeros(n)), Active(0.01), Const(steps))
    np.testing.assert_array_equal(u, u0)                       # measured on copies
    (loop,) = r.loops
    assert loop.steps == steps and loop.origin[1] == stencil.__code__.co_firstlineno + 1
    # three temporaries are kept per step: the value of the previous step (None before the first)
    assert len(loop.sites) == 3
    for site in loop.sites:
        assert site.count == steps
        assert site.nbytes == (steps - 1) * (n - 2) * 8 + sys.getsizeof(None)
        assert site.example == f"array({n - 2},) float64"
    assert r.state == n * 8                                    # one snapshot: the array the function writes
    text = str(r)
    assert "30 steps" in text and "checkpointing with 4 snapshot(s)" in text


def test_checkpointing_cost_is_the_binomial_bound():
    r = memory_report(stencil, Active, Duplicated(np.ones(50), np.zeros(50)), Active(0.01), Const(100))
    loop = r.loops[0]
    for c in (1, 2, 4, 10):
        nbytes, reps = r.checkpointing(loop, c)
        assert math.comb(c + reps, c) >= 100
        assert reps == 0 or math.comb(c + reps - 1, c) < 100
        assert nbytes == c * r.state + math.ceil(loop.bytes_per_step)

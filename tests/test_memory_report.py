"""memory_report measures the tape the reverse sweep keeps: per push site,
grouped by outermost loop, with the cost of binomial checkpointing."""
from __future__ import annotations

import math

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
    # one copy of the region each step overwrites (the reverse sweep puts it back and
    # recomputes the step's temporaries from it)
    (site,) = loop.sites
    assert site.count == steps
    assert site.nbytes == steps * (n - 2) * 8
    assert site.example == f"array({n - 2},) float64"
    assert site.expression == "_ad_copy(u[1:-1])"
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


def test_checkpointed_tape_holds_the_snapshots_once():
    n, steps = 200, 60
    args = (Active, Duplicated(np.linspace(0.0, 1.0, n), np.zeros(n)), Active(0.01), Const(steps))
    plain = memory_report(stencil, *args)
    ckp = memory_report(stencil, *args, checkpoint=5)
    assert not ckp.loops                                       # nothing is pushed per step
    (snap,) = [s for s in ckp.outside if "snapshots" in s.example]
    assert snap.count == 1
    # at most 5 snapshots and the one where the taping starts, of the 1.6 KB state (plus the schedule)
    assert 5 * ckp.state <= snap.nbytes
    assert snap.nbytes < plain.total / 2
    assert "checkpoint=5" in str(ckp)


def test_autodiff_explain_writes_the_report(capsys):
    from adcompiler import Reverse, autodiff
    n = 40
    u, du = np.linspace(0.0, 1.0, n), np.zeros(n)
    want = np.zeros(n)
    autodiff(Reverse, stencil, Active, Duplicated(np.linspace(0.0, 1.0, n), want), Active(0.01), Const(7))
    autodiff(Reverse, stencil, Active, Duplicated(u, du), Active(0.01), Const(7), explain=True)
    err = capsys.readouterr().err
    assert "tape of stencil" in err and "7 steps" in err
    np.testing.assert_allclose(du, want, rtol=1e-13)          # the gradient itself is unchanged


def test_emit_explain_lists_what_each_step_keeps(tmp_path):
    import inspect

    from adcompiler.cli import main
    src = tmp_path / "k.py"
    src.write_text("import numpy as np\n\n\n" + inspect.getsource(stencil))
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["emit", f"{src}:stencil", "--active", "nu", "--explain"]) == 0
    text = out.getvalue()
    assert "loop at k.py:5 (for t in range(steps):), per step:" in text
    assert "k.py:6  _ad_copy(u[1:-1])" in text                 # the region the step overwrites
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["emit", f"{src}:stencil", "--active", "nu", "--explain", "--checkpoint", "8"]) == 0
    text = out.getvalue()
    assert "per step" not in text and "snapshots and schedule of the checkpointed loop" in text


def heat_loops(u, w, nu, steps):
    n = u.shape[0]
    for _ in range(steps):
        for i in range(1, n - 1):
            w[i] = u[i] + nu * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = w[i] * u[i]


def test_steps_of_a_loop_whose_pushes_are_in_inner_loops():
    """The outer loop's steps are its iterations (they were the pushes made
    directly in it, none here: 1 step holding the whole tape), so checkpointing
    is offered."""
    n, steps = 8, 50
    r = memory_report(heat_loops, Const, Duplicated(np.linspace(0, 1, n), np.zeros(n)),
                      Duplicated(np.zeros(n), np.zeros(n)), Active(0.2), Const(steps))
    (loop,) = r.loops
    assert loop.steps == steps
    assert loop.bytes_per_step == loop.nbytes / steps
    assert "checkpointing with" in str(r)


def cubes(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 3
    return s


def test_explain_names_the_backend_that_ran(capsys):
    from adcompiler import Reverse, autodiff
    for backend in ("numba", "auto"):
        dx = np.zeros(4)
        autodiff(Reverse, cubes, Active, Duplicated(np.ones(4), dx), backend=backend, explain=True)
        np.testing.assert_allclose(dx, 3.0)
        err = capsys.readouterr().err
        assert f"backend: cubes (reverse, backend='{backend}'): numba" in err
        assert "the numba backend keeps its own typed tape" in err


def _softmin3(a, b, c, g):
    m = min(a, b, c)
    return m - g * np.log(np.exp(-(a - m) / g) + np.exp(-(b - m) / g) + np.exp(-(c - m) / g))


def soft_dtw(x, y, R, g):
    for i in range(1, x.shape[0] + 1):
        for j in range(1, y.shape[0] + 1):
            R[i, j] = (x[i - 1] - y[j - 1]) ** 2 + _softmin3(R[i - 1, j], R[i, j - 1], R[i - 1, j - 1], g)
    return R[x.shape[0], y.shape[0]]


def test_a_helpers_pushes_count_in_the_loop_that_calls_it():
    """What a helper called in a loop pushes is that loop's, per step, at the call's line
    (it was listed outside loops, and left out of the bytes per step)."""
    x, y = np.linspace(0, 1, 4), np.linspace(0, 1, 5) ** 2
    R = np.full((5, 6), np.inf)
    R[0, 0] = 0.0
    r = memory_report(soft_dtw, Active, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(5)),
                      Duplicated(R, np.zeros_like(R)), Active(0.5))
    (loop,) = r.loops
    call = [s for s in loop.sites if "_softmin3" in s.expression]
    assert len(call) == 1 and call[0].count >= 20 and call[0].origin[2].lstrip().startswith("R[i, j] =")
    assert not any(s.origin is not None and s.origin[2].lstrip().startswith("m = min") for s in r.outside)
    assert loop.bytes_per_step * loop.steps >= sum(s.nbytes for s in loop.sites) > call[0].nbytes

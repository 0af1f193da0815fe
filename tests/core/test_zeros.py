"""transform/zeros: ``d = d + e`` where ``d`` is 0.0 on every path into it
becomes ``d = e``. The dataflow on hand-made code (branches, loops, jumps,
aliasing of array adjoints), then kernels whose adjoints are zero on some
paths and not others, through every entry point against finite differences."""
from __future__ import annotations

import ast

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Const, Duplicated
from adcompiler.transform.zeros import assign_first_terms


def _run(src: str, numbers=("da", "db")) -> str:
    code = ast.parse(src).body
    assign_first_terms(code, {"da", "db", "dv"}, set(numbers))
    return ast.unparse(ast.Module(body=code, type_ignores=[]))


def test_straight_line_and_reset():
    out = _run("da = 0.0\nda = da + x * 2\nda = da + y * 2\nda = 0.0\nda = da + z * 2")
    assert out.splitlines() == ["da = 0.0", "da = x * 2", "da = da + y * 2", "da = 0.0", "da = z * 2"]


def test_a_branch_that_leaves_it_nonzero_keeps_the_addition():
    out = _run("da = 0.0\nif c:\n    da = da + x * 2\nda = da + y * 2")
    assert out.splitlines()[-1] == "da = da + y * 2" and "    da = x * 2" in out.splitlines()
    out = _run("da = 0.0\nif c:\n    da = da + x * 2\n    da = 0.0\nelse:\n    pass\nda = da + y * 2")
    assert out.splitlines()[-1] == "da = y * 2"


def test_loops_to_a_fixed_point():
    # reset at the end of each iteration: zero at the head of every iteration
    out = _run("da = 0.0\nfor i in r:\n    da = da + x[i]\n    dx[i] = da\n    da = 0.0\nda = da + 1.0")
    assert "    da = x[i]" in out and out.splitlines()[-1] == "da = 1.0"
    # carried from one iteration to the next: not zero at the head
    out = _run("da = 0.0\nfor i in r:\n    da = da + x[i]\nda = da + 1.0")
    assert "    da = da + x[i]" in out and out.splitlines()[-1] == "da = da + 1.0"
    out = _run("da = 0.0\nwhile c:\n    db = db + da\n    da = da + x * 2\n    da = 0.0")
    assert "    da = x * 2" in out


def test_a_jump_leaves_what_the_loop_binds_unknown():
    src = "da = 0.0\nfor i in r:\n    da = da + x[i]\n    if c:\n        break\n    da = 0.0\nda = da + 1.0"
    out = _run(src)
    assert "    da = da + x[i]" in out and out.splitlines()[-1] == "da = da + 1.0"


def test_an_array_adjoint_is_assigned_only_new_memory():
    out = _run("dv = 0.0\ndv = dv + g\ndv = 0.0\ndv = dv + g[1:]\ndv = 0.0\ndv = dv + f(g)\ndv = 0.0\ndv = dv + g * 2",
               numbers=())
    assert out.splitlines() == ["dv = 0.0", "dv = dv + g", "dv = 0.0", "dv = dv + g[1:]", "dv = 0.0",
                                "dv = dv + f(g)", "dv = 0.0", "dv = g * 2"]
    # a number's adjoint may be assigned an element, not a 0-d view or what a call returns (its argument)
    assert _run("da = 0.0\nda = da + g[i]").splitlines()[-1] == "da = g[i]"
    assert _run("da = 0.0\nda = da + g[i, j - 1]").splitlines()[-1] == "da = g[i, j - 1]"
    assert _run("da = 0.0\nda = da + g[i, ...]").splitlines()[-1] == "da = da + g[i, ...]"
    assert _run("da = 0.0\nda = da + _ad_unbroadcast(g[...], ())").splitlines()[-1] == \
        "da = da + _ad_unbroadcast(g[...], ())"
    assert _run("da = 0.0\nda = da + h").splitlines()[-1] == "da = da + h"


def test_a_term_that_reads_the_adjoint_is_left():
    assert _run("da = 0.0\nda = da + da * 2").splitlines()[-1] == "da = da + da * 2"


def branchy(x, y, flags):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        t = x[i] * x[i]
        if flags[i] > 0:
            s = s + t * 2.0
            y[i] = s
        else:
            y[i] = t + s
        if flags[i] > 1:
            break
    return s * 3.0 + np.sum(y)


def carried(x, y):
    acc = 0.0
    for i in range(x.shape[0]):
        acc = acc * 0.5 + x[i]
        w = np.sqrt(acc * acc + 1.0)
        y[i] = w * acc
    return acc


@pytest.mark.parametrize("flags", [np.array([1, 0, 1, 0, 1]), np.array([0, 1, 2, 1, 0]), np.array([1, 1, 1, 1, 1])])
def test_kernels_with_adjoints_zero_on_some_paths(rng, flags):
    x = rng.uniform(0.5, 1.5, 5)
    check_everywhere(branchy, Duplicated(x, np.zeros(5)), Duplicated(np.zeros(5), rng.uniform(-1, 1, 5)),
                     Const(flags), ret=Active)
    check_everywhere(carried, Duplicated(x.copy(), np.zeros(5)), Duplicated(np.zeros(5), rng.uniform(-1, 1, 5)),
                     ret=Active)


def stores_a_number_through_a_view(y, x, n):
    for i in range(n):
        s = x[i] * 2.0
        y[i, ...] = s    # (the adjoint of s read from dy[i, ...], a 0-d view, then zeroed)
    return float(np.sum(y * y))


def stores_into_a_0d_array(a, x):
    s = x[0] * 2.0
    a[...] = s
    return float(a) * 3.0


def test_a_number_read_from_a_0d_view_of_a_shadow(rng):
    """The adjoint of `s` read as `_ad_unbroadcast(dy[i, ...], ())`, which returns the 0-d view
    itself, was assigned (not added to 0.0, which copied it); the store's reset `dy[i, ...] = 0.0`
    then zeroed it: the gradient was 0."""
    x = rng.uniform(0.5, 1.5, 3)
    check_everywhere(stores_a_number_through_a_view, Duplicated(np.zeros(3), np.zeros(3)),
                     Duplicated(x, np.zeros(3)), Const(3), ret=Active)
    check_everywhere(stores_into_a_0d_array, Duplicated(np.array(0.7), np.zeros(())),
                     Duplicated(x[:2].copy(), np.zeros(2)), ret=Active, batch=False)

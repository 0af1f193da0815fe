"""Programs just outside the supported subset must be refused cleanly.

Each case must raise an ``AdCompilerError`` subclass (from ``autodiff``, or
from ``autodiff_thunk`` / its forward function in split mode) and must leave
every argument and every shadow exactly as it was. Source-level refusals must
also point at a line of the user's file.
"""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as adc
from adcompiler.errors import AdCompilerError
from adcompiler.testing.programs.loader import load_source

HEAD = "import math\n\nimport numpy as np\n\nCOUNTER = 0\n\n\n"

SYNTAX_CASES = {
    # (an exactly rounded sum: differentiated as an ordinary sum, its value was the ordinary sum's, 0.0
    # for math.fsum([1e16, 1.0, -1e16]), on every backend)
    "fsum": """
def kernel(x, y):
    x[0] = math.fsum([y[0], y[1], y[2]])
""",
    "try": """
def kernel(x, y):
    try:
        x[:] = y * 2.0
    except ValueError:
        pass
""",
    "with": """
def kernel(x, y):
    with np.errstate(all="raise"):
        x[:] = y * 2.0
""",
    "lambda": """
def kernel(x, y):
    x[:] = (lambda v: v * 2.0)(y)
""",
    # (np.array([v * 2.0 for v in y], dtype=float) is supported: test_comprehension_arrays.py)
    "list-comprehension-aliased": """
def kernel(x, y):
    L = [v * 2.0 for v in y]
    M = L
    x[:] = np.array(M)
""",
    "nested-def-called-out-of-its-branch": """
def kernel(x, y):
    if x.shape[0] > 0:
        def inner(v):
            return v * 2.0
    x[:] = inner(y)
""",
    "nested-def-as-value": """
def kernel(x, y):
    def inner(v):
        return v * 2.0
    g = inner
    x[:] = g(y)
""",
    "global-write": """
def kernel(x, y):
    global COUNTER
    COUNTER = COUNTER + 1
    x[:] = y * 2.0
""",
    "yield": """
def kernel(x, y):
    x[:] = y * 2.0
    yield 1.0
""",
    "try-in-helper": """
def helper(out, inp):
    try:
        out[:] = inp * 2.0
    except ValueError:
        pass


def kernel(x, y):
    helper(x, y)
""",
    "np.fft.hfft": """
def kernel(x, y):
    x[:] = np.fft.hfft(y)[:3]
""",
    "walrus": """
def kernel(x, y):
    if (t := y[0] * 2.0) > 0:
        x[0] = t
""",
    "del": """
def kernel(x, y):
    t = y * 2.0
    del t
    x[:] = t
""",
    "import-in-body": """
def kernel(x, y):
    import math
    x[0] = math.sin(y[0])
""",
    "class-def": """
def kernel(x, y):
    class Box:
        pass
    x[:] = y * 2.0
""",
    "star-args": """
def kernel(x, *ys):
    x[:] = ys[0] * 2.0
""",
    "np.random": """
def kernel(x, y):
    x[:] = y * np.random.rand(3)
""",
    "np.linalg.eig": """
def kernel(x, y):
    m = np.outer(y, y) + np.eye(3)
    x[:] = np.linalg.eig(m)[0].real
""",
}


def _kernel(name: str):
    return load_source(HEAD + SYNTAX_CASES[name].lstrip("\n"), f"near_{name.replace('.', '_')}").kernel


def _arrays():
    rng = np.random.default_rng(0)
    return [rng.uniform(0.3, 1.0, 3) for _ in range(4)]


def _attempt(mode: str, f, ret, ann):
    if mode == "split":
        fwd, rev = adc.autodiff_thunk(adc.ReverseSplitWithPrimal, f, ret, *[type(a) for a in ann])
        tape, _ = fwd(*ann)
        rev(*ann, 1.0, tape)
    else:
        adc.autodiff(adc.Reverse, f, ret, *ann)


def _refused_unchanged(mode: str, f, ret, ann, watched):
    before = [w.copy() for w in watched]
    with pytest.raises(AdCompilerError) as info:
        _attempt(mode, f, ret, ann)
    for w, b in zip(watched, before):
        np.testing.assert_array_equal(w, b)
    return info.value


CORE_XFAIL: dict[str, str] = {}
"""Near misses adcompiler does not yet refuse cleanly: name -> reason (xfail, strict)."""


def _cases() -> list:
    out = []
    for name in sorted(SYNTAX_CASES):
        marks = [pytest.mark.xfail(strict=True, reason=CORE_XFAIL[name])] if name in CORE_XFAIL else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.mark.parametrize("mode", ["reverse", "split"])
@pytest.mark.parametrize("name", _cases())
def test_unsupported_is_refused_without_side_effects(name, mode):
    x, dx, y, dy = _arrays()
    f = _kernel(name)
    ann = [adc.Duplicated(x, dx), adc.Duplicated(y, dy)]
    ret = adc.Active if name == "yield" else adc.Const
    err = _refused_unchanged(mode, f, ret, ann, [x, dx, y, dy])
    assert err.lineno is not None, f"no source line in: {err}"


ALIAS_SRC = HEAD + "def kernel(x, y):\n    x[:] = y * 2.0\n"


@pytest.mark.parametrize("mode", ["reverse", "split"])
def test_same_array_as_two_duplicated_arguments_is_refused(mode):
    f = load_source(ALIAS_SRC, "alias_same").kernel
    a, da, db, _ = _arrays()
    _refused_unchanged(mode, f, adc.Const, [adc.Duplicated(a, da), adc.Duplicated(a, db)], [a, da, db])


@pytest.mark.parametrize("mode", ["reverse", "split"])
def test_overlapping_views_with_separate_shadows_are_refused(mode):
    f = load_source(ALIAS_SRC, "alias_views").kernel
    base = np.linspace(0.3, 1.0, 5)
    d1, d2 = np.full(4, 0.5), np.full(4, -0.25)
    ann = [adc.Duplicated(base[1:], d1), adc.Duplicated(base[:-1], d2)]
    _refused_unchanged(mode, f, adc.Const, ann, [base, d1, d2])


def test_active_given_an_array_is_refused():
    f = load_source(HEAD + "def kernel(x, c):\n    x[:] = x * c\n", "active_array").kernel
    x, dx, c, _ = _arrays()
    before = [x.copy(), dx.copy(), c.copy()]
    with pytest.raises(AdCompilerError) as info:
        adc.autodiff(adc.Reverse, f, adc.Const, adc.Duplicated(x, dx), adc.Active(c))
    assert "Duplicated" in str(info.value)
    for w, b in zip([x, dx, c], before):
        np.testing.assert_array_equal(w, b)

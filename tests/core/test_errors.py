"""Bad input gets a clear AdCompilerError naming file, line and construct, and
nothing is modified when a call is refused."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.errors import (
    ActivityError,
    AliasingError,
    NoRuleError,
    ShapeError,
    SourceError,
    UnsupportedSyntaxError,
)

from . import kernels_bad as K

REFUSED = [
    (K.uses_try, "try/except", 8),
    (K.uses_with, "with", 15),
    (K.uses_yield, "generator", None),
    (K.uses_lambda, "lambda", 24),
    (K.uses_comprehension, "holds values that carry derivatives", 29),
    (K.writes_global, "global", 33),
    (K.writes_global_array, "writing into `G`", 38),
    (K.nested_def, "called outside the block that defines it", 44),
    (K.class_body, "class definition", 48),
]


def _args():
    s, a = np.zeros(3), np.arange(3.0)
    ds, da = np.ones(3), np.full(3, 2.0)
    return s, a, ds, da


@pytest.mark.parametrize("f,words,line", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_unsupported_syntax_is_refused_untouched(f, words, line):
    s, a, ds, da = _args()
    copies = [x.copy() for x in (s, a, ds, da)]
    with pytest.raises(UnsupportedSyntaxError) as exc:
        ad.autodiff(ad.Reverse, f, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, da))
    msg = str(exc.value)
    assert words in msg
    assert "kernels_bad.py" in msg
    if line is not None:
        assert f"kernels_bad.py:{line}" in msg
    assert "Hint:" in msg
    for x, c in zip((s, a, ds, da), copies):
        np.testing.assert_array_equal(x, c)


def test_missing_rule_names_function_line_and_remedy():
    s, a, ds, da = _args()
    with pytest.raises(NoRuleError) as exc:
        ad.autodiff(ad.Reverse, K.no_rule, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, da))
    msg = str(exc.value)
    assert "fft" in msg and "kernels_bad.py:54" in msg and "adcompiler.extend.defrule" in msg


def test_active_array_suggests_duplicated_or_const():
    with pytest.raises(ActivityError, match="Duplicated") as exc:
        ad.Active(np.zeros(3))
    assert "Const" in str(exc.value)


@pytest.mark.parametrize("shadow", [np.zeros(4), np.zeros(3, dtype=np.float32), [0.0, 0.0, 0.0]])
def test_shadow_shape_or_dtype_mismatch(shadow):
    s, a, ds, _ = _args()
    with pytest.raises(ShapeError, match="shadow of `a`"):
        ad.autodiff(K.seed, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, shadow), ad.Const(a.copy()))
    np.testing.assert_array_equal(s, np.zeros(3))


def test_integer_array_cannot_be_duplicated():
    s, _, ds, _ = _args()
    a = np.arange(3)
    with pytest.raises(ActivityError, match="Const"):
        ad.autodiff(K.seed, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, np.zeros(3, dtype=int)), ad.Const(a))


def test_written_argument_sharing_memory_is_refused():
    x = np.arange(4.0)
    dx, dy = np.zeros(4), np.zeros(4)
    b = np.ones(4)
    with pytest.raises(AliasingError, match="share memory"):
        ad.autodiff(K.seed, ad.Const, ad.Duplicated(x, dx), ad.Duplicated(x, dy), ad.Const(b))
    np.testing.assert_array_equal(x, np.arange(4.0))


def test_view_aliasing_a_written_argument_is_refused():
    x = np.arange(6.0)
    with pytest.raises(AliasingError):
        ad.autodiff(K.seed, ad.Const, ad.Duplicated(x[:4], np.zeros(4)), ad.Const(x[2:]), ad.Const(np.ones(4)))


@pytest.mark.parametrize("f", [len, np.sin, eval("lambda s: None")])   # (a lambda in a file has its source)
def test_function_without_source(f):
    with pytest.raises(SourceError):
        ad.autodiff(f, ad.Const, ad.Duplicated(np.zeros(2), np.zeros(2)))


def test_function_defined_by_exec_has_no_source():
    ns = {}
    exec("def g(s):\n    s[:] = 1.0\n", ns)  # noqa: S102
    with pytest.raises(SourceError, match="cannot be retrieved"):
        ad.autodiff(ns["g"], ad.Const, ad.Duplicated(np.zeros(2), np.zeros(2)))


def test_traceback_shows_generated_line():
    import traceback
    s, a = np.zeros(3), np.zeros(4)
    try:
        ad.autodiff(K.shape_error, ad.Const, ad.Duplicated(s, np.zeros(3)), ad.Duplicated(a, np.zeros(4)))
    except ValueError:
        text = traceback.format_exc()
    else:
        pytest.fail("the shape error was not raised")
    assert "<adcompiler shape_error" in text
    # the generated store, shown under its frame (a single-use value is stored as an expression)
    frame = text[text.index("<adcompiler shape_error"):]
    assert frame.splitlines()[1].strip() == "s[:] = a * 2.0"

"""Properties of the generated code: determinism, saves, caching, comments."""
from __future__ import annotations

import re

import numpy as np

import adcompiler as ad
from adcompiler.codegen import cache

from . import kernels_bad as K


def _dup(n=4):
    return ad.Duplicated(np.zeros(n), np.zeros(n))


def test_byte_identical_output():
    a = ad.adjoint_source(K.recurrence, _dup(), _dup(), _dup())
    cache.clear()
    b = ad.adjoint_source(K.recurrence, _dup(), _dup(), _dup())
    assert a == b
    assert ad.adjoint_source(K.seed, ad.Duplicated, ad.Duplicated, ad.Duplicated) == \
        ad.adjoint_source(K.seed, ad.Duplicated, ad.Duplicated, ad.Duplicated)


def _combined(src, name):
    start = src.index(f"def {name}_reverse(")
    end = src.index("\ndef ", start + 1)
    return src[start:end]


def test_no_overwrite_saves_nothing():
    src = _combined(ad.adjoint_source(K.seed, _dup(), _dup(), _dup()), "seed")
    assert "_tape.append" not in src and "_tape.pop" not in src


def test_overwritten_values_are_saved():
    src = _combined(ad.adjoint_source(K.product, _dup(1), _dup()), "product")
    # t is rebound every iteration: saved, on the typed float stack (8 bytes a value)
    assert re.search(r"_tape_f_append\d*\(t\)", src) and re.search(r"t = _tape_f_pop\d*\(\)", src)
    src = _combined(ad.adjoint_source(K.backward_read, _dup(), _dup()), "backward_read")
    assert re.search(r"_tape_f_append\d*\(_t1\)", src)      # s[i + 1] is overwritten by the next iteration


def test_recurrence_rereads_final_values_instead_of_saving():
    src = _combined(ad.adjoint_source(K.recurrence, _dup(), _dup(), _dup()), "recurrence")
    assert "_tape" not in src.replace("_tape = _ad_tape()", "")
    assert "_t1 = s[i - 1]" in src                    # read in the forward sweep
    assert "s_list[i - 1]" in src                     # and again, from a list, in the reverse sweep
    assert "s_list = _ad_as_list(s)" in src


def test_long_arrays_stay_arrays_in_element_loops(monkeypatch):
    """A reversed element loop indexes a list copy of a short array and the
    array itself past ``LIST_LIMIT`` elements (a list costs four times the
    memory): the same gradient either way."""
    from adcompiler.runtime import core
    from adcompiler.testing import check_grads
    rng = np.random.default_rng(1)
    args = [ad.Duplicated(rng.uniform(0.5, 1.5, 6), np.zeros(6)) for _ in range(3)]
    want = [a.dval.copy() for a in args]
    ad.autodiff(ad.Reverse, K.recurrence, ad.Const, *[ad.Duplicated(a.val.copy(), d) for a, d in zip(args, want)])
    monkeypatch.setattr(core, "LIST_LIMIT", 3)
    got = [a.dval.copy() for a in args]
    ad.autodiff(ad.Reverse, K.recurrence, ad.Const, *[ad.Duplicated(a.val.copy(), d) for a, d in zip(args, got)])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    check_grads(K.recurrence, *args)


def test_saved_and_reread_kernels_are_correct():
    from adcompiler.testing import check_grads
    rng = np.random.default_rng(0)
    for f, n in ((K.product, (1, 4)), (K.backward_read, (5, 5)), (K.recurrence, (5, 5, 5))):
        args = [ad.Duplicated(rng.uniform(0.5, 1.5, k), np.zeros(k)) for k in n]
        check_grads(f, *args)


def test_comments_name_primal_lines():
    src = ad.adjoint_source(K.recurrence, _dup(), _dup(), _dup())
    assert "# kernels_bad.py:68: s[i] = s[i - 1] * a[i] + b[i]" in src
    assert "# kernels_bad.py:67: for i in range(1, len(s)):" in src


def test_second_call_does_not_transform_again():
    cache.clear()
    before = cache.stats["transforms"]
    for _ in range(3):
        ad.autodiff(K.seed, ad.Const, _dup(), _dup(), _dup())
    assert cache.stats["transforms"] == before + 1
    ad.autodiff(K.seed, ad.Const, _dup(5), _dup(5), _dup(5))      # same ranks: same code
    assert cache.stats["transforms"] == before + 1
    ad.autodiff(K.seed, ad.Const, ad.Duplicated(np.zeros((2, 2)), np.zeros((2, 2))),
                ad.Duplicated(np.zeros((2, 2)), np.zeros((2, 2))), ad.Duplicated(np.zeros((2, 2)), np.zeros((2, 2))))
    assert cache.stats["transforms"] == before + 2


def test_untouched_duplicated_keeps_its_shadow_exactly():
    s, a, b = np.zeros(3), np.arange(3.0), np.ones(3)
    extra = np.array([1.5, -2.0, 3.25])
    ds = np.array([0.5, 0.25, 1.0])

    d = ad.autodiff(K.seed, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, np.zeros(3)), ad.Const(b))
    assert d == (None, None, None)
    np.testing.assert_array_equal(extra, [1.5, -2.0, 3.25])


def _scaled_power(s, a, scale=2.0, power=2):
    s[:] = scale * a ** power


def test_adjoint_source_of_classes_fills_the_defaults_left_out():
    """As every entry point does: the defaults left out are Const values (their kinds
    from the defaults), and the module's gradient is the finite differences'."""
    src = ad.adjoint_source(_scaled_power, ad.Duplicated, ad.Duplicated)
    assert "def _scaled_power_reverse(s, ds, a, da, scale, power" in src
    with_values = ad.adjoint_source(_scaled_power, ad.Duplicated(np.zeros(3), np.zeros(3)),
                                    ad.Duplicated(np.ones(3), np.zeros(3)), ad.Const(2.0), ad.Const(2))
    assert "def _scaled_power_reverse(s, ds, a, da, scale, power" in with_values
    a0 = np.array([0.5, 1.0, 1.5])
    s, ds, a, da = np.zeros(3), np.ones(3), a0.copy(), np.zeros(3)
    ad.autodiff(ad.Reverse, _scaled_power, ad.Const, ad.Duplicated(s, ds), ad.Duplicated(a, da))
    assert np.allclose(da, 4.0 * a0)   # d/da of 2 a^2

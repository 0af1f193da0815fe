"""Helpers returning several numbers or arrays (``return m, s``; ``a, b = step(a, b, x[i])``; a
Lorenz right-hand side of three; ``return du, dv`` of new arrays; ``return w / n, n``) under numba:
a tuple of floats, ints, bools and float arrays has an adjoint that is a tuple of floats and arrays,
and goes to the typed tape element by element (``numba_tuples``); an element the caller ignores
(``_, s = f(w)``), a tuple returned early from a loop (forward mode), ``r[-1]``, an element written
after the call. They were
refused ("adds to the adjoint of a tuple"; "restores a value whose type is not known"). Checked
in each mode against finite differences and the numpy backend, split halves as the tapes drive
them (fresh shadows), forward mode, on the tapes, and in the emitted numba module; a tuple of
tuples is still refused at its line, and right under auto."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tuple_kernels as K
from numba_engine import Numba, against_numpy
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

RNG = np.random.default_rng(12)


def _dup(*shape, lo=0.5, hi=1.5):
    x = RNG.uniform(lo, hi, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (K.variance, lambda: (_dup(6),)),
    (K.first_only, lambda: (_dup(5),)),
    (K.recurrence, lambda: (_dup(6, lo=0.2, hi=0.6),)),
    (K.kept_whole, lambda: (_dup(5),)),
    (K.value_and_index, lambda: (_dup(6),)),
    (K.passed_on, lambda: (_dup(5),)),
    (K.two_branches, lambda: (_dup(5), Const(1.0))),
    (K.whole_in_a_loop, lambda: (_dup(6),)),
    (K.lorenz_rk2, lambda: (_dup(3, lo=1.0, hi=2.0), Duplicated(np.array([10.0, 28.0, 8.0 / 3.0]), np.zeros(3)),
                            _dup(40))),
    (K.swapped, lambda: (_dup(6),)),
    (K.pendulums, lambda: (_dup(5), _dup(5), _dup(1))),
    (K.unit_and_norm, lambda: (_dup(5), _dup(5))),
    (K.kept_tuple_of_arrays, lambda: (_dup(5), _dup(5), _dup(1))),
    (K.only_the_first_array, lambda: (_dup(5), _dup(5), _dup(1))),
    (K.heun, lambda: (_dup(5), _dup(5), _dup(1))),
    (K.unused_array, lambda: (_dup(3),)),
    (K.early_tuple, lambda: (Duplicated(np.array([0.5, 1.5, 0.7]), np.zeros(3)),)),
    (K.early_tuple, lambda: (Duplicated(np.array([0.5, 0.6, 0.7]), np.zeros(3)),)),
    (K.negative_index, lambda: (_dup(3),)),
    (K.written_after, lambda: (_dup(3),)),
]
IDS = ["variance", "first_only", "recurrence", "kept_whole", "value_and_index", "passed_on", "two_branches",
       "whole_in_a_loop", "lorenz_rk2", "swapped", "pendulums", "unit_and_norm", "kept_tuple_of_arrays",
       "only_the_first_array", "heun", "unused_array", "early_tuple", "late_tuple", "negative_index",
       "written_after"]


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_helpers_returning_tuples_of_numbers_compile_and_are_right(f, args, mode):
    check_grads(f, *args(), ret=Active, mode=mode, engine=Numba)


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
def test_the_numba_code_matches_the_numpy_code(f, args):
    """Split halves (fresh shadows), the fused function and forward mode, against the numpy backend."""
    against_numpy(f, args(), RNG)


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
@pytest.mark.parametrize("f, n", [(K.recurrence, 1), (K.only_the_first_array, 3)], ids=["numbers", "arrays"])
def test_a_tape_drives_the_compiled_halves(tape, f, n):
    xs = [RNG.uniform(0.2, 0.6, 6) for _ in range(n)]
    want = np.zeros(6)
    autodiff(Reverse, f, Active, Duplicated(xs[0].copy(), want), *[Duplicated(x.copy(), np.zeros(6)) for x in xs[1:]])
    g = differentiate(f, backend="numba")
    if tape == "autograd":
        import autograd
        got = autograd.grad(lambda x: g(x, *xs[1:]))(xs[0].copy())
    elif tape == "jax":
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        got = np.asarray(jax.grad(lambda x: g(x, *[jax.numpy.asarray(v) for v in xs[1:]]))(jax.numpy.asarray(xs[0])))
    else:
        torch = require("torch")
        t = torch.tensor(xs[0].copy(), requires_grad=True)
        g(t, *[torch.tensor(v) for v in xs[1:]]).backward()
        got = t.grad.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_emitted_numba_module_of_a_lorenz_integration(tmp_path):
    require("numba")
    (tmp_path / "tuple_kernels.py").write_text(Path(K.__file__).read_text())
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "tuple_kernels.py:lorenz_rk2",
                          "--target", "numba", "--dup", "u,p,out", "--shape", "u=3", "--shape", "p=3",
                          "--shape", "out=40", "-o", "lorenz_nb.py"], check=False, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import lorenz_nb
    finally:
        sys.path.remove(str(tmp_path))
    u, p = RNG.uniform(1.0, 2.0, 3), np.array([10.0, 28.0, 8.0 / 3.0])
    seed = RNG.standard_normal(40)
    got = [np.zeros(3), np.zeros(3), seed.copy()]
    lorenz_nb.lorenz_rk2_reverse(u.copy(), got[0], p.copy(), got[1], np.zeros(40), got[2])
    want = [np.zeros(3), np.zeros(3), seed.copy()]
    autodiff(Reverse, K.lorenz_rk2, Active, Duplicated(u.copy(), want[0]), Duplicated(p.copy(), want[1]),
             Duplicated(np.zeros(40), want[2]))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_a_tuple_of_tuples_is_refused_at_its_line_and_auto_is_right():
    with pytest.raises(BackendError, match=r"tuple_kernels.py:11[0-9]: `\(a, b\), c = _nested\(x\)`"):
        check_grads(K.nested, _dup(4), ret=Active, mode=Reverse, engine=Numba)
    x = RNG.uniform(0.5, 1.5, 4)
    got, want = np.zeros(4), np.zeros(4)
    autodiff(Reverse, K.nested, Active, Duplicated(x.copy(), got), backend="auto")
    autodiff(Reverse, K.nested, Active, Duplicated(x.copy(), want))
    np.testing.assert_allclose(got, want, rtol=1e-13)

"""Split halves recording the shadows of views of their arguments under numba (``t = y[1:]``,
``r = A[i]`` in a loop, ``A.T``, ``y.reshape(2, 3)``, a view of a view, a helper given
``y[::-1]``, a helper taking a view of its argument): the forward half records each view's
geometry on the typed tape and the reverse half takes that view of its own shadow
(``numba_views``). They were refused ("passes the shadow of a view"), in split mode and for
every helper doing so in every mode. Checked against finite differences (fused and split as
the tapes drive them), against the numpy backend's halves on contiguous and on strided arguments (every other
element of a wider array, the shadows in the same layout), on the three tapes, and in the emitted module's split halves; a view
whose argument is chosen at run time (slices of swapped buffers) is still refused. A pair recording
views and new local arrays (``w = np.zeros(n)`` beside ``t = y[1:]``) records both (the new arrays'
shapes by ``numba_shadows``, after the views)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import view_kernels as K
from numba_engine import Numba, against_numpy, split_run
from optional import require

from adcompiler import (
    Active,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    differentiate,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

RNG = np.random.default_rng(13)


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


def _strided(*shape):
    """An argument every other element of a wider array (``split_run`` puts its shadows in its layout)."""
    x = RNG.uniform(0.5, 1.5, shape[:-1] + (2 * shape[-1],))[..., ::2]
    return Duplicated(x, np.zeros(shape))


CASES = [
    (K.shifted, (6, 5)),
    (K.row_sweep, ((3, 4), 4)),
    (K.through_helpers, (8, 2)),
    (K.reversed_view, (6, 6)),
    (K.view_of_view, (9, 4)),
    (K.block, ((4, 5), 5)),
    (K.reshaped, (6, 3)),
    (K.helper_with_a_view, (6, 2)),
    (K.empty_view, (5, 3)),
    (K.with_a_new_array, (6, 5)),
    (K.helper_given_a_new_array, (6, 6)),
]
IDS = [f.__name__ for f, _ in CASES]


def _args(shapes, make=_dup):
    return [make(*(s if isinstance(s, tuple) else (s,))) for s in shapes]


@pytest.mark.parametrize("f, shapes", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_views_of_arguments_compile_and_are_right(f, shapes, mode):
    check_grads(f, *_args(shapes), ret=Active, mode=mode, engine=Numba)


@pytest.mark.parametrize("f, shapes", CASES, ids=IDS)
@pytest.mark.parametrize("make", [_dup, _strided], ids=["contiguous", "strided"])
def test_the_numba_halves_match_the_numpy_halves(f, shapes, make):
    a = _args(shapes, make)
    if f is K.reshaped and make is _strided:
        # numpy's reshape of a strided array is a copy (the writes into it are lost, as the
        # shadow's are): numba reshapes contiguous arrays only and refuses, at the line
        with pytest.raises(BackendError, match=r"view_kernels.py:\d+: `M = y.reshape"):
            split_run(f, a, Active, "numba")
        return
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    (got_vals, got), (want_vals, want) = split_run(f, a, Active, "numba"), split_run(f, a, Active, "numpy")
    for g, w in zip(got + got_vals, want + want_vals):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f, shapes", CASES, ids=IDS)
def test_every_mode_matches_the_numpy_backend(f, shapes):
    """Fused and split reverse, forward and vector mode under numba against the numpy backend."""
    against_numpy(f, _args(shapes), RNG)


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
def test_a_tape_drives_the_compiled_halves(tape):
    A, w = RNG.uniform(0.5, 1.5, (3, 4)), RNG.uniform(0.5, 1.5, 4)
    want = np.zeros((3, 4))
    autodiff(Reverse, K.row_sweep, Active, Duplicated(A.copy(), want), Duplicated(w.copy(), np.zeros(4)))
    g = differentiate(K.row_sweep, scratch="A", backend="numba")
    if tape == "autograd":
        import autograd
        got = autograd.grad(lambda M: g(M, w))(A.copy())
    elif tape == "jax":
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        got = np.asarray(jax.grad(lambda M: g(M, jax.numpy.asarray(w)))(jax.numpy.asarray(A)))
    else:
        torch = require("torch")
        t = torch.tensor(A.copy(), requires_grad=True)
        g(t, torch.tensor(w)).backward()
        got = t.grad.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_emitted_modules_split_halves(tmp_path):
    require("numba")
    (tmp_path / "view_kernels.py").write_text(Path(K.__file__).read_text())
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "view_kernels.py:block", "--target", "numba",
                          "--dup", "A,w", "--shape", "A=4,5", "--shape", "w=5", "-o", "block_nb.py"], check=False,
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import block_nb
    finally:
        sys.path.remove(str(tmp_path))
    A, w = RNG.uniform(0.5, 1.5, (4, 5)), RNG.uniform(0.5, 1.5, 5)
    seed = RNG.standard_normal((4, 5))
    A1 = A.copy()
    _, *tape = block_nb.block_fwd(A1, np.zeros((4, 5)), w, np.zeros(5), *block_nb._ad_tape_new())
    got = [seed.copy(), np.zeros(5)]
    block_nb.block_rev(A1, got[0], w, got[1], 1.0, *tape)
    want = [seed.copy(), np.zeros(5)]
    autodiff(Reverse, K.block, Active, Duplicated(A.copy(), want[0]), Duplicated(w.copy(), want[1]))
    for g, v in zip(got, want):
        np.testing.assert_allclose(g, v, rtol=1e-12)


def test_slices_of_swapped_buffers_are_refused_and_auto_is_right():
    args = lambda: [_dup(5), _dup(5), _dup(4)]
    with pytest.raises(BackendError, match=r"view_kernels.py:\d+: .*shadow of a view"):
        check_grads(K.swapped_slices, *args(), ret=Active, mode=ReverseSplitWithPrimal, engine=Numba)
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    for got, want in zip(split_run(K.swapped_slices, a, Active, "auto")[1],
                         split_run(K.swapped_slices, a, Active, "numpy")[1]):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_empty_views_of_arguments_with_odd_strides_on_length_one_axes():
    """``y[1:]`` of a 1-element ``y`` taken from a column (stride 32 where its shadow's is 8), ``X[1:]``
    of a one-row block: the empty view's offset lies past the argument, and looking its elements
    up in the shadow raised a bare ValueError (found by a search); an empty view has no element."""
    M = np.arange(1.0, 21.0).reshape(5, 4) / 10
    got, want = {}, {}
    for backend, out in (("numba", got), ("numpy", want)):
        y = M.copy()[:1, 0]
        fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, K.tail_of_one, Active, Duplicated, Duplicated,
                                  backend=backend)
        tape, _ = fwd(Duplicated(y, np.zeros(1)), Duplicated(np.array([0.7]), np.zeros(1)))
        out["dy"], out["da"] = np.zeros(1), np.zeros(1)
        rev(Duplicated(y, out["dy"]), Duplicated(np.array([0.7]), out["da"]), 1.0, tape)
        X = M.copy()[2:3, :3]
        out["dX"], out["dc"] = np.zeros((1, 3)), np.zeros(2)
        autodiff(Reverse, K.helper_rows, Active, Duplicated(X, out["dX"]), Duplicated(np.array([0.7, 1.3]), out["dc"]),
                 backend=backend)
    for k, w in want.items():
        np.testing.assert_allclose(got[k], w, rtol=1e-13)
    np.testing.assert_allclose(got["dy"], [4 * 0.1 ** 3 * 0.7 ** 2], rtol=1e-13)
    np.testing.assert_allclose(got["da"], [2 * 0.7 * 0.1 ** 4], rtol=1e-13)
    check_grads(K.helper_rows, _dup(3, 4), _dup(2), ret=Active, mode=Reverse, engine=Numba)


def test_an_optional_argument_rebound_in_a_loop_is_refused_and_auto_is_right():
    """``w=None`` rebound in a loop: the split halves' tape saves ``w``, None at first, which numba's
    code was not made for: numba's dispatcher raised a plain TypeError; it is a located refusal
    (found by a search), and auto runs the halves on numpy."""
    x = np.array([1.0, 2.0, 3.0])
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, K.optional_rebound_in_a_loop, Active, Duplicated,
                            backend="numba")
    with pytest.raises(BackendError, match=r"view_kernels.py:\d+"):
        fwd(Duplicated(x.copy(), np.zeros(3)))
    got = split_run(K.optional_rebound_in_a_loop, [Duplicated(x.copy(), np.zeros(3))], Active, "auto")[1][0]
    np.testing.assert_allclose(got, 4 * x, rtol=1e-13)

"""Complex numbers on numba's typed tape: a complex number goes on the float
buffer as its real and imaginary parts, a complex array as its elements'
(``backends/numba_loops.complex_push``, ``numba_runtime._ad_push_ac``); they
were refused ("the typed tape holds no complex numbers"). Every mode under
numba against finite differences in the real and imaginary directions, and
against the numpy backend."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from numba_engine import Numba
from optional import require

import adcompiler as ad
from adcompiler import (
    Active,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def recurrence(z, w):
    for i in range(1, z.shape[0]):
        z[i] = z[i - 1] * w[i] + z[i]


def horner(z, c):
    s = 0j
    for i in range(z.shape[0]):
        s = s * c + z[i] * z[i]
    return (s * np.conj(s)).real


def rotated_steps(z, w, steps):
    for _ in range(steps):
        for i in range(1, z.shape[0] - 1):
            z[i] = z[i] * w[i] + 0.25 * (z[i - 1] * z[i + 1])
    return np.sum((z * np.conj(z)).real)


def products(z, y):
    p = 1.0 + 0j
    for i in range(z.shape[0]):
        p = p * z[i]
        y[i] = (p * np.conj(p)).real
    return np.sum(y)


def rebound_steps(z, w):
    # (t, a complex array bound again at each step, goes on the tape as its values)
    for _ in range(3):
        t = z * w
        z[:] = np.sin(t) + 0.5 * z
    return np.sum((z * np.conj(z)).real)


def rebound_steps_2d(Z, W):
    for _ in range(3):
        T = Z * W
        Z[:, :] = np.sin(T) + 0.5 * Z
    return np.sum((Z * np.conj(Z)).real)


def split_step(psi, V, dt, steps):
    # (a complex array copied in the loop: its shadow was a float array, which numba could not unify)
    n = psi.shape[0]
    for s in range(steps):
        for i in range(n):
            psi[i] = psi[i] * np.exp(-1j * V[i] * dt)
        tmp = psi.copy()
        for i in range(1, n - 1):
            psi[i] = tmp[i] + 0.5j * dt * (tmp[i + 1] - 2 * tmp[i] + tmp[i - 1])
    return np.sum((psi * np.conj(psi)).real * V)


R = np.random.default_rng(5)


def _c(n):
    return R.standard_normal(n) + 1j * R.standard_normal(n)


CASES = [
    ("recurrence", recurrence, lambda: [Duplicated(_c(6), np.zeros(6, complex)), Duplicated(_c(6) * 0.5,
                                                                                           np.zeros(6, complex))], Const),
    ("horner", horner, lambda: [Duplicated(_c(5), np.zeros(5, complex)), Active(0.4 + 0.3j)], Active),
    ("rotated_steps", rotated_steps, lambda: [Duplicated(_c(7) * 0.5, np.zeros(7, complex)),
                                              Duplicated(_c(7) * 0.5, np.zeros(7, complex)), Const(3)], Active),
    ("rebound_steps", rebound_steps, lambda: [Duplicated(_c(4) * 0.5, np.zeros(4, complex)),
                                              Duplicated(_c(4) * 0.5, np.zeros(4, complex))], Active),
    ("rebound_steps_2d", rebound_steps_2d, lambda: [Duplicated(_c(12).reshape(3, 4) * 0.5, np.zeros((3, 4), complex)),
                                                    Duplicated(_c(12).reshape(3, 4) * 0.5, np.zeros((3, 4), complex))],
     Active),
    ("split_step", split_step, lambda: [Duplicated(_c(6) * 0.5, np.zeros(6, complex)),
                                        Duplicated(R.standard_normal(6), np.zeros(6)), Const(0.1), Const(3)], Active),
    ("products", products, lambda: [Duplicated(_c(5) * 0.8, np.zeros(5, complex)), Duplicated(np.zeros(5),
                                                                                               np.zeros(5))], Active),
]


@pytest.mark.parametrize("mode", [Reverse, ReverseWithPrimal, ReverseSplitWithPrimal], ids=str)
@pytest.mark.parametrize("name,f,make,ret", CASES, ids=[c[0] for c in CASES])
def test_complex_on_the_typed_tape(name, f, make, ret, mode):
    if name == "split_step" and mode is ReverseSplitWithPrimal:
        # (the copy's shadow, a new array, would pass between the halves: refused, documented)
        with pytest.raises(BackendError, match="shadow of a view or of a new array"):
            check_grads(f, *make(), ret=ret, mode=mode, engine=Numba)
        return
    check_grads(f, *make(), ret=ret, mode=mode, engine=Numba)


@pytest.mark.parametrize("name,f,make,ret", CASES, ids=[c[0] for c in CASES])
def test_numba_matches_numpy(name, f, make, ret):
    args = make()
    seeds = [_c(np.size(a.val)).reshape(np.shape(a.val)) if np.iscomplexobj(a.val) else R.standard_normal(
        np.shape(a.val)) if isinstance(a, Duplicated) else None for a in args]
    out = {}
    for backend in ("numpy", "numba"):
        run = [Duplicated(a.val.copy(), s.copy()) if isinstance(a, Duplicated) else a for a, s in zip(args, seeds)]
        d = ad.autodiff(Reverse, f, ret, *run, backend=backend)
        out[backend] = [a.dval if isinstance(a, Duplicated) else x for a, x in zip(run, d)]
    for a, b in zip(out["numpy"], out["numba"]):
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)
    tangents = [Duplicated(a.val.copy(), s.copy()) if isinstance(a, Duplicated) else a for a, s in zip(args, seeds)]
    fw = {b: ad.autodiff(Forward, f, ret if ret is Const else Duplicated,
                         *[Duplicated(t.val.copy(), t.dval.copy()) if isinstance(t, Duplicated) else t
                           for t in tangents], backend=b) for b in ("numpy", "numba")} if ret is Const else None
    if fw is not None:
        assert fw["numpy"] == fw["numba"]


def test_emitted_numba_module(tmp_path):
    """``emit --target numba`` of a kernel that keeps complex arrays on the typed tape: its
    fused function and its split halves (the tape threaded through) give autodiff's numbers."""
    import importlib.util
    import textwrap

    from adcompiler.cli import main
    src = tmp_path / "complex_steps.py"
    src.write_text(textwrap.dedent('''
        import numpy as np


        def steps(z, w):
            for _ in range(3):
                t = z * w
                z[:] = np.sin(t) + 0.5 * z
            return np.sum((z * np.conj(z)).real)
        '''))
    out = tmp_path / "complex_steps_ad.py"
    assert main(["emit", f"{src}:steps", "--shape", "z=4:complex128", "--shape", "w=4:complex128",
                 "--target", "numba", "-o", str(out)]) == 0
    spec = importlib.util.spec_from_file_location("complex_steps_ad", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    z, w = _c(4) * 0.5, _c(4) * 0.5
    dz, dw = np.zeros(4, complex), np.zeros(4, complex)
    ad.autodiff(Reverse, rebound_steps, Active, Duplicated(z.copy(), dz), Duplicated(w.copy(), dw))
    ez, ew = np.zeros(4, complex), np.zeros(4, complex)
    mod.steps_reverse(z.copy(), ez, w.copy(), ew)
    np.testing.assert_allclose(ez, dz, rtol=1e-12)
    np.testing.assert_allclose(ew, dw, rtol=1e-12)
    zz, ww = z.copy(), w.copy()
    _, *tape = mod.steps_fwd(zz, np.zeros(4, complex), ww, np.zeros(4, complex), *mod._ad_tape_new())
    sz, sw = np.zeros(4, complex), np.zeros(4, complex)
    mod.steps_rev(zz, sz, ww, sw, 1.0, *tape)
    np.testing.assert_allclose(sz, dz, rtol=1e-12)
    np.testing.assert_allclose(sw, dw, rtol=1e-12)

"""The rules added for real numpy code: einsum of any number of operands,
histogram, cov, corrcoef, ``ufunc.at`` and ``where=``. Each row runs through
every entry point (``everywhere.check_everywhere``: reverse, split and the
emitted module against finite differences, forward by the dot-product test,
vector mode against forward) and, where autograd has the function, against
autograd."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Const, Duplicated, gradient


def D(rng, *shape, lo=0.5, hi=1.5):
    x = rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


def _against_autograd(f_np, f_ag, args):
    """The gradient of ``f_np`` (through adcompiler) equals autograd's of ``f_ag``."""
    import autograd
    vals = [a.val for a in args]
    got = gradient(f_np, *copy.deepcopy(vals))
    for k in range(len(vals)):
        want = autograd.grad(f_ag, k)(*copy.deepcopy(vals))
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-12)


# -- einsum ---------------------------------------------------------------------------

def einsum3(x, y, z):
    return np.sum(np.einsum("ij,jk,kl->il", x, y, z) ** 2)


def einsum_bilinear(x, W, y, out):
    out[:] = np.einsum("bi,oij,bj->bo", x, W, y)


def einsum_diag(x):
    return np.sum(np.einsum("ii->i", x) ** 2)


def einsum_ellipsis(x, y):
    return np.sum(np.einsum("...ij,...j->...i", x, y, optimize=True) ** 2)


def einsum_broadcast(x, y):
    return np.sum(np.einsum("...i,...i", x, y) ** 2)


def einsum_implicit4(a, b, c, d):
    return np.sum(np.einsum("ij,jk,kl,lm", a, b, c, d) * 0.5)


def einsum_one_constant(x, w):
    return np.sum(np.einsum("i,ij,j", x, w, x))


EINSUM = {
    "three": (einsum3, lambda r: [D(r, 2, 3), D(r, 3, 4), D(r, 4, 2)], None),
    "bilinear": (einsum_bilinear, lambda r: [D(r, 3, 4), D(r, 2, 4, 5), D(r, 3, 5), D(r, 3, 2)], "out"),
    "diag": (einsum_diag, lambda r: [D(r, 3, 3)], None),
    "ellipsis": (einsum_ellipsis, lambda r: [D(r, 2, 3, 4), D(r, 2, 4)], None),
    "broadcast_ellipsis": (einsum_broadcast, lambda r: [D(r, 2, 3), D(r, 1, 3)], None),
    "implicit_four": (einsum_implicit4, lambda r: [D(r, 2, 3), D(r, 3, 2), D(r, 2, 2), D(r, 2, 3)], None),
    "same_operand_twice": (einsum_one_constant, lambda r: [D(r, 3), Const(r.standard_normal((3, 3)))], None),
}


@pytest.mark.parametrize("name", sorted(EINSUM))
def test_einsum(name, rng):
    f, make, out = EINSUM[name]
    check_everywhere(f, *make(rng), out=out, seed=int(rng.integers(1 << 30)))


def test_einsum_against_autograd(rng):
    import autograd.numpy as anp

    def f_ag(x, y, z):
        return anp.sum(anp.einsum("ij,jk,kl->il", x, y, z) ** 2)
    _against_autograd(einsum3, f_ag, [D(rng, 2, 3), D(rng, 3, 4), D(rng, 4, 2)])

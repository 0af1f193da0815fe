"""The branch of ``np.where`` not taken may overflow: the numerically stable sigmoid
``np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))`` computes ``inf / inf`` at
``z = 800`` in the branch it does not take. Its adjoint there is 0, but the terms of the branch's
operations multiplied that 0 by infinite partials: the gradient was nan (forward mode gave 0). The
terms of a name read only as a branch (or only into one) are now 0 where their adjoint is 0.
Against the exact derivative at extreme values, on every reverse entry point and the tapes, and at
every entry point against finite differences at moderate ones."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Const, Duplicated


def stable_sigmoid(p, z):
    p[:] = np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def named_branches(p, z):
    pos = 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    neg = e / (1.0 + e)
    p[:] = np.where(z >= 0, pos, neg) * 2.0


def softplus(z):
    return np.sum(np.where(z > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z))))


def bce_with_logits(z, y):
    return np.mean(np.where(z >= 0, (1 - y) * z + np.log1p(np.exp(-z)), -y * z + np.log1p(np.exp(z))))


Z = np.array([-800.0, -3.0, 0.5, 2.0, 800.0])
Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])


def _sigmoid(z):
    return np.array([1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v)) for v in z])


def _slope(z):
    s = _sigmoid(z)
    return s * (1 - s)


def _reverse_everywhere(f, args, ret, seeds, at):
    """(entry point, the shadow of argument ``at``) after Reverse under each backend and split mode
    driven with fresh shadows (``seeds``: per argument, its shadow's seed, or None: Const)."""
    def annotated(shadows):
        return [Duplicated(a.copy(), s.copy()) if s is not None else Const(a.copy()) for a, s in zip(args, shadows)]
    out = {}
    for backend in ("numpy", "numba", "auto"):
        ann = annotated(seeds)
        ad.autodiff(ad.Reverse, f, ret, *ann, backend=backend)
        out[backend] = ann[at].dval
    fwd, rev = ad.autodiff_thunk(ad.ReverseSplitWithPrimal, f, ret, *[type(a) for a in annotated(seeds)])
    zeros = annotated([None if s is None else np.zeros_like(s) for s in seeds])
    tape, _ = fwd(*zeros)
    later = [Duplicated(z.val, s.copy()) if s is not None else z for z, s in zip(zeros, seeds)]
    rev(*later, 1.0, tape)   # (the return seed: taken for a Const return too, and not read)
    out["split"] = later[at].dval
    return out


@pytest.mark.parametrize("f, scale", [(stable_sigmoid, 1.0), (named_branches, 2.0)], ids=["inline", "named"])
def test_the_stable_sigmoid_at_extreme_values(f, scale):
    for entry, dz in _reverse_everywhere(f, [np.zeros(5), Z], ad.Const, [np.ones(5), np.zeros(5)], 1).items():
        np.testing.assert_allclose(dz, scale * _slope(Z), rtol=1e-12, atol=0, err_msg=entry)


def test_softplus_and_logistic_loss_at_extreme_values():
    for entry, dz in _reverse_everywhere(softplus, [Z], ad.Active, [np.zeros(5)], 0).items():
        np.testing.assert_allclose(dz, _sigmoid(Z), rtol=1e-12, err_msg=entry)
    for entry, dz in _reverse_everywhere(bce_with_logits, [Z, Y], ad.Active, [np.zeros(5), None], 0).items():
        np.testing.assert_allclose(dz, (_sigmoid(Z) - Y) / 5, rtol=1e-12, atol=1e-17, err_msg=entry)


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
def test_the_tapes_at_extreme_values(tape):
    f = ad.differentiate(stable_sigmoid, out="p", like="z")
    if tape == "autograd":
        import autograd
        g = autograd.grad(lambda z: autograd.numpy.sum(f(z)))(Z.copy())
    elif tape == "jax":
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        g = jax.grad(lambda z: jnp.sum(f(z)))(jnp.asarray(Z))
    else:
        import torch
        t = torch.tensor(Z, requires_grad=True)
        f(t).sum().backward()
        g = t.grad
    np.testing.assert_allclose(np.asarray(g), _slope(Z), rtol=1e-12)


def _d(x):
    return Duplicated(x.copy(), np.zeros_like(x))


@pytest.mark.parametrize("f, args, out", [
    (stable_sigmoid, lambda z: (_d(np.zeros(4)), _d(z)), "p"),
    (named_branches, lambda z: (_d(np.zeros(4)), _d(z)), "p"),
    (softplus, lambda z: (_d(z),), ()),
    (bce_with_logits, lambda z: (_d(z), Const(np.array([0.0, 1.0, 1.0, 0.0]))), ()),
], ids=["sigmoid", "named", "softplus", "bce"])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(np.array([-3.0, -0.5, 0.7, 2.0])), out=out, tapes=("autograd", "jax", "torch"))


def root_where_positive(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def test_a_root_where_positive():
    """``np.sqrt`` of the elements not taken (negative: nan; zero: an infinite partial)."""
    x = np.array([-1.0, 0.0, 0.25, 4.0])
    with np.errstate(invalid="ignore"):
        for entry, dx in _reverse_everywhere(root_where_positive, [x], ad.Active, [np.zeros(4)], 0).items():
            np.testing.assert_allclose(dx, [0.0, 0.0, 1.0, 0.25], rtol=1e-14, err_msg=entry)


def clamped_overflow(z):
    y = np.exp(-z)
    y[z < -700] = 0.0   # (the elements overwritten: their overflow reads nothing)
    return np.sum(y)


def masked_log_square(x):
    r = np.log(x)
    r[x <= 0] = 0.0
    return np.sum(r * r)


def test_elements_overwritten_after_they_overflow():
    """The same for the elements of an array the code overwrites (``y[z < -700] = 0``): their
    adjoint is 0 after the store, and its terms times the infinite partial were nan."""
    z = np.array([-800.0, 1.0, 2.0])
    with np.errstate(over="ignore"):
        for entry, dz in _reverse_everywhere(clamped_overflow, [z], ad.Active, [np.zeros(3)], 0).items():
            np.testing.assert_allclose(dz, [0.0, -np.exp(-1.0), -np.exp(-2.0)], rtol=1e-14, err_msg=entry)
    x = np.array([-1.0, 0.0, 2.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        for entry, dx in _reverse_everywhere(masked_log_square, [x], ad.Active, [np.zeros(3)], 0).items():
            np.testing.assert_allclose(dx, [0.0, 0.0, np.log(2.0)], rtol=1e-14, err_msg=entry)
    check_everywhere(clamped_overflow, _d(np.array([-1.0, 0.5, 2.0])), out=(), tapes=("autograd", "jax", "torch"))
    check_everywhere(masked_log_square, _d(np.array([0.5, 1.5, 2.0])), out=(), tapes=("autograd", "jax", "torch"))


def stored_then_branch(z):
    t = np.empty_like(z)
    t[:] = np.exp(z)
    return np.sum(np.where(z < 0, t, 0.0))


def clamped_from_above(z):
    e = np.exp(z)
    return np.sum(np.where(e > 10.0, 10.0, e))


def test_branches_written_into_or_compared():
    """A branch filled through a slice (``t[:] = np.exp(z)``) and one read in the condition too (a
    clamp, ``np.where(e > 10, 10, e)``): reads into a store and into a comparison pass nothing on."""
    z = np.array([-3.0, 0.5, 800.0])
    with np.errstate(over="ignore"):
        for f, want in ((stored_then_branch, [np.exp(-3.0), 0.0, 0.0]),
                        (clamped_from_above, [np.exp(-3.0), np.exp(0.5), 0.0])):
            for entry, dz in _reverse_everywhere(f, [z], ad.Active, [np.zeros(3)], 0).items():
                np.testing.assert_allclose(dz, want, rtol=1e-14, err_msg=f"{f.__name__} {entry}")
    check_everywhere(clamped_from_above, _d(np.array([-1.0, 0.5, 2.5])), out=(), tapes=("autograd", "jax", "torch"))


def _logistic_of_negative(v):
    e = np.exp(v)
    e /= 1.0 + e
    return e


def sigmoid_through_a_helper(z):
    return np.sum(np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), _logistic_of_negative(z)))


def test_a_branch_computed_by_a_helper():
    """The helper's result is 0 where its caller's where does not read it: the terms inside the helper
    (``e /= 1 + e`` at ``e = inf``) were nan there."""
    with np.errstate(over="ignore", invalid="ignore"):
        for entry, dz in _reverse_everywhere(sigmoid_through_a_helper, [Z], ad.Active, [np.zeros(5)], 0).items():
            np.testing.assert_allclose(dz, _slope(Z), rtol=1e-12, err_msg=entry)
    check_everywhere(sigmoid_through_a_helper, _d(np.array([-3.0, -0.5, 0.7, 2.0])), out=(),
                     tapes=("autograd", "jax", "torch"))

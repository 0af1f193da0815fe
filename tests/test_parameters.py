"""Parameter values the rules do not differentiate are refused at the user's
line in every mode (they were ignored: the default's derivative, no error);
the ones handled are right against finite differences."""
from __future__ import annotations

import kernels_parameters as K
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

from adcompiler import (
    Active,
    AdCompilerError,
    Duplicated,
    Forward,
    differentiate,
    gradient,
    hvp,
)
from adcompiler.testing import check_grads

R = np.random.default_rng(7)
A3 = R.standard_normal((3, 3))
X5 = np.array([0.3, -0.7, 1.1, 0.05, -1.4])

REFUSED = [
    (K.pad_maximum, (X5,), "mode='maximum'"),
    (K.pad_mean, (X5,), "mode='mean'"),
    (K.eigh_upper, (A3,), "UPLO='U'"),
    (K.eigvalsh_upper, (A3,), "UPLO='U'"),
    (K.pinv_rcond, (A3,), "rcond=0.5"),
    (K.pinv_hermitian, (A3,), "hermitian=True"),
    (K.svd_hermitian, (A3,), "hermitian=True"),
    (K.qr_complete, (R.standard_normal((3, 2)),), "mode='complete'"),
    (K.qr_r_only, (R.standard_normal((3, 2)),), "mode='r'"),   # (it named the line that used R)
    # (retstep=True is differentiated: test_linspace_step.py; one not written out is refused)
    (K.linspace_step_of_a_name, (0.2, 1.3), "retstep=returned"),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f,args,says", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_parameter_values_refused_at_the_line(f, args, says, mode):
    with pytest.raises(AdCompilerError, match=r"kernels_parameters\.py:\d+(:\d+)?: .*" + says.replace("(", r"\(")):
        if mode == "reverse":
            gradient(f, *args)
        else:
            from adcompiler import autodiff
            ann = [Duplicated(np.array(a, dtype=float), np.ones(np.shape(a))) for a in args]
            autodiff(Forward, f, Duplicated, *ann)


def test_the_step_of_linspace_against_differences():
    check_grads(K.linspace_step, Active(0.2), Active(1.3), ret=Active)


@pytest.mark.parametrize("f,x", [(K.pad_reflect, X5), (K.repeat_with_zero_counts, np.array([1.0, 2.0, 3.0])),
                                 (K.repeat_zero_count_last, np.array([0.5, -1.0, 2.0]))],
                         ids=["pad_reflect", "repeat_zero", "repeat_zero_last"])
def test_kept_parameters_against_differences(f, x):
    check_grads(f, Duplicated(x.copy(), np.zeros_like(x)))
    v = np.linspace(-1.0, 1.0, x.size)
    h = 1e-5
    fd = (gradient(f, x + h * v)[0] - gradient(f, x - h * v)[0]) / (2 * h)
    np.testing.assert_allclose(hvp(f, (x,), (v,))[0], fd, atol=1e-6)


def test_lstsq_residuals_and_singular_values_are_differentiated():
    """The residuals' and singular values' derivative: reverse mode refused it at the line and
    forward mode gave NaN; both compute it now (through every entry point, and a tape)."""
    A, b = R.standard_normal((3, 2)), R.standard_normal(3)
    check_everywhere(K.lstsq_residuals, Duplicated(A.copy(), np.zeros_like(A)), Duplicated(b.copy(), np.zeros_like(b)),
                     out=())
    torch = require("torch")
    loss = differentiate(K.lstsq_residuals)
    At, bt = torch.tensor(A, requires_grad=True), torch.tensor(b, requires_grad=True)
    loss(At, bt).backward()
    gA, gb = gradient(K.lstsq_residuals, A, b)
    np.testing.assert_allclose(At.grad.numpy(), gA, rtol=1e-12)
    np.testing.assert_allclose(bt.grad.numpy(), gb, rtol=1e-12)
    # the closed forms: |r|^2 gives -2 r x^T and 2 r; the sum of the singular values U V^T
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    r = b - A @ x
    U, _, Vh = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(gA, -2 * np.outer(r, x) + U @ Vh, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, 2 * r, rtol=1e-10, atol=1e-12)
    check_grads(K.lstsq_solution, Duplicated(A.copy(), np.zeros_like(A)), Duplicated(b.copy(), np.zeros_like(b)))


def normalised(y, x, eps=1e-5):
    y[:] = x / np.sqrt(np.sum(x * x) + eps)


def test_a_trailing_default_through_every_entry_point():
    """A kernel called without its trailing default, through every entry point (the emitted module
    takes every argument: the default is given to it as Python fills it)."""
    x = np.array([1.0, 2.0, -3.0])
    check_everywhere(normalised, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(x, np.zeros(3)), out="y",
                     tapes=("autograd", "jax", "torch"))

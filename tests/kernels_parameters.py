"""Calls with parameter values the rules once ignored (each gave the derivative
of the default, without an error)."""
import numpy as np

C9 = np.arange(1.0, 10.0)
W3 = np.array([1.0, 2.0, 3.0])


def pad_maximum(x):
    return float(np.sum(np.pad(x, 2, mode="maximum") * C9))


def pad_mean(x):
    return float(np.sum(np.pad(x, 2, mode="mean") * C9))


def pad_reflect(x):
    return float(np.sum(np.pad(x, 2, mode="reflect") * C9))


def eigh_upper(A):
    w, _ = np.linalg.eigh(A, UPLO="U")
    return float(np.sum(w * W3))


def eigvalsh_upper(A):
    return float(np.sum(np.linalg.eigvalsh(A, UPLO="U") * W3))


def pinv_rcond(A):
    return float(np.sum(np.linalg.pinv(A, rcond=0.5) * np.arange(9.0).reshape(3, 3)))


def pinv_hermitian(A):
    return float(np.sum(np.linalg.pinv(A, hermitian=True) * np.arange(9.0).reshape(3, 3)))


def svd_hermitian(A):
    return float(np.sum(np.linalg.svd(A, compute_uv=False, hermitian=True) * W3))


def qr_complete(A):
    Q, R = np.linalg.qr(A, mode="complete")
    return float(np.sum(Q[0] * Q[1]) + np.sum(R))


def qr_r_only(A):
    R = np.linalg.qr(A, mode="r")
    return float(np.sum(R ** 3))


def linspace_step(a, b):
    y, step = np.linspace(a, b, 5, retstep=True)
    return float(np.sum(y)) + 10.0 * step


def linspace_step_of_a_name(a, b):
    returned = True
    y, step = np.linspace(a, b, 5, retstep=returned)
    return float(np.sum(y)) + 10.0 * step


def repeat_with_zero_counts(x):
    y = np.repeat(x, np.array([2, 0, 1]))
    return float(np.sum(y * W3))


def repeat_zero_count_last(x):
    y = np.repeat(x, np.array([1, 2, 0]))
    return float(np.sum(y * W3 * y))


def lstsq_residuals(A, b):
    _x, res, _rank, sv = np.linalg.lstsq(A, b, rcond=None)
    return float(res[0] + np.sum(sv))


def lstsq_solution(A, b):
    x, _res, _rank, _sv = np.linalg.lstsq(A, b, rcond=None)
    return float(np.sum(x * x))

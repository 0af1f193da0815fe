"""The kernels of this folder with their arguments: name -> (kernel, make(rng), out).

``make`` builds activity annotations at small sizes, in well-conditioned
ranges and away from points where a kernel is not differentiable; ``out``
names the arguments that ``differentiate`` returns (None: the kernel returns
a float, or nothing it writes is worth a pure wrapper)."""
from __future__ import annotations

import numpy as np

from adcompiler import Active, Const, Duplicated

from . import kernels_idioms as I
from . import kernels_nn as N
from . import kernels_physics as P
from . import kernels_polybench as B


def D(rng, *shape, lo=0.5, hi=1.5, signed=True):
    x = rng.uniform(lo, hi, shape)
    if signed:
        x *= rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


def dup(x):
    x = np.array(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


def spd(rng, n, shift=None):
    m = rng.uniform(-1.0, 1.0, (n, n))
    return m @ m.T + (n if shift is None else shift) * np.eye(n)


def dominant(rng, n):
    m = rng.uniform(-1.0, 1.0, (n, n))
    return m + 2.0 * n * np.eye(n)


def A(v):
    return Active(float(v))


POLYBENCH = {
    "gemm": (B.gemm, lambda r: [A(1.3), A(0.7), D(r, 4, 5), D(r, 4, 3), D(r, 3, 5)], "C"),
    "2mm": (B.kernel_2mm, lambda r: [A(1.3), A(0.7), D(r, 4, 5), D(r, 4, 3), D(r, 3, 5), D(r, 5, 4), D(r, 4, 4)],
            ("tmp", "D")),
    "3mm": (B.kernel_3mm, lambda r: [D(r, 4, 4), D(r, 4, 5), D(r, 5, 4), D(r, 4, 4), D(r, 4, 3), D(r, 3, 4),
                                     D(r, 4, 4)], ("E", "F", "G")),
    "atax": (B.atax, lambda r: [D(r, 5, 4), D(r, 4), D(r, 4), D(r, 5)], ("y", "tmp")),
    "bicg": (B.bicg, lambda r: [D(r, 5, 4), D(r, 4), D(r, 5), D(r, 4), D(r, 5)], ("s", "q")),
    "mvt": (B.mvt, lambda r: [D(r, 4), D(r, 4), D(r, 4), D(r, 4), D(r, 4, 4)], ("x1", "x2")),
    "gesummv": (B.gesummv, lambda r: [A(1.5), A(1.2), D(r, 4, 4), D(r, 4, 4), D(r, 4), D(r, 4), D(r, 4)],
                ("tmp", "y")),
    "gemver": (B.gemver, lambda r: [A(1.5), A(1.2), D(r, 4, 4), D(r, 4), D(r, 4), D(r, 4), D(r, 4), D(r, 4),
                                    D(r, 4), D(r, 4), D(r, 4)], ("A", "x", "w")),
    "syrk": (B.syrk, lambda r: [A(1.5), A(1.2), D(r, 4, 4), D(r, 4, 3)], "C"),
    "syr2k": (B.syr2k, lambda r: [A(1.5), A(1.2), D(r, 4, 4), D(r, 4, 3), D(r, 4, 3)], "C"),
    "trmm": (B.trmm, lambda r: [A(1.5), D(r, 4, 4), D(r, 4, 3)], "B"),
    "symm": (B.symm, lambda r: [A(1.5), A(1.2), D(r, 4, 3), D(r, 4, 4), D(r, 4, 3)], "C"),
    "doitgen": (B.doitgen, lambda r: [D(r, 2, 3, 4), D(r, 4, 4), D(r, 4)], ("A", "sum_")),
    "jacobi-1d": (B.jacobi_1d, lambda r: [Const(3), D(r, 8), D(r, 8)], ("A", "B")),
    "jacobi-2d": (B.jacobi_2d, lambda r: [Const(2), D(r, 6, 6), D(r, 6, 6)], ("A", "B")),
    "seidel-2d": (B.seidel_2d, lambda r: [Const(2), D(r, 6, 6)], "A"),
    "heat-3d": (B.heat_3d, lambda r: [Const(2), D(r, 5, 5, 5), D(r, 5, 5, 5)], ("A", "B")),
    "fdtd-2d": (B.fdtd_2d, lambda r: [Const(3), D(r, 5, 6), D(r, 5, 6), D(r, 5, 6), D(r, 3)], ("ex", "ey", "hz")),
    "adi": (B.adi, lambda r: [Const(2), Const(5), D(r, 5, 5), D(r, 5, 5), D(r, 5, 5), D(r, 5, 5)],
            ("u", "v", "p", "q")),
    "cholesky": (B.cholesky, lambda r: [dup(spd(r, 5))], "A"),
    "lu": (B.lu, lambda r: [dup(dominant(r, 5))], "A"),
    "ludcmp": (B.ludcmp, lambda r: [dup(dominant(r, 5)), D(r, 5), D(r, 5), D(r, 5)], ("A", "x", "y")),
    "trisolv": (B.trisolv, lambda r: [dup(dominant(r, 5)), D(r, 5), D(r, 5)], "x"),
    "durbin": (B.durbin, lambda r: [D(r, 6, lo=0.05, hi=0.3), D(r, 6)], "y"),
    "gramschmidt": (B.gramschmidt, lambda r: [D(r, 5, 4), D(r, 4, 4), D(r, 5, 4)], ("A", "R", "Q")),
    "correlation": (B.correlation, lambda r: [Const(6.0), D(r, 6, 4), D(r, 4, 4), D(r, 4), D(r, 4)],
                    ("data", "corr", "mean", "stddev")),
    "covariance": (B.covariance, lambda r: [Const(6.0), D(r, 6, 4), D(r, 4, 4), D(r, 4)], ("data", "cov", "mean")),
    "deriche": (B.deriche, lambda r: [A(0.25), D(r, 4, 5), D(r, 4, 5), D(r, 4, 5), D(r, 4, 5)],
                ("imgOut", "y1", "y2")),
}


def _kalman(r):
    return [D(r, 2), dup(spd(r, 2, 1.0)), D(r, 1), dup(np.array([[1.0, 0.1], [0.0, 1.0]]) + 0.05 * r.standard_normal((2, 2))),
            D(r, 1, 2), dup(0.1 * spd(r, 2, 1.0)), dup([[0.5]])]


def _csr(r):
    indptr = np.array([0, 2, 3, 5, 7])
    indices = np.array([0, 3, 1, 0, 4, 2, 3])
    return [D(r, 7), Const(indices), Const(indptr), D(r, 5), D(r, 4)]


MANDEL_CR = [-0.5, 0.1, -1.0, 0.6, 1.0, -0.2]
MANDEL_CI = [0.2, 0.1, 0.1, 0.6, 0.5, -0.6]

PHYSICS = {
    "diffusion-1d": (P.diffusion_1d, lambda r: [D(r, 8), A(0.3), Const(3), Const(0.1), Const(0.01)], "u"),
    "advection-upwind": (P.advection_upwind, lambda r: [D(r, 8), A(1.0), Const(3), Const(0.1), Const(0.05)], "u"),
    "advection-2d": (P.advection_2d, lambda r: [D(r, 5, 5), A(1.0), Const(2), Const(0.1), Const(0.1), Const(0.02)],
                     "u"),
    "burgers": (P.burgers_step, lambda r: [D(r, 8, lo=1.0, hi=2.0, signed=False), A(0.07), Const(3), Const(0.2),
                                           Const(0.02)], "u"),
    "wave-leapfrog": (P.wave_leapfrog, lambda r: [D(r, 8), D(r, 8), A(1.0), Const(4), Const(0.1), Const(0.05)],
                      ("u_prev", "u")),
    "shallow-water": (P.shallow_water_lf, lambda r: [D(r, 8, lo=1.0, hi=1.5, signed=False), D(r, 8, lo=0.0, hi=0.3),
                                                     A(9.81), Const(3), Const(1.0), Const(0.05)], ("h", "hu")),
    "nbody": (P.nbody_step, lambda r: [D(r, 4, 3), D(r, 4, 3, lo=0.0, hi=0.2), D(r, 4, signed=False), A(0.01),
                                       Const(0.1), Const(2)], None),
    "rk4": (P.rk4_integrate, lambda r: [D(r, 2, lo=0.8, hi=1.2, signed=False), dup([1.1, 0.4, 0.1, 0.4]), A(0.1),
                                        Const(3)], "y"),
    "lorenz-euler": (P.lorenz_euler, lambda r: [D(r, 3), A(10.0), A(28.0), A(8.0 / 3.0), Const(0.01), Const(5)],
                     "state"),
    "gauss-seidel": (P.gauss_seidel, lambda r: [dup(dominant(r, 5)), D(r, 5), D(r, 5), Const(3)], "x"),
    "jacobi-solver": (P.jacobi_solve, lambda r: [dup(dominant(r, 5)), D(r, 5), D(r, 5), Const(1e-10), Const(200)], "x"),
    "jacobi-solver-diag": (P.jacobi_solve_diag, lambda r: [dup(dominant(r, 5)), D(r, 5), D(r, 5), Const(1e-10),
                                                            Const(200)], "x"),
    "power-iteration": (P.power_iteration, lambda r: [dup(spd(r, 5, 3.0)), D(r, 5, signed=False), Const(6)], None),
    "conjugate-gradient": (P.conjugate_gradient, lambda r: [dup(spd(r, 5)), D(r, 5), D(r, 5), Const(3)], "x"),
    "csr-spmv": (P.csr_matvec, _csr, "y"),
    "scan-recurrence": (P.linear_recurrence, lambda r: [D(r, 6, lo=0.3, hi=0.9), D(r, 6), D(r, 6)], "h"),
    "exponential-smoothing": (P.exponential_smoothing, lambda r: [D(r, 6), D(r, 6), A(0.3)], None),
    "kalman": (P.kalman_step, _kalman, ("x", "P")),
    "mandelbrot": (P.mandelbrot_escape, lambda r: [D(r, 6, lo=-0.5, hi=0.2, signed=False),
                                                   D(r, 6, lo=-0.4, hi=0.4, signed=False), D(r, 6), Const(4)], "out"),
    "mandelbrot-masked": (P.mandelbrot_masked, lambda r: [dup(MANDEL_CR), dup(MANDEL_CI), D(r, 6), Const(6)],
                          "out"),
    "mandelbrot-complex": (P.mandelbrot_complex, lambda r: [D(r, 6, lo=-0.5, hi=0.2, signed=False),
                                                            D(r, 6, lo=-0.4, hi=0.4, signed=False), D(r, 6),
                                                            Const(5)], "out"),
    "spectral-heat": (P.spectral_heat, lambda r: [D(r, 16), Active(0.05), Active(0.1), Const(3)], None),
    "spectral-poisson": (P.spectral_poisson, lambda r: [D(r, 12), D(r, 12)], "u"),
    "horner": (P.horner, lambda r: [D(r, 4), D(r, 5), D(r, 5)], "y"),
    "trapezoid": (P.trapezoid, lambda r: [D(r, 7), A(0.1)], None),
}


def _conv(r):
    return [D(r, 2, 2, 5, 5), D(r, 3, 2, 3, 3), D(r, 3), D(r, 2, 3, 3, 3), Const(2), Const(1)]


def _labels(r):
    return [D(r, 5, 4), Const(np.array([0, 3, 1, 2, 1]))]


def _onehot(r):
    return [D(r, 5, 4), Const(np.eye(4)[[0, 3, 1, 2, 1]])]


def _lstm(r):
    return [D(r, 3, 4), D(r, 3, 2), D(r, 3, 2), D(r, 4, 8, lo=0.1, hi=0.5), D(r, 2, 8, lo=0.1, hi=0.5), D(r, 8)]


def _gru(r):
    return [D(r, 3, 4), D(r, 3, 2)] + [D(r, *s, lo=0.1, hi=0.5) for s in [(4, 2), (2, 2)] * 3]


def _logistic(r):
    return [D(r, 3), A(0.2), D(r, 6, 3), Const(r.choice([-1.0, 1.0], 6)), Const(0.1)]


NN = {
    "conv2d-naive": (N.conv2d_naive, _conv, "out"),
    "conv2d-loops": (N.conv2d_loops, lambda r: [D(r, 6, 6), D(r, 3, 3), D(r, 4, 4)], "out"),
    "max-pool": (N.max_pool, lambda r: [D(r, 1, 2, 4, 4), D(r, 1, 2, 2, 2), Const(2), Const(2)], "out"),
    "avg-pool": (N.avg_pool, lambda r: [D(r, 2, 4, 4), D(r, 2, 2, 2), Const(2)], "out"),
    "batchnorm": (N.batchnorm_forward, lambda r: [D(r, 6, 4), D(r, 4), D(r, 4), D(r, 6, 4), D(r, 4),
                                                  D(r, 4, signed=False), Const(0.9), Const(1e-5)],
                  ("out", "running_mean", "running_var")),
    "layernorm": (N.layernorm_forward, lambda r: [D(r, 4, 5), D(r, 5), D(r, 5), D(r, 4, 5), Const(1e-5)], "out"),
    "softmax-xent": (N.softmax_cross_entropy, _labels, None),
    "softmax-xent-onehot": (N.softmax_cross_entropy_onehot, _onehot, None),
    "lstm-step": (N.lstm_step, _lstm, ("prev_h", "prev_c")),
    "gru-step": (N.gru_step, _gru, "h"),
    "attention": (N.attention, lambda r: [D(r, 4, 3), D(r, 5, 3), D(r, 5, 2), D(r, 4, 2)], "out"),
    "logistic-regression": (N.logistic_regression_loss, _logistic, None),
    "mlp-relu": (N.mlp_forward, lambda r: [D(r, 4, 3), D(r, 3, 5), D(r, 5), D(r, 5, 2), D(r, 2), D(r, 4, 2)],
                 "out"),
    "sgd-least-squares": (N.sgd_step, lambda r: [D(r, 3), D(r, 6, 3), D(r, 6), A(0.1), Const(3)], None),
}

CASES = {**POLYBENCH, **PHYSICS, **NN}


def _thomas(r):
    n = 5
    return [D(r, n, lo=0.2, hi=0.5), D(r, n, lo=3.0, hi=4.0, signed=False), D(r, n, lo=0.2, hi=0.5), D(r, n),
            D(r, n)]


def _hmm(r):
    pi = r.uniform(0.2, 1.0, 3)
    Am = r.uniform(0.2, 1.0, (3, 3))
    Bm = r.uniform(0.2, 1.0, (3, 4))
    return [dup(np.log(pi / pi.sum())), dup(np.log(Am / Am.sum(1, keepdims=True))),
            dup(np.log(Bm / Bm.sum(1, keepdims=True))), Const(np.array([0, 2, 1, 3, 3]))]


def _adam(r):
    return [D(r, 5), D(r, 5), D(r, 5, lo=0.0, hi=0.1), D(r, 5, lo=0.01, hi=0.1, signed=False), A(0.01), Const(0.9),
            Const(0.999), Const(1e-8), Const(3)]


IDIOMS = {
    "jacobi-1d-swap": (I.jacobi_1d_swap, lambda r: [Const(3), D(r, 8), D(r, 8)], ("A", "B")),
    "softmax-inplace": (I.softmax_inplace, lambda r: [D(r, 3, 4)], "x"),
    "adam-step": (I.adam_step, _adam, ("w", "m", "v")),
    "heat-2d-periodic": (I.heat_2d_periodic, lambda r: [D(r, 5, 5), A(0.1), Const(3)], "u"),
    "red-black-gs": (I.red_black_gauss_seidel, lambda r: [D(r, 9), D(r, 9), A(0.25), Const(2)], "u"),
    "periodic-upwind": (I.periodic_upwind, lambda r: [D(r, 6), A(0.4), Const(2)], "u"),
    "thomas": (I.thomas, _thomas, ("c", "d", "x")),
    "hmm-forward": (I.hmm_forward_log, _hmm, None),
    "welford": (I.welford_variance, lambda r: [D(r, 7)], None),
    "newton-sqrt": (I.newton_sqrt, lambda r: [D(r, 5, lo=1.0, hi=3.0, signed=False), D(r, 5), Const(1e-12)], "x"),
    "crank-nicolson": (I.crank_nicolson, lambda r: [D(r, 6), A(0.4), Const(3)], "u"),
    "verlet": (I.verlet, lambda r: [D(r, 6), D(r, 6, lo=0.0, hi=0.3), A(2.0), Const(0.05), Const(4)], ("x", "v")),
    "moving-average": (I.moving_average, lambda r: [D(r, 8), D(r, 6), Const(3)], "out"),
    "cumsum-out": (I.cumsum_out, lambda r: [D(r, 6), D(r, 6)], "y"),
    "einsum-bilinear": (I.einsum_bilinear, lambda r: [D(r, 3, 4), D(r, 2, 4, 5), D(r, 3, 5), D(r, 3, 2)], "out"),
    "rnn-unrolled": (I.rnn_unrolled, lambda r: [D(r, 4, 3), D(r, 2), D(r, 3, 2, lo=0.1, hi=0.5),
                                               D(r, 2, 2, lo=0.1, hi=0.5), D(r, 2)], None),
}

CASES.update(IDIOMS)


def _rnn_collect(r):
    return [D(r, 4, 3), D(r, 2), D(r, 3, 2, lo=0.1, hi=0.5), D(r, 2, 2, lo=0.1, hi=0.5), D(r, 4, 2)]


MORE = {
    "correlation-vectorised": (I.correlation_vectorised, lambda r: [Const(6.0), D(r, 6, 4), D(r, 4, 4)],
                               ("data", "corr")),
    "correlation-vectorised-index": (I.correlation_vectorised_index, lambda r: [Const(6.0), D(r, 6, 4), D(r, 4, 4)],
                                     ("data", "corr")),
    "relu-inplace": (I.relu_inplace_layer, lambda r: [D(r, 3, 4), D(r, 4, 5), D(r, 5), D(r, 3, 5)], "out"),
    "normalize-rows": (I.normalize_rows, lambda r: [D(r, 3, 4)], "A"),
    "enumerate-zip": (I.enumerate_zip, lambda r: [D(r, 5), D(r, 5), D(r, 5)], "out"),
    "rnn-collect": (I.rnn_collect, _rnn_collect, "out"),
    "fixed-point-cos": (I.fixed_point_cos, lambda r: [D(r, 4, lo=0.2, hi=1.0, signed=False)], "x"),
    "discounted-returns": (I.discounted_returns, lambda r: [D(r, 6), A(0.9), D(r, 6)], "out"),
    "discounted-returns-range": (I.discounted_returns_range, lambda r: [D(r, 6), A(0.9), D(r, 6)], "out"),
    "leaky-relu-norms": (I.leaky_relu_norms, lambda r: [D(r, 4, 3), D(r, 4)], "out"),
    "pairwise-distances": (I.pairwise_distances, lambda r: [D(r, 4, 3), D(r, 4, 4)], "D"),
    "reverse-in-place": (I.reverse_in_place, lambda r: [D(r, 5), D(r, 5)], ("x", "y")),
}

CASES.update(MORE)

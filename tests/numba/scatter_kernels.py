"""Kernels scattering with np.add.at / np.subtract.at into 1-D arrays (test_scatter_at)."""
import numpy as np


def coo_matvec(y, vals, x, rows, cols):
    np.add.at(y, rows, vals * x[cols])


def negative_and_2d_indices(out, x, idx):
    np.subtract.at(out, idx, np.sin(x))


def pair_forces(F, pos, i_idx, j_idx):
    for k in range(i_idx.shape[0]):
        d = pos[i_idx[k]] - pos[j_idx[k]]
        f = d * d * d
        np.add.at(F, np.array([i_idx[k]]), -f)
        np.add.at(F, np.array([j_idx[k]]), f)


def scalar_values(h, w, idx):
    np.add.at(h, idx, w[0] * 2.0)
    return float(np.sum(h * h))

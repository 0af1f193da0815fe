"""Kernels reducing along one axis (test_axis_helpers)."""
import numpy as np


def softmax_rows(X, out):
    m = np.max(X, axis=1, keepdims=True)
    e = np.exp(X - m)
    s = np.sum(e, axis=1, keepdims=True)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            out[i, j] = e[i, j] / s[i, 0]
    return np.sum(out * out)

def layer_norm(X, g):
    mu = np.mean(X, axis=-1, keepdims=True)
    sd = np.std(X, axis=-1, keepdims=True)
    Y = (X - mu) / (sd + 1e-3)
    tot = 0.0
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            tot += g[j] * Y[i, j] ** 2
    return tot

def column_stats(A):
    m = np.mean(A, axis=0)
    v = np.var(A, axis=0, ddof=1)
    lo = np.min(A, axis=0)
    return np.sum(m * v) + np.sum(lo ** 2) + np.std(A[:, 0], ddof=1)

def products(A):
    p = np.prod(A, axis=1)
    k = np.argmax(A, axis=1)
    tot = 0.0
    for i in range(p.shape[0]):
        tot += p[i] * (k[i] + 1.0)
    return tot

def cube(T):
    a = np.max(T, axis=2)
    b = np.mean(T, axis=0, keepdims=True)
    c = np.var(T, axis=1)
    return np.sum(a ** 2) + np.sum(b * T) + np.sum(c)

def vector(x):
    return np.max(x, axis=0) * np.mean(x, axis=-1) + np.std(x, axis=0)

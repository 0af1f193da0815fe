import numpy as np


def field(s, z, x):
    s[:] = np.exp(z) * x + np.conj(z) * 1j


def energy(z, x):
    return float(np.sum(np.abs(np.fft.fft(z * x)) ** 2))


def clipped(z):
    return float(np.sum(np.abs(np.maximum(z, 0.0))))


def iir(y, x, p):
    """A one-pole filter, ``p`` a number (complex or real, as ``--shape p=:DTYPE`` says)."""
    y[0] = x[0]
    for n in range(1, x.shape[0]):
        y[n] = p * y[n - 1] + x[n]

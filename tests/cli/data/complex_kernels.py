import numpy as np


def field(s, z, x):
    s[:] = np.exp(z) * x + np.conj(z) * 1j


def energy(z, x):
    return float(np.sum(np.abs(np.fft.fft(z * x)) ** 2))


def clipped(z):
    return float(np.sum(np.abs(np.maximum(z, 0.0))))

"""Adjoints of the ``numpy.fft`` transforms.

Every transform is linear in its input: its tangent is the transform of the
tangent. The adjoint (in the convention dL/dRe + 1j dL/dIm) is the conjugate
transpose: the inverse transform with the dual normalisation (``backward``
and ``forward`` swap, ``ortho`` stays), fitted back to the input's length
where ``n``/``s`` padded or truncated it. ``rfft`` and ``irfft`` are only
real-linear: ``rfft``'s adjoint is the real part of the full inverse of the
zero-padded half spectrum; ``irfft``'s weighs the bins that stand for a
conjugate pair by 2 (bin 0 and, for even lengths, the Nyquist bin by 1).
"""
from __future__ import annotations

import numpy as np


def _dual(norm):
    """The normalisation of the conjugate transpose: backward and forward swap."""
    return {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


def _fit(r, shape, axes):
    """``r`` cut or zero-padded along ``axes`` to the lengths of ``shape``."""
    for ax in axes:
        have, want = r.shape[ax], shape[ax]
        if have > want:
            r = np.take(r, np.arange(want), axis=ax)
        elif have < want:
            pad = [(0, 0)] * r.ndim
            pad[ax] = (0, want - have)
            r = np.pad(r, pad)
    return r


def _axes(ndim, s, axes, default=None):
    """The axes an n-dimensional transform acts on (numpy's defaults)."""
    if axes is None:
        axes = default if default is not None else (
            tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim)))
    return tuple(a % ndim for a in axes)


def fft_adjoint(g, a, axis=-1, norm=None, inverse=False):
    """Adjoint of ``fft`` (``inverse``: of ``ifft``) along ``axis``."""
    back = np.fft.fft if inverse else np.fft.ifft
    axis = axis % np.ndim(a)
    return _fit(back(g, axis=axis, norm=_dual(norm)), np.shape(a), (axis,))


def fftn_adjoint(g, a, s=None, axes=None, norm=None, inverse=False, default=None):
    """Adjoint of ``fftn``/``fft2`` (``inverse``: of ``ifftn``/``ifft2``)."""
    axes = _axes(np.ndim(a), s, axes, default)
    back = np.fft.fftn if inverse else np.fft.ifftn
    return _fit(back(g, axes=axes, norm=_dual(norm)), np.shape(a), axes)


def rfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """Adjoint of ``rfft``: the real part of the inverse of the zero-padded half spectrum."""
    axis = axis % np.ndim(a)
    n = np.shape(a)[axis] if n is None else n
    full = list(np.shape(g))
    full[axis] = n
    r = np.real(np.fft.ifft(_fit(np.asarray(g), full, (axis,)), axis=axis, norm=_dual(norm)))
    return _fit(r, np.shape(a), (axis,))


def irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """Adjoint of ``irfft`` (real output): the half spectrum of ``g``, each bin
    that stands for a conjugate pair counted twice (of a real ``a``, whose
    imaginary part numpy takes as 0, its real part)."""
    r = _irfft_adjoint(g, a, n, axis, norm)
    return r if np.iscomplexobj(a) else np.real(r)


def _irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    axis = axis % np.ndim(a)
    n = 2 * (np.shape(a)[axis] - 1) if n is None else n
    half = n // 2 + 1
    spec = np.fft.fft(np.real(g), axis=axis, norm=_dual(norm))
    spec = np.take(spec, np.arange(half), axis=axis)
    w = np.full(half, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * spec.ndim
    shape[axis] = half
    return _fit(spec * w.reshape(shape), np.shape(a), (axis,))


def rfftn_adjoint(g, a, s=None, axes=None, norm=None, default=None):
    """Adjoint of ``rfftn``/``rfft2``: numpy's rfft along the last axis, then
    ffts along the others; the adjoints in turn (those of distinct axes commute)."""
    axes = _axes(np.ndim(a), s, axes, default)
    n = None if s is None else s[-1]
    mid = list(np.shape(a))
    mid[axes[-1]] = (np.shape(a)[axes[-1]] if n is None else n) // 2 + 1
    r = np.asarray(g)
    for ax in axes[:-1]:
        r = _fit(np.fft.ifft(r, axis=ax, norm=_dual(norm)), mid, (ax,))
    return rfft_adjoint(r, a, n, axes[-1], norm)


def irfftn_adjoint(g, a, s=None, axes=None, norm=None, default=None):
    """Adjoint of ``irfftn``/``irfft2``: numpy's iffts along all but the last
    axis, then irfft along it; the adjoints in turn."""
    axes = _axes(np.ndim(a), s, axes, default)
    r = _irfft_adjoint(g, a, None if s is None else s[-1], axes[-1], norm)
    for ax in axes[:-1]:
        r = _fit(np.fft.fft(r, axis=ax, norm=_dual(norm)), np.shape(a), (ax,))
    return r if np.iscomplexobj(a) else np.real(r)

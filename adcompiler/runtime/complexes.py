"""Adjoints and tangents of the functions that treat complex values
differently from real ones (``abs``, ``angle``, ``imag``, ``vdot``, ``norm``).

Convention: for a real loss ``L`` the adjoint of a complex value ``z`` is
``dL/dRe(z) + 1j * dL/dIm(z)``. A real value's adjoint may carry an
imaginary part that means nothing (it came from a complex operation); the
functions whose result is real therefore read only the real part of ``g``,
and memory of real dtype receives the real part (``real_if``).
"""
from __future__ import annotations

import numpy as np

from .norms import norm_adjoint, norm_tangent
from .numpy import safe_div


def _is_complex(x) -> bool:
    return np.iscomplexobj(x)


def real_if(g, like):
    """``g`` for memory (or a value) ``like``: its real part when ``like`` is real
    (element by element for a tuple)."""
    if isinstance(like, tuple):
        return tuple(real_if(a, b) for a, b in zip(g, like)) if isinstance(g, tuple) else g
    if not _is_complex(like) and _is_complex(g):
        return np.real(g)
    return g


def conj_each(gs):
    """The complex conjugate of each adjoint of a sequence argument."""
    return [np.conj(g) for g in gs]


def abs_adjoint(g, x, ans):
    """Adjoint of ``|x|``: ``Re(g) * x / |x|`` (0 at 0); ``g * sign(x)`` for real ``x``."""
    if _is_complex(x):
        return np.real(g) * safe_div(x, ans)
    return g * np.sign(x)


def abs_tangent(t, x, ans):
    """Tangent of ``|x|``: ``Re(conj(x) * t) / |x|`` (0 at 0)."""
    if _is_complex(x) or _is_complex(t):
        return safe_div(np.real(np.conj(x) * t), ans)
    return t * np.sign(x)


def imag_adjoint(g, x):
    """Adjoint of ``Im(x)``: ``1j * Re(g)``; nothing for real ``x`` (its imaginary part is 0)."""
    if _is_complex(x):
        return 1j * np.real(g)
    return np.zeros(np.shape(g))


def angle_adjoint(g, z, deg=False):
    """Adjoint of ``angle(z)``: ``1j * z * Re(g) / |z|**2`` (0 at 0; nothing for real ``z``)."""
    scale = 180.0 / np.pi if deg else 1.0
    if _is_complex(z):
        return safe_div(1j * z * np.real(g) * scale, np.real(z * np.conj(z)))
    return np.zeros(np.shape(z))


def angle_tangent(t, z, deg=False):
    """Tangent of ``angle(z)``: ``Im(conj(z) * t) / |z|**2`` (0 at 0)."""
    scale = 180.0 / np.pi if deg else 1.0
    return safe_div(np.imag(np.conj(z) * t) * scale, np.real(z * np.conj(z)))


def vdot_adjoint_a(g, a, b):
    """Adjoint of ``vdot(a, b) = sum(conj(a) * b)`` in ``a`` (antilinear): ``conj(g) * b``."""
    return np.conj(g) * np.reshape(b, np.shape(a))


def cnorm_adjoint(g, x, ans, ord=None, axis=None, keepdims=False):
    """Adjoint of a vector or Frobenius ``norm`` of complex ``x``: ``Re(g) * x / norm``
    (other orders through ``sign(x) = x / |x|``)."""
    return norm_adjoint(np.real(g), x, ans, ord, axis, keepdims)


def cnorm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    """Tangent of a norm of complex ``x``: ``Re(sum(conj(d) * t))``, ``d`` its adjoint at 1."""
    return np.real(norm_tangent(np.conj(t), x, ans, ord, axis, keepdims))


def abs_adjoint_dx(g, x, ans, t):
    """Derivative of ``abs_adjoint(g, x, ans)`` along ``t`` in ``x`` (second order)."""
    if _is_complex(x):
        return np.real(g) * safe_div(t, ans)
    return np.zeros(np.broadcast_shapes(np.shape(g), np.shape(x)))


def abs_adjoint_dans(g, x, ans, t):
    """Derivative of ``abs_adjoint(g, x, ans)`` along ``t`` in ``ans`` (second order)."""
    if _is_complex(x):
        return -np.real(g) * safe_div(x * t, ans * ans)
    return np.zeros(np.broadcast_shapes(np.shape(g), np.shape(x)))

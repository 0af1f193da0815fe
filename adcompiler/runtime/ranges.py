"""Adjoints and tangents of numpy's ranges (``np.linspace``), for the rule tables;
the range of an array's dtype (``np.finfo(x.dtype).eps``)."""
from __future__ import annotations

import numpy as np

from .core import unbroadcast


def linspace_weights(num, endpoint=True, axis=0, ndim=1):
    """The weight of ``stop`` in each element of ``np.linspace(start, stop,
    num, endpoint)`` (that of ``start`` is one minus it), shaped to
    broadcast along ``axis`` of a result of ``ndim`` dimensions."""
    num = int(num)
    div = (num - 1) if endpoint else num
    w = np.arange(num) / div if div > 0 else np.zeros(num)
    shape = [1] * ndim
    shape[axis % ndim] = num
    return w.reshape(shape)


def linspace_step_factor(num, endpoint=True):
    """What ``stop - start`` is multiplied by to give the step ``np.linspace(..., retstep=True)``
    returns: ``1 / (num - 1)``, ``1 / num`` without the endpoint, NaN where that is 1 / 0 (numpy's)."""
    div = int(num) - 1 if endpoint else int(num)
    return 1.0 / div if div > 0 else float("nan")


def linspace_adjoint(g, start, stop, num=50, endpoint=True, retstep=False, axis=0, which="stop"):
    """The adjoint of ``start`` or ``stop`` (``which``) of ``np.linspace``."""
    if retstep:
        raise ValueError("np.linspace(..., retstep=True) is not differentiated: compute the step separately")
    g = np.asarray(g)
    w = linspace_weights(num, endpoint, axis, g.ndim)
    part = g * (w if which == "stop" else 1.0 - w)
    return unbroadcast(np.sum(part, axis=axis % g.ndim), start if which == "start" else stop)


def linspace_tangent(t, start, stop, num=50, endpoint=True, axis=0, which="stop"):
    """The tangent of ``np.linspace`` due to the tangent ``t`` of ``start`` or ``stop``."""
    ans = np.linspace(start, stop, int(num), endpoint=endpoint, axis=axis)
    w = linspace_weights(num, endpoint, axis, ans.ndim)
    t = np.expand_dims(np.asarray(t, dtype=float), axis % ans.ndim)
    return t * (w if which == "stop" else 1.0 - w) + np.zeros(ans.shape)


#: np.finfo's attributes that are ints (the others are numbers of the dtype)
FINFO_INTS = frozenset({"bits", "precision", "iexp", "machep", "maxexp", "minexp", "negep", "nexp", "nmant"})


def type_limit(x, which, attr):
    """``np.finfo(x.dtype).<attr>`` (``which`` is ``"finfo"``) or
    ``np.iinfo(x.dtype).<attr>``: a Python float or int."""
    value = getattr((np.finfo if which == "finfo" else np.iinfo)(np.asarray(x).dtype), attr)
    return int(value) if isinstance(value, (int, np.integer)) else float(value)

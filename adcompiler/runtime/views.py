"""Views of adjoints made without numpy's general functions: the reverse
sweep makes one per reduction, and ``np.expand_dims`` and ``np.broadcast_to``
cost more than the arithmetic on a small array."""
from __future__ import annotations

import numpy as np


def insert_axes(g, axes):
    """``np.expand_dims(g, axes)`` for a tuple of non-negative axes of the result."""
    ndim = g.ndim + len(axes)
    rest = iter(g.shape)
    return g.reshape(tuple(1 if k in axes else next(rest) for k in range(ndim)))


def broadcast(g, shape):
    """``np.broadcast_to(g, shape)`` (a read-only view, zero strides along the
    axes it repeats) without the general function's cost, for a float array
    ``g`` of rank 0, or of ``shape``'s rank, C-contiguous (its memory is the
    view's buffer) with each axis 1 or ``shape``'s; otherwise through
    ``np.broadcast_to``."""
    if g.dtype.kind not in "fc":
        return np.broadcast_to(g, shape)
    if g.ndim == 0:
        v = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        v.flags.writeable = False
        return v
    if g.ndim != len(shape) or not g.flags.c_contiguous:
        return np.broadcast_to(g, shape)
    strides = []
    for d, n, st in zip(g.shape, shape, g.strides):
        if d != n and d != 1:
            return np.broadcast_to(g, shape)   # (raises as it would)
        strides.append(0 if d != n else st)
    v = np.ndarray(shape, g.dtype, g, 0, tuple(strides))
    v.flags.writeable = False
    return v


#: the first argument of the error ``view_checked`` raises (the numba backend's helper raises the same)
VIEW_COPIED = "returned a copy, not a view"


def _owner(a):
    while isinstance(a, np.ndarray) and isinstance(a.base, np.ndarray):
        a = a.base
    return a


def located(tag, where, what):
    """A ValueError saying ``what`` at ``where`` (file, line, source text): an emitted
    module raises it as it is; the wrapper of generated code reads ``tag`` and ``where``
    (its attributes ``ad_tag``, ``ad_where``) and raises adcompiler's located refusal."""
    e = ValueError(f"{where[0]}:{where[1]}: `{where[2]}`: {what}")
    e.ad_tag, e.ad_where = tag, tuple(where)
    return e


def view_checked(dv, v, x, where):
    """``dv`` (the shadow of ``v``), once ``v`` is seen to be a view of ``x``'s
    memory. ``np.reshape``, ``np.ravel`` and ``np.asarray`` return a view or a
    copy depending on the layout and dtype; the transform took a view (``v`` is
    written later, or ``x`` is), so a copy is refused: ``where`` is the (file,
    line, source text) of the call, which the wrapper of the generated function
    turns into adcompiler's located refusal (an emitted module raises the
    ValueError itself)."""
    if v is x or _owner(v) is _owner(x):
        return dv
    raise located(VIEW_COPIED, where, COPIED_WHY)


#: the first argument of the error ``rule_checked`` raises (a user's rule gave a
#: derivative of the wrong shape; the wrapper of the generated function turns it
#: into adcompiler's located ShapeError)
RULE_SHAPE = "a rule's derivative has the wrong shape"


def rule_checked(value, like, rule, param, what, also=None):
    """``value``, the adjoint (or tangent) a user's rule gives for ``param``, once
    its shape is ``like``'s (the operand's; the result's for a tangent), or
    ``also``'s (an elementwise rule's adjoint may have the result's shape)."""
    shape = np.shape(value)
    if shape == np.shape(like) or (also is not None and shape == np.shape(also)):
        return value
    raise ValueError(RULE_SHAPE, f"the {what} the rule of `{rule}` gives for `{param}` has shape {shape}, but "
                                 f"{'the result' if what == 'tangent' else '`' + param + '`'} has shape "
                                 f"{np.shape(like)}")


#: the first argument of the error ``disjoint_checked`` raises
ALIASED = "two arguments share memory"

#: the first argument of the error ``real_power_checked`` raises
COMPLEX_POWER = "a power that is a complex number"


def real_power_checked(v, where):
    """Refuse, at ``where`` (file, line, source text), a power ``v`` the analyses take for a
    real number that is a complex one: Python's ``(-2.0) ** 1.5`` (numpy's float64, and numba,
    give nan)."""
    if isinstance(v, complex):
        raise located(COMPLEX_POWER, where, POWER_WHY)


#: what the checks' errors say at the user's line (a numba module's compiled code raises the tag and
#: the line only: its wrappers say this, ``WHY`` by tag)
COPIED_WHY = "this call returned a copy, not a view, of its argument (or another argument, taken on another " \
             "path), and the copy or the argument is written later: the derivative would follow the wrong memory. Copy explicitly (.copy()) if a separate " \
             "array is meant, or pass a contiguous array if a view is meant."
ALIASED_WHY = "two arguments of this call, views of one array, share memory, and the function writes one of " \
              "them (it is differentiated with the two apart). Pass a copy (x.copy()) for the argument that is " \
              "only read."
POWER_WHY = "this power of a negative float to a fractional exponent is a complex number in Python, where the " \
            "derivative takes it for a real one. Write the real power meant (abs(a) ** 1.5), or make the base " \
            "complex."
#: the tag of the numba backend's ``_ad_alias_of`` (backends/numba_guards.py): a helper returned a view
VIEW_RETURNED = "a view of an argument returned"
RETURNED_WHY = "this helper returned a view of its argument, whose shadow numba's code does not follow (it " \
               "follows the argument itself). Return a copy from the helper (y[1:].copy()), or emit the " \
               "module for the numpy target."
WHY = {VIEW_COPIED: COPIED_WHY, ALIASED: ALIASED_WHY, COMPLEX_POWER: POWER_WHY, VIEW_RETURNED: RETURNED_WHY}


def disjoint_checked(a, b, where):
    """Refuse, at ``where`` (file, line, source text), a call of a helper given ``a``
    and ``b``, views of one array it writes one of (``step(traj[i - 1], traj[i])``),
    where they share memory: the helper is differentiated with the two apart."""
    if np.may_share_memory(a, b) and np.shares_memory(a, b):
        raise located(ALIASED, where, ALIASED_WHY)


#: the first argument of the error ``no_tangent`` raises
NO_TANGENT = "a tangent where a rule has no derivative"


def no_tangent(t, rule, param):
    """0, where the tangent ``t`` of the argument ``param`` of ``rule`` (which has no derivative
    in it) is zero: in code differentiated again, an argument the analyses take as active may be
    constant (a value popped from the first derivative's tape); where it is not, refused."""
    if t is None or not np.any(t):
        return 0.0
    raise ValueError(NO_TANGENT, rule, param)

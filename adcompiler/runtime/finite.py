"""Adjoints and tangents where a value may be infinite (``analysis.finite``): 0 from
a number no path reads, and from an element holding an infinite number the code
writes (``np.inf``: a boundary of dynamic programming)."""
from __future__ import annotations

import numpy as np


def unread_product(g, factor):
    """``g * factor``, 0 where ``g`` is 0: the adjoint of a number (an element) no
    path reads, whatever its partial ``factor`` (inf: ``sqrt`` at 0, ``np.inf`` written);
    and 0 where ``factor`` is 0, whatever ``g``: the operand a selection did not take
    (``max(v, 0.0)`` at ``v < 0`` under an infinite adjoint of ``sqrt`` at 0)."""
    if np.ndim(g) == 0 and np.ndim(factor) == 0:
        return g * factor if g != 0 and factor != 0 else 0.0 * g if g == 0 else 0.0 * factor
    with np.errstate(invalid="ignore"):
        return np.where(g != 0, np.where(factor != 0, g * factor, 0.0 * factor), 0.0 * g)


def overflow_term(g, term):
    """``term``, ``g`` times a partial that may be infinite with finite arguments (``np.exp(-x)``
    of ``1 / (1 + np.exp(-x))`` at x = -800), 0 where ``g`` is 0 and the term nan (0 * inf), as a
    number's term is 0 where its adjoint is. One pass more than the term where no element is nan:
    its sum (nan where an element is, or where +inf meets -inf: then each element is looked at)."""
    if type(term) is not np.ndarray:
        return term if g != 0 or not np.isnan(term) else np.zeros_like(term)[()]
    if term.dtype.kind not in "fc" or not np.isnan(np.add.reduce(term, axis=None)):
        return term
    return np.where(np.isnan(term) & (np.asarray(g) == 0), np.zeros((), term.dtype), term)


def finite_tangent(t, y):
    """The tangent ``t`` of ``y``, 0 where ``y`` is infinite or nan: an infinite number the
    code writes (``np.inf``) stays infinite whatever the arguments, so it has no tangent
    (``R / gamma`` at ``R = inf`` would carry ``inf * dgamma``)."""
    if np.ndim(y) == 0 and np.ndim(t) == 0:
        return t if np.isfinite(y) else np.zeros_like(t)[()]   # (t may be infinite: not 0 * t)
    return np.where(np.isfinite(y), t, 0.0)


def zero_where_zero(t, term):
    """``term``, a tangent ``t`` times a partial that may be infinite, 0 where ``t`` is 0 (as
    reverse mode skips a zero adjoint's terms): in code differentiated again, where ``t`` taken
    as a number may hold an array."""
    if np.ndim(t) == 0 and np.ndim(term) == 0:   # (a 0-d array stays one)
        return term if t != 0 else np.zeros_like(term) if isinstance(term, np.ndarray) else np.zeros_like(term)[()]
    return np.where(np.asarray(t) == 0, np.zeros_like(term), term)


def unread_term(term, g, finite, signs):
    """``term``, an adjoint term of a rule that is not elementwise (``np.dot(d, d)`` under a root),
    where it is nan and its adjoint ``g`` holds an infinite number (the root of a sum of squares at
    0 has an infinite adjoint, and its terms are inf * 0): ``finite``, the term of ``g``'s finite
    part, where ``signs``, the term of its infinite part's signs, is 0 (every infinite element met a
    partial 0), else an infinity of the sign of ``signs``."""
    if not _any_infinite(g):
        return term
    with np.errstate(invalid="ignore"):
        fixed = np.where(signs == 0, finite, np.sign(signs) * np.inf)
    return np.where(np.isnan(term), fixed, term)[()]   # (a number stays a number)


def _any_infinite(g) -> bool:
    """Whether ``g`` (a number, an array, or the tuple of adjoints of a tuple's elements:
    ``np.linalg.eigh``'s values and vectors) holds an infinite number."""
    if isinstance(g, (tuple, list)):
        return any(_any_infinite(e) for e in g)
    return bool(np.isinf(g).any())


def finite_part(g):
    """``g`` with its infinite elements 0 (of a tuple's adjoints, each's)."""
    if isinstance(g, (tuple, list)):
        return type(g)(finite_part(e) for e in g)
    return np.where(np.isinf(g), 0.0, g)[()]


def infinite_signs(g):
    """The signs of ``g``'s infinite elements (+1 or -1), 0 elsewhere (of a tuple's adjoints, each's)."""
    if isinstance(g, (tuple, list)):
        return type(g)(infinite_signs(e) for e in g)
    return np.where(np.isinf(g), np.sign(g), 0.0)[()]


def unread_mask(term, g):
    """Where ``unread_term`` replaces ``term``: nan, under an adjoint ``g`` holding an infinite number."""
    return np.isnan(term) & _any_infinite(g)

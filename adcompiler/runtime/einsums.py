"""The adjoints and tangents of ``np.einsum`` the rules call from generated
code (numpy only): one contraction per operand, on the path ``np.einsum_path``
finds, scattered onto repeated indices."""
from __future__ import annotations

import numpy as np

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_parts(subscripts, shapes):
    """``(inputs, output)`` of an einsum with ``...`` written out as letters and
    the output made explicit (implicit output: broadcast axes first, then the
    letters seen once, sorted). ``shapes`` are the operands' shapes (or their
    number when no term has ``...``)."""
    s = subscripts.replace(" ", "")
    ins, out = s.split("->") if "->" in s else (s, None)
    ins = ins.split(",")
    shapes = [()] * shapes if isinstance(shapes, int) else list(shapes)
    free = [c for c in _LETTERS if c not in s]
    nell = max([len(shp) - (len(t) - 3) for t, shp in zip(ins, shapes) if "..." in t] + [0])
    ell = "".join(free[:nell])
    ins = [t.replace("...", ell[nell - (len(shp) - (len(t) - 3)):]) if "..." in t else t
           for t, shp in zip(ins, shapes)]
    if out is None:
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return ins, out.replace("...", ell)


def einsum_adjoint(g, subscripts, operands, k):
    """Adjoint of ``np.einsum(subscripts, *operands)`` for operand ``k``: an
    einsum of the cotangent with the other operands (contracted in the order
    ``np.einsum_path`` finds), scattered onto repeated indices and summed over
    broadcast axes."""
    ops = [np.asarray(o) for o in operands if o is not None]
    ins, out = _einsum_parts(subscripts, [o.shape for o in ops])
    sizes = {}
    for t, o in zip(ins, ops):
        for c, n in zip(t, o.shape):
            sizes[c] = max(sizes.get(c, 1), n)
    sk, shape = ins[k], ops[k].shape
    uniq = "".join(dict.fromkeys(sk))
    others = [(ins[j], _full(ops[j], ins[j], sizes)) for j in range(len(ins)) if j != k]
    avail = set(out) | set("".join(t for t, _ in others))
    keep = "".join(c for c in uniq if c in avail)
    spec = ",".join([out] + [t for t, _ in others]) + "->" + keep
    r = np.einsum(spec, np.broadcast_to(g, [sizes[c] for c in out]), *[o for _, o in others],
                  optimize=len(others) > 1)
    own = dict(zip(sk, shape))
    summed = tuple(i for i, c in enumerate(keep) if own[c] == 1 and sizes[c] != 1)
    if summed:
        r = np.sum(r, axis=summed, keepdims=True)   # axes operand k broadcast
    r = np.broadcast_to(r.reshape([own[c] if c in keep else 1 for c in uniq]), [own[c] for c in uniq])
    if len(uniq) == len(sk):
        return np.array(r)
    full = np.zeros(shape, dtype=r.dtype)
    grid = np.indices([own[c] for c in uniq])
    full[tuple(grid[uniq.index(c)] for c in sk)] = r
    return full


def _full(o, term, sizes):
    """Operand ``o`` broadcast along the axes where another operand is longer."""
    want = [sizes[c] for c in term]
    if list(o.shape) == want or len(set(term)) != len(term):
        return o
    return np.broadcast_to(o, want)


def einsum_adjoints(g, subscripts, operands):
    """The adjoints of every operand of ``np.einsum(subscripts, *operands)``."""
    return tuple(einsum_adjoint(g, subscripts, operands, k) for k in range(len(operands)))


def einsum_adjoints_tangent(g, subscripts, operands, tangents):
    """The tangent of :func:`einsum_adjoints` due to the tangents of the
    operands: the adjoint of operand ``k`` is linear in each other operand
    (and reads operand ``k`` itself only for its shape)."""
    if not isinstance(tangents, (tuple, list)):
        tangents = (tangents,) * len(operands)
    out = []
    for k in range(len(operands)):
        total = np.zeros(np.shape(operands[k]), dtype=np.result_type(g, *operands))
        for j, t in enumerate(tangents):
            if j == k or t is None or not np.any(t):
                continue
            ops = list(operands)
            ops[j] = np.broadcast_to(t, np.shape(operands[j]))
            total = total + einsum_adjoint(g, subscripts, ops, k)
        out.append(total)
    return tuple(out)


def einsum_tangent(subscripts, operands, tangents):
    """The tangent of ``np.einsum(subscripts, *operands)``: one einsum per
    operand whose tangent is not zero, that operand replaced by its tangent."""
    total = None
    for k, t in enumerate(tangents):
        if not np.any(t):
            continue
        ops = list(operands)
        ops[k] = t
        term = np.einsum(subscripts, *ops, optimize=len(ops) > 2)
        total = term if total is None else total + term
    if total is None:
        return np.zeros_like(np.einsum(subscripts, *operands, optimize=len(operands) > 2))
    return total

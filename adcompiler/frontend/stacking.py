"""stacking: lists a function builds (``L = []`` then ``L.append(v)``, or a
comprehension) read as one array: ``np.stack(L)``/``np.array(L)`` carry the
rule ``rules.stack.LIST_STACK`` (one adjoint per item), and ``np.vstack(L)``
and its kin join the stacked items (``runtime.lists.joined``); the argument
helpers the rewrites of ``inplace`` share.
"""
from __future__ import annotations

import ast

import numpy as np

from ..runtime import lists as _joins
from . import notes


def arg(call, kw, k, name, default=None):
    if len(call.args) > k:
        return call.args[k]
    return kw.get(name, default)


def only_keywords(nz, call, kw, allowed,
                  hint="cast with .astype after joining, and pass only the arrays, axis= and out=."):
    """Refuse keywords a rewrite would otherwise drop (``dtype=``, ``casting=``)."""
    extra = sorted(set(kw) - set(allowed))
    if extra:
        nz.err(call, f"`{ast.unparse(call.func)}` with {', '.join(k + '=' for k in extra)} is not supported.", hint)


def local_list(nz, node) -> bool:
    """Whether ``node`` names a list the function builds (``L = []``, or a
    comprehension; frontend/lists.py)."""
    return isinstance(node, ast.Name) and node.id in nz.lists.local


def stack_list(nz, call, node, axis, empty_ok=False, read_only=False):
    """``np.stack(L, axis)`` of a local list: one call the transform knows
    (rules.stack.LIST_STACK); ``np.array(L)`` (``empty_ok``) runs as
    ``_ad_stack_items``, which makes an empty list an empty array, as numpy does;
    an item read (``read_only``) as ``_ad_list_items``, the same array read-only."""
    from ..rules.stack import LIST_STACK
    func = ast.Name("_ad_list_items" if read_only else "_ad_stack_items", ast.Load()) if empty_ok or read_only \
        else nz.func_expr(np.stack, call)
    new = ast.Call(func=func, args=[ast.Name(node.id, ast.Load()), axis], keywords=[])
    notes.resolve_call(new, np.stack, LIST_STACK)
    return new


def joins(how, handler, seq_param):
    """The handler of ``np.<how>`` (``vstack``, ``concatenate``...) that also takes
    a list the function builds: its items stacked (one adjoint per item), then
    joined as numpy joins them (``runtime.lists.joined``); other arguments go to
    ``handler``."""
    def handle(nz, call, kw):
        seq = arg(call, kw, 0, seq_param)
        if isinstance(seq, (ast.ListComp, ast.GeneratorExp)):   # (np.vstack([f(r) for r in rows]))
            seq = nz.comprehension(seq)
        if not local_list(nz, seq):
            return handler(nz, call, kw)
        only_keywords(nz, call, kw, (seq_param, "axis") if how == "concatenate" else (seq_param,))
        axis = nz.arg_atom(arg(call, kw, 1, "axis", ast.Constant(0))) if how == "concatenate" else ast.Constant(0)
        stacked = nz.temp(stack_list(nz, call, seq, ast.Constant(0), empty_ok=True))
        return nz.make_call(_joins.joined, [stacked, ast.Constant(how), axis], [], call)
    return handle


def join_parts(nz, call, parts, axis):
    """``np.append`` chain joining ``parts`` (atoms) along ``axis`` (an AST atom); a copy of one part."""
    if len(parts) == 1:
        return nz.make_call(np.copy, [parts[0]], [], call)
    acc = parts[0]
    for k, p in enumerate(parts[1:]):
        c = nz.make_call(np.append, [acc, p], [ast.keyword("axis", axis)], call)
        acc = c if k == len(parts) - 2 else nz.temp(c)
    return acc


def as_column(nz, call, part):
    """``part`` as ``np.column_stack`` and ``np.c_`` take it: a 1-d part a column, a 2-d part as
    it is (``atleast_2d(p.T).T``, which an empty part takes too, unlike a reshape to (rows, -1))."""
    t = nz.temp(nz.make_call(np.transpose, [part], [], call))
    t = nz.temp(nz.make_call(np.atleast_2d, [t], [], call))
    return nz.temp(nz.make_call(np.transpose, [t], [], call))


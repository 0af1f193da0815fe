"""In-place numpy calls, and calls on sequences of arrays, that normalize
rewrites into stores and calls with one array per parameter.

``HANDLERS`` maps a numpy callable to ``handler(normalizer, call, kw)``: it
emits statements through the normalizer (``normalizer.store``,
``normalizer.temp``, ``normalizer.atom``...) and returns the expression the
call evaluates to (``ast.Constant(None)`` for functions returning None).
``METHOD_HANDLERS`` does the same for array methods (``x.sort()``), keyed by
method name, with the array expression as an extra argument.

Rewrites (each keeps numpy's result and semantics):

- ``np.concatenate/stack/hstack/vstack/column_stack/dstack(seq)`` (and
  ``np.r_[...]``, ``np.c_[...]``: ``grids.index_join``) and ``np.array``
  or ``np.asarray`` of a list of values: a chain of ``np.append`` calls (after
  ``expand_dims``/``atleast_2d``... per element), so each array is one
  operand of a rule;
- ``np.select(conds, choices, default)``: ``np.where`` chained, last to first;
- ``np.copyto(dst, src, where=m)``: ``dst[...] = np.where(m, src, dst)``;
  ``np.putmask(a, m, v)`` the same with ``np.resize(v, a.shape)`` (numpy
  repeats values cyclically over ``a``'s flat positions, it does not
  broadcast them);
- ``np.put(a, ind, v)``: ``a[np.unravel_index(ind, a.shape)] = np.resize(v,
  np.shape(ind))`` (the last write to a repeated index wins, as in numpy);
- ``np.place(a, m, v)``: ``a[m] = np.resize(v, np.count_nonzero(m))`` (the
  k-th True takes ``v``'s k-th value, cyclically);
- ``np.add.at(a, idx, v)`` / ``np.subtract.at``: the values summed per
  position through ``_ad_scatter_sum`` (``np.bincount``, of complex values
  too), then ``a[at] += s`` at the positions added to (``_ad_at_targets``); every
  other ufunc with a rule (``np.multiply.at``, ``np.maximum.at``,
  ``np.sin.at(a, idx)``...): a loop over the rounds of repeated indices,
  each a read, the ufunc and a store (``ufunc_at_rounds``);
- ``x.sort(axis)``: ``x[...] = np.sort(x, axis)``; ``x.fill(v)``:
  ``x[...] = v``; ``x.put(ind, v)`` as ``np.put``.

The argument each in-place call writes is found through ``rules/writes.py``,
the table that also tells ``tapes/effects.py`` which arguments a kernel may
write. After this rewrite no call writes an argument: every write is a store
(``x[index] = a``) or an in-place add (``x[...] += a``).

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(s, a, m):\\n    np.copyto(s, a, where=m)\\n    s.fill(0.0)"))
_t1 = np.where(m, a, s)
s[...] = _t1
s[...] = 0.0
"""
from __future__ import annotations

import ast

import numpy as np

from ..rules import lookup, writes
from ..runtime import lists as _lists
from ..runtime import numpy as _rnumpy
from . import spellings
from .grids import dstack, meshgrid, multi_dot
from .stacking import (
    arg,
    as_column,
    join_parts,
    joins,
    local_list,
    only_keywords,
    stack_list,
)

HANDLERS: dict = {}
METHOD_HANDLERS: dict = {}


def _seq(nz, call, kw, name="arrays"):
    seq = arg(call, kw, 0, name)
    if not isinstance(seq, (ast.Tuple, ast.List)) or not seq.elts:
        nz.err(call, f"`{ast.unparse(call.func)}` needs a literal tuple or list of arrays.",
               "write the arrays out, e.g. np.concatenate((a, b)).")
    # (a part written as a list, np.concatenate(([a], u, [b])): the array numpy makes of it)
    return [nz.atom(ast.copy_location(ast.Call(nz.func_expr(np.array, e), [e], []), e)
                    if isinstance(e, (ast.List, ast.Tuple)) else e) for e in seq.elts]


def _target(nz, node, call):
    """The array an in-place writer (``np.put``, ``np.add.at``...) writes: a
    writable name, or a view written as an expression (``np.put(x[1:], ...)``)
    bound to a name of its own, which the analyses follow as a view of ``x``
    (as a temporary it was taken for a new value, and the write was lost)."""
    base = node
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    if isinstance(base, ast.Name):
        nz.check_writable(base.id, call)
    if isinstance(node, ast.Name):
        return _local(nz, nz.atom(node))
    name = nz.namer.fresh("_w{}")
    nz.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=nz.simple(node)))
    return _local(nz, ast.Name(name, ast.Load()))


def _local(nz, atom):
    """Let later expressions read attributes (``.shape``) of a temporary."""
    nz.res.locals.add(atom.id)
    return atom


def _each(nz, call, parts, func, extra=()):
    return [nz.temp(nz.make_call(func, [p], list(extra), call)) for p in parts]


def concatenate(nz, call, kw):
    only_keywords(nz, call, kw, ("arrays", "axis"))
    axis = nz.arg_atom(arg(call, kw, 1, "axis", ast.Constant(0)))
    return join_parts(nz, call, _seq(nz, call, kw), axis)


def select(nz, call, kw):
    """``np.select(condlist, choicelist, default)``: a chain of ``np.where``, the first
    true condition's choice winning (numpy broadcasts the operands alike)."""
    only_keywords(nz, call, kw, ("condlist", "choicelist", "default"))
    conds, choices = arg(call, kw, 0, "condlist"), arg(call, kw, 1, "choicelist")
    if not all(isinstance(s, (ast.List, ast.Tuple)) for s in (conds, choices)) \
            or len(conds.elts) != len(choices.elts) or not conds.elts:
        nz.err(call, "`np.select` needs literal lists of conditions and of choices, of one length.",
               "write the lists out: np.select([x < 0, x < 1], [a, b], default=c).")
    conds, choices = [nz.atom(c) for c in conds.elts], [nz.atom(v) for v in choices.elts]
    acc = nz.atom(arg(call, kw, 2, "default", ast.Constant(0)))
    for c, v in reversed(list(zip(conds, choices))):
        acc = nz.temp(nz.make_call(np.where, [c, v, acc], [], call))
    return acc


def stack(nz, call, kw):
    only_keywords(nz, call, kw, ("arrays", "axis"))
    axis = nz.arg_atom(arg(call, kw, 1, "axis", ast.Constant(0)))
    if local_list(nz, arg(call, kw, 0, "arrays")):
        return stack_list(nz, call, arg(call, kw, 0, "arrays"), axis)
    parts = _each(nz, call, _seq(nz, call, kw), np.expand_dims, [ast.keyword("axis", axis)])
    return join_parts(nz, call, parts, axis)


def vstack(nz, call, kw):
    parts = _each(nz, call, _seq(nz, call, kw, "tup"), np.atleast_2d)
    return join_parts(nz, call, parts, ast.Constant(0))


def hstack(nz, call, kw):
    parts = [_local(nz, p) for p in _each(nz, call, _seq(nz, call, kw, "tup"), np.atleast_1d)]
    nd = ast.Attribute(ast.Name(parts[0].id, ast.Load()), "ndim", ast.Load())
    axis = nz.atom(ast.BinOp(ast.Call(ast.Name("min", ast.Load()), [nd, ast.Constant(2)], []),
                             ast.Sub(), ast.Constant(1)))
    return join_parts(nz, call, parts, axis)


def column_stack(nz, call, kw):
    parts = [as_column(nz, call, p) for p in _seq(nz, call, kw, "tup")]
    return join_parts(nz, call, parts, ast.Constant(1))


def _array_of(nz, call, node):
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = [nz.atom(_array_of(nz, call, e)) for e in node.elts]
        parts = _each(nz, call, parts, np.expand_dims, [ast.keyword("axis", ast.Constant(0))])
        return join_parts(nz, call, parts, ast.Constant(0))
    return node


def array(func):
    def handler(nz, call, kw):
        obj = arg(call, kw, 0, "object" if func is np.array else "a")
        literal = isinstance(obj, (ast.List, ast.Tuple)) and not all(   # (numbers, signed ones too: -1.0)
            isinstance(n, ast.Constant) or (isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd))
                                            and isinstance(n.operand, ast.Constant))
            for n in ast.walk(obj) if not isinstance(n, (ast.List, ast.Tuple, ast.Load, ast.unaryop)))
        keywords = [ast.keyword(k, nz.arg_atom(v)) for k, v in kw.items() if k not in ("object", "a")]
        dtype_only = [k.arg for k in keywords] == ["dtype"]
        if isinstance(obj, ast.ListComp) and (not keywords or dtype_only) and nz.lists.may_carry(obj):
            # np.array([... for ...]) of values that may carry derivatives: the list built, stacked
            obj = nz.comprehension(obj)
        if local_list(nz, obj) and not keywords:
            return stack_list(nz, call, obj, ast.Constant(0), empty_ok=True)
        if local_list(nz, obj) and dtype_only:   # (np.array(L, dtype=float): stacked, then in that dtype)
            stacked = nz.temp(stack_list(nz, call, obj, ast.Constant(0), empty_ok=True))
            return nz.make_call(np.asarray, [stacked], keywords, call)
        if not literal:
            return nz.make_call(func, [nz.arg_atom(obj)], keywords, call)
        value = nz.atom(_array_of(nz, call, obj))
        return nz.make_call(np.asarray, [value], keywords, call)
    return handler


def _where_store(nz, call, dst, mask, src):
    dst = nz.atom(dst)
    value = nz.temp(nz.make_call(np.where, [nz.atom(mask), nz.atom(src), dst], [], call))
    nz.store(dst, value, call)
    return ast.Constant(None)


def _written(call, kw, name, table=writes.FUNCTIONS):
    return writes.written_argument(name, call.args, kw, table)


def copyto(nz, call, kw):
    dst, src = _written(call, kw, "copyto"), arg(call, kw, 1, "src")
    if "casting" in kw:
        nz.err(call, "np.copyto with casting= is not supported.", "cast with .astype before copying.")
    where = arg(call, kw, 2, "where")
    if where is None:
        nz.store(dst, nz.atom(src), call, into=True, same_kind=True)
        return ast.Constant(None)
    return _where_store(nz, call, dst, where, src)


def _cycled(nz, call, values, shape):
    """``np.resize(values, shape)``: numpy's in-place writers repeat too few values
    cyclically (in C order) rather than broadcasting them."""
    return nz.temp(nz.make_call(np.resize, [nz.atom(values), nz.atom(shape)], [], call))


def putmask(nz, call, kw):
    a = _target(nz, _written(call, kw, "putmask"), call)
    shape = ast.Attribute(ast.Name(a.id, ast.Load()), "shape", ast.Load())
    values = _cycled(nz, call, arg(call, kw, 2, "values"), shape)
    return _where_store(nz, call, a, arg(call, kw, 1, "mask"), values)


def put(nz, call, kw):
    a, ind, v = _written(call, kw, "put"), arg(call, kw, 1, "ind"), arg(call, kw, 2, "v")
    if "mode" in kw:
        nz.err(call, "np.put with mode= is not supported.", "index the array explicitly.")
    a = _target(nz, a, call)
    shape = ast.Attribute(ast.Name(a.id, ast.Load()), "shape", ast.Load())
    ind = nz.atom(ind)
    size = nz.atom(ast.Attribute(ast.Name(a.id, ast.Load()), "size", ast.Load()))
    flat = nz.temp(nz.make_call(_rnumpy.wrapped_indices, [ind, size], [], call))   # (negative: from the end)
    idx = nz.temp(nz.make_call(np.unravel_index, [flat, nz.atom(shape)], [], call))
    v = _cycled(nz, call, v, nz.temp(nz.make_call(np.shape, [ind], [], call)))
    nz.store(ast.Subscript(a, idx, ast.Store()), v, call)
    return ast.Constant(None)


def fill_diagonal(nz, call, kw):
    """``np.fill_diagonal(a, val)``: ``a[np.diag_indices(min(a.shape), a.ndim)] = val``, the
    elements numpy fills without ``wrap`` (a square or rectangular matrix, or equal sides)."""
    a, val = _written(call, kw, "fill_diagonal"), arg(call, kw, 1, "val")
    wrap = arg(call, kw, 2, "wrap")
    if wrap is not None and not (isinstance(wrap, ast.Constant) and wrap.value is False):
        nz.err(call, "np.fill_diagonal with wrap= is not supported.",
               "index the diagonal explicitly (a[np.diag_indices(n)] = val).")
    a = _target(nz, a, call)
    shape = ast.Attribute(ast.Name(a.id, ast.Load()), "shape", ast.Load())
    ndim = ast.Attribute(ast.Name(a.id, ast.Load()), "ndim", ast.Load())
    n = nz.temp(nz.make_call(np.min, [nz.atom(shape)], [], call))
    idx = nz.temp(nz.make_call(np.diag_indices, [n, nz.atom(ndim)], [], call))
    nz.store(ast.Subscript(a, idx, ast.Store()), _cycled(nz, call, val, n), call)   # (values repeated, as numpy does)
    return ast.Constant(None)


def place(nz, call, kw):
    a, mask, v = _written(call, kw, "place"), arg(call, kw, 1, "mask"), arg(call, kw, 2, "vals")
    a, mask = _target(nz, a, call), nz.atom(mask)
    vals = [v]
    nz.apart_from(call, vals, ast.Name(a.id, ast.Load()))   # (values that are a view of a: refused)
    v = _cycled(nz, call, vals[0], nz.temp(nz.make_call(np.count_nonzero, [mask], [], call)))
    nz.store(ast.Subscript(a, mask, ast.Store()), v, call)
    return ast.Constant(None)


def ufunc_at(sign):
    def handler(nz, call, kw):
        if len(call.args) != 3 or kw:
            nz.err(call, "ufunc.at needs three positional arguments here.", "call it as np.add.at(a, idx, v).")
        a = _target(nz, _written(call, kw, "at", writes.UFUNC_METHODS), call)
        idx = nz.arg_atom(call.args[1]) if isinstance(call.args[1], ast.Tuple) else nz.atom(call.args[1])
        # the positions added to, once each, and which of them each element of the region adds to
        inv = _local(nz, nz.temp(nz.make_call(_rnumpy.at_inverse, [ast.Name(a.id, ast.Load()), idx], [], call)))
        shape = nz.atom(ast.Attribute(ast.Name(inv.id, ast.Load()), "shape", ast.Load()))
        w = nz.temp(nz.make_call(np.broadcast_to, [nz.atom(call.args[2]), shape], [], call))
        wflat = nz.temp(nz.make_call(np.ravel, [w], [], call))
        s = nz.temp(nz.make_call(_rnumpy.scatter_sum, [nz.temp(nz.make_call(np.ravel, [inv], [], call)), wflat,
                                                       ast.Constant(0)], [], call))
        at = nz.temp(nz.make_call(_rnumpy.at_targets, [ast.Name(a.id, ast.Load()), idx], [], call))
        nz.emit(ast.AugAssign(target=ast.Subscript(ast.Name(a.id, ast.Load()), at, ast.Store()),
                              op=ast.Add() if sign > 0 else ast.Sub(), value=s))
        return ast.Constant(None)
    return handler


def ufunc_at_rounds(ufunc):
    """``ufunc.at(a, idx[, v])`` for any ufunc with a rule: numpy applies it
    once per occurrence of an index, in order. The occurrences are ranked
    (the k-th time each position appears) and each round applies the ufunc
    at the positions of one rank, where they are distinct: a round reads
    them (``np.take``), applies the ufunc and puts the results back through
    ``_ad_scatter_sum`` and ``np.where``; repeated indices compose as in numpy."""
    def handler(nz, call, kw):
        n = 1 + ufunc.nin
        if len(call.args) != n or kw:
            nz.err(call, f"ufunc.at needs {n} positional arguments here.",
                   f"call it as np.{ufunc.__name__}.at(a, idx{', v' if ufunc.nin == 2 else ''}).")
        a = _target(nz, _written(call, kw, "at", writes.UFUNC_METHODS), call)
        shape = nz.atom(ast.Attribute(ast.Name(a.id, ast.Load()), "shape", ast.Load()))
        size = nz.atom(ast.Attribute(ast.Name(a.id, ast.Load()), "size", ast.Load()))
        lin = nz.temp(nz.make_call(np.arange, [size], [], call))
        grid = nz.temp(nz.make_call(np.reshape, [lin, shape], [], call))
        pos = _local(nz, nz.temp(nz.subscript_load(ast.Subscript(grid, call.args[1], ast.Load()))))
        flat = _local(nz, nz.temp(nz.make_call(np.ravel, [pos], [], call)))
        if ufunc.nin == 2:
            posshape = nz.atom(ast.Attribute(ast.Name(pos.id, ast.Load()), "shape", ast.Load()))
            w = nz.temp(nz.make_call(np.broadcast_to, [nz.atom(call.args[2]), posshape], [], call))
            w = nz.temp(nz.make_call(np.ravel, [w], [], call))
        # rank of each occurrence among the equal positions before it (a stable sort)
        order = nz.temp(nz.make_call(np.argsort, [flat], [ast.keyword("kind", ast.Constant("stable"))], call))
        srt = nz.temp(nz.subscript_load(ast.Subscript(flat, order, ast.Load())))
        first = nz.temp(nz.make_call(np.searchsorted, [srt, srt], [], call))
        count = nz.atom(ast.Attribute(ast.Name(flat.id, ast.Load()), "size", ast.Load()))
        seq = nz.temp(nz.make_call(np.arange, [count], [], call))
        rank_sorted = nz.temp(ast.BinOp(seq, ast.Sub(), first))
        inverse = nz.temp(nz.make_call(np.argsort, [order], [], call))
        rank = nz.temp(nz.subscript_load(ast.Subscript(rank_sorted, inverse, ast.Load())))
        padded = nz.temp(nz.make_call(np.append, [rank, ast.Constant(-1)], [], call))
        top = nz.temp(nz.make_call(np.max, [padded], [], call))
        rounds = nz.temp(ast.BinOp(top, ast.Add(), ast.Constant(1)))
        k = nz.namer.fresh("_k{}")
        nz.res.locals.add(k)
        outer, nz.out = nz.out, []
        mask = nz.temp(nz.make_call(np.equal, [rank, ast.Name(k, ast.Load())], [], call))
        sel = nz.temp(nz.subscript_load(ast.Subscript(flat, mask, ast.Load())))
        operands = [nz.temp(nz.make_call(np.take, [ast.Name(a.id, ast.Load()), sel], [], call))]
        if ufunc.nin == 2:
            operands.append(nz.temp(nz.subscript_load(ast.Subscript(w, mask, ast.Load()))))
        new = nz.temp(nz.make_call(ufunc, operands, [], call))
        # the round's positions are distinct: each bin holds one value, exactly
        minlength = [ast.keyword("minlength", size)]
        vals = nz.temp(nz.make_call(_rnumpy.scatter_sum, [sel, new, size], [], call))
        hits = nz.temp(nz.make_call(np.bincount, [sel], minlength, call))
        hit = nz.temp(nz.make_call(np.greater, [hits, ast.Constant(0)], [], call))
        hit = nz.temp(nz.make_call(np.reshape, [hit, shape], [], call))
        vals = nz.temp(nz.make_call(np.reshape, [vals, shape], [], call))
        upd = nz.temp(nz.make_call(np.where, [hit, vals, ast.Name(a.id, ast.Load())], [], call))
        nz.store(ast.Subscript(ast.Name(a.id, ast.Load()), ast.Constant(Ellipsis), ast.Store()), upd, call)
        body, nz.out = nz.out, outer
        nz.emit(ast.For(target=ast.Name(k, ast.Store()),
                        iter=ast.Call(ast.Name("range", ast.Load()), [rounds], []), body=body, orelse=[]))
        return ast.Constant(None)
    return handler


def ufunc_where(nz, call, ufunc, kw):
    """``ufunc(x, ..., out=o, where=m)``: the ufunc is evaluated only where
    ``m`` holds (``o[m] = ufunc(x[m], ...)``, operands broadcast to ``o``'s
    shape), so values it would reject elsewhere (``np.log(x, out=o,
    where=x > 0)``) never reach it or its derivative; ``o`` keeps its other
    entries, as in numpy."""
    kw = dict(kw)
    mask, out = kw.pop("where"), kw.pop(writes.OUT, None)
    if isinstance(out, ast.Tuple) and len(out.elts) == 1:
        out = out.elts[0]
    if out is None:
        nz.err(call, f"np.{ufunc.__name__} with where= but no out=: numpy leaves the other entries uninitialized.",
               "pass out= (its entries where the mask is False are kept), or use np.where.")
    if kw or len(call.args) != ufunc.nin:
        nz.err(call, f"np.{ufunc.__name__} with where= takes its {ufunc.nin} operand(s), out= and where= only.",
               "pass the operands positionally and no other keyword.")
    o = nz.atom(out)
    if not isinstance(o, ast.Name):
        nz.err(call, "out= must name an array here.", "pass a named array as out=.")
    nz.check_writable(o.id, call)
    shape = nz.atom(ast.Attribute(ast.Name(o.id, ast.Load()), "shape", ast.Load()))
    m = nz.temp(nz.make_call(np.broadcast_to, [nz.atom(mask), shape], [], call))
    picked = []
    for x in call.args:
        x = nz.atom(x)
        # (an operand may be, or view, the memory the store then writes, ``out=y`` or ``Y[i]`` with
        # ``out=Y[i + 1]``: a copy, not a view, read at the call)
        how = _rnumpy.broadcast_copy if isinstance(x, ast.Name) else np.broadcast_to
        full = nz.temp(nz.make_call(how, [x, shape], [], call))
        picked.append(nz.temp(nz.subscript_load(ast.Subscript(full, m, ast.Load()))))
    value = nz.temp(nz.make_call(ufunc, picked, [], call))
    nz.store(ast.Subscript(ast.Name(o.id, ast.Load()), m, ast.Store()), value, call)
    return ast.Name(o.id, ast.Load())


#: reductions whose ``where=`` is rewritten: the value masked-out entries take
#: (None: the ``initial=`` numpy requires with ``where=``)
MASKED_FILL = {np.prod: 1.0, np.nansum: 0.0, np.nanmean: float("nan"), np.max: None, np.min: None,
               np.amax: None, np.amin: None, np.nanmax: None, np.nanmin: None}


def reduction_where(nz, call, func, kw):
    """``where=`` on a reduction whose rule has no mask: masked-out entries
    are replaced by the reduction's identity (``np.prod(np.where(m, a, 1.0))``;
    for max and min by ``initial=``, which numpy requires with ``where=``), so
    they get no adjoint whatever they hold; ``var``/``std`` are written out
    over the masked deviations (``np.where(m, a - mean, 0.0)``) and the count
    of selected entries."""
    kw = dict(kw)
    mask = kw.pop("where")
    args = list(call.args)
    a = args.pop(0) if args else kw.pop("a", None)
    if a is None or len(args) > 1 or writes.OUT in kw or "dtype" in kw:
        nz.err(call, f"np.{func.__name__} with where= takes the array, the axis, keepdims (and ddof, initial).",
               "pass the other arguments by keyword, without out= or dtype=.")
    axis = args[0] if args else kw.pop("axis", ast.Constant(None))
    a, mask = nz.atom(a), nz.atom(mask)
    if func in (np.var, np.std):
        return _masked_var(nz, call, func, a, mask, axis, kw)
    fill = MASKED_FILL[func]
    if fill is None:
        if "initial" not in kw:
            nz.err(call, f"np.{func.__name__} with where= needs initial= (numpy requires it).",
                   "pass initial=, e.g. initial=-np.inf for a maximum.")
        fill = kw.pop("initial")
    masked = nz.temp(nz.make_call(np.where, [mask, a, nz.atom(fill) if isinstance(fill, ast.AST)
                                             else ast.Constant(fill)], [], call))
    keywords = [ast.keyword("axis", axis)] + [ast.keyword(k, v) for k, v in kw.items()]
    return nz.call(ast.copy_location(ast.Call(call.func, [masked], keywords), call))


def _masked_var(nz, call, func, a, mask, axis, kw):
    keep = kw.pop("keepdims", ast.Constant(False))
    ddof = kw.pop("ddof", ast.Constant(0))
    if kw:
        nz.err(call, f"np.{func.__name__} with where= does not take {', '.join(kw)}.", "leave it out.")
    axis = nz.atom(axis)
    mu = nz.temp(nz.make_call(np.mean, [a], [ast.keyword("axis", axis), ast.keyword("keepdims", ast.Constant(True)),
                                               ast.keyword("where", mask)], call))
    dev = nz.temp(ast.BinOp(a, ast.Sub(), mu))
    dev = nz.temp(nz.make_call(np.where, [mask, dev, ast.Constant(0.0)], [], call))
    sq = nz.temp(ast.BinOp(dev, ast.Mult(), dev))
    reduce = [ast.keyword("axis", axis), ast.keyword("keepdims", nz.atom(keep))]
    total = nz.temp(nz.make_call(np.sum, [sq], reduce, call))
    shape = nz.temp(ast.Attribute(ast.Name(a.id, ast.Load()), "shape", ast.Load())) if isinstance(a, ast.Name) \
        else nz.temp(nz.make_call(np.shape, [a], [], call))   # (a may be a temporary the resolver does not know)
    full = nz.temp(nz.make_call(np.broadcast_to, [mask, shape], [], call))
    count = nz.temp(nz.make_call(np.sum, [full], reduce, call))
    var = nz.temp(ast.BinOp(total, ast.Div(), nz.temp(ast.BinOp(count, ast.Sub(), nz.atom(ddof)))))
    return nz.make_call(np.sqrt, [var], [], call) if func is np.std else var


def sort_method(nz, call, arr):
    axis = nz.arg_atom(arg(call, {k.arg: k.value for k in call.keywords}, 0, "axis", ast.Constant(-1)))
    a = nz.atom(arr)
    value = nz.temp(nz.make_call(np.sort, [a], [ast.keyword("axis", axis)], call))
    nz.store(a, value, call)
    return ast.Constant(None)


#: handlers of functions that return a value and take numpy's ``out=`` (stored by the caller)
VALUE_HANDLERS = frozenset({np.concatenate, np.stack})
HANDLERS.update({
    np.concatenate: joins("concatenate", concatenate, "arrays"), np.stack: stack, np.vstack: joins("vstack", vstack, "tup"),
    np.hstack: joins("hstack", hstack, "tup"), np.column_stack: joins("column_stack", column_stack, "tup"),
    np.dstack: joins("dstack", dstack, "tup"), np.linalg.multi_dot: multi_dot,
    np.meshgrid: meshgrid, np.array: array(np.array), np.asarray: array(np.asarray),
    np.select: select, np.copyto: copyto, np.putmask: putmask, np.put: put, np.place: place, np.fill_diagonal: fill_diagonal,
    np.add.at: ufunc_at(1), np.subtract.at: ufunc_at(-1),
})
HANDLERS.update(spellings.HANDLERS)


def stack_items(nz, call, kw):
    """``_ad_stack_items(L, axis)`` in generated code differentiated again: as written."""
    axis = nz.arg_atom(arg(call, kw, 1, "axis", ast.Constant(0)))
    return stack_list(nz, call, arg(call, kw, 0, "items"), axis, empty_ok=True)


def list_items(nz, call, kw):
    """``_ad_list_items(L, axis)`` in generated code differentiated again: as written."""
    axis = nz.arg_atom(arg(call, kw, 1, "axis", ast.Constant(0)))
    return stack_list(nz, call, arg(call, kw, 0, "items"), axis, read_only=True)


HANDLERS[_lists.stack_items] = stack_items
HANDLERS[_lists.list_items] = list_items
# every other ufunc with a rule (differentiable or not): applied round by round
HANDLERS.update({
    u.at: ufunc_at_rounds(u) for u in [getattr(np, n) for n in dir(np)]
    if isinstance(u, np.ufunc) and u.nout == 1 and u.nin in (1, 2) and lookup(u) is not None
    and u not in (np.add, np.subtract)
})


def put_method(nz, call, arr):
    return put(nz, ast.Call(call.func, [arr] + list(call.args), []), {k.arg: k.value for k in call.keywords})


def fill_method(nz, call, arr):
    if not isinstance(arr, ast.Name):   # (x[2:].fill(s): into the view, bound to a name; a copy's fill is lost)
        arr = nz.atom(arr)
    nz.store(ast.Subscript(arr, ast.Constant(Ellipsis), ast.Store()), nz.atom(call.args[0]), call)
    return ast.Constant(None)


METHOD_HANDLERS.update({"sort": sort_method, "put": put_method, "fill": fill_method})

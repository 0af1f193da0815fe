"""attr_views: a store through an attribute view named first.

``z.imag[:] = v``, ``z.real[i] += v`` and ``A.T[0] = v`` write into ``z``
(or ``A``) through a view numpy returns for the attribute (``A.real.T[0] = v``
through a view of a view, each named in turn); ``z.imag += v``
and ``z.real = v`` (an array's parts set in place) are ``z.imag[...] += v``
and ``z.real[...] = v``. The transform
differentiates a store into a named array, and a named view of an argument
(``r = z.real; r[0] = v``) is followed to its memory, so the store is
written that way:

    _z_imag = z.imag
    _z_imag[:] = v

A store into what a call returns (``interior(u)[:] += e``, ``x.reshape(2,
3)[1] *= c``, ``A.swapaxes(0, 1)[0] = v``) is written the same way, the call
named first (``called_view``), and so is a chained subscript store
(``A[i][j] += v`` is ``_part = A[i]; _part[j] += v``, as Python runs it: a
view when ``A[i]`` is one, a copy that takes the store and is dropped when
``A[i]`` is fancy indexing).

Contract: ``name_attribute_views(pf)`` rewrites ``pf.tree`` in place, before
``fence`` (which refuses any other store into an expression).
"""
from __future__ import annotations

import ast

from ..codegen.naming import Namer

VIEW_ATTRIBUTES = ("real", "imag", "T")


def name_attribute_views(pf) -> None:
    taken = {n.id for n in ast.walk(pf.tree) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(pf.tree) if isinstance(a, ast.arg)}
    _Rewrite(Namer(taken), pf.chained_parts).visit(pf.tree)


def _viewed(target):
    """``(name, attributes)`` of a store target ``name.attribute[index]`` (or a chain of them,
    ``A.T.real[index]``), else None."""
    if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)):
        return None
    chain, base = [], target.value
    while isinstance(base, ast.Attribute) and base.attr in VIEW_ATTRIBUTES:
        chain.append(base.attr)
        base = base.value
    return (base.id, chain[::-1]) if chain and isinstance(base, ast.Name) else None


def _whole_part(target):
    """``z.real`` as a store target: ``z.real[...]`` (in a tuple target too)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        target.elts = [_whole_part(e) for e in target.elts]
        return target
    if isinstance(target, ast.Attribute) and target.attr in ("real", "imag") and isinstance(target.value, ast.Name):
        part = ast.copy_location(ast.Attribute(target.value, target.attr, ast.Load()), target)
        return ast.copy_location(ast.Subscript(part, ast.Constant(Ellipsis), ast.Store()), target)
    return target


def _expression_base(target):
    """The call or subscript a store target ``f(u)[i]``, ``A[i][j]``, ``f(u).T[i]`` stores through;
    None for another target."""
    if not isinstance(target, ast.Subscript):
        return None
    base = target.value
    while isinstance(base, ast.Attribute) and base.attr in VIEW_ATTRIBUTES:
        base = base.value
    return base if isinstance(base, (ast.Call, ast.Subscript)) else None


class _Rewrite(ast.NodeTransformer):
    def __init__(self, names: Namer, parts: set):
        self.names = names
        self.parts = parts

    def generic_visit(self, node):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, [out for s in block for out in self.statement(s)])
        return super().generic_visit(node)

    def statement(self, s) -> list:
        spread = self.spread(s)
        if spread is not None:
            return [out for t in spread for out in self.statement(t)]
        if isinstance(s, ast.Assign):
            s.targets = [_whole_part(t) for t in s.targets]
        elif isinstance(s, ast.AugAssign):
            s.target = _whole_part(s.target)
        called = self.called_view(s)
        if called is not None:
            return called
        targets = list(s.targets) if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AugAssign) else []
        # (every target: chained, a = b = v, and the elements of a tuple target, a, b = u, v)
        targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t])]
        binds = []
        for target in targets:
            seen = _viewed(target)
            if seen is None:
                continue
            root, chain = seen
            held = root   # (A.T.real[i] = v: _A_T = A.T, then _A_T_real = _A_T.real, each view named)
            for attr in chain:
                name = self.names.reserve(f"_{root}_{attr}" if held == root else f"{held}_{attr}")
                binds.append(ast.fix_missing_locations(ast.copy_location(ast.Assign(
                    targets=[ast.Name(name, ast.Store())],
                    value=ast.Attribute(ast.Name(held, ast.Load()), attr, ast.Load())), s)))
                held = name
            target.value = ast.copy_location(ast.Name(held, ast.Load()), target.value)
        return binds + [s]

    def spread(self, s) -> list | None:
        """``A[i][j], A[j][i] = u, v`` and ``A[0][1] = A[1][0] = v`` with a target stored through a
        call or a subscript: the value computed first into names, then each target given its
        part, left to right, as Python assigns them (``_v1, _v2 = u, v; A[i][j] = _v1; ...``)."""
        if not isinstance(s, ast.Assign):
            return None
        single = len(s.targets) == 1 and isinstance(s.targets[0], (ast.Tuple, ast.List))
        parts = s.targets[0].elts if single else s.targets
        if not (single or len(s.targets) > 1) or not any(_expression_base(t) is not None for t in parts) or any(
                isinstance(t, (ast.Starred, ast.Tuple, ast.List)) for t in parts):
            return None
        names = [self.names.reserve("_stored") for _ in parts] if single else [self.names.reserve("_stored")]
        held = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store()) if single else \
            ast.Name(names[0], ast.Store())
        first = ast.copy_location(ast.Assign(targets=[held], value=s.value), s)
        rest = [ast.copy_location(ast.Assign(targets=[t], value=ast.Name(names[k if single else 0], ast.Load())), s)
                for k, t in enumerate(parts)]
        return [ast.fix_missing_locations(x) for x in [first, *rest]]

    def called_view(self, s) -> list | None:
        """``f(u)[i] op= v``, ``x.reshape(2, 3).T[0] = v`` or ``A[i][j] = v``: a store into what a
        call or a subscript returns, named first (``_t = f(u); _t[i] op= v``), as the user would name it: a view is followed to
        its memory, a copy (a new array) takes the store and is dropped, as in Python. Of a plain
        assignment the value is computed first (Python evaluates it before the target); None
        where the statement is not such a store."""
        if isinstance(s, ast.AugAssign):
            target = s.target
        elif isinstance(s, ast.Assign) and len(s.targets) == 1:
            target = s.targets[0]
        else:
            return None
        base = _expression_base(target)
        if base is None:
            return None
        out = []
        if isinstance(s, ast.Assign):
            value = self.names.reserve("_stored")
            out.append(ast.copy_location(ast.Assign(targets=[ast.Name(value, ast.Store())], value=s.value), s))
            s.value = ast.copy_location(ast.Name(value, ast.Load()), s.value)
        name = self.names.reserve("_called" if isinstance(base, ast.Call) else "_part")
        if base is target.value:   # (A[i][j] = v: lower writes A[i, j] = v where A[i] is an element's row)
            self.parts.add(name)
        out.append(ast.copy_location(ast.Assign(targets=[ast.Name(name, ast.Store())], value=target.value), s))
        target.value = ast.copy_location(ast.Name(name, ast.Load()), target.value)
        return [ast.fix_missing_locations(x) for x in out + [s]]

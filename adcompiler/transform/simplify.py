"""simplify: exact algebraic simplification of reverse-sweep code.

Rule templates are written for every case (``g * x2 * x1 ** (x2 - 1)``,
``_ad_unreduce(g, a, axis, keepdims) * where``); once instantiated, most of
their generality is waste. ``simplify_records`` rewrites the adjoint code of
each statement before the sweeps are planned (so a value no longer read is no
longer saved); ``drop_unbroadcast`` runs on one source line's reverse code.
Every rewrite leaves each value as it was, bit for bit:

- constant folding of ``+ - *`` on int and float constants (``2 - 1`` -> ``1``:
  Python does the same arithmetic when the code runs);
- ``x ** 1`` -> ``x`` where the power is an operand of arithmetic (the result
  is a fresh value either way; ``g * 2 * x1 ** (2 - 1)`` becomes ``g * 2 * x1``);
- the adjoint of a full reduction is the broadcast view of its scalar
  adjoint: ``_ad_unreduce(g, a, None, False) * True`` -> ``_ad_unreduce(g, a,
  None, False)`` when ``a`` is an array (the multiplication by ``True``, a
  copy, goes). It is not left a bare scalar: summed back to a smaller operand
  (``np.sum(A - m)`` with ``m`` of shape (1, n)), a scalar cannot say how many
  elements it stood for, and ``m``'s adjoint came out n times too small;
- ``_ad_unbroadcast(e, r)`` -> ``e`` in a statement that writes ``r`` when the
  shapes of ``e`` and ``r`` are provably equal (``drop_unbroadcast``);
- a number multiplying a full reduction's broadcast adjoint goes into its
  scalar, and a partial reduction's broadcast adjoint read once by arithmetic
  is not copied first (``fold_into_unreduce``, on one line's code).

>>> import ast
>>> tree = ast.parse("d = g * 2 * x ** (2 - 1)")
>>> print(ast.unparse(simplify_code(tree.body, {})[0]))
d = g * 2 * x
"""
from __future__ import annotations

import ast
import copy

from ..analysis.finite import reads_values
from ..codegen.naming import COPIES

_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b}
_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def _number(node) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _call_of(node, name) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name \
        and not node.keywords


class _Simplify(ast.NodeTransformer):
    """The expression rewrites of the module docstring, bottom up."""

    def __init__(self, kinds):
        self.kinds = kinds

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = type(node.op)
        if op in _FOLD and _number(node.left) and _number(node.right):
            return ast.copy_location(ast.Constant(_FOLD[op](node.left.value, node.right.value)), node)
        if op in _ARITH:
            node.left, node.right = self.first_power(node.left), self.first_power(node.right)
        if op is ast.Mult:
            for e, t in ((node.left, node.right), (node.right, node.left)):
                if _is_true(t) and self.full_unreduce(e):
                    return e
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            node.operand = self.first_power(node.operand)
        return node

    def visit_AugAssign(self, node):
        """``d += _ad_unbroadcast(-e, r)`` -> ``d -= _ad_unbroadcast(e, r)`` (and ``d += -e``):
        one pass less; a sum of negated terms is the negated sum, bit for bit."""
        self.generic_visit(node)
        v = node.value
        inner = v.args[0] if _call_of(v, "_ad_unbroadcast") and len(v.args) == 2 else v
        if isinstance(node.op, ast.Add) and isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub):
            node.op = ast.Sub()
            if inner is v:
                node.value = inner.operand
            else:
                v.args[0] = inner.operand
        return node

    @staticmethod
    def first_power(e):
        """``x ** 1`` -> ``x`` (an operand of arithmetic: the result is a new value anyway)."""
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Pow) and isinstance(e.right, ast.Constant) \
                and type(e.right.value) is int and e.right.value == 1:
            return e.left
        return e

    def full_unreduce(self, e) -> bool:
        """``_ad_unreduce(g, a, None, False)`` with ``a`` an array: the adjoint of
        a reduction over all axes, a scalar."""
        if not (_call_of(e, "_ad_unreduce") and len(e.args) == 4):
            return False
        _, a, axis, keep = e.args
        k = self.kinds.get(a.id) if isinstance(a, ast.Name) else None
        return k is not None and k.cls == "array" and isinstance(axis, ast.Constant) and axis.value is None \
            and isinstance(keep, ast.Constant) and keep.value is False


def simplify_code(code: list, kinds) -> list:
    """``code`` (statements of adjoint code) with the expression rewrites applied."""
    return [_Simplify(kinds).visit(s) for s in code]


def simplify_records(records, kinds) -> None:
    """Simplify the adjoint code of every record (``adjoint.Record``), in place."""
    for r in records:
        r.core = simplify_code(r.core, kinds)
        for ch in r.children:
            simplify_records(ch, kinds)


# -- scalars into the broadcast adjoint of a reduction --------------------------------

def _full_unreduce(e) -> bool:
    """``_ad_unreduce(g, a, None, False)``: the adjoint of a reduction over all
    axes, ``g`` broadcast to ``a``'s shape."""
    if not (_call_of(e, "_ad_unreduce") and len(e.args) == 4):
        return False
    axis, keep = e.args[2], e.args[3]
    return isinstance(axis, ast.Constant) and axis.value is None and isinstance(keep, ast.Constant) \
        and keep.value is False


def _copied_unreduce(e) -> bool:
    """``_ad_unreduce(...) * True``: a broadcast adjoint copied into a new array."""
    return isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult) and _is_true(e.right) \
        and _call_of(e.left, "_ad_unreduce")


def _single_use(code, i, name):
    """The one statement after ``code[i]`` that mentions ``name`` and the
    node that reads it, when ``name`` appears nowhere else in ``code`` (the
    statement a simple assignment at the top level), else None."""
    found = None
    for j, s in enumerate(code):
        hits = [n for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name]
        if j == i:
            if len(hits) != 1:
                return None
            continue
        if not hits:
            continue
        if found is not None or j < i or len(hits) != 1 or not isinstance(hits[0].ctx, ast.Load) \
                or not isinstance(s, (ast.Assign, ast.AugAssign)):
            return None
        found = (j, hits[0])
    return found


def _parents(stmt) -> dict:
    return {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}


def _writes_memory(s) -> bool:
    """Whether ``s`` may write into an array (or is not a plain assignment)."""
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name):
        return False                                        # a comment marker
    if isinstance(s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets):
        return any(isinstance(n, ast.Call) and not _call_of(n, "_ad_unbroadcast") for n in ast.walk(s.value))
    return True


def fold_into_unreduce(code: list) -> list:
    """Two rewrites of a reduction's broadcast adjoint ``u`` bound by
    ``code[i]`` and read once, later in ``code``:

    - ``u = _ad_unreduce(g, a, None, False)`` read as ``u * c`` (``c`` a number,
      either side) or ``-u``, with no statement in between that may write
      memory: the number goes into the scalar,
      ``u = _ad_unreduce(g * c, a, None, False)`` and the read is ``u``. Each
      element of the broadcast view times ``c`` is ``g * c``, computed once
      instead of over a whole array (numpy promotes a Python number with a
      0-d array as with a broadcast one);
    - ``u = _ad_unreduce(...) * True`` read as an operand of arithmetic, with
      no statement in between that may write memory: the copy goes, since the
      arithmetic makes a new array from the same values anyway, and nothing
      changed the memory the view reads before it is read.
    """
    code = list(code)
    for i, s in enumerate(code):
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
            continue
        name = s.targets[0].id
        if _full_unreduce(s.value):
            while True:
                use = _single_use(code, i, name)
                if use is None:
                    break
                j, read = use
                parent = _parents(code[j]).get(id(read))
                g = s.value.args[0]
                if any(_writes_memory(t) for t in code[i + 1:j]):
                    break      # (a 0-d array seed is viewed, not copied: it must not change before the read)
                if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and (
                        _number(parent.right) and parent.left is read or _number(parent.left) and parent.right is read):
                    c = parent.right if parent.left is read else parent.left
                    s.value.args[0] = ast.BinOp(g, ast.Mult(), c) if c is parent.right else ast.BinOp(c, ast.Mult(), g)
                elif isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
                    s.value.args[0] = ast.UnaryOp(ast.USub(), g)
                else:
                    break
                code[j] = _Replace(name, ast.Name(name, ast.Load()), parent).visit(code[j])
        elif _copied_unreduce(s.value):
            use = _single_use(code, i, name)
            if use is None:
                continue
            j, read = use
            parent = _parents(code[j]).get(id(read))
            if (isinstance(parent, ast.BinOp) and isinstance(parent.op, _ARITH)
                    or isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub)) \
                    and not any(_writes_memory(t) for t in code[i + 1:j]):
                s.value = s.value.left
    return code


# -- unbroadcast where the shapes are equal --------------------------------------------

_SIG_N = 72


def _slice_signature(sl):
    """The lengths ``x[sl]`` has along its first axis for every length of
    ``x`` (a slice with constant bounds and no step), or None."""
    if not isinstance(sl, ast.Slice) or sl.step is not None:
        return None
    bounds = []
    for b in (sl.lower, sl.upper):
        if b is None:
            bounds.append(None)
        elif isinstance(b, ast.UnaryOp) and isinstance(b.op, ast.USub) and _number(b.operand) \
                and type(b.operand.value) is int:
            bounds.append(-b.operand.value)
        elif isinstance(b, ast.Constant) and type(b.value) is int:
            bounds.append(b.value)
        else:
            return None
    if any(b is not None and abs(b) > _SIG_N // 3 for b in bounds):
        return None
    # the lengths are linear in len(x) once it exceeds the bounds: a table up
    # to three times the bounds decides equality for every length
    return tuple(len(range(n)[slice(*bounds)]) for n in range(_SIG_N))


_FULL = tuple(range(_SIG_N))


class _Shapes:
    """What is known of the shapes of the values of one line's reverse code: a
    key per expression, equal keys meaning equal shapes (None: unknown).

    A key is ``(base, signature)``: the shape of the array ``base`` with its
    first axis cut as the signature says. Shadows share their primal's base;
    the adjoint of a float is a scalar (``()``)."""

    def __init__(self, kinds, shadow_of, memory, adjoint_of):
        self.kinds = kinds
        self.shadow_of = shadow_of       # shadow name -> its primal's name (same shape)
        self.memory = memory             # primal arrays never rebound
        self.adjoint_of = adjoint_of     # adjoint name -> its value's name
        self.names: dict = {}            # value names bound on this line -> key

    def base(self, name):
        return self.shadow_of.get(name, name)

    def scalar(self, e) -> bool:
        if _number(e):
            return True
        if isinstance(e, ast.Name):
            if e.id in self.names:
                return self.names[e.id] == ()
            k = self.kinds.get(self.adjoint_of.get(e.id, e.id))
            return k is not None and k.cls in ("float", "int", "bool")
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            return self.scalar(e.operand)
        if isinstance(e, ast.BinOp) and isinstance(e.op, _ARITH):
            return self.scalar(e.left) and self.scalar(e.right)
        return False

    def key(self, e):
        if self.scalar(e):
            return ()
        if isinstance(e, ast.Name):
            if e.id in self.names:
                return self.names[e.id]
            k = self.kinds.get(self.base(e.id))
            if k is not None and k.cls == "array" and (e.id in self.shadow_of or e.id in self.memory):
                return (self.base(e.id), _FULL)
            return None
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
            whole = self.key(e.value)
            sig = _slice_signature(e.slice)
            if whole is None or whole == () or whole[1] != _FULL or sig is None:
                return None
            return (whole[0], sig)
        if any(_call_of(e, c) for c in COPIES) and len(e.args) == 1 or _call_of(e, "_ad_overflow_term") and len(e.args) == 2:
            return self.key(e.args[-1])   # (a copy's shape; the term's of _ad_overflow_term(g, term): g's is within it)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            return self.key(e.operand)
        if isinstance(e, ast.BinOp) and isinstance(e.op, _ARITH):
            left, right = self.key(e.left), self.key(e.right)
            if left == ():
                return right
            if right == ():
                return left
            return left if left == right else None
        return None


def drop_unbroadcast(code: list, kinds, shadow_of, memory, adjoint_of) -> list:
    """``t += _ad_unbroadcast(e, t)`` (or ``t = ...``, ``t`` an array or a
    region of one, written by the statement) -> ``t += e`` where ``e``
    provably has ``t``'s shape. ``shadow_of`` maps the shadows of arguments
    to their primals; ``memory`` names the primal arrays the code never
    rebinds; ``adjoint_of`` maps adjoint names to their values' names (the
    adjoint of a float is a scalar). Were a proof wrong, the write would
    raise (numpy refuses a larger value), never compute something else."""
    shapes = _Shapes(kinds, shadow_of, frozenset(memory), adjoint_of)
    out = []
    for s in code:
        target = s.target if isinstance(s, ast.AugAssign) else s.targets[0] \
            if isinstance(s, ast.Assign) and len(s.targets) == 1 else None
        if target is not None and (not isinstance(target, ast.Name) or target.id in shadow_of
                                   or target.id in memory):
            s = _Drop(shapes, ast.unparse(target)).visit(copy.deepcopy(s))
        if isinstance(s, ast.Assign) and isinstance(target, ast.Name):
            key = shapes.key(s.value)
            shapes.names.pop(target.id, None)
            if key is not None:
                shapes.names[target.id] = key
            for n, k in list(shapes.names.items()):
                if k and k[0] == target.id:
                    del shapes.names[n]
        elif isinstance(s, ast.AugAssign) and isinstance(target, ast.Name):
            shapes.names.pop(target.id, None)
        elif not isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr)):
            shapes.names.clear()
        out.append(s)
    return out


class _Drop(ast.NodeTransformer):
    """Removes ``_ad_unbroadcast(e, r)`` where ``r`` is the statement's target and ``e`` has its shape."""

    def __init__(self, shapes, target):
        self.shapes, self.target = shapes, target

    def visit_Call(self, node):
        self.generic_visit(node)
        if _call_of(node, "_ad_unbroadcast") and len(node.args) == 2 and ast.unparse(node.args[1]) == self.target:
            e, r = node.args
            k = self.shapes.key(r)
            if k is not None and k != () and self.shapes.key(e) == k:
                return e
        return node


def line_facts(sweeps) -> tuple:
    """What ``drop_unbroadcast`` needs to know of a function: its kinds, the
    shadows of arrays bound once (-> the array), those arrays, and every
    adjoint name (-> its value's name)."""
    ctx = sweeps.ctx
    once = {n for n, c in sweeps.nbind.items() if c == 1}
    memory = {n for n in once if ctx.is_memory(n) and ctx.kinds.get(n) is not None
              and ctx.kinds[n].cls == "array" and (n in ctx.params or ctx.needs_shadow(n))}
    shadow_of = {}
    for n in memory:
        d = ctx.namer.adjoints.get(n)
        if d is not None and d in once and (ctx.needs_shadow(n) or ctx.activities.get(n) == "Duplicated"):
            shadow_of[d] = n
    adjoint_of = {d: n for n, d in ctx.namer.adjoints.items()}
    return ctx.kinds, shadow_of, memory, adjoint_of


# -- the forward sweep back in expression form -----------------------------------------

def fuse_forward(body: list, fusable) -> list:
    """Substitute each ``t = e`` of the forward sweep into its one use, when
    ``fusable(t)`` (a generated temporary the reverse sweep does not read), the
    use is in the same block, ``e`` calls nothing, and every statement in
    between binds a name ``e`` does not read to call-free arithmetic (nothing
    can write the memory ``e`` reads). The primal's expressions come back:
    numpy frees (or reuses in place) what a name would keep alive."""
    counts: dict = {}
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                counts[n.id] = counts.get(n.id, 0) + 1
    return _fuse_block(body, lambda t: fusable(t) and counts.get(t, 0) == 1)


def _fuse_block(code, ok):
    code = list(code)
    for s in code:
        for f in ("body", "orelse"):
            if isinstance(getattr(s, f, None), list) and getattr(s, f):
                setattr(s, f, _fuse_block(getattr(s, f), ok))
    i = len(code) - 1
    while i >= 0:
        s = code[i]
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and ok(s.targets[0].id) and _simple_value(s.value):
            t, reads = s.targets[0].id, _names(s.value)
            for j in range(i + 1, len(code)):
                u = code[j]
                if any(isinstance(n, ast.Name) and n.id == t for n in ast.walk(u)):
                    if isinstance(u, (ast.Assign, ast.AugAssign, ast.Expr, ast.Return)):
                        code[j] = _Replace(t, s.value).visit(u)
                        del code[i]
                    break
                if not (isinstance(u, ast.Assign) and len(u.targets) == 1 and isinstance(u.targets[0], ast.Name)
                        and u.targets[0].id not in reads and _simple_value(u.value)):
                    break
        i -= 1
    return code


def _names(expr) -> set:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def _simple_value(expr) -> bool:
    return isinstance(expr, (ast.Name, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Constant)) and not any(
        isinstance(n, ast.Call) for n in ast.walk(expr))


class _Replace(ast.NodeTransformer):
    """Replaces the reads of one name by an expression (with ``node``: replaces that node)."""

    def __init__(self, name, value, node=None):
        self.name, self.value, self.node = name, value, node

    def visit(self, node):
        if self.node is not None and node is self.node:
            return self.value
        return super().visit(node)

    def visit_Name(self, node):
        if self.node is None and node.id == self.name and isinstance(node.ctx, ast.Load):
            return self.value
        return node


def zero_where_unread(expr, g, risks=None, bounds=None):
    """The adjoint term ``expr`` (``g`` times a partial derivative) of a
    number: 0 where ``g`` is 0. A number no path to the result reads (a branch
    not taken) passes on nothing, whatever its partial derivative: 0 * inf was
    nan (``r = x ** 0.5`` computed for x < 0, used only where x > 0). Only
    where the partial may be infinite (``analysis.finite.reads_values``; ``risks``: the names
    that may be infinite or nan, ``analysis.finite``; None: any name; ``bounds``: the names
    kept away from 0 where the arguments are finite, ``analysis.finite.lower_bounds``)."""
    if not reads_values(expr, g, risks, bounds):
        return expr
    return ast.IfExp(test=ast.Compare(copy.deepcopy(g), [ast.NotEq()], [ast.Constant(0.0)]),
                     body=expr, orelse=ast.Constant(0.0))


def keep_temporaries(index, ctx, s) -> list:
    """Bind the names ``index`` (of statement ``s``) reads that its line binds
    (its temporaries, ``a`` of ``a, y[a:a + 2] = ...``) to fresh names, and read
    those in ``index`` (changed in place): the assignments. (A region zeroed at
    the end of its line's reverse code, after the line's pops put them back.)"""
    kept, out = {}, []
    line = ctx.bound_on_line(s)
    for n in ast.walk(index):
        if isinstance(n, ast.Name) and (ctx.is_temp(n.id) or n.id in line):
            if n.id not in kept:
                kept[n.id] = ctx.namer.fresh("_ix{}")
                out.append(ast.Assign(targets=[ast.Name(kept[n.id], ast.Store())], value=ast.Name(n.id, ast.Load())))
            n.id = kept[n.id]
    return out


def unread_product(expr, g, template, factor):
    """``zero_where_unread`` for code differentiated again (second order): the
    term as ``_ad_unread_product(g, partial)`` (``factor(one)``: the template with
    ``one`` for ``g``), whose tangent is 0 where the tangent of ``g`` is 0 (a number
    no path reads has neither an adjoint nor a tangent of it) but counts where
    only ``g`` is 0 (``y * sqrt(x)`` at ``y == 0``: d2/dx dy is not 0). The 1 is a
    numpy float: the partial it makes (``1 / (2 * r)`` of math.sqrt at 0) is inf,
    not a ZeroDivisionError."""
    if not reads_values(expr, g):
        return expr
    one = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "float64", ast.Load()), [ast.Constant(1.0)], [])
    return ast.Call(ast.Name("_ad_unread_product", ast.Load()), [copy.deepcopy(g), factor(one)], [])

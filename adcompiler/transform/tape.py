"""tape: how the sweeps reach the tape, and the shadows of split halves.

The forward sweep pushes onto the tape list and the reverse sweep pops in
reverse order. A split pair of halves owns no shadow memory: the forward
half records, for each shadow the reverse half will need, a reference (the
Duplicated argument or local it belongs to and the primal view it mirrors,
``_ad_shadow_ref``); the reverse half rebuilds the shadow from the shadows it
is given (``_ad_rebase``) and creates the shadows of locals itself.
"""
from __future__ import annotations

import ast

from ..codegen.naming import COND, COUNT
from .builder import N
from .optimize import same_on_python_floats


def assign(names, value):
    """``names = value`` (a tuple target for several names)."""
    if len(names) == 1:
        return ast.Assign(targets=[N(names[0], ast.Store)], value=value)
    return ast.Assign(targets=[ast.Tuple([N(n, ast.Store) for n in names], ast.Store())], value=value)


def _divisors(body) -> set:
    """The names read in a divisor (``1.0 / (s - 1.0)``) or a power's base (``s ** 0.5``):
    kept numpy numbers on the tape, not Python floats (a typed stack pops those), on
    which a division by zero raises where numpy's gives inf (an unread ``1 / s`` at
    ``s == 0`` recomputed by the reverse sweep) and a negative base's fractional power
    is complex where numpy's is nan."""
    out = set()
    tree = ast.Module(body=list(body), type_ignores=[])
    for n in ast.walk(tree):
        if isinstance(n, ast.BinOp) and not same_on_python_floats(n):
            side = n.left if isinstance(n.op, ast.Pow) else n.right
            out |= {m.id for m in ast.walk(side) if isinstance(m, ast.Name)}
    binds = [(n.targets[0].id, {m.id for m in ast.walk(n.value) if isinstance(m, ast.Name)}) for n in ast.walk(tree)
             if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)]
    grew = True
    while grew:   # (and what they are computed from: the reverse sweep may recompute ``t = s * 2.0`` from ``s``)
        grew = False
        for target, read in binds:
            if target in out and not read <= out:
                out |= read
                grew = True
    return out


class TapeAccess:
    """Tape pushes and pops, and the shadow references of split halves (a mixin of ``Sweeps``)."""

    def dup_params(self) -> list:
        return [p for p in self.ctx.params if self.ctx.activities[p] == "Duplicated"]

    def rebased(self) -> set:
        """The shadow names a reverse half rebases (restored from the tape)."""
        return (set(self.end_names()) | self.restored_names()) & self.local_shadows()

    def push(self, expr):
        name = _pushed_name(expr)
        tag = self.tape_tag(name)
        stack = self.typed_stack(tag, name)
        if stack:
            expr = _uncopied(expr)   # the typed stack holds the value itself
        call = ast.Call(ast.Attribute(self._stack(stack), "append", ast.Load()), [expr], [])
        call.tape_tag = tag
        return ast.Expr(call)

    def pop(self, name=None, pushed=None):
        """Pop the value pushed for ``name``; ``pushed`` is the expression
        the push used where it is not ``name`` itself or its copy (a shape
        is pushed for an array read only for its shape)."""
        name = name if pushed is None else _pushed_name(pushed)
        tag = self.tape_tag(name)
        call = ast.Call(ast.Attribute(self._stack(self.typed_stack(tag, name)), "pop", ast.Load()), [], [])
        if tag == "i" and self.ctx.module.options.second_order:
            # (code differentiated again pops from a list: the kind of what comes off it is
            # otherwise a guess, and an index of unknown kind may make a copy)
            call = ast.Call(N("_ad_popped_int"), [call], [])
        elif tag and tag[0] == "a" and tag[-1] in "ib" and tag[1:-1].isdigit() and self.ctx.module.options.second_order:
            # (an int array guessed a float one would get a tangent: np.nonzero(m)[0] indexed)
            call = ast.Call(N("_ad_popped_ints"), [call, ast.Constant(int(tag[1:-1]))], [])
        elif self.ctx.module.options.second_order and _int_tuple(self.ctx.kinds.get(name)):
            # (a tuple of indices, np.ix_(e, e): taken for one carrying derivatives otherwise)
            call = ast.Call(N("_ad_popped_tuple"), [call, ast.Constant(_int_tuple(self.ctx.kinds.get(name)))], [])
        call.tape_tag = tag
        return call

    def typed_stack(self, tag, name):
        """The typed stack (``f`` or ``i``) of the tape the value of ``name``
        (tagged ``tag``) goes to, or None for the tape list itself: arrays,
        tuples, bools (a bool in a list costs no more than in a typed array)
        and names some binding may leave None or a non-number."""
        if not self.ctx.module.options.typed_tape or tag not in ("f", "i"):
            return None
        if self._typed is None:
            self._typed = typed_names(self.body, self.ctx) - _divisors(self.body)
        return tag if name in self._typed else None

    def placeholder(self, n) -> ast.expr:
        """What a name bound later starts as: None, or a number of its
        typed stack's type (nan, 0) so that pushing it needs no test."""
        stack = self.typed_stack(self.tape_tag(n), n)
        return ast.Constant(None) if stack is None else \
            ast.Call(N("float"), [ast.Constant("nan")], []) if stack == "f" else ast.Constant(0)

    def _stack(self, stack):
        tape = N(self.ctx.namer.tape)
        return ast.Attribute(tape, stack, ast.Load()) if stack else tape

    def tape_tag(self, name):
        """The typed stack a value of ``name`` goes to (``f`` float, ``c`` complex, ``i`` int,
        ``b`` bool, ``n`` an int or a float, ``a<rank><dtype kind>`` an array), or None when its kind is
        not known well enough for a typed tape (a compiled backend refuses it)."""
        tag = tape_tag(self.ctx.kinds, self.ctx.namer, name)
        # numba makes a number that may be an int or a float a float (``float(2) ** k``)
        return "f" if tag == "n" and self.ctx.module.options.backend == "numba" else tag

    def roots_name(self) -> str:
        if self._roots is None:
            self._roots = self.ctx.namer.role("_roots")
        return self._roots

    def restore(self, names) -> list:
        """Pop the values pushed for ``names``; in a reverse half, a shadow
        was recorded as its primal view and is rebased onto this half's shadows."""
        if not self.split:
            return [assign([n], self.pop(n, self.restore_expr(n))) for n in reversed(names)]
        shadows = self.local_shadows()
        out = []
        for n in reversed(names):
            value = self.pop(n, self.restore_expr(n))
            if n in shadows:
                value = ast.Call(N("_ad_rebase"), [value, N(self.roots_name())], [])
            out.append(assign([n], value))
        return out

    def local_shadows(self) -> set:
        """Shadow names bound by the function itself (not arguments)."""
        ctx = self.ctx
        return {ctx.namer.adjoint(n) for n in ctx.kinds if ctx.needs_shadow(n)} - ctx.param_shadows()


def _int_tuple(k) -> str | None:
    """The elements of a tuple of integers and int or bool arrays (``"i,a1i"``), else None."""
    if k is not None and k.cls == "tuple" and k.elts is None and k.dtype in ("ai", "ai1"):
        return k.dtype   # (integer arrays, as many as a value known when the code runs: np.nonzero's)
    if k is None or k.cls != "tuple" or not k.elts or any(e is None for e in k.elts):
        return None
    parts = []
    for e in k.elts:
        if e.cls in ("int", "bool"):
            parts.append(e.cls[0])
        elif e.cls == "array" and e.dtype in ("i", "b"):
            parts.append(f"a{'' if e.ndim is None else e.ndim}{e.dtype}")
        else:
            return None
    return ",".join(parts)


def _uncopied(expr):
    """``x`` for a push of ``_ad_copy(x)``, else ``expr``."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "_ad_copy" \
            and len(expr.args) == 1:
        return expr.args[0]
    return expr


def _pushed_name(expr):
    """The name whose value ``expr`` pushes (``x`` or a copy ``_ad_copy(x)``), else None."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "_ad_copy" \
            and len(expr.args) == 1:
        expr = expr.args[0]
    return expr.id if isinstance(expr, ast.Name) else None


def tape_tag(kinds, namer, name):
    """See ``TapeAccess.tape_tag``."""
    if name is None:
        return None
    if namer.made(name, COND):
        return "b"
    if namer.made(name, COUNT):
        return "i"
    k = kinds.get(name)
    if k is None:   # an adjoint has its primal's kind
        primal = next((p for p, a in namer.adjoints.items() if a == name), None)
        k = kinds.get(primal) if primal is not None else None
    if k is None or k.weak:
        return None
    if (k.cls == "float" and k.dtype != "c") or (k.cls == "num" and k.ndim == 0 and k.dtype == "f"):
        return "f"
    if k.cls == "float" and k.dtype == "c":
        return "c"   # (a complex number: two floats on a typed tape)
    if k.cls in ("int", "bool"):
        return k.cls[0]
    if k.cls == "num" and k.ndim == 0 and k.dtype in ("i", None):
        # an int or a float (``2 ** k``, ``max(i, x[i])``): the tape list keeps which; numba makes it a float
        return "n"
    if k.cls == "array" and k.ndim is not None and k.dtype in ("f", "i", "b", "c"):
        return f"a{k.ndim}{k.dtype}"
    return None


_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)
#: calls that are not rules and return a number for number arguments
_NUMBER_BUILTINS = frozenset({"float", "int", "len", "abs", "round", "min", "max", "sum", "pow", "divmod"})


def typed_names(body, ctx) -> set:
    """The names every binding of which in ``body`` gives a real number (a
    float or an int, never None or a container): the only names whose values
    may go to a typed stack. A name some binding leaves in doubt (a user
    function's result, which may be None; a method's; a tuple's element...)
    keeps the list, and so does every name it is copied to. Trip counters
    the transform made count from 0."""
    from ..codegen.naming import COUNT
    from ..frontend import notes
    namer, inference = ctx.namer, ctx.an.inference
    bindings: dict = {}
    doubtful: set = set()

    def number_kind(e) -> bool:
        k = inference.expr(e)
        return k is not None and not k.weak and (k.cls in ("float", "int") and k.dtype != "c"
                                                 or (k.cls == "num" and k.ndim == 0 and k.dtype == "f"))

    def stores(node):
        return {x.id for x in ast.walk(node) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store)}

    def visit(stmts):
        for st in stmts:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                bindings.setdefault(st.targets[0].id, []).append(st.value)
            elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                bindings.setdefault(st.target.id, []).append(st)
            elif isinstance(st, ast.For):
                it = st.iter
                over_range = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                if isinstance(st.target, ast.Name) and over_range:
                    bindings.setdefault(st.target.id, [])
                else:
                    doubtful.update(stores(st.target))
            elif not isinstance(st, (ast.While, ast.If)):
                doubtful.update(stores(st))
            if isinstance(st, (ast.For, ast.While, ast.If)):
                visit(st.body)
                visit(st.orelse)
    visit(body)

    def plain(e, typed) -> bool:
        """``e`` gives a number when the names in ``typed`` hold numbers."""
        if isinstance(e, ast.AugAssign):   # arithmetic: a number or an error
            return number_kind(e.target) and number_kind(e.value)
        if isinstance(e, ast.Constant):
            return isinstance(e.value, (int, float, bool))
        if isinstance(e, ast.Name):
            return e.id in typed or (e.id in ctx.params and number_kind(e))
        if isinstance(e, (ast.BinOp, ast.UnaryOp)):   # arithmetic: a number or an error
            return number_kind(e)
        if isinstance(e, ast.Subscript):
            return inference.expr(e.value).is_array and number_kind(e)
        if isinstance(e, ast.Call):
            if notes.is_user_call(e):
                return False
            if notes.rule(e) is None and not (isinstance(e.func, ast.Name) and e.func.id in _NUMBER_BUILTINS):
                return False
            return number_kind(e)
        return False

    def integer(e, ints) -> bool:
        """``e`` surely gives an int (the int stack refuses a float: the kinds
        are not trusted with that)."""
        if isinstance(e, ast.AugAssign):
            return isinstance(e.op, _INT_OPS) and integer(e.value, ints)
        if isinstance(e, ast.Constant):
            return type(e.value) is int
        if isinstance(e, ast.Name):
            return e.id in ints or (e.id in ctx.params and inference.expr(e).cls == "int")
        if isinstance(e, ast.BinOp):
            return isinstance(e.op, _INT_OPS) and integer(e.left, ints) and integer(e.right, ints)
        if isinstance(e, ast.UnaryOp):
            return isinstance(e.op, (ast.USub, ast.UAdd)) and integer(e.operand, ints)
        if isinstance(e, ast.Call):
            return isinstance(e.func, ast.Name) and e.func.id in ("len", "int") and not notes.is_user_call(e)
        if isinstance(e, ast.Attribute):
            return e.attr in ("size", "ndim")
        if isinstance(e, ast.Subscript):
            base = e.value
            if isinstance(base, ast.Attribute) and base.attr == "shape":
                return True
            k = inference.expr(base)
            return k.is_array and k.dtype == "i" and number_kind(e)
        return False

    def settle(names, ok):
        changed = True
        while changed:
            changed = False
            for n in list(names):
                if not all(ok(v, names) for v in bindings[n]):
                    names.discard(n)
                    changed = True
        return names

    typed = settle({n for n in bindings if n not in doubtful and n not in ctx.params}, plain)
    ints = {n for n in typed if tape_tag(ctx.kinds, namer, n) == "i"}
    typed -= ints - settle(set(ints), integer)
    typed |= {n for n in namer.generated if namer.made(n, COUNT)}
    return typed


def hoist_typed_stacks(fn: ast.FunctionDef, tape: str, namer) -> None:
    """``_tape.f.append(v)`` as ``_tape_f_append(v)``, the bound method taken
    once where the function gets its tape (a push or pop of a float costs
    about as much as the list's)."""
    used: dict = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("append", "pop") and isinstance(node.func.value, ast.Attribute) \
                and node.func.value.attr in ("f", "i") and isinstance(node.func.value.value, ast.Name) \
                and node.func.value.value.id == tape:
            key = (node.func.value.attr, node.func.attr)
            if key not in used:
                used[key] = namer.fresh(f"{tape}_{key[0]}_{key[1]}{{}}")
            node.func = ast.Name(used[key], ast.Load())
    if not used:
        return
    binds = [ast.Assign(targets=[ast.Name(name, ast.Store())],
                        value=ast.Attribute(ast.Attribute(ast.Name(tape, ast.Load()), stack, ast.Load()), method,
                                            ast.Load()))
             for (stack, method), name in sorted(used.items())]
    # after the tape is made (a fused function), else first (the tape is a parameter)
    at = next((k + 1 for k, st in enumerate(fn.body) if isinstance(st, ast.Assign)
               and isinstance(st.targets[0], ast.Name) and st.targets[0].id == tape), 0)
    fn.body[at:at] = binds

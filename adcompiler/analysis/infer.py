"""Kind inference over a normalized body (see ``kinds``).

Contract: ``infer_kinds(body, param_kinds, resolver, user_return)`` returns a dict name -> Kind for
every local name. ``user_return(func, arg_kinds)`` gives the return kind of a user function (the
pipeline analyses callees first). Statements are visited until no kind changes (a few rounds).
"""
from __future__ import annotations

import ast
import builtins
import functools
import re

from ..codegen.naming import is_generated
from ..errors import AdCompilerError
from ..frontend import notes
from ..frontend.normalize import MISSING
from ..rules.binding import bind
from ..rules.registry import is_runtime_helper, source_helper_error
from .kinds import (
    BOOL,
    COMPLEX,
    DTYPE_AT,
    FLOAT,
    INT,
    NONE,
    OTHER,
    POPPED,
    Kind,
    _dtype,
    array,
    broadcast,
    builtin_extreme,
    dtype_of_node,
    element_of,
    fancy_rank,
    int_power,
    join,
    kind_of_value,
    list_kind,
    matmul_kind,
    maybe_number_product,
    numbers_of,
    reduced_number,
    sliced,
    stacked,
)
from .nondiff_kinds import nondiff_result
from .order import walk_stmts
from .tape_pops import copies_pushed, restoring_pops


class Inference:
    """The kind of any expression of a normalized body, from the kinds of its
    names, the rules' result kinds and the analyses of user functions."""

    reverse_code = False   # (generated reverse code: a 0.0 pushed is a zero adjoint, of any kind)

    def __init__(self, param_kinds: dict, resolver, user_return, namer=None):
        self.env = dict(param_kinds)
        self.generated = namer.generated if namer is not None else set()
        self.stacks: dict = {}   # (below: a list given with what it holds; generated code's pops are its tape's)
        self.given: dict = {n: k.elts[0] for n, k in param_kinds.items() if k.cls == "list" and k.elts}
        self.built: set = set()      # the names bound to a list display ``[]`` (lists the function builds)
        self.restoring: set = set()   # the pops of generated code into the name pushed before them (their ids)
        self.copied: dict = {}      # stack -> names whose copies generated code pushes (saves)
        self.res = resolver
        self.user_return = user_return

    def name(self, n: str) -> Kind:
        if n in self.env:   # (a list the function builds, with what it holds: a helper given it sees that)
            k, held = self.env[n], self.stacks.get(n) if n in self.built else None
            return Kind("list", elts=(held,)) if k.cls == "list" and not k.elts and held is not None else k
        if self.res.is_local(n) or n in self.generated:
            return NONE
        try:
            return kind_of_value(self.res.lookup(n))
        except AdCompilerError:
            return OTHER

    def expr(self, e) -> Kind:
        if isinstance(e, ast.Constant):
            return kind_of_value(e.value) if e.value is not Ellipsis else OTHER
        if isinstance(e, ast.Name):
            return self.name(e.id)
        if isinstance(e, ast.BinOp):
            lk, rk = self.expr(e.left), self.expr(e.right)
            if isinstance(e.op, ast.MatMult):
                return matmul_kind(lk, rk)
            if isinstance(e.op, ast.Add) and lk.cls == rk.cls == "tuple" and None not in (lk.elts, rk.elts):
                return Kind("tuple", elts=tuple(lk.elts) + tuple(rk.elts),   # ((2,) + w.shape: a shape)
                            seq=lk.seq if lk.seq == rk.seq else None)
            if isinstance(e.op, ast.Mult) and {lk.cls, rk.cls} == {"tuple", "int"}:   # (``[(1.0, 0.5)] * n``)
                t, m = (lk, e.right) if lk.cls == "tuple" else (rk, e.left)
                if t.elts and not t.keys and len({*t.elts}) == 1:
                    n = m.value if isinstance(m, ast.Constant) and type(m.value) is int else None
                    return Kind("tuple", elts=t.elts * n if n else t.elts, ragged=t.ragged or not n, seq=t.seq)
            k = broadcast(lk, rk)
            if isinstance(e.op, ast.Div) and k.cls in ("int", "bool"):
                return FLOAT
            if isinstance(e.op, ast.Pow) and k.cls in ("int", "bool"):
                return int_power(e.right)
            if isinstance(e.op, ast.Div) and k.dtype in ("i", "b"):
                return Kind(k.cls, k.ndim, "f")
            return k
        if isinstance(e, ast.UnaryOp):
            if isinstance(e.op, ast.Not):
                return BOOL
            return _unary(self.expr(e.operand), e.op)
        if isinstance(e, (ast.Compare, ast.BoolOp)):
            parts = [e.left] + e.comparators if isinstance(e, ast.Compare) else e.values
            ks = [self.expr(p) for p in parts]
            if any(k.cls == "array" for k in ks):
                k = broadcast(*ks) if isinstance(e, ast.Compare) else OTHER
                return array(k.ndim if k.cls == "array" else None, "b")
            return BOOL
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        if isinstance(e, ast.Attribute):
            if e.attr in ("ndim", "size", "itemsize", "nbytes"):
                return INT
            if e.attr == "shape":
                k = self.expr(e.value)
                if k.cls == "array" and k.ndim is not None:
                    return Kind("tuple", elts=(INT,) * k.ndim)
                return Kind("shape")
            obj = self.res.resolve_attr(e)
            return kind_of_value(obj) if obj is not MISSING else OTHER
        if isinstance(e, ast.Tuple):
            return Kind("tuple", elts=tuple(self.expr(x) for x in e.elts), seq="tuple")
        if isinstance(e, ast.List) and not e.elts:
            return Kind("list")    # a stack (the tape of generated reverse code)
        if isinstance(e, ast.List):
            return list_kind([self.expr(x) for x in e.elts])
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.JoinedStr):
            return OTHER
        return OTHER

    def index_kind(self, e) -> str:
        if isinstance(e, ast.Slice):
            return "slice"
        if isinstance(e, ast.Constant):
            if e.value is None:
                return "newaxis"
            if e.value is Ellipsis:
                return "ellipsis"
            return "int"
        k = self.expr(e)
        if k.cls in ("int",):
            return "int"
        if k.cls == "slice":   # (a name bound to slice(...))
            return "slice"
        if k.cls == "none" and isinstance(e, ast.Name):
            return "newaxis"   # a name only ever bound to None (np.newaxis, as generated code binds it)
        if k.cls in ("bool", "array") or k.cls == "tuple" and k.elts and any(x.cls == "array" for x in k.elts):
            return "fancy"   # (a mask, an index array, a tuple of them: np.nonzero's)
        return "unknown"

    def index_parts(self, idx) -> tuple:
        """The parts of the index ``idx`` and their ``index_kind``s: a name bound to a tuple of ints and
        slices (``t = (i, j)``, ``A[t]``) is its elements (a list's are one index array)."""
        if not isinstance(idx, ast.Tuple):
            k = self.expr(idx)
            kinds = [{"int": "int", "slice": "slice", "none": "newaxis"}.get(x.cls) for x in k.elts or ()] \
                if k.cls == "tuple" and k.seq == "tuple" and not k.keys and not k.ragged else [None]
            if kinds and None not in kinds:
                return [idx] * len(kinds), kinds
        parts = idx.elts if isinstance(idx, ast.Tuple) else [idx]
        return parts, [self.index_kind(p) for p in parts]

    def subscript(self, e) -> Kind:
        base = self.expr(e.value)
        pushed = self.held(e.value.id) if isinstance(e.value, ast.Name) and not isinstance(e.slice, ast.Slice) \
            else None   # (an item of a list the function appends to or stores into: may be one of those)
        if pushed is not None and (base.cls == "list" or base.cls == "tuple" and base.keys is None):
            return functools.reduce(join, base.elts or (), pushed)
        if base.cls == "tuple":
            if isinstance(e.slice, ast.Slice) and base.elts is not None:   # (a tuple)
                return Kind("tuple", elts=sliced(base.elts, e.slice), seq=base.seq)
            if base.elts == ():   # (an item of an empty tuple is never read: a number)
                return INT
            if base.keys and isinstance(e.slice, ast.Constant) and e.slice.value in dict(base.keys):
                return dict(base.keys)[e.slice.value]   # (a dict's value by its key)
            k = e.slice.value if isinstance(e.slice, ast.Constant) else -e.slice.operand.value if isinstance(
                e.slice, ast.UnaryOp) and isinstance(e.slice.op, ast.USub) and isinstance(e.slice.operand, ast.Constant) \
                else None   # (a negative index, ``t[-2]``, counts from the end)
            if type(k) is int and base.elts:
                return base.elts[k] if -len(base.elts) <= k < len(base.elts) else base.elts[0] \
                    if base.ragged and len({*base.elts}) == 1 else OTHER   # (repeated a number of times not known)
            if base.elts:   # (an index not known: any element)
                return functools.reduce(join, base.elts, None)
            # a tuple of integer index arrays of unknown length (np.nonzero of an array of
            # unknown rank); anything else unknown (an int taken for an array dropped derivatives)
            return array(1 if base.dtype == "ai1" else None, "i") if base.dtype in ("ai", "ai1") else OTHER
        if base.cls == "shape":
            return INT if not isinstance(e.slice, ast.Slice) else Kind("shape")
        if base.cls not in ("array", "num"):
            return OTHER if base.cls != "none" else NONE
        parts, kinds = self.index_parts(e.slice)
        dt = base.dtype
        if "unknown" in kinds:
            return Kind("num", None, dt)
        if "fancy" in kinds:
            return array(fancy_rank(base, [self.expr(p) for p, k in zip(parts, kinds) if k == "fancy"], kinds), dt)
        nint = kinds.count("int")
        if base.cls == "array" and base.ndim is not None:
            if kinds == ["int"] * base.ndim:
                return {"f": FLOAT, "i": INT, "b": BOOL, "c": COMPLEX}.get(dt, FLOAT)
            if "ellipsis" in kinds or "slice" in kinds or "newaxis" in kinds or nint < base.ndim:
                return array(base.ndim - nint + kinds.count("newaxis"), dt)
        if set(kinds) <= {"int"}:
            return Kind("num", None, dt)
        return array(None, dt)

    def call(self, e) -> Kind:
        target, rule = notes.target(e), notes.rule(e)
        arg_kinds = [self.expr(a) for a in e.args]
        if target is None and isinstance(e.func, ast.Name) and not self.res.is_local(e.func.id):
            # a call kept inline in an index expression (len, int, min, max, abs)
            if e.func.id in ("len", "int"):
                return INT
            if e.func.id in ("min", "max") and (k := builtin_extreme(arg_kinds)) is not None:
                return k   # (of a list of numbers, typed as its 1-d array: an element)
            if e.func.id in ("min", "max", "abs") and arg_kinds:
                k = arg_kinds[0]
                for other in arg_kinds[1:]:
                    k = join(k, other)
                return k
        if rule is None:
            if target is not None:
                try:
                    return self.user_return(target, arg_kinds)
                except AdCompilerError as err:
                    if not is_runtime_helper(target):
                        raise
                    raise source_helper_error(e, err) from err
            return OTHER
        if target in (builtins.min, builtins.max) and len(e.args) == 1 and isinstance(e.args[0], (ast.Tuple, ast.List)):
            arg_kinds = [self.expr(x) for x in e.args[0].elts]   # (kept in a condition: Python's, of the values)
            return builtin_extreme(arg_kinds) or functools.reduce(join, arg_kinds, None) or OTHER
        if target in (builtins.min, builtins.max) and (k := builtin_extreme(arg_kinds)) is not None:
            return k
        if rule.kind == "inplace" and rule.name == "adcompiler.runtime.stack_pop" and isinstance(e.args[0], ast.Name):
            # the top of an adjoint list (what was pushed onto it), or 0.0 once it is empty
            pushed = self.stacks.get(e.args[0].id)   # (a tuple's adjoint: 0.0 stands for all zeros)
            return FLOAT if pushed is None else pushed if pushed.cls == "tuple" else join(pushed, FLOAT)
        if rule.kind == "stack":
            # a value popped from a stack has the kind of what was pushed onto it
            own = self.expr(e.func.value) if isinstance(e.func.value, ast.Name) else None
            if not e.args and e.func.value.id not in self.stacks and own is not None and own.cls == "array" \
                    and own.ndim == 1:
                # a list written out ([a, b], typed as its array): an item (the transform refuses the
                # list itself where its items carry derivatives, with the reason)
                return element_of(own, POPPED)
            if not e.args and own is not None and own.cls == "tuple" and own.elts and not own.keys:   # (a table)
                return functools.reduce(join, own.elts, self.stacks.get(e.func.value.id))
            return NONE if e.args else self.stacks.get(e.func.value.id) or (None if is_generated(
                self.res.pf.filename) else self.given.get(e.func.value.id)) or POPPED
        if rule.kind == "list_stack" and e.args and isinstance(e.args[0], ast.Name):
            item = self.held(e.args[0].id)   # (np.stack of a list the function builds; none pushed yet: none)
            return None if item is None else stacked(item)
        bound = bind(rule, e)
        kinds = {p: self.expr(v) for p, v in bound.items() if isinstance(v, ast.AST)}
        k = _complex_result(rule, self.rule_result(rule, e, bound, kinds, arg_kinds), kinds)
        if target is not None and (rule.result is None or rule.kind != "nondiff"):
            k = numbers_of(target, k)
        dtype = bound.get("dtype")
        if isinstance(dtype, ast.AST) and not (isinstance(dtype, ast.Constant) and dtype.value is None) \
                and k.cls in ("array", "num", "float") and rule.kind != "alloc":
            # asarray(x, dtype=...), x.astype(...), sum(..., dtype=...); a dtype not known here: unknown
            dt = self.dtype_of(dtype) if dtype_of_node(dtype, self.res, None) is not None or \
                isinstance(dtype, ast.Attribute) and dtype.attr == "dtype" else None
            k = Kind(k.cls, k.ndim, dt) if k.cls != "float" else {"c": COMPLEX, "i": INT, "b": BOOL}.get(dt, FLOAT)
        return k

    def rule_result(self, rule, e, bound, kinds, arg_kinds) -> Kind:
        if rule.result is not None:
            return rule.result(kinds, bound)
        name = rule.name.split(".")[-1]
        if rule.kind == "alloc":
            return self.alloc(name, e, arg_kinds)
        if rule.kind == "nondiff":
            return nondiff_result(rule.name, e, arg_kinds, self.expr)
        if rule.kind == "elementwise":
            # every operand broadcasts (the condition of np.where too, though it has no adjoint)
            return broadcast(*[kinds[p] for p in rule.param_names if p in kinds] or arg_kinds)
        return self.named_result(name, e, arg_kinds)

    def named_result(self, name, e, arg_kinds) -> Kind:
        """The result kind of a rule that does not declare one, by the function's name."""
        if name in ("float",):
            return FLOAT
        if name in ("copy", "asarray", "array"):
            from ..rules.shape import _copy_kind
            return _copy_kind({"a": arg_kinds[0] if arg_kinds else OTHER}, None)
        if name == "transpose":
            return arg_kinds[0]
        if name == "ravel":
            return array(1, arg_kinds[0].dtype)
        if name == "reshape":
            shp = e.args[1] if len(e.args) > 1 else (e.keywords[0].value if e.keywords else None)
            n = len(shp.elts) if isinstance(shp, ast.Tuple) else (1 if shp is not None and self.expr(shp).cls == "int" else None)
            return array(n, arg_kinds[0].dtype)
        if name in ("dot", "matmul"):
            if len(arg_kinds) >= 2 and arg_kinds[0].ndim == 1 and arg_kinds[1].ndim == 1:
                return FLOAT
            if len(arg_kinds) >= 2 and (arg_kinds[0].cls == "float" or arg_kinds[1].cls == "float"):
                return broadcast(*arg_kinds[:2])
            if len(arg_kinds) >= 2 and maybe_number_product(*arg_kinds[:2]):
                return Kind("num", None, "f")
            return array(None)
        if name in ("full", "full_like"):
            k = self.alloc(name, e, arg_kinds)
            fill = arg_kinds[1] if len(arg_kinds) > 1 else None
            if name == "full" and k.cls == "array" and fill is not None and fill.cls in ("int", "bool") \
                    and len(e.args) < 3 and not any(kw.arg == "dtype" for kw in e.keywords):
                k = array(k.ndim, fill.cls[0])   # np.full(n, 2) holds ints (a float stored is truncated)
            return k
        return array(None)

    def alloc(self, name, e, arg_kinds) -> Kind:
        dtype = "f"
        # (the dtype by keyword, or by position: np.zeros(3, "i8"), np.eye(3, 3, 0, int))
        at = DTYPE_AT.get(name)
        given = next((kw.value for kw in e.keywords if kw.arg == "dtype"), None) or (
            e.args[at] if at is not None and len(e.args) > at else None)
        given = None if given is None or (isinstance(given, ast.Constant) and given.value is None) else given
        dtype = self.dtype_of(given) if given is not None else dtype
        if name in ("full", "full_like") and given is None and any(_dtype(k) == "c" for k in arg_kinds[1:2]):
            dtype = "c"   # a complex fill value
        if name.endswith("_like"):
            k = arg_kinds[0] if arg_kinds else OTHER
            return array(k.ndim if k.cls == "array" else None, dtype if given is not None else (k.dtype or "f"))
        if name in ("arange",):   # (a float start, stop or step, by position or keyword: floats)
            ks = arg_kinds + [self.expr(kw.value) for kw in e.keywords if kw.arg in ("start", "stop", "step")]
            return array(1, dtype if given is not None else "f" if any(k.cls == "float" for k in ks) else "i")
        if name in ("linspace",):
            return array(1, "f")
        if name in ("eye", "identity"):
            return array(2, dtype)
        shp = arg_kinds[0] if arg_kinds else next(
            (self.expr(kw.value) for kw in e.keywords if kw.arg == "shape"), OTHER)
        if shp.cls == "int":
            return array(1, dtype)
        if shp.cls == "tuple":
            return array(len(shp.elts), dtype)
        return array(None, dtype)

    def dtype_of(self, node) -> str:
        """The dtype kind a ``dtype=`` argument names: ``x.dtype`` is the dtype of ``x``."""
        if isinstance(node, ast.Attribute) and node.attr == "dtype":
            k = self.expr(node.value)
            if k.cls == "array" and k.dtype in ("f", "i", "b", "c"):
                return k.dtype
            if k.cls in ("float", "int", "bool"):
                return {"float": "f", "int": "i", "bool": "b"}[k.cls]
        return dtype_of_node(node, self.res)

    def named_list(self, e) -> Kind | None:
        """A list display of arrays bound to a name (``fields = [u, v]``) holds the arrays themselves:
        ``fields[0]`` is ``u``, not a row of a new array. A tuple's kind, whose elements are followed."""
        if not (isinstance(e, ast.List) and e.elts):
            return None
        ks = [self.expr(x) for x in e.elts]
        if all(k.cls == "tuple" and k.elts and not k.keys and len(k.elts) == len(ks[0].elts)   # (None, weak: not yet known)
               and all(x is None or x.weak or x.cls in ("int", "float", "bool", "none") for x in k.elts) for k in ks):
            return Kind("tuple", elts=tuple(ks))   # (tuples of numbers, ``[(-1, 0, 0.5), ...]``: c[k] is a tuple)
        if not any(k.cls == "array" and k.ndim != 0 or k.cls == "tuple" and any(
                e is not None and e.cls == "array" for e in k.elts or ()) for k in ks):
            return None   # numbers: a list of values, as an array of them (tuples of arrays: those tuples)
        rows = {k for k in ks if k.cls != "list" or k.elts}   # (``[[], [0.5], [0.0, 0.5]]``: an empty row too)
        return Kind("tuple", elts=(*rows,) * len(ks) if [k.ndim for k in rows] == [1] else tuple(ks))

    def stmt(self, s) -> bool:
        changed = False
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            if self.restores(s.targets[0].id, s.value):
                return False   # an earlier value of the name itself: its other bindings give its kind
            saved = self.saved_kind(s.targets[0].id, s.value)
            if saved is not None:
                return self.bind(s.targets[0].id, saved)
            if isinstance(s.value, ast.List) and not s.value.elts:
                self.built.add(s.targets[0].id)
            changed = self.bind(s.targets[0].id, self.named_list(s.value) or self.expr(s.value))
        elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript) and len(s.targets) == 1 \
                and isinstance(s.targets[0].value, ast.Name) and self.name(s.targets[0].value.id).cls == "list":
            changed = self.push(s.targets[0].value.id, self.expr(s.value))   # (``L[k] = v``: the list holds v)
        elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            if notes.is_counter(s):
                return self.bind(s.target.id, INT)
            cur = self.name(s.target.id)
            if cur.cls == "array":
                return False   # an array updated in place keeps its kind
            changed = self.bind(s.target.id, self.expr(ast.BinOp(ast.Name(s.target.id, ast.Load()), s.op, s.value)) if cur.cls != "none" else cur)
        elif isinstance(s, ast.For):
            changed = self.bind(s.target.id, INT)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and \
                notes.rule_kind(s.value) == "stack" and s.value.args:
            a = s.value.args[0]
            zero = self.reverse_code and isinstance(a, ast.Constant) and a.value == 0.0
            changed = self.push(s.value.func.value.id, Kind("float", weak=True) if zero else self.expr(a))
        elif isinstance(s, ast.Expr) and getattr(notes.rule(s.value), "name", "") == "adcompiler.runtime.stack_list_adjoint" \
                and isinstance(s.value.args[0], ast.Name):   # (an item's adjoint per item: a slice of the stacked one)
            k = self.expr(s.value.args[-1] if len(s.value.args) > 3 else s.value.args[1])
            changed = self.push(s.value.args[0].id, array(k.ndim - 1 if k.is_array and k.ndim else None, k.dtype))
        return changed

    def held(self, name) -> Kind | None:   # (what a list holds: what was pushed onto it, and given in it)
        return join(self.stacks.get(name), self.given.get(name))

    def push(self, name, k) -> bool:
        """``k`` joined into what the list ``name`` holds."""
        old, self.stacks[name] = self.stacks.get(name), join(self.stacks.get(name), k)
        return self.stacks[name] != old

    def restores(self, name, value) -> bool:
        """Whether ``name = value`` pops, in generated reverse code, the value pushed for ``name``."""
        return id(value) in self.restoring

    def saved_kind(self, name, value):
        """In generated reverse code, the kind of a save ``_s<k>_x = _tape.pop()``:
        the kind of ``x``, whose copy ``_tape.append(_ad_copy(x))`` pushed (the
        join over the names the save's name may stand for), or None."""
        if not (isinstance(value, ast.Call) and not value.args and notes.rule_kind(value) == "stack"
                and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name)):
            return None
        m = _SAVE.match(name)
        copies = self.copied.get(value.func.value.id, ())
        xs = [x for x in copies if m is not None and x.lstrip("_") == m.group(1)]
        k = None
        for x in xs:
            k = join(k, self.name(x))
        return k if k is not None and k.cls != "none" else None

    def bind(self, name, k) -> bool:
        old = self.env.get(name)
        new = join(old, k)
        if new != old:
            self.env[name] = new
            return True
        return False


def infer_kinds(body, param_kinds: dict, resolver, user_return, namer=None) -> dict:
    inf = Inference(param_kinds, resolver, user_return, namer)
    stmts = list(walk_stmts(body))
    if is_generated(resolver.pf.filename):
        # generated reverse code: pops restore names (``restoring_pops``), and the
        # adjoint of a tuple is a list or 0.0 (all zeros): ``_d_ret = 0.0`` leaves
        # a name that is otherwise a tuple's adjoint a tuple
        inf.restoring, inf.reverse_code = restoring_pops(stmts), True
        inf.copied = copies_pushed(stmts)
        _fixpoint(inf, [s for s in stmts if not _zero_binding(s)])
        stmts = [s for s in stmts if not _zero_binding(s) or inf.env.get(s.targets[0].id, NONE).cls != "tuple"]
    _fixpoint(inf, stmts)
    # (a list the function builds, ``L = []``, holds what it pushed: a helper given it, the same; not a tape)
    inf.env.update({n: inf.name(n) for n in inf.built if n in inf.env})
    return inf.env


def _fixpoint(inf, stmts):
    for _ in range(20):
        if not any([inf.stmt(s) for s in stmts]):  # noqa: C419 (every statement must be visited)
            break


def _zero_binding(s) -> bool:
    return isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and \
        isinstance(s.value, ast.Constant) and type(s.value.value) is float and s.value.value == 0.0


_SAVE = re.compile(r"_s\d+_(.+)$")


def _complex_result(rule, k: Kind, kinds: dict) -> Kind:
    """A differentiable rule's result is complex where an argument is (result
    functions written for real values say float), and real where the rule
    says so (``abs``, ``real``, ``imag``, ``angle``, ``norm``)."""
    if k.cls not in ("array", "num", "float") or not rule.differentiable:
        return k
    if rule.real_result:
        return FLOAT if k.cls == "float" else Kind(k.cls, k.ndim, "f")
    if k.dtype in ("f", None) and any(_dtype(a) == "c" for a in kinds.values() if a is not None):
        return COMPLEX if k.cls == "float" else Kind(k.cls, k.ndim, "c")
    return k


def _unary(k, op):
    """The kind of ``-v``, ``+v`` or ``~v`` of a value of kind ``k``: -True is -1 (numpy refuses -
    of its bools, so this one is Python's); of a 0-d array numpy gives a number (np.float64)."""
    if k.cls == "array" and k.ndim == 0:
        return reduced_number(k.dtype or "f")
    return INT if isinstance(op, (ast.USub, ast.UAdd)) and k.cls == "bool" else k

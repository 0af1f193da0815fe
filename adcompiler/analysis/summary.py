"""The result of analysing one function (parse through effects)."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..codegen.naming import Namer, is_generated
from ..errors import UnsupportedSyntaxError
from ..frontend import notes
from .effects import Effects, follow_bindings
from .entry_memory import entry_writes
from .infer import Inference
from .order import walk_stmts


@dataclass
class Analysis:
    """What the analyses found about one function for one signature of
    argument kinds: its normalized body, the kind of every name, the memory
    effects, and the names it reads from its module."""

    pf: object
    resolver: object
    namer: Namer
    body: list
    kinds: dict
    eff: Effects
    params: list
    has_return: bool
    inference: Inference
    free: dict = field(default_factory=dict)   # the non-local names read, and what they meant
    callee_defaults: list = field(default_factory=list)   # (function, defaults, kwdefaults, code) of callees
    code: object = None   # the function's __code__ when analysed
    pieces: dict = field(default_factory=dict)   # names bound to lists of views (np.split's) -> the function

    def index_is_basic(self, idx):
        """True for int/slice/None/... indices, False for fancy ones, None if unknown."""
        res = True
        for k in self.inference.index_parts(idx)[1]:
            if k == "fancy":
                return False
            if k == "unknown":
                res = None
        return res

    def param_writes(self) -> list:
        return [k for k, p in enumerate(self.params) if self.eff.cell(p) in self.eff.written]

    def entry_writes(self) -> frozenset:
        """The parameters whose memory on entry may be written (``entry_memory``): of
        ``param_writes``, those a write reaches along some path."""
        return entry_writes(self.eff, self.kinds, self.body, self.params)

    def writes_popped(self) -> bool:
        """Whether this function writes in place a value it pops from a stack it is given (a reverse
        half writing a shadow its forward half pushed: memory its caller passed, under another name)."""
        from .activity import popped_from_parameters
        return bool(popped_from_parameters(self.eff, self.params) & self.eff.written)


    def ret_elements_may_share(self) -> bool:
        """Whether arrays of a tuple this function returns may share memory with
        one another (``return y[:2], y[1:]``); a tuple not written out in the
        return (another call's result) counts as may."""
        ret, mem = self.namer.ret, self.eff.memory_of
        binds = self._binds()
        for s in walk_stmts(self.body):
            if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id == ret) \
                    or isinstance(s.value, ast.Constant):
                continue
            v = s.value
            k = self.kinds.get(ret)
            if not isinstance(v, ast.Tuple):
                if k is not None and k.cls == "tuple" and self._call_tuple_may_share(v, binds):
                    return True
                continue
            arrays = [e for e in v.elts if not (isinstance(e, ast.Name) and self.kinds.get(e.id) is not None
                                                and self.kinds[e.id].cls in ("float", "int", "bool", "none"))]
            roots = [mem.get(e.id, e.id) for e in arrays if isinstance(e, ast.Name)]
            if len(roots) != len(set(roots)) or not all(self._fresh_element(e, binds) for e in arrays):
                return True
        return False

    def _fresh_element(self, e, binds) -> bool:
        """Whether the returned element ``e`` is provably an array of its own: a name bound once,
        to arithmetic, an elementwise rule's result (no ``out=``) or an allocation, that nothing
        else holds (no other name, list or tuple: ``hist = [m]; return hist[0], m`` is one array)."""
        if not (isinstance(e, ast.Name) and len(binds.get(e.id, ())) == 1):
            return False
        v = binds[e.id][0]
        if isinstance(v, ast.Call):
            rule = notes.rule(v)
            if rule is None or notes.is_user_call(v) or any(k.arg == "out" for k in v.keywords) or \
                    rule.kind not in ("elementwise", "alloc"):
                return False
        elif isinstance(v, (ast.List, ast.Tuple)):   # (a list of numbers: ``[0.5, 2.0]``)
            if not all(isinstance(x, ast.Constant) or isinstance(x, ast.Name) and getattr(
                    self.kinds.get(x.id), "cls", None) in ("float", "int", "bool") for x in v.elts):
                return False
        elif not isinstance(v, (ast.BinOp, ast.UnaryOp)):
            return False
        returned = {id(s.value) for s in walk_stmts(self.body) if isinstance(s, ast.Assign)
                    and isinstance(s.targets[0], ast.Name) and s.targets[0].id == self.namer.ret}
        # (held elsewhere: bound to another name, put in a display other than the return, or in a list)
        for n in ast.walk(ast.Module(body=list(self.body), type_ignores=[])):
            display = isinstance(n, (ast.List, ast.Tuple, ast.Set, ast.Dict)) and id(n) not in returned
            pushed = isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                n.func.attr in ("append", "insert", "extend")
            if (display or pushed) and any(isinstance(x, ast.Name) and x.id == e.id for x in ast.walk(n)):
                return False
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and n.value.id == e.id:
                return False
        return True

    def _call_tuple_may_share(self, v, binds, seen=()) -> bool:
        """Whether the tuple ``v`` (a name bound, on every path, to another such name or to a
        call) may hold arrays that share memory: a tuple another call returned as it is holds
        what that call's does."""
        if isinstance(v, ast.Name):
            values = binds.get(v.id, ())
            return v.id in seen or not values or any(self._call_tuple_may_share(b, binds, seen + (v.id,))
                                                     for b in values)
        if not notes.is_user_call(v):
            return True
        return self.eff.callee_ret_shares(notes.target(v), v)

    def ret_alias(self):
        """The index of the parameter whose memory the return value is (a view
        of), or None for a fresh value. A function that returns an argument's
        memory on one path and a fresh value on another is refused: the caller
        could not tell whether writes through the result reach the argument."""
        ret = self.namer.ret
        k = self.kinds.get(ret)
        if k is not None and k.cls in ("float", "int", "bool"):
            return None   # a number (``return x[2]`` of a vector) is no argument's memory
        mem = self.eff.memory_of
        owners = {mem.get(p, p): k for k, p in enumerate(self.params)
                  if self.kinds.get(p) is not None and self.kinds[p].cls in ("array", "num")}
        found = set()
        binds = self._binds()
        for s in walk_stmts(self.body):
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id == ret \
                    and not (isinstance(s.value, ast.Constant) and s.value.value is None):
                v = s.value
                base = self.eff.view_base(v)   # a name, a basic slice, a view function, a helper's alias
                found.add(owners.get(mem.get(base, base)) if base is not None else None)
                line = s.lineno
                held = self._held_in(v, binds)
                holder = v
                while isinstance(holder, (ast.Subscript, ast.Attribute)):
                    holder = holder.value
                holder = holder.id if isinstance(holder, ast.Name) and holder is not v else None
                read, items = holder, binds.get(holder, ())   # (``L[i]`` of a list of arrays reads its items stacked)
                if items and all(isinstance(b, ast.Call) and isinstance(b.func, ast.Name) and b.func.id ==
                                 "_ad_list_items" and b.args and isinstance(b.args[0], ast.Name) for b in items):
                    holder = items[0].args[0].id
                if holder is not None and holder not in self.params and getattr(self.kinds.get(holder), "cls", None) \
                        in ("tuple", "list") and base in (read, None):
                    held = self._held_in(ast.Name(holder, ast.Load()), binds) + self._pushed_into(holder)
                    v = None   # (an item or a slice of a list or tuple holding them: one of them, or several)
                for e in held if held != [v] else []:
                    e_base = self.eff.view_base(e)
                    if e_base is not None and mem.get(e_base, e_base) in owners:
                        param = self.params[owners[mem.get(e_base, e_base)]]
                        what = f"`{param}`" if isinstance(e, ast.Name) and e.id == param else \
                            f"`{param}` (a view of it)"
                        item = getattr(self.pf.func, "_ad_items_of", {}).get(param)   # (frontend/specialise.py)
                        what += f" (item {item[1]} of the list or tuple `{item[0]}` it is given)" if item else ""
                        raise UnsupportedSyntaxError(
                            f"`{self.pf.name}` returns an item (or a slice) of a list or tuple holding its argument "
                            f"{what}." if v is None else
                            f"`{self.pf.name}` returns the memory of its argument {what} inside a tuple.",
                            filename=self.pf.filename, lineno=line, construct=self.pf.line_text(line),
                            hint="return a copy of it (.copy()) inside the tuple, or return the argument on its own.")
        if len(found) > 1:
            raise UnsupportedSyntaxError(
                f"`{self.pf.name}` returns the memory of an argument on one path and another value on another.",
                filename=self.pf.filename, lineno=line, construct=self.pf.line_text(line),
                hint="return a copy (x.copy()) on every path, or the same argument on every path.")
        return found.pop() if found else None

    def _binds(self) -> dict:
        """Each name bound by a plain assignment -> the values it is bound to, in order."""
        binds: dict = {}
        for s in walk_stmts(self.body):
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
                binds.setdefault(s.targets[0].id, []).append(s.value)
        return binds

    def _pushed_into(self, name) -> list:
        """The values appended, inserted or extended into the list ``name``."""
        out = []
        for n in ast.walk(ast.Module(body=list(self.body), type_ignores=[])):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                    and n.func.value.id == name and n.func.attr in ("append", "insert", "extend") and n.args:
                v = n.args[-1]
                out += list(v.elts) if isinstance(v, (ast.Tuple, ast.List)) else [v]
        return out

    def _held_in(self, v, binds, seen=()) -> list:
        """The values a returned tuple ``v`` holds: the elements of a tuple or list written out, and
        of those a name of a tuple or list is bound to (``st = (a, b); return st``), at any depth."""
        if isinstance(v, (ast.Tuple, ast.List)):
            return [x for e in v.elts for x in self._held_in(e, binds, seen)]
        if isinstance(v, ast.Name) and v.id not in seen and getattr(self.kinds.get(v.id), "cls", None) \
                in ("tuple", "list") and v.id not in self.params:
            return [x for b in binds.get(v.id, ()) for x in self._held_in(b, binds, seen + (v.id,))]
        return [v]

    def ret_container_param(self) -> str | None:
        """The parameter holding arrays in a list or tuple whose memory the return value is (the
        container itself, ``return st``, or an array it holds or a view of one, ``return st[0][:2]``),
        or None."""
        mem = self.eff.memory_of
        held = {mem.get(p, p): p for p in self.params if self.kinds.get(p) is not None
                and self.kinds[p].cls in ("tuple", "list", "other")}
        for s in walk_stmts(self.body):
            if held and isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) \
                    and s.targets[0].id == self.namer.ret and (base := self.eff.view_base(s.value)) is not None \
                    and mem.get(base, base) in held:
                return held[mem.get(base, base)]
        return None

    def free_arrays(self) -> set:
        """The names the function reads from its module or closure that hold
        arrays (arrays, and lists, tuples and dicts of them)."""
        import numpy as np

        def holds_arrays(v):
            if isinstance(v, dict):
                v = list(v.values())
            return isinstance(v, np.ndarray) or isinstance(v, (list, tuple)) and any(map(holds_arrays, v))
        return {name for name, value in self.free.items() if "." not in name and holds_arrays(value)}

    def ret_free_array(self):
        """The free name (``free_arrays``) whose memory the function returns, or None."""
        binds = [(s.targets[0].id, self.eff.view_base(s.value)) for s in walk_stmts(self.body)
                 if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)]
        # name -> the free array it is (a view of)
        return follow_bindings({name: name for name in self.free_arrays()}, binds).get(self.namer.ret)

    def ret_readonly_view(self):
        """The index of the parameter of which the function returns a view numpy
        makes read-only or by einsum (``return np.diag(A)``), or None."""
        import numpy as np
        binds = {s.targets[0].id: s.value for s in walk_stmts(self.body)
                 if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)}
        v, seen = binds.get(self.namer.ret), set()
        while isinstance(v, ast.Name) and v.id in binds and v.id not in seen:
            seen.add(v.id)
            v = binds[v.id]
        if not isinstance(v, ast.Call) or notes.target(v) not in (np.diag, np.broadcast_to, np.einsum,
                                                                 np.lib.stride_tricks.sliding_window_view):
            return None
        args = [a for a in v.args if isinstance(a, ast.Name)] + [k.value for k in v.keywords
                                                                 if isinstance(k.value, ast.Name)]
        if notes.target(v) is np.einsum:   # one operand that sums nothing (a contraction is new memory)
            spec = v.args[0].value if v.args and isinstance(v.args[0], ast.Constant) else None
            if len(v.args) != 2 or isinstance(spec, str) and not set(spec.split("->")[0]) <= set(
                    spec.split("->")[-1] if "->" in spec else spec):
                return None
        for a in args:
            k = self.kinds.get(a.id)
            if notes.target(v) is np.diag and k is not None and k.cls == "array" and k.ndim == 1:
                return None   # np.diag of a vector builds a new matrix
            if a.id in self.params:
                return self.params.index(a.id)
        return None

    def refuse_untracked_writes(self) -> None:
        """The writes the memory analysis cannot follow to the array written, refused at their line:
        ``refuse_rank_dependent_elements`` and ``refuse_writes_through_built_containers``."""
        self.refuse_rank_dependent_elements()
        self.refuse_writes_through_built_containers()

    def refuse_writes_through_built_containers(self) -> None:
        """A tuple or list built from others (``(u,) + ()``, ``[u, 1.0] + [2.0]``, ``(1.0, u)[1:]``) that
        holds arrays, written through (``w = ys[0]; w[0] = 1.5``), or a list of numbers given arrays by a
        slice (``ys[1:] = [u]``): the memory analysis takes the built container for memory of its own, so
        the write did not reach the array it holds (its gradient ignored the write, and the bare
        ``differentiate`` took the function for one that mutates nothing)."""
        from ..frontend.lists import number_lists
        lists = number_lists(self.body)

        def holds_arrays(k):   # (a kind known to be a tuple or list that may hold an array)
            return k is not None and k.cls in ("tuple", "list") and any(
                e is None or e.maybe_array or e.cls in ("tuple", "list", "other") for e in k.elts or (None,))
        binds = [(s.targets[0].id, s.value) for s in walk_stmts(self.body) if isinstance(s, ast.Assign)
                 and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)]
        built = {n for n, v in binds if isinstance(v, ast.BinOp) or isinstance(v, ast.Subscript)
                 and isinstance(v.slice, ast.Slice)}
        items = {n for n, v in binds if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name)
                 and v.value.id in built}   # (an item of a built container: ``_part = ys[0]``)
        for s in walk_stmts(self.body):
            if not isinstance(s, ast.Assign) or len(s.targets) != 1:
                continue
            t, v = s.targets[0], s.value
            if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice) and isinstance(t.value, ast.Name) \
                    and t.value.id in lists and isinstance(v, ast.Name) and holds_arrays(self.kinds.get(v.id)):
                what = f"a slice of the list `{t.value.id}`, written out with numbers, is given arrays"
            elif isinstance(t, ast.Name) and (self.eff.cell(t.id) in self.eff.written or t.id == self.namer.ret) and any(
                    isinstance(x, ast.Name) and holds_arrays(self.kinds.get(x.id))
                    for x in ([v.left, v.right] if isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Add, ast.Mult))
                              else [v.value] if isinstance(v, ast.Subscript) and isinstance(v.slice, ast.Slice)
                              else [])):
                what = ("a tuple or list built from others (by + or a slice) that holds arrays is returned (its "
                        "caller may write through it)" if t.id == self.namer.ret else
                        "a tuple or list built from others (by + or a slice) holds arrays written through it"
                        if t.id.startswith("_") else
                        f"`{t.id}`, a tuple or list built from others (by + or a slice), holds arrays written through it")
            elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in items \
                    and getattr(self.kinds.get(t.value.id), "cls", None) == "other":
                what = "the value written into is not known to be an array (an item of a list joined with another)"
            else:
                continue
            raise UnsupportedSyntaxError(
                what + ": the write is not followed to the array it holds.",
                filename=self.pf.filename, lineno=s.lineno, construct=self.pf.line_text(s.lineno),
                hint="write the array through its own name, or write the tuple out ((u, 1.0, 2.0), [1.0, u]) "
                     "and index it with constants.")

    def refuse_rank_dependent_elements(self) -> None:
        """``a = s[2]`` of an array ``s`` of unknown rank (``s = np.squeeze(x)``: its rank depends on the
        shape) whose memory is written: a view of ``s`` (rank 2 or more) or a copy of one element
        (rank 1), which the reverse sweep handles differently (a view's adjoint is a view of the
        shadow; an element's, a number added back), and code for "either" lost the element's
        adjoint. Refused; where a parameter's rank is not known (the command line without
        ``--shape``), ``cli.ranks`` asks for it first."""
        if any(k is not None and k.cls in ("array", "num") and k.ndim is None for k in map(self.kinds.get, self.params)):
            return
        eff = self.eff
        for s in walk_stmts(self.body):
            n = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) else None
            k = self.kinds.get(n)
            if k is None or k.cls != "num" or k.ndim == 0 or n not in eff.memory_names:
                continue
            base = eff.view_base(s.value)
            if base is not None and eff.maybe_array(base) and eff.cell(n) == eff.cell(base):
                of = ast.unparse(s.value.value) if isinstance(s.value, ast.Subscript) else base
                said = (f"`{ast.unparse(s.value)}`", f"`{of}`") if not of.startswith("_") else ("an item read here",
                                                                                                "what it is read from")
                raise UnsupportedSyntaxError(
                    f"whether {said[0]} is a view or a copy of one element depends on the rank of {said[1]}, which "
                    "is not known here (it depends on the shape: np.squeeze without axis=), and its memory is "
                    "written: the derivative differs between the two.",
                    filename=self.pf.filename, lineno=s.lineno, construct=self.pf.line_text(s.lineno),
                    hint="make the rank known: np.squeeze(x, axis=0) (the axes to drop), or x.reshape(-1), "
                         "x[0] in place of np.squeeze(x).")

    def check_free_arrays_unwritten(self, callee_ret_free=lambda f, call: None) -> None:
        """Refuse writes into an array the function reads from its module or
        closure through another name (``v = H; v[0] = ...``, a view of it, a
        helper that writes its argument, or returns it and the caller writes
        the result): like a direct write (refused by the frontend) its
        derivative could not be carried, as it is no argument."""
        arrays = self.free_arrays()
        returned = [(s.targets[0].id, callee_ret_free(notes.target(s.value), s.value)) for s in walk_stmts(self.body)
                    if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                    and isinstance(s.value, ast.Call) and notes.is_user_call(s.value)]
        if not arrays and not any(name for _, name in returned):
            return
        mem = self.eff.memory_of
        # the free array itself (a helper writes it), and the local names bound to it or to a view of it
        names = [(name, name) for name in arrays] + [
            (s.targets[0].id, base) for s in walk_stmts(self.body)
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
            and (base := self.eff.view_base(s.value)) in arrays] + [(t, name) for t, name in returned if name]
        for local, name in names:
            writers = self.eff.memory_writers.get(mem.get(local, local))
            if writers:
                line = writers[0].lineno
                raise UnsupportedSyntaxError(
                    f"`{self.pf.name}` writes into `{name}`, an array of its module or closure, which is not an "
                    "argument or local variable.",
                    filename=self.pf.filename, lineno=line, construct=self.pf.line_text(line),
                    hint=f"pass `{name}` as an argument (Duplicated to differentiate it, Const otherwise), or "
                         f"write into a local copy ({name}.copy()).")


def accumulated_only(an, p, analyse=None) -> bool:
    """Whether the function only adds into its parameter ``p`` (``p[...] += v``
    with ``v`` not reading ``p``) and reads it for nothing but its shape (the
    second argument of ``_ad_unbroadcast``): then two such parameters may be
    one array, the sums commute. What a reverse half does with the shadows of
    arguments its primal only reads."""
    from ..runtime import core

    def reads(node, allowed=()):
        return any(isinstance(x, ast.Name) and x.id == p and x not in allowed for x in ast.walk(node))
    for s in walk_stmts(an.body):
        if isinstance(s, (ast.For, ast.While, ast.If)):
            header = s.iter if isinstance(s, ast.For) else s.test
            if reads(header) or (isinstance(s, ast.For) and reads(s.target)):
                return False
            continue
        if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add):
            t = s.target
            base = t.value if isinstance(t, ast.Subscript) else t
            if isinstance(base, ast.Name) and base.id == p:
                if reads(s.value) or (isinstance(t, ast.Subscript) and reads(t.slice)):
                    return False
                continue
        if analyse is not None and _passed_on(an, s, p, analyse):
            continue   # (given to another reverse half that only adds into it)
        shapes = {c.args[1] for c in ast.walk(s) if isinstance(c, ast.Call) and len(c.args) == 2
                  and notes.target(c) is core.unbroadcast}
        if reads(s, shapes):
            return False
    return True


def _passed_on(an, s, p, analyse) -> bool:
    """Whether ``s`` calls a function of generated code (bound or not) with ``p`` among its
    arguments as a name, and nothing else of ``s`` reads ``p``, and the callee only adds into
    each parameter ``p`` is given as (``_accumulated_only``)."""
    call = s.value if isinstance(s, (ast.Expr, ast.Assign)) else None
    if not (isinstance(call, ast.Call) and notes.is_user_call(call) and is_generated(
            getattr(getattr(notes.target(call), "__code__", None), "co_filename", ""))):
        return False
    at = [k for k, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id == p]
    if not at or sum(isinstance(x, ast.Name) and x.id == p for x in ast.walk(s)) != len(at):
        return False
    callee = analyse(notes.target(call), tuple(an.inference.expr(a) for a in call.args))
    return all(k < len(callee.params) and accumulated_only(callee, callee.params[k], analyse) for k in at)

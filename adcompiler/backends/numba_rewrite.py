"""numba_rewrite: a generated module's functions as code numba can type.

The numpy backend's code keeps what its reverse sweep needs on a Python list (``_tape.append(v)`` / ``v = _tape.pop()``).
numba types every variable, so here the tape becomes four locals: a float64 buffer and its fill count, an int64 buffer
and its fill count (``_ad_tf, _ad_nf, _ad_ti, _ad_ni``). Each push and pop was tagged by the transform with the kind of
the value (``transform/tape.tape_tag``): a float goes to the float buffer, an int or bool to the int buffer, an array to
the float (or int) buffer element by element with its shape on the int buffer. Buffers grow geometrically. Functions that
take the tape (callee halves, split halves) take the four values and return them after their own result; calls thread them.
Also: ``reversed(range(...))`` counts down (``numba_loops``), ``x = None`` placeholders are typed zeros, argument checks
dropped, lists of ints pushed as arrays. What cannot be typed is refused with the user's file, line and construct.
"""
from __future__ import annotations

import ast
import copy
import re

from ..analysis.order import heads
from ..codegen.emit import _MARK_RE
from ..errors import BackendError
from ..frontend import notes
from . import numba_tuples as tuples
from .numba_dtypes import refuse_narrow
from .numba_gather import COPIES, gathered  # (COPIES: codegen.naming's)
from .numba_indexing import list_indices
from .numba_loops import LoopRewrites, complex_pop, complex_push, presized
from .numba_refs import pop_reference, push_reference, reference_lists, referenced
from .numba_roots import returned_alias
from .numba_runtime import HELPERS
from .numba_scalars import (
    big_int,
    bool_expr,
    complex_powers,
    computed_otherwise,
    int_arithmetic,
    int_list_given_float,
    int_lists,
)
from .numba_shadows import array_adjoints, view_line
from .numba_values import ellipses
from .numba_views import split_pairs

STATE = ("_ad_tf", "_ad_nf", "_ad_ti", "_ad_ni")
ZERO = {"f": 0.0, "i": 0, "b": False, "n": 0.0, "c": 0j}   # "n": an int or a float, made a float (int_powers)
_TAPE_UNCOVERED = "the generated code uses the tape in a way the typed tape does not cover"
_POPS = re.compile(r"^_ad_pop_a[fibc]\d$")
_COUNTED = re.compile(r"^_ad_(?:[klh]|gl|gh|j|el|geo|acc|refs|root)\d+(?:_\d+)?$")   # counted-down and gathered loops, lists,
# the positions of arguments whose shadows swap (numba_roots)


def _n(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _state(ctx=ast.Load):
    return [_n(s, ctx) for s in STATE]


def _assign(targets, value):
    return ast.Assign(targets=[targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())], value=value)


_VIEW_ATTRS = frozenset({"T", "mT", "real", "imag", "reshape", "ravel", "transpose", "swapaxes", "squeeze",
                         "view", "asarray", "ascontiguousarray", "asfortranarray", "atleast_1d", "atleast_2d",
                         "expand_dims", "moveaxis", "flip", "fliplr", "flipud", "diagonal"})


def _call(name, args):
    return ast.Call(_n(name), list(args), [])


def _is_tape_call(node, tape, method):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == tape


def _uncopied(expr):
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "_ad_copy":
        return expr.args[0]
    return expr


#: what a runtime helper that has no numba version does, in the words of a refusal
_TUPLE = "a tuple that carries derivatives (a function's result of several values)"
_HELPERS_SAID = {"_ad_tadd": f"adds to the adjoint of {_TUPLE}", "_ad_tget": f"reads the adjoint of {_TUPLE}",
                 "_ad_tplus": f"adds two adjoints of {_TUPLE}",
                 "_ad_stack_list_adjoint": "takes the adjoint of np.stack (or np.array) of a list"}


class FunctionRewrite(LoopRewrites):
    """Rewrites one generated function (a ``FunctionDef``, changed in place)."""

    def __init__(self, fn, kinds, namer, origins, where):
        self.fn, self.kinds, self.namer, self.tape = fn, kinds, namer, namer.tape
        self.origins = origins       # the module's (file, line, text) of each comment
        self.where = where           # the last comment seen: index into origins
        self.ranks: set = set()      # (rank, dtype kind) of arrays popped (helpers to emit)
        self.threads = False         # takes and returns the tape
        self.counters = 0            # names of counted-down loops (_ad_k1, ...: no user name starts _ad_)
        self.refs: dict = {}         # an array pushed by reference -> the local list holding it (numba_refs)
        self.by_reference: set = set()   # the names pushed so

    def kind_of(self, name):
        """The kind of a name of the generated function (a shadow: its primal's)."""
        k = self.kinds.get(name)
        if k is None:
            primal = next((x for x, d in self.namer.adjoints.items() if d == name), None)
            k = self.kinds.get(primal) if primal is not None else None
        return k

    def counter(self) -> int:
        self.counters += 1
        return self.counters

    def refuse(self, node, why, hint):
        file, line, text = self.origins[self.where] if self.where is not None else (None, None, None)
        raise BackendError(f"the numba backend cannot compile this: {why}", filename=file, lineno=line,
                           construct=text or ast.unparse(ast.fix_missing_locations(copy.deepcopy(node))), hint=hint)

    def run(self):
        for node in ast.walk(self.fn):   # before the first comment: the function's first line
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Name) and _MARK_RE.match(node.value.id):
                self.where = int(_MARK_RE.match(node.value.id).group(2))
                break
        params = [a.arg for a in self.fn.args.args]
        passed = next((p for p in params if getattr(self.kinds.get(p), "cls", None) == "function"), None)
        if passed is not None:
            self.refuse(self.fn, f"a function is passed to it as an argument (`{passed}`), and numba takes no Python "
                                 "function as an argument", "use backend='numpy' (backend='auto' falls back by "
                                                            "itself), or call the function by its module-level name.")
        if self.tape in params:
            self.threads = True
            k = params.index(self.tape)
            self.fn.args.args[k:k + 1] = [ast.arg(s) for s in STATE]
        self.int_lists = int_lists(self.fn)
        array_adjoints(self.fn, self.kinds, self.namer, self.tape)
        tuples.tuple_adjoints(self.fn, self.kind_of, self.namer)
        self.by_reference = referenced(self.fn, self.tape, self.kinds, self.namer) if not self.threads else set()
        body = self.block(self.fn.body)
        self.fn.body = reference_lists(self.refs) + body
        if not self.threads:
            self.fn.body = _without_unused_tape(self.fn.body)
        ellipses(self.fn, self.kinds, self.namer)
        int_arithmetic(self.fn, self.kinds)
        complex_powers(self.fn, self.kinds)
        list_indices(self.fn)
        return ast.fix_missing_locations(self.fn)

    def block(self, stmts):
        out = []
        for s in stmts:
            new = self.stmt(s)
            for n in new:
                self.helpers_known(s, n)
            out += new
        return out

    def helpers_known(self, s, new):
        """Refuse a runtime helper that has no numba version (the numpy backend's ``_ad_*``), and an int
        the code writes beyond int64 (``2 ** 70``: numba's is 0)."""
        if (named := int_list_given_float(new, self.int_lists, self.kind_of)) is not None:
            self.refuse(s, f"the list `{named}` is written out with ints and given a float, which numba would "
                           "make an int (its list holds one type)", "write its numbers as floats ([1.0] * n), or "
                                                                     "use backend='numpy' (backend='auto' falls back).")
        for head in heads(new):
            for node in ast.walk(head):
                if big_int(node):
                    self.refuse(s, f"`{ast.unparse(node)}` is an int beyond 64 bits, which numba computes in int64 "
                                   "(2 ** 70 is 0 there)", "write it as a float (2.0 ** 70), or use backend='numpy' "
                                   "(backend='auto' falls back by itself).")
                if isinstance(node, ast.Name) and node.id.startswith("_ad_") and node.id not in STATE \
                        and node.id not in HELPERS and not _POPS.match(node.id) and node.id != "_ad_void" \
                        and not _COUNTED.match(node.id):
                    if node.id in ("_ad_shadow_ref", "_ad_roots"):
                        self.where = view_line(self.fn) or self.where   # (the view's line, not the first)
                        self.refuse(s, "the derivative passes the shadow of a view or of a new array (a local "
                                       "array, an array a helper returns) from a forward half to its reverse half "
                                       "(split mode: autodiff_thunk, differentiate; or a helper's halves), which "
                                       "the typed tape does not carry", "use backend='numpy' (backend='auto' falls "
                                       "back by itself).")
                    what = _HELPERS_SAID.get(node.id, f"calls the runtime helper `{node.id}`")
                    self.refuse(s, f"its derivative {what}, which has no numba version",
                                "use backend='numpy' (or backend='auto') for this function.")

    def one_element(self, e) -> bool:
        """Whether ``x[..., i]`` (an index with an ellipsis) may select one element: no slice or
        new axis, and ``x`` of a rank no larger than its other entries (or unknown)."""
        elts = [i for i in e.slice.elts if not (isinstance(i, ast.Constant) and i.value is Ellipsis)]
        if any(isinstance(i, ast.Slice) or (isinstance(i, ast.Constant) and i.value is None) for i in elts):
            return False
        k = self.kinds.get(e.value.id) if isinstance(e.value, ast.Name) else None
        return k is None or k.cls != "array" or k.ndim is None or k.ndim <= len(elts)

    def stmt(self, s):
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name):
            self.where = int(m.group(2)) if (m := _MARK_RE.match(s.value.id)) else self.where
            return [s]
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
                and s.value.func.id == "_ad_expect_arguments":
            return []
        if isinstance(s, ast.Expr) and _is_tape_call(s.value, self.tape, "append"):
            return self.push(s, s.value)
        if isinstance(s, ast.Assign) and _is_tape_call(s.value, self.tape, "pop"):
            return self.pop(s, s.value)
        if isinstance(s, ast.Assign) and (alias := returned_alias(s.value, self.where is not None and self.origins[self.where])):
            s.value = alias   # (the shadow of a helper's argument it returned)
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Subscript) \
                and isinstance(s.value.slice, ast.Tuple) and len(s.value.slice.elts) > 1 and any(
                    isinstance(e, ast.Constant) and e.value is Ellipsis for e in s.value.slice.elts) \
                and self.one_element(s.value):
            # numpy's x[0, ...] is a 0-d view (it sees later writes of x); numba's a copy
            k = self.kinds.get(s.value.value.id) if isinstance(s.value.value, ast.Name) else None
            known = k is not None and k.cls == "array" and k.ndim is not None
            self.refuse(s, "a view of one element with an ellipsis (x[0, ...]), which numba copies" if known else
                        "an index with an ellipsis that may select one element (x[0, ...]; the array's rank is not "
                        "known here), a view numba would copy", "read the element after the writes, index without "
                        "the ellipsis (x[i, :] for a row), or use backend='numpy'.")
        if isinstance(s, ast.Assign) and isinstance(s.value, ast.List) and not s.value.elts \
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id == self.tape:
            return [_assign(_state(ast.Store), _call("_ad_tape_new", []))]
        if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) and s.value.value is None \
                and isinstance(s.targets[0], ast.Name):
            return [self.placeholder(s)]
        if isinstance(s, ast.Return):
            if self.threads:
                value = s.value if s.value is not None else ast.Constant(None)
                s.value = ast.Tuple([value] + _state(), ast.Load())
            self.expr(s, s.value)
            return [s]
        if isinstance(s, (ast.For, ast.While, ast.If)):
            before, head = [], []
            if isinstance(s, ast.For):
                before, head = self.counted_down(s)
                if not head:
                    s.iter = self.reversed_range(s, s.iter)
            self.expr(s, s.iter if isinstance(s, ast.For) else s.test)
            s.body = head + self.block(s.body)
            s.orelse = self.block(s.orelse)
            if isinstance(s, ast.For) and not head:
                gather = gathered(s, self.fn, self.kind_of, self.counter)
                if gather is not None:
                    return before + gather
            return before + presized(s)
        if isinstance(s, (ast.Assign, ast.Expr)) and isinstance(_uncopied(s.value), ast.Call) \
                and any(isinstance(a, ast.Name) and a.id == self.tape for a in _uncopied(s.value).args):
            return self.threaded_call(s)
        if isinstance(s, ast.AugAssign) and self.may_be_view(s.value):
            # numba updates in place element by element with no temporary: ``x[1:] += x[:-1]``
            # or ``A -= A[0]`` would read elements already updated (numpy reads a copy)
            s.value = _call("_ad_copy", [s.value])
        self.expr(s, s)
        return [s]

    def may_be_view(self, e) -> bool:
        """Whether ``e`` may be (a view of) an array: a name or a subscript, not an element."""
        if isinstance(e, ast.Name):
            k = self.kinds.get(e.id)
            return k is None or k.cls in ("array", "num", "other")
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
            k = self.kinds.get(e.value.id)
            if k is None or k.cls != "array" or k.ndim is None:   # (of unknown rank: its index may leave axes)
                return k is None or k.cls in ("num", "other") or (k.cls == "array" and k.ndim is None)
            idx = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
            return len(idx) < k.ndim or any(isinstance(i, ast.Slice) or (isinstance(i, ast.Constant)
                                                                        and i.value in (None, Ellipsis))
                                           for i in idx)
        if isinstance(e, ast.Attribute):   # x.T, x.real
            return e.attr in _VIEW_ATTRS and self.may_be_view(e.value)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr in _VIEW_ATTRS:
            if isinstance(e.func.value, ast.Name) and e.func.value.id in ("np", "numpy"):
                return bool(e.args) and self.may_be_view(e.args[0])   # np.ravel(x)
            return self.may_be_view(e.func.value)   # x.reshape(...)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id.startswith("_ad_") \
                and e.func.id not in COPIES and e.args:
            # a helper may return its argument (_ad_unbroadcast of equal shapes: the shadow
            # update ``dB += _ad_unbroadcast(dA, dB)`` where dB views dA)
            return self.may_be_view(e.args[0])
        return False

    def expr(self, s, node):
        """Refuse a use of the tape this rewrite does not know."""
        if node is None:
            return
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id == self.tape:
                self.refuse(s, _TAPE_UNCOVERED, "use backend='numpy' for this function.")
            if isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Add, ast.Sub, ast.Mult)) \
                    and bool_expr(sub.left, self.kinds) and bool_expr(sub.right, self.kinds):
                # numpy bools add as a logical or, Python bools as ints: numba adds ints
                self.refuse(s, "arithmetic on two comparisons (numpy's bools add as a logical or, Python's as "
                               "ints, and numba cannot tell which these are)",
                            "convert one side (float(x > a) + float(x > b) counts, np.logical_or(...) ors), or "
                            "use backend='numpy'.")
            if notes.draws_random(sub):
                self.refuse(s, f"`{ast.unparse(sub.func)}` draws random numbers, and numba's generators keep a state "
                               "of their own (its numbers would not be the ones the function draws, seeded or not)",
                            "draw the numbers before the call and pass them in as an argument, or use "
                            "backend='numpy' (backend='auto' falls back by itself).")
            otherwise = computed_otherwise(sub, self.kinds)
            if otherwise is not None:
                self.refuse(s, *otherwise)
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "range" and any(
                    isinstance(a, ast.Constant) and type(a.value) is float or isinstance(a, ast.Name)
                    and getattr(self.kinds.get(a.id), "cls", None) == "float" for a in sub.args):
                self.refuse(s, "range() of a float (Python raises a TypeError; numba's range runs to the "
                               "float truncated)", "pass an int (int(n), n // 1 is a float), or use backend='numpy'.")

    # -- the tape -------------------------------------------------------------------------
    def push(self, s, call):
        tag = getattr(call, "tape_tag", None)
        value = _uncopied(call.args[0])
        self.expr(s, value)
        if tag in ("f", "i", "b"):
            # inline (a helper returning the buffer costs a reference count per push)
            buf, count = ("_ad_tf", "_ad_nf") if tag == "f" else ("_ad_ti", "_ad_ni")
            if tag != "f":
                value = _call("int", [value])
            full = ast.Compare(_n(count), [ast.Eq()], [ast.Subscript(ast.Attribute(_n(buf), "shape", ast.Load()),
                                                                    ast.Constant(0), ast.Load())])
            grow = _assign([_n(buf, ast.Store)], _call("_ad_reserve", [_n(buf), _n(count), ast.Constant(1)]))
            guard = ast.If(full, [grow], [])
            guard.grows = buf   # an innermost range loop reserves room before it and drops this (see presized)
            return [guard,
                    _assign([ast.Subscript(_n(buf), _n(count), ast.Store())], value),
                    ast.AugAssign(_n(count, ast.Store), ast.Add(), ast.Constant(1))]
        if tag == "c" and isinstance(value, ast.Name):
            return complex_push(value)
        if tag and tag[0] == "a" and tag[1:-1] not in ("", "0"):
            if isinstance(value, ast.Name) and value.id in self.by_reference:
                return push_reference(self.refs, value.id, self.counter)
            if isinstance(value, ast.Name) and value.id in set(self.namer.adjoints.values()) \
                    and not getattr(call, "shadow_shape", False):
                # the typed tape holds an array's values, not the array: a shadow popped back
                # would be a copy, and the adjoints added to it would never reach the argument's
                if value.id == self.namer.adjoints.get(self.namer.ret):
                    self.refuse(s, "this function returns an array that carries a derivative to the code calling "
                                   "it, whose shadow the typed tape cannot hold",
                                "write the helper's result into an array argument (out=) or inline it, or use "
                                "backend='numpy' (backend='auto' falls back by itself).")
                self.refuse(s, f"the reverse sweep restores the shadow `{value.id}` of an array name bound "
                               "more than once (`x = x * 2`, `a, b = b, a`, a loop over the rows of an array "
                               "`for row in A:`), which the typed tape cannot hold",
                            "bind a new name instead of rebinding the array's, index the rows (A[i]) in a range "
                            "loop, or use backend='numpy' (backend='auto' falls back by itself).")
            if tag[-1] == "c":   # (a complex array as its float view: each element's real and imaginary part)
                whole = ast.Call(ast.Attribute(_n("np"), "ascontiguousarray", ast.Load()), [value], [])
                value = ast.Call(ast.Attribute(whole, "view", ast.Load()), [ast.Attribute(_n("np"), "float64",
                                                                                            ast.Load())], [])
            if isinstance(value, ast.Name) and value.id in self.int_lists:
                value = ast.Call(ast.Attribute(_n("np"), "asarray", ast.Load()), [value], [])
            helper = "_ad_push_ai" if tag[-1] in "ib" else "_ad_push_af"
            return [_assign(_state(ast.Store), _call(helper, _state() + [value]))]
        k = self.kinds.get(value.id) if isinstance(value, ast.Name) else None
        if tag is None and (tags := tuples.scalar_tuple(k)):
            return tuples.tuple_push(value, tags, lambda e, t: self.push(s, tuples.tagged(ast.Call(call.func, [e], []), t)))
        if k is not None and k.dtype == "c":
            return self.refuse(s, "the reverse sweep needs a complex value, and the typed tape holds no complex "
                                  "numbers", "use backend='numpy' (backend='auto' falls back by itself).")
        made = set(self.namer.generated) | set(self.namer.adjoints.values()) if self.namer is not None else set()
        vague = [a.arg for a in self.fn.args.args if a.arg not in made and a.arg not in ("dret", "_tape", *STATE)
                 and getattr(self.kinds.get(a.arg), "cls", "num") in ("num", "other")]
        return self.refuse(s, f"the reverse sweep needs `{ast.unparse(value)}`, whose type (a float, an int, a "
                              "bool or an array of known rank) is not known",
                           (f"give the types of {', '.join(f'`{n}`' for n in vague)} (annotations such as "
                            f"`{vague[0]}: int`, or on the command line --shape {vague[0]}=:int64 for an int, "
                            f"--shape {vague[0]}=DIMS for an array)"
                            if vague else "give the arrays' ranks (annotations or shapes)") +
                           ", or use backend='numpy'.")

    def pop(self, s, call):
        tag = getattr(call, "tape_tag", None)
        target = s.targets[0]
        if isinstance(target, ast.Name) and target.id in self.by_reference:
            return pop_reference(self.refs, target, self.counter)
        if tag == "f":
            return [ast.AugAssign(_n("_ad_nf", ast.Store), ast.Sub(), ast.Constant(1)),
                    _assign([target], ast.Subscript(_n("_ad_tf"), _n("_ad_nf"), ast.Load()))]
        if tag == "c":
            return complex_pop(target)
        if tag in ("i", "b"):
            value = ast.Subscript(_n("_ad_ti"), _n("_ad_ni"), ast.Load())
            if tag == "b":
                value = ast.Compare(value, [ast.NotEq()], [ast.Constant(0)])
            return [ast.AugAssign(_n("_ad_ni", ast.Store), ast.Sub(), ast.Constant(1)), _assign([target], value)]
        if tag and tag[0] == "a" and tag[1:-1] not in ("", "0"):
            rank, dk = int(tag[1:-1]), tag[-1]
            if rank > 4:
                self.refuse(s, f"an array of rank {rank} on the tape", "use backend='numpy'.")
            self.ranks.add((rank, dk))
            return [_assign([target, _n("_ad_nf", ast.Store), _n("_ad_ni", ast.Store)],
                            _call(f"_ad_pop_a{dk}{rank}", _state()))]
        if tag is None and isinstance(target, ast.Name) and (tags := tuples.scalar_tuple(tuples.saved_kind(self.kinds, target.id))):
            n = self.counter()
            return tuples.tuple_pop(target, tags, lambda t, g: self.pop(ast.Assign([t], call), tuples.tagged(call, g)),
                             lambda k: f"_ad_el{n}_{k}")
        shown = ast.unparse(target)
        return self.refuse(s, f"the reverse sweep restores {f'`{shown}`' if not shown.startswith('_') else 'a value'}"
                              ", whose type is not known (a tuple or list a function returns, a value of several types)",
                           "give the arrays' ranks (annotations or shapes), or use backend='numpy'.")

    def threaded_call(self, s) -> list:
        """``s`` calling a function that takes the tape, threading the typed tape's four values
        through (``x = _ad_copy(f_fwd(..., _tape))``: the call, then the copy of what it returned)."""
        call = _uncopied(s.value)
        if call is not s.value and isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            t = s.targets[0].id
            return self.threaded_call(ast.Assign(s.targets, call)) + [_assign([_n(t, ast.Store)], _call("_ad_copy", [_n(t)]))]
        call = s.value
        if not (isinstance(call.args[-1], ast.Name) and call.args[-1].id == self.tape) or \
                any(isinstance(a, ast.Name) and a.id == self.tape for a in call.args[:-1]):
            self.refuse(s, "a call passes the tape where the typed tape does not expect it", "use backend='numpy'.")
        call.args[-1:] = _state()
        if isinstance(s, ast.Assign) and len(s.targets) > 1:
            self.refuse(s, "a chained assignment of a call that takes the tape", "use backend='numpy'.")
        return [_assign([_n("_ad_void", ast.Store) if isinstance(s, ast.Expr) else s.targets[0]] + _state(ast.Store), call)]

    # -- the rest ---------------------------------------------------------------------------
    def placeholder(self, s):
        name = s.targets[0].id
        from ..transform.tape import tape_tag
        tag = tape_tag(self.kinds, self.namer, name)
        if getattr(s, "ad_none", False) and (tag in ZERO or tag and tag[0] == "a"):
            who = "the function" if name == self.namer.ret else \
                "a value on this line" if name.startswith("_") else f"`{name}`"
            self.refuse(s, f"{who} may be None or a number "
                           "(numba types each variable once: None would be 0)", "use backend='numpy'.")
        tags = tuples.scalar_tuple(self.kinds.get(name)) if tag is None else None
        if tags and getattr(s, "ad_none", False):
            self.refuse(s, f"`{name}` may be None or a tuple (numba types each variable once)", "use backend='numpy'.")
        if tags:
            s.value = tuples.tuple_placeholder(tags)
        elif tag in ZERO:
            s.value = ast.Constant(ZERO[tag])
        elif tag and tag[0] == "a" and tag[1:-1] not in ("", "0"):
            # an empty array of the right rank and dtype (numba unifies it with views)
            dtype = {"f": "float64", "i": "int64", "b": "bool_", "c": "complex128"}[tag[-1]]
            shape = ast.Tuple([ast.Constant(0)] * int(tag[1:-1]), ast.Load())
            s.value = ast.Call(ast.Attribute(_n("np"), "zeros", ast.Load()),
                               [shape, ast.Attribute(_n("np"), dtype, ast.Load())], [])
        return s


def _without_unused_tape(body) -> list:
    """``body`` without its ``_ad_tape_new()`` when nothing else uses the tape (nothing pushed)."""
    new = [s for s in body if isinstance(s, ast.Assign) and _call_of_helper(s.value, "_ad_tape_new")]
    if len(new) != 1:
        return body
    uses = sum(1 for s in body for n in ast.walk(s) if isinstance(n, ast.Name) and n.id in STATE)
    return [s for s in body if s is not new[0]] if uses == len(STATE) else body


def _call_of_helper(e, name) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name and not e.args


def rewrite_functions(functions, contexts, origins, namespace=None) -> tuple:
    """Copies of ``functions`` rewritten for numba, the (rank, dtype kind) of
    the arrays they pop (the helpers the module needs), and the refused ones:
    name -> ``BackendError`` (a function that calls a refused one is refused
    with its error; the others still compile, so the fused function may run
    where a split half cannot)."""
    out, ranks, refused, calls = [], set(), {}, {}
    for fn in split_pairs([copy.deepcopy(fn) for fn in functions], contexts):
        calls[fn.name] = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
        if fn.name not in contexts:
            refused[fn.name] = BackendError(f"the numba backend cannot compile the generated function `{fn.name}`.",
                                            hint="use backend='numpy'.")
            continue
        kinds, namer = contexts[fn.name]
        rw = FunctionRewrite(fn, kinds, namer, origins, None)
        try:
            refuse_narrow(fn, origins, namespace)
            out.append(rw.run())
        except BackendError as e:
            refused[fn.name] = e
            continue
        ranks |= rw.ranks
    changed = True
    while changed:   # (a function whose tape use is not covered because it calls a refused one: the callee's reason)
        changed = False
        for name, e in list(refused.items()):
            known = [c for c in refused if c != name and refused[c] is not e and _TAPE_UNCOVERED not in str(refused[c])]
            # (a callee's reason; else the other split half's: the halves are a pair)
            half = {"_fwd": "_rev", "_rev": "_fwd"}.get(name[-4:])
            callee = min((c for c in known if c in calls.get(name, ())),
                         default=name[:-4] + half if half and name[:-4] + half in known else None)
            if _TAPE_UNCOVERED in str(e) and callee is not None:
                refused[name] = refused[callee]
                changed = True
    changed = True
    while changed:
        changed = False
        for fn in list(out):
            called = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} & set(refused)
            if called:
                refused[fn.name] = refused[min(called)]
                out.remove(fn)
                changed = True
    return out, ranks, refused


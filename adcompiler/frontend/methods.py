"""methods: array methods and ``.T`` become calls of numpy functions.

After this rewrite no call has an array method as its function, except
``L.append(v)`` and ``L.pop()`` on a local list:

- ``x.m(args)`` for ``m`` in ``METHODS`` is ``np.m(x, args)`` (``reshape``
  and ``transpose`` with several arguments take them as one tuple);
- ``x.astype(t)`` is ``np.array(x, dtype=t)`` (a copy; with ``copy=False``,
  ``np.asarray``), ``x.flatten()`` is ``np.copy(np.ravel(x))``, ``x.item()``
  is ``np.take(np.reshape(x, ()), 0)``, ``x.item(k)`` ``np.take(x, k)``, ``x.item(i, j)``
  ``x[i, j]`` (numbers of the array's dtype);
- ``x.T`` is ``np.transpose(x)``; ``x.shape``-like attributes stay;
- methods that write the array (``x.fill``, ``x.sort``, ``x.put``: see
  ``rules/writes.py``) are rewritten into stores by ``frontend/inplace.py``;
- ``np.correlate(a, v, mode)`` is the convolution it is (``correlation``).

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    return x.T.sum(axis=0)"))
_ret = None
_t1 = np.transpose(x)
_ret = np.sum(_t1, axis=0)
"""
from __future__ import annotations

import ast

import numpy as np

from ..analysis.kinds import kind_of_value
from ..errors import NoRuleError
from ..rules import lookup
from . import notes
from .anf import SHAPE_ATTRS
from .inplace import METHOD_HANDLERS
from .resolve import MISSING

#: array methods -> numpy functions (the array becomes the first argument);
#: a string names a method rewritten otherwise (``MethodRewrite.converted``), None a refused one
METHODS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "dot": np.dot, "clip": np.clip, "copy": np.copy, "reshape": np.reshape,
    "ravel": np.ravel, "transpose": np.transpose, "squeeze": np.squeeze,
    "swapaxes": np.swapaxes, "round": np.round, "any": np.any, "all": np.all,
    "argmax": np.argmax, "argmin": np.argmin, "nonzero": np.nonzero,
    "trace": np.trace, "diagonal": np.diagonal, "repeat": np.repeat,
    "take": np.take, "cumulative_sum": getattr(np, "cumulative_sum", np.cumsum),
    "conj": np.conj, "flatten": "flatten", "astype": "astype", "tolist": None,
    "item": "item", "conjugate": np.conjugate, "argsort": np.argsort, "searchsorted": np.searchsorted,
}
#: methods that take their last parameter as separate arguments (``x.reshape(2, 3)``)
VARARG_METHODS = frozenset({"reshape", "transpose"})


def clip_bounds(bounds: list, keywords: list) -> tuple:
    """The bounds of ``x.clip(lo)``, ``x.clip(max=hi)`` or ``np.clip(x, min=lo,
    max=hi)`` as ``a_min``, ``a_max`` by position (numpy's method takes one bound
    alone; ``min=``/``max=`` are the array API's names of the two)."""
    names = {"min": "a_min", "max": "a_max"}
    kw = {names.get(k.arg, k.arg): k.value for k in keywords}
    bounds = list(bounds)
    for k, name in enumerate(("a_min", "a_max")):
        if len(bounds) <= k:
            bounds.append(kw.pop(name, ast.Constant(None)))
    return bounds, [ast.keyword(k, v) for k, v in kw.items()]


def _np(name):
    return ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load())


def _len(name):
    return ast.Call(ast.Name("len", ast.Load()), [ast.Name(name, ast.Load())], [])


class MethodRewrite:
    """Rewrites array methods and attributes (mixed into ``normalize.Normalizer``)."""

    def copied(self, e, value, deep=False):
        """``value.copy()``, ``copy.copy(value)`` (``_ad_copy_method``: a list of arrays refused at
        run time, whose copy shares them) or ``copy.deepcopy(value)`` (``_ad_copy``: items copied too)."""
        from ..runtime import core, lists
        helper, name = (core.copy, "_ad_copy") if deep else (lists.copy_method, "_ad_copy_method")
        call = ast.copy_location(ast.Call(ast.Name(name, ast.Load()), [self.atom(value)], []), e)
        notes.resolve_call(call, helper, lookup(helper))
        return call

    def method_call(self, e):
        f = e.func
        name = f.attr
        if isinstance(f.value, ast.Name) and (f.value.id in self.lists.local or f.value.id in self.containers()) \
                and name in (*METHOD_HANDLERS, "extend", "insert", "clear", "reverse", "remove", "index", "count"):
            self.err(e, f"the list method `.{name}()` is not supported (a list is followed through append, pop, "
                        "its items, len and sum).", "build the list in the order wanted, or an array and numpy's "
                                                    "functions (np.sort, np.concatenate...).")
        if name in METHOD_HANDLERS:
            return METHOD_HANDLERS[name](self, e, f.value)
        if name in ("append", "pop") and isinstance(f.value, ast.Name) and self.res.is_local(f.value.id):
            return self.list_method(e, name)
        if name == "copy" and not e.args and not e.keywords:
            # x.copy() as the object's own method: a C-ordered array for an array (a list's: refused
            # where it holds arrays, which its shallow copy would share)
            return self.copied(e, f.value)
        target = METHODS.get(name)
        if target is None or isinstance(target, str):
            return self.converted(e, name)
        args = list(e.args)
        keywords = list(e.keywords)
        if name in VARARG_METHODS and len(args) > 1:
            args = [ast.Tuple(args, ast.Load())]
        if name == "clip":
            args, keywords = clip_bounds(args, keywords)
        new = ast.Call(func=ast.parse(f"np.{target.__name__}", mode="eval").body,
                       args=[f.value] + args, keywords=keywords)
        ast.copy_location(new, e)
        if lookup(target) is None:
            self.err(e, f"the array method `.{name}()` (numpy.{target.__name__}) has no derivative rule.",
                     "register one with adcompiler.extend.defrule, or rewrite the code.", cls=NoRuleError)
        self._np_ok(e)
        out = self.call_resolved(new, target)
        if name in ("conj", "conjugate") and isinstance(out, ast.Call):
            notes.mark_method(out, name)   # (x itself for a real x: transform/builtin_minmax.py)
        return out

    def list_method(self, e, name):
        """``L.append(v)`` / ``L.pop()`` on a local list, resolved to ``list.append``/``list.pop``."""
        if (name == "append" and len(e.args) != 1) or (name == "pop" and e.args) or e.keywords:
            self.err(e, f"`.{name}` with these arguments is not supported.", "use L.append(v) and L.pop().")
        target = list.append if name == "append" else list.pop
        call = ast.Call(func=ast.Attribute(ast.Name(e.func.value.id, ast.Load()), name, ast.Load()),
                        args=[self.atom(a) for a in e.args], keywords=[])
        notes.resolve_call(call, target, lookup(target))
        return call

    def converted(self, e, name):
        """``astype``, ``flatten`` and ``item``, which have no numpy function of their own."""
        obj = e.func.value
        if name == "astype" and not e.args and any(k.arg == "dtype" for k in e.keywords):   # (x.astype(dtype=float))
            e = ast.copy_location(ast.Call(e.func, [next(k.value for k in e.keywords if k.arg == "dtype")],
                                           [k for k in e.keywords if k.arg != "dtype"]), e)
        if name == "astype" and len(e.args) == 1 and all(k.arg == "copy" for k in e.keywords):
            # a copy, unless copy=False (then a view when the dtype is already that one)
            copies = not any(isinstance(k.value, ast.Constant) and k.value.value is False for k in e.keywords)
            if e.keywords and copies and not all(isinstance(k.value, ast.Constant) for k in e.keywords):
                self.err(e, "`.astype(..., copy=...)` needs a constant `copy`.", "write copy=True or copy=False.")
            return self.make_call(np.array if copies else np.asarray, [self.atom(obj)],
                                  [ast.keyword("dtype", self.arg_atom(e.args[0]))], e)
        if name == "flatten" and not e.args and all(
                k.arg == "order" and isinstance(k.value, ast.Constant) and k.value.value == "C" for k in e.keywords):
            return self.make_call(np.copy, [self.temp(self.make_call(np.ravel, [self.atom(obj)], [], e))], [], e)
        if name == "item" and not e.keywords:
            # the element as a number of the array's dtype (a float, an int, a complex: float() dropped an
            # imaginary part and rounded large ints): x.item() of a one-element array of any rank (reshaped
            # to 0-d first: numpy's error otherwise), x.item(k) the k-th of the flattened array, x.item(i, j)
            # and x.item((i, j)) x[i, j]
            if not e.args:
                zero_d = self.temp(self.make_call(np.reshape, [self.atom(obj), ast.Tuple([], ast.Load())], [], e))
                return self.make_call(np.take, [zero_d, ast.Constant(0)], [], e)
            if len(e.args) == 1 and not isinstance(e.args[0], ast.Tuple):
                return self.make_call(np.take, [self.atom(obj), self.arg_atom(e.args[0])], [], e)
            idx = e.args[0] if len(e.args) == 1 else ast.Tuple(list(e.args), ast.Load())
            return self.subscript_load(ast.Subscript(obj, idx, ast.Load()))
        if isinstance(obj, ast.Name) and obj.id in self.res.records:
            self.err(e, f"`{obj.id}.{name}()` calls a method of the record `{obj.id}`: a method's code is not "
                        "differentiated.", f"compute `{obj.id}.{name}(...)` before the call and pass it as an "
                                           "argument, or write the method as a function of the fields.")
        self.err(e, f"the method `.{name}()` is not supported: the array methods of docs/rules.md and a "
                    "list's append and pop are.",
                 "use the equivalent numpy function (for a dict's values, pass the arrays as arguments), or "
                 "register a rule with adcompiler.extend.")

    def attribute(self, e):
        limit = self.type_limit(e)
        if limit is not None:
            return limit
        obj = self.res.resolve_attr(e)
        if obj is not MISSING and (isinstance(e.value, ast.Name) and not self.res.is_local(e.value.id)
                                   and isinstance(self.res.lookup(e.value.id, e), np.ndarray)
                                   or isinstance(e.value, ast.Attribute)
                                   and isinstance(self.res.resolve_attr(e.value), np.ndarray)):
            obj = MISSING   # (a module's array: H.T, H.real are its views, as of an argument; P.M.T too)
        if obj is not MISSING:
            if isinstance(obj, (int, float)):
                return e   # e.g. math.pi, np.pi: a constant
            if obj is None:
                return ast.copy_location(ast.Constant(None), e)   # np.newaxis
            if kind_of_value(obj).cls == "function":
                return e   # (a function passed as an argument: euler(np.sin, y))
            owner = self.res.lookup(e.value.id, e) if isinstance(e.value, ast.Name) \
                and not self.res.is_local(e.value.id) else None
            if isinstance(obj, np.ndarray) and isinstance(owner, tuple) and e.attr in getattr(owner, "_fields", ()):
                # (a module's named tuple: its field by position, as a module's tuple is read)
                index = ast.copy_location(ast.Constant(owner._fields.index(e.attr)), e)
                return self.subscript_load(ast.copy_location(ast.Subscript(e.value, index, ast.Load()), e))
            if isinstance(obj, np.ndarray):
                self.err(e, f"`{ast.unparse(e)}` is an array read through an attribute of a module-level object: "
                            "the analyses follow a module's arrays by their names only.",
                         f"pass `{ast.unparse(e)}` as an argument (Const, or Duplicated to differentiate it), or "
                         "hold the module's arrays in a named tuple.")
            self.err(e, f"`{ast.unparse(e)}` is a {type(obj).__name__}, not a number or an array: it cannot be "
                        "bound to a name or computed with here.",
                     f"compare it where it is read (`if {ast.unparse(e)} is ...`), or pass it as a Const argument.")
        if isinstance(e.value, ast.Name) and e.value.id in self.res.records:
            # a record's field (a named tuple's, read by position; a dataclass's or object's, by key)
            fields = self.res.records[e.value.id]
            if e.attr not in fields:
                self.err(e, f"`{e.value.id}.{e.attr}` is not one of the fields of `{e.value.id}` "
                            f"({', '.join(fields)}): a property's or method's code is not differentiated.",
                         f"compute `{e.value.id}.{e.attr}` before the call and pass it as an argument of its own.")
            return self.subscript_load(ast.copy_location(
                ast.Subscript(e.value, ast.copy_location(ast.Constant(fields[e.attr]), e), ast.Load()), e))
        if e.attr in SHAPE_ATTRS:
            return ast.Attribute(self.name_atom(e.value), e.attr, ast.Load())
        if e.attr == "T":
            return self.make_call(np.transpose, [self.atom(e.value)], [], e)
        if e.attr in ("real", "imag"):
            return self.make_call(np.real if e.attr == "real" else np.imag, [self.atom(e.value)], [], e)
        if isinstance(e.value, ast.Name) and not (e.attr.startswith("__") or e.attr in ("flat", "flags", "strides")):
            self.err(e, f"the attribute `{e.value.id}.{e.attr}` is not supported: `{e.value.id}` is not known "
                        "here as a record (a named tuple, dataclass or object given as a Const argument, whose "
                        "fields are read from its value at the call; `adcompiler emit` has no value to read "
                        "them from).",
                     f"pass `{e.value.id}.{e.attr}` as an argument of its own (Duplicated to differentiate it), "
                     "or use the equivalent numpy function for an array's attribute.")
        self.err(e, f"the attribute `.{e.attr}` is not supported.", "use the equivalent numpy function.")

    def type_limit(self, e):
        """``np.finfo(float).eps`` (``tiny``, ``max``, ``resolution``...; ``np.iinfo(np.int32).max``) of a
        dtype the module names, as its number: a constant; None for other attributes."""
        call = e.value
        if not (isinstance(call, ast.Call) and len(call.args) == 1 and not call.keywords
                and self.resolve_call_target(call) in (np.finfo, np.iinfo)):
            return None
        arg = call.args[0]
        if isinstance(arg, ast.Attribute) and arg.attr == "dtype" and isinstance(arg.value, ast.Name) \
                and self.res.is_local(arg.value.id):
            return self.dtype_limit(e, arg.value.id, self.resolve_call_target(call).__name__)
        dtype = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else \
            self.res.resolve_attr(arg) if isinstance(arg, ast.Attribute) else \
            self.res.lookup(arg.id, arg) if isinstance(arg, ast.Name) and not self.res.is_local(arg.id) else MISSING
        try:
            value = getattr(self.resolve_call_target(call)(dtype), e.attr)
        except (TypeError, ValueError, AttributeError):
            self.err(e, f"`{ast.unparse(e)}` is not a number of a dtype the module names.",
                     "name the dtype (np.finfo(np.float64).eps, np.finfo(float).eps), or compute the number "
                     "before the call and pass it as an argument.")
        self.limit_number(e, value)
        return ast.copy_location(ast.Constant(int(value) if isinstance(value, (int, np.integer)) else float(value)), e)

    def limit_number(self, e, value) -> None:
        """Refuse ``np.finfo(...).<attr>`` whose ``value`` is not a number (``.dtype``)."""
        if not isinstance(value, (int, float, np.integer, np.floating)):
            self.err(e, f"`{ast.unparse(e)}` is not a number.", "read eps, tiny, max, min or resolution.")

    def dtype_limit(self, e, name, which):
        """``np.finfo(x.dtype).eps`` of a local ``x``: read when the code runs (a number, no derivative)."""
        from ..runtime import ranges
        self.limit_number(e, getattr(np.finfo(np.float64) if which == "finfo" else np.iinfo(np.int64), e.attr, None))
        call = ast.Call(ast.Name("_ad_type_limit", ast.Load()),
                        [ast.Name(name, ast.Load()), ast.Constant(which), ast.Constant(e.attr)], [])
        notes.resolve_call(ast.copy_location(call, e), ranges.type_limit, lookup(ranges.type_limit))
        return call

    def correlation(self, e, kw):
        """``np.correlate(a, v, mode)`` as the convolution it is: ``np.convolve(a,
        np.conj(v)[::-1], mode)`` for "valid" (its default) and "full"; for "same"
        the full convolution's window numpy takes: from ``len(a) // 2`` where ``a``
        is the shorter, else from ``(len(v) - 1) // 2``, ``max(len(a), len(v))`` long."""
        a, v, mode = (e.args[k] if len(e.args) > k else kw.get(name, default)
                      for k, name, default in ((0, "a", None), (1, "v", None), (2, "mode", ast.Constant("valid"))))
        if not (isinstance(mode, ast.Constant) and mode.value in ("valid", "full", "same")):
            self.err(e, "np.correlate with a mode that is not written out is not supported.",
                     "write mode='valid', 'same' or 'full'.")
        a, v = self.name_atom(a), self.name_atom(v)
        flipped = ast.Subscript(ast.Call(_np("conj"), [ast.Name(v.id, ast.Load())], []),
                                ast.Slice(None, None, ast.Constant(-1)), ast.Load())
        conv = ast.Call(_np("convolve"), [ast.Name(a.id, ast.Load()), flipped],
                        [ast.keyword("mode", ast.Constant("full" if mode.value == "same" else mode.value))])
        if mode.value != "same":
            return self.call(ast.fix_missing_locations(ast.copy_location(conv, e)))
        start = ast.IfExp(ast.Compare(_len(a.id), [ast.Lt()], [_len(v.id)]),
                          ast.BinOp(_len(a.id), ast.FloorDiv(), ast.Constant(2)),
                          ast.BinOp(ast.BinOp(_len(v.id), ast.Sub(), ast.Constant(1)), ast.FloorDiv(), ast.Constant(2)))
        first = self.name_atom(ast.fix_missing_locations(ast.copy_location(start, e)))
        stop = ast.BinOp(ast.Name(first.id, ast.Load()), ast.Add(),
                         ast.Call(ast.Name("max", ast.Load()), [_len(a.id), _len(v.id)], []))
        window = ast.Subscript(conv, ast.Slice(ast.Name(first.id, ast.Load()), stop), ast.Load())
        return self.subscript_load(ast.fix_missing_locations(ast.copy_location(window, e)))


def no_rule(f, target) -> tuple:
    """What to say of a call of ``target`` that has no rule, and what to do."""
    if notes.random_function(target):
        return (f"`{ast.unparse(f)}` draws random numbers, which have no derivative rule.",
                ("draw the numbers before the call and pass them in as a Const argument, or declare the draw "
                "non-differentiable with its result's kind (docs/extending.md: "
                "adcompiler.extend.nondifferentiable(..., result=...))."))
    name = getattr(target, "__name__", ast.unparse(f))
    mod = getattr(target, "__module__", None) or type(target).__name__
    return (f"`{ast.unparse(f)}` ({mod}.{name}) has no derivative rule.",
            ("register one with adcompiler.extend.defrule (or declare it non-differentiable with "
             "adcompiler.extend.nondifferentiable), or rewrite the code with supported functions."))

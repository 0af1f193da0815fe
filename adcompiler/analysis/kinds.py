"""kinds: what each name holds (int, float, bool, array of some rank...).

A flow-insensitive inference over the normalized body, seeded with the kinds
of the arguments. It decides the questions the transform must get right:
whether ``x += e`` mutates an array or rebinds a scalar, whether ``x[i]`` is a
scalar or a view, and which names can carry a derivative at all.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import math
import numbers
import types
import weakref
from dataclasses import dataclass

import numpy as np

from ..errors import AdCompilerError


@dataclass(frozen=True)
class Kind:
    """What a name holds, as far as the analyses can tell: its class, and for
    arrays the rank and dtype kind (None where unknown)."""

    cls: str                 # int float bool array num tuple none other
    ndim: int | None = None  # arrays
    dtype: str | None = None  # 'f' 'i' 'b' 'c' for arrays and num; 'c' for a complex scalar (cls float)
    elts: tuple | None = None  # tuples
    weak: bool = False       # a guess that any other binding overrides (values popped from a stack)
    keys: tuple | None = None  # a dict of string keys (its value kinds also joined in elts): ((key, Kind), ...)
    value: object = None     # the function itself, for cls "function" (a function passed as an argument)
    fields: tuple | None = None  # a record's attribute names (a named tuple's fields, read by position, or the
    #                              attributes of a dataclass or object, passed as ``activity.Fields``, by key)
    ragged: bool = False     # a tuple of lengths that differ between paths (``elts``: the longest's)
    seq: str | None = None   # "tuple": known to be a Python tuple, not a list (``A[t]`` indexes one element);
    #                          "list" of an array: np.split's list of pieces, typed as their stack

    @property
    def is_array(self) -> bool:
        return self.cls == "array"

    @property
    def maybe_array(self) -> bool:
        return self.cls in ("array", "num", "other")

    @property
    def maybe_complex(self) -> bool:
        """May hold complex values (unknown dtypes included)."""
        if self.cls == "tuple":
            return any(e is None or e.maybe_complex for e in self.elts or (None,))
        return self.dtype == "c" or (self.cls in ("array", "num") and self.dtype is None)

    @property
    def is_float(self) -> bool:
        """Can carry a derivative."""
        return self.cls in ("float", "list") or (self.cls in ("array", "num") and self.dtype in ("f", "c", None)) \
            or (self.cls == "tuple" and any(e is not None and e.is_float for e in self.elts or ()))


INT, FLOAT, BOOL, NONE, OTHER = Kind("int"), Kind("float"), Kind("bool"), Kind("none"), Kind("other")
#: a complex scalar (a number, like FLOAT, of complex dtype)
COMPLEX = Kind("float", None, "c")
#: a value popped from a stack whose pushes are elsewhere (another function)
POPPED = Kind("num", None, "f", weak=True)


def array(ndim=None, dtype="f") -> Kind:
    return Kind("array", ndim, "i" if dtype == "u" else dtype)   # (unsigned integers are integers)


def stacked(item: Kind | None) -> Kind:
    """The kind of ``np.stack(L)`` of a list whose items have the kind ``item``."""
    if item is None or item.cls not in ("float", "int", "bool", "array", "num"):
        return array(None, "f")
    return array(None if item.ndim is None and not _rank0(item) else (0 if _rank0(item) else item.ndim) + 1,
                 _dtype(item) or "f")


#: numpy's functions that are not ufuncs (np.sum, np.linalg.norm) are objects of this type
_NUMPY_FUNCTION = type(np.sum)


_FUNCTIONS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _same_function(f):
    """A function made again with the same code, globals, defaults and closure values (a
    lambda written in a loop, ``rk4(lambda y, p: -p * y, ...)`` at each step) as one seen
    before: that one, whose code is made already (each new object was analysed anew)."""
    if not isinstance(f, types.FunctionType):
        return f
    try:
        cells = tuple(id(c.cell_contents) for c in f.__closure__ or ())
    except ValueError:   # (an empty cell)
        return f
    key = (f.__code__, id(f.__globals__), tuple(map(id, f.__defaults__ or ())), cells,
           tuple(sorted((k, id(x)) for k, x in (f.__kwdefaults__ or {}).items())))
    return _FUNCTIONS.setdefault(key, f)


#: the function ``frontend/partials.py`` makes of a ``functools.partial`` (or the partial where it makes
#: none), set by ``frontend/resolve.py``: the kinds import nothing of the frontend
partial_function = None


def kind_of_value(v) -> Kind:
    if isinstance(v, (bool, np.bool_)):
        return BOOL
    if isinstance(v, numbers.Integral):
        return INT
    if isinstance(v, numbers.Real):
        return FLOAT
    if isinstance(v, numbers.Complex):
        return COMPLEX
    if isinstance(v, np.ndarray):
        return array(v.ndim, "i" if v.dtype.kind == "u" else v.dtype.kind if v.dtype.kind in "fibc" else "o")
    if v is None:
        return NONE
    if isinstance(v, (types.FunctionType, types.BuiltinFunctionType, np.ufunc, _NUMPY_FUNCTION)):
        return Kind("function", value=_same_function(v))   # (calls through a parameter holding it are calls of it)
    if isinstance(v, functools.partial) and partial_function is not None:
        made = partial_function(v)   # (a rhs given to an integrator: calls through the parameter are calls of it)
        if isinstance(made, types.FunctionType):
            return Kind("function", value=made)
    if isinstance(v, (tuple, list)):
        fields = getattr(type(v), "_fields", None) if isinstance(v, tuple) else None   # (a named tuple)
        return Kind("tuple", elts=tuple(kind_of_value(x) for x in v),
                    fields=tuple(fields) if isinstance(fields, tuple) and len(fields) == len(v) else None,
                    seq="tuple" if isinstance(v, tuple) else None)
    if isinstance(v, dict) and v:
        # read by key: every value has the kind the values have in common
        k = None
        for x in v.values():
            k = join(k, kind_of_value(x))
        keys = tuple((key, kind_of_value(x)) for key, x in v.items()) if all(isinstance(key, str) for key in v) \
            else None   # (read by a constant key: that value's kind)
        record = hasattr(type(v), "_ad_record")   # (activity.Fields: a record's attributes)
        return Kind("tuple", elts=(k,), keys=keys, fields=tuple(v) if record and keys is not None else None)
    return OTHER


def join(a: Kind | None, b: Kind | None) -> Kind | None:
    if a is None or a == b:
        return b
    if b is None:
        return a
    if a.cls == "none":   # (before the guesses: a placeholder None does not override a popped value)
        return b
    if b.cls == "none":
        return a
    if a.weak:
        return b
    if b.weak:
        return a
    if a.seq != b.seq and dataclasses.replace(a, seq=None) == dataclasses.replace(b, seq=None):
        return dataclasses.replace(a, seq=None)   # (a tuple on one path, maybe a list on another)
    scal = {"bool": 0, "int": 1, "float": 2}
    if a.cls in scal and b.cls in scal:
        if "c" in (a.dtype, b.dtype):
            return COMPLEX
        return a if scal[a.cls] >= scal[b.cls] else b
    if a.cls == "array" and b.cls == "array":
        return array(a.ndim if a.ndim == b.ndim else None, _dt(a.dtype, b.dtype))
    if a.cls in ("array", "num", "float", "int", "bool") and b.cls in ("array", "num", "float", "int", "bool"):
        # a number or an array: of rank 0 when both are (a 0-d array or a scalar)
        return Kind("num", 0 if _rank0(a) and _rank0(b) else None, _dt(_dtype(a), _dtype(b)))
    if a.cls == "tuple" and b.cls == "tuple" and len(a.elts or ()) == len(b.elts or ()):
        return Kind("tuple", elts=tuple(join(x, y) for x, y in zip(a.elts, b.elts)), ragged=a.ragged or b.ragged,
                    seq=a.seq if a.seq == b.seq else None)
    both = (a.elts or ()) + (b.elts or ()) if a.cls == b.cls == "tuple" else None
    if both is not None and (_numbers(both) or all(e is not None and e.cls == "tuple" and not e.keys
                                                   and _numbers(e.elts or ()) for e in both)):
        # tuples of numbers of different lengths (the rows of a Butcher tableau): numbers; tuples of such
        # tuples (tables of (index, weight) pairs of different lengths on two branches): such tuples
        k = None
        for e in both:
            k = join(k, e)
        if k is not None:   # (of no one length: a negative index is read from the end of none, ``length``)
            return Kind("tuple", elts=(k,) * max(len(a.elts or ()), len(b.elts or ())), ragged=True)
    return OTHER


def _numbers(ks) -> bool:
    """Whether every kind of ``ks`` is known to be a number's."""
    return all(k is not None and k.cls in ("float", "int", "bool") for k in ks)


def length(k: Kind | None) -> int | None:
    """The length of a tuple of kind ``k``, where one is known (not of tuples of several lengths)."""
    return len(k.elts) if k is not None and k.cls == "tuple" and k.elts is not None and not k.ragged else None


def _rank0(k: Kind) -> bool:
    """A scalar, or an array or number known to be of rank 0."""
    return k.cls in ("float", "int", "bool") or (k.cls in ("array", "num") and k.ndim == 0)


def _dtype(k: Kind):
    if k.cls == "float" and k.dtype == "c":
        return "c"
    return {"float": "f", "int": "i", "bool": "b"}.get(k.cls, k.dtype)


def _dt(a, b):
    order = "bifc"
    if "c" in (a, b):   # (numpy makes complex of complex and anything: an unknown dtype too)
        return "c"
    if a is None or b is None:
        return None
    if a not in order or b not in order:
        return "o"
    return a if order.index(a) >= order.index(b) else b


def broadcast(*ks: Kind) -> Kind:
    """Kind of an elementwise operation on operands of kinds ``ks``."""
    ks = [k for k in ks if k is not None and k.cls != "none"]
    if not ks:
        return FLOAT
    if any(k.cls in ("other", "tuple", "function") for k in ks):
        return OTHER
    dt = "b"
    for k in ks:
        dt = _dt(dt, _dtype(k))
    if all(_rank0(k) for k in ks):
        # numpy returns scalars from operations on 0-d arrays and scalars
        return {"b": BOOL, "i": INT, "f": FLOAT, "c": COMPLEX}.get(dt, FLOAT)
    if any(k.cls == "array" for k in ks):
        nd = [k.ndim for k in ks if k.cls == "array"]
        if nd and all(d == 0 for d in nd) and not any(k.cls == "num" for k in ks):
            # numpy returns scalars from operations on 0-d arrays
            return {"b": BOOL, "i": INT, "f": FLOAT, "c": COMPLEX}.get(dt, FLOAT)
        # a value of unknown rank ("num") may have more axes than the arrays
        unknown = None in nd or any(k.cls == "num" for k in ks)
        return array(None if unknown else max(nd), dt)
    if any(k.cls == "num" for k in ks):
        return Kind("num", None, dt)
    return {"b": BOOL, "i": INT, "f": FLOAT, "c": COMPLEX}.get(dt, FLOAT)


def reduced_number(dt) -> Kind:
    """The number numpy gives for an array of dtype kind ``dt`` reduced over every axis (or of a
    0-d array negated): a float, a complex number, else an int."""
    return {"f": FLOAT, "c": COMPLEX}.get(dt, INT)


def reduce_kind(kinds: dict, bound: dict) -> Kind:
    """The kind of a reduction of ``a`` along ``axis``, with ``keepdims``. An axis or keepdims
    given through a name is read from its kind (None: every axis; an int: one; a tuple: its
    length), or its rank is unknown: a name's value is not followed here (taking keepdims=keep
    for False made ``m[0]`` of a row a number, and its writes went nowhere)."""
    a = kinds.get("a", FLOAT)
    if a.cls == "tuple" and _numbers(a.elts or (None,)) and not a.keys:   # (of a tuple of numbers: their array's)
        a = array(1, functools.reduce(_dt, map(_dtype, a.elts)))
    keep = bound.get("keepdims")
    keep = bool(keep.value) if isinstance(keep, ast.Constant) else False if keep is None else None
    dt = "f" if a.dtype in ("f", None) else a.dtype
    n = axes_count(bound.get("axis"), kinds.get("axis"))
    if n == "all":
        if keep:
            return array(a.ndim, dt)
        if keep is None:
            return Kind("num", None, dt)
        if a.cls == "list" and a.dtype is None:   # (of a list of ints, an int: max(i * 2 for i ...))
            return Kind("num")
        return reduced_number(dt)
    if n is None:
        return Kind("num", None, dt)
    if a.ndim is None or keep is None:   # (of an unknown rank, without keepdims: maybe a number, as numpy gives)
        return array(None, dt) if keep else Kind("num", None, dt)
    if not keep and a.ndim == n:   # (every axis named: numpy gives a number, as of axis=None)
        return reduced_number(dt)
    return array(a.ndim if keep else a.ndim - n, dt)


def axes_count(axis, k):
    """How many axes ``axis`` names: "all" (None), a number, or None (not known)."""
    if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
        return "all"
    if isinstance(axis, ast.Tuple):
        return len(axis.elts)
    if isinstance(axis, ast.Constant) or isinstance(axis, ast.UnaryOp) and isinstance(axis.operand, ast.Constant):
        return 1
    if k is not None and k.cls == "none":
        return "all"
    if k is not None and k.cls == "int":
        return 1
    if k is not None and k.cls == "tuple" and k.elts is not None and not k.ragged:
        return len(k.elts)
    return None


#: functions of numbers that return an int (Python's math) and reductions that return floats of ints
_INT_OF_NUMBER = (math.floor, math.ceil, math.trunc, np.int64, np.int32, np.intp)
_FLOAT_OF_INTS = (np.mean, np.average, np.var, np.std, np.median, np.nanmean, np.nanvar, np.nanstd)
#: functions of sample points whose values are floats
_FLOAT_OF_POINTS = (np.interp, np.linspace) + ((np.trapezoid,) if hasattr(np, "trapezoid") else ())


def _keeps_ints(f) -> bool:
    """Whether elementwise ``f`` maps integers to integers (np.add, np.maximum,
    abs...), not to floats (np.sqrt, np.sin, np.divide, math.exp...)."""
    if isinstance(f, np.ufunc):
        return any(t.split("->")[1] in ("l", "q") and set(t.split("->")[0]) <= {"l", "q"} for t in f.types)
    module = getattr(f, "__module__", None) or ""
    return not (module == "math" or module.startswith(("numpy.linalg", "numpy.fft")) or f in _FLOAT_OF_POINTS)


def numbers_of(f, k: Kind) -> Kind:
    """The kind of elementwise (or reducing) function ``f``'s result, given the
    kind ``k`` its operands join to: a float where ``f`` makes floats of
    integers, an int for ``math.floor``/``ceil``/``trunc`` and ``np.int64``.
    (A float taken for an int is truncated on the numba backend's int tape; an
    int taken for a float goes to the float tape and fails as an index.)"""
    if f in _INT_OF_NUMBER:
        return INT if k.cls in ("int", "float", "bool") else Kind(k.cls, k.ndim, "i") if k.cls == "array" else k
    if isinstance(f, np.ufunc) and f.types and all(t.endswith("->?") for t in f.types if "O" not in t):
        # a predicate (np.isfinite, np.signbit, np.logical_and): numpy bools, of any operands
        return BOOL if k.cls in ("int", "float", "bool") else Kind(k.cls, k.ndim, "b") if k.cls in ("array", "num") \
            else k
    ints = k.cls in ("int", "bool") or (k.cls == "array" and k.dtype in ("i", "b"))
    if not ints or (f not in _FLOAT_OF_INTS and _keeps_ints(f)):
        return k
    return FLOAT if k.cls in ("int", "bool") else Kind(k.cls, k.ndim, "f")


def fancy_rank(base: Kind, fancy: list, kinds: list) -> int | None:
    """The rank of ``base[...]`` indexed by parts of ``kinds`` (``index_kind``'s
    names) whose ``fancy`` ones are integer or boolean arrays of known ranks, among
    integers, slices and ``None`` (the index arrays broadcast to one block of
    axes; a boolean array of rank k stands for k axes and gives one), or None."""
    if base.ndim is None or "ellipsis" in kinds or \
            any(f.cls != "array" or f.dtype not in ("i", "b") or f.ndim is None for f in fancy):
        return None
    consumed = len(kinds) - kinds.count("newaxis") + sum(f.ndim - 1 for f in fancy if f.dtype == "b")
    if consumed > base.ndim:
        return None
    block = max(f.ndim if f.dtype == "i" else 1 for f in fancy)
    return block + kinds.count("slice") + base.ndim - consumed + kinds.count("newaxis")


def int_power(e) -> Kind:
    """The kind of an int to the power ``e``: an int to a power >= 0, a float to
    a negative one, and to one not known a number of either type
    (``range(1, 2 ** i)``: kept as Python gives it)."""
    r, sign = (e.operand, -1) if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) else (e, 1)
    if isinstance(r, ast.Constant) and type(r.value) is int:
        return INT if sign * r.value >= 0 else FLOAT
    return Kind("num", 0, "i")


def sliced(elts: tuple, sl: ast.Slice) -> tuple:
    """``elts[sl]`` for a slice of constant bounds; ``elts`` where they are not known."""
    def const(b):
        if b is None:
            return None
        if isinstance(b, ast.UnaryOp) and isinstance(b.op, ast.USub) and isinstance(b.operand, ast.Constant) \
                and type(b.operand.value) is int:
            return -b.operand.value
        if isinstance(b, ast.Constant) and type(b.value) is int:
            return b.value
        raise ValueError
    try:
        return elts[slice(*(const(b) for b in (sl.lower, sl.upper, sl.step)))]
    except ValueError:   # (a bound not known, or a step of 0)
        return elts


def maybe_number_product(ka, kb) -> bool:
    """Whether ``a @ b`` (``np.dot(a, b)``) may be a number where the ranks are
    not known: neither operand is known to have two dimensions or more (a number,
    not an array, which ``x += a @ b`` rebinds)."""
    ranks = [k.ndim if k.cls == "array" else (0 if k.cls in ("float", "int", "bool") else None) for k in (ka, kb)]
    return None in ranks and not any(r is not None and r >= 2 for r in ranks) and 0 not in ranks


def matmul_kind(lk, rk) -> Kind:
    """The kind of ``a @ b`` from its operands'."""
    cx = "c" in (_dtype(lk), _dtype(rk))
    if lk.ndim == 1 and rk.ndim == 1:
        return COMPLEX if cx else FLOAT
    if maybe_number_product(lk, rk):   # (vectors of unknown rank: a number, maybe)
        return Kind("num", None, "c" if cx else "f")
    # a matrix and a vector: a vector; matrices (stacks of them): the larger rank
    nd = None if lk.ndim is None or rk.ndim is None or 0 in (lk.ndim, rk.ndim) else \
        max(lk.ndim, rk.ndim) - (1 if 1 in (lk.ndim, rk.ndim) else 0)
    return array(nd, "c" if cx else "f")


def list_kind(ks) -> Kind:
    """The kind of a list display of values of kinds ``ks``: numpy's promotion of their dtypes (arrays'
    too: a list of float arrays is a float array); an element of unknown dtype makes it float (derivatives
    followed, not dropped as an int's). (A list of tuples bound to a name holds them: ``named_list``.)"""
    dt = functools.reduce(_dt, map(_dtype, ks), "b")
    dt = dt if dt in ("b", "i", "f", "c") else "f"
    ranks = {0 if k.cls in ("int", "float", "bool") else k.ndim if k.cls == "array" else None for k in ks}
    # one more axis than elements of one known rank ([[1.0, 0.5]]: a matrix)
    return array(ranks.pop() + 1 if len(ranks) == 1 and None not in ranks else None, dt)


def builtin_extreme(arg_kinds) -> Kind | None:
    """The kind of Python's max/min of values of ``arg_kinds`` where the rule's does not say it: of a
    list of numbers (typed as its 1-d array; rewritten to np.max by ``builtin_minmax``), an element;
    of an int and a float, either (``max(3, 1.5)`` is the int 3)."""
    if len(arg_kinds) == 1 and arg_kinds[0].cls == "array" and arg_kinds[0].ndim == 1:
        return element_of(arg_kinds[0])
    if len(arg_kinds) > 1 and {k.cls for k in arg_kinds} not in ({"int"}, {"float"}) and all(
            k.cls in ("int", "float") and k.dtype != "c" or k.cls == "num" and k.ndim == 0 and k.dtype is None
            for k in arg_kinds):
        return Kind("num", 0, None)
    return None


def element_of(k, unknown=FLOAT) -> Kind:
    """The kind of an element of an array of kind ``k``."""
    return {"f": FLOAT, "i": INT, "b": BOOL, "c": COMPLEX}.get(k.dtype, unknown)


#: where the allocating functions take their dtype by position
DTYPE_AT = {"zeros": 1, "ones": 1, "empty": 1, "ndarray": 1, "zeros_like": 1, "ones_like": 1, "empty_like": 1,
             "full": 2, "full_like": 2, "eye": 3, "identity": 1, "arange": 3}


def dtype_of_node(node, res, unknown="f") -> str | None:
    try:
        obj = res.resolve_attr(node) if isinstance(node, ast.Attribute) else (
            res.lookup(node.id) if isinstance(node, ast.Name) else node.value)
        kind = np.dtype(obj).kind
        return "i" if kind == "u" else kind   # (unsigned integers are integers)
    except (TypeError, ValueError, AttributeError, AdCompilerError):
        return unknown

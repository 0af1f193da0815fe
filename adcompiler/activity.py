"""Activity annotations (Enzyme's model) and differentiation modes.

- ``Const(x)``: not differentiated.
- ``Duplicated(x, dx)``: ``dx`` is the shadow of memory ``x``. Reverse mode:
  on entry ``dx`` holds the adjoint of the final value of ``x``, on exit the
  adjoint of its initial value. Forward mode: tangent of the initial value on
  entry, of the final value on exit.
- ``DuplicatedNoNeed(x, dx)``: like Duplicated (the primal result may be
  skipped; adcompiler always computes it).
- ``Active(v)``: an immutable float scalar whose derivative is returned.
"""
from __future__ import annotations

import copy
import dataclasses
import numbers
from types import SimpleNamespace
from typing import Any

import numpy as np

from .errors import ActivityError, at_caller


class Annotation:
    """Base class of activity annotations; ``val`` is the primal value."""

    __slots__ = ("val",)

    def __init__(self, val: Any):
        self.val = val

    @property
    def dval(self) -> Any:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.val!r})"


class Fields(dict):
    """The attributes of a record passed as Const (a dataclass, a ``SimpleNamespace``,
    an instance of a plain class), as of the call: the differentiated code reads
    ``p.k`` as ``p["k"]``. Code that runs the function itself (finite differences)
    sees the record: other attributes (properties, methods) and stores are its."""

    __slots__ = ("_ad_record",)

    def __init__(self, record, values=None):
        super().__init__(_values_of(record) if values is None else values)
        object.__setattr__(self, "_ad_record", record)

    def __getattr__(self, name):
        return getattr(self._ad_record, name)

    def __setattr__(self, name, value):
        setattr(self._ad_record, name, value)
        self[name] = value

    def __reduce__(self):   # (a copy is a copy of the record's)
        return Fields, (self._ad_record,)

    def __deepcopy__(self, memo):
        return Fields(copy.deepcopy(self._ad_record, memo))


def _class_values(cls) -> dict:
    """The plain values a class of the user's defines for its instances (``dt = 0.01`` in the
    class body): not functions, properties or other descriptors, nor dunder names."""
    out: dict = {}
    for c in reversed(cls.__mro__[:-1]):
        for k, v in vars(c).items():
            if isinstance(k, str) and not k.startswith("__") and not callable(v) and not hasattr(v, "__get__"):
                out[k] = v
    return out


def _values_of(record) -> dict:
    """A record's fields: its class's plain values, then its own attributes (its ``__dict__``,
    or a slotted dataclass's fields)."""
    own = getattr(record, "__dict__", None)
    if type(own) is not dict:
        own = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    return {**_class_values(type(record)), **own}


def record_fields(val: Any) -> Any:
    """``val``'s attributes as ``Fields`` when it is a record whose attributes are plain values:
    a dataclass (slotted too), a ``SimpleNamespace``, an instance of a class of the user's
    without slots (with the plain values its class defines); ``val`` itself otherwise (named
    tuples are tuples, read by position)."""
    if isinstance(val, (np.ndarray, np.generic, numbers.Number, str, bytes, tuple, list, dict, set, frozenset,
                        type(None), type)) or callable(val):
        return val
    attrs, cls = getattr(val, "__dict__", None), type(val)
    slotted = attrs is None and dataclasses.is_dataclass(val)   # (@dataclass(slots=True): no __dict__)
    if type(attrs) is not dict and not slotted or not all(isinstance(k, str) for k in (attrs or {})):
        return val
    if cls is not SimpleNamespace and (str(getattr(cls, "__module__", "")).split(".")[0] in _LIBRARIES
                                       or cls.__getattribute__ is not object.__getattribute__
                                       or hasattr(cls, "__getattr__")):
        return val
    values = _values_of(val)
    return Fields(val, values) if values else val


#: packages whose objects are not records of the user's (their attributes are not plain values)
_LIBRARIES = {"builtins", "types", "numpy", "torch", "jax", "jaxlib", "autograd", "numba", "scipy", "adcompiler"}


class Const(Annotation):
    """A value that is not differentiated (a record's attributes are read as of the call:
    ``val`` reads them anew each time, so an annotation made once and passed to several
    calls gives each the record as it is then)."""

    __slots__ = ("_given", "_record")

    @property
    def val(self) -> Any:
        return record_fields(self._given) if self._record else self._given

    @val.setter
    def val(self, value: Any) -> None:
        self._given = value
        self._record = record_fields(value) is not value


class Active(Annotation):
    """An immutable float (or complex) scalar whose derivative is returned."""

    __slots__ = ()

    def __init__(self, val: Any):
        if isinstance(val, np.ndarray) and val.ndim > 0:
            raise at_caller(ActivityError(
                f"Active was given an array of shape {val.shape}; Active is for immutable float scalars.",
                construct="Active(array)",
                hint="use Duplicated(x, dx) for an array whose gradient you want, or Const(x)."))
        if isinstance(val, np.ndarray):
            val = val[()]
        if not isinstance(val, numbers.Complex) or isinstance(val, (bool, np.bool_, numbers.Integral)):
            raise at_caller(ActivityError(
                f"Active needs a float scalar, got {type(val).__name__}.",
                construct="Active(...)", hint="use Const for non-float values."))
        super().__init__(val)


class Duplicated(Annotation):
    """Memory ``val`` with its shadow ``dval`` (same shape and float dtype)."""

    __slots__ = ("_dval",)

    def __init__(self, val: Any, dval: Any):
        super().__init__(val)
        self._dval = dval

    @property
    def dval(self) -> Any:
        return self._dval

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.val!r}, {self._dval!r})"


class DuplicatedNoNeed(Duplicated):
    """Like Duplicated; the primal result of ``val`` need not be kept."""

    __slots__ = ()


class BatchDuplicated(Annotation):
    """Memory ``val`` with a tuple of k shadows (forward vector mode)."""

    __slots__ = ("dvals",)

    def __init__(self, val: Any, dvals: Any):
        super().__init__(val)
        self.dvals = tuple(dvals)

    @property
    def dval(self) -> Any:
        return self.dvals


class Mode:
    """A differentiation mode; compare with ``is``."""

    __slots__ = ("name", "reverse", "split", "with_primal")

    def __init__(self, name: str, reverse: bool, with_primal: bool, split: bool = False):
        self.name = name
        self.reverse = reverse
        self.with_primal = with_primal
        self.split = split

    def __repr__(self) -> str:
        return self.name


Reverse = Mode("Reverse", True, False)
ReverseWithPrimal = Mode("ReverseWithPrimal", True, True)
ReverseSplitWithPrimal = Mode("ReverseSplitWithPrimal", True, True, split=True)
ReverseSplitNoPrimal = Mode("ReverseSplitNoPrimal", True, False, split=True)
Forward = Mode("Forward", False, False)
ForwardWithPrimal = Mode("ForwardWithPrimal", False, True)

ANNOTATIONS = (Const, Active, Duplicated, DuplicatedNoNeed, BatchDuplicated)

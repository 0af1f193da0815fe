"""``differentiate``: a pure function over a mutating kernel.

``f = differentiate(f_, out="s", like="a")`` turns ``f_(s, a, b)`` (which
writes ``s`` in place and returns None) into ``f(a, b) -> s``. The pure
function allocates its outputs, copies every argument ``f_`` may write (the
caller's arrays are never mutated), calls ``f_`` and returns the outputs (a
tuple for several). Its gradient is the adjoint adcompiler generates for
``f_``, registered on whichever tape the arguments come from: plain numpy
gives just the value; autograd boxes, PyTorch tensors and JAX arrays or
tracers get a custom VJP (see :mod:`adcompiler.tapes`).

``like`` says how to allocate each output: the name of an input (copy its
shape and dtype), a shape, an array (copy its shape and dtype), or a
callable of the inputs (positional, in the pure function's order) returning
a shape or an array. A single spec applies to every output; a dict maps each
output to its spec. An output without a spec is read and written: it stays
an input of the pure function, is copied, and its final value is returned.
The gradient for such an argument is the gradient with respect to its
initial value.

``const`` names inputs that are never differentiated; integer and other
non-float values are inferred constant. ``@differentiate`` without arguments
wraps a function that returns a float and mutates nothing.
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import textwrap
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..backends import choice
from ..errors import (
    ActivityError,
    AdCompilerError,
    ShapeError,
    SourceError,
    UnsupportedSyntaxError,
    at_caller,
    at_definition,
)
from ..frontend.parse import taken_by_position
from ..frontend.resolve import keyword_defaults, plain_function, same_keyword_defaults
from ..rules import lookup
from ..rules.registry import defsplit
from .effects import indexed_params, rebound_params, written_params
from .split import backward, forward, is_float_array, is_float_scalar, tangent


def _names(value: Any, what: str, params: tuple = ()) -> tuple:
    """Parameter names from names or positions (``out=0``, as vjp/jvp/jacobian take them)."""
    if value is None:
        return ()
    items = (value,) if isinstance(value, (str, int, np.integer)) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = (value,)
    names = tuple(params[n] if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and -len(params) <= n
                  < len(params) else n for n in items)
    if not all(isinstance(n, str) for n in names):
        raise AdCompilerError(f"{what}= takes parameter names or positions (of {len(params)} parameters), "
                              f"got {value!r}.")
    return names


def _is_shape(spec: Any) -> bool:
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        return True
    return isinstance(spec, tuple) and all(isinstance(n, (int, np.integer)) for n in spec)


def _np_dtype(dtype: Any) -> np.dtype:
    """numpy's dtype for a numpy, JAX or PyTorch dtype (``torch.float64``)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).rsplit(".", 1)[-1])


def _like_map(outputs: tuple, like: Any) -> dict:
    """Map each output name to its allocation spec (None: read and written)."""
    if isinstance(like, dict):
        unknown = set(like) - set(outputs)
        if unknown:
            raise AdCompilerError(f"like= names {sorted(unknown)}, which are not outputs {list(outputs)}.")
        return {o: like.get(o) for o in outputs}
    if isinstance(like, list) and len(like) == len(outputs) and not _is_shape(tuple(like)):
        return dict(zip(outputs, like))
    return {o: like for o in outputs}


def _signature(f_) -> inspect.Signature:
    """``f_``'s signature, refused where a parameter cannot be given by position (keyword-only ones
    with defaults are taken after the positional ones, as the generated code takes them)."""
    sig = inspect.signature(f_)
    for p in sig.parameters.values():
        if not taken_by_position(p):
            raise AdCompilerError(f"{f_.__name__}: parameter {p.name!r} is {p.kind.description}"
                                  f"{' without a default' if p.kind == p.KEYWORD_ONLY else ''}; differentiate "
                                  "supports positional parameters and keyword-only ones with defaults only.")
    return sig


class Differentiated:
    """The pure function ``differentiate`` returns.

    Attributes: ``mutating`` (the original function), ``inputs`` (parameter
    names of the pure function), ``outputs`` (names of the returned
    arguments), ``allocated`` (output name -> like spec), ``const``,
    ``written`` (parameters the kernel may write, by a conservative reading
    of its source), ``returns_value`` (the no-argument form).
    """

    #: it writes none of its arguments (a function calling it only reads them)
    pure_function_of_kernel = True

    def __init__(self, f_: Callable, out: Any = None, like: Any = None, const: Iterable = (),
                 scratch: Iterable = (), backend: str = "numpy", checkpoint: int | str | None = None):
        self._given, self._mutating = f_, plain_function(f_)   # (numba's: the Python function it compiles)
        f_ = self._mutating
        if not inspect.isfunction(f_):
            raise AdCompilerError(f"differentiate needs a plain Python function, got {type(f_).__name__}.")
        self.backend = choice.check(backend)
        # options of the generated code, given only when not the default (the split seam stays two-argument)
        from ..api.reverse import checkpoint_option
        self.options = {} if backend == "numpy" else {"backend": backend}
        if checkpoint is not None:
            if backend == "numba":   # (refused here, not at every call, the plain one included)
                raise AdCompilerError("checkpoint= is not supported with backend='numba' yet.", construct=f"checkpoint={checkpoint!r}",
                                      hint="use backend='numpy' (or 'auto', which runs checkpoint= under numpy).")
            self.options["checkpoint"] = checkpoint_option(checkpoint)
        sig = _signature(f_)
        self.params = tuple(sig.parameters)
        self.outputs = _names(out, "out", self.params)
        for name in self.outputs:
            if name not in self.params:
                raise AdCompilerError(f"out= names {name!r}, which is not a parameter of {f_.__name__}{sig}.")
        if len(set(self.outputs)) != len(self.outputs):
            raise AdCompilerError(f"out= names an argument twice: {self.outputs}.")
        self.allocated = {o: s for o, s in _like_map(self.outputs, like).items() if s is not None}
        self.inputs = tuple(p for p in self.params if p not in self.allocated)
        self.const = frozenset(_names(const, "const", self.params))
        for name in self.const:
            if name not in self.inputs or name in self.outputs:
                raise AdCompilerError(f"const= names {name!r}, which is not a non-output input of {f_.__name__}.")
        self.scratch = frozenset(_names(scratch, "scratch", self.params))
        for name in self.scratch:
            if name not in self.inputs or name in self.outputs:
                raise AdCompilerError(f"scratch= names {name!r}, which is not a non-output input of {f_.__name__}.")
        # (scratch arrays are copied as written ones are, whatever the source reading finds)
        self.written = frozenset(written_params(f_)) | frozenset(self.outputs) | self.scratch
        #: written other than by ``x op= e`` on the bare name, which rebinds a float argument
        self.written_in_place = frozenset(written_params(f_, through_memory=True)) | frozenset(self.outputs)
        #: and the parameters it indexes (both stay arrays when a tape gives a 0-d value)
        self.as_arrays = self.written_in_place | frozenset(indexed_params(f_))
        self.returns_value = not self.outputs
        if self.returns_value:
            # writes by the parameter's own name refused now; the others (``v = x[i]; v += e``,
            # ``x *= 2`` of a float) when the arguments' kinds are known (``split.check_writes``)
            # (a parameter rebound first, ``x = x.copy(); x[i] += ...``, is decided by the analysis too)
            # (a parameter called as a function, ``f(y, p, k)``: its writes are checked at the call)
            called = {p: None for p in _called_params(f_, self.params)}
            self.refuse_writes(frozenset(written_params(f_, through_memory=True, direct=True, functions=called))
                               - frozenset(rebound_params(f_)))
        self._index = {name: i for i, name in enumerate(self.inputs)}
        self._thunks: dict = {}
        self.adapter_cache: dict = {}  # per-tape objects reused across calls
        self.last_activities: tuple | None = None
        self.__signature__ = sig.replace(parameters=[sig.parameters[n] for n in self.inputs])
        self._function, self._defaults = f_, (f_.__defaults__, keyword_defaults(f_))
        functools.update_wrapper(self, f_)
        self._register_rule()

    @property
    def mutating(self) -> Callable:
        """The function differentiated; of a ``functools.partial``, the one made of its bound values
        as they are now (``frontend/partials.py``: a keyword set anew is read)."""
        if not isinstance(self._given, functools.partial):
            return self._mutating
        fn = plain_function(self._given)
        if fn is not self._mutating and inspect.signature(fn) != inspect.signature(self._mutating):
            raise AdCompilerError(f"the functools.partial of {self.__name__} binds other parameters than when "
                                  "differentiate was called.", hint="call differentiate again on the partial.")
        return fn

    def refuse_writes(self, written: frozenset) -> None:
        """Refuse the bare form of a function that writes these parameters."""
        if self.returns_value and written - self.scratch:
            _check_fenced(self.mutating)   # (a call of what cannot be read is taken as writing all)
            names, where = sorted(written - self.scratch), _first_write(self.mutating, written - self.scratch)
            hint = "name the written arguments with out=... (and like=... for the ones to allocate), or " \
                   "with scratch=... if they are work arrays the result does not return."
            if where.pop("passed", None):   # (no write by its own name: given to a call that cannot be read)
                raise AdCompilerError(
                    f"{self.mutating.__name__} may write {names} in place through the call on this line (a function "
                    "that writes them, or one whose effects cannot be read), so the bare @differentiate (a "
                    "float-returning function that mutates nothing) does not apply.", **where,
                    hint="if the call writes none of them (a method, a random generator), autodiff or gradient on "
                         "the function names what cannot be differentiated; else " + hint)
            raise AdCompilerError(
                f"{self.mutating.__name__} writes {names} in place, so the bare "
                "@differentiate (a float-returning function that mutates nothing) does not apply.",
                hint=hint, **where)

    def __deepcopy__(self, memo):
        """Shared, never copied (the trees of code calling it note it, and are deep-copied;
        its caches hold the tapes' objects, a JAX custom_vjp among them)."""
        return self

    def _register_rule(self) -> None:
        """Let adcompiler itself differentiate code that calls this function:
        its forward pass runs the kernel once and keeps the record, its
        reverse pass runs only the kernel's reverse sweep."""
        if len(self.outputs) > 1:
            return   # a tuple result carries no derivative through generated code

        def fwd(*given):
            # (integers and other values without derivatives are constants; the result
            # is a copy, which the calling code may write: ``s *= 2.0``; parameters the
            # call leaves out take their defaults)
            values = self.bind_in_order(given)
            needs = [is_float_array(v) or is_float_scalar(v) for v in values]
            return forward(self, values, needs)[::-1]

        def rev(record, g, *given):
            # values: the arguments as they were at the call (the calling code may
            # have written them since), for the kernel's reverse sweep to read
            cot = g if self.returns_value else [g]
            return tuple(backward(record, cot, self.bind_in_order(given)))[:len(given)]

        # (no copies for fwd: the kernel's forward pass copies what it writes, and rev reads the arguments
        # as they were at the call)
        def jvp(*given):
            # (the arguments, then their tangents: None where held constant)
            k = len(given) // 2
            return tangent(self, self.bind_in_order(given[:k]), list(given[k:]) + [None] * (len(self.inputs) - k))

        rule = defsplit(self, ", ".join(self.inputs), fwd, rev, name=self.__name__, copy_args=False)
        rule.jvp = jvp
        rule.constant = set(self.const) & set(self.inputs)   # (const=: no gradient by declaration, as on the tapes)
        if self.returns_value:
            from ..analysis.kinds import FLOAT
            rule.result = lambda kinds, bound: FLOAT

    def bind_in_order(self, given: tuple) -> list:
        """``bind`` of the arguments code differentiated by adcompiler passes to the rule: in
        ``inputs`` order, keyword-only ones included (``F(u, dt=0.05)`` is ``F(u, 0.05)`` there);
        those left out take their defaults."""
        args, kwargs = [], {}
        for p, v in zip(self.__signature__.parameters.values(), given):
            if p.kind is p.KEYWORD_ONLY:
                kwargs[p.name] = v
            else:
                args.append(v)
        return self.bind(tuple(args), kwargs)

    def bind(self, args: tuple, kwargs: dict) -> list:
        """The pure function's arguments as a list in ``inputs`` order."""
        f = self._function
        if f.__defaults__ is not self._defaults[0] or not same_keyword_defaults(f, self._defaults[1]):
            # the user replaced the defaults (``f.__defaults__ = ...``): ``f(x)`` takes the new ones
            sig = inspect.signature(f)
            self.__signature__ = sig.replace(parameters=[sig.parameters[n] for n in self.inputs])
            self._defaults = (f.__defaults__, keyword_defaults(f))
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as exc:
            raise AdCompilerError(f"{self.__name__}{self.__signature__}: {exc}") from None
        bound.apply_defaults()
        return [bound.arguments[n] for n in self.inputs]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .dispatch import call
        try:
            bound = self.bind(args, kwargs)
        except AdCompilerError as e:   # (arguments that do not match the parameters: at the definition)
            at_definition(e, self.mutating)
            raise
        try:
            return call(self, bound)
        except AdCompilerError as e:   # (like= naming no input, an int output, a list of tape arrays: at the
            at_definition(e, self.mutating)   # definition, whose line names the parameters)
            raise

    def output_specs(self, values: list) -> list:
        """``(shape, dtype)`` for each allocated output, given the inputs.

        ``values`` need only expose ``.shape`` and ``.dtype`` where a spec
        reads them (JAX tracers do).
        """
        specs = []
        for name, spec in self.allocated.items():
            if isinstance(spec, str):
                if spec not in self._index:
                    raise AdCompilerError(f"like= for {name!r} names {spec!r}, which is not an input {list(self.inputs)}.")
                spec = values[self._index[spec]]
            elif callable(spec) and not _is_shape(spec):
                spec = spec(*values)
            specs.append(self._shape_dtype(name, spec, values))
        return specs

    def result_specs(self, values: list) -> list:
        """``(shape, dtype)`` of each returned output, in ``outputs`` order."""
        alloc = dict(zip(self.allocated, self.output_specs(values)))
        return [alloc[o] if o in alloc else self._shape_dtype(o, values[self._index[o]], values)
                for o in self.outputs]

    def _shape_dtype(self, name: str, spec: Any, values: list) -> tuple:
        if _is_shape(spec):
            shape = (int(spec),) if not isinstance(spec, tuple) else tuple(int(n) for n in spec)
            return shape, self._default_dtype(values)
        if hasattr(spec, "shape") and hasattr(spec, "dtype"):
            dtype = _np_dtype(spec.dtype)
            if dtype not in (np.float32, np.float64, np.complex64, np.complex128):
                raise ShapeError(
                    f"output {name!r} of {self.__name__} would have dtype {dtype}; "
                    "outputs must be float32, float64, complex64 or complex128.",
                    hint="point like= at a float input or give a shape." if name in self.allocated else
                    f"pass {name!r} as a float array (under JAX a kernel's outputs are float), or count in a "
                    "float output and convert after the call.")
            return tuple(int(n) for n in spec.shape), dtype
        if isinstance(spec, (float, complex, np.floating, np.complexfloating)):
            # an in-out number, or like= a number (a tape's 0-d tensor arrives as one)
            return (), np.dtype(np.complex128 if np.iscomplexobj(spec) else np.float64)
        raise ShapeError(f"like= for output {name!r} gave {spec!r}; expected an input name, a shape or an array.")

    def _default_dtype(self, values: list) -> np.dtype:
        """The dtype of an output allocated from a shape: the first float array input's, complex
        where an array input is complex (a real one would keep only the real parts written)."""
        dtypes = [_np_dtype(getattr(v, "dtype", None)) for v in values if getattr(v, "ndim", 0)]
        out = next((d for d in dtypes if d in (np.float32, np.float64)), np.dtype(np.float64))
        cplx = [d for d in dtypes if d in (np.complex64, np.complex128)]
        return np.result_type(out, *cplx) if cplx else out

    @property
    def adjoint_source(self) -> str:
        """The generated adjoint of the kernel, for the last call's activities
        (before any call: float arrays Duplicated, declared constants Const)."""
        from ..activity import Active, Const, Duplicated
        from ..api import reverse as api
        acts = self.last_activities
        if acts is None:
            acts = tuple(Const if p in self.const else Duplicated for p in self.params)
        ret = Active if self.returns_value else Const
        return api.adjoint_source(self.mutating, *acts, ret=ret)

    def __repr__(self) -> str:
        return f"<differentiate({self.mutating.__name__}) -> {self.__name__}{self.__signature__}>"


def differentiate(f_: Callable | None = None, *, out: Any = None, like: Any = None,
                  const: Iterable = (), scratch: Iterable = (), backend: str = "numpy",
                  checkpoint: int | str | None = None) -> Any:
    """Wrap a mutating kernel as a pure, differentiable function.

    Usable as ``@differentiate``, ``@differentiate(out="s", like="a")`` or
    ``differentiate(f_, out="s", like="a")``. The wrapper takes the kernel's
    arguments other than ``out`` and returns what the kernel leaves in them:

    - ``out``: the parameter name(s) the kernel writes its result into; the
      wrapper returns their final values (a tuple for several). Without
      ``out``, the kernel must return a float and mutate nothing.
    - ``like``: how to allocate each output: the name of an input (its shape
      and dtype), a shape, an array, or a callable of the inputs; a dict
      gives one spec per output. An output without a spec stays an input of
      the wrapper (read and written; its gradient is that of its initial value).
    - ``const``: inputs never differentiated (integer and other non-float
      values are constant anyway).
    - ``scratch``: inputs a float-returning kernel uses as work arrays: it
      may write them (the caller's arrays are copied first, never changed);
      their gradient is that of their initial values (zero where the kernel
      overwrites them before reading).
    - ``backend``: ``"numpy"``, ``"numba"`` or ``"auto"``: how the kernel's
      halves run (see ``adcompiler.backend_report``).
    - ``checkpoint``: as in ``autodiff``: the kernel's outermost loops are
      reversed from that many snapshots (or a budget such as ``"12MB"``).

    The caller's arrays are copied before the kernel writes them. Under
    autograd, JAX or PyTorch the wrapper is a primitive whose backward pass
    runs the kernel's generated reverse half on the tape's recorded values.
    """
    if f_ is None:
        return lambda g: _made(g, out, like, const, scratch, backend, checkpoint)
    if not callable(f_):
        raise at_caller(ActivityError(f"differentiate: expected a function, got {f_!r}.",
                                      hint="pass options by keyword: differentiate(out='s', like='a')."))
    return _made(f_, out, like, const, scratch, backend, checkpoint)


def _made(*options) -> Differentiated:
    """``Differentiated(*options)``, its refusals of the options located at the user's line that gave them."""
    try:
        return Differentiated(*options)
    except AdCompilerError as e:
        raise at_caller(e) from None


def _called_params(f_, params) -> set:
    """The parameters ``f_``'s body calls by name (functions passed as arguments)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f_)))
    except (OSError, TypeError, SyntaxError):
        return set()
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id in params}


def _check_fenced(func, stack=(), seen=None) -> None:
    """Parse, resolve and fence ``func`` alone (what needs no argument kinds): its
    refusal, where it has one, names the construct (an import inside the function); and so
    for the functions it calls, a call back into one of them refused as analyse refuses it."""
    from .. import pipeline
    from ..frontend.fence import fence
    pf, resolver = pipeline.front(func)
    fence(pf, resolver)
    stack = (*stack, getattr(func, "__code__", None))
    seen = set() if seen is None else seen
    seen.add(stack[-1])
    for n in ast.walk(pf.tree):   # (a call of a name the module does not define)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not resolver.is_local(n.func.id):
            called = resolver.lookup(n.func.id, n)
            code = getattr(called, "__code__", None)
            if code is not None and code in stack:
                raise UnsupportedSyntaxError("recursive functions are not supported.", filename=pf.filename,
                                             lineno=n.lineno, construct=ast.unparse(n),
                                             hint="rewrite the recursion as a loop.")
            if isinstance(called, types.FunctionType) and code not in seen and lookup(called) is None \
                    and (called.__module__ or "").partition(".")[0] not in ("numpy", "scipy") and len(stack) < 16:
                try:
                    _check_fenced(called, stack, seen)
                except SourceError:   # (a function without source: the analysis says what it says)
                    pass


def _first_write(f, names) -> dict:
    """Where ``f`` first writes one of the parameters ``names`` by its own name (``x[i] = e``,
    ``x[i] += e``, ``out=x``), as an error's location; its definition where none is seen."""
    code = getattr(f, "__code__", None)
    if code is None:
        return {}
    where = {"filename": code.co_filename, "lineno": code.co_firstlineno}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return where

    def root(e):
        while isinstance(e, (ast.Subscript, ast.Attribute, ast.Starred)):
            e = e.value
        return e.id if isinstance(e, ast.Name) else None

    def writes(node) -> bool:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, (ast.Subscript, ast.Attribute)) and root(t) in names
               for e in targets for t in (e.elts if isinstance(e, (ast.Tuple, ast.List)) else [e])):
            return True
        return isinstance(node, ast.Call) and any(k.arg == "out" and root(k.value) in names for k in node.keywords)

    found = [n for n in ast.walk(tree) if isinstance(n, ast.stmt | ast.Call) and writes(n)]
    known = {"np", "numpy", "math"} | set(dir(builtins))   # (calls whose effects are read: not the one to name)
    passed = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and any(
        isinstance(a, ast.Name) and a.id in names for a in n.args + [k.value for k in n.keywords])
        and not (isinstance(n.func, ast.Name) and n.func.id in known or isinstance(n.func, ast.Attribute)
                 and isinstance(n.func.value, ast.Name) and n.func.value.id in known)]
    if not found and not passed:
        return where
    node = min(found or passed, key=lambda n: n.lineno)
    lines = inspect.getsourcelines(f)[0]
    return {**where, "lineno": code.co_firstlineno + node.lineno - 1, "construct": lines[node.lineno - 1].strip(),
            **({} if found else {"passed": True})}

"""The numba backend: a generated module compiled with ``numba.njit``.

``compile_module`` rewrites the module's functions for numba
(``numba_rewrite``), writes the module (helpers from ``numba_runtime`` and
the generated functions, each decorated with ``njit(cache=True)``) to a file
named by the hash of its text under the cache directory, so numba's on-disk
cache serves a second process, and executes it with the user's globals.

numba compiles a function at its first call, for the argument types it is
given; a construct it cannot type is then refused with an ``BackendError``
naming the user's file, line and construct (``numba_errors``), before any of the
function has run. The wrappers returned keep the numpy backend's calling
convention, so the API and the tapes are unchanged: a forward half takes the
Python list the API passes as tape and pushes the typed tape on it; the
reverse half pops it.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import math
import os
import re
import sys
import tempfile
import types

import numpy as np

from ..codegen.compile import copied_view, execute_file_source
from ..codegen.emit import emit_module
from ..errors import AliasingError, BackendError
from . import numba_runtime
from .numba_axes import axis_reduction
from .numba_errors import refusal as numba_refusal
from .numba_guards import VIEW_RETURNED
from .numba_indexing import through_index_arrays
from .numba_rewrite import STATE, rewrite_functions
from .numba_values import np_call as _np_call
from .numba_values import numpys_values


def available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    if not available():
        raise BackendError("backend='numba' needs numba, which is not installed.",
                           hint="pip install 'adcompiler[numba]', or use backend='numpy'.")


def cache_dir() -> str:
    base = os.environ.get("ADCOMPILER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "adcompiler")
    return os.path.join(base, "numba")


class _DefaultKeywords:
    """Drops the keywords a reduction is given at their defaults (``np.sum(t,
    axis=None, keepdims=False, where=True)`` in tangent code), which numba's
    reductions do not take); and calls ``_ad_fmod`` for ``np.fmod`` (numba's is
    wrong for negative integers: ``fmod(-5, 3)`` gave 2), ``_ad_roll`` for
    ``np.roll`` (numba's takes no axis), ``_ad_trace`` for ``np.trace`` with an offset
    (numba's takes one argument), ``_ad_norm`` for ``np.linalg.norm`` (numba's is wrong
    for a vector with a negative stride), ``_ad_clip`` for ``np.clip`` and
    ``_ad_atleast_1d`` for ``np.atleast_1d`` and ``_ad_expand_dims`` for
    ``np.expand_dims`` (numba's take no number: ``np.array([y[1], -y[0]])``); and
    ``_ad_reshape_as(g, x)`` for ``np.reshape(g, _ad_shape(x))`` (a number for a number),
    ``_ad_zeros_as(v, t)`` for ``np.zeros(np.shape(v), np.result_type(t))`` (numba has no
    ``np.result_type``); ``np.sort(x, axis=-1)`` (``x.sort()``) without its axis, numba's
    sorting the last one; ``np.take`` without ``mode='raise'`` (numba's takes no mode)."""

    DEFAULTS = types.MappingProxyType({"axis": None, "keepdims": False, "where": True})
    DTYPE_AT = types.MappingProxyType({"zeros": 1, "ones": 1, "empty": 1, "zeros_like": 1, "ones_like": 1,
                                       "empty_like": 1, "full": 2, "full_like": 2, "eye": 3, "identity": 1,
                                       "arange": 3})
    PYTHON_TYPES = types.MappingProxyType({"int": "_ad_int64", "float": "_ad_float64", "bool": "_ad_bool"})
    REDUCTIONS = frozenset({"sum", "mean", "prod", "max", "min", "amax", "amin"})

    def visit(self, tree):
        import ast
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and \
                    node.func.attr == "fmod":
                node.func = ast.Name("_ad_fmod", ast.Load())
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and \
                    (node.func.attr == "roll" or node.func.attr == "clip" and len(node.args) == 3
                     and all(k.arg == "out" for k in node.keywords)
                     or node.func.attr == "atleast_1d" and len(node.args) == 1 and not node.keywords
                     or node.func.attr == "expand_dims" or node.func.attr == "matmul" and len(node.args) == 2
                     and not node.keywords or node.func.attr == "trace" and len(node.args) > 1):
                # (numba's np.roll: no axis, np.clip: no number, np.atleast_1d: no number)
                node.func = ast.Name("_ad_" + node.func.attr, ast.Load())
            numpys_values(node)
            axis_reduction(node)
            if _np_call(node, "transpose", 2) and isinstance(node.args[1], ast.Call) and \
                    isinstance(node.args[1].func, ast.Name) and node.args[1].func.id == "_ad_inverse_axes" and \
                    len(node.args[1].args) == 1 and isinstance(node.args[1].args[0], ast.Constant) and \
                    node.args[1].args[0].value is None:
                node.args = node.args[:1]   # (the adjoint of a transpose of all axes: a transpose)
            if _np_call(node, "zeros", 2) and _np_call(node.args[0], "shape", 1) and \
                    _np_call(node.args[1], "result_type", 1):
                # (a tangent's zeros for an operand: np.zeros(np.shape(v), np.result_type(t)))
                node.func = ast.Name("_ad_zeros_as", ast.Load())
                node.args = [node.args[0].args[0], node.args[1].args[0]]
            if _np_call(node, "reshape", 2) and isinstance(node.args[1], ast.Call) and \
                    isinstance(node.args[1].func, ast.Name) and \
                    node.args[1].func.id == "_ad_shape" and len(node.args[1].args) == 1:
                # (an adjoint shaped as its operand: a number's is a number, not a 0-d array)
                node.func = ast.Name("_ad_reshape_as", ast.Load())
                node.args = [node.args[0], node.args[1].args[0]]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "math" and \
                    node.func.attr == "fmod" and len(node.args) == 2:   # (numba has no math.fmod; a float)
                node.func = ast.Name("_ad_fmod", ast.Load())
                node.args = [ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "float64", ast.Load()), [a], [])
                             for a in node.args]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
                # numba takes Python's int/float/bool as a dtype only by keyword (np.full(3, 2.0, int)
                # made floats): numpy's types
                at = self.DTYPE_AT.get(node.func.attr)
                dtypes = [k.value for k in node.keywords if k.arg == "dtype"] + (
                    [node.args[at]] if at is not None and len(node.args) > at else [])
                for d in dtypes:
                    if isinstance(d, ast.Name) and d.id in self.PYTHON_TYPES:
                        d.id = self.PYTHON_TYPES[d.id]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and \
                    node.func.attr in self.REDUCTIONS:
                node.keywords = [k for k in node.keywords if not (
                    k.arg in self.DEFAULTS and isinstance(k.value, ast.Constant)
                    and k.value.value is self.DEFAULTS[k.arg])]
            for fix in (_take_without_mode, _sort_without_axis, _diff_by_position):
                fix(node)
            if _np_call(node, "where", 3):   # (of numbers: a number, not numba's 0-d array)
                node.func = ast.Name("_ad_where", ast.Load())


def _take_without_mode(node) -> None:
    """``np.take(..., mode='raise')`` (the take rule's tangent) without its mode: numba's has none."""
    import ast
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "take" \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
        node.keywords = [k for k in node.keywords if not (
            k.arg == "mode" and isinstance(k.value, ast.Constant) and k.value.value == "raise")]


def _sort_without_axis(node) -> None:
    """``np.sort(x, axis=-1)`` (``x.sort()``) as ``np.sort(x)``: numba's takes no axis, and sorts the last."""
    import ast
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and \
            node.func.attr == "sort" and len(node.args) == 1:
        node.keywords = [k for k in node.keywords if not (k.arg == "axis" and _minus_one(k.value))]


def _minus_one(e) -> bool:
    import ast
    return isinstance(e, ast.Constant) and e.value == -1 and type(e.value) is int or isinstance(e, ast.UnaryOp) \
        and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) and e.operand.value == 1 \
        and type(e.operand.value) is int


def _whole_arrays(fn) -> None:
    """``x[...]`` read as ``x`` (numba lowers no read by an ellipsis: code made for an array of
    any rank, ``emit --target numba`` without ``--shape``), and ``x[...] op= v`` as
    ``x[...] = x op v`` (numpy, too, computes the operand before it writes)."""
    import ast

    def whole(node):
        return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and node.slice.value is Ellipsis
    for node in ast.walk(fn):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for k, v in enumerate(value):
                    if isinstance(v, ast.AugAssign) and whole(v.target):
                        read = ast.BinOp(copy.deepcopy(v.target.value), v.op, v.value)
                        value[k] = ast.copy_location(ast.Assign([v.target], read), v)
                    elif whole(v) and isinstance(v.ctx, ast.Load):
                        value[k] = v.value
            elif whole(value) and isinstance(value.ctx, ast.Load):
                setattr(node, field, value.value)


def _diff_by_position(node) -> None:
    """A tangent's ``np.diff(t, n=1, axis=-1)`` as ``np.diff(t, 1)``: numba's takes ``n`` by
    position, and no axis (its last axis, the default)."""
    import ast
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and \
            node.func.attr == "diff" and len(node.args) == 1:
        kw = {k.arg: k.value for k in node.keywords}
        if set(kw) <= {"n", "axis"} and ast.unparse(kw.get("axis", ast.Constant(-1))) == "-1":
            node.args += [kw["n"]] if "n" in kw else []
            node.keywords = []


def module_source(module, decorate: bool = True, prelude: bool = True) -> tuple:
    """The numba module's source (with ``prelude``, headed by the imports and
    helpers) and, for each comment line, its index into ``module.origins``."""
    functions, ranks, refused = rewrite_functions(module.functions, module.contexts, module.origins, module.namespace)
    if not functions:
        raise next(iter(refused.values()))
    for fn in functions:
        _DefaultKeywords().visit(fn)
        _whole_arrays(fn)
    if decorate:
        import ast
        for fn in functions:
            checked = fn.name in module.contexts and through_index_arrays(fn, module.contexts[fn.name][0])
            fn.decorator_list = [ast.Name("_ad_checked_jit" if checked else "_ad_jit", ast.Load())]
    head = numba_runtime.source(ranks) + "\n\n# --- generated code ---\n\n" if prelude else ""
    where: dict = {}
    body = emit_module(functions, module.comments, where)
    offset = head.count("\n")
    return head + body, {line + offset: k for line, k in where.items()}, refused


def _constant_key(namespace: dict, attributes: dict | None = None) -> str:
    """What of the user's globals numba freezes into the compiled code (numbers,
    numpy scalars, arrays; and the attributes read of other objects, ``cfg.SCALE``)."""
    namespace = {**namespace, **(attributes or {})}
    return ";".join(f"{name}{_value_key(namespace[name])}" for name in sorted(namespace))


def _value_key(v) -> str:
    """A value's part of the key: numbers and arrays by value, tuples by their
    items' (numba freezes a tuple's numbers too), other objects by type and name."""
    if isinstance(v, (bool, int, float, complex, str)):
        return f"={v!r}"
    if isinstance(v, np.generic):
        return f"={v!r}:{v.dtype}"
    if isinstance(v, np.ndarray):
        return f"={hashlib.sha1(np.ascontiguousarray(v).tobytes()).hexdigest()}{v.shape}{v.dtype}"
    if isinstance(v, tuple):
        return "=(" + ",".join(_value_key(x) for x in v) + ")"
    return f":{type(v).__name__}:{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', '')}"


def _holds_array(v) -> bool:
    return isinstance(v, np.ndarray) or (isinstance(v, tuple) and any(_holds_array(x) for x in v))


def _write(source: str, key: str) -> str:
    import numba
    digest = hashlib.sha1((source + key + numba.__version__).encode()).hexdigest()[:20]
    folder = cache_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"ad_{digest}.py")
    if not os.path.exists(path):   # an existing file keeps its time stamp: numba's cache stays valid
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(source)
        os.replace(tmp, path)
    return path


def compile_module(module) -> dict:
    """The numba module of ``module`` executed: its namespace, with ``__origins__``
    (line -> the user's file, line, text) and ``__path__``."""
    require()
    for name, value in sorted(module.namespace.items()):
        if _holds_array(value):   # (an array, or a tuple of them)
            file, line, _ = next((o for o in module.origins if re.search(rf"\b{name}\b", o[2] or "")), (None,) * 3)
            raise BackendError(f"the function reads the array `{name}` from its module or closure, which numba would freeze at "
                               "its first compilation (later changes to it would not be seen).",
                               filename=file, lineno=line, construct=name,
                               hint=f"pass `{name}` as an argument (Const), or use backend='numpy'.")
    source, where, refused = module_source(module)
    attributes = {name: obj for _, name, obj in module.free_names if "." in name}
    path = _write(source, _constant_key(module.namespace, attributes))
    name = os.path.splitext(os.path.basename(path))[0]
    mod = sys.modules.get(name)
    if mod is None:   # a real module: numba's cache refers to the module its functions live in
        mod = types.ModuleType(name)
        mod.__file__ = path
        ns = vars(mod)
        ns.update({"np": np, "math": math})
        ns.update(module.namespace)
        execute_file_source(source, path, ns)
        sys.modules[name] = mod
    ns = vars(mod)
    ns["__refused__"] = refused
    ns["__origins__"] = {line: module.origins[k] for line, k in where.items()}
    ns["__path__"] = path
    return ns


def _untyped(e, origins):
    """numba types each argument before anything runs: one it cannot type, refused."""
    where = next(iter(origins.values()), (None, None, None))
    return BackendError(f"numba cannot take the arguments of this function ({e}).",
                        filename=where[0], lineno=where[1], construct=where[2],
                        hint="pass a tuple, or a non-empty list of one type (arrays of one layout), or use "
                             "backend='numpy' (backend='auto' falls back by itself).")


def _ran(e, origins):
    """numba's limits met while the function ran: the arguments may be half updated, so
    ``auto`` does not run it again on numpy (``ran``)."""
    where = next(iter(origins.values()), (None, None, None))
    err = BackendError(f"numba could not run the derivative of this function ({e}); it stopped partway, and "
                       "the arrays it writes may be partly updated.", filename=where[0], lineno=where[1],
                       construct=where[2], hint="use backend='numpy' for this function, or pass contiguous "
                                                "arrays (np.ascontiguousarray) where they are strided.")
    err.ran = True
    return err


def _from_numba(e) -> bool:
    """Whether ``e`` was raised by numba's own code (its version of a numpy function)."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and f"{os.sep}numba{os.sep}" in tb.tb_frame.f_code.co_filename


def _raised_in(e, path) -> bool:
    """Whether the code of ``path`` raises ``e`` itself (``raise ValueError("negative")``, the user's
    check, which numba raises as it is written: not numba's own limits)."""
    import ast
    try:
        with open(path) as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, TypeError):
        return False
    said = str(e)
    return any(isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call) and isinstance(n.exc.func, ast.Name)
               and n.exc.func.id == type(e).__name__ and [getattr(a, "value", None) for a in n.exc.args] == (
                   [said] if said else []) for n in ast.walk(tree))


def _guarded(fn, path, origins):
    from numba.core.errors import NumbaError

    @functools.wraps(fn.py_func)
    def run(*args):
        try:
            return fn(*args)
        except NumbaError as e:
            raise numba_refusal(e, path, origins) from None
        except ValueError as e:
            refusal = copied_view(e)   # the numpy backend's located refusal
            if e.args[:1] == (VIEW_RETURNED,) and len(e.args) == 4:
                refusal = BackendError(
                    "this helper returned a view of its argument or a copy, not the argument itself as the numba "
                    "backend's derivative takes it (a view's shadow is not followed there)", filename=e.args[1], lineno=e.args[2], construct=e.args[3],
                    hint="use backend='numpy' (backend='auto' falls back by itself).")
                refusal.ran = True   # (met running: auto puts the arrays back and runs numpy)
            if isinstance(refusal, AliasingError):   # (numba's check, by the memory two views span, is coarser
                refusal = BackendError(   # than numpy's: auto runs numpy, which tells them apart element by element)
                    f"{refusal.reason} numba tells views apart by the memory they span.", filename=refusal.filename,
                    lineno=refusal.lineno, construct=refusal.construct, hint="use backend='numpy' (backend='auto' "
                    "falls back by itself), which tells the views apart element by element, or pass a copy.")
                refusal.ran = True
            if refusal is not None:
                raise refusal from None
            if "fingerprint" in str(e):   # (an argument numba cannot type: an empty list)
                raise _untyped(e, origins) from None
            if "numba backend:" in str(e) or _from_numba(e) and not _raised_in(e, path):
                # (a helper's case numba's version does not cover, or numba's own numpy, met running:
                # np.cross of 2-vectors)
                raise _ran(e, origins) from None
            raise
        except OverflowError as e:   # (an int of numba's code beyond int64: auto runs the function on numpy)
            raise _ran(e, origins) from None
        except ZeroDivisionError as e:
            # (numba's compiled code keeps no line: name the function, and the backend that names the line)
            where = next(iter(origins.values()), None)
            about = f" (raised by the derivative of a line of {where[0]} under numba; backend='numpy' names the " \
                    "line)" if where else ""
            raise ZeroDivisionError(f"{e}{about}") from None
        except TypeError as e:
            if "unbox" in str(e) or "reflected container" in str(e):
                raise _untyped(e, origins) from None   # (a list mixing types or array layouts, a list of lists)
            if _while_compiling(e):   # (numba's typing of a global it cannot take: isinstance(p, np.integer))
                raise numba_refusal(e, path, origins) from None
            if e.__traceback__ is not None and e.__traceback__.tb_next is None and str(e).startswith("expected "):
                raise _ran(e, origins) from None   # (the dispatcher given a value its code was not made for: None)
            raise
        except NotImplementedError as e:
            # numba's own limits met at run time (its reshape of an array that is not contiguous,
            # an operation on a 0-d array it does not lower)
            if _while_compiling(e):
                raise numba_refusal(e, path, origins) from None
            raise _ran(e, origins) from None
        except Exception as e:
            if _while_compiling(e):   # numba failed to compile (lowering), nothing ran
                raise numba_refusal(e, path, origins) from None
            raise
    run.dispatcher = fn
    return run


def _while_compiling(e) -> bool:
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in ("_compile_for_args", "compile_extra") and \
                "numba" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _refused(error):
    """A generated function the numba backend refused: raises ``error`` when called."""
    def run(*args):
        raise error
    run.dispatcher = None
    return run


def _typed(run, args, path, origins) -> None:
    """Compile ``run`` (a guarded dispatcher) for the types of ``args``."""
    if run.dispatcher is None:
        run()   # refused: raises
    import numba
    from numba.core.errors import NumbaError
    try:
        run.dispatcher.compile(tuple(numba.typeof(a) for a in args))
    except NumbaError as e:
        raise numba_refusal(e, path, origins) from None
    except Exception as e:   # noqa: BLE001 (numba failed to compile: lowering errors are plain exceptions)
        raise numba_refusal(e, path, origins) from None


def _tape_arrays():
    return np.empty(1024, np.float64), 0, np.empty(1024, np.int64), 0


def halves(ns: dict, info, mode: str) -> tuple:
    """``(fwd, rev, fused)`` with the numpy backend's calling conventions."""
    path, origins = ns["__path__"], ns["__origins__"]

    def get(name):
        if name in ns["__refused__"]:
            return _refused(ns["__refused__"][name])
        return _guarded(ns[name], path, origins) if name else None
    if mode != "reverse":
        return get(info.fwd_name), None, None
    nb_fwd, nb_rev, fused = get(info.fwd_name), get(info.rev_name), get(info.fused_name)
    # autodiff may seed an Active return in the fused function (api/reverse)
    fused.seeds_return = fused.dispatcher is not None

    def fwd(*args):
        *args, tape = args
        state = _tape_arrays()
        # the reverse half is typed now: a refusal comes before the primal has run
        _typed(nb_rev, [*args, 1.0 if info.ret_active else None, *state], path, origins)
        out = nb_fwd(*args, *state)
        tape.append(out[1:])
        return out[0]

    def rev(*args):
        *args, tape = args
        state = tape.pop()
        return nb_rev(*args, *state)[0]
    def typed(*args):
        """Compile both halves for the types of ``args`` (fwd's, without the tape), running
        neither: what numba cannot type is refused now (a tape's callback under jax.jit)."""
        state = _tape_arrays()
        _typed(nb_fwd, [*args, *state], path, origins)
        _typed(nb_rev, [*args, 1.0 if info.ret_active else None, *state], path, origins)
    fwd.typed = typed
    # (what a call would raise, for callers that must refuse before running: the tapes)
    fwd.refusal = ns["__refused__"].get(info.fwd_name) or ns["__refused__"].get(info.rev_name)
    rev.refusal = fwd.refusal
    # (both refused: api/reverse says the fused function's reason, the function autodiff runs)
    fused.refusal = ns["__refused__"].get(info.fused_name) if fwd.refusal is not None else None
    return fwd, rev, fused


__all__ = ["STATE", "available", "cache_dir", "compile_module", "halves", "module_source", "require"]

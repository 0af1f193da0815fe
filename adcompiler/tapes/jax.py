"""JAX adapter: ``jax.custom_vjp`` around ``jax.pure_callback``.

JAX arrays and tracers among the arguments become operands of host
callbacks; every other argument is closed over as a constant. The forward
callback runs the split forward pass once and files its record under an
integer key, which travels through JAX as the residual; the backward
callback runs only the reverse sweep on that record and then drops it. So
``jax.grad``, ``jax.jit`` and ``jax.vmap`` (callbacks run once per batch
element; a batched backward serves every cotangent of ``jax.jacrev``) all
work. ``symbolic_zeros`` tells the forward which operands JAX perturbs: the
others are passed to the kernel as Const. A record whose backward never runs
(``jax.vjp`` without calling the VJP) stays filed until :func:`clear`.
"""
from __future__ import annotations

import collections
import contextlib
import functools
import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from ..errors import AdCompilerError
from . import split

_RECORDS: dict = {}
#: the records of the last backward passes: a vjp function called again (a Jacobian's rows one
#: by one, two cotangents in one jit) finds its record; older ones are dropped (memory)
_DONE: collections.OrderedDict = collections.OrderedDict()
_DONE_KEPT = 4
_MAX_CACHED = 64
_KEYS = itertools.count(1)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex64), np.dtype(np.complex128))


_REFUSED: list = []   # the refusal a callback raised (JAX reports it as its own runtime error)


@contextlib.contextmanager
def _kept_refusal():
    try:
        yield
    except AdCompilerError as exc:
        _REFUSED[:] = [exc]
        raise


def clear() -> int:
    """Drop filed records whose backward pass never ran; returns how many."""
    n = len(_RECORDS)
    _RECORDS.clear()
    _DONE.clear()
    return n


def _done(key: int) -> None:
    """The backward pass of ``key`` ran: its record joins the last few kept."""
    rec = _RECORDS.pop(key, None)
    if rec is not None:
        _DONE[key] = rec
    if key in _DONE:
        _DONE.move_to_end(key)
    while len(_DONE) > _DONE_KEPT:
        _DONE.popitem(last=False)


def _float_dtype(dtype: Any) -> np.dtype:
    return np.dtype(jax.dtypes.canonicalize_dtype(dtype))


class _Call:
    """One call: which arguments are operands, and the callbacks."""

    def __init__(self, w: Any, values: list):
        self.w = w
        self.values = values
        self.ops = [i for i, v in enumerate(values) if isinstance(v, jax.Array)]
        self.dops = [i for i in self.ops if np.dtype(values[i].dtype) in _FLOATS]
        for name, v in zip(w.inputs, values):
            if isinstance(v, jax.Array) and v.dtype.kind == "f" and np.dtype(v.dtype) not in _FLOATS:
                raise AdCompilerError(f"{w.__name__}: argument {name!r} has dtype {v.dtype}; "
                                      "only float32, float64, complex64 and complex128 are supported.")
        if w.returns_value:
            dtype = next((values[i].dtype for i in self.dops), jnp.zeros(()).dtype)
            real = np.finfo(np.dtype(dtype)).dtype   # a float return of complex operands is real
            self.out_avals = (jax.ShapeDtypeStruct((), _float_dtype(real)),)
        else:
            self.out_avals = tuple(jax.ShapeDtypeStruct(shape, _float_dtype(dtype))
                                   for shape, dtype in w.result_specs(values))
        # keep shapes and dtypes only: a cached call must not hold tracers
        # and the constants' values now: JAX reads a numpy constant when it is traced,
        # the callbacks run later (under jit after the caller may have changed its arrays)
        self.values = [jax.ShapeDtypeStruct(v.shape, v.dtype) if i in self.ops else split._copied(v)
                       for i, v in enumerate(values)]

    def numpy_values(self, ops: tuple) -> list:
        values = list(self.values)
        for i, x in zip(self.ops, ops):
            a = np.asarray(x)
            # (a traced Python int or float arrives as a 0-d array: the number again, as without jit)
            values[i] = a[()].item() if a.ndim == 0 and (a.dtype in _FLOATS or a.dtype.kind in "iub") else a
        return values

    def results(self, result: Any) -> tuple:
        outs = (result,) if self.w.returns_value or len(self.out_avals) == 1 else result
        return tuple(np.asarray(r, dtype=a.dtype) for r, a in zip(outs, self.out_avals))

    def primal_cb(self, *ops: Any) -> tuple:
        with _kept_refusal():
            return self.results(split.primal(self.w, self.numpy_values(ops)))

    def fwd_cb(self, needs: tuple, *ops: Any) -> tuple:
        with _kept_refusal():
            return self._fwd(needs, *ops)

    def _fwd(self, needs: tuple, *ops: Any) -> tuple:
        values = self.numpy_values(ops)
        result, rec = split.forward(self.w, values, needs)
        key = next(_KEYS) % (2 ** 31 - 1)
        _RECORDS[key] = rec
        return (*self.results(result), np.int32(key))

    def _record(self, key: Any) -> Any:
        rec = _RECORDS.get(int(key), _DONE.get(int(key)))
        if rec is None:
            code = getattr(getattr(self.w, "_function", None), "__code__", None)   # (at the kernel's definition)
            raise AdCompilerError(
                f"{self.w.__name__}: the forward record of this call is gone (its backward pass ran, and "
                f"{_DONE_KEPT} other backward passes since).",
                hint="call the vjp function of a jax.vjp right after its forward, or run the forward again.",
                filename=getattr(code, "co_filename", None), lineno=getattr(code, "co_firstlineno", None),
                construct=self.w.__name__)
        return rec

    def _grads(self, rec: Any, ops: tuple, gs: tuple) -> list:
        cots = [np.asarray(g) for g in gs]
        # JAX's cotangents of complex values are the conjugates of adcompiler's
        per_input = split.backward(rec, cots[0] if self.w.returns_value else cots, self.numpy_values(ops),
                                   conjugate=True)
        dtypes = [np.dtype(self.values[i].dtype) for i in self.dops]
        return [np.zeros(self.values[i].shape, dt) if per_input[i] is None else np.asarray(per_input[i], dt)
                for i, dt in zip(self.dops, dtypes)]

    def bwd_cb(self, keys: Any, *rest: Any) -> tuple:
        """Reverse sweep(s); under vmap every argument carries the batch axes."""
        keys = np.asarray(keys)
        ops, gs = rest[:len(self.ops)], rest[len(self.ops):]
        if not keys.shape:
            grads = self._grads(self._record(keys), ops, gs)
            _done(int(keys))
            return tuple(grads)
        grads = [np.zeros(keys.shape + tuple(self.values[i].shape), np.dtype(self.values[i].dtype))
                 for i in self.dops]
        for idx in np.ndindex(*keys.shape):
            one = self._grads(self._record(keys[idx]), tuple(np.asarray(o)[idx] for o in ops),
                              tuple(np.asarray(g)[idx] for g in gs))
            for k, g in enumerate(one):
                grads[k][idx] = g
        for key in np.unique(keys):
            _done(int(key))
        return tuple(grads)

    def once_differentiable(self, callback: Any, avals: Any, vmap_method: str, static: int = 0) -> Any:
        """``jax.pure_callback(callback, avals, ...)`` as a function whose JVP (JAX
        differentiating the forward or backward pass again) is a located refusal."""
        @functools.partial(jax.custom_jvp, nondiff_argnums=tuple(range(static)))
        def call(*args: Any) -> Any:
            return jax.pure_callback(functools.partial(callback, *args[:static]), avals, *args[static:],
                                     vmap_method=vmap_method)

        @call.defjvp
        def _again(*_: Any) -> Any:
            raise AdCompilerError(
                f"{self.w.__name__}: an adcompiler kernel under JAX is differentiated once: its derivative cannot "
                "be differentiated again (jax.grad of jax.grad, jax.hessian, jax.jacfwd of jax.grad).",
                hint="for second derivatives of the kernel itself use adcompiler.hvp or adcompiler.hessian.")
        return call

    def function(self) -> Any:
        n_ops = len(self.ops)
        out_avals = self.out_avals
        key_aval = jax.ShapeDtypeStruct((), np.int32)
        grad_avals = tuple(jax.ShapeDtypeStruct(self.values[i].shape, self.values[i].dtype) for i in self.dops)
        dpos = [self.ops.index(i) for i in self.dops]

        @jax.custom_vjp
        def kernel(*ops: Any) -> Any:
            # refusals surface here, not as an error inside the callback
            split.check_primal(self.w, self.numpy_values([np.zeros(self.values[i].shape, self.values[i].dtype)
                                                          for i in self.ops]))
            return jax.pure_callback(self.primal_cb, out_avals, *ops, vmap_method="sequential")

        def kernel_fwd(*prims: Any) -> tuple:
            needs = [False] * len(self.values)
            for i, p in zip(self.ops, prims):
                needs[i] = bool(p.perturbed) and i in self.dops
            ops = tuple(p.value for p in prims)
            # refusals surface here, not as an error inside the callback
            # (zeros of the recorded shapes: an operand may arrive as a weakly typed Python float)
            split.prepare(self.w, self.numpy_values([np.zeros(self.values[i].shape, self.values[i].dtype)
                                                     for i in self.ops]), needs)
            res = forward(tuple(needs), *ops)
            return tuple(res[:-1]), (res[-1], ops)

        reverse = self.once_differentiable(self.bwd_cb, grad_avals, "broadcast_all")
        forward = self.once_differentiable(lambda needs, *o: self.fwd_cb(needs, *o), (*out_avals, key_aval),
                                           "sequential", static=1)

        def kernel_bwd(residual: tuple, gs: tuple) -> tuple:
            key, ops = residual
            gs = [jnp.zeros(a.shape, a.dtype) if isinstance(g, SymbolicZero) else g for g, a in zip(gs, out_avals)]
            grads = reverse(key, *ops, *gs)
            out = [None] * n_ops
            for k, p in enumerate(dpos):
                out[p] = grads[k]
            return tuple(out)

        kernel.defvjp(kernel_fwd, kernel_bwd, symbolic_zeros=True)
        return kernel


def _signature(values: list) -> tuple | None:
    """Cache key of a call: operand shapes and dtypes, constant values (None: not cacheable)."""
    key = []
    for v in values:
        if isinstance(v, jax.Array):
            key.append(("op", v.shape, np.dtype(v.dtype)))
        else:
            try:
                hash(v)
            except TypeError:
                return None
            key.append(_exact(v))
    return tuple(key)


def _exact(v):
    """A key equal only for constants that are the same: ``0.0`` and ``-0.0`` (or
    ``10**20`` and ``1e20`` in a tuple) compare equal but give other results."""
    if isinstance(v, (tuple, list, frozenset)):
        return (type(v),) + tuple(_exact(x) for x in (sorted(v, key=repr) if isinstance(v, frozenset) else v))
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return (type(v), repr(v), np.signbit(np.real(v)), np.signbit(np.imag(v)))
    return (type(v), v)


def call_jax(w: Any, values: list) -> Any:
    """Evaluate ``w`` on arguments among which are JAX arrays or tracers.

    The custom_vjp function is cached per argument signature, so repeated
    eager calls reuse JAX's compiled callbacks."""
    key = _signature(values)
    if key is not None and any(callable(spec) for spec in w.allocated.values()):
        # (a like= function may read the operands' values, not only their shapes: its outputs' shapes join the key)
        key += (("outputs", tuple(map(tuple, w.output_specs(list(values))))),)
    calls = w.adapter_cache.setdefault("jax", {})
    kernel = calls.get(key) if key is not None else None
    if kernel is None:
        kernel = _Call(w, values).function()
        if key is not None and len(calls) < _MAX_CACHED:
            calls[key] = kernel
    _REFUSED.clear()
    try:
        outs = kernel(*[v for v in values if isinstance(v, jax.Array)])
    except Exception as exc:
        if _REFUSED:   # a refusal raised in a callback that ran now: raised as itself, not as JAX's error
            raise _REFUSED.pop() from exc
        raise
    if w.returns_value or len(outs) == 1:
        return outs[0]
    return tuple(outs)

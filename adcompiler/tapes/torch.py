"""PyTorch adapter: the pure function as a ``torch.autograd.Function``.

Tensors are viewed as numpy arrays (CPU, no copy; other devices are moved to
the CPU and the results moved back). The forward keeps the split record on
``ctx``; ``backward`` runs only the reverse sweep. Inputs and outputs are
saved with ``save_for_backward`` so that PyTorch's version counters report an
in-place change made to them between forward and backward; the outputs are
copies of the record's arrays, free to be changed in place. A 0-dim tensor is
passed to the kernel as a float scalar (Active when it requires grad).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import AdCompilerError
from . import split

# complex tensors: torch's .grad is dL/dRe + 1j dL/dIm, adcompiler's convention (no conversion)
_FLOAT_DTYPES = (torch.float32, torch.float64, torch.complex64, torch.complex128)
_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def _to_numpy(t: torch.Tensor) -> Any:
    a = t.detach().cpu().resolve_conj().resolve_neg().numpy()
    if a.ndim == 0 and t.dtype in _FLOAT_DTYPES:   # a number: a Python float, a numpy scalar in single precision
        return a[()].item() if a.dtype in (np.float64, np.complex128) else a[()]
    if a.ndim == 0 and a.dtype.kind in "iub":   # (an int: a loop bound, an index; as JAX's adapter gives it)
        return a[()].item()
    return a


def _first_order(backward):
    """``backward`` run without a graph; when PyTorch builds one (``create_graph=True``,
    as ``torch.autograd.functional.hessian`` does) and an input requires grad, the
    gradients it returns raise when differentiated again. (``once_differentiable``
    looks only at the incoming gradients: under ``f(t).sum() + (t ** 2).sum()`` those
    need no grad, and the kernel's part of the Hessian was silently zero.)"""
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        # read once (raises if an input or output was changed in place; a non-reentrant
        # torch.utils.checkpoint lets each saved tensor be unpacked only once)
        saved = ctx.saved_tensors
        with torch.no_grad():
            grads = backward(ctx, *grad_outputs)
        needing = [t for t in (*saved, *grad_outputs) if isinstance(t, torch.Tensor) and t.requires_grad]
        if not torch.is_grad_enabled() or not needing:
            return grads
        # the tensors the gradients depend on are inputs of the error node too, so that a
        # derivative of the gradients with respect to them reaches it (and raises)
        name = getattr(getattr(ctx, "w", None), "__name__", "a differentiated kernel")
        err = torch._C._functions.DelayedError(
            f"adcompiler: {name}: the gradient of a differentiated kernel is computed outside PyTorch and cannot "
            f"be differentiated again; for second derivatives of the kernel use adcompiler.hvp or "
            f"adcompiler.hessian".encode(), len(grads) + len(needing))

        def marked(g):
            if g is None:
                return None
            g = g.detach()
            g.requires_grad = True
            return g
        return tuple(err(*[marked(g) for g in grads], *needing)[:len(grads)])
    return wrapper


class _Kernel(torch.autograd.Function):
    """The kernel's forward half as a torch Function; its backward runs the reverse half."""

    @staticmethod
    def forward(ctx: Any, w: Any, n_out: int, *args: Any) -> Any:
        needs = ctx.needs_input_grad[2:]
        values = [_to_numpy(a) if isinstance(a, torch.Tensor) else a for a in args]
        device = next((a.device for a in args if isinstance(a, torch.Tensor)), torch.device("cpu"))
        if any(needs):
            result, ctx.record = split.forward(w, values, needs)
        else:
            result, ctx.record = split.primal(w, values), None
        ctx.w = w
        ctx.in_meta = [(a.dtype, a.device, a.dim(), tuple(a.shape)) if isinstance(a, torch.Tensor) else None
                       for a in args]
        if w.returns_value:
            dtype = next((a.dtype for a in args if isinstance(a, torch.Tensor) and a.dtype in _FLOAT_DTYPES),
                         torch.float64)
            outs = (torch.tensor(result, dtype=_REAL_OF.get(dtype, dtype), device=device),)
        else:
            outs = tuple(torch.from_numpy(r).to(device) for r in (result if n_out > 1 else (result,)))
        ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])   # (the outputs are copies)
        return outs if n_out > 1 else outs[0]

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> Any:
        raise AdCompilerError(
            f"{ctx.w.__name__}: PyTorch's forward mode (torch.autograd.forward_ad, double backward's jvp) does not "
            "reach adcompiler's kernels: they are registered with a backward pass only.",
            hint="differentiate the kernel in forward mode with adcompiler.jvp or autodiff(Forward, ...), or use "
                 "reverse mode (loss.backward(), torch.autograd.grad).")

    @staticmethod
    @_first_order
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        w = ctx.w
        if ctx.record is None:
            return (None, None) + (None,) * len(ctx.in_meta)
        if any(isinstance(g, torch.Tensor) and _batched(g) for g in grad_outputs):
            raise AdCompilerError(   # (jacobian(vectorize=True), is_grads_batched=True: a vmap over the backward)
                f"{w.__name__}: a batched backward pass (torch.func.vmap of it, jacobian(..., vectorize=True), "
                "is_grads_batched=True) does not reach adcompiler's kernels.",
                hint="compute the Jacobian row by row: torch.autograd.functional.jacobian(f, x) (vectorize=False).")
        cots = [None if g is None else g.detach().cpu().resolve_conj().resolve_neg().numpy() for g in grad_outputs]
        grads = split.backward(ctx.record, cots[0] if w.returns_value else cots)
        out = []
        for g, meta, need in zip(grads, ctx.in_meta, ctx.needs_input_grad[2:]):
            if meta is None or not need:
                out.append(None)
                continue
            dtype, device, dim, shape = meta
            if g is None:   # (a const= argument torch tracks anyway: a zero gradient, as the other tapes give)
                out.append(torch.zeros(shape, dtype=dtype, device=device))
                continue
            out.append(torch.as_tensor(np.asarray(g), dtype=dtype).reshape(()) if dim == 0
                       else torch.from_numpy(np.asarray(g)).to(device=device, dtype=dtype))
        return (None, None, *out)


def call_torch(w: Any, values: list) -> Any:
    """Evaluate ``w`` on arguments among which are torch tensors."""
    for name, v in zip(w.inputs, values):
        if isinstance(v, torch.Tensor) and v.requires_grad and v.dtype not in _FLOAT_DTYPES:
            raise AdCompilerError(
                f"{w.__name__}: argument {name!r} requires grad but has dtype {v.dtype}; "
                "only float32, float64, complex64 and complex128 tensors are differentiable.",
                hint="convert it with .double() or .float().")
    if any(isinstance(v, torch.Tensor) and _functorch_wrapped(v) for v in values):
        raise AdCompilerError(
            f"{w.__name__}: torch.func transforms (grad, vjp, jacrev, vmap...) do not reach adcompiler's kernels.",
            hint="differentiate with torch.autograd (loss.backward(), torch.autograd.grad), which runs the "
                 "generated adjoint; loop over a batch instead of vmap.")
    n_out = 1 if w.returns_value else len(w.outputs)
    return _apply(w, n_out, *values)


def _batched(t) -> bool:
    """Whether ``t`` is a batch of values under a vmap (of torch.func or of autograd's batched gradients)."""
    functorch = getattr(torch._C, "_functorch", None)
    for name in ("is_batchedtensor", "is_legacy_batchedtensor", "is_functorch_wrapped_tensor"):
        check = getattr(functorch, name, None)
        if check is not None and check(t):
            return True
    return False


def _functorch_wrapped(t) -> bool:
    check = getattr(getattr(torch._C, "_functorch", None), "is_functorch_wrapped_tensor", None)
    return bool(check(t)) if check is not None else False


# torch.compile runs the kernel's call as it is (Dynamo cannot trace the numpy it runs: it breaks the graph here)
_apply = torch.compiler.disable(_Kernel.apply) if hasattr(torch, "compiler") else _Kernel.apply

"""Every entry point of adcompiler, driven on one generated program.

Each runner takes ``(ctx)`` (a :class:`Context`: the program, its function,
inputs, seeds, tangents) and returns what the entry point produced, in one
of two shapes the checker compares:

- reverse: ``(args, shadows, derivs, primal)``: the arguments after the
  call, the exit shadows per Duplicated name, one derivative per parameter
  (None except for Active ones) and the primal return (``NO_PRIMAL`` when
  the entry point does not return it);
- forward: ``(args, tangents, ret_tangent)``: the arguments after the call,
  the exit tangents per Duplicated name and the return's tangent (None for
  a Const return).

Entry points:

``Reverse``, ``ReverseWithPrimal``: ``autodiff``.
``split``: ``autodiff_thunk(ReverseSplitWithPrimal)`` driven as the tape
adapters drive it: the forward half gets fresh zero shadows, the reverse
half other, fresh arrays holding the seeds.
``emit_reverse``, ``emit_split``, ``emit_forward``: the stand-alone module
of ``adcompiler emit`` (``{f}_reverse``; ``{f}_fwd`` then ``{f}_rev`` with
fresh shadows as above; ``{f}_forward`` of the forward-mode module).
``Forward``: ``autodiff(Forward)`` with Duplicated tangents (Active scalars
become ``Duplicated(c, dc)``).
``Batch``: ``BatchDuplicated`` with two directions; each must equal its own
``Forward`` run.
``autograd``, ``torch``, ``jax``: ``adcompiler.differentiate`` on the tape
(see :func:`tape_kernel_source` for how a float-returning kernel that also
writes its arguments is wrapped).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .loader import load_source
from .spec import Program

NO_PRIMAL = object()

REVERSE_ENTRIES = ("Reverse", "ReverseWithPrimal", "split", "emit_reverse", "emit_split")
FORWARD_ENTRIES = ("Forward", "Batch", "emit_forward")
TAPE_ENTRIES = ("autograd", "torch", "jax")
#: reverse mode with the outermost loops checkpointed: one snapshot, two (split
#: mode, fresh shadows) and more snapshots than any loop has steps
CHECKPOINT_ENTRIES = ("Reverse_checkpoint1", "split_checkpoint2", "Reverse_checkpoint1000")
#: second order: hvp against differences of the gradient
SECOND_ENTRIES = ("hvp",)
ALL_ENTRIES = REVERSE_ENTRIES + FORWARD_ENTRIES + TAPE_ENTRIES + CHECKPOINT_ENTRIES + SECOND_ENTRIES


@dataclass
class Context:
    """One input draw of one program, shared by every entry point."""

    api: object
    program: Program
    fn: object
    values: list
    seeds: dict
    tangents: dict
    tangents2: dict
    ref_args: list = field(default_factory=list)
    cache: dict = field(default_factory=dict)


def _copy(values: list) -> list:
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


def _dup(p) -> bool:
    return p.activity == "Duplicated"


# ---- reverse mode -----------------------------------------------------------

def _annotate(ctx: Context, args: list, shadows: dict) -> tuple[list, list]:
    m = ctx.api.module
    ann, types = [], []
    for p, a in zip(ctx.program.params, args):
        cls = getattr(m, p.activity)
        types.append(cls)
        ann.append(cls(a, shadows[p.name]) if _dup(p) else cls(a))
    return ann, types


def _fresh_seeds(ctx: Context) -> dict:
    return {p.name: ctx.seeds[p.name].copy() for p in ctx.program.params if _dup(p)}


def _zeros(ctx: Context) -> dict:
    return {p.name: np.zeros_like(ctx.seeds[p.name]) for p in ctx.program.params if _dup(p)}


def run_reverse(ctx: Context, with_primal: bool = False, checkpoint=None):
    m = ctx.api.module
    args, shadows = _copy(ctx.values), _fresh_seeds(ctx)
    ann, _ = _annotate(ctx, args, shadows)
    ret = getattr(m, ctx.program.ret)
    options = {} if checkpoint is None else {"checkpoint": checkpoint}
    if with_primal:
        derivs, primal = m.autodiff(m.ReverseWithPrimal, ctx.fn, ret, *ann, **options)
        return args, shadows, derivs, primal
    return args, shadows, m.autodiff(m.Reverse, ctx.fn, ret, *ann, **options), NO_PRIMAL


def run_split(ctx: Context, checkpoint=None):
    """The forward half on zero shadows; the reverse half on other, seeded arrays."""
    m = ctx.api.module
    args = _copy(ctx.values)
    ann0, types = _annotate(ctx, args, _zeros(ctx))
    options = {} if checkpoint is None else {"checkpoint": checkpoint}
    fwd, rev = m.autodiff_thunk(m.ReverseSplitWithPrimal, ctx.fn, getattr(m, ctx.program.ret), *types, **options)
    tape, primal = fwd(*ann0)
    shadows = _fresh_seeds(ctx)
    ann1, _ = _annotate(ctx, args, shadows)
    derivs = rev(*ann1, 1.0 if ctx.program.ret == "Active" else 0.0, tape)
    return args, shadows, derivs, primal


# ---- the stand-alone module -------------------------------------------------

def _emitted(ctx: Context, mode: str) -> dict:
    """The module ``adcompiler emit`` writes for the program, executed (cached per mode)."""
    key = f"emit-{mode}"
    if key not in ctx.cache:
        from adcompiler.cli.emit import emit_source
        from adcompiler.cli.load import Target, UsageError
        from adcompiler.errors import AdCompilerError
        prog = ctx.program
        module = inspect.getmodule(ctx.fn)
        target = Target(inspect.getsourcefile(ctx.fn), ctx.fn, module, f"{module.__name__}:{prog.entry}")
        names = {k: tuple(p.name for p in prog.params if p.activity == k)
                 for k in ("Const", "Active", "Duplicated")}
        ret = "active" if prog.ret == "Active" else "const"
        try:
            try:
                text = emit_source(target, mode, names["Const"], names["Active"], names["Duplicated"], ret)
            except Exception as exc:
                if not isinstance(exc, (AdCompilerError, UsageError)):
                    raise
                # as `adcompiler emit --shape NAME=DIMS` does: only the ranks are used; Const
                # integer arrays and containers, which the command line cannot describe,
                # get their exact kinds (as `adcompiler check` knows them from values)
                from adcompiler.analysis.kinds import kind_of_value
                ranks = {p.name: len(p.shape) for p in prog.params if p.kind == "array"}
                known = {p.name: kind_of_value(v) for p, v in zip(prog.params, ctx.values)
                         if p.activity == "Const" and p.kind != "array"}
                text = emit_source(target, mode, names["Const"], names["Active"], names["Duplicated"], ret,
                                   ranks=ranks, known=known)
        except Exception as exc:
            ctx.cache[key] = exc
            raise
        if any(line.split()[:2] in (["import", "adcompiler"], ["from", "adcompiler"])
               or line.startswith(("import adcompiler.", "from adcompiler.")) for line in text.splitlines()):
            raise AssertionError("the emitted module imports adcompiler")
        namespace: dict = {"__name__": f"emitted_{prog.seed}_{mode}"}
        exec(compile(text, f"<emitted {prog.seed} {mode}>", "exec"), namespace)  # noqa: S102
        ctx.cache[key] = namespace
    got = ctx.cache[key]
    if isinstance(got, Exception):
        raise got
    return got


def _flat(ctx: Context, args: list, shadows: dict, scalar_tangents: dict | None = None) -> list:
    out = []
    for p, a in zip(ctx.program.params, args):
        out.append(a)
        if _dup(p):
            out.append(shadows[p.name])
        elif scalar_tangents is not None and p.activity == "Active":
            out.append(scalar_tangents[p.name])
    return out


def _derivs_from(ctx: Context, active_derivs) -> tuple:
    it = iter(active_derivs)
    return tuple(next(it) if p.activity == "Active" else None for p in ctx.program.params)


def run_emit_reverse(ctx: Context):
    ns = _emitted(ctx, "reverse")
    args, shadows = _copy(ctx.values), _fresh_seeds(ctx)
    fn = ns[f"{ctx.program.entry}_reverse"]
    # the return seed follows the arguments (named dret, or dret_2... beside a user's `dret`)
    seed = [1.0] if ctx.program.ret == "Active" else []
    derivs = fn(*_flat(ctx, args, shadows), *seed)
    return args, shadows, _derivs_from(ctx, derivs), NO_PRIMAL


def run_emit_split(ctx: Context):
    ns = _emitted(ctx, "reverse")
    args = _copy(ctx.values)
    tape = ns["_ad_tape"]()
    primal = ns[f"{ctx.program.entry}_fwd"](*_flat(ctx, args, _zeros(ctx)), tape)
    shadows = _fresh_seeds(ctx)
    rev = ns[f"{ctx.program.entry}_rev"]
    derivs = rev(*_flat(ctx, args, shadows), 1.0 if ctx.program.ret == "Active" else 0.0, tape)
    return args, shadows, _derivs_from(ctx, derivs), primal


# ---- forward mode -----------------------------------------------------------

def _forward_call(ctx: Context, tangents: dict, batch: list[dict] | None = None):
    m = ctx.api.module
    args = _copy(ctx.values)
    ann = []
    out_t = {p.name: tangents[p.name].copy() for p in ctx.program.params if _dup(p) and batch is None}
    outs = [{p.name: t[p.name].copy() for p in ctx.program.params if _dup(p)} for t in batch or []]
    for p, a in zip(ctx.program.params, args):
        if batch is not None and p.activity in ("Duplicated", "Active"):
            dvals = tuple(o[p.name] if _dup(p) else t[p.name] for o, t in zip(outs, batch))
            ann.append(m.BatchDuplicated(a, dvals))
        elif _dup(p):
            ann.append(m.Duplicated(a, out_t[p.name]))
        elif p.activity == "Active":
            ann.append(m.Duplicated(a, tangents[p.name]))
        else:
            ann.append(m.Const(a))
    ret = m.Duplicated if ctx.program.ret == "Active" else m.Const
    res = m.autodiff(m.Forward, ctx.fn, ret, *ann)
    return args, (outs if batch is not None else out_t), res


def _ret_tangent(ctx: Context, res):
    if ctx.program.ret != "Active":
        if res not in ((), None):
            raise AssertionError(f"Forward with a Const return should give (), got {res!r}")
        return None
    if not isinstance(res, tuple) or len(res) != 1:
        raise AssertionError(f"Forward with a Duplicated return should give (tangent,), got {res!r}")
    return res[0]


def run_forward(ctx: Context):
    args, tangents, res = _forward_call(ctx, ctx.tangents)
    return args, tangents, _ret_tangent(ctx, res)


def run_batch(ctx: Context):
    """Two directions at once; returns a list of two forward results."""
    args, outs, res = _forward_call(ctx, {}, [ctx.tangents, ctx.tangents2])
    rets = [None, None]
    if ctx.program.ret == "Active":
        if not isinstance(res, tuple) or len(res) != 1 or len(res[0]) != 2:
            raise AssertionError(f"BatchDuplicated with 2 directions should give ((t1, t2),), got {res!r}")
        rets = list(res[0])
    elif res not in ((), None):
        raise AssertionError(f"BatchDuplicated with a Const return should give (), got {res!r}")
    return [(args, outs[0], rets[0]), (args, outs[1], rets[1])]


def run_emit_forward(ctx: Context):
    ns = _emitted(ctx, "forward")
    args = _copy(ctx.values)
    out_t = {p.name: ctx.tangents[p.name].copy() for p in ctx.program.params if _dup(p)}
    flat = _flat(ctx, args, out_t, {p.name: ctx.tangents[p.name] for p in ctx.program.params
                                    if p.activity == "Active"})
    res = ns[f"{ctx.program.entry}_forward"](*flat)
    return args, out_t, (res if ctx.program.ret == "Active" else None)


# ---- tapes: adcompiler.differentiate ----------------------------------------

TAPE_OUT = "ret_out_"


def tape_kernel_source(program: Program) -> tuple[str, str]:
    """(module source, function name) for ``differentiate``.

    ``differentiate(f_, out=...)`` needs a kernel returning None; a
    float-returning program gets a wrapper that stores the float into an
    allocated 0-d output ``ret_out_``; a Const return is dropped by a
    wrapper that returns None.
    """
    sig = ", ".join(p.name for p in program.params)
    if program.ret != "Active":
        # a Const return may still be a float, which out= does not allow: drop it
        return program.source + (f"\n\ndef {program.entry}_tape({sig}):\n"
                                 f"    {program.entry}({sig})\n"), f"{program.entry}_tape"
    wrapper = (f"\n\ndef {program.entry}_tape({sig}, {TAPE_OUT}):\n"
               f"    {TAPE_OUT}[...] = {program.entry}({sig})\n")
    return program.source + wrapper, f"{program.entry}_tape"


def _pure(ctx: Context):
    if "pure" not in ctx.cache:
        from adcompiler import differentiate
        prog = ctx.program
        source, name = tape_kernel_source(prog)
        module = load_source(source, f"t{prog.seed}")
        outs = [p.name for p in prog.params if _dup(p)]
        like = None
        if prog.ret == "Active":
            outs.append(TAPE_OUT)
            like = {TAPE_OUT: ()}
        ctx.cache["pure"] = differentiate(getattr(module, name), out=tuple(outs), like=like)
    return ctx.cache["pure"]


def _tape_layout(ctx: Context):
    prog = ctx.program
    wrt = [k for k, p in enumerate(prog.params) if p.activity in ("Duplicated", "Active")]
    dups = [p.name for p in prog.params if _dup(p)]
    return wrt, dups


def _unchanged(ctx: Context, passed: list) -> None:
    for p, before, after in zip(ctx.program.params, ctx.values, passed):
        if isinstance(before, np.ndarray) and not np.array_equal(np.asarray(after), before):
            raise AssertionError(f"the pure function changed the caller's argument {p.name}")


def _tape_result(ctx: Context, outs, grads, wrt):
    """Map a tape's outputs and gradients to the reverse shape."""
    prog = ctx.program
    if not isinstance(outs, tuple):
        outs = (outs,)
    outs = [np.asarray(o) for o in outs]
    # arguments that are not outputs stay the caller's, unchanged: the
    # comparison with the plain run sees the plain run's values for them
    args = _copy(ctx.ref_args)
    pos = 0
    for k, p in enumerate(prog.params):
        if _dup(p):
            args[k] = outs[pos]
            pos += 1
    primal = float(outs[pos]) if prog.ret == "Active" else NO_PRIMAL   # a Const return is dropped
    shadows, derivs = {}, [None] * len(prog.params)
    for k, g in zip(wrt, grads):
        p = prog.params[k]
        if _dup(p):
            shadows[p.name] = np.asarray(g, dtype=np.float64)
        else:
            derivs[k] = float(np.asarray(g))
    return args, shadows, tuple(derivs), primal


def run_autograd(ctx: Context):
    import autograd
    import autograd.numpy as anp
    f = _pure(ctx)
    wrt, dups = _tape_layout(ctx)
    seeds = [ctx.seeds[n] for n in dups]
    active_ret = ctx.program.ret == "Active"

    several = len(dups) + active_ret > 1

    def loss(*xs):
        outs = f(*xs)
        outs_t = [outs[k] for k in range(len(dups) + active_ret)] if several else [outs]
        total = 0.0
        for s, o in zip(seeds, outs_t):
            total = total + anp.sum(s * o)
        if active_ret:
            total = total + outs_t[-1]
        return total

    values = _copy(ctx.values)
    grads = autograd.grad(loss, tuple(wrt))(*values) if wrt else ()
    outs = f(*values)
    _unchanged(ctx, values)
    return _tape_result(ctx, outs, grads, wrt)


def run_torch(ctx: Context):
    import torch
    f = _pure(ctx)
    wrt, dups = _tape_layout(ctx)
    inputs = []
    for k, v in enumerate(_copy(ctx.values)):
        if k in wrt:
            inputs.append(torch.tensor(np.asarray(v), requires_grad=True))
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            inputs.append(torch.tensor(v))
        else:
            inputs.append(v)
    outs = f(*inputs)
    outs_t = outs if isinstance(outs, tuple) else (outs,)
    total = 0.0
    for n, o in zip(dups, outs_t):
        total = total + (torch.tensor(ctx.seeds[n]) * o).sum()
    if ctx.program.ret == "Active":
        total = total + outs_t[-1]
    tensors = [inputs[k] for k in wrt]
    grads = torch.autograd.grad(total, tensors, allow_unused=True) if tensors else ()
    grads = [np.zeros(np.shape(t.detach().numpy())) if g is None else g.detach().numpy()
             for t, g in zip(tensors, grads)]
    return _tape_result(ctx, tuple(o.detach().numpy() for o in outs_t), grads, wrt)


def run_jax(ctx: Context):
    import jax
    import jax.numpy as jnp
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        f = _pure(ctx)
        wrt, dups = _tape_layout(ctx)
        values = _copy(ctx.values)
        inputs = [jnp.asarray(v) if k in wrt or (isinstance(v, np.ndarray) and v.dtype.kind == "f") else v
                  for k, v in enumerate(values)]

        def loss(*xs):
            outs = f(*xs)
            outs_t = outs if isinstance(outs, tuple) else (outs,)
            total = 0.0
            for n, o in zip(dups, outs_t):
                total = total + jnp.sum(jnp.asarray(ctx.seeds[n]) * o)
            if ctx.program.ret == "Active":
                total = total + outs_t[-1]
            return total

        grads = jax.grad(loss, tuple(wrt))(*inputs) if wrt else ()
        outs = f(*inputs)
        outs_t = outs if isinstance(outs, tuple) else (outs,)
        return _tape_result(ctx, tuple(np.asarray(o) for o in outs_t), [np.asarray(g) for g in grads], wrt)
    finally:
        jax.config.update("jax_enable_x64", prev)


# ---- second order -------------------------------------------------------------

def _gradient_of_return(ctx: Context, values: list) -> list:
    """The gradient of the program's return in its initial values (Reverse, zero seeds)."""
    m = ctx.api.module
    args = _copy(values)
    shadows = {p.name: np.zeros_like(args[k]) for k, p in enumerate(ctx.program.params) if _dup(p)}
    ann, _ = _annotate(ctx, args, shadows)
    derivs = m.autodiff(m.Reverse, ctx.fn, m.Active, *ann)
    return [shadows[p.name] if _dup(p) else derivs[k] if p.activity == "Active" else None
            for k, p in enumerate(ctx.program.params)]


def run_hvp(ctx: Context):
    """``hvp`` of a float-returning program along its tangents, against central
    differences of its Reverse gradient (at two steps: where they disagree, a
    kink is near and the program is not checked). None when not applicable."""
    program, m = ctx.program, ctx.api.module
    if program.ret != "Active" or program.dtype != "float64":
        return None
    params = program.params
    vs = tuple(ctx.tangents[p.name] if p.activity in ("Duplicated", "Active") else None for p in params)
    got = m.hvp(ctx.fn, tuple(_copy(ctx.values)), vs)

    def fd(h):
        moved = [[v if d is None else np.array(v + s * h * d) if isinstance(v, np.ndarray) else v + s * h * d
                  for v, d in zip(ctx.values, vs)] for s in (1, -1)]
        plus, minus = (_gradient_of_return(ctx, vals) for vals in moved)
        return [None if a is None else (np.asarray(a) - np.asarray(b)) / (2 * h) for a, b in zip(plus, minus)]
    want, half = fd(1e-5), fd(5e-6)
    bad = []
    for p, g, w, w2 in zip(params, got, want, half):
        if w is None:
            continue
        scale = 1e-6 * max(1.0, float(np.max(np.abs(w))) if np.size(w) else 1.0)
        if not np.allclose(w, w2, rtol=1e-3, atol=100 * scale):
            return None   # a kink between the steps: the differences are no reference
        if g is None or not np.allclose(g, w, rtol=1e-4, atol=scale):
            bad.append(f"hvp {p.name}: got {g!r} want {w!r}")
    return bad


RUNNERS = {
    "Reverse": run_reverse,
    "ReverseWithPrimal": lambda ctx: run_reverse(ctx, with_primal=True),
    "split": run_split,
    "emit_reverse": run_emit_reverse,
    "emit_split": run_emit_split,
    "Forward": run_forward,
    "Batch": run_batch,
    "emit_forward": run_emit_forward,
    "autograd": run_autograd,
    "torch": run_torch,
    "jax": run_jax,
    "Reverse_checkpoint1": lambda ctx: run_reverse(ctx, with_primal=True, checkpoint=1),
    "split_checkpoint2": lambda ctx: run_split(ctx, checkpoint=2),
    "Reverse_checkpoint1000": lambda ctx: run_reverse(ctx, checkpoint=1000),
    "hvp": run_hvp,
}

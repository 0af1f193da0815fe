"""One function, every entry point a user has, one verdict.

``check_everywhere(f, *args, ret=..., out=...)`` runs ``f`` (annotated as for
``autodiff``) through

- ``autodiff`` in Reverse and ReverseWithPrimal, and split mode driven as the
  tape adapters drive it (the forward half with fresh zero shadows, the
  reverse half with other fresh shadows holding the seeds), each against
  central finite differences (``adcompiler.testing.check_grads``);
- the emitted stand-alone module: ``{f}_reverse``, and ``{f}_fwd`` then
  ``{f}_rev`` with fresh shadows, against ``autodiff`` on the same seeds;
- Forward mode, by the dot-product test against reverse mode
  (``<w, J v> == <J^T w, v>``, no finite-difference noise);
- vector forward mode (``BatchDuplicated``, two directions) against two
  Forward calls;
- ``differentiate(f, out=...)`` under autograd (and PyTorch and JAX when
  ``tapes`` names them) against reverse mode; ``out=()`` for the bare
  ``differentiate(f)`` of a float-returning ``f``.

Any ``AdCompilerError`` propagates: a test that expects a refusal says so.
"""
from __future__ import annotations

import copy

import numpy as np

import adcompiler as ad
from adcompiler import (
    Active,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
)
from adcompiler.testing import check_grads
from adcompiler.testing.fd import inner


def _normal(rng, like):
    """Standard normal values of ``like``'s shape, complex where ``like`` is."""
    shape = np.shape(like)
    x = rng.standard_normal(shape)
    if np.iscomplexobj(like):
        x = x + 1j * rng.standard_normal(shape)
    if isinstance(like, np.ndarray):
        return np.asarray(x)   # a 0-d array's seeds and tangents are 0-d arrays, as a user's shadows are
    return x if shape else x[()] if isinstance(x, np.ndarray) else x


def _values(args):
    return [copy.deepcopy(a.val) if isinstance(a, ad.activity.Annotation) else copy.deepcopy(a) for a in args]


def _kinds(args):
    out = []
    for a in args:
        if isinstance(a, Duplicated):
            out.append("dup")
        elif isinstance(a, Active):
            out.append("active")
        else:
            out.append("const")
    return out


def _returns_float(f, args):
    r = f(*_values(args))
    return isinstance(r, (float, np.floating)) or (isinstance(r, np.ndarray) and r.ndim == 0)


def _reverse(f, kinds, vals, seeds, ret, cret):
    """autodiff Reverse with the given seeds: (final values, shadows, derivs)."""
    vals = copy.deepcopy(vals)
    shadows = {k: seeds[k].copy() for k in seeds}
    ann = [Duplicated(v, shadows[k]) if kind == "dup" else Active(v) if kind == "active" else Const(v)
           for k, (kind, v) in enumerate(zip(kinds, vals))]
    if ret is Active and cret != 1.0:
        fwd, rev = ad.autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[type(a) for a in ann])
        tape, _ = fwd(*ann)
        derivs = rev(*ann, cret, tape)
    else:
        derivs = autodiff(Reverse, f, ret, *ann)
    return vals, shadows, derivs


def check_forward_dot(f, kinds, vals, ret, rng, rtol=1e-9):
    """Forward tangents against reverse adjoints: <w, J v> = <J^T w, v>."""
    v = {k: _normal(rng, vals[k]) for k in range(len(kinds)) if kinds[k] in ("dup", "active")}
    w = {k: _normal(rng, vals[k]) for k in range(len(kinds)) if kinds[k] == "dup"}
    cret = float(rng.uniform(0.5, 1.5)) if ret is Active else 0.0
    fvals = copy.deepcopy(vals)
    ann = []
    tang = {}
    for k, kind in enumerate(kinds):
        if kind == "dup":
            tang[k] = np.array(v[k], dtype=fvals[k].dtype)
            ann.append(Duplicated(fvals[k], tang[k]))
        elif kind == "active":
            ann.append(Duplicated(complex(fvals[k]) if np.iscomplexobj(fvals[k]) else float(fvals[k]), v[k]))
        else:
            ann.append(Const(fvals[k]))
    out = autodiff(Forward, f, Duplicated if ret is Active else Const, *ann)
    jv = sum(inner(w[k], tang[k]) for k in w) + (cret * float(np.real(out[0])) if ret is Active else 0.0)
    seeds = {k: np.array(w[k], dtype=vals[k].dtype) for k in w}
    _, shadows, derivs = _reverse(f, kinds, vals, seeds, ret, cret if ret is Active else 1.0)
    jtw = sum(inner(shadows[k], v[k]) for k in shadows)
    jtw += sum(inner(derivs[k], v[k]) for k in range(len(kinds)) if kinds[k] == "active")
    scale = max(1.0, abs(jv), abs(jtw))
    assert abs(jv - jtw) <= rtol * scale * 10 ** (6 if any(
        isinstance(x, np.ndarray) and x.dtype in (np.float32, np.complex64) for x in vals) else 0), (
        f"{getattr(f, '__name__', f)}: forward and reverse disagree: <w, J v> = {jv!r}, <J^T w, v> = {jtw!r}")


def check_batch(f, kinds, vals, ret, rng, k=2):
    """BatchDuplicated with k directions against k Forward calls."""
    dirs = {i: [np.asarray(_normal(rng, vals[i])).astype(vals[i].dtype) for _ in range(k)]
            for i in range(len(kinds)) if kinds[i] == "dup"}
    if not dirs:
        return
    ret_f = Duplicated if ret is Active else Const
    bvals = copy.deepcopy(vals)
    bt = {i: [d.copy() for d in ds] for i, ds in dirs.items()}
    ann = [BatchDuplicated(bvals[i], tuple(bt[i])) if i in bt else Const(bvals[i]) for i in range(len(kinds))]
    bout = autodiff(Forward, f, ret_f, *ann)
    rtol = 1e-5 if any(isinstance(x, np.ndarray) and x.dtype in (np.float32, np.complex64) for x in vals) else 1e-7
    for j in range(k):
        svals = copy.deepcopy(vals)
        st = {i: dirs[i][j].copy() for i in dirs}
        sann = [Duplicated(svals[i], st[i]) if i in st else Const(svals[i]) for i in range(len(kinds))]
        sout = autodiff(Forward, f, ret_f, *sann)
        for i in dirs:
            np.testing.assert_allclose(bt[i][j], st[i], rtol=rtol, atol=1e-12,
                                       err_msg=f"{getattr(f, '__name__', f)}: BatchDuplicated direction {j}, argument {i}")
        if ret is Active:
            np.testing.assert_allclose(np.asarray(bout[0])[j], sout[0], rtol=rtol, atol=1e-12)


def emitted_module(f, args, ret):
    """The stand-alone module of ``f`` for these annotations, executed: its namespace."""
    from adcompiler.analysis.kinds import COMPLEX, FLOAT, array, kind_of_value
    from adcompiler.api.arguments import kernel_of
    from adcompiler.codegen.standalone import standalone
    from adcompiler.pipeline import reverse_module
    f = kernel_of(f)   # (as the entry points take it: a numba-compiled function is its Python function)
    kinds, acts = [], []
    for a in args:
        v = a.val if isinstance(a, ad.activity.Annotation) else a
        kinds.append((COMPLEX if np.iscomplexobj(v) else FLOAT) if isinstance(a, Active) else array(v.ndim, v.dtype.kind)
                     if isinstance(v, np.ndarray) else kind_of_value(v))
        acts.append("Duplicated" if isinstance(a, Duplicated) else "Active" if isinstance(a, Active) else "Const")
    mod = reverse_module(f, tuple(kinds), tuple(acts), ret is Active, public=True)
    text = standalone(mod.source, mod.namespace, f.__name__, "", "")
    assert "adcompiler" not in "\n".join(line for line in text.splitlines() if line.startswith(("import", "from")))
    ns: dict = {"__name__": "emitted"}
    exec(compile(text, f"<emitted {f.__name__}>", "exec"), ns)  # noqa: S102 - generated here
    return ns, mod.main


def check_emitted(f, kinds, vals, args, ret, rng):
    """``{f}_reverse`` and ``{f}_fwd``/``{f}_rev`` (fresh shadows) against autodiff."""
    ns, info = emitted_module(f, args, ret)
    seeds = {k: np.asarray(rng.uniform(0.5, 1.5, np.shape(vals[k])) + (1j * rng.uniform(0.5, 1.5, np.shape(vals[k]))
                           if np.iscomplexobj(vals[k]) else 0)).astype(vals[k].dtype)
             for k in range(len(kinds)) if kinds[k] == "dup"}
    cret = 1.0
    want_vals, want_sh, want_d = _reverse(f, kinds, vals, seeds, ret, cret)
    want_active = [want_d[k] for k in range(len(kinds)) if kinds[k] == "active"]

    def flat(vs, shadows):
        out = []
        for k, kind in enumerate(kinds):
            out.append(vs[k])
            if kind == "dup":
                out.append(shadows[k])
        return out

    def compare(label, vs, shadows, active):
        for k in range(len(kinds)):
            if isinstance(want_vals[k], np.ndarray):
                np.testing.assert_allclose(vs[k], want_vals[k], rtol=1e-12, atol=0,
                                           err_msg=f"{label}: argument {k} after the call")
            if k in shadows:
                np.testing.assert_allclose(shadows[k], want_sh[k], rtol=1e-9, atol=1e-12,
                                           err_msg=f"{label}: shadow of argument {k}")
        np.testing.assert_allclose(np.asarray(active), np.asarray(want_active),
                                   rtol=1e-9, atol=1e-12, err_msg=f"{label}: Active derivatives")

    vs = copy.deepcopy(vals)
    sh = {k: s.copy() for k, s in seeds.items()}
    extra = [cret] if ret is Active else []
    got = ns[info.fused_name](*flat(vs, sh), *extra)
    compare(f"{info.fused_name}", vs, sh, list(got))
    # split halves, driven as the tapes drive them
    vs = copy.deepcopy(vals)
    zero = {k: np.zeros_like(s) for k, s in seeds.items()}
    tape = ns["_ad_tape"]()
    ns[info.fwd_name](*flat(vs, zero), tape)
    sh = {k: s.copy() for k, s in seeds.items()}
    got = ns[info.rev_name](*flat(vs, sh), cret if ret is Active else None, tape)
    compare(f"{info.fwd_name}/{info.rev_name}", vs, sh, list(got))
    for k, z in zero.items():
        assert not np.any(z), f"{info.fwd_name} wrote the shadow of argument {k}"


def check_differentiate(f, kinds, vals, ret, out, rng, tapes=("autograd",)):
    """``differentiate(f, out=out)`` on each tape against reverse mode.

    The pure function keeps every argument as an input (outputs are read and
    written); its vector-Jacobian product with random cotangents of the
    outputs must equal the shadows reverse mode leaves for the same seeds
    (for complex values autograd and JAX give the conjugate: their convention).
    ``out=()`` with a float-returning ``f``: the bare ``differentiate(f)``,
    its gradient times a random cotangent of the result."""
    outs = (out,) if isinstance(out, str) else tuple(out)
    from adcompiler.api.arguments import kernel_of
    code = kernel_of(f).__code__   # (a partial: the function made of it)
    names = code.co_varnames[:code.co_argcount]
    pure = ad.differentiate(f, out=outs) if outs else ad.differentiate(f)
    idx = {n: i for i, n in enumerate(names)}
    seeds = {k: np.zeros_like(vals[k]) for k in range(len(kinds)) if kinds[k] == "dup"}
    if outs:
        cots = {n: _normal(rng, vals[idx[n]]) for n in outs}
        for n in outs:
            seeds[idx[n]] = cots[n].astype(vals[idx[n]].dtype)
        _, want, _ = _reverse(f, kinds, vals, seeds, Const, 1.0)
        diff = [k for k in range(len(kinds)) if kinds[k] == "dup"]
    else:
        assert ret is Active, "out=() checks the bare differentiate of a float-returning function"
        cots = {None: float(rng.normal())}
        _, want, derivs = _reverse(f, kinds, vals, seeds, Active, cots[None])
        want.update({k: derivs[k] for k in range(len(kinds)) if kinds[k] == "active"})
        diff = [k for k in range(len(kinds)) if kinds[k] in ("dup", "active")]
    for tape in tapes:
        got = _tape_vjp(tape, pure, vals, outs, cots, diff)
        if tape in ("autograd", "jax"):
            got = {k: np.conj(g) for k, g in got.items()}
        for k in diff:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-7, atol=1e-10,
                                       err_msg=f"differentiate({getattr(f, '__name__', f)}) under {tape}: argument {names[k]}")


def _weighed(xnp, res, outs, cots):
    """sum_n <cot_n, output_n> (``cot * result`` for a float-returning function)."""
    if not outs:
        return cots[None] * res
    res = (res,) if len(outs) == 1 else res
    return sum(xnp.sum(xnp.real(xnp.conj(cots[n]) * r)) for r, n in zip(res, outs))


def _loss(xnp, pure, vals, outs, cots, diff):
    """The weighed outputs of the pure function, as a function of the differentiated inputs."""
    def loss(*xs):
        full = list(vals)
        for k, x in zip(diff, xs):
            full[k] = x
        return _weighed(xnp, pure(*full), outs, cots)
    return loss


def _tape_vjp(tape, pure, vals, outs, cots, diff):
    vals = copy.deepcopy(vals)
    if tape == "autograd":
        import autograd
        import autograd.numpy as anp
        loss = _loss(anp, pure, vals, outs, cots, diff)
        g = autograd.grad(loss, tuple(range(len(diff))))(*[vals[k] for k in diff])
        return dict(zip(diff, g))
    if tape == "torch":
        import torch
        xs = {k: torch.tensor(vals[k], requires_grad=True,   # (a float as float64: torch's default is float32)
                              dtype=torch.float64 if isinstance(vals[k], float) else
                              torch.complex128 if isinstance(vals[k], complex) else None) for k in diff}
        full = [xs.get(k, v) for k, v in enumerate(vals)]
        total = _weighed(torch, pure(*full), outs, {n: c if n is None else torch.tensor(c) for n, c in cots.items()})
        total.backward()
        return {k: xs[k].grad.numpy() for k in diff}
    if tape == "jax":
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        loss = _loss(jnp, pure, vals, outs, cots, diff)
        g = jax.jit(jax.grad(loss, tuple(range(len(diff)))))(*[jnp.asarray(vals[k]) for k in diff])
        return {k: np.asarray(x) for k, x in zip(diff, g)}
    raise ValueError(tape)


def check_everywhere(f, *args, ret=None, out=None, seed=0, tapes=("autograd",), forward=True, batch=True,
                     emitted=True):
    """Every entry point on ``f`` at ``args`` (see the module docstring)."""
    if ret is None:
        ret = Active if _returns_float(f, args) else Const
    for mode in (Reverse, ReverseWithPrimal, ReverseSplitWithPrimal):
        check_grads(f, *args, ret=ret, mode=mode, seed=seed)
    rng = np.random.default_rng(seed)
    kinds, vals = _kinds(args), _values(args)
    if emitted:   # (the module's entry points take every argument: the omitted ones' defaults given, as Python fills them)
        from adcompiler.api.arguments import fill_defaults, kernel_of
        full = fill_defaults(kernel_of(f), list(args))
        check_emitted(f, _kinds(full), _values(full), full, ret, rng)
    if forward:
        check_forward_dot(f, kinds, vals, ret, rng)
    if batch:
        check_batch(f, kinds, vals, ret, rng)
    if out is not None:
        check_differentiate(f, kinds, vals, ret, out, rng, tapes)


def annotated(args) -> list:
    """Plain values as ``autodiff`` takes them: arrays Duplicated (a copy, zero shadow), floats
    Active, anything else as it is."""
    return [Duplicated(a.copy(), np.zeros_like(a)) if isinstance(a, np.ndarray) else
            Active(a) if isinstance(a, float) else a for a in args]


def check_primal(f, args) -> None:
    """``ReverseWithPrimal``'s return, and the arrays it leaves, against ``f`` run on copies of the
    plain values ``args`` (a float-returning ``f``)."""
    plain = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = f(*plain)
    mine = annotated(args)
    _, value = autodiff(ReverseWithPrimal, f, Active, *mine)
    assert np.isclose(value, want, rtol=1e-12, atol=0.0), (value, want)
    for a, b in zip(mine, plain):
        if isinstance(b, np.ndarray):
            np.testing.assert_allclose(a.val, b, rtol=1e-12)


def check_primal_annotated(f, given, rtol=1e-14) -> None:
    """``ReverseWithPrimal``'s return (where ``f`` returns a value) and the arrays it leaves in the
    annotated arguments ``given``, against ``f`` run on copies of their values."""
    plain = [copy.deepcopy(a.val) for a in given]
    want = f(*plain)
    got = autodiff(ReverseWithPrimal, f, Active if want is not None else Const, *given)[-1]
    if want is not None:
        assert np.isclose(got, want, rtol=rtol, atol=0.0), (got, want)
    for a, v in zip(given, plain):
        if isinstance(v, np.ndarray):
            np.testing.assert_allclose(a.val, v, rtol=rtol, atol=0.0)


def check_numba_gradient(f, *args, rtol=1e-10):
    """``gradient(f, ...)`` under the numba backend against the numpy backend's, at
    the values of the annotated ``args`` (numba required: skipped or failed as
    ``optional.require`` says)."""
    from optional import require
    require("numba")
    vals = [a.val.copy() if isinstance(a.val, np.ndarray) else a.val for a in args]
    for got, want in zip(ad.gradient(f, *vals, backend="numba"), ad.gradient(f, *vals)):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=rtol)

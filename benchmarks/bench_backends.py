"""Backends benchmark: adcompiler's gradient of loop kernels under numpy and numba, against peers.

Usage: ``python benchmarks/bench_backends.py [--quick]``

One run, one process, medians (``time.perf_counter``). For each kernel of
``backend_kernels.py`` (the recurrence ``s[i] = s[i-1]*a[i] + b[i]``, gemm as
three scalar loops, a heat stencil, the same with two buffers whose names
swap after each step, a 2-D Gauss-Seidel sweep, a particle force loop) it times

- the primal as Python over numpy and compiled by numba (``numba.njit``);
- ``autodiff(Reverse, kernel, Const, Duplicated...)`` with random seeds on
  the outputs' shadows, under ``backend="numba"`` and ``backend="numpy"``
  (the latter only where it takes under a few seconds);
- peers where installed (a missing one leaves its column empty): jax.jit of
  ``jax.vjp`` of the computation in its best jax form (``lax.scan`` for the
  recurrence, ``lax.fori_loop`` for the time and sweep loops, ``@`` for gemm,
  broadcasting for the forces), the same forms under PyTorch and autograd
  where they are practical, and the hand-written adjoints of
  ``backend_kernels.py`` compiled by numba.

Ratios: the numba gradient over the numpy primal and over the numba primal,
and over jax's gradient (below 1: adcompiler is faster). Before timing, the
numba gradient is checked against the hand-written adjoint (and jax's where
present). Compile time: the first numba gradient call of each kernel with an
empty on-disk cache (transform and numba compile), and the first call in a
second process that finds numba's cache on disk, after numba's own start-up
(its registries, loaded on the first compilation of any function in a
process, which the numba-compiled primal pays too; reported apart).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import backend_kernels as K


@dataclass
class Case:
    """One kernel at one size: its inputs, which are Duplicated (with seeds) and the peers' forms."""

    name: str
    fn: object
    make: object            # rng -> list of arguments
    dup: tuple              # which arguments are Duplicated
    seeded: tuple           # which Duplicated arguments get random seeds (the outputs)
    peers: dict = field(default_factory=dict)   # peer name -> builder(args) -> (run(), grads()) or None
    slow_numpy: bool = False


def median_time(run, repeats, setup=None) -> float:
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---- the peers' forms ---------------------------------------------------------------------------
def jax_forms():
    try:
        import jax
        import jax.numpy as jnp
        from jax import lax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def recurrence(a, b):
        def step(c, ab):
            c2 = c * ab[0] + ab[1]
            return c2, c2
        _, rest = lax.scan(step, b[0], (a[1:], b[1:]))
        return jnp.concatenate([b[:1], rest])

    def heat(u, r, steps):
        def body(_, u):
            return u.at[1:-1].set(u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]))
        return lax.fori_loop(0, steps, body, u)

    def gauss_seidel(u, f, sweeps):
        n, m = u.shape

        def cell(j, st):
            u, i = st
            v = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - f[i, j])
            return u.at[i, j].set(v), i

        def row(i, u):
            return lax.fori_loop(1, m - 1, cell, (u, i))[0]

        def sweep(_, u):
            return lax.fori_loop(1, n - 1, row, u)
        return lax.fori_loop(0, sweeps, sweep, u)

    def forces(x):
        d = x[:, None, :] - x[None, :, :]
        r2 = jnp.sum(d * d, axis=-1) + 0.1
        w = (1.0 - jnp.eye(x.shape[0])) / (r2 * jnp.sqrt(r2))
        return jnp.sum(w[:, :, None] * d, axis=1)

    def vjp_of(fn, nargs):
        """``build(*static)``: the jitted ``(primal, vjp(seed))`` of ``fn`` in its first
        ``nargs`` arguments, the other (sizes, counts) bound as constants."""
        def build(*static):
            @jax.jit
            def go(*args):
                primal, back = jax.vjp(lambda *d: fn(*d, *static), *args[:nargs])
                return primal, back(args[-1])
            return go
        return build
    return {
        "recurrence": vjp_of(recurrence, 2),
        "gemm": vjp_of(lambda a, b: a @ b, 2),
        "heat": vjp_of(lambda u, r, steps: heat(u, r, steps), 1),
        "gauss_seidel": vjp_of(lambda u, f, sweeps: gauss_seidel(u, f, sweeps), 2),
        "forces": vjp_of(forces, 1),
    }


def _eager_forms(stack, cat, eye, sqrt, total, dot):
    """The recurrence (element by element), heat (whole-array steps), forces
    (broadcast pairs) and gemm of an eager array library."""
    def recurrence(a, b):
        out = [b[0]]
        for i in range(1, a.shape[0]):
            out.append(out[-1] * a[i] + b[i])
        return stack(out)

    def heat(u, r, steps):
        for _ in range(steps):
            u = cat([u[:1], u[1:-1] + r * (u[:-2] - 2.0 * u[1:-1] + u[2:]), u[-1:]])
        return u

    def forces(x):
        d = x[:, None, :] - x[None, :, :]
        r2 = total(d * d, -1) + 0.1
        w = (1.0 - eye(x)) / (r2 * sqrt(r2))
        return total(w[:, :, None] * d, 1)
    return {"recurrence": recurrence, "gemm": dot, "heat": heat, "forces": forces}


def torch_forms():
    try:
        import torch
    except ImportError:
        return None
    return _eager_forms(torch.stack, torch.cat, lambda x: torch.eye(x.shape[0], dtype=x.dtype), torch.sqrt,
                        lambda v, axis: v.sum(axis), lambda a, b: a @ b)


def autograd_forms():
    try:
        import autograd.numpy as anp
    except ImportError:
        return None
    return _eager_forms(anp.array, anp.concatenate, lambda x: anp.eye(x.shape[0]), anp.sqrt,
                        lambda v, axis: anp.sum(v, axis=axis), anp.dot)


# ---- the cases -------------------------------------------------------------------------------------
def cases(quick: bool) -> list:
    out = []
    for n in ((10_000,) if quick else (10_000, 1_000_000)):
        out.append(Case(f"recurrence n={n:.0e}", K.recurrence,
                        lambda r, n=n: [np.zeros(n), r.uniform(-0.99, 0.99, n), r.standard_normal(n)],
                        (True, True, True), (True, False, False), slow_numpy=n > 100_000))
    for n in ((32,) if quick else (32, 128)):
        out.append(Case(f"gemm n={n}", K.gemm,
                        lambda r, n=n: [np.zeros((n, n)), r.standard_normal((n, n)), r.standard_normal((n, n))],
                        (True, True, True), (True, False, False), slow_numpy=n > 64))
    n, steps = (200, 20) if quick else (10_000, 200)
    out.append(Case(f"heat n={n} steps={steps}", K.heat,
                    lambda r, n=n, steps=steps: [r.standard_normal(n), np.zeros(n), 0.2, steps],
                    (True, True, False, False), (True, False, False, False), slow_numpy=not quick))
    out.append(Case(f"heat, two buffers swapped n={n} steps={steps}", K.heat_swap,
                    lambda r, n=n, steps=steps: [r.standard_normal(n), np.zeros(n), 0.2, steps],
                    (True, True, False, False), (True, False, False, False), slow_numpy=not quick))
    for n in ((16,) if quick else (32, 128)):
        out.append(Case(f"gauss-seidel {n}x{n} sweeps=4", K.gauss_seidel,
                        lambda r, n=n: [r.standard_normal((n, n)), r.standard_normal((n, n)), 4],
                        (True, True, False), (True, False, False), slow_numpy=n > 64))
    n = 64 if quick else 256
    out.append(Case(f"forces n={n}", K.forces, lambda r, n=n: [r.standard_normal((n, 2)), np.zeros((n, 2))],
                    (True, True), (False, True), slow_numpy=not quick))
    return out


def kernel_key(case: Case) -> str:
    return case.fn.__name__


def annotated(case: Case, args, seeds):
    import adcompiler as ad
    out, shadows = [], []
    for x, d, s in zip(args, case.dup, seeds):
        if d:
            dx = s.copy() if s is not None else np.zeros_like(x)
            out.append(ad.Duplicated(x, dx))
            shadows.append(dx)
        else:
            out.append(ad.Const(x))
    return out, shadows


def adcompiler_call(case, args, seeds, backend, prepared=None):
    """``autodiff`` under ``backend`` on fresh copies (``prepared``: made by ``adcompiler_inputs``)."""
    import adcompiler as ad
    ann, shadows = prepared or adcompiler_inputs(case, args, seeds)
    ad.autodiff(ad.Reverse, case.fn, ad.Const, *ann, backend=backend)
    return shadows


def adcompiler_inputs(case, args, seeds):
    return annotated(case, [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args], seeds)


def hand_call(primal, hand, case, args, seeds, prepared=None):
    """The numba primal, then the hand-written reverse sweep (``prepared``: made by ``hand_inputs``)."""
    flat, shadows, plain = prepared or hand_inputs(case, args, seeds)
    primal(*plain)
    hand(*flat)
    return shadows


def hand_inputs(case, args, seeds):
    flat, shadows, plain = [], [], []
    for x, d, s in zip(args, case.dup, seeds):
        x = np.array(x, copy=True) if isinstance(x, np.ndarray) else x
        flat.append(x)
        plain.append(x)
        if d:
            dx = s.copy() if s is not None else np.zeros_like(x)
            flat.append(dx)
            shadows.append(dx)
    return flat, shadows, plain


# ---- one kernel ----------------------------------------------------------------------------------
def run_case(case: Case, repeats: int, peers: dict, cache: str) -> dict:
    import numba
    rng = np.random.default_rng(0)
    args = case.make(rng)
    seeds = [rng.standard_normal(np.shape(x)) if s else None for x, s in zip(args, case.seeded)]
    key = kernel_key(case)
    row = {"kernel": case.name}
    fresh = [None]

    def copies():
        fresh[0] = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]

    nb_primal = numba.njit(case.fn)
    copies()
    nb_primal(*fresh[0])
    row["numba primal"] = median_time(lambda: nb_primal(*fresh[0]), repeats, copies)
    row["numpy primal"] = median_time(lambda: case.fn(*fresh[0]), 1 if case.slow_numpy else repeats, copies)

    os.environ["ADCOMPILER_CACHE_DIR"] = cache
    t = time.perf_counter()
    got = adcompiler_call(case, args, seeds, "numba")
    row["first call"] = time.perf_counter() - t
    ready = [None]

    def prepare():
        ready[0] = adcompiler_inputs(case, args, seeds)
    row["numba grad"] = median_time(lambda: adcompiler_call(case, args, seeds, "numba", ready[0]), repeats, prepare)
    if not case.slow_numpy:
        row["numpy grad"] = median_time(lambda: adcompiler_call(case, args, seeds, "numpy", ready[0]),
                                        max(1, repeats // 3), prepare)

    hand = numba.njit(getattr(K, key + "_adjoint"))
    want = hand_call(nb_primal, hand, case, args, seeds)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9 * (1 + np.abs(w).max()))
    hand_ready = [None]

    def prepare_hand():
        hand_ready[0] = hand_inputs(case, args, seeds)
    row["hand numba"] = median_time(lambda: hand_call(nb_primal, hand, case, args, seeds, hand_ready[0]), repeats,
                                    prepare_hand)

    for name, forms in peers.items():
        if forms is None or key not in forms:
            continue
        runner = PEER_RUNNERS[name](forms[key], case, args, seeds, got)
        if runner is not None:
            row[name] = median_time(runner, max(1, repeats // (3 if name != "jax" else 1)))
    row["numba start-up"], row["second process"] = second_process(case, cache)
    return row


def _jax_runner(fn, case, args, seeds, got):
    import jax.numpy as jnp
    static = ()
    if case.fn in (K.recurrence, K.gemm):
        call = (jnp.asarray(args[1]), jnp.asarray(args[2]), jnp.asarray(seeds[0]))
        want = got[1:]
    elif case.fn is K.heat:
        call, static = (jnp.asarray(args[0]), jnp.asarray(seeds[0])), (args[2], args[3])
        want = got[:1]
    elif case.fn is K.gauss_seidel:
        if args[0].shape[0] > 48:
            return None   # scalar updates in nested fori_loops: jax keeps the whole array per step
        call, static = (jnp.asarray(args[0]), jnp.asarray(args[1]), jnp.asarray(seeds[0])), (args[2],)
        want = got
    else:
        call = (jnp.asarray(args[0]), jnp.asarray(seeds[1]))
        want = got[:1]
    fn = fn(*static)
    _, grads = fn(*call)
    for g, w in zip(grads, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-8, atol=1e-8 * (1 + np.abs(w).max()))
    return lambda: [g.block_until_ready() for g in fn(*call)[1]]


def _torch_runner(fn, case, args, seeds, got):
    import torch
    if case.fn is K.recurrence and args[1].shape[0] > 20_000:
        return None   # one tape node per element: minutes
    if case.fn is K.heat:
        inputs, extra, seed = [args[0]], (args[2], args[3]), seeds[0]
    elif case.fn is K.forces:
        inputs, extra, seed = [args[0]], (), seeds[1]
    else:
        inputs, extra, seed = [args[1], args[2]], (), seeds[0]

    def go():
        ts = [torch.tensor(a, requires_grad=True) for a in inputs]
        out = fn(*ts, *extra)
        out.backward(torch.tensor(seed))
        return [t.grad for t in ts]
    return go


def _autograd_runner(fn, case, args, seeds, got):
    from autograd import make_vjp
    if case.fn is K.recurrence and args[1].shape[0] > 20_000:
        return None
    if case.fn is K.heat:
        argnums, call, seed = (0,), (args[0], args[2], args[3]), seeds[0]
    elif case.fn is K.forces:
        argnums, call, seed = (0,), (args[0],), seeds[1]
    else:
        argnums, call, seed = (0, 1), (args[1], args[2]), seeds[0]
    return lambda: make_vjp(fn, argnums)(*call)[0](seed)


PEER_RUNNERS = {"jax": _jax_runner, "torch": _torch_runner, "autograd": _autograd_runner}


def second_process(case: Case, cache: str) -> tuple:
    """(numba's own start-up, the first numba gradient call) in a new process
    that finds the on-disk cache; (None, None) if the child failed."""
    env = dict(os.environ, ADCOMPILER_CACHE_DIR=cache)
    cmd = [sys.executable, os.path.abspath(__file__), "--second-process", case.name]
    done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    try:
        startup, call = (float(x) for x in done.stdout.strip().splitlines()[-1].split())
        return startup, call
    except (ValueError, IndexError):
        print(done.stderr[-2000:], file=sys.stderr)
        return None, None


def child(name: str) -> None:
    import numba

    import adcompiler  # noqa: F401  (imports are not what is measured)
    # numba's start-up (its typing and lowering registries, loaded on the first
    # compilation or cache load of any function in a process) is paid by the
    # numba-compiled primal as well: measured apart, on a trivial function
    t = time.perf_counter()
    numba.njit(lambda v: v + 1.0)(1.0)
    startup = time.perf_counter() - t
    case = next(c for c in cases(False) + cases(True) if c.name == name)
    rng = np.random.default_rng(0)
    args = case.make(rng)
    seeds = [rng.standard_normal(np.shape(x)) if s else None for x, s in zip(args, case.seeded)]
    t = time.perf_counter()
    adcompiler_call(case, args, seeds, "numba")
    print(startup, time.perf_counter() - t)


# ---- the table ---------------------------------------------------------------------------------------
def fmt_time(t) -> str:
    if t is None:
        return "-"
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ratio(a, b) -> str:
    if a is None or b is None:
        return "-"
    r = a / b
    return f"{r:.2f}x" if r >= 0.01 else f"1/{1 / r:,.0f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (a smoke run)")
    parser.add_argument("--second-process", metavar="CASE", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.second_process:
        child(opts.second_process)
        return 0
    try:
        import numba  # noqa: F401
    except ImportError:
        print("bench_backends needs numba (pip install -e '.[numba]').")
        return 1
    repeats = 3 if opts.quick else 9
    peers = {"jax": jax_forms(), "torch": torch_forms(), "autograd": autograd_forms()}
    rows, seen = [], set()
    with tempfile.TemporaryDirectory() as cache:
        for case in cases(opts.quick):
            # one cache per kernel: the compiled code does not depend on the sizes
            row = run_case(case, repeats, peers, os.path.join(cache, case.fn.__name__))
            if case.fn in seen:
                row["first call"] = None   # compiled by the kernel's first case in this process
            seen.add(case.fn)
            rows.append(row)
            print(f"done: {case.name}", file=sys.stderr, flush=True)
    present = [p for p, forms in peers.items() if forms is not None]
    head = ["kernel", "numba primal", "numba grad", "grad/numba primal", "grad/numpy primal", "numpy grad/numpy primal",
            "hand numba/numba primal"] + [f"{p}/numba grad" for p in present] + ["first call", "second process",
                                                                           "numba start-up"]
    table = [head]
    for r in rows:
        g = r["numba grad"]
        table.append([r["kernel"], fmt_time(r["numba primal"]), fmt_time(g), fmt_ratio(g, r["numba primal"]),
                      fmt_ratio(g, r["numpy primal"]), fmt_ratio(r.get("numpy grad"), r["numpy primal"]),
                      fmt_ratio(r["hand numba"], r["numba primal"])]
                     + [fmt_ratio(r.get(p), g) for p in present]
                     + [fmt_time(r["first call"]), fmt_time(r["second process"]), fmt_time(r["numba start-up"])])
    widths = [max(len(row[k]) for row in table) for k in range(len(head))]
    print(f"numba gradient (autodiff, backend='numba') against primals and peers; medians of {repeats}; "
          f"peer/numba grad above 1: the peer is slower. {os.cpu_count()} cores.")
    for k, row in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return 0


if __name__ == "__main__":
    sys.exit(main())

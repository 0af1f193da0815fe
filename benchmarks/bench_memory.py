"""Memory benchmark: the tape of long time-stepping loops, plain and checkpointed.

Usage: ``python benchmarks/bench_memory.py [--quick] [--steps 1000,10000,100000]``

Two in-place stencils on a state of n = 10,000 floats (80 KB): a Burgers-type
step ``u[1:-1] = u[1:-1] - 0.1*u[1:-1]*(u[1:-1] - u[:-2]) + nu*(u[2:] - 2*u[1:-1] + u[:-2])``
and the heat equation ``u[1:-1] += 0.2*(u[2:] - 2*u[1:-1] + u[:-2])``, each
run for T steps and ending in ``sum(u**2)``; ``--kernels burgers_while`` runs the
Burgers step in a ``while`` loop (checkpointed with the online schedule). For each T it reports the primal,
the gradient with the plain tape (not at T = 100,000: it would need tens of
GB) and the gradient checkpointed with 10, 30, 100 and 300 snapshots:

- time: the median of a few calls (one for the longest runs), with tracemalloc off;
- peak: the largest memory allocated during one call (tracemalloc, in a separate
  call; numpy reports its arrays to it), in MB and in states (80 KB each).

Every configuration runs in a fresh process, one after the other, so that
memory of one does not count in another. ``--quick`` (the CI smoke run) uses
n = 1,000 and T = 100 and 1,000. Before the table, the checkpointed gradient
is checked against the plain one at the smallest T; the exit status is 1 if
they disagree.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def burgers(u, T, nu):
    for t in range(T):
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def heat(u, T, nu):
    for t in range(T):
        u[1:-1] += nu * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def burgers_while(u, T, nu):
    # the Burgers step in a while loop: its number of steps is known only at its end (online schedule)
    t = 0
    while t < T:
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
        t += 1
    return np.sum(u ** 2)


KERNELS = {"burgers": (burgers, 0.1), "heat": (heat, 0.2), "burgers_while": (burgers_while, 0.1)}
SNAPSHOTS = (10, 30, 100, 300)


def initial(n):
    x = np.linspace(0.0, 1.0, n)
    return 0.5 + 0.25 * np.sin(2 * np.pi * x)


def call(kernel, n, T, mode):
    """One call of the configuration: the primal, or the gradient (mode "plain" or a snapshot count)."""
    import adcompiler as ad
    f, nu = KERNELS[kernel]
    u = initial(n)
    if mode == "primal":
        return f(u, T, nu)
    du = np.zeros(n)
    options = {} if mode == "plain" else {"checkpoint": int(mode)}
    d = ad.autodiff(ad.Reverse, f, ad.Active, ad.Duplicated(u, du), ad.Const(T), ad.Active(nu), **options)
    return du, d[2]


def measure(kernel, n, T, mode, repeats):
    """Time (median, tracemalloc off) and peak traced bytes of one call, in this process."""
    call(kernel, n, min(T, 3), mode)            # differentiate and compile once
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call(kernel, n, T, mode)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    call(kernel, n, T, mode)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"time": statistics.median(times), "peak": peak}


def child(kernel, n, T, mode):
    """Run ``measure`` in a fresh process (the memory of one configuration is its own)."""
    repeats = 3 if T * n <= 10**7 else 1
    code = (f"import sys, json; sys.path.insert(0, {HERE!r}); import bench_memory as b; "
            f"print(json.dumps(b.measure({kernel!r}, {n}, {T}, {mode!r}, {repeats})))")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def agree(kernel, n, T) -> bool:
    du, dnu = call(kernel, n, T, "plain")
    ok = True
    for s in (1, 3, 10):
        du2, dnu2 = call(kernel, n, T, str(s))
        same = np.allclose(du2, du, rtol=1e-10, atol=1e-14) and np.isclose(dnu2, dnu, rtol=1e-10)
        ok &= bool(same)
        if not same:
            print(f"DISAGREE: {kernel} T={T} checkpoint={s}: max |d du| = {np.abs(du2 - du).max():.3e}")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (the CI smoke run)")
    ap.add_argument("--steps", default=None, help="comma-separated T values (default 1000,10000,100000)")
    ap.add_argument("--n", type=int, default=None, help="state size (default 10,000; 1,000 with --quick)")
    ap.add_argument("--kernels", default="burgers,heat")
    args = ap.parse_args(argv)
    n = args.n or (1000 if args.quick else 10_000)
    steps = [int(s) for s in (args.steps or ("100,1000" if args.quick else "1000,10000,100000")).split(",")]
    snapshots = (10, 30) if args.quick else SNAPSHOTS
    state = n * 8
    print(f"# bench_memory: n = {n} (state {state / 1e3:.0f} KB), python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, {os.cpu_count()} cores")
    ok = True
    for kernel in args.kernels.split(","):
        ok &= agree(kernel, min(n, 500), 57)
        print(f"\n## {kernel}")
        print(f"{'T':>8} {'run':>14} {'time s':>9} {'x primal':>9} {'x plain':>8} {'peak MB':>9} {'states':>8}")
        for T in steps:
            # the plain tape of 100,000 steps would need tens of GB
            modes = ["primal"] + (["plain"] if T < 100_000 else []) + [str(s) for s in snapshots]
            base = {}
            for mode in modes:
                r = child(kernel, n, T, mode)
                label = mode if mode in ("primal", "plain") else f"checkpoint {mode}"
                if "error" in r:
                    print(f"{T:>8} {label:>14}  error: {r['error'][:80]}")
                    continue
                base.setdefault(mode, r)
                xp = r["time"] / base["primal"]["time"] if "primal" in base else float("nan")
                xt = r["time"] / base["plain"]["time"] if "plain" in base and mode != "primal" else float("nan")
                print(f"{T:>8} {label:>14} {r['time']:>9.3f} {xp:>9.2f} {xt:>8.2f} "
                      f"{r['peak'] / 1e6:>9.2f} {r['peak'] / state:>8.1f}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

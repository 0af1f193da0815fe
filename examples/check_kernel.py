"""A gradient check of your own kernel with ``adcompiler check``.

``smooth_gather`` is the kind of kernel worth checking before trusting its
derivative: it reads ``x`` through an integer index array (``x[idx[i]]``),
accumulates into ``acc`` in place, and takes its loop bound from ``n``. The
command line builds random inputs from ``--shape`` (``idx=...:int64`` makes
an integer index array, a Const) and ``--value``, and compares reverse mode
(through ``autodiff``, split mode and the emitted module) and forward mode
with fourth-order central differences, one row per argument and path.

    adcompiler check examples/check_kernel.py:smooth_gather \\
        --shape acc=6 --shape x=6 --shape idx=12:int64 --value w=0.3 --value n=12

This script runs that command and plots each row's relative error against
its tolerance.

Run: ``python examples/check_kernel.py`` (``--small`` for the CI size).
Figure: ``check_kernel.png``: relative error and tolerance of every row of
the check (a row passes when its error is below its tolerance).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np


def smooth_gather(acc, x, idx, w, n):
    """acc[i % m] += w * x[idx[i]]**2 + (1 - w) * x[idx[i]], then a smoothing pass over acc."""
    m = acc.shape[0]
    for i in range(n):
        j = idx[i]
        acc[i % m] += w * x[j] * x[j] + (1.0 - w) * x[j]
    acc[1:-1] = 0.25 * acc[:-2] + 0.5 * acc[1:-1] + 0.25 * acc[2:]


def main() -> int:
    from _gallery import pyplot, save, small
    size, count = (6, 12) if small() else (40, 120)
    here = os.path.dirname(os.path.abspath(__file__))
    command = [sys.executable, "-m", "adcompiler", "check", f"{os.path.join(here, 'check_kernel.py')}:smooth_gather",
               "--shape", f"acc={size}", "--shape", f"x={size}", "--shape", f"idx={count}:int64",
               "--value", "w=0.3", "--value", f"n={count}", "--no-color"]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    print(proc.stdout, end="")
    print(proc.stderr, end="", file=sys.stderr)
    assert proc.returncode == 0, "the check failed"

    rows = []
    for line in proc.stdout.splitlines()[1:]:
        cells = line.split()
        if len(cells) == 6 and cells[-1] in ("pass", "FAIL"):
            rows.append((f"{cells[0]} {cells[1]}", float(cells[3]), float(cells[4])))
    labels = [r[0] for r in rows]
    errors = np.maximum([r[1] for r in rows], 1e-17)
    tolerances = [r[2] for r in rows]

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 3.8))
    pos = np.arange(len(rows))
    ax.bar(pos, errors, color="C0", label="relative error")
    ax.plot(pos, tolerances, "r_", ms=18, mew=2, label="tolerance")
    ax.set_yscale("log")
    ax.set_xticks(pos, labels, rotation=60, ha="right", fontsize=8)
    ax.set(title="adcompiler check examples/check_kernel.py:smooth_gather")
    ax.legend()
    save(fig, "check_kernel.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

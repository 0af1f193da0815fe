"""Standalone reproducers for failing programs.

``reproducer_source(outcome)`` is a runnable module: the generated program,
its exact inputs and seeds as literals, the finite-difference gradient the
checker expected, and a ``__main__`` block that calls adcompiler in the
program's mode and prints what differs. It depends on numpy and adcompiler
only, so it can be filed as a bug report or turned into a regression test.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .check import Outcome

_MAIN = '''

# ---- reproducer ------------------------------------------------------------
# {status}: seed={seed} input_seed={input_seed} mode={mode} ret={ret} dtype={dtype}
# constructs: {constructs}
{notes}
ACTIVITY = {activity!r}
INPUTS = {inputs}
SEEDS = {seeds}
EXPECTED = {expected}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {{k: v.copy() for k, v in SEEDS.items()}}
    names = {names!r}
    ann = [adc.Duplicated(a, shadows[n]) if act == "Duplicated" else getattr(adc, act)(a)
           for n, a, act in zip(names, args, ACTIVITY)]
    ret = getattr(adc, {ret!r})
    primal = None
    if {mode!r} == "ReverseSplitWithPrimal":
        fwd, rev = adc.autodiff_thunk(adc.ReverseSplitWithPrimal, kernel, ret, *[type(a) for a in ann])
        tape, primal = fwd(*ann)
        for k, v in SEEDS.items():
            shadows[k][...] = v
        derivs = rev(*ann, 1.0, tape)
    elif {mode!r} == "ReverseWithPrimal":
        derivs, primal = adc.autodiff(adc.ReverseWithPrimal, kernel, ret, *ann)
    else:
        derivs = adc.autodiff(adc.Reverse, kernel, ret, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    for n, a, r in zip({names!r}, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[{names!r}.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)
'''


def _lit(v) -> str:
    if isinstance(v, np.ndarray):
        return f"np.array({v.tolist()!r}, dtype=np.{v.dtype})"
    return repr(v)


def reproducer_source(outcome: Outcome) -> str:
    """The runnable reproducer module for ``outcome``."""
    p = outcome.program
    inputs = p.build_inputs(outcome.input_seed)
    seeds = p.build_seeds(outcome.input_seed)
    notes = "\n".join("# " + line for line in (outcome.detail.splitlines() + outcome.mismatches)
                      if line.strip())
    return p.source + _MAIN.format(
        status=outcome.status, seed=p.seed, input_seed=outcome.input_seed, mode=p.mode, ret=p.ret,
        dtype=p.dtype, constructs=", ".join(sorted(p.constructs)), notes=notes,
        activity=[q.activity for q in p.params], names=[q.name for q in p.params],
        inputs="[" + ", ".join(_lit(v) for v in inputs) + "]",
        seeds="{" + ", ".join(f"{k!r}: {_lit(v)}" for k, v in seeds.items()) + "}",
        expected="{" + ", ".join(f"{k!r}: {_lit(np.asarray(v))}" for k, v in outcome.expected.items()) + "}",
    )


def write_reproducer(outcome: Outcome, folder: Path, suffix: str = "") -> Path:
    """Write the reproducer to ``folder/<status>_seed<seed><suffix>.py``; return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{outcome.status}_seed{outcome.program.seed}{suffix}.py"
    path.write_text(reproducer_source(outcome))
    return path

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

from ..fd import agree
from . import reference
from .check import Outcome
from .loader import load_program
from .spec import Program

_MAIN = '''

# ---- reproducer ------------------------------------------------------------
# {status}: seed={seed} input_seed={input_seed} mode={mode} ret={ret} dtype={dtype}
# constructs: {constructs}
{notes}
INPUTS = {inputs}
SEEDS = {seeds}
EXPECTED = {expected}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {{k: v.copy() for k, v in SEEDS.items()}}
    ann = [{annotations}]
    primal = None
{call}
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = {names!r}
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)
'''

_CALLS = {
    "Reverse": "    derivs = adc.autodiff(adc.Reverse, kernel, adc.{ret}, *ann)",
    "ReverseWithPrimal": "    derivs, primal = adc.autodiff(adc.ReverseWithPrimal, kernel, adc.{ret}, *ann)",
    "ReverseSplitWithPrimal": (
        "    fwd, rev = adc.autodiff_thunk(adc.ReverseSplitWithPrimal, kernel, adc.{ret},\n"
        "                                  *[type(a) for a in ann])\n"
        "    tape, primal = fwd(*ann)\n"
        "    for k, v in SEEDS.items():\n"
        "        shadows[k][...] = v\n"
        "    derivs = rev(*ann, 1.0, tape)"),
}


def _lit(v) -> str:
    if isinstance(v, np.ndarray):
        return f"np.array({v.tolist()!r}, dtype=np.{v.dtype})"
    return repr(v)


def reproducer_source(outcome: Outcome) -> str:
    """The runnable reproducer module for ``outcome``."""
    p = outcome.program
    inputs = p.build_inputs(outcome.input_seed)
    seeds = p.build_seeds(outcome.input_seed)
    lines = outcome.detail.splitlines() + [part for m in outcome.mismatches for part in m.splitlines()]
    notes = "\n".join("# " + line for line in lines if line.strip())
    ann = ", ".join(f"adc.Duplicated(args[{k}], shadows[{q.name!r}])" if q.activity == "Duplicated"
                    else f"adc.{q.activity}(args[{k}])" for k, q in enumerate(p.params))
    return p.source + _MAIN.format(
        status=outcome.status, seed=p.seed, input_seed=outcome.input_seed, mode=p.mode, ret=p.ret,
        dtype=p.dtype, constructs=", ".join(sorted(p.constructs)), notes=notes,
        names=[q.name for q in p.params], annotations=ann, call=_CALLS[p.mode].format(ret=p.ret),
        inputs="[" + ", ".join(_lit(v) for v in inputs) + "]",
        seeds="{" + ", ".join(f"{k!r}: {_lit(v)}" for k, v in seeds.items()) + "}",
        expected="{" + ", ".join(f"{k!r}: {_lit(np.asarray(v))}" for k, v in outcome.expected.items()) + "}",
    )


def regression_source(program: Program, input_seed: int, status: str = "regression") -> str:
    """A reproducer for ``program`` whose expectation is computed here by finite differences."""
    fn = load_program(program)
    grads = reference.gradient(fn, program, program.build_inputs(input_seed), program.build_seeds(input_seed))
    return reproducer_source(Outcome(status, program, input_seed, expected=grads))


def write_reproducer(outcome: Outcome, folder: Path, suffix: str = "") -> Path:
    """Write the reproducer to ``folder/<status>_seed<seed><suffix>.py``; return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{outcome.status}_seed{outcome.program.seed}{suffix}.py"
    path.write_text(reproducer_source(outcome))
    return path


def check_reproducer(module, rtol: float = 2e-4) -> list[str]:
    """Run a reproducer module (see ``reproducer_source``); return what differs.

    Compares the exit shadows and returned derivatives with ``EXPECTED``
    and the arguments after the call with a plain run of ``kernel``.
    """
    args, shadows, derivs, _ = module.run()
    names = [n for n in module.kernel.__code__.co_varnames[:module.kernel.__code__.co_argcount]]
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in module.INPUTS]
    module.kernel(*ref)
    bad = []
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r, rtol=1e-9, atol=1e-12):
            bad.append(f"primal {n}: got {a} want {r}")
    for n, want in module.EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        if got is None or not agree(got, want, rtol):
            bad.append(f"d{n}: got {got} want {want}")
    return bad

"""Regression (core_bugs/fuzz-8.py): a parenthesised negative constant as the base of ** lost its parentheses."""
import math  # noqa: F401

import numpy as np


def kernel(x):
    x[0] = x[0] * (-1.25) ** 2


# ---- reproducer ------------------------------------------------------------
# regression: seed=5 input_seed=80 mode=Reverse ret=Const dtype=float64
# constructs: 

INPUTS = [np.array([0.8155439319404176, 0.31289315777848303, -0.32564359656358266], dtype=np.float64)]
SEEDS = {'x': np.array([-0.2613592034185148, -0.999350640558617, 0.3617886494314087], dtype=np.float64)}
EXPECTED = {'x': np.array([-0.40837375536728615, -0.9993506405736596, 0.36178864942781885], dtype=np.float64)}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {k: v.copy() for k, v in SEEDS.items()}
    ann = [adc.Duplicated(args[0], shadows['x'])]
    primal = None
    derivs = adc.autodiff(adc.Reverse, kernel, adc.Const, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = ['x']
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)

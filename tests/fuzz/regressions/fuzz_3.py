"""Regression (core_bugs/fuzz-3.py): a slice view operand was not saved before its base was overwritten."""
import math  # noqa: F401

import numpy as np


def kernel(a, x):
    x[:] = np.sin(a[::-1])
    a[0] = 0.0


# ---- reproducer ------------------------------------------------------------
# regression: seed=5 input_seed=80 mode=Reverse ret=Const dtype=float64
# constructs: 

INPUTS = [np.array([0.8155439319404176, -0.31289315777848303, 0.32564359656358266, 0.7162950604977443], dtype=np.float64), np.array([0.8216865191848262, -0.40826908482499313, 0.8900963921654155, -0.5114644256326205], dtype=np.float64)]
SEEDS = {'a': np.array([-0.2613592034185148, 0.999350640558617, 0.3617886494314087, 0.4909976631871641], dtype=np.float64), 'x': np.array([-0.9753669075067353, -0.8742151877280966, -0.258525139953636, -0.7334795081373893], dtype=np.float64)}
EXPECTED = {'a': np.array([-0.5027800019652418, 0.7533776711365903, -0.46648218010592046, -0.24466652981391945], dtype=np.float64), 'x': np.array([0.0, 0.0, 0.0, 0.0], dtype=np.float64)}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {k: v.copy() for k, v in SEEDS.items()}
    ann = [adc.Duplicated(args[0], shadows['a']), adc.Duplicated(args[1], shadows['x'])]
    primal = None
    derivs = adc.autodiff(adc.Reverse, kernel, adc.Const, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = ['a', 'x']
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)

"""Regression (core_bugs/fuzz-2.py): a dead loop pushed its loop variable on the tape without popping it."""
import math  # noqa: F401

import numpy as np


def kernel(a, b):
    n = len(a)
    w = np.ones(n)
    for i in range(n):
        for j in range(i):
            b[i] += 0.3 * a[j] * b[i]
    for i in range(n - 2, 0, -1):
        w[i] = w[i - 1] * a[i]


# ---- reproducer ------------------------------------------------------------
# regression: seed=5 input_seed=80 mode=Reverse ret=Const dtype=float64
# constructs: 

INPUTS = [np.array([-0.8155439319404176, 0.31289315777848303, 0.32564359656358266, 0.7162950604977443, -0.7099995502210463], dtype=np.float64), np.array([-0.8900963921654155, 0.5114644256326205, 0.7262062731147525, 0.5045929629582299, 0.736756066088772], dtype=np.float64)]
SEEDS = {'a': np.array([0.2613592034185148, 0.999350640558617, 0.3617886494314087, 0.4909976631871641, 0.4400168492418556], dtype=np.float64), 'b': np.array([-0.258525139953636, 0.7334795081373893, -0.3875549232334266, 0.3622629930157095, -0.4382811545511383], dtype=np.float64)}
EXPECTED = {'a': np.array([0.2060788789615131, 0.8834643060173786, 0.3098595947603755, 0.4031390688497005, 0.4400168492624257], dtype=np.float64), 'b': np.array([-0.25852513996227344, 0.5540240795576246, -0.3202128904256085, 0.3285567920230381, -0.4829205684231397], dtype=np.float64)}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {k: v.copy() for k, v in SEEDS.items()}
    ann = [adc.Duplicated(args[0], shadows['a']), adc.Duplicated(args[1], shadows['b'])]
    primal = None
    derivs = adc.autodiff(adc.Reverse, kernel, adc.Const, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = ['a', 'b']
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)

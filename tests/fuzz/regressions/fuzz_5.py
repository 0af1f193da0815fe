"""Regression (core_bugs/fuzz-5.py): array aliases bound by tuple unpacking."""
import math  # noqa: F401

import numpy as np


def kernel(x, y):
    a, b = x, y
    a[1:] = a[:-1] * b[1:]


# ---- reproducer ------------------------------------------------------------
# regression: seed=5 input_seed=80 mode=Reverse ret=Const dtype=float64
# constructs: 

INPUTS = [np.array([-0.8155439319404176, 0.31289315777848303, 0.32564359656358266, 0.7162950604977443, -0.7099995502210463], dtype=np.float64), np.array([-0.8900963921654155, 0.5114644256326205, 0.7262062731147525, 0.5045929629582299, 0.736756066088772], dtype=np.float64)]
SEEDS = {'x': np.array([0.2613592034185148, 0.999350640558617, 0.3617886494314087, 0.4909976631871641, 0.4400168492418556], dtype=np.float64), 'y': np.array([-0.258525139953636, 0.7334795081373893, -0.3875549232334266, 0.3622629930157095, -0.4382811545511383], dtype=np.float64)}
EXPECTED = {'x': np.array([0.7724915048745729, 0.2627331867066651, 0.24775396564868934, 0.32418508286169434, 0.0], dtype=np.float64), 'y': np.array([-0.25852513996227344, -0.08153484265527311, -0.2743537302896115, 0.5221532379251492, -0.12309925892517448], dtype=np.float64)}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {k: v.copy() for k, v in SEEDS.items()}
    ann = [adc.Duplicated(args[0], shadows['x']), adc.Duplicated(args[1], shadows['y'])]
    primal = None
    derivs = adc.autodiff(adc.Reverse, kernel, adc.Const, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = ['x', 'y']
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)

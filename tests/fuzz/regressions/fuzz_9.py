"""Regression (core_bugs/fuzz-9.py): min() returning a 0-d view of memory the statement overwrites."""
import math  # noqa: F401

import numpy as np


def kernel(z, y):
    z[...] = z * min(0.95, z[...])


# ---- reproducer ------------------------------------------------------------
# regression: seed=5 input_seed=80 mode=Reverse ret=Const dtype=float64
# constructs: 

INPUTS = [np.array(-0.8155439319404176, dtype=np.float64), np.array([-0.32564359656358266, 0.7162950604977443, 0.7099995502210463], dtype=np.float64)]
SEEDS = {'z': np.array(0.2613592034185148, dtype=np.float64), 'y': np.array([0.3617886494314087, 0.4909976631871641, 0.4400168492418556], dtype=np.float64)}
EXPECTED = {'z': np.array(-0.42629982482944584, dtype=np.float64), 'y': np.array([0.3617886493723077, 0.49099766319393723, 0.44001684929018126], dtype=np.float64)}


def run():
    """Differentiate kernel; return (args, shadows, derivatives, primal return)."""
    import adcompiler as adc
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    shadows = {k: v.copy() for k, v in SEEDS.items()}
    ann = [adc.Duplicated(args[0], shadows['z']), adc.Duplicated(args[1], shadows['y'])]
    primal = None
    derivs = adc.autodiff(adc.Reverse, kernel, adc.Const, *ann)
    return args, shadows, derivs, primal


if __name__ == "__main__":
    args, shadows, derivs, primal = run()
    ref = [v.copy() if isinstance(v, np.ndarray) else v for v in INPUTS]
    ref_ret = kernel(*ref)
    names = ['z', 'y']
    for n, a, r in zip(names, args, ref):
        if isinstance(a, np.ndarray) and not np.allclose(a, r):
            print("primal", n, "got", a, "want", r)
    for n, g in EXPECTED.items():
        got = shadows[n] if n in shadows else derivs[names.index(n)]
        print(("ok   " if np.allclose(got, g, rtol=2e-4, atol=2e-4) else "WRONG"), n, "got", got, "want", g)
    print("primal return", primal, "plain run returns", ref_ret)

"""The seed example: reverse mode through a function that overwrites its first argument.

Run with ``python examples/seed.py``. ``f_`` writes ``a + b`` into ``s`` and
returns nothing. In reverse mode each shadow holds, on entry, the adjoint of
its array's final value (the seed) and, on exit, the adjoint of its initial
value. Here that means: ``da`` and ``db`` grow by the seed of ``s`` (their
gradients accumulate with ``+=``), and ``ds`` ends at zero, because the
initial value of ``s`` is entirely overwritten and influences nothing.
"""
from __future__ import annotations

import numpy as np

from adcompiler import Const, Duplicated, Reverse, autodiff


def f_(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    s[:] = a + b


def main() -> None:
    rng = np.random.default_rng(0)
    n = 5
    a = rng.standard_normal(n)
    b = rng.standard_normal(n)
    s = np.zeros(n)
    seed = rng.standard_normal(n)  # adjoint of the final value of s
    ds = seed.copy()
    da = np.ones(n)  # pre-filled shadows: the gradient is added to them
    db = np.zeros(n)

    result = autodiff(Reverse, f_, Const, Duplicated(s, ds), Duplicated(a, da), Duplicated(b, db))

    np.set_printoptions(precision=4, suppress=True)
    print("seed of s:", seed)
    print("s  =", s)
    print("ds =", ds)
    print("da =", da)
    print("db =", db)
    print("returned:", result)

    assert result == (None, None, None)
    np.testing.assert_array_equal(s, a + b)  # the primal side effect happened
    np.testing.assert_array_equal(ds, np.zeros(n))  # s was fully overwritten
    np.testing.assert_allclose(da, 1.0 + seed)  # accumulated onto the ones
    np.testing.assert_allclose(db, seed)
    print("ok: da and db grew by the seed of s, ds is zero, s == a + b")


if __name__ == "__main__":
    main()

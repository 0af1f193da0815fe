"""Second order through a rule with no derivative in an argument (``np.interp``'s sample
points ``xp``) given, in a helper, a constant the first derivative's code pops from its tape:
the code differentiated again took the popped value for one carrying a tangent and refused
it (the same line in the top-level function was differentiated). Such an argument's tangent
is now checked to be zero as the code runs, and refused at the user's line where it is not."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import hessian, hvp
from adcompiler.codegen.compile import _relocated
from adcompiler.errors import NoDerivativeError
from adcompiler.runtime.views import no_tangent

from .test_second_reach import fd_hvp


def _interpolated_square(sig, x0):
    n = sig.shape[0]
    return float(np.interp(x0, np.arange(n) * 1.0, sig) ** 2)


def interpolated_square_in_a_helper(sig, x0):
    return _interpolated_square(sig, x0)


def _table(p, xq):
    xt = np.linspace(0.0, 2.0, 33)   # (sample points built from constants)
    ft = p[0] * np.exp(-p[1] * xt) + p[2] * xt ** 2
    return np.interp(xq, xt, ft)


def table_energy(p, xq):
    return float(np.sum(_table(p, xq) ** 2))


def test_hvp_through_interp_in_a_helper():
    sig = np.linspace(0.5, 1.5, 20)
    w = np.zeros(20)
    w[0], w[1] = 0.67, 0.33   # (x0 = 0.33 between the first two sample points)
    v = np.ones(20)
    for f in (_interpolated_square, interpolated_square_in_a_helper):
        np.testing.assert_allclose(hvp(f, (sig, 0.33), (v, None))[0], 2 * w * (w @ v), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hessian(f, sig, 0.33), 2 * np.outer(w, w), rtol=1e-12, atol=1e-15)
    p, xq = np.array([1.2, 0.7, 0.3]), np.array([0.05, 0.61, 1.37, 1.99])
    v = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(hvp(table_energy, (p, xq), (v, None))[0], fd_hvp(table_energy, [p, xq], 0, v),
                               rtol=1e-6)


def test_a_tangent_where_a_rule_has_none_is_refused_at_the_line():
    assert no_tangent(0.0, "numpy.interp", "xp") == 0.0
    assert no_tangent(np.zeros(3), "numpy.interp", "xp") == 0.0
    with pytest.raises(ValueError) as got:
        no_tangent(np.array([0.0, 1e-300]), "numpy.interp", "xp")
    e = _relocated(got.value, ("kernel.py", 7, "y = np.interp(x, xp, fp)"))
    assert isinstance(e, NoDerivativeError)
    assert "kernel.py:7" in str(e) and "`xp`" in str(e) and "numpy.interp" in str(e)

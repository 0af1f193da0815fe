"""hvp differentiates the generated reverse code again: what it cannot
differentiate there is refused at the user's line, not the generated one."""
import numpy as np
import pytest

import adcompiler as ad


def _boolean_index(x):
    return float(np.sum(x[(x > 1.0).nonzero()] ** 2))


def test_hvp_refusal_names_the_users_line():
    x = np.array([0.5, 1.5, 0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(_boolean_index, x)[0], np.where(x > 1.0, 2 * x, 0.0))
    with pytest.raises(ad.AdCompilerError, match=r"test_hvp_messages\.py:\d+: `return float\(np\.sum"):
        ad.hvp(_boolean_index, (x,), (np.ones(4),))

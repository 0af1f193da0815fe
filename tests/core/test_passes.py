"""Golden source-in/source-out tests of the passes.

The normalized body and the generated adjoint of a few representative
functions are kept under tests/golden/passes/; a change in the output shows up
as a reviewed diff. Regenerate with ADCOMPILER_UPDATE_GOLDEN=1.
"""
from __future__ import annotations

import doctest
import os
from pathlib import Path

import numpy as np
import pytest

from adcompiler.analysis.kinds import FLOAT, array
from adcompiler.frontend import restructure
from adcompiler.pipeline import dump_after

from . import kernels_passes as K

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "passes"
CASES = {
    "augmented": (K.augmented, (array(1), array(1), FLOAT), ("Duplicated", "Duplicated", "Active"), True),
    "branches": (K.branches, (array(1), array(1)), ("Duplicated", "Duplicated"), True),
    "while_loop": (K.while_loop, (array(1), FLOAT), ("Duplicated", "Const"), True),
    "methods_and_out": (K.methods_and_out, (array(2), array(2), array(2)),
                        ("Duplicated", "Duplicated", "Const"), False),
    "calls": (K.calls, (array(1), array(1)), ("Duplicated", "Duplicated"), False),
}


@pytest.mark.parametrize("stage", ["normalize", "lower", "reverse"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, stage):
    f, kinds, acts, ret = CASES[name]
    text = dump_after(f, kinds, acts, ret, stage)
    path = GOLDEN / f"{name}.{stage}.py.txt"
    if os.environ.get("ADCOMPILER_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with ADCOMPILER_UPDATE_GOLDEN=1"
    assert text == path.read_text()


def test_golden_kernels_run_correctly():
    """The goldens are of working code: a spot check against finite differences."""
    import adcompiler as ad
    from adcompiler.testing import check_grads
    x = np.array([-0.3, 0.4, -0.2, 0.7])
    check_grads(K.branches, ad.Duplicated(x, np.zeros(4)), ad.Duplicated(np.ones(4), np.zeros(4)), ret=ad.Active)
    check_grads(K.augmented, ad.Duplicated(x, np.zeros(4)), ad.Duplicated(x + 1, np.zeros(4)), ad.Active(0.3),
                ret=ad.Active)


def test_restructure_doctest():
    result = doctest.testmod(restructure)
    assert result.attempted > 0 and result.failed == 0


def test_value_adjoint_with_exact_and_broadcast_contributions():
    """``tb`` gets an exact contribution (from sum(tb)) and a broadcast one
    (from M * tb): summing them must not repeat the exact one (found by the
    random-program run, seed 21976)."""
    import adcompiler as ad
    from adcompiler.testing import check_grads
    rng = np.random.default_rng(0)
    a, x, M = rng.random(4), rng.random(4), rng.random((3, 4))
    check_grads(K.accumulate_broadcast, ad.Duplicated(a, np.zeros(4)), ad.Duplicated(x, np.zeros(4)),
                ad.Duplicated(M, np.zeros((3, 4))), ret=ad.Active)

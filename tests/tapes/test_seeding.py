"""What the adapters hand to the reverse sweep, observed through a stand-in.

The stand-in split mode records the shadows ``rev`` receives: the output's
shadow must equal the cotangent without sharing its memory, and the input
shadows must be zero, on every backward pass.
"""
import autograd
import numpy as np

from adcompiler.tapes.differentiate import differentiate

from . import kernels as K


def test_rev_gets_copied_seeds_and_zero_input_shadows(fake_thunk, monkeypatch):
    seen = []
    make = fake_thunk.__call__

    def spying(mode, f, ret, *types):
        fwd, rev = make(mode, f, ret, *types)

        def rev2(*call):
            seen.append([np.array(a.dval) if a.dval is not None else None for a in call[:-2]]
                        + [[a.dval for a in call[:-2]]])
            return rev(*call)
        return fwd, rev2

    from adcompiler.tapes import split
    monkeypatch.setattr(split, "_thunk", spying)
    f = differentiate(K.seed_, out="s", like="a")
    a, b = np.arange(3.0), np.ones(3)
    vjp, _ = autograd.make_vjp(lambda a, b: f(a, b), (0, 1))(a, b)
    g = np.array([1.0, 2.0, 3.0])
    for _ in range(2):
        grads = vjp(g)
        np.testing.assert_array_equal(grads[0], g)
        np.testing.assert_array_equal(grads[1], g)
    assert len(seen) == 2
    for ds, da, db, shadows in seen:
        np.testing.assert_array_equal(ds, g)
        assert not np.shares_memory(shadows[0], g)
        np.testing.assert_array_equal(da, 0.0)
        np.testing.assert_array_equal(db, 0.0)
    np.testing.assert_array_equal(g, [1.0, 2.0, 3.0])

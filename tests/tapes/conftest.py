"""Shared fixtures for the tape adapter tests.

``require(name)`` imports an optional framework or skips the test; with
``ADCOMPILER_REQUIRE_EXTRAS=1`` (set by CI) a missing framework fails instead.

Until the core's split mode works, :func:`fake_thunk` stands in for
``autodiff_thunk``: hand-written forward/reverse pairs for the kernels in
``kernels.py`` that follow the split-mode contract (the reverse sweep
consumes the shadows of written arguments, as the real one does).
"""

import numpy as np
import pytest
from optional import require  # noqa: F401  (re-exported for the tape tests)

from adcompiler.activity import Active, Duplicated
from adcompiler.tapes import split

from . import kernels as K


def _shadow(arg):
    return arg.dval if isinstance(arg, Duplicated) else None


def _rev_seed(args, dret, tape):
    ds, da, db = (_shadow(a) for a in args)
    if da is not None:
        da += ds
    if db is not None:
        db += ds
    ds[...] = 0.0
    return (None, None, None)


def _rev_two_out(args, dret, tape):
    s, t, a, x = args
    ds, dt, da = s.dval, t.dval, _shadow(a)
    xv = x.val
    dx = float(np.sum(ds * a.val)) if isinstance(x, Active) else None
    if da is not None:
        da += ds * xv + dt * np.cos(a.val)
    ds[...] = 0.0
    dt[...] = 0.0
    return (None, None, None, dx)


def _rev_scale(args, dret, tape):
    u, c = args
    u0 = tape
    dc = _shadow(c)
    if dc is not None:
        dc += u.dval * u0
    u.dval[...] = u.dval * c.val
    return (None, None)


def _rev_sum_sq(args, dret, tape):
    a, n = args
    if isinstance(a, Duplicated):
        a.dval[...] += dret * 2.0 * a.val * n.val
    return (None, None)


_TAPES = {K.scale_inplace_: lambda args: args[0].val.copy()}
_REVS = {K.seed_: _rev_seed, K.two_out_: _rev_two_out, K.scale_inplace_: _rev_scale, K.sum_sq_: _rev_sum_sq}


class FakeThunk:
    """``autodiff_thunk`` for the kernels above; counts forward and reverse runs."""

    def __init__(self):
        self.fwd_calls = 0
        self.rev_calls = 0
        self.direct_calls = 0

    @property
    def primal_runs(self):
        """Executions of the primal kernel: split forward passes plus plain calls."""
        return self.fwd_calls + self.direct_calls

    def __call__(self, mode, f, ret, *types):
        assert mode.split, mode
        rev_rule = _REVS[f]
        save = _TAPES.get(f, lambda args: None)

        def fwd(*args):
            self.fwd_calls += 1
            tape = save(args)
            return tape, f(*(a.val for a in args))

        def rev(*args):
            self.rev_calls += 1
            *args, dret, tape = args
            return rev_rule(args, dret, tape)

        return fwd, rev


def core_available():
    """True once the core's split mode exists (then tests always use it)."""
    try:
        from adcompiler.api.reverse import autodiff_thunk  # noqa: F401
    except ImportError:
        return False
    return True


CORE = core_available()


@pytest.fixture
def fake_thunk(monkeypatch):
    """Replace the core's split mode with :class:`FakeThunk`."""
    fake = FakeThunk()
    monkeypatch.setattr(split, "_thunk", fake)
    return fake


def _count_direct(monkeypatch, counter):
    real_run = split._run

    def run(*args, split=False):
        counter.direct_calls += not split
        return real_run(*args, split=split)
    monkeypatch.setattr(split, "_run", run)


@pytest.fixture
def thunk(monkeypatch):
    """The core's split mode (the fake before the core existed); counts primal runs.

    Create ``differentiate`` wrappers inside the test: a wrapper caches its
    split-mode pair on first use."""
    if not CORE:
        fake = FakeThunk()
        monkeypatch.setattr(split, "_thunk", fake)
        _count_direct(monkeypatch, fake)
        return fake
    real = split._thunk
    counter = FakeThunk()
    _count_direct(monkeypatch, counter)

    def spy(mode, f, ret, *types):
        fwd, rev = real(mode, f, ret, *types)

        def fwd2(*args):
            counter.fwd_calls += 1
            return fwd(*args)

        def rev2(*args):
            counter.rev_calls += 1
            return rev(*args)
        return fwd2, rev2

    monkeypatch.setattr(split, "_thunk", spy)
    return counter

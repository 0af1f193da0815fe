"""``autodiff`` and ``autodiff_thunk`` under the numba backend: an engine of
``check_grads`` (split mode then runs as the tapes drive it, fresh shadows for
each half, on the compiled halves)."""
import numpy as np

from adcompiler import (
    Active,
    Duplicated,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
)


class Numba:
    @staticmethod
    def autodiff(*call):
        return autodiff(*call, backend="numba")

    @staticmethod
    def autodiff_thunk(*call):
        return autodiff_thunk(*call, backend="numba")


def split_run(f, args, ret, backend):
    """The split halves of ``f`` run as a tape drives them (the forward half given fresh zero
    shadows, the reverse half the seeds of ``args``' shadows): the arguments' final values and
    the shadows after the reverse half (None for a Const)."""
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[type(a) for a in args], backend=backend)
    vals = [a.val.copy() if isinstance(a, Duplicated) else a.val for a in args]
    fresh = [Duplicated(v, np.zeros_like(v)) if isinstance(a, Duplicated) else a for v, a in zip(vals, args)]
    tape, _ = fwd(*fresh)
    shadows = [a.dval.copy() if isinstance(a, Duplicated) else None for a in args]
    rev(*[Duplicated(v, d) if d is not None else a for v, d, a in zip(vals, shadows, args)],
        1.0 if ret is Active else None, tape)
    return vals, shadows

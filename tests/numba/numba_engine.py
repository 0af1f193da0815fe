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


def _in_layout(x, fill=None):
    """An array with ``x``'s shape and strides holding ``fill`` (``x`` itself when None): a
    strided view stays a strided view, of new memory as large as the memory ``x`` views."""
    if x.flags.c_contiguous or x.base is None:
        y = np.empty_like(x)
        y[...] = x if fill is None else fill
        return y
    base = x
    while isinstance(base.base, np.ndarray):
        base = base.base
    offset = x.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    y = np.ndarray(x.shape, x.dtype, buffer=np.zeros_like(base, order="A"), offset=offset, strides=x.strides)
    y[...] = x if fill is None else fill
    return y


def split_run(f, args, ret, backend):
    """The split halves of ``f`` run as a tape drives them (the forward half given fresh zero
    shadows, the reverse half the seeds of ``args``' shadows; both in the layout of the
    arguments, which may be strided views): the arguments' final values and the shadows after
    the reverse half (None for a Const)."""
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *[type(a) for a in args], backend=backend)
    vals = [_in_layout(a.val) if isinstance(a, Duplicated) else a.val for a in args]
    fresh = [Duplicated(v, _in_layout(v, 0.0)) if isinstance(a, Duplicated) else a for v, a in zip(vals, args)]
    tape, _ = fwd(*fresh)
    shadows = [_in_layout(a.val, a.dval) if isinstance(a, Duplicated) else None for a in args]
    rev(*[Duplicated(v, d) if d is not None else a for v, d, a in zip(vals, shadows, args)],
        1.0 if ret is Active else None, tape)
    return vals, shadows


def against_numpy(f, args, rng, rtol=1e-12):
    """``f`` at ``args`` (annotations) under numba against the numpy backend: the split halves as
    the tapes drive them, the function running both sweeps, forward mode, and vector mode (two
    directions in one call, against forward mode of each), with random seeds and directions from
    ``rng``."""
    from adcompiler import BatchDuplicated, Forward, Reverse
    dup = [isinstance(v, Duplicated) for v in args]
    for v, d in zip(args, dup):
        if d:
            v.dval[...] = rng.standard_normal(v.dval.shape)
    for got, want in zip(split_run(f, args, Active, "numba")[1], split_run(f, args, Active, "numpy")[1]):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2)

    def copies(seeds):
        return [Duplicated(v.val.copy(), s.copy()) if d else v for v, s, d in zip(args, seeds, dup)]
    runs = {b: copies([v.dval if d else None for v, d in zip(args, dup)]) for b in ("numpy", "numba")}
    for b, run in runs.items():
        autodiff(Reverse, f, Active, *run, backend=b)
    for w, g, d in zip(runs["numpy"], runs["numba"], dup):
        if d:
            np.testing.assert_allclose(g.dval, w.dval, rtol=rtol, atol=rtol * 1e-2)
    directions = [rng.standard_normal(v.val.shape) if d else None for v, d in zip(args, dup)]
    got, want = [autodiff(Forward, f, Duplicated, *copies(directions), backend=b)[0] for b in ("numba", "numpy")]
    np.testing.assert_allclose(got, want, rtol=rtol)
    second = [rng.standard_normal(v.val.shape) if d else None for v, d in zip(args, dup)]
    want2 = autodiff(Forward, f, Duplicated, *copies(second), backend="numpy")[0]
    batch = [BatchDuplicated(v.val.copy(), (s.copy(), t.copy())) if d else v
             for v, s, t, d in zip(args, directions, second, dup)]
    ((b1, b2),) = autodiff(Forward, f, Duplicated, *batch, backend="numba")
    np.testing.assert_allclose([b1, b2], [want, want2], rtol=rtol)

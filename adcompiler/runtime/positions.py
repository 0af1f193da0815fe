"""The flat positions of an array that an index selects, without a grid of the
array's size where the index is integers (a scatter into a large array in a loop)."""
from __future__ import annotations

import numpy as np


def flat_positions(shape, idx):
    """The flat (C order) positions of an array of ``shape`` that ``a[idx]`` selects,
    in the shape of the selection (IndexError where numpy raises one)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    if len(parts) == len(shape) and all(not isinstance(p, (slice, type(None), type(Ellipsis), bool, np.bool_))
                                        and np.asarray(p).dtype.kind in "iu" for p in parts):
        pos = []
        for p, n in zip(parts, shape):
            p = np.asarray(p, dtype=np.intp)
            if p.size and (p.min() < -n or p.max() >= n):
                raise IndexError(f"index {int(p.max() if p.max() >= n else p.min())} is out of bounds for an "
                                 f"axis of size {n}")
            pos.append(np.where(p < 0, p + n, p))
        return np.ravel_multi_index(np.broadcast_arrays(*pos), shape) if shape else np.zeros((), np.intp)
    return np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[idx]

"""Build the table's kernels as real modules (``inspect.getsource`` must work).

The same kernel text is written twice: once on numpy (differentiated by
adcompiler and by finite differences) and once on ``autograd.numpy``.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile

import numpy as np

from .table import ROWS

PRELUDE = '''import math

{np_import}

IDX = np.array([0, 2, 2, 1])
IDX2 = np.array([0, 2, 0])
IDX3 = np.array([1, 5, 5])
IDX4 = np.array([0, 3, 3, 5])
IDXA = np.array([[0, 3], [1, 1], [2, 0]])
IDXB = np.array([[3, 0, 3]])   # (broadcast over the rows of a 3 x 4 array)
MASK34 = np.array([[True, False, False, False], [False, False, True, False], [False, False, False, False]])
W3 = np.array([0.3, -1.1, 0.7])
W33 = np.array([[0.5, -0.2, 0.9], [1.3, 0.1, -0.6], [-0.8, 0.4, 0.2]])
W43 = np.array([[0.5, -0.2, 0.9], [1.3, 0.1, -0.6], [-0.8, 0.4, 0.2], [0.3, 0.6, -0.7]])

'''


def kernel_name(k: int) -> str:
    return f"k_{k}"


def kernel_source(row, k: int) -> str:
    names = ", ".join("xyz"[:len(row.args)])
    body = row.body or f"r = {row.expr}"
    return f"def {kernel_name(k)}({names}, w):\n    {body}\n    return np.sum(r * w)\n\n\n"


def _load(text: str, name: str):
    folder = tempfile.mkdtemp(prefix="adrules_")
    path = os.path.join(folder, name + ".py")
    with open(path, "w") as fh:
        fh.write(text)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build():
    """(numpy module, autograd module) holding ``k_<row index>`` for every row."""
    src = "".join(kernel_source(r, k) for k, r in enumerate(ROWS))
    mod = _load(PRELUDE.format(np_import="import numpy as np") + src, "rule_table_kernels")
    ag = _load(PRELUDE.format(np_import="import autograd.numpy as np") + src, "rule_table_kernels_ag")
    return mod, ag


def make_args(row, dtype=np.float64):
    """Random inputs for a row, reproducible from its name."""
    import zlib
    rng = np.random.default_rng(zlib.crc32(row.name.encode()))
    out = []
    for spec in row.args:
        dom, shape = spec.split(":")
        shape = tuple(int(s) for s in shape.split(",")) if shape else ()
        lo, hi = {"u": (-1, 1), "p": (0.5, 2), "s": (-0.8, 0.8), "g": (1.5, 3)}.get(dom, (-1, 1))
        v = rng.uniform(lo, hi, shape)
        if dom == "m":
            v = v @ v.T + shape[0] * np.eye(shape[0])
        elif dom == "d":
            v = v + shape[0] * np.eye(shape[0])
        out.append(float(v) if not shape else v.astype(dtype))
    return out

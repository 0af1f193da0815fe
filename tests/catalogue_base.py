"""Catalogue rows and input builders. The catalogue: plain module-level functions in the supported subset, each
followed by the row that says how to build its inputs and which activity
patterns to test.

A pattern has one letter per argument: ``D`` Duplicated, ``N``
DuplicatedNoNeed, ``C`` Const, ``A`` Active; an optional suffix ``>A`` or
``>C`` sets the return activity (default: Active exactly when the function
returns a float). Inputs stay away from non-differentiable points (log/sqrt
arguments positive, no ties in max/min/where, branch conditions and while
trip counts not near their thresholds).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Row:
    fn: Callable
    make: Callable[[np.random.Generator], tuple]
    patterns: tuple[str, ...]
    name: str


ROWS: list[Row] = []


def add(fn: Callable, make: Callable, *patterns: str, name: str | None = None) -> None:
    ROWS.append(Row(fn, make, patterns, name or fn.__name__))


def U(r, *shape, lo=-1.0, hi=1.0):
    return r.uniform(lo, hi, shape)


def P(r, *shape):
    """Positive values in [0.5, 1.5]."""
    return r.uniform(0.5, 1.5, shape)


def J(r, values, eps=0.02):
    """Fixed values with a small jitter (keeps branch decisions fixed)."""
    v = np.asarray(values, dtype=np.float64)
    return v + r.uniform(-eps, eps, v.shape)

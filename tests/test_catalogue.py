"""One harness over the catalogue x activity patterns x reverse modes.

Each case is checked by ``adcompiler.testing.check_grads``: reverse mode with
random non-zero prefilled shadows against fourth-order central finite
differences, per argument and for all arguments together, plus the primal side
effects (arguments hold what the function leaves in them) and, in the
WithPrimal modes, the primal return value.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest
from catalogue import Row, cases

from adcompiler.activity import (
    Active,
    Const,
    Duplicated,
    DuplicatedNoNeed,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.testing import check_grads

_LETTERS = {"D": Duplicated, "N": DuplicatedNoNeed}


def annotate(row: Row, pattern: str) -> tuple[list, type | None]:
    """Build the row's inputs (deterministically per row) and annotate them."""
    letters, _, ret = pattern.partition(">")
    rng = np.random.default_rng(zlib.crc32(row.name.encode()))
    values = row.make(rng)
    args = []
    for letter, v in zip(letters, values, strict=True):
        if letter in _LETTERS:
            args.append(_LETTERS[letter](v, np.zeros_like(v)))
        elif letter == "A":
            args.append(Active(v))
        else:
            args.append(Const(v))
    return args, {"A": Active, "C": Const, "": None}[ret]


# Known core bugs (reproducers in /work/core_bugs/); strict, so a fix makes the test fail
# until the entry is removed.
_SELF_REF = "core: adjoint of `t = t op e` on a scalar name reads the updated adjoint"
CORE_BUGS: dict = {}


def _param(row: Row, pattern: str):
    marks = ()
    if (row.name, pattern) in CORE_BUGS:
        marks = pytest.mark.xfail(strict=True, reason=CORE_BUGS[row.name, pattern])
    return pytest.param(row, pattern, id=f"{row.name}-{pattern.replace('>', '_ret')}", marks=marks)


MODES = {"rev": Reverse, "rev_primal": ReverseWithPrimal, "split": ReverseSplitWithPrimal}
PARAMS = [_param(row, p) for row, p in cases()]


@pytest.mark.parametrize("mode", list(MODES.values()), ids=list(MODES))
@pytest.mark.parametrize("row,pattern", PARAMS)
def test_catalogue(row: Row, pattern: str, mode) -> None:
    args, ret = annotate(row, pattern)
    check_grads(row.fn, *args, ret=ret, mode=mode)


def test_catalogue_shape() -> None:
    """At least 45 distinct functions; every pattern has one letter per argument."""
    assert len({row.fn for row, _ in cases()}) >= 45
    for row, p in cases():
        n = row.fn.__code__.co_argcount
        assert len(p.partition(">")[0]) == n == len(row.make(np.random.default_rng(0))), (row.name, p)

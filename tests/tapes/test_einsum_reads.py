"""``np.einsum(*operands, out=None)`` takes ``out`` by keyword only: its second operand
is read, not written. The write analyses had taken the parameter's place in the
signature for a position, so a float-returning function reading two arrays through
einsum was said to write the first, and the bare ``differentiate`` refused it."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated
from adcompiler.tapes.effects import written_params


def vibr_energy(harmonic, offset, v):
    return np.sum(np.einsum("ij,ij->i", harmonic, (v[:, np.newaxis] + offset) ** 2))


def batched(A, B):
    return float(np.sum(np.einsum("bij,bjk->bik", A, B) ** 2))


def into_out(s, A, B):
    np.einsum("ij,jk->ik", A, B, out=s)


def test_reading_operands_are_not_written():
    assert written_params(vibr_energy) == set()
    assert written_params(batched) == set()
    assert written_params(into_out) == {"s"}


@pytest.mark.parametrize("case", ["vibr", "batched", "out"])
def test_everywhere(case):
    rng = np.random.default_rng(6)
    if case == "vibr":
        h, off, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
        check_everywhere(vibr_energy, Duplicated(h, np.zeros((3, 4))), Duplicated(off, np.zeros((3, 4))),
                         Duplicated(v, np.zeros(3)), ret=Active, out=(), tapes=("autograd", "torch", "jax"))
    elif case == "batched":
        A, B = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2))
        check_everywhere(batched, Duplicated(A, np.zeros(A.shape)), Duplicated(B, np.zeros(B.shape)), ret=Active,
                         out=())
    else:
        A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
        check_everywhere(into_out, Duplicated(np.zeros((3, 2)), np.zeros((3, 2))), Duplicated(A, np.zeros(A.shape)),
                         Duplicated(B, np.zeros(B.shape)), out="s")

"""An element read from an array whose rank the kinds do not know, ``a = s[2]`` of
``s = np.squeeze(x)`` (its rank depends on the shape, not only on ``x``'s rank), where the
memory is written: the reverse sweep bound the element's adjoint as a view of the shadow,
``da = ds[2]``, a copy of a number when ``ds`` is 1-D, and its term was lost (``[0, 20, 30, 40]``
where ``[0, 20, 50, 40]`` is right, without an error). Refused at the line, with the way out;
the same code with the rank known (``axis=``, ``reshape(-1)``) is differentiated right at every
entry point."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated

W = np.array([10.0, 20.0, 30.0, 40.0])


def element_of_squeezed(x):
    s = np.squeeze(x)
    a = s[2]
    x.reshape(-1)[0] = a * 2.0
    return float(np.sum(x.reshape(-1) * W))


def swapped_through_squeezed(x):
    s = x.squeeze()
    s[0], s[1] = s[1], s[0] * 2.0
    return float(np.sum(x.reshape(-1) * W))


def element_of_squeezed_axis(x):
    s = np.squeeze(x, axis=0)
    a = s[2]
    x[0, 0] = a * 2.0
    return float(np.sum(x.reshape(-1) * W))


def swapped_through_reshaped(x):
    s = x.reshape(-1)
    s[0], s[1] = s[1], s[0] * 2.0
    return float(np.sum(x.reshape(-1) * W))


@pytest.mark.parametrize("shape", [(1, 4), (4, 1), (1, 4, 1)])
@pytest.mark.parametrize("f", [element_of_squeezed, swapped_through_squeezed])
def test_rank_unknown_element_of_written_memory_is_refused(f, shape):
    x = np.arange(1.0, 5.0).reshape(shape)
    for run in (lambda: ad.gradient(f, x.copy()),
                lambda: ad.autodiff(ad.Forward, f, Duplicated, Duplicated(x.copy(), np.ones(shape)))):
        with pytest.raises(ad.AdCompilerError, match="depends on the rank") as e:
            run()
        assert e.value.filename == __file__ and "squeeze" in e.value.hint


@pytest.mark.parametrize("f, shape", [(element_of_squeezed_axis, (1, 4)), (swapped_through_reshaped, (1, 4)),
                                      (swapped_through_reshaped, (4, 1))])
def test_rank_known(f, shape):
    x = np.arange(1.0, 5.0).reshape(shape)
    check_everywhere(f, Duplicated(x, np.zeros(shape)), ret=Active)

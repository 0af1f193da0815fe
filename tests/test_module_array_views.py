"""A module's array read through ``.T`` (a Kalman filter's ``F @ P @ F.T + Q`` with ``F``,
``H`` at module level): the transpose is a view of the module's array, as of an argument
(it was refused as "a ndarray, not a number or an array"). Every entry point against
central differences."""
import numpy as np
from everywhere import check_everywhere

from adcompiler import Active, Duplicated

F = np.array([[1.0, 0.1], [0.0, 1.0]])
H = np.array([[1.0, 0.0]])
Q = np.eye(2) * 0.01


def kalman_step(x, P, z, r):
    x[:] = F @ x
    P[:] = F @ P @ F.T + Q
    S = H @ P @ H.T + r
    K = P @ H.T / S[0, 0]
    x += (K * (z - H @ x)).ravel()
    P[:] = P - K @ H @ P
    return float(np.sum(x ** 2) + np.trace(P) + S[0, 0] * H.T[0, 0])


def test_a_module_array_transposed_everywhere():
    x, P = np.array([0.5, -0.2]), np.array([[1.0, 0.2], [0.2, 0.5]])
    check_everywhere(kalman_step, Duplicated(x, np.zeros(2)), Duplicated(P, np.zeros((2, 2))),
                     Duplicated(np.array([0.7]), np.zeros(1)), Active(0.3), ret=Active, tapes=("autograd", "torch", "jax"))


C = np.array([1.0, 2.0, 3.0, 4.0])
M = np.arange(6.0).reshape(2, 3)


def module_array_methods(x, y):
    y[:] = M.reshape(-1)[:4] * x + M.sum(axis=0).max() * x ** 2 + C.clip(1.5, 3.5) * M.T.ravel()[:4] \
        + C.copy() * C.dot(x)
    return float(np.sum(C.astype(np.float64) * x) + C.item(2) * x[0] + C.mean() * x[1] + C.cumsum()[2] * x[3])


def test_methods_of_a_module_array_everywhere():
    # (`C.ravel()` of a module's array was a bound builtin method without a rule, refused)
    x = np.array([0.3, -0.2, 0.5, 1.0])
    check_everywhere(module_array_methods, Duplicated(x, np.zeros(4)), Duplicated(np.zeros(4), np.ones(4)))


def test_a_module_array_method_that_writes_is_refused():
    import pytest

    import adcompiler as ad

    def fills(x):
        C.fill(2.0)
        return float(np.sum(C * x))
    with pytest.raises(ad.AdCompilerError, match="writing into `C`"):
        ad.gradient(fills, np.ones(4))


_Params = __import__("collections").namedtuple("_Params", "b w M")
PARAMS = _Params(np.array([1.0, 2.0, 3.0]), 2.0, np.eye(3) * 0.5)


def module_record(x, y):
    y[:] = PARAMS.M @ x + PARAMS.b * PARAMS.w
    for i in range(x.shape[0]):
        y[i] += PARAMS.b[i] * x[i] ** 2 + PARAMS.M.T[i, 0] * x[0]
    return float(np.sum(PARAMS.b.sum() * x) + PARAMS.M[1, 1] * x[1])


def test_arrays_of_a_module_named_tuple_everywhere():
    # (`PARAMS.b` was refused: "an array read through an attribute of a module-level object")
    check_everywhere(module_record, Duplicated(np.array([0.3, -0.5, 0.8]), np.zeros(3)),
                     Duplicated(np.zeros(3), np.ones(3)))


def test_a_module_named_tuple_rebound_or_written_between_calls():
    global PARAMS
    import adcompiler as ad

    def seeded(x):   # the return plus the seeded y (its shadow holds ones)
        y = np.zeros(3)
        return module_record(x, y) + float(np.sum(y))

    def fd(x):
        return np.array([(seeded(x + 1e-6 * e) - seeded(x - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
    saved = PARAMS
    try:
        x = np.array([0.3, -0.5, 0.8])
        for change in (lambda: None, lambda: PARAMS.b.__setitem__(0, 10.0),
                       lambda: globals().__setitem__("PARAMS", _Params(np.full(3, 2.0), 1.0, np.eye(3)))):
            change()
            dx = np.zeros(3)
            ad.autodiff(ad.Reverse, module_record, ad.Active, Duplicated(x.copy(), dx),
                        Duplicated(np.zeros(3), np.ones(3)))
            np.testing.assert_allclose(dx, fd(x), rtol=1e-6)
    finally:
        PARAMS = saved

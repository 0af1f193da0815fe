"""A dict written out in the function and read by constant keys is one name per key
(``frontend/dicts.py``): the values it holds are the objects stored (a write through
``p["u"][i]`` writes ``u``; a display that reads the dict it rebinds reads every value before
binding any). Any other use of the dict is refused at its line, as every dict display was."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated
from adcompiler.testing import check_grads


def params_of_a_model(x):
    p = {"scale": x[0] * 2.0, "shift": 0.5, "w": x[1:]}
    return p["scale"] * np.sum(np.sin(p["w"]) + p["shift"])


def state_written_through(u, v):
    s = {"u": u, "v": v}
    for i in range(1, u.shape[0]):
        s["u"][i] += 0.5 * s["v"][i - 1] * s["u"][i - 1]
        s["v"][i] = s["v"][i] * s["u"][i]


def rebound_each_step(x):
    acc = {"a": 0.0, "b": 1.0}
    for i in range(x.shape[0]):
        acc = {"a": acc["a"] + acc["b"] * x[i], "b": acc["b"] * 0.9 + acc["a"] * 0.1}   # (both read the old dict)
    return acc["a"] + acc["b"]


def nested(x):
    cfg = {"layer": {"w": x[:2], "b": x[2]}, "gain": 3.0}
    cfg["layer"]["b"] += 1.0
    return cfg["gain"] * (np.dot(cfg["layer"]["w"], x[1:3]) + cfg["layer"]["b"] ** 2)


def augmented(x):
    d = {"t": x[0], "key with spaces": x[1]}
    d["t"] *= d["key with spaces"]
    d["key with spaces"] = np.exp(d["t"])
    return d["t"] + d["key with spaces"]


def _x(n=4, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 0.9, n)


@pytest.mark.parametrize("f", [params_of_a_model, rebound_each_step, nested, augmented], ids=lambda f: f.__name__)
def test_dicts_everywhere(f):
    check_everywhere(f, Duplicated(_x(), np.zeros(4)), ret=Active, out=(), tapes=("autograd", "jax", "torch"))
    check_grads(f, Duplicated(_x(), np.zeros(4)), ret=Active, engine="numba")


def test_writes_through_a_dict_reach_the_arrays():
    check_everywhere(state_written_through, Duplicated(_x(5), np.zeros(5)), Duplicated(_x(5, 1), np.zeros(5)),
                     ret=ad.Const, out=("u", "v"), tapes=("autograd", "jax", "torch"))
    u, v = _x(5), _x(5, 1)
    want_u, want_v = u.copy(), v.copy()
    state_written_through(want_u, want_v)
    ad.autodiff(ad.Reverse, state_written_through, ad.Const, Duplicated(u, np.ones(5)), Duplicated(v, np.ones(5)))
    np.testing.assert_array_equal(u, want_u)
    np.testing.assert_array_equal(v, want_v)


def iterated(x):
    d = {"a": x[0], "b": x[1]}
    return sum(d[k] for k in d)


def missing_key(x):
    d = {"a": x[0]}
    return d["a"] + d.get("b", 1.0)


def passed_on(x):
    d = {"a": x[0]}
    return helper(d)


def helper(d):
    return d["a"] * 2.0


@pytest.mark.parametrize("f", [iterated, missing_key, passed_on], ids=lambda f: f.__name__)
def test_other_uses_are_refused_at_the_line(f):
    with pytest.raises(ad.AdCompilerError, match="dict") as e:
        ad.gradient(f, _x())
    assert e.value.filename.endswith("test_dict_displays.py")

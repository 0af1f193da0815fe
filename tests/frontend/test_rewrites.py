"""Golden tests of the normalizing rewrites (``adcompiler/frontend/``): source
in, source out, one small table of cases per rewrite, plus each rewrite
module's doctest and the agreement of the in-place rewrites with the table of
written arguments (``adcompiler/rules/writes.py``).
"""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from adcompiler.frontend import inplace
from adcompiler.rules import writes
from adcompiler.testing.passes import normal_form


def helper(x, a=1.0, b=0.5):
    x[0] = a * b


#: (rewrite, source of a function, its normalized body)
CASES = [
    ('params',
     'def f(x, a):\n    x += a\n    x = x * a',
     'x_1 = x\nx_1 += a\nx_2 = x_1 * a'),
    ('params',
     'def f(x, a):\n    for a in x:\n        x[0] += a',
     'a_1 = a\nfor _k1 in range(len(x)):\n    a_1 = x[_k1]\n    x[0] += a_1'),
    ('anf',
     'def f(x, y):\n    return x * y + 1.0',
     '_ret = None\n_t1 = x * y\n_ret = _t1 + 1.0'),
    ('anf',
     'def f(x, y):\n    return -x[1:] if y > 0 else x[0] ** 2',
     '_ret = None\n_c1 = y > 0\nif _c1:\n    _t2 = x[1:]\n    _t1 = -_t2\nelse:\n    _t3 = x[0]\n    _t1 = _t3 ** 2\n_ret = _t1'),
    ('anf',
     'def f(x, i):\n    return x[i + 1, :len(x) - 1]',
     '_ret = None\n_ret = x[i + 1, :len(x) - 1]'),
    ('calls',
     'def f(x):\n    return np.sum(np.sin(x), axis=0)',
     '_ret = None\n_t1 = np.sin(x)\n_ret = np.sum(_t1, axis=0)'),
    ('calls',
     'def f(x):\n    return np.zeros(len(x) * 2)',
     '_ret = None\n_ret = np.zeros(len(x) * 2)'),
    ('calls',
     'def f(x):\n    h(x, b=2.0)',
     'h(x, 1.0, 2.0)'),
    ('builtin_calls',
     'def f(x, a, b):\n    return sum(x) + max(x) + min(a, b)',
     '_ret = None\n_t1 = np.sum(x, axis=0)\n_t2 = np.max(x)\n_t3 = _t1 + _t2\n_t4 = min(a, b)\n_ret = _t3 + _t4'),
    ('methods',
     'def f(x):\n    return x.T.sum(axis=0)',
     '_ret = None\n_t1 = np.transpose(x)\n_ret = np.sum(_t1, axis=0)'),
    ('methods',
     'def f(x):\n    return x.reshape(2, 3).astype(np.float32).item()',
     ('_ret = None\n_t1 = np.reshape(x, (2, 3))\n_t2 = np.array(_t1, dtype=np.float32)\n_t3 = np.reshape(_t2, ())\n'
      '_ret = np.take(_t3, 0)')),
    ('methods',
     'def f(x):\n    return x.item(1) + x.item(0, 2) + x.item((1, 0))',
     '_ret = None\n_t1 = np.take(x, 1)\n_t2 = x[0, 2]\n_t3 = _t1 + _t2\n_t4 = x[1, 0]\n_ret = _t3 + _t4'),
    ('methods',
     'def f(x):\n    return x.flatten()',
     '_ret = None\n_t1 = np.ravel(x)\n_ret = np.copy(_t1)'),
    ('out_args',
     'def f(s, a):\n    np.sin(a, out=s[1:])',
     '_t1 = np.sin(a)\ns[1:] = _t1'),
    ('out_args',
     'def f(s, a, b):\n    t = np.multiply(a, b, out=s)\n    return t',
     '_ret = None\n_t1 = np.multiply(a, b)\ns[...] = _t1\nt = s\n_ret = t'),
    ('inplace',
     'def f(s, a, m):\n    np.copyto(s, a, where=m)',
     '_t1 = np.where(m, a, s)\ns[...] = _t1'),
    ('inplace',
     'def f(s, a):\n    s.fill(0.0)\n    s.sort()',
     's[...] = 0.0\n_t1 = np.sort(s, axis=-1)\ns[...] = _t1'),
    ('inplace',
     'def f(s, i, v):\n    np.add.at(s, i, v)',
     '_t1 = _ad_at_inverse(s, i)\n_t2 = _t1.shape\n_t3 = np.broadcast_to(v, _t2)\n_t4 = np.ravel(_t3)\n_t5 = np.ravel(_t1)\n_t6 = _ad_scatter_sum(_t5, _t4, 0)\n_t7 = _ad_at_targets(s, i)\ns[_t7] += _t6'),
    ('inplace',
     'def f(s, i, v):\n    np.put(s, i, v)',
     ('_t1 = s.size\n_t2 = _ad_wrapped_indices(i, _t1)\n_t3 = s.shape\n_t4 = np.unravel_index(_t2, _t3)\n'
      '_t5 = np.shape(i)\n_t6 = np.resize(v, _t5)\ns[_t4] = _t6')),
    ('statements',
     'def f(x, a):\n    x[0] *= a[1] + 1.0',
     '_t1 = a[1]\n_t2 = _t1 + 1.0\n_t3 = x[0]\n_t4 = _t3 * _t2\nx[0] = _t4'),
    ('statements',
     'def f(x):\n    a, b = x[0], x[1]\n    u = v = a * b\n    return u + v',
     '_ret = None\n_t1 = x[0]\n_t2 = x[1]\na = _t1\nb = _t2\n_t3 = a * b\nu = _t3\nv = _t3\n_ret = u + v'),
    ('loops',
     'def f(x):\n    for v in x:\n        x[0] += v',
     'for _k1 in range(len(x)):\n    v = x[_k1]\n    x[0] += v'),
    ('loops',
     'def f(x, y):\n    for i, v in enumerate(x):\n        if v > 0:\n            break\n        y[i] = v',
     '_n1 = 0\nfor i in range(len(x)):\n    _n1 += 1\n    v = x[i]\n    _c1 = v > 0\n    if _c1:\n        break\n    else:\n        y[i] = v'),
    ('loops',
     'def f(x):\n    while x[0] > 1.0:\n        x[0] *= 0.5',
     '_n1 = 0\nwhile True:\n    _n1 += 1\n    _c1 = x[0] > 1.0\n    if _c1:\n        _t1 = x[0]\n        _t2 = _t1 * 0.5\n        x[0] = _t2\n    else:\n        break'),
    ('loops',
     'def f(x):\n    for i in reversed(range(1, len(x))):\n        x[i] += x[i - 1]',
     'for i in range(1, len(x))[::-1]:\n    _t1 = x[i - 1]\n    x[i] += _t1'),
    ('versions',
     'def f(x):\n    y = x[1:]\n    y = y * 2.0\n    for i in range(2):\n        y = y + x[i]\n    return y',
     '_ret = None\ny = x[1:]\ny_2 = y * 2.0\nfor i in range(2):\n    _t1 = x[i]\n    y_2 = y_2 + _t1\n_ret = y_2'),
    ('returns',
     'def f(x):\n    if x[0] > 0:\n        return 1.0\n    return 2.0',
     '_ret = None\n_c1 = x[0] > 0\nif _c1:\n    _ret = 1.0\nelse:\n    _ret = 2.0'),
]

REWRITES = ["anf", "builtin_calls", "calls", "inplace", "loops", "methods", "normalize", "out_args", "params",
            "returns", "statements", "versions"]


@pytest.mark.parametrize("rewrite, source, expected", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_golden(rewrite, source, expected):
    assert normal_form(source, {"h": helper}) == expected


def test_every_rewrite_has_cases():
    assert {c[0] for c in CASES} == set(REWRITES) - {"normalize"}


@pytest.mark.parametrize("name", REWRITES)
def test_doctest(name):
    module = importlib.import_module(f"adcompiler.frontend.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_writes_doctest():
    result = doctest.testmod(writes)
    assert result.attempted > 0 and result.failed == 0


def test_inplace_rewrites_are_in_the_writes_table():
    """Every in-place call the frontend rewrites is one the table lists, so
    ``tapes/effects.py`` copies the argument it writes."""
    functions = {f.__name__ for f in inplace.HANDLERS if f.__name__ in writes.FUNCTIONS or f.__name__ == "at"}
    assert functions == {"copyto", "put", "place", "putmask", "fill_diagonal", "at"}
    assert {np.add.at.__name__, np.subtract.at.__name__} <= set(writes.UFUNC_METHODS)
    assert set(inplace.METHOD_HANDLERS) <= writes.METHODS

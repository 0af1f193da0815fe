"""An exception raised inside generated code names the user's line: it is
raised again with the same type, chained to the original, with the file,
line and source text of the statement whose derivative failed."""
from __future__ import annotations

import enum
import inspect

import numpy as np
import pytest

from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    differentiate,
    gradient,
)


def ema_scan(y, x, alpha):
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = alpha * x[i] + (1 - alpha) * y[i - 1]
    return float(np.sum(y))


def divide_rows(out, x, idx):
    for i in range(idx.shape[0]):
        out[i] = x[idx[i]] / 2.0


LINE = inspect.getsourcelines(ema_scan)[1] + 3   # the recurrence


def _check(err):
    assert f"{__file__}:{LINE}: y[i] = alpha * x[i] + (1 - alpha) * y[i - 1]" in str(err.value)
    assert isinstance(err.value.__cause__, IndexError)
    assert "out of bounds" in str(err.value)


def test_reverse_names_the_users_line():
    y, x = np.zeros(5), np.ones(8)
    with pytest.raises(IndexError) as err:
        autodiff(Reverse, ema_scan, Active, Duplicated(y, np.zeros(5)), Duplicated(x, np.zeros(8)), Active(0.3))
    _check(err)


def test_split_forward_mode_and_gradient_name_the_users_line():
    y, x = np.zeros(5), np.ones(8)
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, ema_scan, Active, Duplicated, Duplicated, Active)
    with pytest.raises(IndexError) as err:
        fwd(Duplicated(y, np.zeros(5)), Duplicated(x, np.zeros(8)), Active(0.3))
    _check(err)
    with pytest.raises(IndexError) as err:
        autodiff(Forward, ema_scan, Const, Duplicated(y, np.zeros(5)), Duplicated(x, np.zeros(8)), Const(0.3))
    _check(err)
    with pytest.raises(IndexError) as err:
        gradient(ema_scan, np.zeros(5), np.ones(8), 0.3)
    _check(err)


def reciprocals(x):
    s = 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        s += 1.0 / v
    return s


def test_second_order_names_the_users_line():
    # (code differentiated again fails in the generated code it differentiates: its comment names the line)
    import adcompiler as ad
    line = inspect.getsourcelines(reciprocals)[1] + 4
    for call in (lambda x: ad.gradient(reciprocals, x), lambda x: ad.hvp(reciprocals, (x,), (np.ones(2),)),
                 lambda x: ad.hessian(reciprocals, x)):
        with pytest.raises(ZeroDivisionError, match=rf"test_errors_located.py:{line}: s \+= 1.0 / v"):
            call(np.array([0.0, 4.0]))


def test_index_from_a_const_integer_array():
    line = inspect.getsourcelines(divide_rows)[1] + 2
    out, x = np.zeros(2), np.ones(3)
    with pytest.raises(IndexError, match=rf"{line}: out\[i\] = x\[idx\[i\]\] / 2.0"):
        autodiff(Reverse, divide_rows, Const, Duplicated(out, np.zeros(2)), Duplicated(x, np.zeros(3)),
                 Const(np.array([0, 7])))


def test_commented_origin_of_an_unwrapped_generated_module():
    """`adcompiler check` names the user's line for the emitted module too: the
    comment above the failing generated line says which statement it is."""
    from adcompiler import pipeline
    from adcompiler.analysis.kinds import FLOAT, array
    from adcompiler.codegen.compile import commented_origin, compile_source

    mod = pipeline.reverse_module(ema_scan, (array(1), array(1), FLOAT), ("Duplicated", "Duplicated", "Active"),
                                  True, public=True)
    ns = compile_source(mod.source, mod.namespace, "emitted ema_scan")
    with pytest.raises(IndexError) as err:
        ns[mod.main.fused_name](np.zeros(5), np.zeros(5), np.ones(8), np.zeros(8), 0.3)
    assert commented_origin(err.value) == f"test_errors_located.py:{LINE}: y[i] = alpha * x[i] + (1 - alpha) * y[i - 1]"


def too_many_args(x):
    y = np.sum(x, 0, None, None, False, 3, 4, 5)
    return float(y)


def test_refusal_of_a_calls_arguments_names_the_users_file_and_line():
    """A call whose arguments its rule does not take is refused where the call
    is read, naming the user's file, line, column and call."""
    from adcompiler import AdCompilerError
    line = inspect.getsourcelines(too_many_args)[1] + 1
    with pytest.raises(AdCompilerError) as err:
        gradient(too_many_args, np.ones(3))
    assert f"{__file__}:{line}:9: `np.sum(x, 0, None, None, False, 3, 4, 5)`: too many arguments" in str(err.value)


def _rebound_then_refused(Y, x):
    Y = Y + 1.0
    np.fill_diagonal(Y, x, wrap=True)
    return float(np.sum(Y))


def test_refusals_quote_the_names_the_user_wrote():
    """A rebound argument is a separate local after the rewrite (``Y_1``): the
    refusal quoted that name; it quotes ``Y``."""
    import adcompiler as ad
    with pytest.raises(ad.AdCompilerError) as e:
        ad.gradient(_rebound_then_refused, np.ones((2, 2)), np.ones(2))
    assert "np.fill_diagonal(Y," in str(e.value) and "Y_1" not in str(e.value)


def _copy_keyword_after_a_write(y, x):
    y[:] = x
    v = np.array(y, ndmin=1)
    v *= 2.0
    y *= x


def test_a_refusal_of_a_renamed_argument_names_the_users_line():
    """A keyword refused where the argument is a renamed local (``y_1``) had no
    file and no line, and quoted ``np.array(y_1, copy=False)`` (copy= is taken now;
    ndmin= is not)."""
    import adcompiler as ad
    line = inspect.getsourcelines(_copy_keyword_after_a_write)[1] + 2
    with pytest.raises(ad.AdCompilerError) as e:
        autodiff(Reverse, _copy_keyword_after_a_write, ad.Const, Duplicated(np.zeros(3), np.ones(3)),
                 Duplicated(np.ones(3), np.zeros(3)))
    assert f"{__file__}:{line}: `v = np.array(y, ndmin=1)`" in str(e.value), str(e.value)


def _split_view(v, k):
    return v[:k], np.sum(v[k:] ** 2)


def _uses_split_view(x):
    h, s = _split_view(x, 2)
    return np.sum(h) * s


def test_a_view_returned_inside_a_tuple_is_named_by_its_parameter():
    """The refusal named the temporary ``_t1`` (and hinted ``_t1.copy()``)."""
    with pytest.raises(AdCompilerError, match=r"test_errors_located\.py:\d+: .*its argument `v` \(a view of it\)") as e:
        gradient(_uses_split_view, np.array([0.1, 0.2, 0.3]))
    assert "_t" not in str(e.value)


def _trained(p, X, y, lr):
    W = p["W"]
    for _ in range(3):
        W -= lr * X.T @ (X @ W - y)
    return float(np.sum((X @ W - y) ** 2))


def test_a_dict_of_parameters_written_gets_a_hint_it_can_follow():
    """A dict argument whose array a training loop writes: the hint said to pass it as
    Duplicated(x, dx), which a dict cannot be."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    with pytest.raises(AdCompilerError) as e:
        gradient(_trained, {"W": rng.standard_normal((3, 2))}, X, y, 0.05)
    assert "is a dict" in str(e.value) and "as Duplicated" not in str(e.value)


def shifted_diagonal(A, s):
    n = A.shape[0]
    A.flat[::n + 1] += s
    return float(np.sum(A * A))


def test_a_store_through_flat_names_what_to_write_instead():
    """``A.flat[::n + 1] += s`` is refused at its line with the indexing that is
    differentiated (the hint said to store into a named array, which A is)."""
    with pytest.raises(AdCompilerError, match=r"\.flat") as e:
        gradient(shifted_diagonal, np.eye(3), 0.5)
    assert e.value.lineno is not None and "np.diag_indices" in str(e.value)


class _Mode(enum.Enum):
    SQ = 1
    CUBE = 2


_TERMS = {"a": 1.0, "b": 3.0}


def _enum_bound_to_a_name(x):
    m = _Mode.CUBE
    if m is _Mode.SQ:
        return np.sum(x ** 2)
    return np.sum(x ** 3)


def _dict_iterated(x):
    s = 0.0
    for v in _TERMS.values():
        s += v * np.sum(x ** 2)
    return s


def _nested_default_from_a_value(x):
    c = x[0]

    def g(v, c=c):
        return c * v
    return g(x[1])


@pytest.mark.parametrize("f, says", [
    (_enum_bound_to_a_name, "`_Mode.CUBE` is a _Mode, not a number or an array"),
    (_dict_iterated, "a dict's methods"),
    (_nested_default_from_a_value, "is not a literal number (`c` is evaluated when the function is defined"),
])
def test_refusals_of_module_objects_say_what_they_are(f, says):
    """They said "this attribute is not a number", "`_TERMS.items` has no derivative rule ... register one",
    "a default value ... is not a number" (of a float)."""
    with pytest.raises(AdCompilerError) as e:
        gradient(f, np.array([0.3, -0.7, 1.1]))
    assert says in str(e.value) and "test_errors_located.py" in str(e.value) and e.value.lineno is not None


def scaled_into(y, x):
    for i in range(x.shape[0]):
        y[i] += 2.0 * x[i]


def relax_and_measure(u, f):
    n = u.shape[0]
    u[1:-1] += 0.25 * (u[:-2] - 2 * u[1:-1] + u[2:] - f[1:-1])
    return float(np.sum(u[:n] ** 2))


def _def_line(f):
    return f"{__file__}:{inspect.getsourcelines(f)[1]}:"


@pytest.mark.parametrize("call", ["reverse", "forward", "split", "shadow"])
def test_errors_about_the_arguments_name_the_definition(call):
    # arguments sharing memory, or a shadow of the wrong shape, were refused with no file or line
    x = np.ones(3)
    args = [Duplicated(x, np.zeros(3)), Duplicated(x, np.zeros(3))]
    with pytest.raises(AdCompilerError) as e:
        if call == "reverse":
            autodiff(Reverse, scaled_into, Const, *args)
        elif call == "forward":
            autodiff(Forward, scaled_into, Const, *args)
        elif call == "split":
            fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, scaled_into, Const, Duplicated, Duplicated)
            fwd(*args)
        else:
            autodiff(Reverse, scaled_into, Const, Duplicated(np.ones(3), np.zeros(2)), args[1])
    assert str(e.value).startswith(_def_line(scaled_into))
    assert e.value.lineno == inspect.getsourcelines(scaled_into)[1]


def test_the_bare_differentiate_of_a_writing_function_names_the_write():
    from adcompiler import differentiate
    with pytest.raises(AdCompilerError) as e:
        differentiate(relax_and_measure)
    line = inspect.getsourcelines(relax_and_measure)[1] + 2
    assert str(e.value).startswith(f"{__file__}:{line}: `u[1:-1] += 0.25 *")
    assert "writes ['u'] in place" in str(e.value)


def gradient_of_all_axes(u, axes):
    gy, gx = np.gradient(u, 0.5, axis=axes)
    return np.sum(gx * gy)


def test_a_result_no_rule_covers_says_what_the_rule_covers():
    # np.gradient of a 2-D array over a tuple of axes the code does not write out returns a tuple: the
    # refusal said only that a value of unknown kind carried a derivative
    with pytest.raises(AdCompilerError) as e:
        gradient(gradient_of_all_axes, np.ones((3, 4)), (0, 1))
    line = inspect.getsourcelines(gradient_of_all_axes)[1] + 1
    assert str(e.value).startswith(f"{__file__}:{line}: `gy, gx = np.gradient(u, 0.5, axis=axes)`")
    assert "the result of numpy.gradient" in str(e.value) and "along one axis" in str(e.value)


def weighted_product(x, y, c=2.0):
    return np.sum(x * y) * c


@pytest.mark.parametrize("call", ["grad keyword", "differentiate too many", "differentiate missing"])
def test_arguments_not_matching_the_parameters_name_the_definition(call):
    # grad's and a differentiate()d function's binding of the arguments named no file or line
    import adcompiler as ad
    x = np.array([0.3, 0.8, 1.1])
    with pytest.raises(AdCompilerError) as e:
        if call == "grad keyword":
            ad.grad(weighted_product)(x, x.copy(), d=2.0)
        elif call == "differentiate too many":
            ad.differentiate(weighted_product)(x, x.copy(), 2.0, 1.0)
        else:
            ad.differentiate(weighted_product)(x)
    assert str(e.value).startswith(_def_line(weighted_product)), str(e.value)


def _reads_both_with_an_open_file(x, y):
    with open(__file__) as fh:   # (refused: a with block other than np.errstate)
        fh.read(1)
    return float(np.sum(x * y))


def test_one_array_passed_twice_to_refused_code_gets_the_refusal_at_its_line():
    # (the analysis' refusal was taken for "every argument written": an aliasing error naming
    # no line hid it)
    import adcompiler as ad
    x = np.array([0.2, 0.5])
    line = inspect.getsourcelines(_reads_both_with_an_open_file)[1] + 1
    for call in (lambda: gradient(_reads_both_with_an_open_file, x, x),
                 lambda: ad.grad(_reads_both_with_an_open_file)(x, x),
                 lambda: ad.hessian(_reads_both_with_an_open_file, x, x)):
        with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}:.*with") as err:
            call()
        assert "share memory" not in str(err.value)


def _steps_in_place(x, v, f):
    v += 0.1 * f
    x += 0.1 * v
    return float(np.sum(x * x))


def test_one_array_passed_twice_to_gradient_names_the_definition():
    # (the refusal named no file or line)
    v = np.array([0.1, 0.2])
    line = inspect.getsourcelines(_steps_in_place)[1]
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}:.*share memory"):
        gradient(_steps_in_place, np.array([1.0, 2.0]), v, v)


def _scaled_energy(x, s):
    return np.sum(x ** 2) * s


def _positive(x):
    return bool(np.sum(x) > 0)


def test_errors_about_arguments_and_results_name_a_line():
    """``Active(3)``, ``grad(f, argnums=1)(x, 3)`` and ``differentiate(g)`` of a function returning a
    bool were refused without a file or line."""
    import adcompiler as ad
    from adcompiler import Active, Duplicated, Reverse, autodiff
    x = np.array([0.5, 1.0, 1.5])
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}: `Active\(\.\.\.\)`"):
        autodiff(Reverse, _scaled_energy, Active, Duplicated(x.copy(), np.zeros(3)), Active(3))
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line + 2}: `Active\(array\)`"):
        Active(x)
    line = inspect.getsourcelines(_scaled_energy)[1]
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}: `argnums`"):
        ad.grad(_scaled_energy, argnums=1)(x, 3)
    line = inspect.getsourcelines(_positive)[1]
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}:.*returned bool"):
        ad.differentiate(_positive)(x)
    line = inspect.currentframe().f_lineno + 2   # (a mode given as a string: it said an activity was misplaced)
    with pytest.raises(AdCompilerError, match=rf"test_errors_located.py:{line}: .*mode is given as the string 'reverse'"):
        autodiff("reverse", _scaled_energy, Active, Duplicated(x.copy(), np.zeros(3)), Active(2.0))


def _scaled_into(y, x):
    y[:] = 2.0 * x


def test_refusals_of_differentiates_options_name_the_line_that_gave_them():
    """differentiate's refusals of its options (checkpoint= under numba, out= naming no parameter)
    named no file or line."""
    line = inspect.currentframe().f_lineno
    with pytest.raises(AdCompilerError, match=rf"test_errors_located\.py:{line + 2}: `checkpoint=3`"):
        differentiate(_scaled_into, out="y", like="x", backend="numba", checkpoint=3)
    with pytest.raises(AdCompilerError, match=rf"test_errors_located\.py:{line + 4}: .*out= names 'z'"):
        differentiate(_scaled_into, out="z", like="x")
    with pytest.raises(AdCompilerError, match=rf"test_errors_located\.py:{line + 6}: .*out= names 'z'"):
        differentiate(out="z", like="x")(_scaled_into)


def _act_doubled(v):
    return v * 2.0


def _act_quintupled(v):
    return 5.0 * v


def _uses_act(x):
    return np.sum(_act_doubled(x) ** 2)


def test_a_helper_whose_code_was_replaced_by_another_functions_is_named_so():
    # (the refusal said the helper wraps another function with functools.wraps)
    import copy
    saved = copy.copy(_act_doubled.__code__)
    try:
        _act_doubled.__code__ = _act_quintupled.__code__
        with pytest.raises(AdCompilerError, match="the code of `_act_doubled` is the code of `_act_quintupled`"):
            gradient(_uses_act, np.ones(2))
    finally:
        _act_doubled.__code__ = saved
    np.testing.assert_allclose(gradient(_uses_act, np.ones(2))[0], [8.0, 8.0])
